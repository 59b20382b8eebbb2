#include "app/record_source.h"

#include <fstream>
#include <iostream>
#include <istream>
#include <utility>

#include "ingest/archive.h"
#include "ingest/archive_checkpoint.h"
#include "ingest/transaction_assembler.h"
#include "ingest/wal2json_decoder.h"
#include "util/lsn.h"
#include "util/time.h"

namespace walguard {

namespace {

// Why a segment read ended early, when it was not the segment's fault.
enum class SegmentEnd { kDone, kStopped, kVisitorFailed, kUndecodable };

void NoteHistoryStart(std::FILE* notes, Lsn lsn, SourceReport* report) {
  std::fprintf(notes, "history starts at LSN %s: state before it is unknown, figures may differ from the live run\n",
               FormatLsn(lsn).c_str());
  report->history_cut = true;
}

class ArchiveReader {
 public:
  ArchiveReader(std::FILE* notes, const RecordVisitor& visit, SourceReport* report)
      : notes_(notes), visit_(visit), report_(report) {}

  Status Read(const std::string& dir) {
    std::vector<SegmentInfo> segments;
    WG_RETURN_IF_ERROR(ListSegments(dir, &segments));
    if (segments.empty()) return Status::InvalidArgument("archive " + dir + " holds no segment");
    size_t first = 0;
    if (segments.front().first_seq != 1 && !StartsWithSnapshot(segments.front())) {
      std::vector<StateCheckpointInfo> checkpoints;
      WG_RETURN_IF_ERROR(ListStateCheckpoints(dir, &checkpoints));
      WG_RETURN_IF_ERROR(StartFromCheckpoint(segments, checkpoints, &first));
    }
    for (size_t i = first; i < segments.size() && !stopped_; ++i) {
      const SegmentInfo& segment = segments[i];
      if (expected_seq_ != segment.first_seq) {
        if (expected_seq_ != 1) {
          std::fprintf(notes_, "archive: records %llu..%llu are missing (retention or damage)\n",
                       static_cast<unsigned long long>(expected_seq_),
                       static_cast<unsigned long long>(segment.first_seq - 1));
        }
        check_start_ = true;
      }
      expected_seq_ = segment.last_seq + 1;
      WG_RETURN_IF_ERROR(ReadOne(segment));
    }
    if (report_->records == 0 && report_->damaged_segments > 0) {
      return Status::Corruption("no segment of archive " + dir + " could be read");
    }
    return Status::OK();
  }

 private:
  // Whether the segment's first step is a snapshot (a start point itself).
  static bool StartsWithSnapshot(const SegmentInfo& segment) {
    bool snapshot = false;
    Status s = ReadSegment(segment, [&](uint64_t, std::string_view bytes) -> Status {
      ArchiveRecord record;
      WG_RETURN_IF_ERROR(DecodeArchiveRecord(bytes, &record));
      if (record.kind == ArchiveRecordKind::kThresholds) return Status::OK();
      snapshot = record.kind == ArchiveRecordKind::kSnapshotBegin;
      return Status::NotFound("seen");  // ends the read
    });
    return snapshot && s.IsNotFound();
  }

  // Hands the first readable checkpoint at or after the first segment to the
  // visitor and sets *first to the segment to go on with. Nothing when none
  // is usable: the history then starts at the first segment, unknown before.
  Status StartFromCheckpoint(const std::vector<SegmentInfo>& segments,
                             const std::vector<StateCheckpointInfo>& checkpoints, size_t* first) {
    for (const StateCheckpointInfo& checkpoint : checkpoints) {
      if (checkpoint.next_seq < segments.front().first_seq) continue;  // what followed it is gone
      ArchiveRecord record;
      Status s = ReadStateCheckpoint(checkpoint, &record);
      if (s.code() == Status::Code::kCorruption) {
        std::fprintf(notes_, "archive: damaged state checkpoint skipped (LSN %s): %s\n",
                     FormatLsn(checkpoint.lsn).c_str(), s.ToString().c_str());
        ++report_->damaged_checkpoints;
        continue;
      }
      WG_RETURN_IF_ERROR(s);
      std::fprintf(notes_,
                   "history before LSN %s was removed by retention; starting from the state checkpoint at LSN %s, "
                   "commit time %s (its state was derived with the live run's thresholds: a what-if run applies its "
                   "own from there on, and timers already set keep their deadlines)\n",
                   FormatLsn(checkpoint.lsn).c_str(), FormatLsn(checkpoint.lsn).c_str(),
                   FormatTimestamp(checkpoint.time).c_str());
      report_->checkpoint_lsn = checkpoint.lsn;
      bool stop = false;
      WG_RETURN_IF_ERROR(visit_(record, &stop));
      if (stop) {
        stopped_ = true;
        return Status::OK();
      }
      ++report_->records;
      skip_before_ = checkpoint.next_seq;
      check_start_ = false;
      *first = 0;
      while (*first < segments.size() && segments[*first].last_seq < checkpoint.next_seq) ++*first;
      // A checkpoint inside a segment (not written so, but read so): its first records are skipped.
      const bool inside = *first < segments.size() && segments[*first].first_seq < checkpoint.next_seq;
      expected_seq_ = inside ? segments[*first].first_seq : checkpoint.next_seq;
      return Status::OK();
    }
    return Status::OK();
  }

