// The ack and clock rules of StreamCursor, as scripts of stream events with
// the verdict expected after each. Each case pins one rule; the comments name
// what a broken rule would do (the crash and outage tests found most of them).
#include "app/stream_cursor.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace walguard {
namespace {

constexpr Micros kSecond = kMicrosPerSecond;
constexpr Micros kT0 = 1'700'000'000 * kSecond;  // local time the scripts start at
constexpr Micros kStatusInterval = 10 * kSecond;

enum class Op { kRestore, kConnect, kStart, kData, kKeepalive, kOpen, kStage, kDurable, kStatus, kIdle, kApplied };

struct Step {
  Op op;
  Lsn lsn = 0;  // the position the op carries (walEnd for data and keepalives)
  Micros at = kT0;
  bool half_read = false;       // the assembler is inside a transaction
  bool reply = false;           // keepalive: reply requested
  Micros send_time = 0;         // keepalive: the server's clock
  Micros wal_clock = 0;         // keepalive: the engine's clock
  bool force = false;           // status
  std::optional<bool> verdict;  // move_clock, status due, idle request due, already applied
  std::optional<Lsn> ack;       // ack_lsn() after the step
};

Step Restore(Lsn durable) {
  return {.op = Op::kRestore, .lsn = durable};
}
Step Connect(Lsn server_wal_pos) {
  return {.op = Op::kConnect, .lsn = server_wal_pos};
}
Step Start(Lsn ack) {
  return {.op = Op::kStart, .ack = ack};
}
Step Data(Lsn wal_end, Micros at) {
  return {.op = Op::kData, .lsn = wal_end, .at = at};
}
Step Open() {
  return {.op = Op::kOpen};
}
Step Stage(Lsn txn_end) {
  return {.op = Op::kStage, .lsn = txn_end};
}
Step Durable(Lsn lsn, Lsn ack) {
  return {.op = Op::kDurable, .lsn = lsn, .ack = ack};
}
Step Applied(Lsn txn_end, bool applied) {
  return {.op = Op::kApplied, .lsn = txn_end, .verdict = applied};
}

struct KeepaliveArgs {
  Lsn wal_end = 0;
  Micros send_time = 0;
  Micros at = kT0;
  Micros wal_clock = 0;
  bool reply = false;
  bool half_read = false;
};
Step Keepalive(KeepaliveArgs k, bool moves_clock) {
  return {.op = Op::kKeepalive,
          .lsn = k.wal_end,
          .at = k.at,
          .half_read = k.half_read,
          .reply = k.reply,
          .send_time = k.send_time,
          .wal_clock = k.wal_clock,
          .verdict = moves_clock};
}
// A status decision at `at`; ack: what it would send.
Step Status(Micros at, bool force, bool half_read, bool due, Lsn ack) {
  return {.op = Op::kStatus, .at = at, .half_read = half_read, .force = force, .verdict = due, .ack = ack};
}
Step Idle(Micros at, bool half_read, bool due) {
  return {.op = Op::kIdle, .at = at, .half_read = half_read, .verdict = due};
}

struct Case {
  std::string name;
  std::vector<Step> steps;
};

// Runs one step; returns the verdict it produced (if the op has one).
std::optional<bool> Apply(StreamCursor* cursor, const Step& step) {
  StreamMessage msg;
  msg.wal_end = step.lsn;
  msg.send_time = step.send_time;
  msg.reply_requested = step.reply;
  switch (step.op) {
    case Op::kRestore:
      cursor->Restore(step.lsn);
      return std::nullopt;
    case Op::kConnect:
      cursor->OnConnect(step.lsn);
      return std::nullopt;
    case Op::kStart:
      cursor->OnStreamStart();
      return std::nullopt;
    case Op::kData:
      msg.kind = StreamMessage::Kind::kXLogData;
      cursor->OnData(msg, step.at);
      return std::nullopt;
    case Op::kKeepalive: {
      msg.kind = StreamMessage::Kind::kKeepalive;
      const StreamCursor::KeepaliveVerdict v = cursor->OnKeepalive(msg, step.at, step.half_read, step.wal_clock);
      EXPECT_EQ(v.reply_now, step.reply) << "a requested reply must be sent at once, and only then";
      return v.move_clock;
    }
    case Op::kOpen:
      cursor->OnBatchOpened();
      return std::nullopt;
    case Op::kStage:
      cursor->OnStaged(step.lsn);
      return std::nullopt;
    case Op::kDurable:
      cursor->OnDurable(step.lsn);
      return std::nullopt;
    case Op::kStatus:
      return cursor->StatusDue(step.at, step.force, step.half_read);
    case Op::kIdle:
      return cursor->IdleClockRequestDue(step.at, step.half_read);
    case Op::kApplied:
      return cursor->AlreadyApplied(step.lsn);
  }
  return std::nullopt;
}

void RunCase(const Case& c) {
  StreamCursor cursor(kStatusInterval);
  for (size_t i = 0; i < c.steps.size(); ++i) {
    SCOPED_TRACE(c.name + ", step " + std::to_string(i));
    const Step& step = c.steps[i];
    const std::optional<bool> verdict = Apply(&cursor, step);
    if (step.verdict.has_value()) {
      ASSERT_TRUE(verdict.has_value());
      EXPECT_EQ(*verdict, *step.verdict);
    }
    if (step.ack.has_value()) {
      EXPECT_EQ(FormatLsn(cursor.ack_lsn()), FormatLsn(*step.ack));
    }
  }
}

TEST(StreamCursorTest, AcknowledgesOnlyWhatIsDurable) {
  const Case cases[] = {
      {"the durable position is acked at stream start",
       {Restore(100), Start(100), Status(kT0, true, false, true, 100)}},
      {"a staged transaction is not acked before its commit",
       {Restore(100), Start(100), Open(), Stage(200), Status(kT0, true, false, true, 100), Durable(200, 200),
        Status(kT0, true, false, true, 200)}},
      // The keepalive's walEnd is above the staged transaction: acking it
      // while staged would let a crash lose the transaction.
      {"a keepalive walEnd waits for the staged batch",
       {Restore(100), Start(100), Open(), Stage(200), Keepalive({.wal_end = 300}, false),
        Status(kT0, true, false, true, 100), Durable(200, 200), Status(kT0, true, false, true, 300)}},
      {"an open batch without transactions holds the keepalive walEnd back too",
       {Restore(100), Start(100), Keepalive({.wal_end = 300}, false), Open(), Status(kT0, true, false, true, 100),
        Durable(100, 100), Status(kT0, true, false, true, 300)}},
  };
  for (const Case& c : cases) RunCase(c);
}

TEST(StreamCursorTest, AcknowledgesAKeepaliveWalEndButNeverAnXLogDataWalEnd) {
  const Case cases[] = {
      // Idle slot: everything below the keepalive's walEnd was sent and none
      // of it concerned us, so the slot may move (an idle slot hoards WAL otherwise).
      {"an idle keepalive walEnd is acked",
       {Restore(100), Start(100), Keepalive({.wal_end = 500}, false), Status(kT0, false, false, true, 500)}},
      // An XLogData's walEnd is ahead of data still unread in the socket:
      // acking it would skip that data on a restart.
      {"an XLogData walEnd is not acked, nothing staged",
       {Restore(100), Start(100), Data(900, kT0), Status(kT0, true, false, true, 100)}},
      {"keepalive walEnd with unread data: neither it nor the data's walEnd while half read",
       {Restore(100), Start(100), Keepalive({.wal_end = 300}, false), Data(900, kT0),
        Status(kT0, true, true, true, 100), Status(kT0 + kSecond, true, false, true, 300)}},
      {"the transaction's end is acked once durable, not the keepalive's walEnd below it",
       {Restore(100), Start(100), Keepalive({.wal_end = 300}, false), Data(900, kT0), Open(), Stage(950),
        Status(kT0, true, false, true, 100), Durable(950, 950), Status(kT0, true, false, true, 950)}},
  };
  for (const Case& c : cases) RunCase(c);
}

TEST(StreamCursorTest, AckNeverGoesBackwards) {
  const Case cases[] = {
      {"an older keepalive after a newer one",
       {Restore(100), Start(100), Keepalive({.wal_end = 800}, false), Keepalive({.wal_end = 400}, false),
        Status(kT0, true, false, true, 800)}},
      {"a durable commit below an acked keepalive walEnd",
       {Restore(500), Start(500), Keepalive({.wal_end = 800}, false), Status(kT0, true, false, true, 800), Open(),
        Stage(600), Durable(600, 800), Status(kT0, true, false, true, 800)}},
      {"a restart of the stream below the ack",
       {Restore(500), Start(500), Keepalive({.wal_end = 800}, false), Status(kT0, true, false, true, 800), Start(800)}},
  };
  for (const Case& c : cases) RunCase(c);
}

TEST(StreamCursorTest, SkipsTransactionsAlreadyApplied) {
  const Case cases[] = {
      // After a restart (or the server's own crash: confirmed_flush is saved
      // only at checkpoints) the server resends transactions at or below the
      // durable position; applying them again would fire alerts twice.
      {"at or below the durable position after a restart",
       {Restore(1000), Start(1000), Applied(900, true), Applied(1000, true), Applied(1001, false)}},
      {"at or below the staged position",
       {Restore(1000), Open(), Stage(1200), Applied(1100, true), Applied(1200, true), Applied(1300, false)}},
      {"after the commit",
       {Restore(1000), Open(), Stage(1200), Durable(1200, 1200), Applied(1200, true), Applied(1201, false)}},
  };
  for (const Case& c : cases) RunCase(c);
}

TEST(StreamCursorTest, KeepaliveMovesTheClockOnlyWhenNothingOlderCanFollow) {
  const Micros clock = kT0 - 5 * kSecond;  // the engine's WAL clock
  const Micros later = kT0 + 3 * kSecond;  // a server send time after it
  const Case cases[] = {
      {"an unsolicited keepalive past the backlog moves it",
       {Restore(100), Connect(500), Start(100),
        Keepalive({.wal_end = 500, .send_time = later, .wal_clock = clock}, true)}},
      // The walsender is still sending the backlog below the position seen
      // at connect: a commit older than this "now" may still arrive.
      {"the backlog at connect: a keepalive below the server position does not",
       {Restore(100), Connect(5000), Start(100),
        Keepalive({.wal_end = 4999, .send_time = later, .wal_clock = clock}, false),
        Keepalive({.wal_end = 5000, .send_time = later, .wal_clock = clock}, true)}},
      {"inside a transaction it does not",
       {Restore(100), Start(100),
        Keepalive({.wal_end = 500, .send_time = later, .wal_clock = clock, .half_read = true}, false)}},
      // A reply to our idle request may overtake the data of a long
      // transaction; it carries "now" while that transaction's commit is older.
      {"a reply to our request during a long transaction does not",
       {Restore(100), Start(100), Data(300, kT0),
        Keepalive({.wal_end = 300,
                   .send_time = later,
                   .at = kT0 + 5 * kSecond,
                   .wal_clock = clock,
                   .reply = true,
                   .half_read = true},
                  false)}},
      {"a reply to our request within a second of data does not",
       {Restore(100), Start(100), Data(300, kT0),
        Keepalive({.wal_end = 300, .send_time = later, .at = kT0 + kSecond - 1, .wal_clock = clock, .reply = true},
                  false),
        Keepalive({.wal_end = 300, .send_time = later, .at = kT0 + kSecond, .wal_clock = clock, .reply = true}, true)}},
      {"an unsolicited one right after data does",
       {Restore(100), Start(100), Data(300, kT0),
        Keepalive({.wal_end = 300, .send_time = later, .at = kT0, .wal_clock = clock}, true)}},
      {"never backwards, nor to the same time",
       {Restore(100), Start(100), Keepalive({.wal_end = 500, .send_time = clock - 1, .wal_clock = clock}, false),
        Keepalive({.wal_end = 500, .send_time = clock, .wal_clock = clock}, false),
        Keepalive({.wal_end = 500, .send_time = clock + 1, .wal_clock = clock}, true)}},
  };
  for (const Case& c : cases) RunCase(c);
}

TEST(StreamCursorTest, StatusGoesOutOnTheIntervalOrWhenForced) {
  const Case cases[] = {
      // The server disconnects a client that does not answer a reply request.
      {"a requested reply is forced within the interval",
       {Restore(100), Start(100), Status(kT0, false, false, true, 100), Status(kT0 + kSecond, false, false, false, 100),
        Keepalive({.wal_end = 400, .at = kT0 + kSecond, .reply = true}, false),
        Status(kT0 + kSecond, true, false, true, 400)}},
      {"unforced, once per interval",
       {Restore(100), Start(100), Status(kT0, false, false, true, 100),
        Status(kT0 + kStatusInterval - 1, false, false, false, 100),
        Status(kT0 + kStatusInterval, false, false, true, 100)}},
  };
  for (const Case& c : cases) RunCase(c);
}

TEST(StreamCursorTest, AsksForAKeepaliveWhenIdleOncePerSecond) {
  const Case cases[] = {
      {"idle after a quiet second, then once a second",
       {Restore(100), Start(100), Data(300, kT0), Idle(kT0 + kSecond - 1, false, false),
        Idle(kT0 + kSecond, false, true), Idle(kT0 + kSecond + kSecond / 2, false, false),
        Idle(kT0 + 2 * kSecond, false, true)}},
      {"not while half read", {Restore(100), Start(100), Data(300, kT0), Idle(kT0 + 5 * kSecond, true, false)}},
      {"not while staged",
       {Restore(100), Start(100), Data(300, kT0), Open(), Stage(300), Idle(kT0 + 5 * kSecond, false, false),
        Durable(300, 300), Idle(kT0 + 5 * kSecond, false, true)}},
  };
  for (const Case& c : cases) RunCase(c);
}

}  // namespace
}  // namespace walguard
