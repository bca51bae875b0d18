// codegen::c_executor: the generated C as a `bitlab hw profile` executor. Its
// callable computes what the reference runtime computes for single-layer
// graphs at several widths (all loaded at once, so their symbols must not
// clash), and profile_latency times every entry of a tiny network with it.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <vector>

#include "codegen/layer_executor.h"
#include "codegen/shell.h"
#include "common/error.h"
#include "hw/latency_profiler.h"
#include "runtime/reference.h"
#include "test_graphs.h"

namespace bitlab::codegen {
namespace {

class CExecutor : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!on_path("cc")) GTEST_SKIP() << "no C compiler `cc` on PATH";
  }
  const ir::Graph net_ = hw::testing::small_net();
};

TEST_F(CExecutor, CallableOutputsEqualTheReferenceRuntime) {
  struct Case {
    const char* layer;
    int w, a;
  };
  // Dot-product widths (8, 4), packed loads (2, 1), a depthwise conv and both pools.
  const std::vector<Case> cases = {{"conv1", 8, 8}, {"conv1", 2, 4}, {"conv2", 4, 8}, {"fc", 1, 2},
                                   {"pool1", 8, 4}, {"avg", 8, 8}};
  const hw::LayerExecutorFactory factory = c_executor({.compiler = "cc"});
  std::vector<std::function<void()>> calls;
  std::vector<runtime::IntTensorMap> want;
  for (const Case& c : cases) {
    const ir::Graph g = hw::single_layer_graph(net_, c.layer, c.w, c.a, 2, 7);
    const runtime::IntTensorMap in = hw::single_layer_inputs(g, 7);
    calls.push_back(factory(g, in));
    want.push_back(runtime::run_reference(g, in));
  }
  // Every object is loaded before any runs: each keeps its own symbols and arena.
  for (std::size_t i = 0; i < cases.size(); ++i) {
    calls[i]();
    const CGraphCall* call = calls[i].target<CGraphCall>();
    ASSERT_NE(call, nullptr);
    EXPECT_EQ(call->graph->compiler(), "cc");
    EXPECT_EQ(call->graph->outputs(), want[i]) << cases[i].layer << " w" << cases[i].w << "a" << cases[i].a;
  }
  // A second run into the same buffers gives the same codes.
  calls[0]();
  EXPECT_EQ(calls[0].target<CGraphCall>()->graph->outputs(), want[0]);
}

TEST_F(CExecutor, ProfilesEveryEntryOfATinyNetwork) {
  hw::LatencyProfileOptions options;
  options.weight_bits = {2};
  options.activation_bits = {8};
  options.repeats = 1;
  options.min_repeat_seconds = 0.0;
  options.executor = c_executor({.compiler = "cc"});
  options.executor_name = kCHostExecutorName;
  const hw::MeasuredLatencyTable t = hw::profile_latency(net_, options);
  // conv1, conv2, fc, pool1, avg.
  EXPECT_EQ(t.entries().size(), 5u);
  EXPECT_TRUE(t.contains("conv2", 2, 8));
  EXPECT_EQ(t.executor, "c-host");
  for (const hw::MeasuredLatency& e : t.entries()) EXPECT_GT(e.seconds, 0.0) << e.layer;
}

TEST_F(CExecutor, TheFolderGoesWithTheCallable) {
  const ir::Graph g = hw::single_layer_graph(net_, "fc", 8, 8, 1);
  std::filesystem::path dir;
  {
    const std::function<void()> call = c_executor({.compiler = "cc"})(g, hw::single_layer_inputs(g));
    dir = call.target<CGraphCall>()->graph->folder();
    EXPECT_TRUE(std::filesystem::is_directory(dir));
    EXPECT_FALSE(std::filesystem::is_empty(dir));
  }
  EXPECT_FALSE(std::filesystem::exists(dir));
}

TEST_F(CExecutor, MissingCompilerBadFlagsAndMissingInputsAreClearErrors) {
  const ir::Graph g = hw::single_layer_graph(net_, "fc", 8, 8, 1);
  const runtime::IntTensorMap in = hw::single_layer_inputs(g);
  try {
    (void)c_executor({.compiler = "bitlab-no-such-cc"})(g, in);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("`bitlab-no-such-cc` not found"), std::string::npos) << message;
    EXPECT_NE(message.find("$CC"), std::string::npos) << message;
    EXPECT_NE(message.find("apt install gcc"), std::string::npos) << message;
  }
  try {
    (void)c_executor({.compiler = "cc", .extra_flags = "-include bitlab_no_such_header.h"})(g, in);
    FAIL() << "expected HostCheckError";
  } catch (const HostCheckError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("C compiler `cc` failed"), std::string::npos) << message;
    EXPECT_NE(message.find("bitlab_no_such_header.h"), std::string::npos) << message;
  }
  EXPECT_THROW((void)c_executor({.compiler = "cc"})(g, {}), ConfigError);
}

}  // namespace
}  // namespace bitlab::codegen
