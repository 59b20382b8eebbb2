// Status: the result of every fallible call, in the LevelDB/RocksDB style.
// [[nodiscard]]: a dropped Status is a dropped error, and fails the build.
// A Status is either OK or carries a code and a human-readable message that
// says what failed and, where it helps, what to do about it.
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace walguard {

class [[nodiscard]] Status {
 public:
  enum class Code {
    kOk = 0,
    kInvalidArgument,  // bad input from the user or the stream (config, record)
    kNotFound,         // a key or object that does not exist
    kCorruption,       // stored or received data that cannot be understood
    kIOError,          // disk or network failure
    kUnavailable,      // transient: retry with backoff (connection lost, broker down)
    kFatal,            // cannot go on without operator action (lost slot, wrong cluster)
    kNoSpace,          // a write found no room (ENOSPC, EDQUOT) or failed (EIO): wait for space, retry
  };

  Status() = default;

  static Status OK() { return Status(); }
  static Status InvalidArgument(std::string msg) { return {Code::kInvalidArgument, std::move(msg)}; }
  static Status NotFound(std::string msg) { return {Code::kNotFound, std::move(msg)}; }
  static Status Corruption(std::string msg) { return {Code::kCorruption, std::move(msg)}; }
  static Status IOError(std::string msg) { return {Code::kIOError, std::move(msg)}; }
  static Status Unavailable(std::string msg) { return {Code::kUnavailable, std::move(msg)}; }
  static Status Fatal(std::string msg) { return {Code::kFatal, std::move(msg)}; }
  static Status NoSpace(std::string msg) { return {Code::kNoSpace, std::move(msg)}; }

  bool ok() const { return code_ == Code::kOk; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsUnavailable() const { return code_ == Code::kUnavailable; }
  bool IsFatal() const { return code_ == Code::kFatal; }
  bool IsNoSpace() const { return code_ == Code::kNoSpace; }
  bool IsCorruption() const { return code_ == Code::kCorruption; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // "OK" or "<Code name>: <message>".
  std::string ToString() const;

  // Prefixes the message with context, keeping the code: "snapshot: <message>".
  Status WithContext(std::string_view context) const;

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}

  Code code_ = Code::kOk;
  std::string message_;
};

}  // namespace walguard

// Returns early from the enclosing function when a Status is not OK.
#define WG_RETURN_IF_ERROR(expr)       \
  do {                                 \
    ::walguard::Status _wg_s = (expr); \
    if (!_wg_s.ok()) return _wg_s;     \
  } while (0)
