//===- HostData.cpp - Host copies of buffers: init, poison, compare -------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//

#include "HostData.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

using namespace cupilot;
using namespace cupilot::worker;
using protocol::byteWidth;
using protocol::Distribution;

//===----------------------------------------------------------------------===//
// Half precision
//===----------------------------------------------------------------------===//

float worker::halfToFloat(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000) << 16;
  uint32_t exponent = (h >> 10) & 0x1F;
  uint32_t mantissa = h & 0x3FF;
  uint32_t bits;
  if (exponent == 0) {
    float value = std::ldexp(static_cast<float>(mantissa), -24);
    return sign ? -value : value;
  }
  if (exponent == 31)
    bits = sign | 0x7F800000 | (mantissa << 13);
  else
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  float out;
  std::memcpy(&out, &bits, 4);
  return out;
}

uint16_t worker::floatToHalf(float value) {
  uint32_t x;
  std::memcpy(&x, &value, 4);
  uint32_t sign = (x >> 16) & 0x8000;
  uint32_t mantissa = x & 0x7FFFFF;
  int exponent = (x >> 23) & 0xFF;
  if (exponent == 0xFF)
    return static_cast<uint16_t>(sign | 0x7C00 |
                                 (mantissa ? 0x200 | (mantissa >> 13) : 0));
  int e = exponent - 127 + 15;
  if (e >= 0x1F)
    return static_cast<uint16_t>(sign | 0x7C00);
  if (e <= 0) {
    if (e < -10)
      return static_cast<uint16_t>(sign);
    mantissa |= 0x800000;
    unsigned shift = static_cast<unsigned>(14 - e);
    uint32_t half = mantissa >> shift;
    uint32_t rest = mantissa & ((1u << shift) - 1);
    uint32_t halfway = 1u << (shift - 1);
    if (rest > halfway || (rest == halfway && (half & 1)))
      ++half;
    return static_cast<uint16_t>(sign | half);
  }
  uint32_t half = sign | (uint32_t(e) << 10) | (mantissa >> 13);
  uint32_t rest = mantissa & 0x1FFF;
  if (rest > 0x1000 || (rest == 0x1000 && (half & 1)))
    ++half; // May carry into the exponent, which rounds up correctly.
  return static_cast<uint16_t>(half);
}

float worker::bfloat16ToFloat(uint16_t bits) {
  uint32_t x = uint32_t(bits) << 16;
  float out;
  std::memcpy(&out, &x, 4);
  return out;
}

uint16_t worker::floatToBfloat16(float value) {
  uint32_t x;
  std::memcpy(&x, &value, 4);
  if ((x & 0x7FFFFFFF) > 0x7F800000)
    return static_cast<uint16_t>((x >> 16) | 0x40);
  x += 0x7FFF + ((x >> 16) & 1);
  return static_cast<uint16_t>(x >> 16);
}

//===----------------------------------------------------------------------===//
// Element access
//===----------------------------------------------------------------------===//

namespace {
template <typename T> T load(const unsigned char *p) {
  T value;
  std::memcpy(&value, p, sizeof(T));
  return value;
}
template <typename T> void store(unsigned char *p, T value) {
  std::memcpy(p, &value, sizeof(T));
}

template <typename T> T saturate(double v) {
  if (std::isnan(v))
    return 0;
  double lo = static_cast<double>(std::numeric_limits<T>::min());
  double hi = static_cast<double>(std::numeric_limits<T>::max());
  v = std::nearbyint(v);
  if (v <= lo)
    return std::numeric_limits<T>::min();
  if (v >= hi)
    return std::numeric_limits<T>::max();
  return static_cast<T>(v);
}

/// Integer elements as long double, exact for 64-bit values on x86-64.
long double integerValue(ElementType type, const unsigned char *p) {
  switch (type) {
  case ElementType::I8:
    return load<int8_t>(p);
  case ElementType::I16:
    return load<int16_t>(p);
  case ElementType::I32:
    return load<int32_t>(p);
  case ElementType::I64:
    return load<int64_t>(p);
  case ElementType::U8:
    return load<uint8_t>(p);
  case ElementType::U16:
    return load<uint16_t>(p);
  case ElementType::U32:
    return load<uint32_t>(p);
  case ElementType::U64:
    return load<uint64_t>(p);
  default:
    return 0;
  }
}

double elementValue(ElementType type, const unsigned char *p) {
  switch (type) {
  case ElementType::F16:
    return halfToFloat(load<uint16_t>(p));
  case ElementType::BF16:
    return bfloat16ToFloat(load<uint16_t>(p));
  case ElementType::F32:
    return load<float>(p);
  case ElementType::F64:
    return load<double>(p);
  default:
    return static_cast<double>(integerValue(type, p));
  }
}
} // namespace

