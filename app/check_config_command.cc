#include "app/check_config_command.h"

#include "config/config.h"
#include "config/effective_config.h"
#include "ingest/conninfo.h"

namespace walguard {

int CheckConfigCommand(const std::string& path, std::FILE* out, std::FILE* err) {
  Config config;
  Status s = LoadConfigFile(path, &config);
  if (s.ok()) s = ValidateForRun(config);
  if (!s.ok()) {
    std::fprintf(err, "walguard: %s: %s\n", path.c_str(), s.message().c_str());
    return 1;
  }
  const ShownConninfo conninfo{RedactConninfo(config.postgres.conninfo), ConninfoHasSecret(config.postgres.conninfo)};
  const std::string text = RenderEffectiveConfig(config, conninfo);
  std::fwrite(text.data(), 1, text.size(), out);
  return std::fflush(out) == 0 ? 0 : 1;
}

}  // namespace walguard
