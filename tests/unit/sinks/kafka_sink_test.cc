// KafkaSink, JsonlSink and EmbeddedBroker against librdkafka's mock cluster,
// read back with a real consumer (TopicReader).
#include "sinks/kafka_sink.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "sinks/embedded_broker.h"
#include "sinks/jsonl_sink.h"
#include "tests/support/topic_reader.h"

namespace walguard::testing {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// Small backoffs so that a client notices a restarted broker within the
// test's time budget (the defaults back off up to 10 s).
KafkaSinkOptions SinkOptions(const std::string& brokers) {
  KafkaSinkOptions options;
  options.brokers = brokers;
  options.properties = {{"reconnect.backoff.ms", "20"}, {"reconnect.backoff.max.ms", "200"}};
  return options;
}

SinkMessage Msg(uint64_t seq, const std::string& topic, const std::string& key) {
  return SinkMessage{seq, topic, key, "{\"seq\":" + std::to_string(seq) + "}"};
}

// Polls until `want` seqs in total have been reported or `timeout` passes.
std::vector<uint64_t> PollDelivered(KafkaSink* sink, size_t want, milliseconds timeout) {
  std::vector<uint64_t> delivered;
  const auto deadline = Clock::now() + timeout;
  while (delivered.size() < want && Clock::now() < deadline) {
    Status s = sink->Poll(50, &delivered);
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  return delivered;
}

// Every message of one key must come back in the order it was sent.
void ExpectPerKeyOrder(const std::vector<ConsumedMessage>& messages) {
  std::map<std::pair<std::string, std::string>, std::string> last_payload;
  std::map<std::pair<std::string, std::string>, int32_t> partition;
  std::map<std::pair<std::string, std::string>, uint64_t> last_seq;
  for (const ConsumedMessage& m : messages) {
    auto id = std::make_pair(m.topic, m.key);
    uint64_t seq = std::stoull(m.payload.substr(7));  // {"seq":N}
    if (partition.count(id)) {
      EXPECT_EQ(partition[id], m.partition) << "key " << m.key << " spread over partitions";
      EXPECT_LT(last_seq[id], seq) << "key " << m.key << " out of order";
    }
    partition[id] = m.partition;
    last_seq[id] = seq;
  }
}

// A port on 127.0.0.1 with nothing listening on it.
int ClosedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(0, bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

// One broker for the whole suite (each test uses its own topics): creating
// and destroying a mock cluster can stall for up to a second.
class KafkaSinkTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    EmbeddedBrokerOptions options;
    options.partitions = 3;
    options.topics = {"alerts.a", "alerts.b", "outage"};
    broker_ = new EmbeddedBroker;
    Status s = broker_->Start(options);
    if (!s.ok()) {
      ADD_FAILURE() << s.ToString();
      TearDownTestSuite();
    }
  }
  static void TearDownTestSuite() {
    delete broker_;
    broker_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(nullptr, broker_); }
  // A test that failed halfway through an outage must not leave it behind.
  void TearDown() override {
    if (down_) {
      EXPECT_TRUE(SetDown(false).ok());
    }
  }
  Status SetDown(bool down) {
    down_ = down;
    return broker_->SetDown(down);
  }

  static EmbeddedBroker* broker_;
  bool down_ = false;
};

EmbeddedBroker* KafkaSinkTest::broker_ = nullptr;

TEST_F(KafkaSinkTest, DeliversEveryMessageOnceWithKeysAndOrder) {
  KafkaSink sink;
  ASSERT_TRUE(sink.Open(SinkOptions(broker_->bootstrap_servers())).ok());
  const uint64_t kCount = 300;
  std::map<std::string, SinkMessage> sent;  // by payload
  for (uint64_t seq = 1; seq <= kCount; ++seq) {
    SinkMessage m = Msg(seq, seq % 2 ? "alerts.a" : "alerts.b", "key-" + std::to_string(seq % 7));
    Status s = sink.Send(m);
    ASSERT_TRUE(s.ok()) << s.ToString();
    sent[m.payload] = m;
  }
  std::vector<uint64_t> delivered = PollDelivered(&sink, kCount, milliseconds(10000));
  // Nothing more may trickle in: each seq is reported exactly once.
  ASSERT_TRUE(sink.Poll(100, &delivered).ok());
  ASSERT_EQ(kCount, delivered.size());
  std::set<uint64_t> unique(delivered.begin(), delivered.end());
  EXPECT_EQ(kCount, unique.size());
  EXPECT_EQ(1u, *unique.begin());
  EXPECT_EQ(kCount, *unique.rbegin());
  EXPECT_EQ(0, sink.in_flight());

  TopicReader reader;
  Status s = reader.Open(broker_->bootstrap_servers(), {"alerts.a", "alerts.b"});
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_TRUE(reader.WaitUntil([&](const auto& m) { return m.size() >= kCount; }, milliseconds(10000)));
  reader.PollFor(milliseconds(200));  // no duplicates arrive late
  ASSERT_EQ(kCount, reader.messages().size());
  for (const ConsumedMessage& m : reader.messages()) {
    ASSERT_TRUE(sent.count(m.payload)) << m.payload;
    EXPECT_EQ(sent[m.payload].topic, m.topic);
    EXPECT_EQ(sent[m.payload].key, m.key);
  }
  ExpectPerKeyOrder(reader.messages());
}

TEST_F(KafkaSinkTest, ReaderWaitsForTopicCreatedByFirstProduce) {
  // Produce to a topic nobody created, a little after the reader starts
  // waiting for it; the broker auto-creates it.
  std::thread producer([&] {
    std::this_thread::sleep_for(milliseconds(500));
    KafkaSink sink;
    ASSERT_TRUE(sink.Open(SinkOptions(broker_->bootstrap_servers())).ok());
    ASSERT_TRUE(sink.Send(Msg(7, "late.topic", "k")).ok());
    std::vector<uint64_t> delivered;
    ASSERT_TRUE(sink.Flush(5000, &delivered).ok());
    EXPECT_EQ(std::vector<uint64_t>{7}, delivered);
  });
  TopicReader reader;
  Status s = reader.Open(broker_->bootstrap_servers(), {"late.topic"});
  producer.join();
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_TRUE(reader.WaitUntil([](const auto& m) { return !m.empty(); }, milliseconds(5000)));
  EXPECT_EQ("{\"seq\":7}", reader.messages()[0].payload);
  EXPECT_EQ("k", reader.messages()[0].key);
}

TEST_F(KafkaSinkTest, OpenLooksUpItsTopicsBeforeTheFirstMessage) {
  // The broker auto-creates a topic when a client asks for its metadata, so
  // the topic appearing with nothing sent shows the sink asked at Open: the
  // first message then does not wait for that lookup.
  const std::string brokers = broker_->bootstrap_servers();
  int partitions = -1;
  ASSERT_TRUE(TopicPartitionCount(brokers, "warm.topic", &partitions).ok());
  ASSERT_EQ(0, partitions);
  KafkaSinkOptions options = SinkOptions(brokers);
  options.topics = {"warm.topic"};
  KafkaSink sink;
  ASSERT_TRUE(sink.Open(options).ok());
  const auto deadline = Clock::now() + milliseconds(5000);
  while (partitions == 0 && Clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(50));
    Status s = TopicPartitionCount(brokers, "warm.topic", &partitions);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  EXPECT_GT(partitions, 0);
  EXPECT_EQ(0, sink.in_flight());
}

TEST_F(KafkaSinkTest, BrokerOutageDelaysButLosesNothing) {
  KafkaSink sink;
  ASSERT_TRUE(sink.Open(SinkOptions(broker_->bootstrap_servers())).ok());
  // Connect and get a producer id before the outage.
  ASSERT_TRUE(sink.Send(Msg(1, "outage", "k0")).ok());
  ASSERT_EQ(1u, PollDelivered(&sink, 1, milliseconds(5000)).size());

  ASSERT_TRUE(SetDown(true).ok());
  const uint64_t kCount = 50;
  for (uint64_t seq = 2; seq <= kCount; ++seq) {
    ASSERT_TRUE(sink.Send(Msg(seq, "outage", "k" + std::to_string(seq % 3))).ok());
  }
  EXPECT_TRUE(PollDelivered(&sink, 1, milliseconds(1000)).empty());
  EXPECT_EQ(static_cast<int64_t>(kCount - 1), sink.in_flight());

  ASSERT_TRUE(SetDown(false).ok());
  std::vector<uint64_t> delivered;
  Status s = sink.Flush(10000, &delivered);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(kCount - 1, std::set<uint64_t>(delivered.begin(), delivered.end()).size());
  EXPECT_EQ(kCount - 1, delivered.size());

  TopicReader reader;
  ASSERT_TRUE(reader.Open(broker_->bootstrap_servers(), {"outage"}).ok());
  ASSERT_TRUE(reader.WaitUntil([&](const auto& m) { return m.size() >= kCount; }, milliseconds(10000)));
  EXPECT_EQ(kCount, reader.messages().size());
  ExpectPerKeyOrder(reader.messages());
}

TEST(KafkaSinkStandaloneTest, UnreachableBrokerKeepsMessagesInFlight) {
  KafkaSink sink;
  ASSERT_TRUE(sink.Open(SinkOptions("127.0.0.1:" + std::to_string(ClosedPort()))).ok());
  for (uint64_t seq = 1; seq <= 10; ++seq) ASSERT_TRUE(sink.Send(Msg(seq, "t", "k")).ok());
  std::vector<uint64_t> delivered;
  const auto deadline = Clock::now() + milliseconds(1000);
  while (Clock::now() < deadline) {
    Status s = sink.Poll(50, &delivered);
    ASSERT_TRUE(s.ok()) << "a down broker is not an error: " << s.ToString();
  }
  EXPECT_TRUE(delivered.empty());
  EXPECT_EQ(10, sink.in_flight());
  Status s = sink.Flush(100, &delivered);
  EXPECT_TRUE(s.IsUnavailable()) << s.ToString();
  EXPECT_EQ(10, sink.in_flight());
}

TEST(KafkaSinkStandaloneTest, ShutdownDoesNotWaitForUnreachableBroker) {
  const auto start = Clock::now();
  {
    KafkaSink sink;
    ASSERT_TRUE(sink.Open(SinkOptions("127.0.0.1:" + std::to_string(ClosedPort()))).ok());
    ASSERT_TRUE(sink.Send(Msg(1, "t", "k")).ok());
  }
  EXPECT_LT(Clock::now() - start, milliseconds(3000));
}

TEST(KafkaSinkStandaloneTest, BadPropertiesAreInvalidArgument) {
  auto open = [](std::map<std::string, std::string> properties) {
    KafkaSinkOptions options;
    options.brokers = "127.0.0.1:1";
    options.properties = std::move(properties);
    KafkaSink sink;
    return sink.Open(options);
  };
  Status s = open({{"no.such.property", "1"}});
  EXPECT_EQ(Status::Code::kInvalidArgument, s.code());
  EXPECT_NE(std::string::npos, s.message().find("no.such.property")) << s.ToString();

  s = open({{"linger.ms", "soon"}});
  EXPECT_EQ(Status::Code::kInvalidArgument, s.code());
  EXPECT_NE(std::string::npos, s.message().find("linger.ms")) << s.ToString();

  // The name is reported, a secret-looking value never is.
  s = open({{"my.Secret.token", "hunter2"}});
  EXPECT_EQ(Status::Code::kInvalidArgument, s.code());
  EXPECT_NE(std::string::npos, s.message().find("my.Secret.token")) << s.ToString();
  EXPECT_EQ(std::string::npos, s.message().find("hunter2")) << s.ToString();

  // Weakening the delivery guarantee is rejected when the producer is built.
  s = open({{"acks", "1"}});
  EXPECT_EQ(Status::Code::kInvalidArgument, s.code()) << s.ToString();
}

// Broker-side errors need the mock cluster's error injection, which
// EmbeddedBroker does not expose, so these tests drive the C API directly.
class KafkaSinkErrorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char errstr[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr));
    host_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    ASSERT_NE(nullptr, host_) << errstr;
    mcluster_ = rd_kafka_mock_cluster_new(host_, 1);
    ASSERT_NE(nullptr, mcluster_);
    ASSERT_EQ(RD_KAFKA_RESP_ERR_NO_ERROR, rd_kafka_mock_topic_create(mcluster_, "t", 1, 1));
    ASSERT_TRUE(sink_.Open(SinkOptions(rd_kafka_mock_cluster_bootstraps(mcluster_))).ok());
    // One delivered message first: the producer id is assigned by then.
    ASSERT_TRUE(sink_.Send(Msg(1, "t", "k")).ok());
    std::vector<uint64_t> delivered;
    ASSERT_TRUE(sink_.Flush(5000, &delivered).ok());
    ASSERT_EQ(std::vector<uint64_t>{1}, delivered);
  }
  void TearDown() override {
    if (mcluster_ != nullptr) rd_kafka_mock_cluster_destroy(mcluster_);
    if (host_ != nullptr) rd_kafka_destroy(host_);
  }
  // The next Produce request fails with `err`.
  void FailNextProduce(rd_kafka_resp_err_t err) {
    rd_kafka_mock_push_request_errors(mcluster_, 0 /* ApiKey Produce */, 1, err);
  }

  rd_kafka_t* host_ = nullptr;
  rd_kafka_mock_cluster_t* mcluster_ = nullptr;
  KafkaSink sink_;  // destroyed before the cluster (members go first)
};