double HostArray::value(uint64_t i) const {
  return elementValue(type, bytes.data() + i * byteWidth(type));
}

void HostArray::setValue(uint64_t i, double v) {
  unsigned char *p = bytes.data() + i * byteWidth(type);
  switch (type) {
  case ElementType::F16:
    return store(p, floatToHalf(static_cast<float>(v)));
  case ElementType::BF16:
    return store(p, floatToBfloat16(static_cast<float>(v)));
  case ElementType::F32:
    return store(p, static_cast<float>(v));
  case ElementType::F64:
    return store(p, v);
  case ElementType::I8:
    return store(p, saturate<int8_t>(v));
  case ElementType::I16:
    return store(p, saturate<int16_t>(v));
  case ElementType::I32:
    return store(p, saturate<int32_t>(v));
  case ElementType::I64:
    return store(p, saturate<int64_t>(v));
  case ElementType::U8:
    return store(p, saturate<uint8_t>(v));
  case ElementType::U16:
    return store(p, saturate<uint16_t>(v));
  case ElementType::U32:
    return store(p, saturate<uint32_t>(v));
  case ElementType::U64:
    return store(p, saturate<uint64_t>(v));
  }
}

std::string HostArray::format(uint64_t i) const {
  const unsigned char *p = bytes.data() + i * byteWidth(type);
  char buffer[48];
  if (protocol::isFloating(type)) {
    double v = elementValue(type, p);
    if (std::isnan(v))
      return "nan";
    if (std::isinf(v))
      return v < 0 ? "-inf" : "inf";
    std::snprintf(buffer, sizeof(buffer), "%.*g",
                  type == ElementType::F64 ? 17 : 9, v);
    return buffer;
  }
  if (protocol::isSigned(type))
    std::snprintf(buffer, sizeof(buffer), "%lld",
                  static_cast<long long>(integerValue(type, p)));
  else
    std::snprintf(buffer, sizeof(buffer), "%llu",
                  static_cast<unsigned long long>(integerValue(type, p)));
  return buffer;
}

//===----------------------------------------------------------------------===//
// Random initialisation
//===----------------------------------------------------------------------===//

