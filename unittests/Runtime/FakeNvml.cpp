//===- FakeNvml.cpp - An NVML stand-in for the Nvml tests -----------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// Built twice as a loadable module: with nvmlShutdown, and without it
// (CUPILOT_FAKE_NVML_NO_SHUTDOWN), which NVML's users must not require. It
// counts inits and shutdowns and knows one GPU.
//
//===----------------------------------------------------------------------===//

#include <cstring>

namespace {
int inits = 0;
int shutdowns = 0;
int device = 0;
} // namespace

extern "C" {

int cupilotFakeNvmlInits() { return inits; }
int cupilotFakeNvmlShutdowns() { return shutdowns; }

int nvmlInit_v2() {
  ++inits;
  return 0;
}

#ifndef CUPILOT_FAKE_NVML_NO_SHUTDOWN
int nvmlShutdown() {
  ++shutdowns;
  return 0;
}
#endif

const char *nvmlErrorString(int result) {
  return result == 13 ? "Not Found" : "Unknown Error";
}

int nvmlDeviceGetHandleByUUID(const char *uuid, void **out) {
  if (std::strcmp(uuid, "GPU-01234567-89ab-cdef-0123-456789abcdef") != 0)
    return 13; // NVML_ERROR_NOT_FOUND
  *out = &device;
  return 0;
}

int nvmlDeviceGetClockInfo(void *, int type, unsigned *mhz) {
  *mhz = type == 1 ? 1755 : 2619;
  return 0;
}
}
