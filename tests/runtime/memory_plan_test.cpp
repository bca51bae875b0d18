#include "runtime/memory_plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <fmt/format.h>

namespace bitlab::runtime {
namespace {

TEST(MemoryPlan, ReusesMemoryOfBuffersThatAreDead) {
  // a and c never live together, so c takes a's place; b sits after a.
  const std::vector<BufferRequest> r = {{"a", 100, 0, 1}, {"b", 60, 1, 2}, {"c", 80, 2, 3}};
  const MemoryPlan plan = plan_memory(r);
  EXPECT_EQ(plan.offsets, (std::vector<std::int64_t>{0, 100, 0}));
  EXPECT_EQ(plan.arena_bytes, 160);
  EXPECT_EQ(plan.peak_live_bytes, 160);
}

TEST(MemoryPlan, FillsTheSmallestGapThatFits) {
  // Largest first: A 0..100, B 100..160, C into the hole A leaves (0..50), D
  // after B (160..200), E after everything at step 0 (200..235). At step 2, C,
  // B and E leave gaps [50, 100) and [160, 200): F takes the smaller one.
  const std::vector<BufferRequest> r = {{"A", 100, 0, 0}, {"B", 60, 0, 3}, {"C", 50, 1, 3},
                                        {"D", 40, 0, 0},  {"E", 35, 0, 3}, {"F", 30, 2, 2}};
  const MemoryPlan plan = plan_memory(r);
  EXPECT_EQ(plan.offsets, (std::vector<std::int64_t>{0, 100, 0, 160, 200, 160}));
  EXPECT_EQ(plan.arena_bytes, 235);
  EXPECT_EQ(plan.peak_live_bytes, 235);  // step 0: A + B + D + E
  EXPECT_EQ(live_bytes_per_step(r, 4), (std::vector<std::int64_t>{235, 145, 175, 145}));
}

TEST(MemoryPlan, AlignsOffsets) {
  const MemoryPlan plan = plan_memory({{"a", 5, 0, 1}, {"b", 3, 0, 1}}, {.alignment = 4});
  EXPECT_EQ(plan.offsets, (std::vector<std::int64_t>{0, 8}));
  EXPECT_EQ(plan.arena_bytes, 11);
}

TEST(MemoryPlan, RejectsBadRequests) {
  EXPECT_THAT([] { (void)plan_memory({{"a", 5, 3, 1}}); },
              ::testing::ThrowsMessage<std::invalid_argument>(::testing::HasSubstr("\"a\"")));
  EXPECT_THROW((void)plan_memory({{"a", -1, 0, 0}}), std::invalid_argument);
  EXPECT_THROW((void)plan_memory({}, {.alignment = 0}), std::invalid_argument);
}

RC_GTEST_PROP(MemoryPlan, LiveBuffersNeverShareBytesAndArenaCoversThePeak, ()) {
  const auto count = *rc::gen::inRange(0, 25);
  std::vector<BufferRequest> requests;
  for (int i = 0; i < count; ++i) {
    const int first = *rc::gen::inRange(0, 12);
    const int length = *rc::gen::inRange(0, 6);
    requests.push_back({fmt::format("t{}", i), *rc::gen::inRange<std::int64_t>(0, 300), first, first + length});
  }
  const std::int64_t alignment = *rc::gen::element<std::int64_t>(1, 4, 16);
  const MemoryPlan plan = plan_memory(requests, {.alignment = alignment});
  RC_ASSERT(plan.offsets.size() == requests.size());
  RC_ASSERT(plan.arena_bytes >= plan.peak_live_bytes);
  for (std::size_t i = 0; i < requests.size(); ++i) {
    RC_ASSERT(plan.offsets[i] % alignment == 0);
    RC_ASSERT(plan.offsets[i] + requests[i].bytes <= plan.arena_bytes);
    for (std::size_t j = i + 1; j < requests.size(); ++j) {
      const BufferRequest& a = requests[i];
      const BufferRequest& b = requests[j];
      const bool same_time = a.first_step <= b.last_step && b.first_step <= a.last_step;
      const bool same_bytes = plan.offsets[i] < plan.offsets[j] + b.bytes && plan.offsets[j] < plan.offsets[i] + a.bytes;
      RC_ASSERT(!(same_time && same_bytes));
    }
  }
}

}  // namespace
}  // namespace bitlab::runtime