static uint64_t splitmix64(uint64_t &state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

Random::Random(uint64_t seed) {
  uint64_t state = seed;
  for (uint64_t &word : s)
    word = splitmix64(state);
}

uint64_t Random::next() {
  auto rotl = [](uint64_t x, int k) { return (x << k) | (x >> (64 - k)); };
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

double Random::uniform() { return (next() >> 11) * 0x1.0p-53; }

double Random::normal() {
  if (haveSpare) {
    haveSpare = false;
    return spare;
  }
  double u1 = 1.0 - uniform(); // (0, 1]
  double u2 = uniform();
  double radius = std::sqrt(-2.0 * std::log(u1));
  double angle = 2.0 * M_PI * u2;
  spare = radius * std::sin(angle);
  haveSpare = true;
  return radius * std::cos(angle);
}

void worker::fillInit(HostArray &array, const protocol::InitSpec &init,
                      uint64_t seed, std::string_view bufferName) {
  // FNV-1a of the name decorrelates buffers filled with the same seed.
  uint64_t nameHash = 0xcbf29ce484222325ull;
  for (unsigned char c : bufferName)
    nameHash = (nameHash ^ c) * 0x100000001b3ull;
  Random random(seed ^ nameHash);
  bool integral = !protocol::isFloating(array.type);
  switch (init.dist) {
  case Distribution::Zero:
    std::fill(array.bytes.begin(), array.bytes.end(), 0);
    return;
  case Distribution::Constant:
    for (uint64_t i = 0; i < array.count; ++i)
      array.setValue(i, init.p0);
    return;
  case Distribution::Iota:
    for (uint64_t i = 0; i < array.count; ++i)
      array.setValue(i, static_cast<double>(i));
    return;
  case Distribution::Uniform: {
    double lo = init.p0, hi = init.p1;
    if (integral) {
      lo = std::ceil(lo);
      hi = std::floor(hi);
      if (hi < lo)
        hi = lo;
      for (uint64_t i = 0; i < array.count; ++i)
        array.setValue(
            i, std::min(hi, lo + std::floor(random.uniform() * (hi - lo + 1))));
      return;
    }
    for (uint64_t i = 0; i < array.count; ++i)
      array.setValue(i, lo + random.uniform() * (hi - lo));
    return;
  }
  case Distribution::Normal:
    for (uint64_t i = 0; i < array.count; ++i)
      array.setValue(i, init.p0 + init.p1 * random.normal());
    return;
  }
}

double worker::defaultExtremeMagnitude(ElementType type) {
  switch (type) {
  case ElementType::F16:
    return 1e2;
  case ElementType::F64:
    return 1e8;
  default:
    return 1e4;
  }
}

bool worker::fillExtreme(HostArray &array, const protocol::InitSpec &init,
                         uint64_t seed, std::string_view bufferName,
                         double magnitude) {
  fillInit(array, init, seed, bufferName);
  if (!protocol::isFloating(array.type) ||
      (init.dist != Distribution::Uniform && init.dist != Distribution::Normal))
    return false;
  if (!(magnitude > 0))
    magnitude = defaultExtremeMagnitude(array.type);
  // The smallest normal of the type: values below it are subnormal (or
  // flushed to zero by code compiled with -ftz).
  double minNormal = array.type == ElementType::F16   ? 0x1p-14
                     : array.type == ElementType::F64 ? 0x1p-1022
                                                      : 0x1p-126;
  uint64_t nameHash = 0x84222325cbf29ce4ull;
  for (unsigned char c : bufferName)
    nameHash = (nameHash ^ c) * 0x100000001b3ull;
  Random random(seed ^ nameHash ^ 0x5eed0fe77e3e5ull);
  for (uint64_t i = 0; i < array.count; ++i) {
    double pick = random.uniform();
    double sign = random.uniform() < 0.5 ? -1.0 : 1.0;
    double u = random.uniform();
    if (pick < 0.3)
      continue; // The usual random value.
    if (pick < 0.4)
      array.setValue(i, sign * 0.0);
    else if (pick < 0.5)
      array.setValue(i, sign * minNormal * (0.01 + 0.98 * u)); // Subnormal.
    else if (pick < 0.6)
      array.setValue(i, sign * minNormal * (1 + 15 * u)); // Tiny normal.
    else
      array.setValue(i, sign * magnitude * (0.5 + 0.5 * u));
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Poison
//===----------------------------------------------------------------------===//

PoisonPattern worker::poisonPattern(ElementType type, int which) {
  bool second = which != 0;
  switch (type) {
  case ElementType::F16:
    return {2, second ? 0xFE5Au : 0x7DABu};
  case ElementType::BF16:
    return {2, second ? 0xFFDAu : 0x7FABu};
  case ElementType::F32:
  case ElementType::F64:
    // NaN both as f32 and, repeated, as the high word of an f64.
    return {4, second ? 0xFFF5A5A5u : 0x7FFABABAu};
  default:
    break;
  }
  switch (byteWidth(type)) {
  case 1:
    return {1, second ? 0x5Au : 0xABu};
  case 2:
    return {2, second ? 0x5A5Au : 0xABABu};
  default:
    return {4, second ? 0x5A5A5A5Au : 0xABABABABu};
  }
}

static void patternBytes(ElementType type, int which, unsigned char *out) {
  PoisonPattern pattern = poisonPattern(type, which);
  unsigned width = byteWidth(type);
  for (unsigned i = 0; i < width; ++i)
    out[i] =
        static_cast<unsigned char>(pattern.word >> (8 * (i % pattern.width)));
}

bool worker::isPoison(const HostArray &array, uint64_t index, int which) {
  unsigned char expected[8];
  patternBytes(array.type, which, expected);
  unsigned width = byteWidth(array.type);
  return std::memcmp(array.bytes.data() + index * width, expected, width) == 0;
}

void worker::fillPoison(HostArray &array, int which) {
  unsigned char expected[8];
  patternBytes(array.type, which, expected);
  unsigned width = byteWidth(array.type);
  for (uint64_t i = 0; i < array.count; ++i)
    std::memcpy(array.bytes.data() + i * width, expected, width);
}

//===----------------------------------------------------------------------===//
// Comparison
//===----------------------------------------------------------------------===//

protocol::OutputCheck worker::compare(const HostArray &got,
                                      const HostArray &want,
                                      const CompareOptions &options) {
  protocol::OutputCheck check;
  check.count = want.count;
  check.bitwiseEqual = got.bytes == want.bytes;
  if (check.bitwiseEqual && options.poison < 0) {
    for (uint64_t i = 0; i < want.count; ++i) {
      double w = want.value(i);
      if (std::isfinite(w))
        check.referenceNorm += w * w;
    }
    check.referenceNorm = std::sqrt(check.referenceNorm);
    return check;
  }
  const unsigned width = byteWidth(want.type);
  const bool floating = protocol::isFloating(want.type);
  const protocol::ToleranceSpec &tol = options.tolerance;
  unsigned char poison[8];
  if (options.poison >= 0)
    patternBytes(want.type, options.poison, poison);
  double errorSquares = 0, referenceSquares = 0;
  for (uint64_t i = 0; i < want.count; ++i) {
    const unsigned char *g = got.bytes.data() + i * width;
    const unsigned char *w = want.bytes.data() + i * width;
    bool sameBits = std::memcmp(g, w, width) == 0;
    bool unwritten = options.poison >= 0 && std::memcmp(g, poison, width) == 0;
    bool match;
    double gv, wv, diff = 0;
    if (floating) {
      gv = elementValue(want.type, g);
      wv = elementValue(want.type, w);
      if (std::isnan(wv))
        match = std::isnan(gv);
      else if (std::isinf(wv))
        match = gv == wv;
      else if (!std::isfinite(gv))
        match = false;
      else {
        diff = std::fabs(gv - wv);
        match = tol.exact ? gv == wv && std::signbit(gv) == std::signbit(wv)
                          : diff <= tol.atol + tol.rtol * std::fabs(wv);
      }
    } else {
      long double gi = integerValue(want.type, g);
      long double wi = integerValue(want.type, w);
      gv = static_cast<double>(gi);
      wv = static_cast<double>(wi);
      diff = static_cast<double>(gi > wi ? gi - wi : wi - gi);
      match = sameBits ||
              (!tol.exact && diff <= tol.atol + tol.rtol * std::fabs(wv));
    }
    if (unwritten && !sameBits)
      match = false;
    if (std::isfinite(wv)) {
      referenceSquares += wv * wv;
      if (std::isfinite(gv)) {
        errorSquares += diff * diff;
        check.maxAbsError = std::max(check.maxAbsError, diff);
        if (wv != 0)
          check.maxRelError = std::max(check.maxRelError, diff / std::fabs(wv));
      }
    }
    if (match)
      continue;
    ++check.mismatches;
    if (unwritten)
      ++check.unwritten;
    if (check.first.size() < options.maxReported)
      check.first.push_back(
          {i, unwritten ? "unwritten" : got.format(i), want.format(i)});
  }
  check.errorNorm = std::sqrt(errorSquares);
  check.referenceNorm = std::sqrt(referenceSquares);
  return check;
}
