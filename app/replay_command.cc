#include "app/replay_command.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <tuple>
#include <utility>

#include "app/replayer.h"
#include "sinks/kafka_sink.h"
#include "util/json_writer.h"

namespace walguard {

namespace {

// Waits on a full local queue at most this many polls of kPollMs.
constexpr int kPollMs = 100;
constexpr int kMaxQueueWaits = 600;
constexpr int kFlushMs = 30'000;

const std::string& TopicName(Topic topic, const KafkaConfig& topics) {
  switch (topic) {
    case Topic::kAlerts:
      return topics.alerts_topic;
    case Topic::kCommands:
      return topics.commands_topic;
    case Topic::kDeadLetter:
      break;
  }
  return topics.deadletter_topic;
}

uint64_t ChangesOf(const ArchiveRecord& record) {
  switch (record.kind) {
    case ArchiveRecordKind::kTransaction:
    case ArchiveRecordKind::kTransactionPart:
      return record.txn.changes.size();
    case ArchiveRecordKind::kSnapshotRow:
      return 1;
    default:
      return 0;
  }
}

// The value of the first `"name":"..."` in an alert payload. Our own writer
// puts state and lsn before entity and details (processors/alerts.cc), and
// escapes every quote inside a string, so the first match is the top level.
std::string TopLevelString(std::string_view payload, std::string_view name) {
  const std::string needle = "\"" + std::string(name) + "\":\"";
  const size_t at = payload.find(needle);
  if (at == std::string_view::npos) return "";
  const size_t begin = at + needle.size();
  const size_t end = payload.find('"', begin);
  return std::string(payload.substr(begin, end == std::string_view::npos ? 0 : end - begin));
}

using Transition = std::tuple<std::string, std::string, std::string>;  // fingerprint, state, lsn

void CollectTransitions(const std::vector<OutMessage>& messages, std::vector<Transition>* out) {
  for (const OutMessage& m : messages) {
    if (m.topic != Topic::kAlerts) continue;
    out->emplace_back(m.key, TopLevelString(m.payload, "state"), TopLevelString(m.payload, "lsn"));
  }
}

// The transitions of `mine` that `theirs` lacks (as multisets).
void Missing(const std::vector<Transition>& mine, const std::vector<Transition>& theirs, const char* run,
             std::vector<AlertDifference>* out) {
  std::map<Transition, int> have;
  for (const Transition& t : theirs) ++have[t];
  for (const Transition& t : mine) {
    if (have[t] > 0) {
      --have[t];
      continue;
    }
    out->push_back({run, std::get<0>(t), std::get<1>(t), std::get<2>(t)});
  }
}

class Stopwatch {
 public:
  double Seconds() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace

Status Replay(const RecordSource& source, const ReplayOptions& options, const MessageEmitter& emit,
              ReplaySummary* summary) {
  *summary = ReplaySummary();
  const Stopwatch watch;
  std::unique_ptr<Replayer> replayer;
  WG_RETURN_IF_ERROR(Replayer::Open(options.thresholds, &replayer));
  std::vector<OutMessage> out;
  Lsn position = 0;  // of the step; snapshot rows belong to their snapshot's
  Status s = source(
      [&](const ArchiveRecord& record, bool* stop) -> Status {
        if (BeyondLimits(record, options.until_lsn, options.until_time)) {
          *stop = true;
          return Status::OK();
        }
        if (record.Position() != 0) position = record.Position();
        out.clear();
        WG_RETURN_IF_ERROR(replayer->Apply(record, &out));
        summary->changes += ChangesOf(record);
        if (position < options.from_lsn) return Status::OK();
        for (const OutMessage& m : out) WG_RETURN_IF_ERROR(emit(m));
        summary->messages += out.size();
        return Status::OK();
      },
      &summary->source);
  summary->seconds = watch.Seconds();
  return s;
}

Status ReplayDiff(const RecordSource& source, const ReplayOptions& what_if, const std::optional<Thresholds>& baseline,
                  std::vector<AlertDifference>* differences, ReplaySummary* summary) {
  *summary = ReplaySummary();
  const Stopwatch watch;
  std::unique_ptr<Replayer> mine, base;
  WG_RETURN_IF_ERROR(Replayer::Open(what_if.thresholds, &mine));
  WG_RETURN_IF_ERROR(Replayer::Open(baseline.value_or(Thresholds()), &base, /*follow_recorded=*/!baseline));
  std::vector<OutMessage> out_mine, out_base;
  std::vector<Transition> t_mine, t_base;
  Lsn position = 0;
  Status s = source(
      [&](const ArchiveRecord& record, bool* stop) -> Status {
        if (BeyondLimits(record, what_if.until_lsn, what_if.until_time)) {
          *stop = true;
          return Status::OK();
        }
        if (record.Position() != 0) position = record.Position();
        out_mine.clear();
        out_base.clear();
        WG_RETURN_IF_ERROR(mine->Apply(record, &out_mine));
        WG_RETURN_IF_ERROR(base->Apply(record, &out_base));
        summary->changes += ChangesOf(record);
        if (position < what_if.from_lsn) return Status::OK();
        CollectTransitions(out_mine, &t_mine);
        CollectTransitions(out_base, &t_base);
        summary->messages += out_mine.size();
        return Status::OK();
      },
      &summary->source);
  summary->seconds = watch.Seconds();
  WG_RETURN_IF_ERROR(s);
  differences->clear();
  Missing(t_mine, t_base, "what-if", differences);
  Missing(t_base, t_mine, "baseline", differences);
  std::stable_sort(differences->begin(), differences->end(), [](const AlertDifference& a, const AlertDifference& b) {
    Lsn la = 0, lb = 0;
    (void)ParseLsn(a.lsn, &la);
    (void)ParseLsn(b.lsn, &lb);
    return la < lb;
  });
  return Status::OK();
}

std::string ReplayLine(const OutMessage& message, const KafkaConfig& topics) {
  std::string line;
  JsonWriter w(&line);
  w.BeginObject();
  w.Field("topic", TopicName(message.topic, topics));
  w.Field("key", message.key);
  w.Key("value").Raw(message.payload);
  w.EndObject();
  return line;
}

std::string SummaryLine(const ReplaySummary& summary) {
  const double rate = summary.seconds > 0 ? static_cast<double>(summary.changes) / summary.seconds : 0;
  char buf[256];
  std::snprintf(buf, sizeof(buf), "replay: %llu records, %llu changes, %llu messages in %.3f s (%.0f changes/s)",
                static_cast<unsigned long long>(summary.source.records),
                static_cast<unsigned long long>(summary.changes), static_cast<unsigned long long>(summary.messages),
                summary.seconds, rate);
  return buf;
}

int ExitCodeOf(const Status& status) {
  if (status.ok()) return 0;
  return status.code() == Status::Code::kInvalidArgument ? 1 : 2;
}

RecordSource SourceOf(const std::string& archive, const std::string& input, const std::atomic<bool>* stop,
                      std::FILE* notes) {
  return Interruptible(archive.empty() ? InputSource(input, notes) : ArchiveSource(archive, notes), stop, notes);
}

namespace {

Status SendToKafka(KafkaSink* sink, const SinkMessage& message) {
  std::vector<uint64_t> delivered;
  for (int wait = 0;; ++wait) {
    Status s = sink->Send(message);
    if (!s.IsUnavailable() || wait == kMaxQueueWaits) return s;
    WG_RETURN_IF_ERROR(sink->Poll(kPollMs, &delivered));
  }
}

Status ReplayToKafka(const RecordSource& source, const ReplayCommandOptions& options, const Config& config,
                     ReplaySummary* summary) {
  KafkaSink sink;
  WG_RETURN_IF_ERROR(sink.Open(KafkaSinkOptions{options.brokers, config.kafka.properties}));
  uint64_t seq = 0;
  WG_RETURN_IF_ERROR(Replay(
      source, options.replay,
      [&](const OutMessage& m) {
        return SendToKafka(&sink, {++seq, options.topic_prefix + TopicName(m.topic, config.kafka), m.key, m.payload});
      },
      summary));
  std::vector<uint64_t> delivered;
  WG_RETURN_IF_ERROR(sink.Flush(kFlushMs, &delivered));
  if (sink.in_flight() != 0) {
    return Status::Unavailable(std::to_string(sink.in_flight()) + " message(s) not acknowledged by Kafka");
  }
  return Status::OK();
}

Status ReplayToFile(const RecordSource& source, const ReplayCommandOptions& options, const Config& config,
                    ReplaySummary* summary) {
  std::FILE* out = stdout;
  if (options.out != "-") {
    out = std::fopen(options.out.c_str(), "w");
    if (out == nullptr) return Status::InvalidArgument("cannot write " + options.out);
  }
  Status s;
  if (options.diff) {
    std::vector<AlertDifference> differences;
    s = ReplayDiff(source, options.replay, options.baseline, &differences, summary);
    for (const AlertDifference& d : differences) {
      std::string line;
      JsonWriter w(&line);
      w.BeginObject();
      w.Field("run", d.run);
      w.Field("fingerprint", d.fingerprint);
      w.Field("state", d.state);
      w.Field("lsn", d.lsn);
      w.EndObject();
      std::fprintf(out, "%s\n", line.c_str());
    }
  } else {
    s = Replay(
        source, options.replay,
        [&](const OutMessage& m) {
          std::fprintf(out, "%s\n", ReplayLine(m, config.kafka).c_str());
          return Status::OK();
        },
        summary);
  }
  const bool write_failed = std::fflush(out) != 0 || std::ferror(out) != 0;
  if (out != stdout) std::fclose(out);
  if (s.ok() && write_failed) s = Status::IOError("write " + options.out);
  return s;
}

}  // namespace

int ReplayCommand(const ReplayCommandOptions& options, const Config& config, const std::atomic<bool>* stop) {
  const RecordSource source = SourceOf(options.archive, options.input, stop, stderr);
  ReplaySummary summary;
  Status s = options.brokers.empty() || options.diff ? ReplayToFile(source, options, config, &summary)
                                                     : ReplayToKafka(source, options, config, &summary);
  std::fprintf(stderr, "%s\n", SummaryLine(summary).c_str());
  if (!s.ok()) std::fprintf(stderr, "walguard replay: %s\n", s.ToString().c_str());
  return ExitCodeOf(s);
}

}  // namespace walguard
