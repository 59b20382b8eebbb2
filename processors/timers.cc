#include "processors/timers.h"

#include <cassert>
#include <utility>
#include <vector>

#include "core/firing_alert.h"
#include "core/key_layout.h"
#include "util/coding.h"

namespace walguard {

namespace {
constexpr char kTimerTag = keys::kTimer;
constexpr char kRepeatTag = keys::kRepeatTimer;
constexpr size_t kDeadlineEnd = 1 + 8;
constexpr size_t kHeader = kDeadlineEnd + 1;
// Timers handled per scan: bounds the memory of one round.
constexpr size_t kRoundSize = 1024;

uint64_t Flip(Micros t) {
  return static_cast<uint64_t>(t) ^ (1ULL << 63);
}

std::string DeadlineKey(char tag, Micros deadline) {
  std::string key(1, tag);
  PutFixed64BE(&key, Flip(deadline));
  return key;
}

// Deletes every key of `tag` with after < deadline <= now and calls
// fire(key, value) for it, in key (so deadline) order.
Status DrainDue(KvTxn* kv, char tag, Micros after, Micros now,
                const std::function<Status(std::string_view key, const std::string& value)>& fire) {
  if (now <= after) return Status::OK();
  std::string begin = DeadlineKey(tag, after + 1);
  const std::string end = DeadlineKey(tag, now + 1);
  std::vector<std::pair<std::string, std::string>> due;
  for (;;) {
    due.clear();
    WG_RETURN_IF_ERROR(kv->Scan(begin, end, [&](std::string_view key, std::string_view value) {
      due.emplace_back(std::string(key), std::string(value));
      return due.size() < kRoundSize;
    }));
    if (due.empty()) return Status::OK();
    for (const auto& [key, value] : due) {
      kv->Delete(key);
      WG_RETURN_IF_ERROR(fire(key, value));
    }
    // The next round starts after this one's last key (now deleted).
    begin = due.back().first;
    begin.push_back('\0');
  }
}
}  // namespace

std::string TimerKey(Micros deadline, TableId table, std::string_view row_key) {
  std::string key = DeadlineKey(kTimerTag, deadline);
  key.reserve(kHeader + row_key.size());
  key.push_back(static_cast<char>(table));
  key.append(row_key);
  return key;
}

void SetTimer(KvTxn* kv, Micros deadline, TableId table, std::string_view row_key) {
  kv->Put(TimerKey(deadline, table, row_key), "");
}

void ClearTimer(KvTxn* kv, Micros deadline, TableId table, std::string_view row_key) {
  kv->Delete(TimerKey(deadline, table, row_key));
}

Status FireDueTimers(KvTxn* kv, Micros after, Micros now,
                     const std::function<Status(TableId, const std::string& row_key)>& fire) {
  return DrainDue(kv, kTimerTag, after, now, [&](std::string_view key, const std::string&) {
    if (key.size() < kHeader) return Status::OK();  // not a timer key; cannot happen
    return fire(static_cast<TableId>(key[kDeadlineEnd]), std::string(key.substr(kHeader)));
  });
}

Status BoundedClockStep(KvTxn* kv, Micros after, Micros target, size_t max_due, Micros* step) {
  assert(max_due > 0);
  *step = target;
  if (target <= after) return Status::OK();
  Micros first = 0;
  size_t seen = 0;
  return kv->Scan(DeadlineKey(kTimerTag, after + 1), DeadlineKey(kTimerTag, target + 1),
                  [&](std::string_view key, std::string_view) {
                    std::string_view rest = key.substr(1);
                    uint64_t flipped = 0;
                    if (!GetFixed64BE(&rest, &flipped)) return true;  // not a timer key; cannot happen
                    const auto deadline = static_cast<Micros>(flipped ^ (1ULL << 63));
                    if (seen++ == 0) first = deadline;
                    if (seen <= max_due) return true;
                    // One more than a step may fire: the step ends before its
                    // deadline, unless all so far share the first one (a
                    // deadline's timers are never split).
                    *step = deadline == first ? first : deadline - 1;
                    return false;
                  });
}

void SetRepeatTimer(KvTxn* kv, Micros deadline, std::string_view fingerprint, std::string_view payload) {
  kv->Put(RepeatTimerKey(deadline, fingerprint), payload);
}

Status FireDueRepeatTimers(
    KvTxn* kv, Micros after, Micros now,
    const std::function<Status(const std::string& fingerprint, const std::string& payload)>& fire) {
  return DrainDue(kv, kRepeatTag, after, now, [&](std::string_view key, const std::string& value) {
    return fire(std::string(key.substr(kDeadlineEnd)), value);
  });
}

void UpdateRowTimer(KvTxn* kv, TableId table, std::string_view row_key, RowImage* image, int sign, bool has_deadline,
                    Micros deadline) {
  if (sign < 0) {
    if (image->has_timer) ClearTimer(kv, image->timer, table, row_key);
    return;
  }
  image->has_timer = has_deadline;
  image->timer = has_deadline ? deadline : 0;
  if (has_deadline) SetTimer(kv, deadline, table, row_key);
}

bool NextTimer(KvTxn* kv, Micros* deadline) {
  bool found = false;
  std::string begin(1, kTimerTag);
  std::string end(1, kTimerTag + 1);
  Status s = kv->Scan(begin, end, [&](std::string_view key, std::string_view) {
    std::string_view rest = key.substr(1);
    uint64_t flipped = 0;
    if (GetFixed64BE(&rest, &flipped)) {
      *deadline = static_cast<Micros>(flipped ^ (1ULL << 63));
      found = true;
    }
    return false;
  });
  return s.ok() && found;
}

}  // namespace walguard