  Status ReadOne(const SegmentInfo& segment) {
    SegmentEnd end = SegmentEnd::kDone;
    Status cause;
    Status s = ReadSegment(segment, [&](uint64_t seq, std::string_view bytes) -> Status {
      if (seq < skip_before_) return Status::OK();  // in the checkpoint already
      ArchiveRecord record;
      Status d = DecodeArchiveRecord(bytes, &record);
      if (!d.ok()) {
        end = SegmentEnd::kUndecodable;
        cause = d.WithContext("archive record " + std::to_string(seq) + " of " + segment.path);
        return cause;
      }
      // Thresholds come before a run's first step: the step says where history starts.
      if (check_start_ && record.kind != ArchiveRecordKind::kThresholds) {
        check_start_ = false;
        if (record.kind != ArchiveRecordKind::kSnapshotBegin) NoteHistoryStart(notes_, segment.first_lsn, report_);
      }
      bool stop = false;
      Status v = visit_(record, &stop);
      if (!v.ok()) {
        end = SegmentEnd::kVisitorFailed;
        cause = v;
        return v;
      }
      if (stop) {
        end = SegmentEnd::kStopped;
        return Status::NotFound("stopped");  // ends ReadSegment's loop; not an error
      }
      ++report_->records;
      return Status::OK();
    });
    switch (end) {
      case SegmentEnd::kStopped:
        stopped_ = true;
        return Status::OK();
      case SegmentEnd::kVisitorFailed:
      case SegmentEnd::kUndecodable:
        return cause;
      case SegmentEnd::kDone:
        break;
    }
    if (s.ok()) return Status::OK();
    // ReadSegment verifies the checksum before handing out a record, so a
    // damaged segment contributed nothing: skip it whole.
    std::fprintf(notes_, "archive: damaged segment skipped (records %llu..%llu, LSN %s..%s): %s\n",
                 static_cast<unsigned long long>(segment.first_seq), static_cast<unsigned long long>(segment.last_seq),
                 FormatLsn(segment.first_lsn).c_str(), FormatLsn(segment.last_lsn).c_str(), s.ToString().c_str());
    ++report_->damaged_segments;
    report_->history_cut = true;
    check_start_ = true;
    return Status::OK();
  }

  std::FILE* notes_;
  const RecordVisitor& visit_;
  SourceReport* report_;
  uint64_t expected_seq_ = 1;
  uint64_t skip_before_ = 0;  // records before it are in the checkpoint started from
  bool check_start_ = true;
  bool stopped_ = false;
};

// One pg_recvlogical line after another, through the decoder and the
// assembler, exactly as the live pipeline feeds them (app/pipeline.cc).
Status ReadInput(std::istream& in, const std::string& path, std::FILE* notes, const RecordVisitor& visit,
                 SourceReport* report) {
  Wal2JsonDecoder decoder;
  TransactionAssembler assembler;
  std::string line;
  uint64_t line_number = 0;
  Lsn applied = 0;
  bool said_empty = false;
  while (std::getline(in, line)) {
    ++line_number;
    if (line.empty()) continue;
    Record decoded;
    TransactionAssembler::Event event = TransactionAssembler::Event::kNone;
    Status s = decoder.Decode(line, &decoded);
    if (s.ok()) s = assembler.Add(std::move(decoded), &event);
    if (!s.ok()) {
      std::fprintf(notes, "%s:%llu: skipped: %s\n", path.c_str(), static_cast<unsigned long long>(line_number),
                   s.ToString().c_str());
      ++report->undecodable_lines;
      continue;
    }
    if (event != TransactionAssembler::Event::kTransaction) continue;
    ArchiveRecord record;
    record.kind = ArchiveRecordKind::kTransaction;
    record.txn = std::move(assembler.mutable_transaction());
    record.lsn = record.txn.end_lsn;
    // A stream restarted by pg_recvlogical may repeat what it already wrote.
    if (record.txn.end_lsn != 0 && record.txn.end_lsn <= applied) continue;
    applied = record.txn.end_lsn;
    if (!said_empty) {
      said_empty = true;
      NoteHistoryStart(notes, record.txn.begin_lsn, report);
      std::fprintf(notes, "%s: no snapshot in a pg_recvlogical stream: the state starts empty\n", path.c_str());
    }
    bool stop = false;
    WG_RETURN_IF_ERROR(visit(record, &stop));
    if (stop) break;
    ++report->records;
  }
  if (in.bad()) return Status::IOError("read " + path);
  return Status::OK();
}

}  // namespace

RecordSource ArchiveSource(std::string dir, std::FILE* notes) {
  return [dir = std::move(dir), notes](const RecordVisitor& visit, SourceReport* report) {
    ArchiveReader reader(notes, visit, report);
    return reader.Read(dir);
  };
}

RecordSource InputSource(std::string path, std::FILE* notes) {
  return [path = std::move(path), notes](const RecordVisitor& visit, SourceReport* report) -> Status {
    if (path == "-") return ReadInput(std::cin, "stdin", notes, visit, report);
    std::ifstream file(path);
    if (!file) return Status::InvalidArgument("cannot open " + path);
    return ReadInput(file, path, notes, visit, report);
  };
}

RecordSource MemorySource(std::vector<ArchiveRecord> records) {
  return [records = std::move(records)](const RecordVisitor& visit, SourceReport* report) -> Status {
    for (const ArchiveRecord& record : records) {
      bool stop = false;
      WG_RETURN_IF_ERROR(visit(record, &stop));
      if (stop) break;
      ++report->records;
    }
    return Status::OK();
  };
}

RecordSource Interruptible(RecordSource source, const std::atomic<bool>* stop, std::FILE* notes) {
  return [source = std::move(source), stop, notes](const RecordVisitor& visit, SourceReport* report) -> Status {
    Lsn last = 0;
    return source(
        [&](const ArchiveRecord& record, bool* end) -> Status {
          if (stop->load()) {
            std::fprintf(notes, "interrupted after LSN %s: the output is incomplete\n", FormatLsn(last).c_str());
            *end = true;
            return Status::OK();
          }
          if (record.Position() != 0) last = record.Position();
          return visit(record, end);
        },
        report);
  };
}

}  // namespace walguard
