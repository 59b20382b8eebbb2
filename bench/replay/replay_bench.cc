// walguard_replay_bench: replay throughput from an archive, one core, with
// the cost split by stage.
//
//   walguard_replay_bench [--changes N] [--dir D] [--keep]
//
// Writes an archive of the drain workload (bench/support/checkout_workload.h)
// of at least N row changes (default 5,000,000) into D (default a fresh
// directory under $TMPDIR), then reads it four times, each pass doing one
// stage more than the one before:
//   read     segments read, checksummed and decompressed (the reference)
//   decode   + each record decoded (core/archive_record.h)
//   memory   + the engine on MemoryKv (rules and in-memory state) + output
//   replay   + app/replayer.h as `walguard replay` runs it: the engine on a
//              scratch RocksDB state, + output
// Output = each message written as a JSON line to /dev/null. The stages'
// costs are the differences between passes; inside the memory pass the KV
// calls and the output are clocked apart (clock reads included). The memory
// and replay passes must emit the same messages (a digest is compared).
// Times are wall and the main thread's CPU; RocksDB's background flushes
// and compactions run on other threads and show in process CPU only.
#include <stdlib.h>
#include <time.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "app/replayer.h"
#include "bench/replay/timed_kv.h"
#include "bench/support/checkout_workload.h"
#include "core/archive_record.h"
#include "ingest/archive.h"
#include "processors/engine.h"
#include "tests/support/memory_kv.h"

namespace walguard::bench {
namespace {

constexpr size_t kRecordsPerSegment = 2000;  // ~200 k changes, ~3 MiB compressed: the archiver's size

enum class PassKind { kRead, kDecode, kMemory, kReplay };
constexpr const char* kPassNames[] = {"read", "decode", "memory", "replay"};

struct Clock {
  std::chrono::steady_clock::time_point wall = std::chrono::steady_clock::now();
  double thread_cpu = ThreadCpuSeconds();
  double process_cpu = ProcessCpuSeconds();

