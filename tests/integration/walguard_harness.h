// End-to-end harness: a `walguard broker` and a `walguard run` as child
// processes (the real binary), against a fresh database on the shared
// cluster, with a real Kafka consumer reading what walguard published.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/topic_reader.h"
#include "util/status.h"

namespace walguard::testing {

// One alert or command message, as a consumer sees it.
struct Published {
  std::string topic;
  std::string key;
  std::string payload;
  // Alerts
  std::string alert_id, fingerprint, type, state, entity_kind, entity_id, event_id, commit_time, detected_at;
  std::string lsn;  // alerts and commands: the step that produced it
  // Commands
  std::string command_id, command_type, caused_by, args;
  std::string details;  // raw JSON object
  // Dead letters
  std::string reason;
};

class WalguardHarness {
 public:
  // Creates a fresh database (named after the test), loads the ticketing
  // and reserve schemas and starts an embedded broker.
  Status SetUp();
  // The same on an existing database of the shared cluster (kCronDatabase,
  // where pg_cron writes), created outside the test.
  Status SetUpIn(const std::string& db);
  // Instead of SetUp: attaches to `primary`'s database (no new database, no
  // DDL) with its own slot "<primary's slot>_<name>", work directory and
  // embedded broker, so both read the same WAL independently (the crash
  // test's uninterrupted reference beside the one it kills).
  Status Attach(const WalguardHarness& primary, const std::string& name);
  ~WalguardHarness();

  // Starts `walguard run` (as the least-privileged role); waits until it is
  // streaming. Extra TOML lines are appended to its config file.
  Status StartWalguard(const std::string& extra_config = "");
  // Starts `walguard run` with extra command-line flags (e.g. --resnapshot)
  // and returns at once: follow with WaitStreaming or WaitWalguardExit.
  Status LaunchWalguard(const std::vector<std::string>& flags, const std::string& extra_config = "");
  // Waits until the current start logs that it is streaming (then opens the
  // reader if needed); IOError with the log when walguard exits first.
  Status WaitStreaming(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Waits for walguard to exit on its own; returns its exit code (-1 when it
  // is still running after `timeout`, then it is killed).
  int WaitWalguardExit(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // SIGTERM and wait: a clean stop. Returns the exit code.
  int StopWalguard();
  // SIGKILL: a crash at an arbitrary point.
  void KillWalguard();
  // Sends a signal to the running walguard (SIGSTOP/SIGCONT, ...).
  void SignalWalguard(int sig);
  // The running walguard's pid (for /proc/PID/status); -1 when none runs.
  int WalguardPid() const;
  // Sends a signal to the embedded broker (SIGUSR1: outage, SIGUSR2: back).
  void SignalBroker(int signo);

  Status Sql(const std::string& sql, std::string* first_value = nullptr);

  // Polls the topics until `count` messages match; returns them (all matches).
  std::vector<Published> WaitFor(const std::string& type, const std::string& state, size_t count,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Everything consumed so far (after polling for `settle`).
  std::vector<Published> All(std::chrono::milliseconds settle = std::chrono::milliseconds(500));

  // Waits until walguard has processed and published everything committed
  // before the call: its slot's confirmed_flush_lsn reaches the current WAL
  // position (walguard confirms only what is durable in its state), then the
  // topics are polled until nothing new arrives for `quiet`. Callers stop
  // writing first. Fails when walguard makes no progress for `timeout`.
  Status CatchUp(std::chrono::milliseconds timeout = std::chrono::seconds(60),
                 std::chrono::milliseconds quiet = std::chrono::seconds(1));
  // The alerts firing now according to the alerts topic, by fingerprint:
  // per fingerprint the last message wins (Kafka keeps the order per key).
  std::map<std::string, Published> FiringSet() const;

  // Runs `walguard replay` on the archive of this walguard's state directory
  // with the same config file (stop walguard first: the archive's tail is
  // sealed at a clean stop), and returns what it would have published.
  Status Replay(std::vector<Published>* out, const std::vector<std::string>& extra_flags = {});
  // The same from any source (`--archive DIR` or `--input FILE`, plus other
  // flags); *notes gets what replay wrote on stderr (may be null).
  Status ReplayFrom(const std::vector<std::string>& flags, std::vector<Published>* out, std::string* notes);
  // Runs `walguard <args...>` to its end: its stdout and stderr, and its exit
  // code as the Status's message when it is not 0.
  Status RunCommand(const std::vector<std::string>& args, std::string* out, std::string* err);

  // Where this walguard keeps its state (the archive is <state_dir>/archive)
  // and the config file it was started with.
  std::string state_dir() const { return work_dir_ + "/state"; }
  std::string config_path() const { return work_dir_ + "/walguard.toml"; }
  const std::string& work_dir() const { return work_dir_; }

  // The replication slot walguard runs on (and CatchUp watches).
  std::string slot() const;
  // Drops the slot once no walsender holds it (call after stopping or
  // killing walguard): a slot left behind pins WAL on the shared cluster.
  Status DropSlot(std::chrono::milliseconds timeout = std::chrono::seconds(15));

  const std::string& db() const { return db_; }
  const std::string& brokers() const { return brokers_; }
  std::string WalguardLog() const;
  // The log of the current (last) start only.
  std::string WalguardLogSinceStart() const;

 private:
  Status StartBroker();
  Status OpenReader();
  void Collect();

  std::string db_;
  std::string work_dir_;
  std::string brokers_;
  std::string slot_;  // empty: "wg_" + db_
  std::unique_ptr<ChildProcess> broker_;
  std::unique_ptr<ChildProcess> walguard_;
  std::unique_ptr<TopicReader> reader_;
  std::vector<Published> published_;
  size_t parsed_ = 0;
  int starts_ = 0;
};

// The ids alerts of one fingerprint fired with, in order of appearance.
std::map<std::string, std::vector<std::string>> FiringIdsByFingerprint(const std::vector<Published>& all);

// detected_at - commit_time in microseconds for each alert.
std::vector<int64_t> CommitToAlertLatencies(const std::vector<Published>& all);

}  // namespace walguard::testing
