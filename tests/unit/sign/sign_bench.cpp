// Measures the classifier: load time, latency per call (median, p90), memory per cv::dnn::Net, and
// the two ways to share it across worker threads (one Classifier per thread vs one behind a mutex).
//   build/tests/unit/sign/sign_bench [model.onnx] [calls]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <opencv2/core.hpp>
#include <string>
#include <thread>
#include <vector>

#include "parity_fixture.h"
#include "sign/classifier.h"

namespace {

using Clock = std::chrono::steady_clock;
using sueo::sign::Classifier;
using sueo::sign::ClassifierModel;

double rss_mb() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return static_cast<double>(resident) * 4096.0 / 1048576.0;
}

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

void print_stats(const char* name, std::vector<double> ms, double wall_ms) {
  std::sort(ms.begin(), ms.end());
  std::printf("%-36s calls %5zu  median %6.3f ms  p90 %6.3f ms  max %7.3f ms  throughput %7.0f calls/s\n",
              name, ms.size(), ms[ms.size() / 2], ms[ms.size() * 9 / 10], ms.back(),
              1000.0 * static_cast<double>(ms.size()) / wall_ms);
}

// Runs `calls` classify() per thread; `shared` != nullptr: every thread uses it under one mutex.
void two_threads(const std::shared_ptr<const ClassifierModel>& model, Classifier* shared,
                 const std::vector<sueo::sign::Sequence>& inputs, int calls, const char* name) {
  std::mutex mutex;
  std::vector<std::vector<double>> ms(2);
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      std::unique_ptr<Classifier> own = shared ? nullptr : std::make_unique<Classifier>(model);
      for (int i = 0; i < calls; ++i) {
        const auto& seq = inputs[static_cast<size_t>(i) % inputs.size()];
        const auto begin = Clock::now();  // includes waiting for the lock: what a worker feels
        if (shared) {
          std::lock_guard lock(mutex);
          shared->classify(seq);
        } else {
          own->classify(seq);
        }
        ms[static_cast<size_t>(t)].push_back(ms_since(begin));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const double wall = ms_since(start);
  ms[0].insert(ms[0].end(), ms[1].begin(), ms[1].end());
  print_stats(name, ms[0], wall);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : std::string(SUEO_SOURCE_DIR) + "/models/sueo-ksl.onnx";
  const int calls = argc > 2 ? std::stoi(argv[2]) : 500;
  const auto inputs = sueo::sign::test::load_parity(std::string(SUEO_SOURCE_DIR) +
                                                    "/tests/unit/sign/fixtures/sueo-ksl.parity.npz")
                          .raw;
  std::printf("model %s, OpenCV %s, cv::getNumThreads() = %d, %d calls per row\n", path.c_str(), CV_VERSION,
              cv::getNumThreads(), calls);

  const double rss0 = rss_mb();
  auto start = Clock::now();
  const auto model = ClassifierModel::load(path);
  std::printf("ClassifierModel::load (read, validate, warm-up): %.1f ms, file %.2f MB, RSS +%.1f MB\n",
              ms_since(start), static_cast<double>(model->size_bytes()) / 1048576.0, rss_mb() - rss0);
  const double rss1 = rss_mb();
  start = Clock::now();
  std::vector<std::unique_ptr<Classifier>> nets;
  for (int i = 0; i < 8; ++i) nets.push_back(std::make_unique<Classifier>(model));
  std::printf("8 Classifiers (own cv::dnn::Net each, warmed up): %.1f ms each, RSS +%.2f MB each\n",
              ms_since(start) / 8, (rss_mb() - rss1) / 8);
  nets.resize(1);

  for (int threads : {0, 1}) {
    if (threads) cv::setNumThreads(1);
    std::vector<double> ms;
    start = Clock::now();
    for (int i = 0; i < calls; ++i)
      ms.push_back(nets[0]->classify(inputs[static_cast<size_t>(i) % inputs.size()]).ms);
    print_stats(threads ? "1 thread, cv::setNumThreads(1)" : "1 thread, OpenCV default threads", ms,
                ms_since(start));
  }
  two_threads(model, nullptr, inputs, calls, "2 threads, one Classifier each");
  Classifier shared(model);
  two_threads(model, &shared, inputs, calls, "2 threads, one Classifier + mutex");
  return 0;
}
