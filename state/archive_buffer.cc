// The archive buffer of StateStore (keys::kArchiveBuffer): processing steps
// recorded in the same atomic batch as their effects, until the archiver
// (app/archiver.h) seals them into a segment.
#include <rocksdb/db.h>

#include <algorithm>
#include <cassert>
#include <memory>

#include "core/key_layout.h"
#include "state/state_batch_impl.h"
#include "state/state_store.h"
#include "util/coding.h"

namespace walguard {

namespace {

constexpr std::string_view kBufferPrefix = keys::kArchiveBuffer;
constexpr size_t kEntryHeaderBytes = 16;  // be64(lsn), be64(time)

std::string BufferKey(uint64_t seq) {
  std::string key(kBufferPrefix);
  PutFixed64BE(&key, seq);
  return key;
}

std::string SeqValue(uint64_t next) {
  std::string value;
  PutFixed64BE(&value, next);
  return value;
}

bool DecodeEntry(std::string_view key, std::string_view value, ArchiveBufferView* e) {
  key.remove_prefix(kBufferPrefix.size());
  uint64_t lsn = 0, time = 0;
  if (!GetFixed64BE(&key, &e->seq) || !GetFixed64BE(&value, &lsn) || !GetFixed64BE(&value, &time)) return false;
  e->lsn = lsn;
  e->time = static_cast<Micros>(time);
  e->bytes = value;
  return true;
}

}  // namespace

void StateBatch::AppendArchive(Lsn lsn, Micros time, std::string_view bytes) {
  Impl& b = *impl_;
  if (b.archive_first == 0) b.archive_first = b.archive_next = b.store->next_archive_seq_;
  std::string value;
  value.reserve(kEntryHeaderBytes + bytes.size());
  PutFixed64BE(&value, lsn);
  PutFixed64BE(&value, static_cast<uint64_t>(time));
  value.append(bytes);
  Put(BufferKey(b.archive_next++), value);
  b.archive_bytes += bytes.size();
}

Status StateStore::StageArchiveCounter(StateBatch::Impl* batch) {
  if (batch->archive_first == 0) return Status::OK();
  // Another batch committed archive records since this one took its first
  // seq: both would hold the same seqs.
  if (batch->archive_first != next_archive_seq_) {
    return Status::Corruption("archive seqs " + std::to_string(batch->archive_first) +
                              "... were taken by another batch (two batches recorded steps at once)");
  }
  batch->staged.Put(keys::kArchiveSeq, SeqValue(batch->archive_next));
  return Status::OK();
}

void StateStore::StageArchiveTruncate(uint64_t first_seq, rocksdb::WriteBatch* batch) {
  std::string end(kBufferPrefix);
  end.back() = static_cast<char>(end.back() + 1);
  rocksdb::Status ignored =
      batch->DeleteRange(BufferKey(first_seq), end);  // fails only for a batch with a default-less CF
  (void)ignored;
  batch->Put(std::string(keys::kArchiveSeq), SeqValue(first_seq));
}

Status StateStore::LoadArchiveBuffer() {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), std::string(keys::kArchiveSeq), &value);
  if (!s.IsNotFound()) {
    WG_RETURN_IF_ERROR(FromRocks(s, "read archive seq"));
    std::string_view in(value);
    if (!GetFixed64BE(&in, &next_archive_seq_) || next_archive_seq_ == 0) {
      return Status::Corruption("archive seq counter is malformed");
    }
  }
  // Counted like the outbox: an entry that does not decode is left to the
  // read that seals it, which reports it.
  archive_buffer_bytes_ = 0;
  uint64_t last_seq = 0;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(TotalOrderRead()));
  for (it->Seek(std::string(kBufferPrefix)); it->Valid() && it->key().starts_with(std::string(kBufferPrefix));
       it->Next()) {
    std::string_view key(it->key().data() + kBufferPrefix.size(), it->key().size() - kBufferPrefix.size());
    uint64_t seq = 0;
    if (GetFixed64BE(&key, &seq)) last_seq = std::max(last_seq, seq);
    archive_buffer_bytes_ += it->value().size() > kEntryHeaderBytes ? it->value().size() - kEntryHeaderBytes : 0;
  }
  WG_RETURN_IF_ERROR(FromRocks(it->status(), "archive buffer scan"));
  // The counter is written in the same batch as the records it numbers.
  if (last_seq >= next_archive_seq_) {
    return Status::Corruption("archive buffer holds seq " + std::to_string(last_seq) + " but the counter is at " +
                              std::to_string(next_archive_seq_));
  }
  return Status::OK();
}

Status StateStore::VisitArchiveBuffer(uint64_t after_seq, const std::function<bool(const ArchiveBufferView&)>& visit) {
  WG_RETURN_IF_ERROR(RefuseIfClosed());
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(TotalOrderRead()));
  for (it->Seek(BufferKey(after_seq + 1)); it->Valid(); it->Next()) {
    std::string_view key(it->key().data(), it->key().size());
    if (!key.starts_with(kBufferPrefix)) break;
    ArchiveBufferView e;
    if (!DecodeEntry(key, std::string_view(it->value().data(), it->value().size()), &e)) {
      return Status::Corruption("archive buffer entry is malformed");
    }
    if (!visit(e)) break;
  }
  return FromRocks(it->status(), "archive buffer read");
}

Status StateStore::ReadArchiveBuffer(uint64_t after_seq, uint64_t max_bytes, std::vector<ArchiveBufferEntry>* out) {
  uint64_t bytes = 0;
  return VisitArchiveBuffer(after_seq, [&](const ArchiveBufferView& e) {
    if (bytes > 0 && bytes + e.bytes.size() > max_bytes) return false;
    bytes += e.bytes.size();
    out->push_back({e.seq, e.lsn, e.time, std::string(e.bytes)});
    return bytes < max_bytes;
  });
}

Status StateStore::DeleteArchiveBuffer(uint64_t through_seq) {
  WG_RETURN_IF_ERROR(RefuseIfReadOnly("archive buffer delete"));
  uint64_t deleted_bytes = 0;
  WG_RETURN_IF_ERROR(VisitArchiveBuffer(0, [&](const ArchiveBufferView& e) {
    if (e.seq > through_seq) return false;
    deleted_bytes += e.bytes.size();
    return true;
  }));
  if (deleted_bytes == 0) return Status::OK();
  rocksdb::WriteBatch batch;
  WG_RETURN_IF_ERROR(
      FromRocks(batch.DeleteRange(db_->DefaultColumnFamily(), std::string(kBufferPrefix), BufferKey(through_seq + 1)),
                "archive buffer delete"));
  WG_RETURN_IF_ERROR(FromRocks(db_->Write(rocksdb::WriteOptions(), &batch), "archive buffer delete"));
  assert(deleted_bytes <= archive_buffer_bytes_);
  archive_buffer_bytes_ -= std::min(deleted_bytes, archive_buffer_bytes_);
  return Status::OK();
}

Status StateStore::SkipArchiveSeqs(uint64_t next) {
  WG_RETURN_IF_ERROR(RefuseIfReadOnly("archive seq skip"));
  if (next <= next_archive_seq_) return Status::OK();
  rocksdb::WriteOptions wo;
  wo.sync = true;
  BaseRewritten();
  WG_RETURN_IF_ERROR(FromRocks(db_->Put(wo, std::string(keys::kArchiveSeq), SeqValue(next)), "write archive seq"));
  next_archive_seq_ = next;
  return Status::OK();
}

}  // namespace walguard
