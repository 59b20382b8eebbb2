#include "processors/context_index.h"

#include "core/key_layout.h"
#include "util/coding.h"

namespace walguard {

namespace {

constexpr size_t kDateBytes = 4;

std::string Prefix(char tag, std::string_view id) {
  std::string key(1, tag);
  key.append(id);
  key.push_back('/');
  return key;
}

// Sign-flipped big-endian, so that negative values sort before positive ones.
void PutDate(std::string* out, int32_t date) {
  const uint32_t flipped = static_cast<uint32_t>(date) ^ 0x80000000u;
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>((flipped >> shift) & 0xff));
}

int32_t GetDate(std::string_view in) {
  uint32_t v = 0;
  for (size_t i = 0; i < kDateBytes; ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return static_cast<int32_t>(v ^ 0x80000000u);
}

}  // namespace

void SetStuckHold(KvTxn* kv, std::string_view tier, Micros expires_at, std::string_view hold, bool present) {
  std::string key = Prefix(keys::kStuckHoldIndex, tier);
  PutFixed64BE(&key, static_cast<uint64_t>(expires_at) ^ (1ULL << 63));
  key.append(hold);
  if (present)
    kv->Put(key, "");
  else
    kv->Delete(key);
}

Status OldestStuckExpiry(KvTxn* kv, std::string_view tier, bool* found, Micros* expires_at) {
  const std::string prefix = Prefix(keys::kStuckHoldIndex, tier);
  *found = false;
  Status parse;
  WG_RETURN_IF_ERROR(ScanPrefix(kv, prefix, [&](std::string_view key, std::string_view) {
    std::string_view rest = key.substr(prefix.size());
    uint64_t flipped = 0;
    if (!GetFixed64BE(&rest, &flipped)) {
      parse = Status::Corruption("stuck hold index entry");
      return false;
    }
    *found = true;
    *expires_at = static_cast<Micros>(flipped ^ (1ULL << 63));
    return false;  // the first is the oldest
  }));
  return parse;
}

void SetBooked(KvTxn* kv, std::string_view unit, int32_t check_in, int32_t check_out, std::string_view reservation,
               bool present) {
  std::string key = Prefix(keys::kBookedIndex, unit);
  PutDate(&key, check_in);
  key.append(reservation);
  if (!present) {
    kv->Delete(key);
    return;
  }
  std::string value;
  PutDate(&value, check_out);
  kv->Put(key, value);
}

Status ReservationsOn(KvTxn* kv, std::string_view unit, int32_t date, size_t limit, size_t scan_limit,
                      std::vector<std::string>* ids) {
  ids->clear();
  const std::string prefix = Prefix(keys::kBookedIndex, unit);
  std::string end = prefix;
  PutDate(&end, date + 1);  // check_in <= date
  size_t scanned = 0;
  Status parse;
  WG_RETURN_IF_ERROR(kv->Scan(prefix, end, [&](std::string_view key, std::string_view value) {
    if (key.size() < prefix.size() + kDateBytes || value.size() != kDateBytes) {
      parse = Status::Corruption("booked index entry");
      return false;
    }
    if (GetDate(value) > date) ids->emplace_back(key.substr(prefix.size() + kDateBytes));
    return ids->size() < limit && ++scanned < scan_limit;
  }));
  return parse;
}

}  // namespace walguard
