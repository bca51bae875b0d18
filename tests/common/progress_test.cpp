#include "common/progress.h"

#include <cstdio>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace bitlab {
namespace {

std::string read_all(std::FILE* f) {
  std::rewind(f);
  std::string out;
  char buffer[256];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0) out.append(buffer, n);
  return out;
}

TEST(ProgressBar, LogModePrintsPlainLinesWithEtaAndStatus) {
  std::FILE* f = std::tmpfile();
  {
    ProgressOptions o;
    o.label = "epoch 1/2";
    o.unit = "batch";
    o.out = f;
    o.log_seconds = 0;  // print every update
    ProgressBar bar(4, o);
    bar.update(1, "loss 1.0");
    bar.update(2, "loss 0.5");
    bar.finish("done");
  }
  std::string text = read_all(f);
  std::fclose(f);
  EXPECT_THAT(text, ::testing::HasSubstr("epoch 1/2  50% 2/4"));
  EXPECT_THAT(text, ::testing::HasSubstr("batch/s"));
  EXPECT_THAT(text, ::testing::HasSubstr("| loss 0.5"));
  EXPECT_THAT(text, ::testing::HasSubstr("done\n"));
  EXPECT_EQ(text.find('\r'), std::string::npos) << "a log must not contain carriage returns";
}

TEST(ProgressBar, DisabledPrintsNothing) {
  std::FILE* f = std::tmpfile();
  {
    ProgressOptions o;
    o.out = f;
    o.enabled = false;
    ProgressBar bar(3, o);
    bar.update(1);
    bar.finish();
  }
  EXPECT_EQ(read_all(f), "");
  std::fclose(f);
}

}  // namespace
}  // namespace bitlab
