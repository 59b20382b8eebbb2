#include "app/stream_cursor.h"

#include <algorithm>
#include <cassert>

namespace walguard {

void StreamCursor::Restore(Lsn durable) {
  assert(!staging_);
  durable_lsn_ = durable;
  staged_lsn_ = durable;
}

void StreamCursor::OnStreamStart() {
  ack_lsn_ = std::max(ack_lsn_, durable_lsn_);
}

void StreamCursor::OnData(const StreamMessage& msg, Micros now) {
  last_data_ = now;
  server_wal_end_ = std::max(server_wal_end_, msg.wal_end);
}

StreamCursor::KeepaliveVerdict StreamCursor::OnKeepalive(const StreamMessage& msg, Micros now, bool half_read,
                                                         Micros wal_clock) {
  server_wal_end_ = std::max(server_wal_end_, msg.wal_end);
  keepalive_wal_end_ = std::max(keepalive_wal_end_, msg.wal_end);
  // An unsolicited keepalive is sent when the walsender has caught up; a reply
  // to our request may come while a transaction's data is still on its way.
  const bool quiet = !msg.reply_requested || now - last_data_ >= kIdleClockInterval;
  const bool past_backlog = msg.wal_end >= connect_wal_end_;
  KeepaliveVerdict verdict;
  verdict.move_clock = !half_read && quiet && past_backlog && msg.send_time > wal_clock;
  verdict.reply_now = msg.reply_requested;
  return verdict;
}

void StreamCursor::OnBatchOpened() {
  assert(!staging_);
  staging_ = true;
  staged_lsn_ = durable_lsn_;
}

void StreamCursor::OnStaged(Lsn txn_end) {
  assert(staging_);
  assert(txn_end > applied_lsn());  // AlreadyApplied() filters the rest
  staged_lsn_ = txn_end;
}

void StreamCursor::OnDurable(Lsn durable) {
  assert(staging_);
  assert(durable == applied_lsn());
  staging_ = false;
  durable_lsn_ = durable;
  ack_lsn_ = std::max(ack_lsn_, durable_lsn_);
}

void StreamCursor::OnBatchDiscarded() {
  assert(staging_);
  staging_ = false;
  staged_lsn_ = durable_lsn_;
}

bool StreamCursor::IdleClockRequestDue(Micros now, bool half_read) {
  const bool idle = !staging_ && !half_read && now - last_data_ >= kIdleClockInterval;
  if (!idle || now - last_clock_request_ < kIdleClockInterval) return false;
  last_clock_request_ = now;
  return true;
}

bool StreamCursor::StatusDue(Micros now, bool force, bool half_read) {
  if (!staging_ && !half_read && keepalive_wal_end_ > ack_lsn_) ack_lsn_ = keepalive_wal_end_;
  if (!force && now - last_status_ < status_interval_) return false;
  last_status_ = now;
  return true;
}

}  // namespace walguard
