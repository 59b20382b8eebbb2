// Binary encoding helpers for keys and values in the state store, after
// LevelDB's util/coding.h. Fixed-width big-endian integers sort correctly as
// RocksDB keys; varints keep values small.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace walguard {

void PutFixed64BE(std::string* dst, uint64_t v);
bool GetFixed64BE(std::string_view* input, uint64_t* v);

void PutVarint64(std::string* dst, uint64_t v);
bool GetVarint64(std::string_view* input, uint64_t* v);

// Signed values, zig-zag encoded so small negatives stay small.
void PutVarsint64(std::string* dst, int64_t v);
bool GetVarsint64(std::string_view* input, int64_t* v);

// A varint length followed by the bytes.
void PutLengthPrefixed(std::string* dst, std::string_view s);
bool GetLengthPrefixed(std::string_view* input, std::string_view* s);

}  // namespace walguard
