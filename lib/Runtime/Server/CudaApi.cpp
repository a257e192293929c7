//===- CudaApi.cpp - The CUDA driver and NVRTC, loaded at run time --------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//

#include "CudaApi.h"

#include <dlfcn.h>

#include <vector>

using namespace cupilot::worker;

// Expands macros in `x` before stringifying, so that the header's mapping
// (cuMemAlloc -> cuMemAlloc_v2) gives the symbol to look up.
#define CUPILOT_STRINGIFY_EXPANDED(x) CUPILOT_STRINGIFY(x)
#define CUPILOT_STRINGIFY(x) #x

bool DriverApi::load(const std::string &path, std::string &error) {
  const char *name = path.empty() ? "libcuda.so.1" : path.c_str();
  void *handle = dlopen(name, RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *why = dlerror();
    error = std::string("cannot load the CUDA driver library (") + name +
            "): " + (why ? why : "unknown error");
    return false;
  }
  std::string missing;
#define CUPILOT_REQUIRED(fn)                                                   \
  fn = reinterpret_cast<decltype(fn)>(                                         \
      dlsym(handle, CUPILOT_STRINGIFY_EXPANDED(cu##fn)));                      \
  if (!fn)                                                                     \
    missing += std::string(missing.empty() ? "" : ", ") +                      \
               CUPILOT_STRINGIFY_EXPANDED(cu##fn);
#define CUPILOT_OPTIONAL(fn)                                                   \
  fn = reinterpret_cast<decltype(fn)>(                                         \
      dlsym(handle, CUPILOT_STRINGIFY_EXPANDED(cu##fn)));
  CUPILOT_DRIVER_FUNCTIONS(CUPILOT_REQUIRED, CUPILOT_OPTIONAL)
#undef CUPILOT_REQUIRED
#undef CUPILOT_OPTIONAL
  if (!missing.empty()) {
    error = std::string("the CUDA driver library (") + name +
            ") is too old: it lacks " + missing;
    return false;
  }
  return true;
}

std::string DriverApi::errorName(CUresult result) const {
  const char *name = nullptr;
  if (GetErrorName && GetErrorName(result, &name) == CUDA_SUCCESS && name)
    return name;
  // The stub library and very old drivers cannot name their errors; these
  // are the ones seen when there is no usable GPU.
  switch (result) {
  case CUDA_ERROR_NOT_INITIALIZED:
    return "CUDA_ERROR_NOT_INITIALIZED";
  case CUDA_ERROR_NO_DEVICE:
    return "CUDA_ERROR_NO_DEVICE";
  case CUDA_ERROR_STUB_LIBRARY:
    return "CUDA_ERROR_STUB_LIBRARY";
  case CUDA_ERROR_SYSTEM_DRIVER_MISMATCH:
    return "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH";
  case CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE:
    return "CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE";
  default:
    return "CUDA error " + std::to_string(static_cast<int>(result));
  }
}

std::string DriverApi::describe(CUresult result) const {
  std::string text = errorName(result);
  const char *description = nullptr;
  if (GetErrorString && GetErrorString(result, &description) == CUDA_SUCCESS &&
      description)
    text += std::string(": ") + description;
  else if (result == CUDA_ERROR_STUB_LIBRARY)
    text += ": the CUDA driver stub library was loaded, not a real driver";
  else if (result == CUDA_ERROR_NO_DEVICE)
    text += ": no CUDA-capable device is detected";
  return text;
}

bool NvrtcApi::load(const std::string &path, const std::string &cudaPath,
                    std::string &error) {
  std::vector<std::string> candidates;
  if (!path.empty()) {
    candidates.push_back(path);
  } else {
    for (const char *dir : {"/lib64/", "/lib/"}) {
      if (cudaPath.empty())
        break;
      candidates.push_back(cudaPath + dir + "libnvrtc.so.13");
      candidates.push_back(cudaPath + dir + "libnvrtc.so");
    }
    candidates.push_back("libnvrtc.so.13");
    candidates.push_back("libnvrtc.so.12");
    candidates.push_back("libnvrtc.so");
  }
  void *handle = nullptr;
  std::string tried;
  for (const std::string &candidate : candidates) {
    handle = dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle)
      break;
    const char *why = dlerror();
    tried += "\n  " + candidate + ": " + (why ? why : "not found");
  }
  if (!handle) {
    error = "cannot load NVRTC; tried:" + tried +
            "\n  (give --cuda-path or --nvrtc)";
    return false;
  }
  std::string missing;
#define CUPILOT_REQUIRED(fn)                                                   \
  fn = reinterpret_cast<decltype(fn)>(dlsym(handle, "nvrtc" #fn));             \
  if (!fn)                                                                     \
    missing += std::string(missing.empty() ? "" : ", ") + "nvrtc" #fn;
  CUPILOT_NVRTC_FUNCTIONS(CUPILOT_REQUIRED)
#undef CUPILOT_REQUIRED
  if (!missing.empty()) {
    error = "the NVRTC library lacks " + missing;
    return false;
  }
  return true;
}

std::string NvrtcApi::version() const {
  int major = 0, minor = 0;
  if (!Version || Version(&major, &minor) != NVRTC_SUCCESS)
    return "unknown";
  return std::to_string(major) + "." + std::to_string(minor);
}
