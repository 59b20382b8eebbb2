#include "tests/integration/firing_compare.h"

#include <algorithm>
#include <sstream>

#include "tests/integration/environment.h"

namespace walguard::testing {

namespace {
bool Historical(const Published& alert) {
  return alert.payload.find(R"("historical":true)") != std::string::npos;
}
}  // namespace

Status NearDeadline(const std::string& db, const OracleOptions& options, std::set<std::string>* near) {
  std::map<std::string, std::string> before, after;
  OracleOptions early = options, late = options;
  early.now_offset_seconds = -kBoundarySeconds;
  late.now_offset_seconds = kBoundarySeconds;
  WG_RETURN_IF_ERROR(ExpectedFiring(SharedCluster(), db, early, &before));
  WG_RETURN_IF_ERROR(ExpectedFiring(SharedCluster(), db, late, &after));
  for (const auto& [fp, figures] : before) {
    if (after.count(fp) == 0) near->insert(fp);
  }
  for (const auto& [fp, figures] : after) {
    if (before.count(fp) == 0) near->insert(fp);
  }
  return Status::OK();
}

std::string DescribeFiring(const std::string& fingerprint, const std::string& label_a, const Published* a,
                           const std::string& label_b, const std::string* b_figures) {
  const size_t colon = fingerprint.find(':');
  const size_t width = std::max(label_a.size(), label_b.size());
  auto label = [width](const std::string& l) { return "    " + l + ":" + std::string(width - l.size() + 1, ' '); };
  std::ostringstream out;
  out << "  rule " << fingerprint.substr(0, colon) << ", entity " << fingerprint.substr(colon + 1) << "\n"
      << label(label_a) << (a ? "firing, details " + a->details + (Historical(*a) ? ", historical" : "") : "not firing")
      << "\n"
      << label(label_b) << (b_figures ? "firing, " + *b_figures : "not firing") << "\n";
  return out.str();
}

Status CompareWithOracle(const std::string& db, const OracleOptions& options,
                         const std::map<std::string, Published>& actual, OracleComparison* out) {
  std::map<std::string, std::string> expected;
  WG_RETURN_IF_ERROR(ExpectedFiring(SharedCluster(), db, options, &expected));
  std::set<std::string> near;
  WG_RETURN_IF_ERROR(NearDeadline(db, options, &near));
  std::set<std::string> all;
  for (const auto& [fp, figures] : expected) all.insert(fp);
  for (const auto& [fp, alert] : actual) all.insert(fp);
  *out = OracleComparison{};
  out->expected = expected.size();
  for (const std::string& fp : all) {
    auto e = expected.find(fp);
    auto a = actual.find(fp);
    if (e != expected.end() && a != actual.end()) {
      // Both firing: a lookback rule's historical flag must agree too.
      if (e->second.ends_with(" historical=t") == Historical(a->second) ||
          e->second.find(" historical=") == std::string::npos) {
        continue;
      }
    } else if ((e != expected.end()) == (a != actual.end())) {
      continue;
    }
    std::string diff = DescribeFiring(fp, "walguard", a != actual.end() ? &a->second : nullptr, "sql",
                                      e != expected.end() ? &e->second : nullptr);
    (near.count(fp) ? out->tolerated : out->report) += diff;
  }
  return Status::OK();
}

}  // namespace walguard::testing
