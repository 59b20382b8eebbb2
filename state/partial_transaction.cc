#include "state/partial_transaction.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <memory>

#include "core/key_layout.h"
#include "state/state_batch_impl.h"
#include "state/state_store.h"
#include "util/coding.h"

namespace walguard {

namespace {

// Undo records restored per batch: bounds the memory of a rollback.
constexpr size_t kRestoreRound = 4096;

std::string PartialEnd() {
  std::string end(keys::kPartial);
  end.back() = static_cast<char>(end.back() + 1);
  return end;
}

}  // namespace

std::string EncodeUndo(bool present, std::string_view value) {
  std::string out(1, present ? 'v' : 'a');
  if (present) out.append(value);
  return out;
}

void UndoLogKv::Put(std::string_view key, std::string_view value) {
  Save(key);
  base_->Put(key, value);
}

void UndoLogKv::Delete(std::string_view key) {
  Save(key);
  base_->Delete(key);
}

void UndoLogKv::Save(std::string_view key) {
  if (key.starts_with(keys::kPartial)) return;
  if (recent_.contains(std::string(key))) return;
  undo_key_.assign(keys::kPartialUndo);
  undo_key_.append(key);
  Status saved = base_->Get(undo_key_, &old_);
  if (saved.IsNotFound()) {
    Status read = base_->Get(key, &old_);
    if (!read.ok() && !read.IsNotFound()) {
      if (status_.ok()) status_ = read;
      return;
    }
    base_->Put(undo_key_, EncodeUndo(read.ok(), old_));
  } else if (!saved.ok()) {
    if (status_.ok()) status_ = saved;
    return;
  }
  if (recent_.size() >= kMaxRecent) recent_.clear();
  recent_.emplace(key);
}

void StateBatch::BeginPartial(uint32_t xid) {
  const uint64_t first_seq = impl_->archive_first != 0 ? impl_->archive_first : impl_->store->next_archive_seq_;
  std::string header;
  PutVarint64(&header, xid);
  PutFixed64BE(&header, first_seq);
  Put(keys::kPartialHeader, header);
}

void StateBatch::EndPartial() {
  Delete(keys::kPartialHeader);
}

Status StateStore::DropPartial() {
  WG_RETURN_IF_ERROR(RefuseIfReadOnly("partial transaction drop"));
  WG_RETURN_IF_ERROR(RefuseIfClosed());
  rocksdb::WriteBatch batch;
  WG_RETURN_IF_ERROR(FromRocks(batch.DeleteRange(std::string(keys::kPartial), PartialEnd()), "partial drop"));
  return FromRocks(db_->Write(rocksdb::WriteOptions(), &batch), "partial drop");
}

// One batch of restored values, each with its undo record deleted.
Status StateStore::RestorePartialRound(size_t* restored) {
  *restored = 0;
  rocksdb::WriteBatch batch;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(TotalOrderRead()));
  const std::string prefix(keys::kPartialUndo);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix) && *restored < kRestoreRound; it->Next()) {
    const rocksdb::Slice key(it->key().data() + prefix.size(), it->key().size() - prefix.size());
    const rocksdb::Slice value = it->value();
    if (value.empty() || (value[0] != 'v' && value[0] != 'a')) {
      return Status::Corruption("undo record of a partial transaction is malformed");
    }
    rocksdb::Status s =
        value[0] == 'v' ? batch.Put(key, rocksdb::Slice(value.data() + 1, value.size() - 1)) : batch.Delete(key);
    WG_RETURN_IF_ERROR(FromRocks(s, "partial rollback"));
    WG_RETURN_IF_ERROR(FromRocks(batch.Delete(it->key()), "partial rollback"));
    ++*restored;
  }
  WG_RETURN_IF_ERROR(FromRocks(it->status(), "partial rollback scan"));
  if (*restored == 0) return Status::OK();
  BaseRewritten();  // the restored values may be of its keys
  return FromRocks(db_->Write(rocksdb::WriteOptions(), &batch), "partial rollback");
}

Status StateStore::RollBackPartial(uint32_t* xid) {
  if (xid != nullptr) *xid = 0;
  WG_RETURN_IF_ERROR(RefuseIfReadOnly("partial transaction rollback"));
  WG_RETURN_IF_ERROR(RefuseIfClosed());
  std::string header;
  rocksdb::Status got = db_->Get(rocksdb::ReadOptions(), std::string(keys::kPartialHeader), &header);
  if (got.IsNotFound()) {
    // Committed, or never begun: whatever is left under kPartial is garbage.
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(TotalOrderRead()));
    it->Seek(std::string(keys::kPartial));
    WG_RETURN_IF_ERROR(FromRocks(it->status(), "partial scan"));
    if (!it->Valid() || !it->key().starts_with(std::string(keys::kPartial))) return Status::OK();
    return DropPartial();
  }
  WG_RETURN_IF_ERROR(FromRocks(got, "partial header read"));
  std::string_view in(header);
  uint64_t open_xid = 0;
  uint64_t first_seq = 0;
  if (!GetVarint64(&in, &open_xid) || !GetFixed64BE(&in, &first_seq) || first_seq == 0) {
    return Status::Corruption("the header of a partial transaction is malformed");
  }
  // Each round deletes the undo records it restores, so the rounds end.
  for (size_t restored = kRestoreRound; restored == kRestoreRound;) {
    WG_RETURN_IF_ERROR(RestorePartialRound(&restored));
  }
  rocksdb::WriteBatch last;
  StageArchiveTruncate(first_seq, &last);
  WG_RETURN_IF_ERROR(FromRocks(last.DeleteRange(std::string(keys::kPartial), PartialEnd()), "partial rollback"));
  rocksdb::WriteOptions synced;
  synced.sync = true;
  WG_RETURN_IF_ERROR(FromRocks(db_->Write(synced, &last), "partial rollback"));
  if (xid != nullptr) *xid = static_cast<uint32_t>(open_xid);
  return LoadArchiveBuffer();
}

}  // namespace walguard
