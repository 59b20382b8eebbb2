// The command types walguard issues (CONTRACT.md section 3) and the SQL the
// worker runs for each by default: the functions of sql/runbook/install.sql.
#pragma once

#include <string_view>
#include <vector>

namespace walguard {

struct CommandTypeSpec {
  const char* type;
  const char* default_sql;  // a SqlTemplate (worker/sql_template.h)
};

const std::vector<CommandTypeSpec>& CommandTypes();
// nullptr for a type walguard does not issue.
const CommandTypeSpec* FindCommandType(std::string_view type);

}  // namespace walguard
