#include "tests/integration/crash_checks.h"

#include <set>
#include <tuple>

#include "util/hash.h"

namespace walguard::testing {

namespace {

// Rules without a command on firing (docs/reference.md section 3).
const std::set<std::string> kRulesWithoutCommand = {
    "high_reserved",    "order_overissued", "revenue_mismatch", "ledger_imbalance", "failed_payment_rate",
    "webhook_failures", "webhook_silence",  "cron_job_failed",  "cron_job_slow",    "cron_job_missed"};

struct AlertTrack {
  std::string open;                        // alert_id firing now, empty when none
  std::set<std::string> fired;             // alert_ids of its firings
  std::map<std::string, size_t> index;     // payload -> position among its distinct messages
  size_t distinct = 0;                     // distinct messages so far
  size_t replay_next = std::string::npos;  // while a redelivery has not caught up: the next position
};

std::string Where(const Published& p) {
  return "  " + p.fingerprint + " (lsn " + p.lsn + "): ";
}

// A message seen before: a redelivery re-sends what was published, in
// order and without gaps (a crash during one may start it over), and must
// reach the fingerprint's latest message before anything new is published,
// else consumers are left with an older state.
void TrackRedelivery(const Published& p, AlertTrack* t, std::string* errors) {
  const size_t at = t->index.at(p.payload);
  if (t->replay_next != std::string::npos && at > t->replay_next) {
    *errors += Where(p) + "a redelivery skipped " + std::to_string(at - t->replay_next) +
               " message(s) before re-sending " + p.state + " " + p.alert_id + "\n";
  }
  t->replay_next = at + 1 == t->distinct ? std::string::npos : at + 1;
}

// A message published for the first time: firing and resolved alternate,
// a resolved repeats the alert_id of the firing it closes, and no firing
// reuses an alert_id.
void TrackNew(const Published& p, AlertTrack* t, std::string* errors) {
  if (t->replay_next != std::string::npos) {
    *errors += Where(p) + "published " + p.state + " " + p.alert_id +
               " while a redelivery had not re-sent its latest messages\n";
    t->replay_next = std::string::npos;
  }
  t->index.emplace(p.payload, t->distinct++);
  if (p.state == "firing") {
    if (!t->open.empty()) {
      *errors += Where(p) + "fired " + p.alert_id + " while " + t->open + " was firing, no resolved between\n";
    } else if (t->fired.count(p.alert_id) != 0) {
      *errors += Where(p) + "a new firing reuses alert_id " + p.alert_id + "\n";
    }
    t->open = p.alert_id;
    t->fired.insert(p.alert_id);
  } else if (p.state == "resolved") {
    if (t->open != p.alert_id) {
      *errors += Where(p) + "resolved " + p.alert_id + " but the open firing is " +
                 (t->open.empty() ? "none" : t->open) + "\n";
    }
    t->open.clear();
  } else {
    *errors += Where(p) + "unknown state '" + p.state + "'\n";
  }
}

std::string CheckCommands(const std::vector<const Published*>& commands,
                          const std::map<std::string, const Published*>& firing_by_id) {
  std::string errors;
  std::set<std::string> commanded;
  for (const Published* c : commands) {
    auto alert = firing_by_id.find(c->caused_by);
    if (alert == firing_by_id.end()) {
      errors += "  command " + c->command_id + " (" + c->command_type + ") caused_by " + c->caused_by +
                ", which no firing alert carries\n";
      continue;
    }
    commanded.insert(c->caused_by);
    if (c->key != alert->second->fingerprint) {
      errors +=
          "  command " + c->command_id + " has key " + c->key + ", its alert " + alert->second->fingerprint + "\n";
    }
    if (c->command_id != StableUuid(c->caused_by + "/" + c->command_type)) {
      errors += "  command " + c->command_id + " is not derived from its alert_id " + c->caused_by + "\n";
    }
  }
  for (const auto& [id, alert] : firing_by_id) {
    // A historical alert (CONTRACT 3.1: older than its rule's lookback) issues no command.
    const bool historical = alert->payload.find("\"historical\":true") != std::string::npos;
    if (kRulesWithoutCommand.count(alert->type) == 0 && !historical && commanded.count(id) == 0) {
      errors += "  " + alert->fingerprint + " fired " + id + " (lsn " + alert->lsn + ") but no command was published\n";
    }
  }
  return errors;
}

}  // namespace

std::string CheckPublished(const std::vector<Published>& all, StreamSummary* summary) {
  *summary = StreamSummary{};
  std::string errors;
  std::set<std::tuple<std::string, std::string, std::string>> seen;  // topic, key, payload
  std::map<std::string, AlertTrack> tracks;
  std::map<std::string, std::string> fingerprint_of_id;
  std::map<std::string, const Published*> firing_by_id;
  std::vector<const Published*> commands;
  std::set<std::string> violated;
  for (const Published& p : all) {
    if (p.topic == "walguard.deadletter") {
      ++summary->dead_letters;
      continue;
    }
    const bool repeat = !seen.insert({p.topic, p.key, p.payload}).second;
    summary->duplicates += repeat ? 1 : 0;
    if (p.topic == "walguard.commands") {
      if (!repeat) {
        ++summary->commands;
        commands.push_back(&p);
      }
      continue;
    }
    if (!repeat) ++(p.state == "firing" ? summary->firings : summary->resolutions);
    auto [owner, inserted] = fingerprint_of_id.emplace(p.alert_id, p.fingerprint);
    if (!inserted && owner->second != p.fingerprint) {
      errors += "  alert_id " + p.alert_id + " is used by " + owner->second + " and " + p.fingerprint + "\n";
    }
    if (p.key != p.fingerprint) errors += "  alert " + p.alert_id + " has key " + p.key + "\n";
    const size_t before = errors.size();
    AlertTrack& track = tracks[p.fingerprint];
    if (repeat) {
      TrackRedelivery(p, &track, &errors);
    } else {
      TrackNew(p, &track, &errors);
    }
    if (errors.size() != before) violated.insert(p.fingerprint);
    if (p.state == "firing") firing_by_id.emplace(p.alert_id, &p);
  }
  for (const auto& [fp, track] : tracks) {
    if (track.replay_next == std::string::npos) continue;
    errors += "  " + fp + ": the last redelivery stopped before its latest messages\n";
    violated.insert(fp);
  }
  for (const std::string& fp : violated) errors += "  messages of " + fp + ":\n" + History(all, fp);
  return errors + CheckCommands(commands, firing_by_id);
}

std::string History(const std::vector<Published>& all, const std::string& fingerprint) {
  std::string out;
  for (size_t i = 0; i < all.size(); ++i) {
    const Published& p = all[i];
    if (p.key != fingerprint) continue;
    out += "    #" + std::to_string(i) + " " + p.topic + " " + (p.state.empty() ? p.command_type : p.state) + " " +
           (p.alert_id.empty() ? "caused_by " + p.caused_by : p.alert_id) + " lsn " + p.lsn +
           (p.commit_time.empty() ? "" : " commit_time " + p.commit_time) + "\n";
  }
  return out;
}

IdComparison CompareAlertIds(const std::map<std::string, Published>& a, const std::map<std::string, Published>& b) {
  IdComparison out;
  for (const auto& [fp, alert] : a) {
    auto other = b.find(fp);
    if (other == b.end()) continue;
    if (alert.lsn != other->second.lsn || alert.commit_time != other->second.commit_time) {
      ++out.other_step;
      continue;
    }
    ++out.same_step;
    if (alert.alert_id == other->second.alert_id) {
      ++out.equal_ids;
    } else {
      out.different += "  " + fp + " fired at lsn " + alert.lsn + ", commit_time " + alert.commit_time + " as " +
                       alert.alert_id + " and as " + other->second.alert_id + "\n";
    }
  }
  return out;
}

std::string CompareTransitions(const std::vector<Published>& a, const std::string& label_a,
                               const std::vector<Published>& b, const std::string& label_b, Lsn after,
                               size_t* compared) {
  using Transition = std::tuple<std::string, std::string, std::string>;  // fingerprint, state, lsn
  auto transitions = [after](const std::vector<Published>& all) {
    std::set<Transition> out;
    for (const Published& p : all) {
      Lsn lsn = 0;
      if (p.topic != "walguard.alerts" || !ParseLsn(p.lsn, &lsn) || lsn <= after) continue;
      out.insert({p.fingerprint, p.state, p.lsn});
    }
    return out;
  };
  const std::set<Transition> in_a = transitions(a), in_b = transitions(b);
  *compared = in_a.size();
  std::string report;
  std::set<std::string> differing;
  auto only = [&](const std::set<Transition>& x, const std::set<Transition>& y, const std::string& label) {
    for (const Transition& t : x) {
      if (y.count(t) != 0) continue;
      report += "  only " + label + ": " + std::get<0>(t) + " " + std::get<1>(t) + " at lsn " + std::get<2>(t) + "\n";
      differing.insert(std::get<0>(t));
    }
  };
  only(in_a, in_b, label_a);
  only(in_b, in_a, label_b);
  size_t shown = 0;
  for (const std::string& fp : differing) {
    if (++shown > 5) break;
    report += "  " + label_a + "'s messages of " + fp + ":\n" + History(a, fp);
    report += "  " + label_b + "'s messages of " + fp + ":\n" + History(b, fp);
  }
  return report;
}

}  // namespace walguard::testing
