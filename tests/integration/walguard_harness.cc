#include "tests/integration/walguard_harness.h"

#include <unistd.h>

#include <simdjson.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/integration/environment.h"
#include "util/time.h"

namespace walguard::testing {

namespace {

const char* const kTopics[] = {"walguard.alerts", "walguard.commands", "walguard.deadletter"};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Str(simdjson::ondemand::object& obj, const char* key) {
  std::string_view v;
  if (obj.find_field_unordered(key).get_string().get(v) != simdjson::SUCCESS) return "";
  return std::string(v);
}

std::string Raw(simdjson::ondemand::object& obj, const char* key) {
  simdjson::ondemand::value value;
  if (obj.find_field_unordered(key).get(value) != simdjson::SUCCESS) return "";
  std::string_view raw;
  if (simdjson::to_json_string(value).get(raw) != simdjson::SUCCESS) return "";
  return std::string(raw);
}

Published Parse(const ConsumedMessage& m) {
  Published p{m.topic, m.key, m.payload};
  simdjson::ondemand::parser parser;
  simdjson::padded_string json(m.payload);
  simdjson::ondemand::document doc;
  simdjson::ondemand::object obj;
  if (parser.iterate(json).get(doc) != simdjson::SUCCESS || doc.get_object().get(obj) != simdjson::SUCCESS) {
    return p;
  }
  p.alert_id = Str(obj, "alert_id");
  p.fingerprint = Str(obj, "fingerprint");
  p.type = Str(obj, "type");
  p.state = Str(obj, "state");
  p.event_id = Str(obj, "event_id");
  p.commit_time = Str(obj, "commit_time");
  p.detected_at = Str(obj, "detected_at");
  p.lsn = Str(obj, "lsn");
  p.details = Raw(obj, "details");
  p.command_id = Str(obj, "command_id");
  p.caused_by = Str(obj, "caused_by");
  p.args = Raw(obj, "args");
  p.reason = Str(obj, "reason");
  if (!p.command_id.empty()) p.command_type = p.type;
  simdjson::ondemand::object entity;
  if (obj.find_field_unordered("entity").get_object().get(entity) == simdjson::SUCCESS) {
    p.entity_kind = Str(entity, "kind");
    p.entity_id = Str(entity, "id");
  }
  return p;
}

}  // namespace

Status WalguardHarness::SetUp() {
  return SetUpIn(CreateTestDatabase());
}

Status WalguardHarness::SetUpIn(const std::string& db) {
  db_ = db;
  work_dir_ = "/tmp/walguard-it-" + db_ + "-" + std::to_string(getpid());
  std::filesystem::remove_all(work_dir_);
  std::filesystem::create_directories(work_dir_);
  WG_RETURN_IF_ERROR(Sql(ReadFile(std::string(WALGUARD_SOURCE_DIR) + "/sql/ticketing_schema.sql")));
  WG_RETURN_IF_ERROR(Sql(ReadFile(std::string(WALGUARD_SOURCE_DIR) + "/sql/reserve_schema.sql")));
  return StartBroker();
}

WalguardHarness::~WalguardHarness() {
  reader_.reset();
  walguard_.reset();
  broker_.reset();
  if (!::testing::Test::HasFailure()) std::filesystem::remove_all(work_dir_);
}

Status WalguardHarness::Sql(const std::string& sql, std::string* first_value) {
  return SharedCluster().Exec(db_, sql, first_value);
}

Status WalguardHarness::StartWalguard(const std::string& extra_config) {
  WG_RETURN_IF_ERROR(LaunchWalguard({}, extra_config));
  return WaitStreaming(std::chrono::seconds(30));
}

Status WalguardHarness::OpenReader() {
  reader_ = std::make_unique<TopicReader>();
  return reader_->Open(brokers_, {kTopics[0], kTopics[1], kTopics[2]});
}

int WalguardHarness::StopWalguard() {
  if (!walguard_) return -1;
  walguard_->Signal(SIGTERM);
  int code = walguard_->Wait(std::chrono::seconds(20));
  walguard_.reset();
  return code;
}

void WalguardHarness::KillWalguard() {
  if (!walguard_) return;
  walguard_->Signal(SIGKILL);
  walguard_->Wait(std::chrono::seconds(10));
  walguard_.reset();
}

void WalguardHarness::SignalBroker(int signo) {
  if (broker_) broker_->Signal(signo);
}

std::string WalguardHarness::WalguardLog() const {
  return ReadFile(work_dir_ + "/walguard.log");
}

void WalguardHarness::Collect() {
  const std::vector<ConsumedMessage>& msgs = reader_->messages();
  for (; parsed_ < msgs.size(); ++parsed_) published_.push_back(Parse(msgs[parsed_]));
}

std::vector<Published> WalguardHarness::WaitFor(const std::string& type, const std::string& state, size_t count,
                                                std::chrono::milliseconds timeout) {
  std::vector<Published> found;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (reader_) {
    reader_->PollFor(std::chrono::milliseconds(100));
    Collect();
    found.clear();
    for (const Published& p : published_) {
      if (p.type == type && (state.empty() || p.state == state)) found.push_back(p);
    }
    if (found.size() >= count || std::chrono::steady_clock::now() >= deadline) break;
  }
  return found;
}

std::vector<Published> WalguardHarness::All(std::chrono::milliseconds settle) {
  if (reader_) {
    reader_->PollFor(settle);
    Collect();
  }
  return published_;
}

Status WalguardHarness::CatchUp(std::chrono::milliseconds timeout, std::chrono::milliseconds quiet) {
  if (!reader_ || !walguard_) return Status::InvalidArgument("walguard is not running");
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string lsn;
  WG_RETURN_IF_ERROR(Sql("SELECT pg_current_wal_lsn()::text", &lsn));
  // How far the slot is from `lsn`, in bytes; <= 0 once confirmed.
  const std::string behind = "SELECT COALESCE(max(pg_wal_lsn_diff('" + lsn +
                             "'::pg_lsn, confirmed_flush_lsn)), 1) FROM pg_replication_slots WHERE slot_name = '" +
                             slot() + "'";
  // A long backlog is fine while walguard works through it: the timeout
  // counts from the last progress.
  std::string last;
  for (std::string remaining;;) {
    WG_RETURN_IF_ERROR(Sql(behind, &remaining));
    if (remaining.empty() || remaining[0] == '-' || remaining == "0") break;
    if (remaining != last) {
      last = remaining;
      deadline = std::chrono::steady_clock::now() + timeout;
    }
    if (!walguard_->running()) return Status::IOError("walguard exited while catching up:\n" + WalguardLog());
    if (std::chrono::steady_clock::now() >= deadline) {
      std::string msg = "walguard stalled " + remaining;
      msg.append(" bytes before ").append(lsn).append(":\n").append(WalguardLog());
      return Status::IOError(msg);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  deadline = std::chrono::steady_clock::now() + timeout;
  auto last_change = std::chrono::steady_clock::now();
  for (size_t seen = published_.size(); std::chrono::steady_clock::now() - last_change < quiet;) {
    reader_->PollFor(std::chrono::milliseconds(100));
    Collect();
    if (published_.size() != seen) {
      seen = published_.size();
      last_change = std::chrono::steady_clock::now();
    }
    if (std::chrono::steady_clock::now() >= deadline) return Status::IOError("alerts kept arriving while caught up");
  }
  return Status::OK();
}

std::map<std::string, Published> WalguardHarness::FiringSet() const {
  std::map<std::string, Published> firing;
  for (const Published& p : published_) {
    if (p.topic != "walguard.alerts") continue;
    if (p.state == "firing")
      firing[p.fingerprint] = p;
    else
      firing.erase(p.fingerprint);
  }
  return firing;
}

std::map<std::string, std::vector<std::string>> FiringIdsByFingerprint(const std::vector<Published>& all) {
  std::map<std::string, std::vector<std::string>> ids;
  for (const Published& p : all) {
    if (p.state == "firing") ids[p.fingerprint].push_back(p.alert_id);
  }
  return ids;
}

std::vector<int64_t> CommitToAlertLatencies(const std::vector<Published>& all) {
  std::vector<int64_t> out;
  for (const Published& p : all) {
    Micros commit = 0, detected = 0;
    if (p.alert_id.empty() || !ParseTimestamp(p.commit_time, &commit) || !ParseTimestamp(p.detected_at, &detected)) {
      continue;
    }
    out.push_back(detected - commit);
  }
  return out;
}

Status WalguardHarness::Replay(std::vector<Published>* out, const std::vector<std::string>& extra_flags) {
  std::vector<std::string> flags = {"--archive", state_dir() + "/archive"};
  flags.insert(flags.end(), extra_flags.begin(), extra_flags.end());
  return ReplayFrom(flags, out, nullptr);
}

Status WalguardHarness::ReplayFrom(const std::vector<std::string>& flags, std::vector<Published>* out,
                                   std::string* notes) {
  const std::string out_path = work_dir_ + "/replay.jsonl";
  const std::string log_path = work_dir_ + "/replay.log";
  std::filesystem::remove(log_path);
  std::vector<std::string> argv = {WalguardBinary(), "replay", "--config", config_path(), "--out", out_path};
  argv.insert(argv.end(), flags.begin(), flags.end());
  ChildProcess replay;
  WG_RETURN_IF_ERROR(replay.Start(argv, log_path));
  const int code = replay.Wait(std::chrono::minutes(5));
  if (notes != nullptr) *notes = ReadFile(log_path);
  if (code != 0) {
    return Status::IOError("walguard replay exited " + std::to_string(code) + ":\n" + ReadFile(log_path));
  }
  // One {"topic":...,"key":...,"value":{...}} per line.
  std::ifstream in(out_path);
  simdjson::ondemand::parser parser;
  for (std::string line; std::getline(in, line);) {
    simdjson::padded_string json(line);
    simdjson::ondemand::document doc;
    simdjson::ondemand::object obj;
    if (parser.iterate(json).get(doc) != simdjson::SUCCESS || doc.get_object().get(obj) != simdjson::SUCCESS) {
      return Status::Corruption("replay output line is not a JSON object: " + line);
    }
    ConsumedMessage m;
    m.topic = Str(obj, "topic");
    m.key = Str(obj, "key");
    m.payload = Raw(obj, "value");
    out->push_back(Parse(m));
  }
  return Status::OK();
}

Status WalguardHarness::RunCommand(const std::vector<std::string>& args, std::string* out, std::string* err) {
  const std::string err_path = work_dir_ + "/command.log";
  std::filesystem::remove(err_path);
  std::vector<std::string> argv = {WalguardBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  ChildProcess child;
  WG_RETURN_IF_ERROR(child.Start(argv, err_path));
  out->clear();
  // Bounded: a command that neither prints nor ends for a minute has hung.
  for (std::string line;;) {
    Status s = child.ReadLine(std::chrono::minutes(1), &line);
    if (s.code() == Status::Code::kIOError) break;  // EOF: the command closed its stdout
    WG_RETURN_IF_ERROR(s);
    out->append(line).push_back('\n');
  }
  const int code = child.Wait(std::chrono::seconds(30));
  *err = ReadFile(err_path);
  if (code != 0) return Status::IOError("walguard " + args.front() + " exited " + std::to_string(code) + ":\n" + *err);
  return Status::OK();
}

Status WalguardHarness::LaunchWalguard(const std::vector<std::string>& flags, const std::string& extra_config) {
  std::ofstream(config_path()) << "progress_interval_s = 1\n" << extra_config << "\n";
  walguard_ = std::make_unique<ChildProcess>();
  std::string log = work_dir_ + "/walguard.log";
  std::ofstream(log, std::ios::app) << "---- start " << ++starts_ << " ----\n";
  WalguardLogin login;  // the least-privilege role, password in a passfile
  WG_RETURN_IF_ERROR(WalguardLoginFor(db_, work_dir_, &login));
  std::vector<std::string> argv = {WalguardBinary(), "run",          "--config",    config_path(),
                                   "--pg",           login.conninfo, "--brokers",   brokers_,
                                   "--slot",         slot(),         "--state-dir", work_dir_ + "/state"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  return walguard_->Start(argv, log, login.env);
}

Status WalguardHarness::WaitStreaming(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (WalguardLogSinceStart().find("streaming from slot") != std::string::npos) {
      return reader_ ? Status::OK() : OpenReader();
    }
    if (!walguard_ || !walguard_->running()) return Status::IOError("walguard exited:\n" + WalguardLogSinceStart());
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return Status::IOError("walguard did not start streaming in time:\n" + WalguardLogSinceStart());
}

int WalguardHarness::WaitWalguardExit(std::chrono::milliseconds timeout) {
  if (!walguard_) return -1;
  int code = walguard_->Wait(timeout);
  walguard_.reset();  // kills it if still running
  return code;
}

void WalguardHarness::SignalWalguard(int sig) {
  if (walguard_) walguard_->Signal(sig);
}

int WalguardHarness::WalguardPid() const {
  return walguard_ ? static_cast<int>(walguard_->pid()) : -1;
}

std::string WalguardHarness::WalguardLogSinceStart() const {
  std::string text = WalguardLog();
  size_t start = text.rfind("---- start ");
  return start == std::string::npos ? text : text.substr(start);
}

Status WalguardHarness::StartBroker() {
  broker_ = std::make_unique<ChildProcess>();
  WG_RETURN_IF_ERROR(broker_->Start({WalguardBinary(), "broker"}, work_dir_ + "/broker.log"));
  std::string line;
  WG_RETURN_IF_ERROR(broker_->ReadLine(std::chrono::seconds(10), &line));
  if (line.rfind("bootstrap=", 0) != 0) return Status::Corruption("broker printed: " + line);
  brokers_ = line.substr(10);
  return Status::OK();
}

Status WalguardHarness::Attach(const WalguardHarness& primary, const std::string& name) {
  if (primary.db_.empty()) return Status::InvalidArgument("attach: the primary harness is not set up");
  db_ = primary.db_;
  slot_ = primary.slot() + "_" + name;
  work_dir_ = primary.work_dir_ + "-" + name;
  std::filesystem::remove_all(work_dir_);
  std::filesystem::create_directories(work_dir_);
  return StartBroker();
}

std::string WalguardHarness::slot() const {
  return slot_.empty() ? "wg_" + db_ : slot_;
}

Status WalguardHarness::DropSlot(std::chrono::milliseconds timeout) {
  // A killed walguard's walsender may hold the slot for a moment longer.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const std::string where = " FROM pg_replication_slots WHERE slot_name = '" + slot() + "'";
  for (std::string left;;) {
    WG_RETURN_IF_ERROR(Sql("SELECT count(*)" + where, &left));
    if (left == "0") return Status::OK();
    WG_RETURN_IF_ERROR(Sql("SELECT count(pg_drop_replication_slot(slot_name))" + where + " AND NOT active"));
    if (std::chrono::steady_clock::now() >= deadline) return Status::IOError("slot " + slot() + " is still active");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace walguard::testing
