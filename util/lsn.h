// Postgres log sequence numbers: 64-bit WAL positions written "X/Y" in hex.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace walguard {

using Lsn = uint64_t;

// "16/B374D848" -> 0x16B374D848. Returns false on malformed input.
bool ParseLsn(std::string_view text, Lsn* out);

// 0x16B374D848 -> "16/B374D848" (upper-case hex, as Postgres prints it).
std::string FormatLsn(Lsn lsn);

}  // namespace walguard
