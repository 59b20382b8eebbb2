#include "core/change.h"

namespace walguard {

namespace {
const Datum* FindIn(const std::vector<Datum>& data, std::string_view name) {
  for (const Datum& d : data) {
    if (d.name == name) return &d;
  }
  return nullptr;
}
}  // namespace

const Datum* Change::FindColumn(std::string_view name) const {
  return FindIn(columns, name);
}
const Datum* Change::FindIdentity(std::string_view name) const {
  return FindIn(identity, name);
}

}  // namespace walguard
