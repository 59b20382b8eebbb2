#include "worker/sql_template.h"

#include <algorithm>

namespace walguard {

namespace {

bool NameStart(char c) {
  return (c >= 'a' && c <= 'z') || c == '_';
}
bool NameChar(char c) {
  return NameStart(c) || (c >= '0' && c <= '9');
}

}  // namespace

Status ParseSqlTemplate(std::string_view sql, SqlTemplate* out) {
  *out = SqlTemplate();
  bool quoted = false;
  for (size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (c == '\'') quoted = !quoted;
    if (!quoted && c == '$' && i + 1 < sql.size() && sql[i + 1] == '$') {  // $$: a dollar quote, not a name
      out->text += "$$";
      ++i;
      continue;
    }
    if (quoted || c != '$' || i + 1 >= sql.size() || !NameStart(sql[i + 1])) {
      out->text.push_back(c);
      continue;
    }
    size_t end = i + 1;
    while (end < sql.size() && NameChar(sql[end])) ++end;
    std::string name(sql.substr(i + 1, end - i - 1));
    auto it = std::find(out->names.begin(), out->names.end(), name);
    size_t index = static_cast<size_t>(it - out->names.begin());
    if (it == out->names.end()) out->names.push_back(name);
    out->text += "$" + std::to_string(index + 1);
    i = end - 1;
  }
  if (std::find(out->names.begin(), out->names.end(), "dry_run") == out->names.end()) {
    return Status::InvalidArgument("SQL \"" + std::string(sql) + "\" does not pass $dry_run");
  }
  return Status::OK();
}

Status BindSqlTemplate(const SqlTemplate& t, const std::map<std::string, std::string, std::less<>>& args, bool dry_run,
                       std::vector<std::string>* values) {
  values->clear();
  for (const std::string& name : t.names) {
    if (name == "dry_run") {
      values->push_back(dry_run ? "true" : "false");
      continue;
    }
    auto it = args.find(name);
    if (it == args.end()) return Status::InvalidArgument("the command has no argument " + name);
    values->push_back(it->second);
  }
  return Status::OK();
}

}  // namespace walguard