TEST_F(KafkaSinkErrorTest, PermanentDeliveryFailureIsReportedOnce) {
  FailNextProduce(RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
  for (uint64_t seq = 2; seq <= 4; ++seq) ASSERT_TRUE(sink_.Send(Msg(seq, "t", "k")).ok());
  std::vector<uint64_t> delivered;
  std::vector<Status> failures;
  const auto deadline = Clock::now() + milliseconds(1000);
  while (Clock::now() < deadline) {
    Status s = sink_.Poll(50, &delivered);
    if (!s.ok()) failures.push_back(s);
  }
  ASSERT_EQ(1u, failures.size());
  EXPECT_TRUE(failures[0].IsUnavailable()) << failures[0].ToString();
  EXPECT_NE(std::string::npos, failures[0].message().find("delivery failed")) << failures[0].ToString();
  EXPECT_TRUE(delivered.empty());
  EXPECT_EQ(0, sink_.in_flight());

  // The producer carries on: a re-send (as the outbox would do) goes through.
  ASSERT_TRUE(sink_.Send(Msg(2, "t", "k")).ok());
  Status s = sink_.Flush(5000, &delivered);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(std::vector<uint64_t>{2}, delivered);
}

TEST_F(KafkaSinkErrorTest, SequenceDesyncIsFatal) {
  // The idempotent producer cannot tell whether messages were lost.
  FailNextProduce(RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
  ASSERT_TRUE(sink_.Send(Msg(2, "t", "k")).ok());
  std::vector<uint64_t> delivered;
  Status s;
  const auto deadline = Clock::now() + milliseconds(5000);
  while (s.ok() && Clock::now() < deadline) s = sink_.Poll(50, &delivered);
  EXPECT_TRUE(s.IsFatal()) << s.ToString();
  EXPECT_TRUE(sink_.Send(Msg(3, "t", "k")).IsFatal());
  EXPECT_TRUE(delivered.empty());
}

class JsonlSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() / ("jsonl_sink_test_" + std::to_string(getpid()) + ".jsonl");
    std::filesystem::remove(path_);
  }
  void TearDown() override { std::filesystem::remove(path_); }

  std::vector<std::string> Lines() {
    std::ifstream in(path_);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }

  std::filesystem::path path_;
};

