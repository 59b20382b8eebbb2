// walguard replay --brokers: the messages go to Kafka (an embedded broker,
// in process) under the prefixed topic names instead of to lines.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "app/replay_command.h"
#include "sinks/embedded_broker.h"
#include "tests/support/topic_reader.h"
#include "tests/unit/app/replay_fixture.h"

namespace walguard {
namespace {

using ::testing::HasSubstr;

TEST(ReplayKafka, PublishesEveryMessageUnderThePrefixedTopics) {
  EmbeddedBroker broker;
  EmbeddedBrokerOptions broker_options;
  broker_options.topics = {"replay.walguard.alerts", "replay.walguard.commands"};
  ASSERT_TRUE(broker.Start(broker_options).ok());
  TempDir dir;
  ReplayCommandOptions options;
  options.input = dir.Write("wal.jsonl", kTierDriftWal);
  options.brokers = broker.bootstrap_servers();
  options.topic_prefix = "replay.";
  const std::atomic<bool> stop{false};
  ASSERT_EQ(ReplayCommand(options, Config(), &stop), 0);

  testing::TopicReader reader;
  ASSERT_TRUE(reader.Open(broker.bootstrap_servers(), broker_options.topics).ok());
  ASSERT_TRUE(reader.WaitUntil([](const auto& messages) { return messages.size() >= 3; }, std::chrono::seconds(20)));
  std::vector<std::string> alerts;
  int commands = 0;
  for (const testing::ConsumedMessage& m : reader.messages()) {
    EXPECT_EQ(m.key, "tier_reserved_drift:tier:" + kTier);
    if (m.topic == "replay.walguard.alerts") alerts.push_back(m.payload);
    if (m.topic == "replay.walguard.commands") ++commands;
  }
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(commands, 1);
  // One key, one partition: the order of the live run.
  EXPECT_THAT(alerts[0], HasSubstr(R"("state":"firing")"));
  EXPECT_THAT(alerts[1], HasSubstr(R"("state":"resolved")"));
}

}  // namespace
}  // namespace walguard
