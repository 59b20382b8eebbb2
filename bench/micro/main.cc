// walguard_micro_bench: the microbenchmarks, then each one's cost per item
// as a multiple of its reference from the same run (ratio_reporter.h).
#include <benchmark/benchmark.h>

#include "bench/micro/ratio_reporter.h"

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  walguard::bench::RatioReporter reporter({
      {"BM_Wal2JsonDecode", "BM_SimdjsonDomParse"},
      {"BM_EngineMemoryKv", "BM_CopyTransaction"},
      {"BM_EngineStateStore/0", "BM_CopyTransaction"},
      {"BM_EngineStateStore/0", "BM_EngineMemoryKv"},
      {"BM_EngineStateStore/1", "BM_EngineStateStore/0"},
      {"BM_StateResume/1/iterations:3", "BM_StateResume/0/iterations:3"},
  });
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
