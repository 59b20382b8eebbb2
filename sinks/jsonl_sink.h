// JsonlSink: writes each message as one JSON line
// {"topic":...,"key":...,"value":<payload>} to a file or to stdout ("-"),
// for local debugging. Delivery is immediate once the line is flushed.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "sinks/message.h"
#include "util/status.h"

namespace walguard {

class JsonlSink {
 public:
  JsonlSink() = default;
  ~JsonlSink();
  JsonlSink(const JsonlSink&) = delete;
  JsonlSink& operator=(const JsonlSink&) = delete;

  Status Open(const std::string& path);  // "-" for stdout; a file is appended to
  Status Send(const SinkMessage& message, std::vector<uint64_t>* delivered);

 private:
  std::FILE* file_ = nullptr;
  bool owned_ = false;
};

}  // namespace walguard
