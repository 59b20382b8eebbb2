// Fixtures of the replay and inspect tests: a pg_recvlogical capture of a
// tier whose reserved_quantity drifts from its holds and is repaired, a
// snapshot as the archive records one, and small helpers.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "app/inspect_command.h"
#include "app/replay_command.h"
#include "core/archive_record.h"
#include "tests/support/temp_dir.h"
#include "util/time.h"

namespace walguard {

inline const std::string kEvent = "e0000000-0000-4000-8000-000000000001";
inline const std::string kTier = "71000000-0000-4000-8000-000000000001";
inline const std::string kHold = "40000000-0000-4000-8000-000000000001";
// 2026-11-21T16:00:00Z, the first commit.
inline constexpr Micros kT0 = 1'795'276'800LL * kMicrosPerSecond;

// wal2json format-version 2 with walguard's options (include-xids,
// include-timestamp, include-lsn, include-pk, include-type-oids), one object
// a line as `pg_recvlogical -f -` writes them (an UPDATE carries the whole
// row, as wal2json writes it). Commit 901 creates the tier
// (reserved 5) and its 5-ticket hold; 902 sets reserved to 9 (drift); a
// heartbeat message and a damaged line follow; 903 sets it back to 5.
inline const std::string kTierDriftWal =
    R"({"action":"B","xid":901,"timestamp":"2026-11-21 16:00:00+00","lsn":"0/1000000","nextlsn":"0/1000130"}
{"action":"I","xid":901,"timestamp":"2026-11-21 16:00:00+00","lsn":"0/1000010","schema":"ticketing","table":"ticket_tiers","columns":[{"name":"id","typeoid":2950,"value":"71000000-0000-4000-8000-000000000001"},{"name":"event_id","typeoid":2950,"value":"e0000000-0000-4000-8000-000000000001"},{"name":"quantity","typeoid":23,"value":100},{"name":"reserved_quantity","typeoid":23,"value":5},{"name":"issued_quantity","typeoid":23,"value":0},{"name":"status","typeoid":25,"value":"on_sale"}],"pk":[{"name":"id","typeoid":2950}]}
{"action":"I","xid":901,"timestamp":"2026-11-21 16:00:00+00","lsn":"0/1000080","schema":"ticketing","table":"ticket_holds","columns":[{"name":"id","typeoid":2950,"value":"40000000-0000-4000-8000-000000000001"},{"name":"tier_id","typeoid":2950,"value":"71000000-0000-4000-8000-000000000001"},{"name":"quantity","typeoid":23,"value":5},{"name":"status","typeoid":25,"value":"active"},{"name":"expires_at","typeoid":1184,"value":"2026-11-21 16:10:00+00"}],"pk":[{"name":"id","typeoid":2950}]}
{"action":"C","xid":901,"timestamp":"2026-11-21 16:00:00+00","lsn":"0/1000100","nextlsn":"0/1000130"}
{"action":"B","xid":902,"timestamp":"2026-11-21 16:01:00.000001+00","lsn":"0/2000000","nextlsn":"0/2000130"}
{"action":"U","xid":902,"timestamp":"2026-11-21 16:01:00.000001+00","lsn":"0/2000010","schema":"ticketing","table":"ticket_tiers","columns":[{"name":"id","typeoid":2950,"value":"71000000-0000-4000-8000-000000000001"},{"name":"event_id","typeoid":2950,"value":"e0000000-0000-4000-8000-000000000001"},{"name":"quantity","typeoid":23,"value":100},{"name":"reserved_quantity","typeoid":23,"value":9},{"name":"issued_quantity","typeoid":23,"value":0},{"name":"status","typeoid":25,"value":"on_sale"}],"identity":[{"name":"id","typeoid":2950,"value":"71000000-0000-4000-8000-000000000001"}],"pk":[{"name":"id","typeoid":2950}]}
{"action":"C","xid":902,"timestamp":"2026-11-21 16:01:00.000001+00","lsn":"0/2000100","nextlsn":"0/2000130"}
{"action":"M","xid":null,"timestamp":null,"lsn":"0/2000200","transactional":false,"prefix":"walguard_heartbeat","content":"2026-11-21 16:01:30+00"}
{"action":"X","xid":903,"lsn":"0/2000300"}
{"action":"B","xid":903,"timestamp":"2026-11-21 16:02:00+00","lsn":"0/3000000","nextlsn":"0/3000130"}
{"action":"U","xid":903,"timestamp":"2026-11-21 16:02:00+00","lsn":"0/3000010","schema":"ticketing","table":"ticket_tiers","columns":[{"name":"id","typeoid":2950,"value":"71000000-0000-4000-8000-000000000001"},{"name":"event_id","typeoid":2950,"value":"e0000000-0000-4000-8000-000000000001"},{"name":"quantity","typeoid":23,"value":100},{"name":"reserved_quantity","typeoid":23,"value":5},{"name":"issued_quantity","typeoid":23,"value":0},{"name":"status","typeoid":25,"value":"on_sale"}],"identity":[{"name":"id","typeoid":2950,"value":"71000000-0000-4000-8000-000000000001"}],"pk":[{"name":"id","typeoid":2950}]}
{"action":"C","xid":903,"timestamp":"2026-11-21 16:02:00+00","lsn":"0/3000100","nextlsn":"0/3000130"}
)";

