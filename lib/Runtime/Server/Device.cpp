//===- Device.cpp - One GPU seen through the driver API -------------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//

#include "Device.h"

#include <algorithm>
#include <cstdio>

using namespace cupilot;
using namespace cupilot::worker;
using protocol::ErrorKind;
using protocol::ReplyError;

static size_t roundUp(size_t value, size_t multiple) {
  return (value + multiple - 1) / multiple * multiple;
}

std::string worker::describeKernelFault(CUresult result) {
  switch (result) {
  case CUDA_ERROR_ILLEGAL_ADDRESS:
    return "illegal address";
  case CUDA_ERROR_LAUNCH_FAILED:
    return "trap or unspecified launch failure";
  case CUDA_ERROR_ASSERT:
    return "device-side assert";
  case CUDA_ERROR_MISALIGNED_ADDRESS:
    return "misaligned address";
  case CUDA_ERROR_ILLEGAL_INSTRUCTION:
    return "illegal instruction";
  case CUDA_ERROR_INVALID_ADDRESS_SPACE:
    return "invalid address space";
  case CUDA_ERROR_INVALID_PC:
    return "invalid program counter";
  case CUDA_ERROR_HARDWARE_STACK_ERROR:
    return "hardware stack error";
  case CUDA_ERROR_LAUNCH_TIMEOUT:
    return "launch timeout";
  default:
    return "kernel fault";
  }
}

bool Device::fail(CUresult result, ErrorKind kind, const std::string &what,
                  ReplyError &error) {
  error.kind = kind;
  error.cudaError = api.errorName(result);
  error.message = what + ": " + api.describe(result);
  if (result == CUDA_ERROR_OUT_OF_MEMORY)
    error.kind = ErrorKind::OutOfMemory;
  return false;
}

