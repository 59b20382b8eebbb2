// Reading the values of an alert's `context` (CONTRACT 3.1) from the stored
// row images: what the on-call engineer needs to act without another query.
//
// Every value is optional: a column or table the database lacks (they are
// optional in monitored_tables.h), a null, or a row walguard has not seen
// reads as nullopt and is written as null. Values come from the state at the
// step, so a replay gives the same context as the live run.
//
// ContextOf (declared with each facts kind in ticketing_facts.h and
// reserve_facts.h) is defined in alert_context.cc.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/change.h"
#include "core/kv.h"
#include "processors/row_image.h"
#include "util/status.h"

namespace walguard {

// The cell's text; nullopt when null, absent or beyond the image.
std::optional<std::string> KnownText(const RowImage& image, int col);
// The cell as an integer; nullopt when unknown or not an integer.
std::optional<int64_t> KnownInt(const TableSpec& spec, const RowImage& image, int col);

// ticketing.events.title of the event; nullopt when unknown.
Status EventTitle(KvTxn* kv, std::string_view event_id, std::optional<std::string>* title);

// unit_id, check_in and check_out of the booking intent; nullopt when unknown.
Status IntentStay(KvTxn* kv, std::string_view intent_id, std::optional<std::string>* unit_id,
                  std::optional<std::string>* check_in, std::optional<std::string>* check_out);

}  // namespace walguard