// A directory removed at the end of the test.

// What a source says on its notes stream (stderr in the binary).
class Notes {
 public:
  Notes() : file_(std::tmpfile()) {}
  ~Notes() { std::fclose(file_); }
  Notes(const Notes&) = delete;
  Notes& operator=(const Notes&) = delete;

  std::FILE* file() const { return file_; }
  std::string Read() const {
    std::fflush(file_);
    std::rewind(file_);
    std::string text;
    char buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof(buf), file_)) > 0;) text.append(buf, n);
    return text;
  }

 private:
  std::FILE* file_;
};

inline MessageEmitter Collect(std::vector<OutMessage>* out) {
  return [out](const OutMessage& m) {
    out->push_back(m);
    return Status::OK();
  };
}

inline std::string AlertId(const OutMessage& m) {
  const std::string needle = R"("alert_id":")";
  const size_t at = m.payload.find(needle);
  if (at == std::string::npos) return "";
  const size_t begin = at + needle.size();
  return m.payload.substr(begin, m.payload.find('"', begin) - begin);
}

inline Datum Text(std::string name, std::string text, TypeFamily type = TypeFamily::kUnknown) {
  Datum d;
  d.name = std::move(name);
  d.text = std::move(text);
  d.type = type;
  return d;
}

inline Change SnapshotRow(std::string table, std::vector<Datum> columns) {
  Change c;
  c.action = Action::kInsert;
  c.schema = "ticketing";
  c.table = std::move(table);
  c.columns = std::move(columns);
  return c;
}

// The tier's whole row, with `reserved`, as the snapshot reads it.
inline Change TierRowChange(int reserved) {
  return SnapshotRow("ticket_tiers",
                     {Text("id", kTier), Text("event_id", kEvent), Text("quantity", "100"),
                      Text("reserved_quantity", std::to_string(reserved)), Text("issued_quantity", "0")});
}

// `c` as the one change of source transaction `xid`, committed at `lsn`.
inline Transaction OneChangeTransaction(Change c, Lsn lsn, Micros at, uint32_t xid) {
  c.lsn = lsn - 0x80;
  Transaction txn;
  txn.xid = xid;
  txn.begin_lsn = lsn - 0x100;
  txn.end_lsn = lsn;
  txn.commit_time = at;
  txn.changes.push_back(std::move(c));
  return txn;
}

// The tier's whole row with `reserved`, updated by source transaction `xid` at `lsn`.
inline Transaction TierUpdateTransaction(Lsn lsn, Micros at, int reserved, uint32_t xid) {
  Change c = TierRowChange(reserved);
  c.action = Action::kUpdate;
  c.identity = {Text("id", kTier)};
  return OneChangeTransaction(std::move(c), lsn, at, xid);
}

// A snapshot at `lsn` of the tier (reserved `reserved`) and its 5-ticket
// hold, replacing a state whose firing set was `handover`.
inline std::vector<ArchiveRecord> SnapshotRecords(Lsn lsn, int reserved, std::vector<FiringAlert> handover) {
  std::vector<ArchiveRecord> records(4);
  records[0].kind = ArchiveRecordKind::kSnapshotBegin;
  records[0].clock = kT0;
  records[0].lsn = lsn;
  records[0].handover = std::move(handover);
  records[1].kind = ArchiveRecordKind::kSnapshotRow;
  records[1].row = TierRowChange(reserved);
  records[2].kind = ArchiveRecordKind::kSnapshotRow;
  records[2].row =
      SnapshotRow("ticket_holds", {Text("id", kHold), Text("tier_id", kTier), Text("quantity", "5"),
                                   Text("status", "active"), Text("expires_at", "2026-11-21 16:10:00+00")});
  records[3].kind = ArchiveRecordKind::kSnapshotEnd;
  records[3].lsn = lsn;
  return records;
}

// Inspects tier kTier over `source`: its --json lines, or the failure.
inline Status InspectTierJson(const RecordSource& source, std::vector<std::string>* lines) {
  SourceReport report;
  return Inspect(
      source, Thresholds(), EntityKind::kTier, kTier, 0,
      [&](const InspectStep& step) {
        lines->push_back(InspectJson(step));
        return Status::OK();
      },
      &report);
}

}  // namespace walguard
