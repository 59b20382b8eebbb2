// The effective configuration as `walguard check-config` prints it: every
// setting, defaults filled in, as a TOML file that LoadConfigFile reads back
// to the same Config (masked values aside), with secrets masked.
//
// Secrets: Kafka properties whose name says they hold one (IsSecretProperty)
// are replaced by kMaskedValue. The Postgres conninfo is masked by the caller:
// what counts as a password there is what libpq's parser says
// (ingest/conninfo.h, RedactConninfo), and config/ does not link libpq.
#pragma once

#include <string>
#include <string_view>

#include "config/config.h"

namespace walguard {

inline constexpr char kMaskedValue[] = "********";

// postgres.conninfo as it may be shown: with its password removed, and
// whether one was there (the output then says so in a comment).
struct ShownConninfo {
  std::string text;
  bool password_removed = false;
};

// True for a librdkafka property that carries a secret or key material:
// a name containing password, secret, token or credential, a key or
// keystore given inline (ssl.key.pem, ssl_key), or a JAAS/OAuth config
// string. File locations (ssl.key.location) are paths, not secrets.
bool IsSecretProperty(std::string_view name);

// The TOML text of every setting of `config`, postgres.conninfo shown as
// `conninfo` and secret Kafka properties as kMaskedValue.
std::string RenderEffectiveConfig(const Config& config, const ShownConninfo& conninfo);

}  // namespace walguard
