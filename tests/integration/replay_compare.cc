#include "tests/integration/replay_compare.h"

#include <map>
#include <set>
#include <utility>

namespace walguard::testing {

namespace {

// What must be equal: every field but the local clocks.
std::string Essence(const Published& p) {
  if (!p.command_id.empty()) {
    return "command " + p.command_id + " " + p.command_type + " args=" + p.args + " caused_by=" + p.caused_by +
           " lsn=" + p.lsn;
  }
  return "alert " + p.alert_id + " " + p.type + " " + p.state + " " + p.entity_kind + ":" + p.entity_id +
         " event=" + p.event_id + " lsn=" + p.lsn + " commit_time=" + p.commit_time + " details=" + p.details;
}

bool Compared(const Published& p) {
  return p.topic == "walguard.alerts" || p.topic == "walguard.commands";
}

// Per key, the messages in order, each (id, state) once.
std::map<std::string, std::vector<std::string>> ByKey(const std::vector<Published>& all) {
  std::map<std::string, std::vector<std::string>> out;
  std::set<std::pair<std::string, std::string>> seen;  // (key, id + state)
  for (const Published& p : all) {
    if (!Compared(p)) continue;
    const std::string id = (p.command_id.empty() ? p.alert_id : p.command_id) + "/" + p.state;
    if (!seen.emplace(p.topic + "|" + p.key, id).second) continue;
    out[p.topic + "|" + p.key].push_back(Essence(p));
  }
  return out;
}

}  // namespace

std::string CompareReplayWithLive(const std::vector<Published>& live, const std::vector<Published>& replay,
                                  size_t* compared) {
  const auto a = ByKey(live), b = ByKey(replay);
  std::set<std::string> keys;
  for (const auto& [k, v] : a) keys.insert(k);
  for (const auto& [k, v] : b) keys.insert(k);
  std::string report;
  int shown = 0;
  *compared = 0;
  for (const std::string& key : keys) {
    const auto ia = a.find(key), ib = b.find(key);
    static const std::vector<std::string> kNone;
    const std::vector<std::string>& la = ia == a.end() ? kNone : ia->second;
    const std::vector<std::string>& lb = ib == b.end() ? kNone : ib->second;
    *compared += la.size();
    if (la == lb) continue;
    if (++shown > 10) continue;
    report += "  " + key + "\n";
    for (size_t i = 0; i < std::max(la.size(), lb.size()); ++i) {
      const std::string& x = i < la.size() ? la[i] : "(none)";
      const std::string& y = i < lb.size() ? lb[i] : "(none)";
      if (x == y) continue;
      report += "    #" + std::to_string(i) + " live:   " + x + "\n    #" + std::to_string(i) + " replay: " + y + "\n";
      break;
    }
  }
  if (shown > 10) report += "  ... and " + std::to_string(shown - 10) + " more keys\n";
  return report;
}

}  // namespace walguard::testing
