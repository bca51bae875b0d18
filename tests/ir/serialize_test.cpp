#include "ir/serialize.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>

#include <nlohmann/json.hpp>
#include <unistd.h>

#include "common/error.h"
#include "ir/error.h"
#include "ir/json_format.h"
#include "sample_graphs.h"

namespace bitlab::ir {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

class SerializeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("bitlab_ir_" + std::to_string(::getpid()) + "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    json_ = dir_ / "net.tq.json";
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  static void write(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

  // Saves the integer sample, edits its JSON, and expects loading to fail with `message`.
  void expect_json_edit_fails(const std::function<void(nlohmann::json&)>& edit, const std::string& message) {
    save_graph(testing::integer_net(), json_);
    nlohmann::json j = nlohmann::json::parse(read(json_));
    edit(j);
    write(json_, j.dump(2));
    EXPECT_THAT([&] { (void)load_graph(json_); }, ::testing::ThrowsMessage<IoError>(HasSubstr(message)));
  }

  fs::path dir_;
  fs::path json_;
};

TEST_F(SerializeTest, RoundTripsIntegerAndFloatGraphs) {
  for (const Graph& g : {testing::integer_net(), testing::float_net()}) {
    save_graph(g, json_);
    EXPECT_EQ(load_graph(json_), g) << g.name;
  }
}

TEST_F(SerializeTest, WritesAReadableJsonAndAPackedWeightsFile) {
  save_graph(testing::integer_net(), json_);
  EXPECT_EQ(weights_path_for(json_), dir_ / "net.tq.bin");
  const nlohmann::json j = nlohmann::json::parse(read(json_));
  EXPECT_EQ(j.at("format"), "bitlab.tq");
  EXPECT_EQ(j.at("version"), kFormatVersion);
  EXPECT_EQ(j.at("weights").at("file"), "net.tq.bin");
  // w1: 54 int4 codes packed two per byte (§12); b1: 3 int32; w2: 60 int8; each aligned to 8 bytes.
  const nlohmann::json& w1 = j.at("tensors").at(1);
  EXPECT_EQ(w1.at("type"), "int4");
  EXPECT_EQ(w1.at("narrow_range"), true);
  EXPECT_EQ(w1.at("data"), (nlohmann::json{{"offset", 0}, {"bytes", 27}, {"encoding", "packed"}}));
  EXPECT_EQ(j.at("tensors").at(2).at("data"), (nlohmann::json{{"offset", 32}, {"bytes", 12}, {"encoding", "int32le"}}));
  EXPECT_EQ(j.at("tensors").at(7).at("data").at("offset"), 48);
  EXPECT_EQ(fs::file_size(dir_ / "net.tq.bin"), 48u + 60u);
  EXPECT_EQ(j.at("weights").at("bytes"), 108);
}

TEST_F(SerializeTest, SubByteCodesArePackedAsTheSpecSays) {
  Graph g;
  g.add_tensor(int_tensor("x", {1, 5}, testing::i8(), Quantization::per_tensor(1.0)));
  g.add_tensor(int_constant("w", {1, 5}, ElementType::integer(4, true), Quantization::per_tensor(1.0), {1, -2, 7, -8, 3}));
  g.add_tensor(int_tensor("y", {1, 1}, testing::i32(), Quantization::per_tensor(1.0)));
  g.inputs = {"x"};
  g.outputs = {"y"};
  g.add_node(testing::node("fc", OpKind::Linear, {"x", "w"}, "y", LinearAttrs{}));
  save_graph(g, json_);
  EXPECT_EQ(read(dir_ / "net.tq.bin"), std::string("\xE1\x87\x03", 3));  // the §12 example
  EXPECT_EQ(load_graph(json_), g);
}

TEST_F(SerializeTest, RefusesToSaveAnInvalidGraph) {
  Graph g = testing::integer_net();
  g.outputs = {"acc1"};
  EXPECT_THROW(save_graph(g, json_), GraphError);
  EXPECT_FALSE(fs::exists(json_));
}

TEST_F(SerializeTest, NewerFormatVersionIsAClearError) {
  expect_json_edit_fails([](nlohmann::json& j) { j["version"] = kFormatVersion + 1; },
                         "net.tq.json: /version: format version 2 is newer than this bitlab reads (version 1)");
  expect_json_edit_fails([](nlohmann::json& j) { j["version"] = 0; }, "/version: expected an integer in [1, 1]");
  expect_json_edit_fails([](nlohmann::json& j) { j["format"] = "onnx"; }, "/format: expected \"bitlab.tq\"");
}

TEST_F(SerializeTest, NewerVersionIsReportedBeforeFieldsItCannotRead) {
  expect_json_edit_fails(
      [](nlohmann::json& j) {
        j["version"] = 7;
        j["tensors"] = "a future layout";
      },
      "format version 7 is newer");
}

TEST_F(SerializeTest, TruncatedOrCorruptJson) {
  save_graph(testing::integer_net(), json_);
  const std::string text = read(json_);
  write(json_, text.substr(0, text.size() / 2));
  EXPECT_THAT([&] { (void)load_graph(json_); },
              ::testing::ThrowsMessage<IoError>(HasSubstr("net.tq.json:")));
  EXPECT_THAT([&] { (void)load_graph(json_); }, ::testing::ThrowsMessage<IoError>(HasSubstr("invalid JSON")));
  EXPECT_THAT([&] { (void)load_graph(dir_ / "missing.tq.json"); },
              ::testing::ThrowsMessage<IoError>(HasSubstr("missing.tq.json: cannot open the graph file")));
}

TEST_F(SerializeTest, TruncatedCorruptOrMissingWeightsFile) {
  save_graph(testing::integer_net(), json_);
  const fs::path bin = dir_ / "net.tq.bin";
  const std::string bytes = read(bin);
  write(bin, bytes.substr(0, bytes.size() - 5));
  EXPECT_THAT([&] { (void)load_graph(json_); },
              ::testing::ThrowsMessage<IoError>(HasSubstr("net.tq.bin: has 103 bytes but")));
  EXPECT_THAT([&] { (void)load_graph(json_); }, ::testing::ThrowsMessage<IoError>(HasSubstr("/weights/bytes says 108")));
  std::string flipped = bytes;
  flipped[40] = static_cast<char>(flipped[40] ^ 0x10);
  write(bin, flipped);
  EXPECT_THAT([&] { (void)load_graph(json_); }, ::testing::ThrowsMessage<IoError>(HasSubstr("/weights/fnv1a64")));
  fs::remove(bin);
  EXPECT_THAT([&] { (void)load_graph(json_); },
              ::testing::ThrowsMessage<IoError>(HasSubstr("net.tq.bin: cannot open the weights file named by")));
}

TEST_F(SerializeTest, BadFieldsNameTheFileAndTheJsonPointer) {
  expect_json_edit_fails([](nlohmann::json& j) { j["tensors"][1]["type"] = "int99"; },
                         "net.tq.json: /tensors/1/type: expected float32, intN or uintN");
  expect_json_edit_fails([](nlohmann::json& j) { j["tensors"][1]["data"]["bytes"] = 26; },
                         "/tensors/1/data/bytes: expected 27 (54 elements of int4)");
  expect_json_edit_fails([](nlohmann::json& j) { j["tensors"][7]["data"]["offset"] = 100; },
                         "/tensors/7/data/offset: expected a range inside the 108-byte weights file");
  expect_json_edit_fails([](nlohmann::json& j) { j["tensors"][2]["data"]["encoding"] = "packed"; },
                         "/tensors/2/data/encoding: expected \"int32le\" for int32 data");
  expect_json_edit_fails([](nlohmann::json& j) { j["nodes"][0]["attributes"]["stride"] = {0, 1}; },
                         "/nodes/0/attributes/stride/0: expected an integer in [1, ");
  expect_json_edit_fails([](nlohmann::json& j) { j["nodes"][0]["op"] = "conv3d"; },
                         "/nodes/0/op: expected one of \"quant\"");
  expect_json_edit_fails([](nlohmann::json& j) { j["nodes"][0]["attributes"]["stirde"] = {1, 1}; },
                         "/nodes/0/attributes/stirde: unknown key \"stirde\" (did you mean \"stride\"?)");
  expect_json_edit_fails([](nlohmann::json& j) { j["tensors"][0]["quant"]["scales"] = "0.05"; },
                         "/tensors/0/quant/scales: expected an array of at least 1 numbers");
  expect_json_edit_fails([](nlohmann::json& j) { j["nodes"][1]["attributes"].erase("lo"); },
                         "/nodes/1/attributes/lo: missing");
  expect_json_edit_fails([](nlohmann::json& j) { j["weights"]["file"] = "../elsewhere.bin"; },
                         "/weights/file: expected a file name beside the JSON file");
}

TEST_F(SerializeTest, AGraphThatBreaksTheRulesIsAnErrorNamingTheFile) {
  expect_json_edit_fails([](nlohmann::json& j) { j["tensors"][5]["quant"]["zero_points"] = {1}; },
                         "net.tq.json: graph \"tiny\": node \"pool1\" (maxpool): \"a1\" and \"p1\" must have the same");
}

TEST(JsonFormat, EncodesWithoutFiles) {
  const EncodedGraph e = encode_graph(testing::float_net(), "fq.tq.bin");
  EXPECT_EQ(e.json.at("weights").at("file"), "fq.tq.bin");
  EXPECT_EQ(decode_graph(e.json, e.blob, "memory"), testing::float_net());
  const BlobReference ref = read_blob_reference(e.json, "memory");
  EXPECT_EQ(ref.bytes, e.blob.size());
}

}  // namespace
}  // namespace bitlab::ir