bool Device::open(int ordinal, ReplyError &error) {
  auto noDevice = [&](CUresult result, const std::string &what) {
    fail(result, ErrorKind::NoDevice, what, error);
    error.kind = ErrorKind::NoDevice;
    return false;
  };
  CUresult result = api.Init(0);
  if (result != CUDA_SUCCESS)
    return noDevice(result, "no usable CUDA driver or GPU (cuInit failed)");
  int count = 0;
  result = api.DeviceGetCount(&count);
  if (result != CUDA_SUCCESS)
    return noDevice(result, "cannot count CUDA devices");
  if (count == 0) {
    error.kind = ErrorKind::NoDevice;
    error.message = "no CUDA device is visible";
    return false;
  }
  if (ordinal < 0 || ordinal >= count) {
    error.kind = ErrorKind::NoDevice;
    error.message = "device " + std::to_string(ordinal) + " does not exist (" +
                    std::to_string(count) + " visible)";
    return false;
  }
  if ((result = api.DeviceGet(&device, ordinal)) != CUDA_SUCCESS)
    return noDevice(result, "cannot get device " + std::to_string(ordinal));
  if ((result = api.DevicePrimaryCtxRetain(&context, device)) != CUDA_SUCCESS)
    return noDevice(result, "cannot create a context on device " +
                                std::to_string(ordinal));
  if ((result = api.CtxSetCurrent(context)) != CUDA_SUCCESS)
    return noDevice(result, "cannot make the context current");
  // A blocking stream: besides the explicit ordering (everything on this
  // stream, see Device.h), it is also ordered with anything that ends up on
  // the legacy default stream.
  if ((result = api.StreamCreate(&stream, CU_STREAM_DEFAULT)) != CUDA_SUCCESS)
    return noDevice(result, "cannot create a stream");

  protocol::DeviceInfo &d = deviceInfo;
  d.ordinal = ordinal;
  char name[256] = {0};
  api.DeviceGetName(name, sizeof(name) - 1, device);
  d.name = name;
  auto attribute = [&](CUdevice_attribute which) {
    int value = 0;
    if (api.DeviceGetAttribute(&value, which, device) != CUDA_SUCCESS)
      return 0;
    return value;
  };
  int major = attribute(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
  int minor = attribute(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
  d.arch = "sm_" + std::to_string(major) + std::to_string(minor);
  d.smCount = attribute(CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
  d.l2Bytes =
      static_cast<uint64_t>(attribute(CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE));
  d.clockKHz = attribute(CU_DEVICE_ATTRIBUTE_CLOCK_RATE);
  d.memoryClockKHz = attribute(CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE);
  d.busWidthBits = attribute(CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH);
  // Double data rate: two transfers per memory clock.
  d.peakBandwidthGBs =
      2.0 * d.memoryClockKHz * 1e3 * (d.busWidthBits / 8.0) / 1e9;
  size_t total = 0;
  api.DeviceTotalMem(&total, device);
  d.memoryBytes = total;
  api.DriverGetVersion(&d.driverVersion);
  if (api.DeviceGetUuid) {
    CUuuid uuid;
    if (api.DeviceGetUuid(&uuid, device) == CUDA_SUCCESS) {
      char hex[3];
      for (int i = 0; i < 16; ++i) {
        std::snprintf(hex, sizeof(hex), "%02x",
                      static_cast<unsigned char>(uuid.bytes[i]));
        d.uuid += hex;
      }
    }
  }
  // No persisting L2 lines: every repetition starts from a flushed L2.
  if (api.CtxSetLimit)
    api.CtxSetLimit(CU_LIMIT_PERSISTING_L2_CACHE_SIZE, 0);
  if (api.CtxResetPersistingL2Cache)
    api.CtxResetPersistingL2Cache();

  if (api.hasVirtualMemory() &&
      attribute(CU_DEVICE_ATTRIBUTE_VIRTUAL_MEMORY_MANAGEMENT_SUPPORTED)) {
    CUmemAllocationProp prop = {};
    prop.type = CU_MEM_ALLOCATION_TYPE_PINNED;
    prop.location.type = CU_MEM_LOCATION_TYPE_DEVICE;
    prop.location.id = ordinal;
    size_t value = 0;
    if (api.MemGetAllocationGranularity(
            &value, &prop, CU_MEM_ALLOC_GRANULARITY_MINIMUM) == CUDA_SUCCESS &&
        value > 0)
      granularity = value;
  }
  d.guardPages = granularity != 0;
  opened = true;
  return true;
}

bool Device::load(const CompiledProgram &program,
                  const std::vector<std::string> &kernels, LoadedProgram &out,
                  ReplyError &error) {
  CUresult result = api.ModuleLoadData(&out.module, program.cubin.data());
  if (result != CUDA_SUCCESS)
    return fail(result, ErrorKind::CompileError,
                "cannot load the cubin of '" + program.info.program + "'",
                error);
  for (const std::string &kernel : kernels) {
    auto it = program.lowered.find(kernel);
    CUfunction function = nullptr;
    if (it == program.lowered.end() ||
        (result = api.ModuleGetFunction(&function, out.module,
                                        it->second.c_str())) != CUDA_SUCCESS) {
      unload(out);
      error.kind = ErrorKind::CompileError;
      error.message = "kernel '" + kernel + "' is missing from the module";
      return false;
    }
    out.functions[kernel] = function;
  }
  return true;
}

void Device::unload(LoadedProgram &program) {
  if (program.module && !lost)
    api.ModuleUnload(program.module);
  program.module = nullptr;
  program.functions.clear();
}

protocol::KernelResources Device::resources(CUfunction function) const {
  protocol::KernelResources r;
  auto attribute = [&](CUfunction_attribute which) {
    int value = -1;
    if (api.FuncGetAttribute(&value, which, function) != CUDA_SUCCESS)
      return -1;
    return value;
  };
  r.registers = attribute(CU_FUNC_ATTRIBUTE_NUM_REGS);
  r.staticSharedBytes = attribute(CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES);
  r.localBytes = attribute(CU_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES);
  r.constBytes = attribute(CU_FUNC_ATTRIBUTE_CONST_SIZE_BYTES);
  r.maxThreadsPerBlock = attribute(CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK);
  bool known = false;
  std::vector<size_t> sizes = parameterSizes(function, known);
  r.parameters = known ? static_cast<int>(sizes.size()) : -1;
  return r;
}

std::vector<size_t> Device::parameterSizes(CUfunction function,
                                           bool &known) const {
  std::vector<size_t> sizes;
  known = api.FuncGetParamInfo != nullptr;
  if (!known)
    return sizes;
  // A kernel has at most a few thousand bytes of parameters.
  for (size_t i = 0; i < 4096; ++i) {
    size_t offset = 0, size = 0;
    if (api.FuncGetParamInfo(function, i, &offset, &size) != CUDA_SUCCESS)
      break;
    sizes.push_back(size);
  }
  return sizes;
}

size_t Device::freeMemory() const {
  size_t freeBytes = 0, totalBytes = 0;
  if (api.MemGetInfo(&freeBytes, &totalBytes) != CUDA_SUCCESS)
    return 0;
  return freeBytes;
}

size_t Device::footprint(size_t bytes) const {
  size_t padded = roundUp(std::max<size_t>(bytes, 1), 256);
  return granularity ? roundUp(padded, granularity) : padded + 2 * 4096;
}

bool Device::allocate(size_t bytes, DeviceBuffer &out, ReplyError &error) {
  DeviceBuffer buffer;
  buffer.bytes = bytes;
  size_t padded = roundUp(std::max<size_t>(bytes, 1), 256);
  CUresult result;
  if (granularity) {
    buffer.virtualMemory = true;
    buffer.mappedBytes = roundUp(padded, granularity);
    buffer.reservedBytes = buffer.mappedBytes + 2 * granularity;
    if ((result =
             api.MemAddressReserve(&buffer.reservation, buffer.reservedBytes,
                                   granularity, 0, 0)) != CUDA_SUCCESS)
      return fail(result, ErrorKind::OutOfMemory,
                  "cannot reserve address space", error);
    CUmemAllocationProp prop = {};
    prop.type = CU_MEM_ALLOCATION_TYPE_PINNED;
    prop.location.type = CU_MEM_LOCATION_TYPE_DEVICE;
    prop.location.id = deviceInfo.ordinal;
    if ((result = api.MemCreate(&buffer.handle, buffer.mappedBytes, &prop,
                                0)) != CUDA_SUCCESS) {
      api.MemAddressFree(buffer.reservation, buffer.reservedBytes);
      return fail(result, ErrorKind::OutOfMemory,
                  "cannot allocate " + std::to_string(bytes) + " bytes", error);
    }
    buffer.mappedStart = buffer.reservation + granularity;
    CUmemAccessDesc access = {};
    access.location = prop.location;
    access.flags = CU_MEM_ACCESS_FLAGS_PROT_READWRITE;
    if ((result = api.MemMap(buffer.mappedStart, buffer.mappedBytes, 0,
                             buffer.handle, 0)) != CUDA_SUCCESS ||
        (result = api.MemSetAccess(buffer.mappedStart, buffer.mappedBytes,
                                   &access, 1)) != CUDA_SUCCESS) {
      release(buffer);
      return fail(result, ErrorKind::OutOfMemory, "cannot map device memory",
                  error);
    }
    buffer.ptr = buffer.mappedStart + buffer.mappedBytes - padded;
  } else {
    buffer.mappedBytes = padded + 2 * 4096;
    if ((result = api.MemAlloc(&buffer.mappedStart, buffer.mappedBytes)) !=
        CUDA_SUCCESS)
      return fail(result, ErrorKind::OutOfMemory,
                  "cannot allocate " + std::to_string(bytes) + " bytes", error);
    buffer.ptr = buffer.mappedStart + 4096;
  }
  if ((result = api.MemsetD8Async(buffer.mappedStart, CanaryByte,
                                  buffer.mappedBytes, stream)) !=
      CUDA_SUCCESS) {
    release(buffer);
    return fail(result, ErrorKind::Internal, "cannot initialise a buffer",
                error);
  }
  out = buffer;
  return true;
}

void Device::release(DeviceBuffer &buffer) {
  if (lost) {
    buffer = DeviceBuffer();
    return;
  }
  // Nothing may still be reading or writing the memory when it is unmapped
  // (and its pages handed to the next buffer): wait for all work of the
  // context, not only the stream's.
  api.CtxSynchronize();
  if (buffer.virtualMemory) {
    if (buffer.handle) {
      api.MemUnmap(buffer.mappedStart, buffer.mappedBytes);
      api.MemRelease(buffer.handle);
    }
    if (buffer.reservation)
      api.MemAddressFree(buffer.reservation, buffer.reservedBytes);
  } else if (buffer.mappedStart) {
    api.MemFree(buffer.mappedStart);
  }
  buffer = DeviceBuffer();
}

/// An internal error for a host array whose size is not the buffer's.
static bool sizeMismatch(const char *what, size_t hostBytes, size_t deviceBytes,
                         ReplyError &error) {
  error.kind = ErrorKind::Internal;
  error.cudaError.clear();
  error.message = std::string(what) + ": the host copy has " +
                  std::to_string(hostBytes) + " bytes, the device buffer " +
                  std::to_string(deviceBytes);
  return false;
}

bool Device::streamCopy(CUresult enqueued, const char *what,
                        ReplyError &error) {
  CUresult result = enqueued;
  // The copy involves pageable host memory the caller may reuse as soon as
  // this returns: wait until it is done (and everything before it).
  if (result == CUDA_SUCCESS)
    result = api.StreamSynchronize(stream);
  if (result != CUDA_SUCCESS) {
    lost = true;
    return fail(result, ErrorKind::RuntimeError, what, error);
  }
  return true;
}

bool Device::upload(const DeviceBuffer &buffer, const HostArray &host,
                    ReplyError &error) {
  if (host.byteSize() != buffer.bytes)
    return sizeMismatch("copy to the device", host.byteSize(), buffer.bytes,
                        error);
  if (buffer.bytes == 0)
    return true;
  return streamCopy(
      api.MemcpyHtoDAsync(buffer.ptr, host.bytes.data(), buffer.bytes, stream),
      "copy to the device failed", error);
}

bool Device::download(const DeviceBuffer &buffer, HostArray &host,
                      ReplyError &error) {
  if (host.byteSize() != buffer.bytes)
    return sizeMismatch("copy from the device", host.byteSize(), buffer.bytes,
                        error);
  if (buffer.bytes == 0)
    return true;
  return streamCopy(
      api.MemcpyDtoHAsync(host.bytes.data(), buffer.ptr, buffer.bytes, stream),
      "copy from the device failed", error);
}

bool Device::fill(const DeviceBuffer &buffer, PoisonPattern pattern,
                  ReplyError &error) {
  unsigned width = pattern.width == 1 || pattern.width == 2 ? pattern.width : 4;
  if (buffer.bytes % width != 0) {
    error.kind = ErrorKind::Internal;
    error.cudaError.clear();
    error.message = "cannot fill a buffer of " + std::to_string(buffer.bytes) +
                    " bytes with a " + std::to_string(width) + "-byte pattern";
    return false;
  }
  CUresult result;
  switch (width) {
  case 1:
    result =
        api.MemsetD8Async(buffer.ptr, static_cast<unsigned char>(pattern.word),
                          buffer.bytes, stream);
    break;
  case 2:
    result = api.MemsetD16Async(buffer.ptr,
                                static_cast<unsigned short>(pattern.word),
                                buffer.bytes / 2, stream);
    break;
  default:
    result =
        api.MemsetD32Async(buffer.ptr, pattern.word, buffer.bytes / 4, stream);
    break;
  }
  if (result != CUDA_SUCCESS)
    return fail(result, ErrorKind::Internal, "cannot fill a buffer", error);
  return true;
}

bool Device::copy(const DeviceBuffer &to, const DeviceBuffer &from,
                  ReplyError &error) {
  if (to.bytes != from.bytes) {
    error.kind = ErrorKind::Internal;
    error.cudaError.clear();
    error.message = "device copy between buffers of " +
                    std::to_string(from.bytes) + " and " +
                    std::to_string(to.bytes) + " bytes";
    return false;
  }
  CUresult result = api.MemcpyDtoDAsync(to.ptr, from.ptr, from.bytes, stream);
  if (result != CUDA_SUCCESS)
    return fail(result, ErrorKind::Internal, "device copy failed", error);
  return true;
}

bool Device::checkCanaries(const DeviceBuffer &buffer, bool &intact,
                           ReplyError &error) {
  intact = true;
  size_t before = buffer.ptr - buffer.mappedStart;
  size_t after =
      buffer.mappedStart + buffer.mappedBytes - (buffer.ptr + buffer.bytes);
  std::vector<unsigned char> slack(std::max(before, after));
  for (auto [start, size] :
       {std::pair<CUdeviceptr, size_t>{buffer.mappedStart, before},
        {buffer.ptr + buffer.bytes, after}}) {
    if (size == 0)
      continue;
    if (!streamCopy(api.MemcpyDtoHAsync(slack.data(), start, size, stream),
                    "copy from the device failed", error))
      return false;
    for (size_t i = 0; i < size; ++i)
      if (slack[i] != CanaryByte) {
        intact = false;
        return true;
      }
  }
  return true;
}

bool Device::launch(CUfunction function, const uint32_t grid[3],
                    const uint32_t block[3], uint32_t sharedBytes,
                    void **params, ReplyError &error) {
  CUresult result = CUDA_SUCCESS;
  if (sharedBytes > 48 * 1024)
    result = api.FuncSetAttribute(
        function, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
        static_cast<int>(sharedBytes));
  if (result == CUDA_SUCCESS)
    result = api.LaunchKernel(function, grid[0], grid[1], grid[2], block[0],
                              block[1], block[2], sharedBytes, stream, params,
                              nullptr);
  if (result != CUDA_SUCCESS) {
    fail(result, ErrorKind::LaunchError, "the launch was refused", error);
    // A refused launch leaves the context usable unless an earlier kernel
    // faulted; find out which.
    CUresult sticky = api.CtxSynchronize();
    if (sticky != CUDA_SUCCESS) {
      lost = true;
      fail(sticky, ErrorKind::RuntimeError,
           describeKernelFault(sticky) + " in an earlier kernel", error);
    }
    return false;
  }
  return true;
}

bool Device::synchronize(ReplyError &error) {
  CUresult result = api.StreamSynchronize(stream);
  if (result == CUDA_SUCCESS)
    return true;
  lost = true;
  return fail(result, ErrorKind::RuntimeError, describeKernelFault(result),
              error);
}
