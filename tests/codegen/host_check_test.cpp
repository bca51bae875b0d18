// codegen::check_on_host: the compile-run-compare loop behind `bitlab codegen
// --check`, on a good folder, caller-given inputs, and folders that were
// corrupted after generation (a wrong output, code that no longer compiles).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <unistd.h>  // getpid

#include "codegen/codegen.h"
#include "codegen/host_check.h"
#include "codegen/shell.h"
#include "common/error.h"
#include "networks.h"

namespace bitlab::codegen {
namespace {

namespace fs = std::filesystem;

// A converted classifier generated into a fresh folder, removed afterwards.
class HostCheck : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!on_path("cc")) GTEST_SKIP() << "no C compiler `cc` on PATH";
    dir_ = fs::temp_directory_path() / fmt::format("bitlab_host_check_test_{}", ::getpid());
    fs::remove_all(dir_);
    generate(graph_, {.target = Target::Host}, dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Replaces the first `from` in a generated file by `to`.
  void edit(const std::string& file, const std::string& from, const std::string& to) const {
    std::ifstream in(dir_ / file);
    std::stringstream text;
    text << in.rdbuf();
    std::string s = text.str();
    const std::size_t at = s.find(from);
    ASSERT_NE(at, std::string::npos) << from << " not in " << file;
    s.replace(at, from.size(), to);
    std::ofstream(dir_ / file) << s;
  }

  ir::Graph graph_ = ir::passes::convert(ir::passes::testing::classifier_net(1, 8, 8));
  fs::path dir_;
};

TEST_F(HostCheck, GeneratedCodeEqualsReferenceOnRandomInputs) {
  const HostCheckResult r = check_on_host(graph_, dir_, {.samples = 20, .seed = 3, .compiler = "cc"});
  EXPECT_EQ(r.compiler, "cc");
  EXPECT_EQ(r.samples_checked, 20);
  EXPECT_EQ(r.samples_equal, 20);
  EXPECT_TRUE(r.all_equal());
  EXPECT_EQ(r.first_mismatch, "");
}

TEST_F(HostCheck, UsesCallerInputsAndRejectsMisshapenOnes) {
  std::vector<runtime::IntTensorMap> inputs = random_input_codes(graph_, 3, 9);
  const HostCheckResult r = check_on_host(graph_, dir_, {.inputs = inputs});
  EXPECT_EQ(r.samples_checked, 3);
  EXPECT_TRUE(r.all_equal()) << r.first_mismatch;
  inputs[1].begin()->second.values.pop_back();
  EXPECT_THROW(check_on_host(graph_, dir_, {.inputs = inputs}), ConfigError);
}

TEST_F(HostCheck, ReportsFirstMismatchOfACorruptedOutput) {
  // Flip the lowest bit of the first output element after the network ran.
  edit("net.c", "  return 0;\n}\n", "  out0[0] ^= 1;\n  return 0;\n}\n");
  const HostCheckResult r = check_on_host(graph_, dir_, {.samples = 5});
  EXPECT_EQ(r.samples_checked, 5);
  EXPECT_EQ(r.samples_equal, 0);
  EXPECT_FALSE(r.all_equal());
  const std::string output = graph_.outputs.at(0);
  EXPECT_NE(r.first_mismatch.find(fmt::format("sample 0, output \"{}\": 1 of", output)), std::string::npos)
      << r.first_mismatch;
  EXPECT_NE(r.first_mismatch.find("first at element 0"), std::string::npos) << r.first_mismatch;
}

TEST_F(HostCheck, CompileErrorNamesTheCompilerAndQuotesIt) {
  edit("net_weights.c", "#include <stdint.h>", "#include <stdint.h>\n#error corrupted by the test");
  try {
    check_on_host(graph_, dir_, {.samples = 1, .compiler = "cc"});
    FAIL() << "expected HostCheckError";
  } catch (const HostCheckError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("C compiler `cc` failed"), std::string::npos) << message;
    EXPECT_NE(message.find("net_weights.c"), std::string::npos) << message;
    EXPECT_NE(message.find("corrupted by the test"), std::string::npos) << message;
  }
}

TEST_F(HostCheck, MissingCompilerOrFilesIsAConfigError) {
  try {
    check_on_host(graph_, dir_, {.compiler = "bitlab-no-such-cc"});
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("`bitlab-no-such-cc` not found"), std::string::npos) << e.what();
  }
  EXPECT_THROW(check_on_host(graph_, dir_, {.prefix = "kws"}), ConfigError);
}

}  // namespace
}  // namespace bitlab::codegen
