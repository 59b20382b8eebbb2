#include "sinks/jsonl_sink.h"

#include <cerrno>
#include <cstring>

namespace walguard {

namespace {

// Appends `in` as a JSON string literal (RFC 8259): quotes, backslashes and
// all control characters are escaped; other bytes (UTF-8) pass through.
void AppendJsonString(const std::string& in, std::string* out) {
  static const char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (char c : in) {
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      default: {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20) {
          out->append("\\u00");
          out->push_back(kHex[u >> 4]);
          out->push_back(kHex[u & 0xf]);
        } else {
          out->push_back(c);
        }
      }
    }
  }
  out->push_back('"');
}

}  // namespace

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
  AppendJsonString(message.topic, &line);
  line.append(",\"key\":");
  AppendJsonString(message.key, &line);
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
