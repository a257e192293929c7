//===- Sha256.h - SHA-256 for cache keys ------------------------*- C++ -*-===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//

#ifndef CUPILOT_LIB_RUNTIME_SERVER_SHA256_H
#define CUPILOT_LIB_RUNTIME_SERVER_SHA256_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cupilot {
namespace worker {

/// Incremental SHA-256 (FIPS 180-4).
class Sha256 {
public:
  Sha256();
  void update(std::string_view data);
  /// Feeds `data` followed by a NUL separator, so that concatenations of
  /// different field lists cannot collide.
  void field(std::string_view data) {
    update(data);
    update(std::string_view("\0", 1));
  }
  /// Lowercase hex digest; the object must not be updated afterwards.
  std::string hexDigest();

private:
  void block(const unsigned char *data);
  uint32_t state[8];
  unsigned char buffer[64];
  size_t buffered = 0;
  uint64_t totalBytes = 0;
};

} // namespace worker
} // namespace cupilot

#endif // CUPILOT_LIB_RUNTIME_SERVER_SHA256_H
