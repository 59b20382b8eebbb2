#include "config/config.h"

#include <toml++/toml.h>
#include <set>

#include "util/time_zone.h"

namespace walguard {

namespace {

// Reads known keys from one TOML table and reports any it did not read.
class TableReader {
 public:
  TableReader(const toml::table* table, std::string path) : table_(table), path_(std::move(path)) {}

  template <typename T>
  Status Read(const char* key, T* out) {
    known_.insert(key);
    if (table_ == nullptr) return Status::OK();
    const toml::node* node = table_->get(key);
    if (node == nullptr) return Status::OK();
    std::optional<T> v = node->value<T>();
    if (!v) return Status::InvalidArgument("config: " + Name(key) + " has the wrong type");
    *out = *v;
    return Status::OK();
  }

  Status ReadInt(const char* key, int* out) {
    int64_t v = *out;
    WG_RETURN_IF_ERROR(Read(key, &v));
    *out = static_cast<int>(v);
    return Status::OK();
  }

  const toml::table* Child(const char* key) {
    known_.insert(key);
    if (table_ == nullptr) return nullptr;
    return table_->get_as<toml::table>(key);
  }

  Status CheckUnknown() const {
    if (table_ == nullptr) return Status::OK();
    for (const auto& [k, v] : *table_) {
      if (known_.count(std::string(k.str())) == 0) {
        return Status::InvalidArgument("config: unknown setting " + Name(std::string(k.str()).c_str()));
      }
    }
    return Status::OK();
  }

 private:
  std::string Name(const char* key) const { return path_.empty() ? key : path_ + "." + key; }

