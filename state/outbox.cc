// The outbox of StateStore (keys::kOutbox): messages committed in the same
// atomic batch as the state that emitted them, deleted once the sink reports
// their delivery (app/outlet.h). A crash between the two sends them again
// after the restart, unchanged (same seq, same alert id).
#include <rocksdb/db.h>

#include <algorithm>
#include <memory>

#include "core/key_layout.h"
#include "state/state_batch_impl.h"
#include "state/state_store.h"
#include "util/coding.h"

namespace walguard {

namespace {

constexpr std::string_view kOutboxPrefix = keys::kOutbox;

std::string OutboxKey(uint64_t seq) {
  std::string key(kOutboxPrefix);
  PutFixed64BE(&key, seq);
  return key;
}

bool DecodeOutbox(std::string_view key, std::string_view value, OutboxEntry* e) {
  key.remove_prefix(kOutboxPrefix.size());
  if (!GetFixed64BE(&key, &e->seq) || value.empty()) return false;
  e->topic = static_cast<Topic>(value[0]);
  value.remove_prefix(1);
  std::string_view k;
  if (!GetLengthPrefixed(&value, &k)) return false;
  e->key.assign(k);
  e->payload.assign(value);
  return true;
}

}  // namespace

void StateBatch::AppendOutbox(const std::vector<OutMessage>& messages, std::vector<OutboxEntry>* appended) {
  for (const OutMessage& m : messages) {
    // Seqs are taken from the store when appended, so two batches never share
    // one; a discarded batch only leaves a gap.
    uint64_t seq = impl_->store->next_seq_++;
    std::string value(1, static_cast<char>(m.topic));
    PutLengthPrefixed(&value, m.key);
    value.append(m.payload);
    Put(OutboxKey(seq), value);
    ++impl_->appended;
    if (appended != nullptr) appended->push_back({seq, m.topic, m.key, m.payload});
  }
}

Status StateStore::LoadOutbox() {
  // Count the outbox and continue after its last seq: a commit without a
  // checkpoint may have appended past the checkpoint's counter.
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(TotalOrderRead()));
  for (it->Seek(std::string(kOutboxPrefix)); it->Valid() && it->key().starts_with(std::string(kOutboxPrefix));
       it->Next()) {
    std::string_view key(it->key().data() + kOutboxPrefix.size(), it->key().size() - kOutboxPrefix.size());
    uint64_t seq = 0;
    if (GetFixed64BE(&key, &seq)) next_seq_ = std::max(next_seq_, seq + 1);
    ++outbox_count_;
  }
  return FromRocks(it->status(), "state outbox scan");
}

Status StateStore::ReadOutbox(uint64_t after_seq, size_t limit, std::vector<OutboxEntry>* out) {
  WG_RETURN_IF_ERROR(RefuseIfClosed());
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(TotalOrderRead()));
  for (it->Seek(OutboxKey(after_seq + 1)); it->Valid() && out->size() < limit; it->Next()) {
    std::string_view key(it->key().data(), it->key().size());
    if (!key.starts_with(kOutboxPrefix)) break;
    OutboxEntry e;
    if (!DecodeOutbox(key, std::string_view(it->value().data(), it->value().size()), &e)) {
      return Status::Corruption("outbox entry is malformed");
    }
    out->push_back(std::move(e));
  }
  return FromRocks(it->status(), "outbox read");
}

Status StateStore::DeleteOutbox(const std::vector<uint64_t>& seqs) {
  WG_RETURN_IF_ERROR(RefuseIfReadOnly("outbox delete"));
  // Deletes a full disk refused earlier are retried with these.
  std::vector<uint64_t> all = std::move(deferred_outbox_deletes_);
  deferred_outbox_deletes_.clear();
  all.insert(all.end(), seqs.begin(), seqs.end());
  if (all.empty()) return Status::OK();
  if (db_ == nullptr) {  // closed until there is room: deleted after the reopen
    deferred_outbox_deletes_ = std::move(all);
    return Status::OK();
  }
  rocksdb::WriteBatch batch;
  uint64_t present = 0;
  std::string ignored;
  for (uint64_t seq : all) {
    std::string key = OutboxKey(seq);
    // A seq may be reported twice (a redelivery): count only what is there.
    if (!db_->Get(rocksdb::ReadOptions(), key, &ignored).ok()) continue;
    batch.Delete(key);
    ++present;
  }
  Status s = FromRocks(db_->Write(rocksdb::WriteOptions(), &batch), "outbox delete");
  if (s.IsNoSpace()) {
    // Delivered messages wait in the outbox until there is room: at worst
    // they are delivered again after a restart, which consumers dedupe.
    deferred_outbox_deletes_ = std::move(all);
    return Status::OK();
  }
  WG_RETURN_IF_ERROR(s);
  outbox_count_ -= std::min<uint64_t>(outbox_count_, present);
  return Status::OK();
}

}  // namespace walguard
