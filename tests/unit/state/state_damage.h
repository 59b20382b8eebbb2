// Damage done to a stopped walguard's state directory, as an operator meets
// it (a bad disk, a careless rm, a restore from a newer binary): shared by
// the state store's unit tests and the integration tests of `walguard run`.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/key_layout.h"
#include "state/state_store.h"
#include "util/status.h"

namespace walguard {

enum class StateDamage {
  kSstBytesOverwritten,  // 4 KiB in the middle of the largest table file
  kSstTruncated,         // the largest table file cut to half its size
  kSstDeleted,           // the largest table file removed
  kCurrentDeleted,       // CURRENT removed: nothing names the MANIFEST
  kManifestGarbage,      // the MANIFEST overwritten with garbage
  kFutureFormat,         // the format version key of a newer walguard
};

inline constexpr StateDamage kAllStateDamages[] = {
    StateDamage::kSstBytesOverwritten, StateDamage::kSstTruncated,    StateDamage::kSstDeleted,
    StateDamage::kCurrentDeleted,      StateDamage::kManifestGarbage, StateDamage::kFutureFormat,
};

inline std::string StateDamageName(StateDamage d) {
  switch (d) {
    case StateDamage::kSstBytesOverwritten:
      return "SstBytesOverwritten";
    case StateDamage::kSstTruncated:
      return "SstTruncated";
    case StateDamage::kSstDeleted:
      return "SstDeleted";
    case StateDamage::kCurrentDeleted:
      return "CurrentDeleted";
    case StateDamage::kManifestGarbage:
      return "ManifestGarbage";
    case StateDamage::kFutureFormat:
      return "FutureFormat";
  }
  return "Unknown";
}

// The words the refusal must use for the damage (besides --resnapshot).
inline std::string StateDamageWords(StateDamage d) {
  switch (d) {
    case StateDamage::kSstBytesOverwritten:
      return "checksum";
    case StateDamage::kSstTruncated:
      return "a table file is truncated";
    case StateDamage::kSstDeleted:
      return "a file of the database is missing";
    case StateDamage::kManifestGarbage:
      return "its MANIFEST is unreadable";
    case StateDamage::kCurrentDeleted:
      return "CURRENT";
    case StateDamage::kFutureFormat:
      return "format version 99";
  }
  return "";
}

// The largest file of `dir` whose name ends with `suffix`, or "" when none.
inline std::string LargestFile(const std::string& dir, std::string_view suffix) {
  std::string best;
  uintmax_t best_size = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (!name.ends_with(suffix) && !name.starts_with(suffix)) continue;
    if (best.empty() || e.file_size() > best_size) {
      best = e.path().string();
      best_size = e.file_size();
    }
  }
  return best;
}

// Damages the state in `dir` (no walguard running). InvalidArgument when
// the directory has no file of the kind the damage needs (no table file
// yet: RocksDB writes one when it opens a state whose log holds data).
inline Status DamageState(const std::string& dir, StateDamage damage) {
  namespace fs = std::filesystem;
  const std::string sst = LargestFile(dir, ".sst");
  const bool needs_sst = damage == StateDamage::kSstBytesOverwritten || damage == StateDamage::kSstTruncated ||
                         damage == StateDamage::kSstDeleted;
  if (needs_sst && sst.empty()) return Status::InvalidArgument("no .sst file in " + dir);
  std::error_code ec;
  switch (damage) {
    case StateDamage::kSstBytesOverwritten: {
      const int fd = ::open(sst.c_str(), O_WRONLY);
      if (fd < 0) return Status::IOError("open " + sst);
      const std::string garbage(4096, '\xa5');
      const off_t size = static_cast<off_t>(fs::file_size(sst));
      // Inside the data blocks, before the index and footer at the end.
      const off_t at = size > 3 * 4096 ? size / 3 : 0;
      const ssize_t n = ::pwrite(fd, garbage.data(), std::min<size_t>(garbage.size(), size - at - 64), at);
      ::close(fd);
      if (n <= 0) return Status::IOError("pwrite " + sst);
      return Status::OK();
    }
    case StateDamage::kSstTruncated:
      fs::resize_file(sst, fs::file_size(sst) / 2, ec);
      break;
    case StateDamage::kSstDeleted:
      fs::remove(sst, ec);
      break;
    case StateDamage::kCurrentDeleted:
      fs::remove(fs::path(dir) / "CURRENT", ec);
      break;
    case StateDamage::kManifestGarbage: {
      const std::string manifest = LargestFile(dir, "MANIFEST-");
      if (manifest.empty()) return Status::InvalidArgument("no MANIFEST in " + dir);
      const int fd = ::open(manifest.c_str(), O_WRONLY | O_TRUNC);
      if (fd < 0) return Status::IOError("open " + manifest);
      std::string garbage;
      for (int i = 0; i < 4096; ++i) garbage.push_back(static_cast<char>((i * 7919 + 13) & 0xff));
      const ssize_t n = ::write(fd, garbage.data(), garbage.size());
      ::close(fd);
      if (n <= 0) return Status::IOError("write " + manifest);
      return Status::OK();
    }
    case StateDamage::kFutureFormat: {
      std::unique_ptr<StateStore> store;
      WG_RETURN_IF_ERROR(StateStore::Open(dir, &store));
      auto batch = store->NewBatch();
      batch->Put(keys::kFormatVersion, "99");
      return store->Commit(batch.get(), /*sync=*/true);
    }
  }
  if (ec) return Status::IOError(ec.message());
  return Status::OK();
}

}  // namespace walguard
