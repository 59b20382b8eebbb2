// `walguard replay` (docs/reference.md section 5): rebuilds state from a
// record source (app/record_source.h) and runs the rules again, with no
// Postgres and no broker, writing every message the live run would have
// published as one JSON line:
//   {"topic":"walguard.alerts","key":"<fingerprint>","value":{...}}
// or publishing them to Kafka (--brokers). With --diff it runs the what-if
// thresholds and the baseline ones (by default those the live run recorded
// in the archive) side by side and prints the alert transitions that happen
// in one run and not in the other.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "app/record_source.h"
#include "config/config.h"
#include "core/output.h"
#include "util/lsn.h"
#include "util/status.h"
#include "util/time.h"

namespace walguard {

struct ReplayOptions {
  Thresholds thresholds;
  Lsn from_lsn = 0;       // messages of steps before it are not written (state is still rebuilt)
  Lsn until_lsn = 0;      // stop before the first step past it; 0: no limit
  Micros until_time = 0;  // stop before the first step whose time is past it; 0: no limit
};

struct ReplaySummary {
  SourceReport source;
  uint64_t changes = 0;   // rows of transactions and snapshots applied
  uint64_t messages = 0;  // handed to emit
  double seconds = 0;
};

using MessageEmitter = std::function<Status(const OutMessage& message)>;

// Replays `source` and hands every message of a step at or after from_lsn to
// `emit`, in the order the live run emitted them.
Status Replay(const RecordSource& source, const ReplayOptions& options, const MessageEmitter& emit,
              ReplaySummary* summary);

// An alert transition that happens in one run only.
struct AlertDifference {
  std::string run;  // "what-if" or "baseline"
  std::string fingerprint;
  std::string state;  // "firing" | "resolved"
  std::string lsn;
};

// Runs `what_if` and a baseline over one pass of `source` and lists the
// alert transitions (fingerprint, state, lsn) of one run missing from the
// other, by lsn. The baseline runs with `baseline` when given, else with the
// thresholds the archive recorded at each point (the defaults before the
// first record of them: an archive of an earlier walguard, or --input).
Status ReplayDiff(const RecordSource& source, const ReplayOptions& what_if, const std::optional<Thresholds>& baseline,
                  std::vector<AlertDifference>* differences, ReplaySummary* summary);

// One output line (without the newline) for `message`.
std::string ReplayLine(const OutMessage& message, const KafkaConfig& topics);

// The changes/s summary written to stderr.
std::string SummaryLine(const ReplaySummary& summary);

struct ReplayCommandOptions {
  std::string archive;  // one of archive and input
  std::string input;
  std::string out = "-";
  std::string brokers;       // --brokers: publish to this Kafka cluster instead of writing lines
  std::string topic_prefix;  // with brokers: published under prefixed topic names
  bool diff = false;
  ReplayOptions replay;
  std::optional<Thresholds> baseline;  // for diff (--baseline-config); absent: the recorded thresholds
};

// `walguard replay`: 0 when done, 1 for bad input (unreadable file, empty
// archive), 2 when the archive was too damaged to replay anything or the
// scratch state or Kafka failed. `config` gives the topic names and the
// Kafka client properties (kafka.brokers is not used: only --brokers publishes).
// SIGINT/SIGTERM (*stop) end it cleanly, with exit 0 and a note that the
// output is incomplete.
int ReplayCommand(const ReplayCommandOptions& options, const Config& config, const std::atomic<bool>* stop);

// The exit code of a failed replay or inspect (see ReplayCommand).
int ExitCodeOf(const Status& status);

// The source the options name: --archive or --input, interruptible by *stop.
RecordSource SourceOf(const std::string& archive, const std::string& input, const std::atomic<bool>* stop,
                      std::FILE* notes);

}  // namespace walguard
