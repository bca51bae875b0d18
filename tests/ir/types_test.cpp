#include "ir/types.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>

#include "ir/error.h"
#include "ir/tensor.h"

namespace bitlab::ir {
namespace {

using ::testing::HasSubstr;

TEST(ElementType, NamesRoundTrip) {
  for (const char* name : {"float32", "int1", "uint2", "int4", "uint8", "int16", "uint16", "int32", "int64"}) {
    EXPECT_EQ(to_string(element_type_from_string(name)), name);
  }
}

TEST(ElementType, RejectsUnknownNamesAndWidths) {
  for (const char* bad : {"", "int", "int0", "int17", "uint32", "int33", "int8x", "float16", "i8"}) {
    EXPECT_THROW((void)element_type_from_string(bad), GraphError) << bad;
  }
  EXPECT_THAT([] { (void)element_type_from_string("int24"); },
              ::testing::ThrowsMessage<GraphError>(HasSubstr("24 bits are not allowed")));
}

TEST(ElementType, RangesFollowTheSpecAndTwosComplement) {
  EXPECT_EQ(ElementType::integer(8, true).min_value(), -128);
  EXPECT_EQ(ElementType::integer(8, true, true).min_value(), -127);  // §2.1 narrow
  EXPECT_EQ(ElementType::integer(4, false).max_value(), 15);
  EXPECT_EQ(ElementType::integer(4, false, true).max_value(), 14);
  EXPECT_EQ(ElementType::integer(32, true).min_value(), std::numeric_limits<std::int32_t>::min());
  EXPECT_EQ(ElementType::integer(64, true).max_value(), std::numeric_limits<std::int64_t>::max());
  EXPECT_THROW((void)ElementType::float32().min_value(), GraphError);
  EXPECT_THROW(ElementType::integer(32, false).validate(), GraphError);        // accumulators are signed
  EXPECT_THROW(ElementType::integer(32, true, true).validate(), GraphError);   // narrow only for codes
}

TEST(Quantization, SameGridTreatsMissingZeroPointsAsZero) {
  EXPECT_TRUE(same_grid(Quantization::per_tensor(0.5), Quantization{quant::Granularity::PerTensor, 0, {0.5}, {}}));
  EXPECT_FALSE(same_grid(Quantization::per_tensor(0.5, 1), Quantization::per_tensor(0.5)));
  EXPECT_FALSE(same_grid(Quantization::per_tensor(0.5), Quantization::per_tensor(0.25)));
  EXPECT_FALSE(same_grid(Quantization::per_channel(0, {1, 2}), Quantization::per_channel(1, {1, 2})));
}

TEST(Quantization, MapsCodeTensorsOntoQuantSpecs) {
  const quant::QuantSpec spec = to_quant_spec(ElementType::integer(4, true, true), Quantization::per_channel(0, {0.1, 0.2}));
  EXPECT_EQ(spec.bits, 4);
  EXPECT_TRUE(spec.narrow_range);
  EXPECT_TRUE(spec.symmetric);
  EXPECT_EQ(spec.granularity, quant::Granularity::PerChannel);
  EXPECT_NO_THROW(spec.validate());
  EXPECT_FALSE(to_quant_spec(ElementType::integer(8, false), Quantization::per_tensor(1.0, 7)).symmetric);
  EXPECT_THROW((void)to_quant_spec(ElementType::integer(32, true), Quantization::per_tensor(1.0)), GraphError);
  const Tensor acc = int_tensor("acc", {2}, ElementType::integer(32, true), Quantization::per_tensor(1.0));
  EXPECT_THAT([&] { (void)acc.code_spec(); }, ::testing::ThrowsMessage<GraphError>(HasSubstr("tensor \"acc\"")));
}

TEST(Shape, CountsElements) {
  EXPECT_EQ(num_elements({}), 1);
  EXPECT_EQ(num_elements({2, 3, 4}), 24);
  EXPECT_EQ(num_elements({2, 0}), 0);
  EXPECT_THROW((void)num_elements({2, -1}), GraphError);
  EXPECT_EQ(to_string(Shape{1, 8, 28, 28}), "[1, 8, 28, 28]");
}

}  // namespace
}  // namespace bitlab::ir
