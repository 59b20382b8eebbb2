// Connection strings: what walguard adds to the user's libpq conninfo, and
// how it keeps passwords out of logs and errors. Both "key=value" strings and
// postgres:// URIs are handled, and read by libpq's own parser
// (PQconninfoParse): what libpq would connect with is what is redacted.
#pragma once

#include <string>
#include <string_view>

namespace walguard {

// wal2json and row_to_json write values with the session's output functions:
// every GUC that changes their text is pinned, on the replication and the
// snapshot connection alike. So are the timeouts a database or role default
// may set: they would cancel the slot lookup or a long snapshot read, or end
// the replication session idling in the transaction that holds the exported
// snapshot.
inline constexpr char kPinnedOptions[] =
    "-c DateStyle=ISO -c TimeZone=UTC -c IntervalStyle=postgres -c extra_float_digits=3 -c bytea_output=hex "
    "-c statement_timeout=0 -c idle_in_transaction_session_timeout=0";

// Adds key=value. For "options" the value is appended to the user's own
// options (the added -c switches come later and win).
std::string AddConnOption(const std::string& conninfo, std::string_view key, std::string_view value);

// The conninfo with any password removed, for logs and errors: libpq's parse
// written back in the same form (values quoted or %-encoded as needed, keys in
// the user's order). A string libpq refuses is redacted conservatively by hand.
std::string RedactConninfo(const std::string& conninfo);

// True when the conninfo carries a password or sslpassword (keyword, URI
// userinfo or URI parameter), or a tail too malformed to tell.
bool ConninfoHasSecret(const std::string& conninfo);

// The password the conninfo carries, or "" (to scrub it from libpq's errors).
std::string ConninfoPassword(const std::string& conninfo);

// `text` with every occurrence of `secret` replaced by "***".
std::string ScrubSecret(std::string text, const std::string& secret);

// libpq's multi-line "ERROR:  ...\nDETAIL:  ..." as one line with single spaces.
std::string OneLine(const char* text);

}  // namespace walguard
