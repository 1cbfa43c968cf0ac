// Single-thread latency of each landmark model on the XNNPACK runtime: median (and min, p90) of N runs
// after a warm-up, on a real KSL frame. Not a test; run by hand (the full `sueo bench landmarks` comes
// with the holistic pipeline):
//   build/landmark_engine_bench [runs=100] [threads=1]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <vector>

#include "landmarks/model.h"
#include "model_files.h"

using namespace sueo::landmarks;

namespace {

double thread_cpu_ms() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::atoi(argv[1]) : 100;
  const int threads = argc > 2 ? std::atoi(argv[2]) : 1;
  std::printf("%-28s %9s %9s %9s %9s   (%d runs after 10 warm-up, %d thread%s)\n", "model", "median", "min",
              "p90", "cpu med", runs, threads, threads == 1 ? "" : "s");
  for (const auto& c : testing::model_cases()) {
    if (!testing::model_present(c.name)) {
      std::printf("%s\n", testing::models_missing_message().c_str());
      return 1;
    }
    // As the pipeline runs it: pose landmarks without the segmentation mask.
    const bool pose = std::string(c.name).rfind("pose_landmark_", 0) == 0;
    auto model =
        Model::load(testing::model_path(c.name),
                    pose ? std::vector<std::string>{"Identity", "Identity_1", "Identity_3", "Identity_4"}
                         : std::vector<std::string>{});
    Runtime runtime(model, threads);
    const auto& shape = model->inputs()[0].shape;
    testing::fill_input(
        runtime, testing::clip_frame_rgb("c04_bi_bim_rice_s11_82155dbd.mp4", shape[2], shape[1]), c.lo, c.hi);
    for (int i = 0; i < 10; ++i) runtime.run();
    // Wall time, and this thread's CPU time (less sensitive to other processes on a shared machine;
    // meaningful for 1 thread only).
    std::vector<double> wall, cpu;
    for (int i = 0; i < runs; ++i) {
      const auto start = std::chrono::steady_clock::now();
      const double cpu_start = thread_cpu_ms();
      runtime.run();
      cpu.push_back(thread_cpu_ms() - cpu_start);
      wall.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    }
    std::sort(wall.begin(), wall.end());
    std::printf("%-28s %9.2f %9.2f %9.2f %9.2f\n", pose ? (std::string(c.name) + "*").c_str() : c.name, median(wall),
                wall.front(), wall[wall.size() * 9 / 10], median(cpu));
  }
  std::printf("ms; * segmentation output pruned\n");
}
