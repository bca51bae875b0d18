#pragma once
// Designs and results for the results-store tests.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "lab/core/expand.h"
#include "lab/core/results_store.h"
#include "support/synthetic_dataset.h"

namespace bitlab::testing {

// 3 variants x `seeds` seeds; `lr` changes the base config (a "changed design").
inline std::vector<lab::Run> sample_runs(int seeds = 2, double lr = 0.1) {
  nlohmann::json design = {
      {"base", {{"train", {{"lr", lr}, {"epochs", 2}}}}},
      {"factors", {{{"name", "bits"},
                    {"levels", {{{"name", "w2"}, {"patch", {{"bits", 2}}}},
                                {{"name", "w4"}, {"patch", {{"bits", 4}}}},
                                {{"name", "w8"}, {"patch", {{"bits", 8}}}}}}}}},
      {"seeds", nlohmann::json::array()}};
  for (int s = 1; s <= seeds; ++s) design["seeds"].push_back(s);
  return lab::expand(lab::parse_design(design, "sample.json"));
}

// A fresh store in a temporary folder, for the tests that need one store
// opened once (TEST_F(Alias, ...) with `using Alias = testing::StoreInTempDir`).
class StoreInTempDir : public ::testing::Test {
 protected:
  TempDir dir;
  lab::ResultsStore store{dir / "results.db"};
};

// Results that identify the run they belong to.
inline lab::RunResults results_for(const lab::Run& run) {
  lab::RunResults results;
  const double accuracy = 0.5 + 0.01 * static_cast<double>(run.index);
  results.metrics = {{"test_accuracy", accuracy}, {"test_loss", 1.0 - accuracy}};
  results.curves = {{"train_loss", {2.0, 1.0, 0.5}}, {"test_accuracy", {0.3, 0.4, accuracy}}};
  results.artefacts = {{"checkpoint", "runs/" + run.id + "/checkpoint.pt"}};
  return results;
}

// Claims and finishes every run of `shard` in `store`; returns the ids in claim order.
inline std::vector<std::string> finish_all(lab::ResultsStore& store, const lab::Shard& shard = {}) {
  std::vector<std::string> ids;
  while (auto record = store.claim_next_pending(shard)) {
    store.mark_done(record->run.id, results_for(record->run));
    ids.push_back(record->run.id);
  }
  return ids;
}

}  // namespace bitlab::testing
