// SqlTemplate: the SQL a command type runs, with named arguments.
//
// "SELECT public.cleanup_expired_ticket_holds($event_id, $dry_run)" becomes
// "... ($1, $2)" with the names [event_id, dry_run]; the values are bound as
// libpq parameters at run time, never spliced into the text, so a command's
// args cannot inject SQL. Postgres infers each parameter's type from the
// function's signature.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace walguard {

struct SqlTemplate {
  std::string text;                // with $1..$N
  std::vector<std::string> names;  // names[i] is $i+1; each name once
};

// A name is $ followed by [a-z_][a-z0-9_]*. Text inside single quotes and a
// $ followed by anything else ($1, $$) are left as they are.
// InvalidArgument when `sql` names no $dry_run.
Status ParseSqlTemplate(std::string_view sql, SqlTemplate* out);

// The parameter values for one run: each name from `args`, "true"/"false"
// for dry_run. InvalidArgument naming the first argument the command lacks.
Status BindSqlTemplate(const SqlTemplate& t, const std::map<std::string, std::string, std::less<>>& args, bool dry_run,
                       std::vector<std::string>* values);

}  // namespace walguard
