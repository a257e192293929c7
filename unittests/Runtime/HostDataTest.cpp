//===- HostDataTest.cpp - Tests of the worker's host-side data handling ---===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// The worker's initialisation, poison and comparison rules run on the host,
// so they are tested here without a GPU.
//
//===----------------------------------------------------------------------===//

#include "../../lib/Runtime/Server/HostData.h"
#include "../../lib/Runtime/Server/Sha256.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <set>

using namespace cupilot;
using namespace cupilot::worker;
using protocol::Distribution;
using protocol::ElementType;

namespace {

TEST(HostDataTest, ConvertsHalfPrecision) {
  EXPECT_EQ(floatToHalf(1.0f), 0x3C00);
  EXPECT_EQ(floatToHalf(-2.0f), 0xC000);
  EXPECT_EQ(floatToHalf(65504.0f), 0x7BFF);
  EXPECT_EQ(floatToHalf(65520.0f), 0x7C00);               // Rounds to infinity.
  EXPECT_EQ(floatToHalf(5.960464477539063e-08f), 0x0001); // Smallest subnormal.
  EXPECT_EQ(floatToHalf(1.0f + 1.0f / 2048), 0x3C00);     // Ties to even.
  EXPECT_EQ(floatToHalf(1.0f + 3.0f / 2048), 0x3C02);
  EXPECT_TRUE(std::isnan(halfToFloat(floatToHalf(NAN))));
  for (uint32_t bits = 0; bits < 0x10000; ++bits) {
    float value = halfToFloat(static_cast<uint16_t>(bits));
    if (!std::isnan(value))
      EXPECT_EQ(floatToHalf(value), bits) << std::hex << bits;
  }
  EXPECT_EQ(floatToBfloat16(1.0f), 0x3F80);
  EXPECT_EQ(bfloat16ToFloat(0xC040), -3.0f);
  EXPECT_EQ(floatToBfloat16(1.0f + 1.0f / 256), 0x3F80); // Ties to even.
  EXPECT_TRUE(std::isnan(bfloat16ToFloat(floatToBfloat16(NAN))));
}

TEST(HostDataTest, InitialisesDeterministically) {
  HostArray a(ElementType::F32, 1000), b(ElementType::F32, 1000),
      c(ElementType::F32, 1000), d(ElementType::F32, 1000);
  protocol::InitSpec uniform{Distribution::Uniform, -2, 2};
  fillInit(a, uniform, 7, "x");
  fillInit(b, uniform, 7, "x");
  fillInit(c, uniform, 8, "x");
  fillInit(d, uniform, 7, "y");
  EXPECT_EQ(a.bytes, b.bytes);
  EXPECT_NE(a.bytes, c.bytes); // Another seed...
  EXPECT_NE(a.bytes, d.bytes); // ...or another buffer gives other values.
  for (uint64_t i = 0; i < a.count; ++i) {
    EXPECT_GE(a.value(i), -2.0);
    EXPECT_LE(a.value(i), 2.0);
  }
}

TEST(HostDataTest, InitialisesEveryDistribution) {
  HostArray ints(ElementType::I32, 3000);
  fillInit(ints, {Distribution::Uniform, -1, 1}, 1, "i");
  std::set<double> seen;
  for (uint64_t i = 0; i < ints.count; ++i)
    seen.insert(ints.value(i));
  EXPECT_EQ(seen, (std::set<double>{-1, 0, 1}));

  HostArray normal(ElementType::F64, 20000);
  fillInit(normal, {Distribution::Normal, 3, 0.5}, 1, "n");
  double sum = 0, squares = 0;
  for (uint64_t i = 0; i < normal.count; ++i) {
    sum += normal.value(i);
    squares += normal.value(i) * normal.value(i);
  }
  double mean = sum / normal.count;
  EXPECT_NEAR(mean, 3.0, 0.02);
  EXPECT_NEAR(std::sqrt(squares / normal.count - mean * mean), 0.5, 0.02);

  HostArray iota(ElementType::U8, 300);
  fillInit(iota, {Distribution::Iota, 0, 0}, 1, "k");
  EXPECT_EQ(iota.value(5), 5);
  EXPECT_EQ(iota.value(299), 255); // Saturates.
  HostArray constant(ElementType::F16, 4);
  fillInit(constant, {Distribution::Constant, 0.5, 0}, 1, "c");
  EXPECT_EQ(constant.value(3), 0.5);
  HostArray zero(ElementType::BF16, 4);
  fillInit(zero, {Distribution::Zero, 0, 0}, 1, "z");
  EXPECT_EQ(zero.value(0), 0.0);
}

TEST(HostDataTest, PoisonIsNaNForFloatsAndDistinctPerRun) {
  for (ElementType type : {ElementType::F16, ElementType::BF16,
                           ElementType::F32, ElementType::F64}) {
    for (int which : {0, 1}) {
      HostArray a(type, 4);
      fillPoison(a, which);
      EXPECT_TRUE(std::isnan(a.value(0))) << protocol::toString(type);
      EXPECT_TRUE(isPoison(a, 3, which));
      EXPECT_FALSE(isPoison(a, 3, 1 - which));
    }
  }
  HostArray ints(ElementType::I32, 2);
  fillPoison(ints, 0);
  uint32_t word;
  std::memcpy(&word, ints.bytes.data(), 4);
  EXPECT_EQ(word, 0xABABABABu);
  // A NaN a kernel computes is not mistaken for poison.
  HostArray computed(ElementType::F32, 1);
  computed.setValue(0, NAN);
  EXPECT_FALSE(isPoison(computed, 0, 0));
  EXPECT_FALSE(isPoison(computed, 0, 1));
}

HostArray floats(std::initializer_list<double> values) {
  HostArray array(ElementType::F32, values.size());
  uint64_t i = 0;
  for (double v : values)
    array.setValue(i++, v);
  return array;
}

TEST(HostDataTest, ComparesNaNAndInfinityAware) {
  HostArray want = floats({1, NAN, INFINITY, -INFINITY, 100});
  CompareOptions options;
  options.tolerance = {1e-6, 1e-3, false};
  EXPECT_EQ(compare(want, want, options).mismatches, 0u);
  HostArray close = floats({1.0000005, NAN, INFINITY, -INFINITY, 100.09});
  EXPECT_EQ(compare(close, want, options).mismatches, 0u);
  // NaN only matches NaN; infinities only the same infinity.
  HostArray wrong = floats({NAN, 0, -INFINITY, INFINITY, 100.2});
  protocol::OutputCheck check = compare(wrong, want, options);
  EXPECT_EQ(check.mismatches, 5u);
  ASSERT_EQ(check.first.size(), 5u);
  EXPECT_EQ(check.first[0].got, "nan");
  EXPECT_EQ(check.first[0].want, "1");
  EXPECT_EQ(check.first[2].got, "-inf");
  EXPECT_NEAR(check.maxAbsError, 0.2, 1e-4);
  EXPECT_FALSE(check.bitwiseEqual);
}

TEST(HostDataTest, CountsUnwrittenElements) {
  HostArray want = floats({1, 2, 3, 4});
  HostArray got = want;
  fillPoison(got, 1);
  got.setValue(0, 1);
  CompareOptions options;
  options.poison = 1;
  protocol::OutputCheck check = compare(got, want, options);
  EXPECT_EQ(check.mismatches, 3u);
  EXPECT_EQ(check.unwritten, 3u);
  EXPECT_EQ(check.first[0].index, 1u);
  EXPECT_EQ(check.first[0].got, "unwritten");
}

TEST(HostDataTest, ComparesExactlyAndIntegers) {
  HostArray want = floats({0.0, 1.0});
  HostArray negativeZero = floats({-0.0, 1.0});
  CompareOptions exact;
  exact.tolerance.exact = true;
  EXPECT_EQ(compare(negativeZero, want, exact).mismatches, 1u);
  CompareOptions loose;
  EXPECT_EQ(compare(negativeZero, want, loose).mismatches, 0u);

  HostArray a(ElementType::I64, 2), b(ElementType::I64, 2);
  int64_t big[2] = {INT64_MAX, -5};
  int64_t bigger[2] = {INT64_MAX - 1, -5};
  std::memcpy(a.bytes.data(), big, 16);
  std::memcpy(b.bytes.data(), bigger, 16);
  CompareOptions zero;
  zero.tolerance = {0, 0, false};
  protocol::OutputCheck check = compare(b, a, zero);
  EXPECT_EQ(check.mismatches, 1u); // 64-bit integers are compared exactly.
  EXPECT_EQ(check.first[0].got, "9223372036854775806");
}

TEST(HostDataTest, HashesLikeSha256) {
  Sha256 empty;
  EXPECT_EQ(empty.hexDigest(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Sha256 abc;
  abc.update("abc");
  EXPECT_EQ(abc.hexDigest(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha256 longer;
  longer.update("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq");
  EXPECT_EQ(longer.hexDigest(),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  Sha256 split, whole;
  split.field("ab");
  split.field("c");
  whole.field("a");
  whole.field("bc");
  EXPECT_NE(split.hexDigest(), whole.hexDigest());
}

} // namespace
