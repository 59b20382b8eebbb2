// Classifies wal2json's column types into TypeFamily (change.h).
//
// walguard asks for type oids, not names: wal2json 2.5 copies a name that
// format_type() returns quoted ("S"."T") into its output unescaped, which is
// invalid JSON, while an oid is always a plain number. Names are classified
// too, for streams recorded with include-types. Both run per column on the
// hot path and never allocate.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/change.h"

namespace walguard {

// The family of a built-in type oid; oids from 16384 up (and the negative
// ones wal2json prints for oids above 2^31) are kUserDefined.
TypeFamily TypeFamilyOfOid(int64_t oid);

// The family of a format_type() name such as "character varying(30)",
// "timestamp(3) with time zone" or "integer[]". Names it does not know are
// kUserDefined (a domain or an enum is printed by its own name).
TypeFamily TypeFamilyOfName(std::string_view name);

}  // namespace walguard
