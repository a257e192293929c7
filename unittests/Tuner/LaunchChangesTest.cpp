//===- LaunchChangesTest.cpp - The task's launches follow the rewrite -----===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//

#include "cupilot/Strategy/TaskIO.h"
#include "cupilot/Support/Expression.h"
#include "cupilot/Tuner/Evolution.h"

#include "gtest/gtest.h"

using namespace cupilot;

namespace {

Task readBenchTask(llvm::StringRef name) {
  auto task = readTaskFile(std::string(CUPILOT_SOURCE_ROOT) + "/bench/tasks/" +
                           name.str());
  EXPECT_TRUE(static_cast<bool>(task)) << llvm::toString(task.takeError());
  return task ? *task : Task();
}

LaunchChange change(llvm::StringRef kind, std::vector<int64_t> block,
                    int64_t divisor = 1, unsigned dim = 0) {
  LaunchChange c;
  c.kind = kind.str();
  c.kernel = "stencil2d_naive";
  c.block = std::move(block);
  c.gridDivisor = divisor;
  c.gridDivisorDim = dim;
  return c;
}

int64_t evaluate(llvm::StringRef text, int64_t w, int64_t h,
                 const std::array<std::string, 3> &block) {
  ExprEnvironment env;
  env["W"] = static_cast<double>(w);
  env["H"] = static_cast<double>(h);
  const char *names[] = {"block.x", "block.y", "block.z"};
  for (unsigned d = 0; d < 3; ++d)
    env[names[d]] = std::stod(block[d]);
  auto e = Expression::parse(text);
  EXPECT_TRUE(static_cast<bool>(e)) << llvm::toString(e.takeError());
  if (!e)
    return -1;
  auto v = e->evaluateInt(env);
  EXPECT_TRUE(static_cast<bool>(v)) << llvm::toString(v.takeError());
  return v ? *v : -1;
}

} // namespace

// block-size-2d(x=64,y=4)+coarsen-rows(factor=4): the block becomes 64 x 4
// and the grid's y extent a quarter of ceil_div(H, block.y), which is
// ceil_div(H, block.y * 4) for every H.
TEST(LaunchChangesTest, CoarsenRowsDividesTheGridInY) {
  Task task = readBenchTask("stencil2d_naive.task.yaml");
  ASSERT_EQ(task.launches.size(), 1u);
  RewriteResult rewrite;
  rewrite.launchChanges = {change("set-block-size", {64, 4, 1}),
                           change("coarsen-rows", {}, 4, 1)};
  Task result = applyLaunchChanges(task, rewrite);
  const LaunchGeometry &g = result.launches.front().geometry;
  EXPECT_EQ(g.block, (std::array<std::string, 3>{"64", "4", "1"}));
  EXPECT_EQ(g.grid[0], "ceil_div(W, block.x)");
  EXPECT_EQ(g.grid[1], "ceil_div(ceil_div(H, block.y), 4)");
  EXPECT_EQ(g.grid[2], "1");
  for (int64_t h : {4096, 1031, 77, 1, 16, 17})
    EXPECT_EQ(evaluate(g.grid[1], 4096, h, g.block), (h + 15) / 16) << h;
  EXPECT_EQ(evaluate(g.grid[0], 4096, 77, g.block), 64);
  // The original task is left alone.
  EXPECT_EQ(task.launches.front().geometry.grid[1], "ceil_div(H, block.y)");
}

// coarsen and vectorize divide x, as before.
TEST(LaunchChangesTest, CoarsenDividesTheGridInX) {
  Task task = readBenchTask("stencil2d_naive.task.yaml");
  RewriteResult rewrite;
  rewrite.launchChanges = {change("coarsen", {}, 2)};
  Task result = applyLaunchChanges(task, rewrite);
  const LaunchGeometry &g = result.launches.front().geometry;
  EXPECT_EQ(g.grid[0], "ceil_div(ceil_div(W, block.x), 2)");
  EXPECT_EQ(g.grid[1], "ceil_div(H, block.y)");
  EXPECT_EQ(g.block, task.launches.front().geometry.block);
}
