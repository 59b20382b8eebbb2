#include "app/worker_command.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <map>
#include <memory>
#include <vector>

#include "app/worker_http.h"
#include "util/json_writer.h"
#include "util/time.h"
#include "worker/kafka_io.h"
#include "worker/messages.h"

namespace walguard {

namespace {

KafkaEndpoint Endpoint(const Config& config) {
  return {config.kafka.brokers, config.kafka.properties};
}

}  // namespace

int WorkerCommand(const Config& config, const WorkerOptions& options, const std::atomic<bool>* stop) {
  WorkerBoard board;
  WorkerOptions with_board = options;
  std::unique_ptr<WorkerHttp> http;
  if (!config.http_address.empty()) {
    http = std::make_unique<WorkerHttp>(config, &board);
    Status started = http->Start();
    if (!started.ok()) {
      spdlog::error("worker: {}", started.message());
      return 2;  // the address is taken or not ours: an operator's call, not a bad flag
    }
    with_board.board = &board;
  }
  Status s = RunWorker(config, with_board, stop);
  if (s.ok()) return 0;
  spdlog::error("worker: {}", s.message());
  return s.code() == Status::Code::kInvalidArgument ? 1 : 2;
}

int ApproveCommand(const ApproveOptions& options, const Config& config) {
  Publisher publisher;
  Status s = publisher.Open(Endpoint(config));
  Approval a{options.command_id, options.by, options.reason, WallClockNow()};
  uint64_t seq = 0;
  if (s.ok()) s = publisher.Send(config.kafka.approvals_topic, a.command_id, ApprovalJson(a), &seq);
  if (s.ok()) s = publisher.WaitDelivered(seq, 30'000, nullptr);
  if (!s.ok()) {
    spdlog::error("approve: {}", s.message());
    return 2;
  }
  std::printf("approved %s by %s\n", a.command_id.c_str(), a.by.c_str());
  return 0;
}

int ApprovalsCommand(const Config& config, bool json, FILE* out) {
  TopicFollower follower;
  Status s = follower.Open(Endpoint(config), {config.kafka.outcomes_topic, config.kafka.approvals_topic});
  if (!s.ok()) {
    spdlog::error("approvals: {}", s.message());
    return 2;
  }
  std::map<std::string, Outcome> waiting;  // by command_id, in id order
  std::map<std::string, Approval> approved;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (true) {
    std::vector<KafkaRecord> records;
    follower.Poll(200, 10'000, &records);
    for (const KafkaRecord& r : records) {
      Outcome o;
      Approval a;
      if (r.topic == config.kafka.approvals_topic && ParseApproval(r.payload, &a).ok()) {
        approved[a.command_id] = a;
      } else if (ParseOutcome(r.payload, &o).ok()) {
        if (o.status == OutcomeStatus::kAwaitingApproval) {
          waiting[o.command_id] = o;
        } else {
          waiting.erase(o.command_id);
        }
      }
    }
    if (records.empty() && follower.CaughtUp()) break;
    if (std::chrono::steady_clock::now() > deadline) {
      spdlog::warn("approvals: the topics were not read to their end within 30 s; the list may be incomplete");
      break;
    }
  }
  for (const auto& [id, o] : waiting) {
    auto a = approved.find(id);
    if (json) {
      std::string line;
      JsonWriter w(&line);
      w.BeginObject();
      w.Field("command_id", id);
      w.Field("type", o.type);
      w.Field("awaiting_since", FormatTimestamp(o.at));
      w.Key("report").Raw(o.report_json);
      if (a != approved.end()) w.Field("approved_by", a->second.by);
      w.EndObject();
      std::fprintf(out, "%s\n", line.c_str());
      continue;
    }
    std::fprintf(out, "%s  %s  awaiting since %s%s\n  dry run: %s\n", id.c_str(), o.type.c_str(),
                 FormatTimestamp(o.at).c_str(),
                 a == approved.end() ? "" : ("  (approved by " + a->second.by + ", not yet applied)").c_str(),
                 o.report_json.c_str());
  }
  if (waiting.empty() && !json) std::fprintf(out, "no command awaits approval\n");
  return 0;
}

}  // namespace walguard
