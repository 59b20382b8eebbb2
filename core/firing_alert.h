// One entry of the firing set: an alert that fired and has not resolved.
#pragma once

#include <string>

namespace walguard {

struct FiringAlert {
  std::string fingerprint;  // "<type>:<entity kind>:<entity id>"
  std::string alert_id;
};

}  // namespace walguard
