//===- HostData.h - Host copies of buffers: init, poison, compare -*- C++
//-*-===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// Everything the worker does to buffer contents on the host, independent of
// the GPU so that it can be unit tested: seeded initialisation, the poison
// patterns written into outputs before each launch, and the NaN/Inf-aware
// comparison of outputs.
//
//===----------------------------------------------------------------------===//

#ifndef CUPILOT_LIB_RUNTIME_SERVER_HOSTDATA_H
#define CUPILOT_LIB_RUNTIME_SERVER_HOSTDATA_H

#include "cupilot/Runtime/Protocol.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cupilot {
namespace worker {

using protocol::ElementType;

float halfToFloat(uint16_t bits);
uint16_t floatToHalf(float value);
float bfloat16ToFloat(uint16_t bits);
uint16_t floatToBfloat16(float value);

/// A host copy of one buffer.
struct HostArray {
  ElementType type = ElementType::F32;
  uint64_t count = 0;
  std::vector<unsigned char> bytes;

  HostArray() = default;
  HostArray(ElementType type, uint64_t count)
      : type(type), count(count), bytes(count * protocol::byteWidth(type)) {}

  size_t byteSize() const { return bytes.size(); }
  /// Element `i` as a double (64-bit integers may round).
  double value(uint64_t i) const;
  /// Stores `v` converted to the element type: floats round to nearest,
  /// integers round to nearest and saturate at the type's range.
  void setValue(uint64_t i, double v);
  /// Element `i` as text (`1.5`, `-7`, `nan`).
  std::string format(uint64_t i) const;
};

/// Fills `array` from `init`; the values depend only on (seed, name, index).
void fillInit(HostArray &array, const protocol::InitSpec &init, uint64_t seed,
              std::string_view bufferName);

/// The largest magnitude of the extreme-value input set when the request
/// gives none: products and short sums of such values stay finite in the
/// type, while exp() of them overflows (f16: 1e2, bf16 and f32: 1e4, f64:
/// 1e8).
double defaultExtremeMagnitude(ElementType type);

/// Fills `array` with the extreme-value input set: for floating types whose
/// init is random (uniform or normal), each element is, by a seeded draw,
/// the usual random value (30%), +0 or -0 (10%), a subnormal or tiny
/// normal of either sign (20%), or a large value of either sign in
/// [magnitude / 2, magnitude] (40%); `magnitude` 0 means the type's default.
/// Other buffers (integers, iota, constant, zero) get their usual contents:
/// they often carry structure (indices, sizes) that extreme values would
/// break. Returns whether extreme values were written.
bool fillExtreme(HostArray &array, const protocol::InitSpec &init,
                 uint64_t seed, std::string_view bufferName, double magnitude);

/// The pattern written into outputs before a launch: a memset of `width`
/// bytes (1, 2 or 4) with `word`. Two distinct patterns (which = 0 or 1) are
/// used on alternate runs; for floating types both are NaNs with payloads a
/// computation never produces, for integers 0xAB.. and 0x5A.. bytes.
struct PoisonPattern {
  unsigned width;
  uint32_t word;
};
PoisonPattern poisonPattern(ElementType type, int which);
bool isPoison(const HostArray &array, uint64_t index, int which);
void fillPoison(HostArray &array, int which);

/// Byte written around every buffer (guard slack) to detect out-of-bounds
/// writes; as any floating type it reads as NaN, as integers as -1.
constexpr unsigned char CanaryByte = 0xFF;

struct CompareOptions {
  protocol::ToleranceSpec tolerance;
  /// The poison pattern written before the run (0 or 1), -1 for none.
  int poison = -1;
  unsigned maxReported = 8;
};

/// Compares `got` with `want` element by element: a NaN matches only a NaN,
/// an infinity only the same infinity, other values must be finite and
/// within atol + rtol * |want| (or equal when exact). An element still
/// holding the poison pattern counts as unwritten and as a mismatch.
/// Fills every OutputCheck field except program, seed, run, output and
/// against.
protocol::OutputCheck compare(const HostArray &got, const HostArray &want,
                              const CompareOptions &options);

/// Splitmix64 and xoshiro256**: the documented generator of buffer contents.
class Random {
public:
  explicit Random(uint64_t seed);
  uint64_t next();
  /// Uniform in [0, 1).
  double uniform();
  /// Standard normal (Box-Muller).
  double normal();

private:
  uint64_t s[4];
  bool haveSpare = false;
  double spare = 0;
};

} // namespace worker
} // namespace cupilot

#endif // CUPILOT_LIB_RUNTIME_SERVER_HOSTDATA_H
