// Stable, platform-independent hashing for ids that must survive restarts
// (alert_id, command_id). Never std::hash: its values are not specified.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace walguard {

// 64-bit FNV-1a.
uint64_t Fnv1a64(std::string_view data, uint64_t seed = 0xcbf29ce484222325ULL);

// A 128-bit id formatted as a lower-case RFC 4122 style UUID (version 8, "custom"),
// derived deterministically from `data`.
std::string StableUuid(std::string_view data);

}  // namespace walguard