  static double Seconds(clockid_t id) {
    timespec ts{};
    clock_gettime(id, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  }
  static double ThreadCpuSeconds() { return Seconds(CLOCK_THREAD_CPUTIME_ID); }
  static double ProcessCpuSeconds() { return Seconds(CLOCK_PROCESS_CPUTIME_ID); }
};

struct PassResult {
  double wall_s = 0, cpu_s = 0, process_cpu_s = 0;
  double kv_s = 0, output_s = 0;                   // memory pass only
  std::array<uint64_t, TimedKv::kOps> kv_calls{};  // memory pass only: Get, Put, Delete, Scan
  uint64_t records = 0, changes = 0, messages = 0;
  uint64_t digest = 1469598103934665603ULL;  // FNV-1a of the messages
};

void Digest(const OutMessage& m, uint64_t* h) {
  auto mix = [h](std::string_view s) {
    for (char c : s) *h = (*h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  };
  mix(std::string_view(reinterpret_cast<const char*>(&m.topic), 1));
  mix(m.key);
  mix(m.payload);
}

// The output stage: one JSON line per message, as `walguard replay` writes.
void Emit(std::vector<OutMessage>* out, std::FILE* sink, PassResult* r) {
  for (const OutMessage& m : *out) {
    std::fwrite(m.payload.data(), 1, m.payload.size(), sink);
    std::fputc('\n', sink);
    Digest(m, &r->digest);
  }
  r->messages += out->size();
  out->clear();
}

Status Generate(const std::string& dir, int64_t changes, uint64_t* bytes) {
  CheckoutWorkload workload;
  std::vector<std::string> encoded;
  std::vector<Transaction> txns;
  uint64_t seq = 1;
  int64_t written = 0;
  bool first = true;
  *bytes = 0;
  while (written < changes) {
    encoded.clear();
    std::vector<SegmentRecord> records;
    for (size_t i = 0; i < kRecordsPerSegment && written < changes; ++i) {
      Transaction txn = first ? workload.Catalog() : workload.Next();
      first = false;
      written += static_cast<int64_t>(txn.changes.size());
      encoded.emplace_back();
      EncodeTransactionRecord(txn, &encoded.back());
      records.push_back({seq++, txn.end_lsn, txn.commit_time, {}});
    }
    for (size_t i = 0; i < records.size(); ++i) records[i].bytes = encoded[i];
    SegmentInfo info;
    WG_RETURN_IF_ERROR(WriteSegment(dir, records, &info));
    *bytes += info.file_bytes;
  }
  return Status::OK();
}

Status RunPass(PassKind kind, const std::vector<SegmentInfo>& segments, PassResult* r) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> sink(std::fopen("/dev/null", "w"), &std::fclose);
  if (!sink) return Status::IOError("cannot open /dev/null");
  MemoryKv memory;
  TimedKv timed(&memory);
  Engine engine{Thresholds()};
  std::unique_ptr<Replayer> replayer;
  if (kind == PassKind::kMemory) WG_RETURN_IF_ERROR(engine.Load(&timed));
  if (kind == PassKind::kReplay) {
    WG_RETURN_IF_ERROR(Replayer::Open(Thresholds(), &replayer));
  }
  ArchiveRecord record;
  std::vector<OutMessage> out;
  const Clock start;
  for (const SegmentInfo& segment : segments) {
    WG_RETURN_IF_ERROR(ReadSegment(segment, [&](uint64_t, std::string_view bytes) -> Status {
      ++r->records;
      if (kind == PassKind::kRead) return Status::OK();
      WG_RETURN_IF_ERROR(DecodeArchiveRecord(bytes, &record));
      r->changes += record.txn.changes.size();
      if (kind == PassKind::kDecode) return Status::OK();
      if (kind == PassKind::kMemory) {
        WG_RETURN_IF_ERROR(engine.ApplyTransaction(record.txn, &timed, record.txn.commit_time, &out));
      } else {
        WG_RETURN_IF_ERROR(replayer->Apply(record, &out));
      }
      if (out.empty()) return Status::OK();
      const auto t0 = std::chrono::steady_clock::now();
      Emit(&out, sink.get(), r);
      r->output_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      return Status::OK();
    }));
  }
  r->wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start.wall).count();
  r->cpu_s = Clock::ThreadCpuSeconds() - start.thread_cpu;
  r->process_cpu_s = Clock::ProcessCpuSeconds() - start.process_cpu;
  r->kv_s = timed.seconds();
  for (int op = 0; op < TimedKv::kOps; ++op) r->kv_calls[op] = timed.calls(static_cast<TimedKv::Op>(op));
  return Status::OK();
}

void PrintReport(const PassResult (&p)[4], int64_t changes, uint64_t archive_bytes) {
  const double n = static_cast<double>(changes);
  std::printf("\narchive: %llu records, %lld changes, %.1f MiB (%.1f bytes/change)\n",
              static_cast<unsigned long long>(p[0].records), static_cast<long long>(changes),
              static_cast<double>(archive_bytes) / (1 << 20), static_cast<double>(archive_bytes) / n);
  std::printf("\n%-8s %9s %9s %11s %14s %12s %9s\n", "pass", "wall s", "CPU s", "proc CPU s", "changes/s wall",
              "changes/CPU-s", "messages");
  for (int i = 0; i < 4; ++i) {
    std::printf("%-8s %9.2f %9.2f %11.2f %14.0f %12.0f %9llu\n", kPassNames[i], p[i].wall_s, p[i].cpu_s,
                p[i].process_cpu_s, n / p[i].wall_s, n / p[i].cpu_s, static_cast<unsigned long long>(p[i].messages));
  }
  // The KV calls and the output are clocked in wall time: scaled to CPU by
  // the memory pass's own CPU/wall ratio (the machine is shared).
  const double scale = p[2].cpu_s / p[2].wall_s;
  const double kv = p[2].kv_s * scale, output = p[2].output_s * scale;
  const double rules = p[2].cpu_s - p[1].cpu_s - kv - output;
  const double state_rocks = p[3].cpu_s - p[2].cpu_s + kv;
  struct Stage {
    const char* name;
    double seconds;
  } stages[] = {
      {"read (zstd + checksum)", p[0].cpu_s},
      {"decode (archive record)", p[1].cpu_s - p[0].cpu_s},
      {"rules (engine, memory pass)", rules},
      {"state, in memory (MemoryKv)", kv},
      {"state, RocksDB (replay - memory + MemoryKv)", state_rocks},
      {"output (JSON lines)", output},
  };
  std::printf("\nstage split of the replay pass, main-thread CPU (ns per change, share):\n");
  const double total = p[3].cpu_s;
  for (const Stage& s : stages) {
    if (std::strncmp(s.name, "state, in", 9) == 0) {
      std::printf("  %-44s %8.0f ns  (memory pass only)\n", s.name, s.seconds / n * 1e9);
      continue;
    }
    std::printf("  %-44s %8.0f ns  %5.1f %%\n", s.name, s.seconds / n * 1e9, 100 * s.seconds / total);
  }
  // How many state calls a change costs: what a faster state path has to cut or make cheap.
  const auto per_change = [&](TimedKv::Op op) { return static_cast<double>(p[2].kv_calls[op]) / n; };
  uint64_t calls = 0;
  for (uint64_t c : p[2].kv_calls) calls += c;
  std::printf("\nstate calls per change (memory pass): %.2f Get, %.2f Put, %.2f Delete, %.3f Scan; %.0f ns per call\n",
              per_change(TimedKv::kGet), per_change(TimedKv::kPut), per_change(TimedKv::kDelete),
              per_change(TimedKv::kScan), calls == 0 ? 0.0 : kv / static_cast<double>(calls) * 1e9);
  std::printf("\nreplay changes/s (wall): %.0f; / read-only reference: %.3f; target 1,000,000: %.2fx\n",
              n / p[3].wall_s, p[0].wall_s / p[3].wall_s, (n / p[3].wall_s) / 1e6);
}

int Main(int argc, char** argv) {
  int64_t changes = 5'000'000;
  std::string dir;
  bool keep = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--changes" && i + 1 < argc) {
      changes = std::atoll(argv[++i]);
    } else if (arg == "--dir" && i + 1 < argc) {
      dir = argv[++i];
    } else if (arg == "--keep") {
      keep = true;
    } else {
      std::fprintf(stderr, "usage: %s [--changes N] [--dir D] [--keep]\n", argv[0]);
      return 2;
    }
  }
  if (dir.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    dir = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/walguard-replay-bench-XXXXXX";
    if (mkdtemp(dir.data()) == nullptr) return std::perror("mkdtemp"), 1;
  }
  uint64_t bytes = 0;
  std::vector<SegmentInfo> segments;
  Status s = Generate(dir, changes, &bytes);
  if (s.ok()) s = ListSegments(dir, &segments);
  PassResult passes[4];
  for (int i = 0; i < 4 && s.ok(); ++i) {
    s = RunPass(static_cast<PassKind>(i), segments, &passes[i]);
    std::fprintf(stderr, "pass %s: %.1f s\n", kPassNames[i], passes[i].wall_s);
  }
  if (s.ok() && passes[2].digest != passes[3].digest) s = Status::Corruption("memory and replay passes differ");
  if (s.ok()) PrintReport(passes, static_cast<int64_t>(passes[1].changes), bytes);
  std::error_code ignored;
  if (keep) {
    std::printf("archive kept in %s\n", dir.c_str());
  } else {
    std::filesystem::remove_all(dir, ignored);
  }
  if (!s.ok()) std::fprintf(stderr, "replay bench: %s\n", s.ToString().c_str());
  return s.ok() ? 0 : 1;
}

}  // namespace
}  // namespace walguard::bench

int main(int argc, char** argv) {
  return walguard::bench::Main(argc, argv);
}
