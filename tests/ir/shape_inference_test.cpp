#include "ir/shape_inference.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ir/error.h"
#include "sample_graphs.h"

namespace bitlab::ir {
namespace {

using ::testing::HasSubstr;
using testing::node;

Graph with_input(Shape shape) {
  Graph g;
  g.add_tensor(float_tensor("x", std::move(shape)));
  g.inputs = {"x"};
  return g;
}

Shape infer(Graph g, Node n) {
  g.add_tensor(float_tensor(n.output(), {}));
  return infer_output_shape(g, n);
}

TEST(WindowOutputSize, FollowsTheFloorFormula) {
  EXPECT_EQ(window_output_size(28, 3, 1, 1), 28);
  EXPECT_EQ(window_output_size(28, 2, 2, 0), 14);
  EXPECT_EQ(window_output_size(7, 3, 2, 0), 3);           // floor((7 − 3) / 2) + 1
  EXPECT_EQ(window_output_size(7, 3, 1, 0, 2), 3);        // dilated kernel spans 5
  EXPECT_EQ(window_output_size(2, 3, 1, 0), 0);           // window does not fit
}

TEST(ShapeInference, ConvolutionsIncludingGroupedAndDepthwise) {
  Graph g = with_input({2, 4, 9, 9});
  g.add_tensor(float_constant("w", {8, 4, 3, 3}, std::vector<float>(8 * 4 * 9)));
  g.add_tensor(float_constant("wg", {6, 2, 3, 3}, std::vector<float>(6 * 2 * 9)));
  g.add_tensor(float_constant("wd", {4, 1, 3, 3}, std::vector<float>(4 * 9)));
  g.add_tensor(float_constant("b", {8}, std::vector<float>(8)));
  EXPECT_EQ(infer(g, node("c", OpKind::Conv2d, {"x", "w", "b"}, "y", Conv2dAttrs{})), (Shape{2, 8, 7, 7}));
  EXPECT_EQ(infer(g, node("c", OpKind::Conv2d, {"x", "w"}, "y", Conv2dAttrs{.stride = {2, 2}, .padding = {1, 1}})),
            (Shape{2, 8, 5, 5}));
  EXPECT_EQ(infer(g, node("c", OpKind::Conv2d, {"x", "w"}, "y", Conv2dAttrs{.dilation = {2, 3}})), (Shape{2, 8, 5, 3}));
  EXPECT_EQ(infer(g, node("c", OpKind::Conv2d, {"x", "wg"}, "y", Conv2dAttrs{.groups = 2})), (Shape{2, 6, 7, 7}));
  EXPECT_EQ(infer(g, node("c", OpKind::Conv2d, {"x", "wd"}, "y", Conv2dAttrs{.padding = {1, 1}, .groups = 4})),
            (Shape{2, 4, 9, 9}));
  EXPECT_THAT([&] { (void)infer(g, node("c", OpKind::Conv2d, {"x", "wg"}, "y", Conv2dAttrs{.groups = 3})); },
              ::testing::ThrowsMessage<GraphError>(HasSubstr("groups = 3")));
  EXPECT_THAT([&] { (void)infer(g, node("c", OpKind::Conv2d, {"x", "wd", "b"}, "y", Conv2dAttrs{.groups = 4})); },
              ::testing::ThrowsMessage<GraphError>(HasSubstr("bias [8] must have shape [4]")));
  EXPECT_THAT([&] { (void)infer(g, node("c", OpKind::Conv2d, {"x"}, "y", Conv2dAttrs{})); },
              ::testing::ThrowsMessage<GraphError>(HasSubstr("expects 2 to 3 inputs")));
}

TEST(ShapeInference, LinearPoolsAndReshapes) {
  Graph g = with_input({3, 2, 6, 5});
  g.add_tensor(float_tensor("v", {3, 10}));
  g.add_tensor(float_constant("w", {4, 10}, std::vector<float>(40)));
  EXPECT_EQ(infer(g, node("l", OpKind::Linear, {"v", "w"}, "y", LinearAttrs{})), (Shape{3, 4}));
  EXPECT_EQ(infer(g, node("p", OpKind::AvgPool, {"x"}, "y", PoolAttrs{})), (Shape{3, 2, 3, 2}));
  EXPECT_EQ(infer(g, node("p", OpKind::MaxPool, {"x"}, "y", PoolAttrs{.kernel = {3, 3}, .stride = {1, 1}, .padding = {1, 1}})),
            (Shape{3, 2, 6, 5}));
  EXPECT_THAT([&] { (void)infer(g, node("p", OpKind::MaxPool, {"x"}, "y", PoolAttrs{.kernel = {2, 2}, .padding = {2, 2}})); },
              ::testing::ThrowsMessage<GraphError>(HasSubstr("at most half the kernel")));
  EXPECT_EQ(infer(g, node("f", OpKind::Flatten, {"x"}, "y", FlattenAttrs{1})), (Shape{3, 60}));
  EXPECT_EQ(infer(g, node("f", OpKind::Flatten, {"x"}, "y", FlattenAttrs{0})), (Shape{180}));
  EXPECT_EQ(infer(g, node("r", OpKind::Reshape, {"x"}, "y", ReshapeAttrs{{-1, 30}})), (Shape{6, 30}));
  EXPECT_THAT([&] { (void)infer(g, node("r", OpKind::Reshape, {"x"}, "y", ReshapeAttrs{{7, -1}})); },
              ::testing::ThrowsMessage<GraphError>(HasSubstr("cannot reshape")));
  EXPECT_THROW((void)infer(g, node("r", OpKind::Reshape, {"x"}, "y", ReshapeAttrs{{-1, -1}})), GraphError);
}

TEST(ShapeInference, AddAndConcat) {
  Graph g = with_input({1, 2, 3, 3});
  g.add_tensor(float_tensor("z", {1, 5, 3, 3}));
  g.add_tensor(float_tensor("u", {1, 2, 3, 4}));
  EXPECT_EQ(infer(g, node("a", OpKind::Add, {"x", "x"}, "y", AddAttrs{})), (Shape{1, 2, 3, 3}));
  EXPECT_THAT([&] { (void)infer(g, node("a", OpKind::Add, {"x", "z"}, "y", AddAttrs{})); },
              ::testing::ThrowsMessage<GraphError>(HasSubstr("does not broadcast")));
  EXPECT_EQ(infer(g, node("c", OpKind::Concat, {"x", "z", "x"}, "y", ConcatAttrs{1})), (Shape{1, 9, 3, 3}));
  EXPECT_EQ(infer(g, node("c", OpKind::Concat, {"x", "u"}, "y", ConcatAttrs{3})), (Shape{1, 2, 3, 7}));
  EXPECT_THROW((void)infer(g, node("c", OpKind::Concat, {"x", "u"}, "y", ConcatAttrs{1})), GraphError);
  EXPECT_THROW((void)infer(g, node("c", OpKind::Concat, {"x"}, "y", ConcatAttrs{4})), GraphError);
}

TEST(ShapeInference, InferShapesOverwritesOutputsInOrder) {
  Graph g = testing::integer_net();
  for (Tensor& t : g.tensors)
    if (!t.is_constant() && t.name != "x") t.shape = {};
  infer_shapes(g);
  EXPECT_EQ(g, testing::integer_net());
}

}  // namespace
}  // namespace bitlab::ir
