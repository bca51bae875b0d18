#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "search/core/random_search.h"
#include "search/core/gp_bo.h"
#include "search/core/references.h"
#include "search/core/trial_log.h"
#include "search_core/search_test_util.h"

namespace bitlab::search {
namespace {

namespace fs = std::filesystem;
using testing::FunctionEvaluator;

fs::path temp_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("bitlab_search_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

Evaluation synthetic(const SearchSpace& space, const Genes& genes, int budget) {
  double bits = 0.0;
  for (std::size_t d = 0; d < genes.size(); ++d) bits += space.knobs[d].bits[static_cast<std::size_t>(genes[d])];
  return {1.0 - 1.0 / (bits + budget), {{"bits", bits}}, 0.0};
}

TEST(TrialLog, RoundTripsTrialsThroughTheFile) {
  const auto dir = temp_dir("roundtrip");
  const SearchSpace space = testing::weight_space(3, {2, 4, 8});
  {
    TrialLog log(dir / "trials.jsonl", space);
    FunctionEvaluator eval(synthetic);
    SearchContext ctx(space, {}, eval, nullptr, log, testing::quiet(5));
    ctx.evaluate({0, 1, 2}, 3);
    ctx.evaluate({2, 2, 2}, 1);
  }
  TrialLog reloaded(dir / "trials.jsonl", space);
  ASSERT_EQ(reloaded.trials().size(), 2u);
  const Trial* t = reloaded.find("l0=w2;l1=w4;l2=w8", 3);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->genes, (Genes{0, 1, 2}));
  EXPECT_EQ(t->evaluation.costs.at("bits"), 14.0);
  EXPECT_DOUBLE_EQ(t->evaluation.accuracy, 1.0 - 1.0 / 17.0);
  EXPECT_EQ(t->strategy, "test");
  EXPECT_EQ(reloaded.find("l0=w2;l1=w4;l2=w8", 1), nullptr);  // other budget
}

TEST(TrialLog, CutsATornLastLineAndRejectsAnotherSpace) {
  const auto dir = temp_dir("torn");
  const SearchSpace space = testing::weight_space(2, {4, 8});
  {
    TrialLog log(dir / "trials.jsonl", space);
    FunctionEvaluator eval(synthetic);
    SearchContext ctx(space, {}, eval, nullptr, log, testing::quiet(5));
    ctx.evaluate({0, 1}, 1);
  }
  { std::ofstream(dir / "trials.jsonl", std::ios::app) << R"({"index": 1, "key": "l0=w8;l1)"; }
  {
    TrialLog log(dir / "trials.jsonl", space);
    EXPECT_EQ(log.trials().size(), 1u);
    Trial t;
    t.key = "l0=w8;l1=w8";
    t.genes = {1, 1};
    t.budget = 1;
    log.append(t);
  }
  TrialLog again(dir / "trials.jsonl", space);
  EXPECT_EQ(again.trials().size(), 2u);  // the append did not land on the torn bytes
  EXPECT_THROW(TrialLog(dir / "trials.jsonl", testing::weight_space(3, {4, 8})), ConfigError);
}

// A search killed after k evaluations and rerun evaluates only what is
// missing and ends with the same trials as an uninterrupted search.
template <typename MakeStrategy>
void check_resume(MakeStrategy make, int max_trials, int kill_after) {
  const auto dir = temp_dir("resume");
  const SearchSpace space = testing::weight_space(4, {2, 3, 4, 6, 8});

  TrialLog reference;
  {
    FunctionEvaluator eval(synthetic);
    SearchContext ctx(space, {}, eval, nullptr, reference, testing::quiet(max_trials, 7));
    auto s = make();
    s.run(ctx);
  }

  FunctionEvaluator killed(synthetic);
  killed.fail_after = kill_after;
  {
    TrialLog log(dir / "trials.jsonl", space);
    SearchContext ctx(space, {}, killed, nullptr, log, testing::quiet(max_trials, 7));
    auto s = make();
    EXPECT_THROW(s.run(ctx), std::runtime_error);
  }
  FunctionEvaluator resumed(synthetic);
  TrialLog log(dir / "trials.jsonl", space);
  EXPECT_EQ(log.trials().size(), static_cast<std::size_t>(kill_after));
  SearchContext ctx(space, {}, resumed, nullptr, log, testing::quiet(max_trials, 7));
  auto s = make();
  s.run(ctx);
  EXPECT_EQ(resumed.calls, max_trials - kill_after);  // logged trials were not evaluated again
  EXPECT_EQ(ctx.evaluated(), max_trials - kill_after);
  ASSERT_EQ(log.trials().size(), reference.trials().size());
  for (std::size_t i = 0; i < log.trials().size(); ++i) EXPECT_EQ(log.trials()[i].key, reference.trials()[i].key);
}

// The on-disk records that hold an Evaluation (objective.h's to_json/from_json)
// keep the exact form logs and caches were written in before they shared it.
TEST(EvaluationJson, TrialLinesAndReferenceCachesKeepTheirFormat) {
  const SearchSpace space = testing::weight_space(2, {4, 8});
  const std::string line =
      R"({"accuracy":0.75,"bits":{"l0":{"weights":4},"l1":{"weights":8}},"budget":2,"costs":{"bops":1024.0,)"
      R"("weight_bytes":36.5},"finished_at":"2026-11-24T10:00:00Z","index":3,"key":"l0=w4;l1=w8","seconds":12.5,)"
      R"("strategy":"random"})";
  const Trial t = trial_from_json(space, nlohmann::json::parse(line), "line");
  EXPECT_EQ(t.evaluation.accuracy, 0.75);
  EXPECT_EQ(t.evaluation.costs, (std::map<std::string, double>{{"bops", 1024.0}, {"weight_bytes", 36.5}}));
  EXPECT_EQ(t.evaluation.seconds, 12.5);
  EXPECT_EQ(to_json(space, t).dump(), line);

  Trial no_costs = t;
  no_costs.evaluation.costs.clear();
  EXPECT_EQ(to_json(space, no_costs).at("costs"), nlohmann::json::object());

  ReferencePoint point{{4, 8}, 2, t.evaluation};
  EXPECT_EQ(to_json(point).dump(),
            R"({"accuracy":0.75,"activations":8,"budget":2,"costs":{"bops":1024.0,"weight_bytes":36.5},)"
            R"("label":"w4a8","seconds":12.5,"weights":4})");
  // Caches from before "seconds" was recorded still load.
  EXPECT_EQ(nlohmann::json::parse(R"({"accuracy":0.5,"costs":{}})").get<Evaluation>().seconds, 0.0);
}

TEST(Resume, RandomSearchSkipsLoggedTrials) {
  check_resume([] { return RandomSearch(); }, 20, 8);
}

TEST(Resume, GpBoReplaysToTheSameTrials) {
  check_resume([] { return GpBo(); }, 15, 9);
}

}  // namespace
}  // namespace bitlab::search