TEST_F(JsonlSinkTest, WritesOneEscapedLinePerMessageAndAppends) {
  std::vector<uint64_t> delivered;
  {
    JsonlSink sink;
    ASSERT_TRUE(sink.Open(path_.string()).ok());
    ASSERT_TRUE(sink.Send({1, "alerts", "plain", "{\"a\":1}"}, &delivered).ok());
    // Flushed per message: visible before the sink is closed.
    EXPECT_EQ(1u, Lines().size());
  }
  {
    JsonlSink sink;
    ASSERT_TRUE(sink.Open(path_.string()).ok());
    ASSERT_TRUE(sink.Send({2, "al\"erts", "a\"b\nc\\d\te\x01", "{\"b\":[1,2]}"}, &delivered).ok());
  }
  EXPECT_EQ((std::vector<uint64_t>{1, 2}), delivered);
  std::vector<std::string> lines = Lines();
  ASSERT_EQ(2u, lines.size());
  EXPECT_EQ(R"({"topic":"alerts","key":"plain","value":{"a":1}})", lines[0]);
  EXPECT_EQ(R"({"topic":"al\"erts","key":"a\"b\nc\\d\te\u0001","value":{"b":[1,2]}})", lines[1]);
}

TEST_F(JsonlSinkTest, UnwritablePathIsIOError) {
  JsonlSink sink;
  Status s = sink.Open("/nonexistent-dir/out.jsonl");
  EXPECT_EQ(Status::Code::kIOError, s.code()) << s.ToString();
  std::vector<uint64_t> delivered;
  EXPECT_FALSE(sink.Send({1, "t", "k", "{}"}, &delivered).ok());
  EXPECT_TRUE(delivered.empty());
}

}  // namespace
}  // namespace walguard::testing
