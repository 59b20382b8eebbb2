#include "core/firing_alert.h"

#include <algorithm>
#include <cassert>

#include "core/key_layout.h"
#include "util/coding.h"

namespace walguard {

namespace {

constexpr uint8_t kHistoricalFlag = 1;
constexpr uint8_t kRepeatFlag = 2;
constexpr size_t kDeadlineEnd = 1 + 8;  // 'E' | be64(deadline)

uint64_t Flip(Micros t) {
  return static_cast<uint64_t>(t) ^ (uint64_t{1} << 63);
}

FiringAlert* Find(std::vector<FiringAlert>* sorted, std::string_view fingerprint) {
  auto it = std::lower_bound(sorted->begin(), sorted->end(), fingerprint,
                             [](const FiringAlert& a, std::string_view fp) { return a.fingerprint < fp; });
  return it != sorted->end() && it->fingerprint == fingerprint ? &*it : nullptr;
}

}  // namespace

void PutFiringFacts(const FiringAlert& alert, std::string* out) {
  const uint8_t flags = (alert.historical ? kHistoricalFlag : 0) | (alert.repeat ? kRepeatFlag : 0);
  out->push_back(static_cast<char>(flags));
  if (!alert.repeat) return;
  PutVarsint64(out, alert.repeat->deadline);
  PutVarsint64(out, alert.repeat->base);
  PutLengthPrefixed(out, alert.repeat->command_args);
}

bool GetFiringFacts(std::string_view* in, FiringAlert* alert) {
  if (in->empty()) return false;
  const auto flags = static_cast<uint8_t>(in->front());
  in->remove_prefix(1);
  if ((flags & ~(kHistoricalFlag | kRepeatFlag)) != 0) return false;
  alert->historical = (flags & kHistoricalFlag) != 0;
  alert->repeat.reset();
  if ((flags & kRepeatFlag) == 0) return true;
  RepeatSchedule r;
  std::string_view args;
  if (!GetVarsint64(in, &r.deadline) || !GetVarsint64(in, &r.base) || !GetLengthPrefixed(in, &args)) return false;
  r.command_args = std::string(args);
  alert->repeat = std::move(r);
  return true;
}

std::string EncodeRepeatTimerValue(const RepeatTimerValue& value) {
  std::string out;
  PutVarsint64(&out, value.base);
  PutLengthPrefixed(&out, value.alert_id);
  PutLengthPrefixed(&out, value.command_args);
  return out;
}

bool DecodeRepeatTimerValue(std::string_view in, RepeatTimerValue* value) {
  return GetVarsint64(&in, &value->base) && GetLengthPrefixed(&in, &value->alert_id) &&
         GetLengthPrefixed(&in, &value->command_args);
}

std::string RepeatTimerKey(Micros deadline, std::string_view fingerprint) {
  std::string key(1, keys::kRepeatTimer);
  PutFixed64BE(&key, Flip(deadline));
  key.append(fingerprint);
  return key;
}

bool IsFiringSetKey(std::string_view key) {
  return !key.empty() && (key[0] == keys::kFiring || key[0] == keys::kHistorical || key[0] == keys::kRepeatTimer);
}

Status ListFiringSet(const PrefixScan& scan, std::vector<FiringAlert>* out) {
  std::vector<FiringAlert> set;
  // What was read stays listed when a scan fails (a damaged database): an
  // alert without its facts is worth handing over all the same.
  Status s = scan(std::string(1, keys::kFiring), [&](std::string_view key, std::string_view value) {
    set.push_back({std::string(key.substr(1)), std::string(value)});
    return true;
  });
  assert(std::is_sorted(set.begin(), set.end(),
                        [](const FiringAlert& a, const FiringAlert& b) { return a.fingerprint < b.fingerprint; }));
  if (s.ok()) {
    s = scan(std::string(1, keys::kHistorical), [&](std::string_view key, std::string_view) {
      if (FiringAlert* a = Find(&set, key.substr(1))) a->historical = true;
      return true;
    });
  }
  // In deadline order: an alert's earliest timer with its id is its next repeat.
  if (s.ok()) {
    s = scan(std::string(1, keys::kRepeatTimer), [&](std::string_view key, std::string_view value) {
      std::string_view deadline_bytes = key.substr(1);
      uint64_t flipped = 0;
      RepeatTimerValue timer;
      if (key.size() < kDeadlineEnd || !GetFixed64BE(&deadline_bytes, &flipped) ||
          !DecodeRepeatTimerValue(value, &timer)) {
        return true;  // not a timer: the repeats would report it when due
      }
      FiringAlert* a = Find(&set, key.substr(kDeadlineEnd));
      if (a == nullptr || a->repeat || a->alert_id != timer.alert_id) return true;
      a->repeat = RepeatSchedule{static_cast<Micros>(flipped ^ (uint64_t{1} << 63)), timer.base,
                                 std::string(timer.command_args)};
      return true;
    });
  }
  out->insert(out->end(), std::make_move_iterator(set.begin()), std::make_move_iterator(set.end()));
  return s;
}

}  // namespace walguard