  const toml::table* table_;
  std::string path_;
  std::set<std::string> known_;
};

Status ReadPostgres(TableReader* root, PostgresConfig* pg) {
  TableReader r(root->Child("postgres"), "postgres");
  WG_RETURN_IF_ERROR(r.Read("conninfo", &pg->conninfo));
  WG_RETURN_IF_ERROR(r.Read("slot", &pg->slot));
  WG_RETURN_IF_ERROR(r.ReadInt("status_interval_ms", &pg->status_interval_ms));
  WG_RETURN_IF_ERROR(r.ReadInt("reconnect_max_backoff_ms", &pg->reconnect_max_backoff_ms));
  WG_RETURN_IF_ERROR(r.ReadInt("monitor_interval_s", &pg->monitor_interval_s));
  WG_RETURN_IF_ERROR(r.ReadInt("heartbeat_interval_s", &pg->heartbeat_interval_s));
  return r.CheckUnknown();
}

Status ReadKafka(TableReader* root, KafkaConfig* kafka) {
  TableReader r(root->Child("kafka"), "kafka");
  WG_RETURN_IF_ERROR(r.Read("brokers", &kafka->brokers));
  WG_RETURN_IF_ERROR(r.Read("alerts_topic", &kafka->alerts_topic));
  WG_RETURN_IF_ERROR(r.Read("commands_topic", &kafka->commands_topic));
  WG_RETURN_IF_ERROR(r.Read("deadletter_topic", &kafka->deadletter_topic));
  WG_RETURN_IF_ERROR(r.Read("outcomes_topic", &kafka->outcomes_topic));
  WG_RETURN_IF_ERROR(r.Read("approvals_topic", &kafka->approvals_topic));
  if (const toml::table* props = r.Child("properties")) {
    for (const auto& [k, v] : *props) {
      std::optional<std::string> s = v.value<std::string>();
      if (!s) return Status::InvalidArgument("config: kafka.properties values must be strings");
      kafka->properties[std::string(k.str())] = *s;
    }
  }
  return r.CheckUnknown();
}

Status ReadArchive(TableReader* root, ArchiveConfig* archive) {
  TableReader r(root->Child("archive"), "archive");
  WG_RETURN_IF_ERROR(r.Read("enabled", &archive->enabled));
  WG_RETURN_IF_ERROR(r.Read("dir", &archive->dir));
  WG_RETURN_IF_ERROR(r.Read("max_age_days", &archive->max_age_days));
  WG_RETURN_IF_ERROR(r.Read("max_bytes", &archive->max_bytes));
  WG_RETURN_IF_ERROR(r.Read("segment_bytes", &archive->segment_bytes));
  WG_RETURN_IF_ERROR(r.Read("seal_interval_s", &archive->seal_interval_s));
  WG_RETURN_IF_ERROR(r.Read("checkpoint_interval_s", &archive->checkpoint_interval_s));
  return r.CheckUnknown();
}

Status ValidateArchive(const ArchiveConfig& a) {
  // Bounds that keep the arithmetic in microseconds and bytes far from overflow.
  constexpr int64_t kMaxDays = int64_t{100} * 365;
  constexpr int64_t kMinSegmentBytes = 4096;
  constexpr int64_t kMaxSegmentBytes = int64_t{1} << 30;
  constexpr int64_t kMaxSealIntervalS = int64_t{24} * 3600;
  if (a.max_age_days < 0 || a.max_age_days > kMaxDays) {
    return Status::InvalidArgument("archive.max_age_days must be between 0 (no limit) and " + std::to_string(kMaxDays));
  }
  if (a.max_bytes < 0) return Status::InvalidArgument("archive.max_bytes must be >= 0 (0: no limit)");
  if (a.segment_bytes < kMinSegmentBytes || a.segment_bytes > kMaxSegmentBytes) {
    return Status::InvalidArgument("archive.segment_bytes must be between " + std::to_string(kMinSegmentBytes) +
                                   " and " + std::to_string(kMaxSegmentBytes));
  }
  if (a.max_bytes != 0 && a.max_bytes < a.segment_bytes) {
    return Status::InvalidArgument("archive.max_bytes must be 0 (no limit) or at least archive.segment_bytes");
  }
  if (a.seal_interval_s < 1 || a.seal_interval_s > kMaxSealIntervalS) {
    return Status::InvalidArgument("archive.seal_interval_s must be between 1 and " +
                                   std::to_string(kMaxSealIntervalS));
  }
  if (a.checkpoint_interval_s < 0 || a.checkpoint_interval_s > kMaxDays * 24 * 3600) {
    return Status::InvalidArgument(
        "archive.checkpoint_interval_s must be between 0 (only when retention needs one) "
        "and " +
        std::to_string(kMaxDays * 24 * 3600));
  }
  return Status::OK();
}

// A table of strings, e.g. [worker.modes]: every value must be a string.
Status ReadStringMap(const toml::table* table, const std::string& name, std::map<std::string, std::string>* out) {
  if (table == nullptr) return Status::OK();
  for (const auto& [k, v] : *table) {
    std::optional<std::string> s = v.value<std::string>();
    if (!s) return Status::InvalidArgument("config: " + name + "." + std::string(k.str()) + " must be a string");
    (*out)[std::string(k.str())] = *s;
  }
  return Status::OK();
}

Status ReadWorker(TableReader* root, WorkerConfig* w) {
  TableReader r(root->Child("worker"), "worker");
  WG_RETURN_IF_ERROR(ReadStringMap(r.Child("modes"), "worker.modes", &w->modes));
  WG_RETURN_IF_ERROR(ReadStringMap(r.Child("functions"), "worker.functions", &w->functions));
  WG_RETURN_IF_ERROR(r.ReadInt("max_attempts", &w->max_attempts));
  WG_RETURN_IF_ERROR(r.ReadInt("retry_backoff_ms", &w->retry_backoff_ms));
  WG_RETURN_IF_ERROR(r.Read("approval_ttl_s", &w->approval_ttl_s));
  WG_RETURN_IF_ERROR(r.Read("escalate_after_s", &w->escalate_after_s));
  WG_RETURN_IF_ERROR(r.ReadInt("alert_wait_ms", &w->alert_wait_ms));
  WG_RETURN_IF_ERROR(r.Read("timezone", &w->timezone));
  if (const toml::table* parent = root->Child("worker"); parent != nullptr) {
    if (const toml::node* node = parent->get("quiet_windows")) {
      const toml::array* list = node->as_array();
      if (list == nullptr) return Status::InvalidArgument("config: worker.quiet_windows must be an array of strings");
      w->quiet_windows.clear();
      for (const toml::node& item : *list) {
        std::optional<std::string> s = item.value<std::string>();
        if (!s) return Status::InvalidArgument("config: worker.quiet_windows must be an array of strings");
        w->quiet_windows.push_back(*s);
      }
    }
  }
  (void)r.Child("quiet_windows");  // read above, as an array
  WG_RETURN_IF_ERROR(r.CheckUnknown());
  return ValidateWorker(*w);
}

Status ReadState(TableReader* root, StateConfig* state) {
  TableReader r(root->Child("state"), "state");
  WG_RETURN_IF_ERROR(r.Read("verify_on_open", &state->verify_on_open));
  WG_RETURN_IF_ERROR(r.Read("disk_low_bytes", &state->disk_low_bytes));
  WG_RETURN_IF_ERROR(r.Read("transaction_spill_bytes", &state->transaction_spill_bytes));
  const std::string& verify = state->verify_on_open;
  if (verify != "changed" && verify != "always" && verify != "daily" && verify != "never") {
    return Status::InvalidArgument(
        "config: state.verify_on_open must be \"changed\", \"always\", \"daily\" or \"never\"");
  }
  if (state->disk_low_bytes < 0) return Status::InvalidArgument("config: state.disk_low_bytes must be >= 0");
  if (state->transaction_spill_bytes < 0) {
    return Status::InvalidArgument("config: state.transaction_spill_bytes must be >= 0 (0: never in parts)");
  }
  return r.CheckUnknown();
}

Status ReadAlertmanager(TableReader* root, AlertmanagerConfig* am) {
  TableReader r(root->Child("alertmanager"), "alertmanager");
  if (const toml::table* parent = root->Child("alertmanager"); parent != nullptr) {
    if (const toml::node* node = parent->get("urls")) {
      const toml::array* list = node->as_array();
      if (list == nullptr) return Status::InvalidArgument("config: alertmanager.urls must be an array of strings");
      am->urls.clear();
      for (const toml::node& item : *list) {
        std::optional<std::string> s = item.value<std::string>();
        if (!s) return Status::InvalidArgument("config: alertmanager.urls must be an array of strings");
        am->urls.push_back(*s);
      }
    }
  }
  (void)r.Child("urls");  // read above, as an array
  WG_RETURN_IF_ERROR(r.ReadInt("resend_interval_s", &am->resend_interval_s));
  WG_RETURN_IF_ERROR(r.ReadInt("timeout_ms", &am->timeout_ms));
  WG_RETURN_IF_ERROR(r.Read("max_queued", &am->max_queued));
  WG_RETURN_IF_ERROR(r.Read("generator_url", &am->generator_url));
  WG_RETURN_IF_ERROR(r.CheckUnknown());
  return ValidateAlertmanager(*am);
}

// The rule settings that are not numbers (config/thresholds.h): a zone the
// system's zoneinfo has (checked here, not at the first midnight), and
// error codes as plain strings.
Status ReadRuleSettings(TableReader* root, const toml::table& doc, Thresholds* t) {
  WG_RETURN_IF_ERROR(root->Read("business_timezone", &t->business_timezone));
  TimeZone zone;
  Status tz = LoadTimeZone(t->business_timezone, &zone);
  if (!tz.ok()) return Status::InvalidArgument("config: business_timezone: " + tz.message());
  (void)root->Child("benign_error_codes");  // read below, as an array
  const toml::node* node = doc.get("benign_error_codes");
  if (node == nullptr) return Status::OK();
  const toml::array* list = node->as_array();
  if (list == nullptr) return Status::InvalidArgument("config: benign_error_codes must be an array of strings");
  t->benign_error_codes.clear();
  for (const toml::node& item : *list) {
    std::optional<std::string> code = item.value<std::string>();
    if (!code || code->empty()) {
      return Status::InvalidArgument("config: benign_error_codes must be an array of non-empty strings");
    }
    t->benign_error_codes.push_back(*code);
  }
  return Status::OK();
}

// [rules.<section>] from the threshold table (config/thresholds.h).
Status ReadRules(TableReader* root, Thresholds* t) {
  TableReader rules(root->Child("rules"), "rules");
  for (const char* section : ThresholdSections()) {
    TableReader r(rules.Child(section), std::string("rules.") + section);
    for (const ThresholdDef& def : ThresholdDefs()) {
      if (std::string_view(def.section) != section) continue;
      int64_t written = WrittenValue(def, *t);
      WG_RETURN_IF_ERROR(r.Read(def.key, &written));
      Status bounds = CheckThreshold(def, written);
      if (!bounds.ok()) return Status::InvalidArgument("config: " + bounds.message());
      SetWrittenValue(def, written, t);
    }
    if (std::string_view(section) == "alerts") {
      std::string mode(HistoricalAlertsName(t->historical_alerts));
      WG_RETURN_IF_ERROR(r.Read("historical_alerts", &mode));
      if (!ParseHistoricalAlerts(mode, &t->historical_alerts)) {
        return Status::InvalidArgument(
            "config: rules.alerts.historical_alerts must be \"report\", \"suppress\" or "
            "\"page\", not \"" +
            mode + "\"");
      }
    }
    WG_RETURN_IF_ERROR(r.CheckUnknown());
  }
  return rules.CheckUnknown();
}

}  // namespace

// "HOST:PORT" or "[V6]:PORT", or empty (off).
Status ValidateHttpAddress(const std::string& address) {
  if (address.empty()) return Status::OK();
  const size_t colon = address.rfind(':');
  const std::string port = colon == std::string::npos ? "" : address.substr(colon + 1);
  bool digits = !port.empty() && port.size() <= 5;
  for (char c : port) digits = digits && c >= '0' && c <= '9';
  if (colon == 0 || !digits || std::stoi(port) < 1 || std::stoi(port) > 65535) {
    return Status::InvalidArgument("config: http_address must be HOST:PORT (e.g. 0.0.0.0:9187), not \"" + address +
                                   "\"");
  }
  return Status::OK();
}

Status LoadConfigFile(const std::string& path, Config* config) {
  toml::table doc;
  try {
    doc = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    std::string msg = "config: cannot parse " + path + ": " + std::string(e.description());
    if (e.source().begin) msg += " (line " + std::to_string(e.source().begin.line) + ")";
    return Status::InvalidArgument(msg);
  }
  TableReader root(&doc, "");
  WG_RETURN_IF_ERROR(root.Read("state_dir", &config->state_dir));
  WG_RETURN_IF_ERROR(root.Read("sink", &config->sink));
  WG_RETURN_IF_ERROR(root.Read("jsonl_path", &config->jsonl_path));
  WG_RETURN_IF_ERROR(root.ReadInt("max_batch_transactions", &config->max_batch_transactions));
  WG_RETURN_IF_ERROR(root.ReadInt("max_batch_ms", &config->max_batch_ms));
  WG_RETURN_IF_ERROR(root.Read("outbox_max_messages", &config->outbox_max_messages));
  WG_RETURN_IF_ERROR(root.ReadInt("progress_interval_s", &config->progress_interval_s));
  WG_RETURN_IF_ERROR(root.Read("log_level", &config->log_level));
  WG_RETURN_IF_ERROR(root.Read("http_address", &config->http_address));
  WG_RETURN_IF_ERROR(ValidateHttpAddress(config->http_address));
  WG_RETURN_IF_ERROR(root.ReadInt("http_ready_max_lag_s", &config->http_ready_max_lag_s));
  if (config->http_ready_max_lag_s < 1) return Status::InvalidArgument("config: http_ready_max_lag_s must be >= 1");
  WG_RETURN_IF_ERROR(ReadPostgres(&root, &config->postgres));
  WG_RETURN_IF_ERROR(ReadKafka(&root, &config->kafka));
  WG_RETURN_IF_ERROR(ReadArchive(&root, &config->archive));
  WG_RETURN_IF_ERROR(ReadWorker(&root, &config->worker));
  WG_RETURN_IF_ERROR(ReadState(&root, &config->state));
  WG_RETURN_IF_ERROR(ReadAlertmanager(&root, &config->alertmanager));
  WG_RETURN_IF_ERROR(ReadRules(&root, &config->thresholds));
  WG_RETURN_IF_ERROR(ReadRuleSettings(&root, doc, &config->thresholds));
  return root.CheckUnknown();
}

Status ValidateAlertmanager(const AlertmanagerConfig& am) {
  for (const std::string& url : am.urls) {
    const bool http = url.starts_with("http://") || url.starts_with("https://");
    const size_t host = url.find("://") + 3;
    const std::string authority = http ? url.substr(host, url.find('/', host) - host) : "";
    if (!http || authority.empty() || authority.find('@') != std::string::npos) {
      return Status::InvalidArgument("config: alertmanager.urls: \"" + url +
                                     "\" must be http://HOST:PORT or https://HOST:PORT[/PATH], without credentials");
    }
  }
  if (am.resend_interval_s < 1 || am.resend_interval_s > 3600) {
    return Status::InvalidArgument("config: alertmanager.resend_interval_s must be between 1 and 3600");
  }
  if (am.timeout_ms < 1 || am.timeout_ms > 600'000) {
    return Status::InvalidArgument("config: alertmanager.timeout_ms must be between 1 and 600000");
  }
  if (am.max_queued < 1 || am.max_queued > 10'000'000) {
    return Status::InvalidArgument("config: alertmanager.max_queued must be between 1 and 10000000");
  }
  return Status::OK();
}

Status ValidateWorker(const WorkerConfig& w) {
  for (const auto& [type, mode] : w.modes) {
    if (mode != "off" && mode != "dry_run" && mode != "apply" && mode != "approval") {
      std::string msg = "config: worker.modes." + type;
      msg.append(" must be off, dry_run, apply or approval, not \"").append(mode).append("\"");
      return Status::InvalidArgument(msg);
    }
  }
  for (const auto& [type, sql] : w.functions) {
    if (sql.find("$dry_run") == std::string::npos) {
      return Status::InvalidArgument("config: worker.functions." + type +
                                     " must pass $dry_run to the function (the worker always runs a dry run first)");
    }
  }
  if (w.max_attempts < 1 || w.max_attempts > 100) {
    return Status::InvalidArgument("config: worker.max_attempts must be between 1 and 100");
  }
  if (w.retry_backoff_ms < 1 || w.retry_backoff_ms > 60'000) {
    return Status::InvalidArgument("config: worker.retry_backoff_ms must be between 1 and 60000");
  }
  constexpr int64_t kWeek = int64_t{7} * 24 * 3600;
  if (w.approval_ttl_s < 1 || w.approval_ttl_s > kWeek) {
    return Status::InvalidArgument("config: worker.approval_ttl_s must be between 1 and " + std::to_string(kWeek));
  }
  if (w.escalate_after_s < 1 || w.escalate_after_s > kWeek) {
    return Status::InvalidArgument("config: worker.escalate_after_s must be between 1 and " + std::to_string(kWeek));
  }
  if (w.alert_wait_ms < 0 || w.alert_wait_ms > 600'000) {
    return Status::InvalidArgument("config: worker.alert_wait_ms must be between 0 and 600000");
  }
  return Status::OK();
}

Status ValidateForRun(const Config& config) {
  if (config.postgres.conninfo.empty()) {
    return Status::InvalidArgument("no Postgres connection: set postgres.conninfo in the config or pass --pg");
  }
  if (config.postgres.slot.empty()) return Status::InvalidArgument("postgres.slot must not be empty");
  if (config.sink != "kafka" && config.sink != "jsonl") {
    return Status::InvalidArgument("sink must be \"kafka\" or \"jsonl\", not \"" + config.sink + "\"");
  }
  if (config.sink == "kafka" && config.kafka.brokers.empty()) {
    return Status::InvalidArgument("no Kafka brokers: set kafka.brokers in the config or pass --brokers");
  }
  if (config.state_dir.empty()) return Status::InvalidArgument("state_dir must not be empty");
  if (config.max_batch_transactions < 1 || config.max_batch_ms < 0) {
    return Status::InvalidArgument("max_batch_transactions must be >= 1 and max_batch_ms >= 0");
  }
  if (config.outbox_max_messages < 1) return Status::InvalidArgument("outbox_max_messages must be >= 1");
  if (config.postgres.monitor_interval_s < 0 || config.postgres.heartbeat_interval_s < 0) {
    return Status::InvalidArgument("postgres.monitor_interval_s and postgres.heartbeat_interval_s must be >= 0");
  }
  WG_RETURN_IF_ERROR(ValidateArchive(config.archive));
  WG_RETURN_IF_ERROR(ValidateAlertmanager(config.alertmanager));
  return ValidateThresholds(config.thresholds);
}

}  // namespace walguard
