// `walguard check-config --config FILE`: loads the file with the config
// loader and the checks `walguard run` makes before it connects
// (ValidateForRun), then prints the effective settings, every key with
// defaults filled in and secrets masked (config/effective_config.h).
#pragma once

#include <cstdio>
#include <string>

namespace walguard {

// 0 and the settings on `out` when the file is valid; 1 and
// "walguard: <error naming the key>" on `err` when not.
int CheckConfigCommand(const std::string& path, std::FILE* out, std::FILE* err);

}  // namespace walguard
