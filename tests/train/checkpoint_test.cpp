#include "train/checkpoint.h"

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "support/synthetic_dataset.h"
#include "zoo/fmnist_cnn.h"

namespace bitlab::train {
namespace {

using ::testing::HasSubstr;

zoo::FmnistCnnOptions tiny() {
  zoo::FmnistCnnOptions o;
  o.channels = {4};
  o.hidden = 0;
  return o;
}

TEST(Checkpoint, RoundTripsWeightsBuffersOptimiserAndMeta) {
  testing::TempDir dir;
  torch::manual_seed(0);
  zoo::FmnistCnn a(tiny());
  torch::optim::Adam opt_a(a->parameters(), 1e-3);
  // One step so the optimiser and BN running statistics hold state.
  a->train();
  auto loss = a->forward(torch::randn({4, 1, 28, 28})).sum();
  loss.backward();
  opt_a.step();
  save_checkpoint(dir / "c.pt", *a, &opt_a, {{"note", "hello"}});

  torch::manual_seed(99);
  zoo::FmnistCnn b(tiny());
  torch::optim::Adam opt_b(b->parameters(), 1e-3);
  auto meta = load_checkpoint(dir / "c.pt", *b, &opt_b);
  EXPECT_EQ(meta.at("note"), "hello");
  EXPECT_EQ(meta.at("format_version"), kCheckpointFormatVersion);
  EXPECT_EQ(read_checkpoint_meta(dir / "c.pt").at("note"), "hello");
  a->eval();
  b->eval();
  auto x = torch::randn({2, 1, 28, 28});
  EXPECT_TRUE(torch::equal(a->forward(x), b->forward(x)));
}

TEST(Checkpoint, MissingCorruptAndForeignFilesAreClearErrors) {
  testing::TempDir dir;
  zoo::FmnistCnn net(tiny());
  auto message = [&](const std::filesystem::path& p) {
    try {
      load_checkpoint(p, *net, nullptr);
    } catch (const IoError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_THAT(message(dir / "absent.pt"), HasSubstr("no such checkpoint"));
  std::ofstream(dir / "junk.pt") << "not a zip archive";
  EXPECT_THAT(message(dir / "junk.pt"), HasSubstr("junk.pt: not a readable bitlab checkpoint"));
  torch::serialize::OutputArchive foreign;
  foreign.write("x", torch::ones({1}));
  foreign.save_to((dir / "foreign.pt").string());
  EXPECT_THAT(message(dir / "foreign.pt"), HasSubstr("not a bitlab checkpoint"));
}

TEST(Checkpoint, WeightsOfAnotherArchitectureAreRejected) {
  testing::TempDir dir;
  zoo::FmnistCnn small(tiny());
  save_checkpoint(dir / "c.pt", *small, nullptr, nlohmann::json::object());
  zoo::FmnistCnn big(zoo::FmnistCnnOptions{});
  EXPECT_THROW(load_checkpoint(dir / "c.pt", *big, nullptr), IoError);
}

}  // namespace
}  // namespace bitlab::train
