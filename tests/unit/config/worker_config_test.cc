#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "config/config.h"

namespace walguard {
namespace {

Status Load(const std::string& text, Config* config) {
  char path[] = "/tmp/walguard-worker-config-XXXXXX";
  int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << text;
  Status s = LoadConfigFile(path, config);
  std::remove(path);
  return s;
}

TEST(WorkerConfigTest, DefaultsWithoutASection) {
  Config c;
  ASSERT_TRUE(Load("", &c).ok());
  EXPECT_TRUE(c.worker.modes.empty());
  EXPECT_EQ(c.worker.max_attempts, 5);
  EXPECT_EQ(c.worker.approval_ttl_s, 3600);
  EXPECT_EQ(c.worker.escalate_after_s, 300);
  EXPECT_EQ(c.kafka.outcomes_topic, "walguard.outcomes");
  EXPECT_EQ(c.kafka.approvals_topic, "walguard.approvals");
}

TEST(WorkerConfigTest, ModesFunctionsWindowsAndBounds) {
  Config c;
  Status s = Load(R"TOML(
[kafka]
outcomes_topic = "o"
[worker]
max_attempts = 3
approval_ttl_s = 60
quiet_windows = ["Fri 18:00-23:59", "* 00:00-06:00"]
timezone = "+01:00"
[worker.modes]
cleanup_expired_ticket_holds = "apply"
refund_duplicate_charge = "approval"
[worker.functions]
cleanup_expired_ticket_holds = "SELECT mine.cleanup($event_id, $dry_run)"
)TOML",
                  &c);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(c.kafka.outcomes_topic, "o");
  EXPECT_EQ(c.worker.max_attempts, 3);
  EXPECT_EQ(c.worker.approval_ttl_s, 60);
  EXPECT_EQ(c.worker.quiet_windows.size(), 2u);
  EXPECT_EQ(c.worker.timezone, "+01:00");
  EXPECT_EQ(c.worker.modes.at("cleanup_expired_ticket_holds"), "apply");
  EXPECT_EQ(c.worker.modes.at("refund_duplicate_charge"), "approval");
  EXPECT_EQ(c.worker.functions.at("cleanup_expired_ticket_holds"), "SELECT mine.cleanup($event_id, $dry_run)");
}

TEST(WorkerConfigTest, ClearErrors) {
  struct Case {
    const char* toml;
    const char* says;
  };
  for (const Case& k : {
           Case{"[worker.modes]\nensure_tickets = \"yes\"\n", "worker.modes.ensure_tickets must be off, dry_run"},
           Case{"[worker]\nmax_attempts = 0\n", "worker.max_attempts must be between 1 and 100"},
           Case{"[worker]\napproval_ttl_s = -1\n", "worker.approval_ttl_s"},
           Case{"[worker]\nescalate_after_s = 0\n", "worker.escalate_after_s"},
           Case{"[worker]\nquiet_windows = \"Fri 18:00-23:59\"\n", "worker.quiet_windows must be an array"},
           Case{"[worker]\nfrobnicate = 1\n", "unknown setting worker.frobnicate"},
           Case{"[worker.functions]\nensure_tickets = \"SELECT f($order_id)\"\n", "must pass $dry_run"},
           Case{"[worker.modes]\nensure_tickets = 1\n", "worker.modes.ensure_tickets must be a string"},
       }) {
    Config c;
    Status s = Load(k.toml, &c);
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << k.toml;
    EXPECT_NE(s.message().find(k.says), std::string::npos) << s.message();
  }
}

}  // namespace
}  // namespace walguard
