//===- CudaApi.h - The CUDA driver and NVRTC, loaded at run time -*- C++
//-*-===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// cupilot-worker links neither libcuda nor libnvrtc: both are opened with
// dlopen, so the binary starts (and says clearly what is missing) on machines
// without a driver or a toolkit. The headers give the types; each entry point
// is looked up under the versioned name the header maps it to
// (cuMemAlloc -> cuMemAlloc_v2).
//
//===----------------------------------------------------------------------===//

#ifndef CUPILOT_LIB_RUNTIME_SERVER_CUDAAPI_H
#define CUPILOT_LIB_RUNTIME_SERVER_CUDAAPI_H

#include <cuda.h>
#include <nvrtc.h>

#include <string>

namespace cupilot {
namespace worker {

// X(name): required; O(name): optional (null when the driver lacks it).
// Only stream-ordered copies are listed: the synchronous cuMemcpyHtoD /
// cuMemcpyDtoH run on the legacy default stream, which the worker's work
// stream is not ordered with, and a pageable cuMemcpyHtoD may return before
// its data has reached the device (see Device.h).
#define CUPILOT_DRIVER_FUNCTIONS(X, O)                                         \
  X(Init)                                                                      \
  X(DriverGetVersion)                                                          \
  X(GetErrorName)                                                              \
  X(GetErrorString)                                                            \
  X(DeviceGetCount)                                                            \
  X(DeviceGet)                                                                 \
  X(DeviceGetName)                                                             \
  X(DeviceGetAttribute)                                                        \
  X(DeviceTotalMem)                                                            \
  O(DeviceGetUuid)                                                             \
  X(DevicePrimaryCtxRetain)                                                    \
  X(DevicePrimaryCtxRelease)                                                   \
  X(CtxSetCurrent)                                                             \
  X(CtxSynchronize)                                                            \
  O(CtxSetLimit)                                                               \
  O(CtxResetPersistingL2Cache)                                                 \
  X(ModuleLoadData)                                                            \
  X(ModuleUnload)                                                              \
  X(ModuleGetFunction)                                                         \
  X(FuncGetAttribute)                                                          \
  X(FuncSetAttribute)                                                          \
  O(FuncGetParamInfo)                                                          \
  X(LaunchKernel)                                                              \
  X(MemGetInfo)                                                                \
  X(MemAlloc)                                                                  \
  X(MemFree)                                                                   \
  X(MemcpyHtoDAsync)                                                           \
  X(MemcpyDtoHAsync)                                                           \
  X(MemcpyDtoDAsync)                                                           \
  X(MemsetD8Async)                                                             \
  X(MemsetD16Async)                                                            \
  X(MemsetD32Async)                                                            \
  X(StreamCreate)                                                              \
  X(StreamDestroy)                                                             \
  X(StreamSynchronize)                                                         \
  X(EventCreate)                                                               \
  X(EventDestroy)                                                              \
  X(EventRecord)                                                               \
  X(EventSynchronize)                                                          \
  X(EventElapsedTime)                                                          \
  O(MemGetAllocationGranularity)                                               \
  O(MemAddressReserve)                                                         \
  O(MemAddressFree)                                                            \
  O(MemCreate)                                                                 \
  O(MemRelease)                                                                \
  O(MemMap)                                                                    \
  O(MemUnmap)                                                                  \
  O(MemSetAccess)

#define CUPILOT_NVRTC_FUNCTIONS(X)                                             \
  X(Version)                                                                   \
  X(GetErrorString)                                                            \
  X(CreateProgram)                                                             \
  X(DestroyProgram)                                                            \
  X(CompileProgram)                                                            \
  X(GetProgramLogSize)                                                         \
  X(GetProgramLog)                                                             \
  X(GetCUBINSize)                                                              \
  X(GetCUBIN)                                                                  \
  X(AddNameExpression)                                                         \
  X(GetLoweredName)

/// Entry points of libcuda. Member `MemAlloc` is `cuMemAlloc` (as the
/// header maps it).
struct DriverApi {
#define CUPILOT_DECLARE(name) decltype(&cu##name) name = nullptr;
  CUPILOT_DRIVER_FUNCTIONS(CUPILOT_DECLARE, CUPILOT_DECLARE)
#undef CUPILOT_DECLARE

  /// Opens `path` (default: libcuda.so.1 from the loader's search path) and
  /// resolves every required entry point; on failure `error` says what is
  /// missing.
  bool load(const std::string &path, std::string &error);
  bool hasVirtualMemory() const {
    return MemGetAllocationGranularity && MemAddressReserve && MemAddressFree &&
           MemCreate && MemRelease && MemMap && MemUnmap && MemSetAccess;
  }
  /// `CUDA_ERROR_X: description`.
  std::string describe(CUresult result) const;
  std::string errorName(CUresult result) const;
};

struct NvrtcApi {
#define CUPILOT_DECLARE(name) decltype(&nvrtc##name) name = nullptr;
  CUPILOT_NVRTC_FUNCTIONS(CUPILOT_DECLARE)
#undef CUPILOT_DECLARE

  /// Opens `path`, or searches `<cudaPath>/lib64` then the loader's path.
  bool load(const std::string &path, const std::string &cudaPath,
            std::string &error);
  /// "13.0".
  std::string version() const;
};

} // namespace worker
} // namespace cupilot

#endif // CUPILOT_LIB_RUNTIME_SERVER_CUDAAPI_H
