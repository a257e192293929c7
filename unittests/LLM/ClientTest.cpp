//===- ClientTest.cpp - Tests of the LLM client's retry schedule ----------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//

#include "cupilot/LLM/Client.h"

#include "gtest/gtest.h"

using namespace cupilot::llm;
using namespace std::chrono_literals;

namespace {

TEST(ClientTest, RetryDelaysDoubleUpToTheCap) {
  Config config;
  config.retryDelay = 1000ms;
  config.timeout = 120s;
  EXPECT_EQ(retryBackoff(config, 0), 1000ms);
  EXPECT_EQ(retryBackoff(config, 1), 2000ms);
  EXPECT_EQ(retryBackoff(config, 5), 32000ms);
  EXPECT_EQ(retryBackoff(config, 6), MaxRetryDelay);
  // Ten retries of a 60 s first delay were once 60 s * 2^9, eight and a
  // half hours; now never more than the cap, and no overflow.
  config.retryDelay = 60000ms;
  for (unsigned retry : {0u, 9u, 63u, 64u, 1000u, ~0u})
    EXPECT_EQ(retryBackoff(config, retry), MaxRetryDelay) << retry;
}

TEST(ClientTest, RetryDelaysNeverExceedTheTimeout) {
  Config config;
  config.retryDelay = 1000ms;
  config.timeout = 5s;
  EXPECT_EQ(retryBackoff(config, 2), 4000ms);
  EXPECT_EQ(retryBackoff(config, 3), 5000ms);
  EXPECT_EQ(retryBackoff(config, 0, 3600u), 5000ms);
  EXPECT_EQ(retryBackoff(config, 0, 2u), 2000ms);
  EXPECT_EQ(retryBackoff(config, 7, 0u), 0ms);
  config.timeout = 300s;
  EXPECT_EQ(retryBackoff(config, 0, 3600u), MaxRetryDelay);
  config.retryDelay = 0ms;
  EXPECT_EQ(retryBackoff(config, 9), 0ms);
}

TEST(ClientTest, ReadsTheDeadline) {
  setenv("CUPILOT_LLM_DEADLINE", "90", 1);
  auto config = loadConfig();
  unsetenv("CUPILOT_LLM_DEADLINE");
  ASSERT_TRUE(static_cast<bool>(config)) << llvm::toString(config.takeError());
  EXPECT_EQ(config->deadline, 90s);
}

} // namespace
