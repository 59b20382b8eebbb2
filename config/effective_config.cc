#include "config/effective_config.h"

#include <array>
#include <cassert>
#include <cstdio>
#include <string>
#include <vector>

namespace walguard {

namespace {

// A TOML basic string: quotes, backslashes and control characters escaped.
std::string Quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

// A TOML key: bare when it can be, quoted otherwise ("sasl.password" must
// stay one key, not a dotted path).
std::string Key(std::string_view key) {
  bool bare = !key.empty();
  for (char c : key) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    bare = bare && ok;
  }
  return bare ? std::string(key) : Quoted(key);
}

class TomlWriter {
 public:
  void Table(std::string_view name) { text_.append("\n[").append(name).append("]\n"); }
  void Comment(std::string_view comment) { text_.append("# ").append(comment).append("\n"); }
  void String(std::string_view key, std::string_view value) { Line(key, Quoted(value)); }
  void Int(std::string_view key, int64_t value) { Line(key, std::to_string(value)); }
  void Bool(std::string_view key, bool value) { Line(key, value ? "true" : "false"); }
  void Strings(std::string_view key, const std::vector<std::string>& values) {
    std::string list = "[";
    for (const std::string& v : values) list.append(list.size() > 1 ? ", " : "").append(Quoted(v));
    Line(key, list + "]");
  }
  std::string Take() { return std::move(text_); }

 private:
  void Line(std::string_view key, std::string_view value) {
    text_.append(Key(key)).append(" = ").append(value) += '\n';
  }

  std::string text_;
};

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

void WriteTopLevel(const Config& c, TomlWriter* w) {
  w->String("state_dir", c.state_dir);
  w->String("sink", c.sink);
  w->String("jsonl_path", c.jsonl_path);
  w->Int("max_batch_transactions", c.max_batch_transactions);
  w->Int("max_batch_ms", c.max_batch_ms);
  w->Int("outbox_max_messages", c.outbox_max_messages);
  w->Int("progress_interval_s", c.progress_interval_s);
  w->String("log_level", c.log_level);
  w->String("http_address", c.http_address);
  w->Int("http_ready_max_lag_s", c.http_ready_max_lag_s);
  w->String("business_timezone", c.thresholds.business_timezone);
  w->Strings("benign_error_codes", c.thresholds.benign_error_codes);
}

void WritePostgres(const PostgresConfig& pg, const ShownConninfo& conninfo, TomlWriter* w) {
  w->Table("postgres");
  if (conninfo.password_removed) w->Comment("conninfo carries a password: removed here");
  w->String("conninfo", conninfo.text);
  w->String("slot", pg.slot);
  w->Int("status_interval_ms", pg.status_interval_ms);
  w->Int("reconnect_max_backoff_ms", pg.reconnect_max_backoff_ms);
  w->Int("monitor_interval_s", pg.monitor_interval_s);
  w->Int("heartbeat_interval_s", pg.heartbeat_interval_s);
}

void WriteKafka(const KafkaConfig& k, TomlWriter* w) {
  w->Table("kafka");
  w->String("brokers", k.brokers);
  w->String("alerts_topic", k.alerts_topic);
  w->String("commands_topic", k.commands_topic);
  w->String("deadletter_topic", k.deadletter_topic);
  w->String("outcomes_topic", k.outcomes_topic);
  w->String("approvals_topic", k.approvals_topic);
  w->Table("kafka.properties");
  for (const auto& [name, value] : k.properties) {
    w->String(name, IsSecretProperty(name) ? std::string_view(kMaskedValue) : std::string_view(value));
  }
}

void WriteArchive(const ArchiveConfig& a, TomlWriter* w) {
  w->Table("archive");
  w->Bool("enabled", a.enabled);
  w->String("dir", a.dir);
  w->Int("max_age_days", a.max_age_days);
  w->Int("max_bytes", a.max_bytes);
  w->Int("segment_bytes", a.segment_bytes);
  w->Int("seal_interval_s", a.seal_interval_s);
  w->Int("checkpoint_interval_s", a.checkpoint_interval_s);
}

void WriteState(const StateConfig& s, TomlWriter* w) {
  w->Table("state");
  w->String("verify_on_open", s.verify_on_open);
  w->Int("disk_low_bytes", s.disk_low_bytes);
  w->Int("transaction_spill_bytes", s.transaction_spill_bytes);
}

void WriteWorker(const WorkerConfig& c, TomlWriter* w) {
  w->Table("worker");
  w->Int("max_attempts", c.max_attempts);
  w->Int("retry_backoff_ms", c.retry_backoff_ms);
  w->Int("approval_ttl_s", c.approval_ttl_s);
  w->Int("escalate_after_s", c.escalate_after_s);
  w->Int("alert_wait_ms", c.alert_wait_ms);
  w->Strings("quiet_windows", c.quiet_windows);
  w->String("timezone", c.timezone);
  w->Table("worker.modes");
  for (const auto& [type, mode] : c.modes) w->String(type, mode);
  w->Table("worker.functions");
  for (const auto& [type, sql] : c.functions) w->String(type, sql);
}

void WriteAlertmanager(const AlertmanagerConfig& a, TomlWriter* w) {
  w->Table("alertmanager");
  w->Strings("urls", a.urls);
  w->Int("resend_interval_s", a.resend_interval_s);
  w->Int("timeout_ms", a.timeout_ms);
  w->Int("max_queued", a.max_queued);
  w->String("generator_url", a.generator_url);
}

// [rules.<section>] in the order of the threshold table, values as written.
void WriteRules(const Thresholds& t, TomlWriter* w) {
  for (const char* section : ThresholdSections()) {
    w->Table(std::string("rules.") + section);
    for (const ThresholdDef& def : ThresholdDefs()) {
      if (std::string_view(def.section) == section) w->Int(def.key, WrittenValue(def, t));
    }
    if (std::string_view(section) == "alerts")
      w->String("historical_alerts", HistoricalAlertsName(t.historical_alerts));
  }
}

}  // namespace

bool IsSecretProperty(std::string_view name) {
  const std::string n = Lower(name);
  constexpr std::array<std::string_view, 4> kSecretWords = {"password", "secret", "token", "credential"};
  for (std::string_view word : kSecretWords) {
    if (Contains(n, word)) return true;
  }
  // Key material given inline; a *.location names a file and is shown.
  if (n.ends_with(".location")) return false;
  return Contains(n, "key") || Contains(n, ".pem") || Contains(n, "jaas") || n == "sasl.oauthbearer.config";
}

std::string RenderEffectiveConfig(const Config& config, const ShownConninfo& conninfo) {
  TomlWriter w;
  w.Comment("walguard: the effective configuration (defaults filled in, secrets masked)");
  WriteTopLevel(config, &w);
  WritePostgres(config.postgres, conninfo, &w);
  WriteKafka(config.kafka, &w);
  WriteArchive(config.archive, &w);
  WriteState(config.state, &w);
  WriteWorker(config.worker, &w);
  WriteAlertmanager(config.alertmanager, &w);
  WriteRules(config.thresholds, &w);
  std::string text = w.Take();
  assert(!text.empty() && text.back() == '\n');
  return text;
}

}  // namespace walguard
