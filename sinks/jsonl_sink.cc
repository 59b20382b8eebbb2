#include "sinks/jsonl_sink.h"

#include <cerrno>
#include <cstring>

#include "util/json_writer.h"

namespace walguard {

JsonlSink::~JsonlSink() {
  if (owned_ && file_ != nullptr) std::fclose(file_);
}

Status JsonlSink::Open(const std::string& path) {
  if (file_ != nullptr) return Status::InvalidArgument("jsonl sink: already open");
  if (path == "-") {
    file_ = stdout;
    owned_ = false;
    return Status::OK();
  }
  file_ = std::fopen(path.c_str(), "a");
  if (file_ == nullptr) {
    return Status::IOError("jsonl sink: open " + path + ": " + std::strerror(errno));
  }
  owned_ = true;
  return Status::OK();
}

Status JsonlSink::Send(const SinkMessage& message, std::vector<uint64_t>* delivered) {
  if (file_ == nullptr) return Status::InvalidArgument("jsonl sink: not open");
  std::string line;
  line.reserve(message.topic.size() + message.key.size() + message.payload.size() + 40);
  line.append("{\"topic\":");
  AppendJsonString(&line, message.topic);
  line.append(",\"key\":");
  AppendJsonString(&line, message.key);
  // The payload is already one JSON object; embedding it verbatim keeps the
  // line a single JSON document.
  line.append(",\"value\":");
  line.append(message.payload);
  line.append("}\n");
  // Flushed per message so that "delivered" means the line reached the OS.
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fflush(file_) != 0) {
    return Status::IOError(std::string("jsonl sink: write: ") + std::strerror(errno));
  }
  delivered->push_back(message.seq);
  return Status::OK();
}

}  // namespace walguard
