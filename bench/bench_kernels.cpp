// Kernel micro-benchmarks, single thread. items_per_second is normals (or uniforms)
// per second. Compare with the peers' rates (bench/peers/README.md) only when
// measured side by side on the same machine.
//
// BM_FillNormals is fill_normals as the simulator calls it (the fastest kernel this
// CPU runs); BM_FillNormalsKernel/<name> times every kernel the CPU can run.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>

#include "core/rng.hpp"

using namespace sgdnoise;

namespace {

// One ensemble-wide fill per iteration, the step advancing as in a simulation.
template <class Fill>
void run_fill(benchmark::State& state, Fill fill, const char* label) {
  const Index rows = state.range(0), cols = state.range(1);
  Mat Z(rows, cols);
  std::uint64_t step = 0;
  for (auto _ : state) {
    fill(step++, Z);
    benchmark::DoNotOptimize(Z.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * rows * cols);
  state.SetLabel(label);
}

void BM_FillNormals(benchmark::State& state) {
  run_fill(
      state,
      [](std::uint64_t step, Mat& Z) {
        fill_normals({1, Purpose::gradient_noise, step}, 0, 0, Z);
      },
      "normals");
}

void BM_FillUniforms(benchmark::State& state) {
  run_fill(
      state,
      [](std::uint64_t step, Mat& Z) {
        fill_uniforms({1, Purpose::sampling, step}, 0, 0, Z);
      },
      "uniforms");
}

void shapes(benchmark::internal::Benchmark* b) {
  b->Args({4096, 100})->Args({100000, 2})->Unit(benchmark::kMicrosecond);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::RegisterBenchmark("BM_FillNormals", BM_FillNormals)->Apply(shapes);
  for (const std::string& kernel : normal_kernels())
    benchmark::RegisterBenchmark(("BM_FillNormalsKernel/" + kernel).c_str(), [kernel](benchmark::State& state) {
      run_fill(
          state,
          [&kernel](std::uint64_t step, Mat& Z) {
            fill_normals_with(kernel, {1, Purpose::gradient_noise, step}, 0, 0, Z);
          },
          "normals");
    })->Apply(shapes);
  benchmark::RegisterBenchmark("BM_FillUniforms", BM_FillUniforms)->Args({4096, 100})->Unit(benchmark::kMicrosecond);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
