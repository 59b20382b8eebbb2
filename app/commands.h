// The binary's subcommands. Each returns the process exit code.
#pragma once

#include <atomic>
#include <string>

#include "config/config.h"

namespace walguard {

// `walguard run`: 0 on a clean stop, 1 on an error (another walguard holds
// the state), 2 when it needs an operator (a Fatal status: wrong cluster,
// lost slot, a damaged state or one of another format).
// A bad command line exits 1 before any command runs (app/main.cc).
int RunCommand(const Config& config, bool resnapshot, const std::atomic<bool>* stop);

// `walguard run --verify`: opens the state, reads every checksum, and exits
// without connecting anywhere: 0 when whole, 2 when damaged, 1 otherwise.
int VerifyStateCommand(const Config& config, const std::atomic<bool>* stop);

struct BrokerCommandOptions {
  int brokers = 1;
  int partitions = 3;
};
// `walguard broker`: prints bootstrap=HOST:PORT, serves until stopped.
int BrokerCommand(const BrokerCommandOptions& options, const Config& config, const std::atomic<bool>* stop);

}  // namespace walguard
