// Dead-letter records: input that could not be processed, published with the
// reason so nothing is dropped silently. Processing goes on after each.
#pragma once

#include <string_view>

#include "core/change.h"
#include "core/output.h"
#include "util/lsn.h"

namespace walguard {

// A change that was decoded but cannot be applied (missing column, bad value, unknown table).
OutMessage ChangeDeadLetter(std::string_view reason, const Change& change, uint32_t xid, Micros commit_time);

// A raw record that could not be decoded at all.
OutMessage RecordDeadLetter(std::string_view reason, Lsn lsn, std::string_view raw_record);

}  // namespace walguard
