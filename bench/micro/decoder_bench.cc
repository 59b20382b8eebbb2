// The wal2json decoder (ingest/wal2json_decoder.h) on the drain workload's
// changes, beside simdjson's DOM parse of the same lines: the decoder can
// get no cheaper than parsing the JSON once.
#include <benchmark/benchmark.h>

#include <simdjson.h>

#include <string>
#include <vector>

#include "bench/support/checkout_workload.h"
#include "ingest/wal2json_decoder.h"

namespace walguard::bench {
namespace {

std::vector<std::string> WorkloadLines() {
  CheckoutWorkload workload;
  std::vector<std::string> lines;
  for (int t = 0; t < 20; ++t) {
    Transaction txn = workload.Next();
    for (const Change& c : txn.changes) lines.push_back(Wal2JsonLine(c, txn.xid, c.lsn, txn.commit_time));
  }
  return lines;
}

void BM_Wal2JsonDecode(benchmark::State& state) {
  const std::vector<std::string> lines = WorkloadLines();
  Wal2JsonDecoder decoder;
  Record record;
  for (auto _ : state) {
    for (const std::string& line : lines) {
      if (!decoder.Decode(line, &record).ok()) state.SkipWithError("decode failed");
      benchmark::DoNotOptimize(record.change.columns.data());
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(lines.size()));
}
BENCHMARK(BM_Wal2JsonDecode);

void BM_SimdjsonDomParse(benchmark::State& state) {
  const std::vector<std::string> lines = WorkloadLines();
  std::vector<simdjson::padded_string> padded(lines.begin(), lines.end());
  simdjson::dom::parser parser;
  for (auto _ : state) {
    for (const simdjson::padded_string& line : padded) {
      simdjson::dom::element doc;
      if (parser.parse(line).get(doc) != simdjson::SUCCESS) state.SkipWithError("parse failed");
      benchmark::DoNotOptimize(doc);
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(lines.size()));
}
BENCHMARK(BM_SimdjsonDomParse);

}  // namespace
}  // namespace walguard::bench
