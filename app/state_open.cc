#include "app/state_open.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <string>
#include <vector>

#include "app/backoff.h"
#include "app/disk_wait.h"
#include "state/handover_file.h"
#include "state/state_dir.h"

namespace walguard {

namespace {

namespace fs = std::filesystem;

// Room for what RocksDB writes at open beside the recovered log's table:
// a MANIFEST, an OPTIONS file, a new log.
constexpr uint64_t kOpenHeadroomBytes = uint64_t{1} << 20;
// Retries of a full disk are at most this far apart.
constexpr int kDiskRetryMaxMs = 10'000;

VerifyOnOpen VerifyPolicy(const Config& config, const RunStateOptions& options) {
  const std::string& mode = config.state.verify_on_open;
  if (options.verify || mode == "always") return VerifyOnOpen::kAlways;
  if (mode == "daily") return VerifyOnOpen::kDaily;
  return mode == "never" ? VerifyOnOpen::kNever : VerifyOnOpen::kChanged;
}

// What opening the state in `dir` writes, at most: its logs become a table.
uint64_t SpaceToOpen(const std::string& dir) {
  uint64_t logs = 0;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    if (it->path().extension() == ".log") logs += it->file_size(ec);
  }
  return logs + kOpenHeadroomBytes;
}

// A damaged database under --resnapshot: its firing set is taken (from the
// handover file, else from the database read-only), then it is moved aside.
Status SetDamagedStateAside(const std::string& dir, const std::string& damage, std::vector<FiringAlert>* handover) {
  spdlog::warn("--resnapshot: the state in {} is damaged: {}", dir, damage);
  HandoverFile file;
  Status read = ReadHandoverFile(HandoverFilePath(dir), &file);
  std::string moved_to;
  WG_RETURN_IF_ERROR(MoveDatabaseAside(dir, WallClockNow(), &moved_to));
  spdlog::warn("--resnapshot: moved the damaged database aside into {} (nothing deleted)", moved_to);
  if (read.ok()) {
    *handover = std::move(file.firing);
    spdlog::info("--resnapshot: {} firing alert(s) handed over from {} (written at checkpoint {})", handover->size(),
                 HandoverFilePath(dir), FormatLsn(file.lsn));
    return Status::OK();
  }
  spdlog::warn("--resnapshot: no usable handover file ({}); reading the firing set from the damaged database",
               read.ToString());
  Status old = StateStore::ReadFiringReadOnly(moved_to, handover);
  if (!old.ok()) {
    spdlog::error(
        "--resnapshot: the firing set could not be read whole ({}); {} alert(s) handed over, the others fire again "
        "under new ids if still true",
        old.ToString(), handover->size());
  }
  return Status::OK();
}

// Opens, waiting while the disk is full.
Status OpenWaitingForSpace(const std::string& dir, const StateOpenOptions& open_options, const std::atomic<bool>* stop,
                           std::unique_ptr<StateStore>* out) {
  Backoff backoff(kDiskRetryMaxMs, stop);
  const Micros since = WallClockNow();
  bool waited = false;
  for (;;) {
    DiskSpace space;
    const uint64_t needed = SpaceToOpen(dir);
    Status s = MeasureDiskSpace(dir, &space);
    if (s.ok() && space.free_bytes < needed) {
      s = Status::NoSpace("open the state: " + FormatBytes(space.free_bytes) + " free, " + FormatBytes(needed) +
                          " needed");
    } else {
      s = StateStore::Open(dir, out, open_options);
    }
    if (!IsOutOfSpace(s)) {
      if (s.ok() && waited) LogSpaceBack("opened the state", dir, WallClockNow() - since);
      return s;
    }
    if (backoff.stopped()) return s;
    LogWaitingForSpace("open the state", dir, needed, s, backoff.next_ms());
    waited = true;
    backoff.Sleep();
  }
}

}  // namespace

Status OpenRunState(const Config& config, const RunStateOptions& options, const std::atomic<bool>* stop,
                    std::unique_ptr<StateStore>* out) {
  const std::string& dir = config.state_dir;
  std::vector<FiringAlert> handover;
  if (options.resnapshot) {
    StateProbe probe;
    WG_RETURN_IF_ERROR(StateStore::Probe(dir, &probe));
    if (!probe.damage.empty()) WG_RETURN_IF_ERROR(SetDamagedStateAside(dir, probe.damage, &handover));
  }
  // --resnapshot rebuilds a state of another format instead of refusing it.
  const StateOpenOptions open_options{.allow_other_format = options.resnapshot,
                                      .verify = VerifyPolicy(config, options)};
  WG_RETURN_IF_ERROR(OpenWaitingForSpace(dir, open_options, stop, out));
  const VerifyReport& verified = (*out)->verify_report();
  if (verified.full) {
    spdlog::info("state: every checksum in {} verified in {} ms", dir, verified.micros / 1000);
  } else if (verified.files > 0) {
    spdlog::info("state: the checksums of {} table file(s) in {} not known whole ({:.1f} MiB) verified in {} ms",
                 verified.files, dir, static_cast<double>(verified.bytes) / (1 << 20), verified.micros / 1000);
  }
  // Kept in the fresh state until the bootstrap's last commit takes it over.
  if (!handover.empty()) WG_RETURN_IF_ERROR((*out)->WriteHandover(handover));
  return Status::OK();
}

}  // namespace walguard
