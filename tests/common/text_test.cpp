#include "common/text.h"

#include <gtest/gtest.h>

namespace bitlab {
namespace {

TEST(Text, EditDistance) {
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("same", "same"), 0u);
}

TEST(Text, ClosestMatchOnlySuggestsPlausibleTypos) {
  EXPECT_EQ(closest_match("epoch", {"epochs", "lr", "seed"}), "epochs");
  EXPECT_EQ(closest_match("zzzzzzzz", {"epochs", "lr"}), "");
}

TEST(Text, FormatDuration) {
  EXPECT_EQ(format_duration(12.4), "12s");
  EXPECT_EQ(format_duration(185), "3m05s");
  EXPECT_EQ(format_duration(3720), "1h02m");
  EXPECT_EQ(format_duration(-1), "--");
}

}  // namespace
}  // namespace bitlab
