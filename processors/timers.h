// The timer index: deadlines at which a row's derived state changes on the
// WAL clock alone (a hold expires, an order goes stale). Stored as keys
//   'T' | be64(deadline, sign-flipped) | table id | row key
// so due timers are a prefix scan in deadline order.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "core/kv.h"
#include "processors/monitored_tables.h"
#include "processors/row_image.h"
#include "util/time.h"

namespace walguard {

std::string TimerKey(Micros deadline, TableId table, std::string_view row_key);
void SetTimer(KvTxn* kv, Micros deadline, TableId table, std::string_view row_key);
void ClearTimer(KvTxn* kv, Micros deadline, TableId table, std::string_view row_key);

// Deletes every timer with after < deadline <= now and calls fire(table,
// row_key) for it, in deadline order.
//
// Timers are only ever set for deadlines later than the clock at that moment
// and the clock never goes back, so everything at or before `after` (the
// previous clock) was already fired and deleted: starting the scan there
// skips the tombstones of fired timers instead of walking them every time.
Status FireDueTimers(KvTxn* kv, Micros after, Micros now,
                     const std::function<Status(TableId, const std::string& row_key)>& fire);

// The clock a step from `after` towards `target` may reach while firing at
// most `max_due` row timers: *step = target when no more are due by then,
// else the moment before the first deadline past the bound. A step always
// moves: when more than `max_due` timers share the first due deadline, it
// stops at that deadline and fires them all. Lets a clock that catches up a
// long way (the end of a backlog) fire its timers over several bounded
// batches instead of one that grows with the jump.
Status BoundedClockStep(KvTxn* kv, Micros after, Micros target, size_t max_due, Micros* step);

// Keeps a row's timer in step with its accounting: sign -1 clears the timer
// the image records; sign +1 records and sets the new one, if any.
void UpdateRowTimer(KvTxn* kv, TableId table, std::string_view row_key, RowImage* image, int sign, bool has_deadline,
                    Micros deadline);

// The earliest pending deadline, or false when there is none.
bool NextTimer(KvTxn* kv, Micros* deadline);

// Repeat timers (command_repeats.h): the same index under its own tag,
//   'C' | be64(deadline, sign-flipped) | fingerprint -> payload
// for a deadline that belongs to a firing alert rather than to a row.
void SetRepeatTimer(KvTxn* kv, Micros deadline, std::string_view fingerprint, std::string_view payload);

// As FireDueTimers, for the repeat timers: deletes each due one and calls
// fire(fingerprint, payload), in deadline order.
Status FireDueRepeatTimers(
    KvTxn* kv, Micros after, Micros now,
    const std::function<Status(const std::string& fingerprint, const std::string& payload)>& fire);

}  // namespace walguard
