// `sueo eval` end to end: the real binary on a real landmark set; its last line is JSON for scripts.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "test_paths.h"

namespace sueo::sign {
namespace {

struct CliRun {
  int status = -1;
  std::string output;
};

CliRun run_eval_cli(const std::string& args) {
  CliRun result;
  const std::string command = std::string(SUEO_BINARY) + " eval " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer{};
  while (fgets(buffer.data(), buffer.size(), pipe) != nullptr) result.output += buffer.data();
  const int status = pclose(pipe);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

TEST(EvalCli, ScoresKeti6AndEndsWithJson) {
  if (!test::exists(test::keti6())) GTEST_SKIP() << "../shared/data/ksl-keti6 is absent";
  const CliRun r = run_eval_cli("--model " + test::shipped_model() + " --vocabulary " +
                                test::source("models/vocabulary.json") + " --data " + test::keti6());
  ASSERT_EQ(r.status, 0) << r.output;
  const std::string last = r.output.substr(r.output.rfind('\n', r.output.size() - 2) + 1);
  const auto json = nlohmann::json::parse(last);
  EXPECT_EQ(json.at("n").get<int>(), 288);
  EXPECT_EQ(json.at("unmatched").get<int>(), 0);      // fire and is_on_fire both map to 불나다
  EXPECT_GT(json.at("accuracy").get<double>(), 0.9);  // its own training data: a wiring check
  EXPECT_GE(json.at("top3").get<double>(), json.at("accuracy").get<double>());
  EXPECT_NE(r.output.find("confusion matrix"), std::string::npos);
}

TEST(EvalCli, NeedsData) {
  const CliRun r = run_eval_cli("--model " + test::shipped_model());
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.output.find("--data FILE.npz is required"), std::string::npos) << r.output;
}

TEST(EvalCli, ExplainsABrokenModel) {
  const CliRun r =
      run_eval_cli("--model " + test::test_model("no_labels.onnx") + " --data " + test::shipped_parity());
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("has no labels"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace sueo::sign
