//===- NvmlTest.cpp - Tests of the worker's NVML clock reader -------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// Nvml against fake NVML libraries (FakeNvml.cpp): every failure after
// nvmlInit shuts NVML down (when it can) and unloads the library, and a
// library without nvmlShutdown is not called through a null pointer.
//
//===----------------------------------------------------------------------===//

#include "../../lib/Runtime/Server/Profiler.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <dlfcn.h>

using namespace cupilot::worker;
using ::testing::HasSubstr;

namespace {

const char *const KnownUuid = "0123456789abcdef0123456789abcdef";

/// A reference to a fake NVML held by the test, to read its counters.
class FakeNvml {
public:
  explicit FakeNvml(const char *path)
      : path(path), handle(dlopen(path, RTLD_NOW | RTLD_LOCAL)) {}
  ~FakeNvml() { release(); }
  bool ok() const { return handle != nullptr; }
  int inits() const { return counter("cupilotFakeNvmlInits"); }
  int shutdowns() const { return counter("cupilotFakeNvmlShutdowns"); }
  void release() {
    if (handle)
      dlclose(handle);
    handle = nullptr;
  }
  /// Whether the library is still loaded (by anyone).
  bool loaded() const {
    void *h = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
    if (h)
      dlclose(h);
    return h != nullptr;
  }

private:
  int counter(const char *name) const {
    auto f = reinterpret_cast<int (*)()>(dlsym(handle, name));
    return f ? f() : -1;
  }
  const char *path;
  void *handle;
};

TEST(NvmlTest, OpensAndSamplesAKnownGpu) {
  FakeNvml fake(CUPILOT_FAKE_NVML);
  ASSERT_TRUE(fake.ok()) << dlerror();
  {
    Nvml nvml(CUPILOT_FAKE_NVML);
    std::string note;
    ASSERT_TRUE(nvml.open(KnownUuid, note)) << note;
    cupilot::protocol::ClockSample sample;
    EXPECT_TRUE(nvml.sample(sample, note)) << note;
    EXPECT_EQ(sample.smMHz, 1755u);
    EXPECT_EQ(fake.inits(), 1);
  }
  EXPECT_EQ(fake.shutdowns(), 1);
}

TEST(NvmlTest, ShutsDownAndUnloadsOnEveryFailureAfterInit) {
  for (const char *uuid : {"", "ffffffffffffffffffffffffffffffff"}) {
    FakeNvml fake(CUPILOT_FAKE_NVML);
    ASSERT_TRUE(fake.ok()) << dlerror();
    int inits = fake.inits(), shutdowns = fake.shutdowns();
    {
      Nvml nvml(CUPILOT_FAKE_NVML);
      std::string note;
      EXPECT_FALSE(nvml.open(uuid, note));
      EXPECT_THAT(note, HasSubstr("clocks not recorded"));
    }
    EXPECT_EQ(fake.inits() - inits, 1) << uuid;
    EXPECT_EQ(fake.shutdowns() - shutdowns, 1) << uuid;
    fake.release();
    EXPECT_FALSE(fake.loaded()) << "NVML left loaded after '" << uuid << "'";
  }
}

TEST(NvmlTest, ToleratesALibraryWithoutShutdown) {
  for (const char *uuid : {"", "ffffffffffffffffffffffffffffffff"}) {
    FakeNvml fake(CUPILOT_FAKE_NVML_NO_SHUTDOWN);
    ASSERT_TRUE(fake.ok()) << dlerror();
    {
      Nvml nvml(CUPILOT_FAKE_NVML_NO_SHUTDOWN);
      std::string note;
      EXPECT_FALSE(nvml.open(uuid, note));
      if (*uuid)
        EXPECT_THAT(note, HasSubstr("NVML does not know GPU-ffffffff-ffff"));
    }
    fake.release();
    EXPECT_FALSE(fake.loaded());
  }
  Nvml nvml(CUPILOT_FAKE_NVML_NO_SHUTDOWN);
  std::string note;
  EXPECT_TRUE(nvml.open(KnownUuid, note)) << note;
}

} // namespace
