#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tests/unit/processors/rule_test_util.h"

namespace walguard::rule_test {

RuleHarness::RuleHarness(const Thresholds& thresholds) : thresholds_(thresholds) {
  Reload();
}

void RuleHarness::Reload() {
  engine_ = std::make_unique<Engine>(thresholds_);
  Status s = engine_->Load(&kv_);
  if (!s.ok()) Violation("Engine::Load failed: " + s.ToString());
}

void RuleHarness::Violation(const std::string& what) {
  violations_.push_back(what);
}

std::vector<Message> RuleHarness::Run(const Step& step, std::optional<Lsn> lsn) {
  std::vector<OutMessage> out;
  Status s;
  if (step.kind == Step::Kind::kTxn) {
    Transaction txn;
    txn.xid = ++xid_;
    lsn_ = lsn ? *lsn : LsnOf(txns_++);
    txn.begin_lsn = lsn_ - 0x30;
    txn.end_lsn = lsn_;
    txn.commit_time = step.at;
    txn.changes = step.changes;
    Lsn change_lsn = lsn_ - 0xF0;
    for (Change& c : txn.changes) c.lsn = change_lsn++;
    s = engine_->ApplyTransaction(txn, &kv_, DetectedAt(step.at), &out);
  } else {
    if (lsn) lsn_ = *lsn;
    s = engine_->AdvanceClock(step.at, lsn_, &kv_, DetectedAt(step.at), &out);
  }
  if (!s.ok()) Violation("step at " + FormatTimestamp(step.at) + " failed: " + s.ToString());
  return Accept(std::move(out), step.at, lsn_);
}

std::vector<Message> RuleHarness::Accept(std::vector<OutMessage> out, Micros at, Lsn lsn) {
  std::vector<Message> messages;
  for (OutMessage& m : out) {
    Message msg;
    msg.topic = m.topic;
    msg.key = std::move(m.key);
    msg.payload = std::move(m.payload);
    std::string error;
    if (!ParseJson(msg.payload, &msg.json, &error)) {
      Violation("payload is not JSON (" + error + "): " + msg.payload);
    } else if (!msg.json.is_object()) {
      Violation("payload is not a JSON object: " + msg.payload);
    }
    messages.push_back(std::move(msg));
  }
  Check(at, lsn, messages);
  return messages;
}

// What the checks of one step carry from one message to the next.
struct RuleHarness::StepCheck {
  // A clock tick reports the tick as its commit time.
  std::string lsn_text;
  std::string commit_text;
  std::string detected_text;
  // Firings of this step that need a command, and the command they got.
  std::map<std::string, std::string> fired_now;  // fingerprint -> alert_id
  std::map<std::string, int> commands_for;       // fingerprint -> commands seen
  std::set<std::string> transitioned;            // fingerprints with a message in this step
};

void RuleHarness::Check(Micros at, Lsn lsn, const std::vector<Message>& messages) {
  StepCheck step;
  step.lsn_text = FormatLsn(lsn);
  step.commit_text = FormatTimestamp(at);
  step.detected_text = FormatTimestamp(DetectedAt(at));
  for (const Message& m : messages) {
    switch (m.topic) {
      case Topic::kAlerts:
        CheckAlert(m, &step);
        break;
      case Topic::kCommands:
        CheckCommand(m, &step);
        break;
      case Topic::kDeadLetter:
        if (m.json.Str("reason").empty()) Violation("dead letter without a reason [" + m.payload + "]");
        break;
      default:
        Violation("unknown topic [" + m.payload + "]");
    }
  }
  for (const auto& [fp, alert_id] : step.fired_now) {
    if (step.commands_for[fp] != 1) {
      Violation(fp + " fired (" + alert_id + ") with " + std::to_string(step.commands_for[fp]) + " commands, not 1");
    }
  }
}

void RuleHarness::CheckAlert(const Message& m, StepCheck* step) {
  const Json& j = m.json;
  const std::string where = " [" + m.payload + "]";
  for (const char* field : {"alert_id", "fingerprint", "type", "severity", "state", "entity", "lsn", "commit_time",
                            "detected_at", "details", "runbook"}) {
    if (!j.Has(field)) Violation(std::string("alert lacks ") + field + where);
  }
  const std::string type = j.Str("type");
  const std::string fp = j.Str("fingerprint");
  const std::string state = j.Str("state");
  const std::string alert_id = j.Str("alert_id");
  const Json* entity = j.Find("entity");
  const RuleInfo* rule = FindRule(type);
  if (rule == nullptr) return Violation("unknown alert type" + where);
  if (entity == nullptr || !entity->is_object()) return Violation("alert entity is not an object" + where);
  if (entity->Str("kind") != rule->entity_kind) Violation("wrong entity.kind" + where);
  if (fp != type + ":" + std::string(rule->entity_kind) + ":" + entity->Str("id")) {
    Violation("fingerprint is not <type>:<kind>:<id>" + where);
  }
  if (entity->Str("id").empty()) Violation("empty entity.id" + where);
  if (m.key != fp) Violation("message key is not the fingerprint" + where);
  // A historical alert (CONTRACT 3.1) is P4, says so, and issues no command.
  const bool historical = j.Str("historical") == "true";
  if (j.Has("historical") && !historical) Violation("\"historical\" present but not true" + where);
  if (j.Str("severity") != (historical ? "P4" : rule->severity)) Violation("wrong severity" + where);
  if (j.Str("lsn") != step->lsn_text) Violation("alert lsn is not the step's (" + step->lsn_text + ")" + where);
  if (j.Str("commit_time") != step->commit_text) Violation("alert commit_time is not the step's" + where);
  if (j.Str("detected_at") != step->detected_text) Violation("alert detected_at is not the one given" + where);
  if (const Json* d = j.Find("details"); d == nullptr || !d->is_object()) {
    Violation("alert details is not an object" + where);
  }
  if (rule->entity_kind == "event" && j.Str("event_id") != entity->Str("id")) {
    Violation("event alert's event_id is not the event" + where);
  }
  if (alert_id.empty()) Violation("empty alert_id" + where);
  if (!step->transitioned.insert(fp).second) Violation("two transitions of one fingerprint in one step" + where);
  if (state == "firing") {
    if (firing_.count(fp) != 0) Violation("repeated firing while already firing" + where);
    auto [it, fresh] = used_alert_ids_.emplace(alert_id, fp);
    if (!fresh) Violation("alert_id reused by a new firing" + where);
    firing_[fp] = alert_id;
    if (!rule->command.empty() && !historical) step->fired_now[fp] = alert_id;
  } else if (state == "resolved") {
    auto it = firing_.find(fp);
    if (it == firing_.end()) return Violation("resolved without a firing" + where);
    if (it->second != alert_id) Violation("resolved alert_id differs from the firing's " + it->second + where);
    firing_.erase(it);
  } else {
    Violation("state is neither firing nor resolved" + where);
  }
}

void RuleHarness::CheckCommand(const Message& m, StepCheck* step) {
  const Json& j = m.json;
  const std::string where = " [" + m.payload + "]";
  for (const char* field :
       {"command_id", "type", "args", "dry_run", "requires_approval", "caused_by", "lsn", "issued_at"}) {
    if (!j.Has(field)) Violation(std::string("command lacks ") + field + where);
  }
  auto it = step->fired_now.find(m.key);
  if (it == step->fired_now.end()) {
    // A repeat (command_repeats.h): a command of an alert that still fires.
    it = firing_.find(m.key);
    if (it == firing_.end() || step->transitioned.count(m.key) != 0) {
      return Violation("command without a firing of its fingerprint (in the same step, or still firing)" + where);
    }
    if (!repeated_command_ids_.insert(j.Str("command_id")).second) Violation("repeat reuses a command_id" + where);
  } else {
    ++step->commands_for[m.key];
  }
  const RuleInfo* rule = FindRule(m.key.substr(0, m.key.find(':')));
  if (rule == nullptr || j.Str("type") != rule->command) Violation("wrong command type" + where);
  if (j.Str("caused_by") != it->second) Violation("caused_by is not the alert_id " + it->second + where);
  const std::string command_id = j.Str("command_id");
  if (command_id.empty() || command_id == it->second) Violation("command_id empty or equal to alert_id" + where);
  if (j.Str("dry_run") != "false") Violation("dry_run is not false" + where);
  if (rule != nullptr && j.Str("requires_approval") != (rule->requires_approval ? "true" : "false")) {
    Violation(std::string("requires_approval is not ") + (rule->requires_approval ? "true" : "false") + where);
  }
  if (const Json* a = j.Find("args"); a == nullptr || !a->is_object()) Violation("args not an object" + where);
  if (j.Str("lsn") != step->lsn_text) Violation("command lsn is not the step's" + where);
}

}  // namespace walguard::rule_test
