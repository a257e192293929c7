//===- Device.h - One GPU seen through the driver API -----------*- C++ -*-===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// The worker's only door to the GPU: the primary context of one device, one
// stream, modules, guarded buffers and launches. Every call's status is
// checked; an error reported by a synchronisation is treated as sticky (the
// context is lost and the worker must exit after replying).
//
// Ordering: every operation on device memory (canary and poison fills,
// uploads, downloads, device copies, launches, events) is enqueued on the one
// stream, so each runs after everything enqueued before it, and every copy
// that involves host memory is followed by a synchronisation of that stream
// before it returns, so host arrays may be reused or freed at once. Nothing
// uses the legacy default stream: a synchronous cuMemcpyHtoD from pageable
// memory runs there and may return while the end of its data is still on its
// way to the device (the driver stages it), and the work stream would not
// wait for it (an evaluation read stale or canary data at the end of its
// inputs, or had an inout's tail overwritten after its kernel had run).
// Sizes always come from the buffer being copied; a host array of another
// size is refused.
//
//===----------------------------------------------------------------------===//

#ifndef CUPILOT_LIB_RUNTIME_SERVER_DEVICE_H
#define CUPILOT_LIB_RUNTIME_SERVER_DEVICE_H

#include "Compiler.h"
#include "CudaApi.h"
#include "HostData.h"

#include "cupilot/Runtime/Protocol.h"

#include <map>
#include <string>
#include <vector>

namespace cupilot {
namespace worker {

/// A device buffer with guard zones. With the virtual memory API the buffer
/// ends at the end of its mapping (up to 255 bytes of slack when its size is
/// not a multiple of 256) and unmapped granules lie before and after, so
/// reading or writing past either end faults; the mapped slack around the
/// buffer holds CanaryByte and is checked after each run.
struct DeviceBuffer {
  CUdeviceptr ptr = 0;
  size_t bytes = 0;
  CUdeviceptr mappedStart = 0;
  size_t mappedBytes = 0;
  CUdeviceptr reservation = 0;
  size_t reservedBytes = 0;
  CUmemGenericAllocationHandle handle = 0;
  bool virtualMemory = false;
};

struct LoadedProgram {
  CUmodule module = nullptr;
  /// Name expression -> function.
  std::map<std::string, CUfunction> functions;
};

class Device {
public:
  explicit Device(const DriverApi &api) : api(api) {}

  /// Initialises the driver and makes the primary context of `ordinal`
  /// current. On failure `error` is no_device and says why.
  bool open(int ordinal, protocol::ReplyError &error);
  bool isOpen() const { return opened; }
  const protocol::DeviceInfo &info() const { return deviceInfo; }
  void setNvrtcVersion(std::string version) {
    deviceInfo.nvrtcVersion = std::move(version);
  }
  /// True after an error that leaves the context unusable.
  bool isLost() const { return lost; }

  bool load(const CompiledProgram &program,
            const std::vector<std::string> &kernels, LoadedProgram &out,
            protocol::ReplyError &error);
  void unload(LoadedProgram &program);
  protocol::KernelResources resources(CUfunction function) const;
  /// Sizes of the kernel's parameters; empty with `known` false when the
  /// driver cannot tell.
  std::vector<size_t> parameterSizes(CUfunction function, bool &known) const;

  size_t freeMemory() const;
  /// Bytes of device memory `bytes` occupies once guarded.
  size_t footprint(size_t bytes) const;
  bool allocate(size_t bytes, DeviceBuffer &out, protocol::ReplyError &error);
  void release(DeviceBuffer &buffer);

  /// Copies `host` (exactly `buffer.bytes` bytes, else an internal error)
  /// into the buffer, in stream order, and waits until it has arrived.
  bool upload(const DeviceBuffer &buffer, const HostArray &host,
              protocol::ReplyError &error);
  /// Copies the buffer into `host` (which must hold exactly `buffer.bytes`
  /// bytes) after everything enqueued before, and waits for it.
  bool download(const DeviceBuffer &buffer, HostArray &host,
                protocol::ReplyError &error);
  /// Fills the buffer (asynchronously, on the stream) with a pattern.
  bool fill(const DeviceBuffer &buffer, PoisonPattern pattern,
            protocol::ReplyError &error);
  /// Device-to-device copy on the stream; both buffers must have the same
  /// size.
  bool copy(const DeviceBuffer &to, const DeviceBuffer &from,
            protocol::ReplyError &error);
  /// Sets `intact` to whether the slack around the buffer still holds the
  /// canary.
  bool checkCanaries(const DeviceBuffer &buffer, bool &intact,
                     protocol::ReplyError &error);

  /// Launches on the stream; a refused launch is a launch_error.
  bool launch(CUfunction function, const uint32_t grid[3],
              const uint32_t block[3], uint32_t sharedBytes, void **params,
              protocol::ReplyError &error);
  /// Waits for the stream; any error is a runtime_error and loses the
  /// context.
  bool synchronize(protocol::ReplyError &error);

  CUstream getStream() const { return stream; }
  /// The primary context (the profiler attaches to it).
  CUcontext getContext() const { return context; }
  const DriverApi &driver() const { return api; }

  /// Turns a failed driver call into `error`; returns false.
  bool fail(CUresult result, protocol::ErrorKind kind, const std::string &what,
            protocol::ReplyError &error);

private:
  /// Waits for a copy `enqueued` on the stream; a failure loses the context.
  bool streamCopy(CUresult enqueued, const char *what,
                  protocol::ReplyError &error);

  const DriverApi &api;
  bool opened = false;
  bool lost = false;
  CUdevice device = 0;
  CUcontext context = nullptr;
  CUstream stream = nullptr;
  size_t granularity = 0;
  protocol::DeviceInfo deviceInfo;
};

/// A short phrase for a CUDA error that ends a kernel (`illegal address`).
std::string describeKernelFault(CUresult result);

} // namespace worker
} // namespace cupilot

#endif // CUPILOT_LIB_RUNTIME_SERVER_DEVICE_H
