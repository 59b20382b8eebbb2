// One entry of the firing set: an alert that fired and has not resolved,
// with the facts a state rebuilt by `walguard run --resnapshot` must keep to
// continue it as the old state would have (the hand-over: state/handover_file.h,
// the '~h' keys of core/key_layout.h, the archive's kSnapshotBegin record).
//
// In the state an alert is spread over three tags (core/key_layout.h):
//   'F' | fingerprint -> alert_id                 it fires
//   'G' | fingerprint -> ""                       it fired as historical (P4)
//   'E' | be64(deadline) | fingerprint -> base, alert_id, command args
//                                                 its command's next repeat
// ListFiringSet gathers them into FiringAlerts.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/kv.h"
#include "util/status.h"
#include "util/time.h"

namespace walguard {

// The next repeat of a firing alert's command (processors/command_repeats.h).
// Its number is not kept: repeat n is the one due at base + n * interval, so
// the next one's number follows from the WAL clock it fires at.
struct RepeatSchedule {
  Micros deadline = 0;  // WAL clock when the next repeat is due
  Micros base = 0;      // WAL clock when the alert fired
  std::string command_args;

  bool operator==(const RepeatSchedule&) const = default;
};

struct FiringAlert {
  std::string fingerprint;  // "<type>:<entity kind>:<entity id>"
  std::string alert_id;
  bool historical = false;  // went out as P4 "historical": true, so resolves so too
  std::optional<RepeatSchedule> repeat;

  bool operator==(const FiringAlert&) const = default;
};

// The facts beyond fingerprint and alert_id, in the encoding every hand-over
// carries: a flags byte (1: historical, 2: a repeat follows), then for a
// repeat varsint(deadline), varsint(base), length-prefixed command args.
void PutFiringFacts(const FiringAlert& alert, std::string* out);
// False when `in` does not start with whole facts; consumes them.
bool GetFiringFacts(std::string_view* in, FiringAlert* alert);

// The value of a repeat timer ('E'): what a repeat needs besides the
// alert's fingerprint (the key's tail).
struct RepeatTimerValue {
  Micros base = 0;
  std::string_view alert_id;
  std::string_view command_args;
};
std::string EncodeRepeatTimerValue(const RepeatTimerValue& value);
bool DecodeRepeatTimerValue(std::string_view in, RepeatTimerValue* value);

// The key of a repeat timer: 'E' | be64(deadline, sign-flipped) | fingerprint.
std::string RepeatTimerKey(Micros deadline, std::string_view fingerprint);

// True for a key of the three tags above: writing one changes the firing set
// a hand-over carries.
bool IsFiringSetKey(std::string_view key);

// Visits every key that starts with `prefix`, in order, until `visit` says
// false: over a KvTxn (ScanPrefix) or a database opened read-only.
using PrefixScan = std::function<Status(std::string_view prefix, const KvTxn::Visitor& visit)>;

// The firing set, in fingerprint order, each alert with its historical mark
// and its pending repeat. A repeat timer left by an alert that resolved (it
// is dropped when due, not when the alert resolves) belongs to no alert of
// the set: only a timer carrying the alert's own id is its repeat.
Status ListFiringSet(const PrefixScan& scan, std::vector<FiringAlert>* out);

}  // namespace walguard
