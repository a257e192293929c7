//===- Compiler.cpp - NVRTC compilation with a content-hash cache ---------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//

#include "Compiler.h"
#include "Sha256.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

using namespace cupilot;
using namespace cupilot::worker;

/// Bump when the cache layout or the meaning of a key changes.
static const char CacheFormat[] = "cupilot-cubin-cache-1";

static bool startsWith(const std::string &text, const char *prefix) {
  return text.rfind(prefix, 0) == 0;
}

std::vector<std::string>
Compiler::effectiveOptions(const protocol::ProgramSpec &program,
                           const std::string &arch) const {
  std::vector<std::string> options = program.options;
  bool hasArch = false;
  for (const std::string &option : program.options)
    if (startsWith(option, "-arch") || startsWith(option, "--gpu-architecture"))
      hasArch = true;
  if (!hasArch)
    options.push_back("--gpu-architecture=" + arch);
  if (!cudaPath.empty()) {
    options.push_back("--include-path=" + cudaPath + "/include");
    // CUDA 13 keeps the CCCL headers (cuda/std, cub, thrust) apart.
    struct stat info;
    std::string cccl = cudaPath + "/include/cccl";
    if (stat(cccl.c_str(), &info) == 0)
      options.push_back("--include-path=" + cccl);
  }
  return options;
}

static bool readFile(const std::string &path, std::string &out) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return false;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  out = buffer.str();
  return static_cast<bool>(in) || in.eof();
}

/// Writes through a temporary file and a rename, so that concurrent workers
/// never see half a file.
static bool writeFileAtomically(const std::string &path,
                                const std::string &data) {
  std::string temp = path + ".tmp." + std::to_string(getpid());
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out)
      return false;
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    if (!out)
      return false;
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    std::remove(temp.c_str());
    return false;
  }
  return true;
}

static void makeDirectories(const std::string &path) {
  for (size_t pos = 1; pos <= path.size(); ++pos)
    if (pos == path.size() || path[pos] == '/')
      mkdir(path.substr(0, pos).c_str(), 0755);
}

bool Compiler::readCache(const std::string &hash, CompiledProgram &out) {
  if (cacheDir.empty())
    return false;
  std::string base = cacheDir + "/" + hash;
  std::string names;
  if (!readFile(base + ".names", names) ||
      !readFile(base + ".cubin", out.cubin))
    return false;
  out.lowered.clear();
  std::istringstream lines(names);
  std::string line;
  while (std::getline(lines, line)) {
    size_t tab = line.find('\t');
    if (tab == std::string::npos)
      return false;
    out.lowered[line.substr(0, tab)] = line.substr(tab + 1);
  }
  out.info.cubinPath = base + ".cubin";
  return !out.cubin.empty();
}

void Compiler::writeCache(const std::string &hash,
                          const CompiledProgram &program) {
  if (cacheDir.empty())
    return;
  makeDirectories(cacheDir);
  std::string names;
  for (const auto &[expression, lowered] : program.lowered)
    names += expression + "\t" + lowered + "\n";
  std::string base = cacheDir + "/" + hash;
  // The cubin last: a reader needs both, and checks the cubin.
  if (writeFileAtomically(base + ".names", names))
    writeFileAtomically(base + ".cubin", program.cubin);
}

/// First line of a `<hash>.failed` file; then the program name, the byte
/// length of the message, the message and the log.
static const char FailureFormat[] = "cupilot-compile-failure-2";

bool Compiler::readFailure(const std::string &hash, const std::string &name,
                           protocol::ReplyError &error) {
  if (cacheDir.empty())
    return false;
  std::string text;
  if (!readFile(cacheDir + "/" + hash + ".failed", text))
    return false;
  std::istringstream in(text);
  std::string format, cachedName, length;
  if (!std::getline(in, format) || format != FailureFormat ||
      !std::getline(in, cachedName) || cachedName != name ||
      !std::getline(in, length))
    return false;
  size_t size = 0;
  for (char c : length) {
    if (c < '0' || c > '9')
      return false;
    size = size * 10 + static_cast<size_t>(c - '0');
  }
  size_t start = static_cast<size_t>(in.tellg());
  if (in.fail() || start + size > text.size())
    return false;
  error.kind = protocol::ErrorKind::CompileError;
  error.message = text.substr(start, size);
  error.log = text.substr(start + size);
  return true;
}

bool worker::isCompileError(nvrtcResult status) {
  // A rejected program, or options NVRTC rejects (an unknown architecture),
  // are properties of the request, deterministic for the cache key (which
  // holds the source, every option and the NVRTC version). Every other
  // status (out of memory, internal error, failed builtin operation) says
  // something about this process at this moment.
  return status == NVRTC_ERROR_COMPILATION ||
         status == NVRTC_ERROR_INVALID_OPTION;
}

void Compiler::writeFailure(const std::string &hash, const std::string &name,
                            const protocol::ReplyError &error) {
  if (cacheDir.empty() || error.kind != protocol::ErrorKind::CompileError ||
      name.find('\n') != std::string::npos)
    return;
  makeDirectories(cacheDir);
  writeFileAtomically(cacheDir + "/" + hash + ".failed",
                      std::string(FailureFormat) + "\n" + name + "\n" +
                          std::to_string(error.message.size()) + "\n" +
                          error.message + error.log);
}

bool Compiler::compile(const protocol::ProgramSpec &program,
                       const std::string &arch,
                       const std::vector<std::string> &kernels,
                       CompiledProgram &out, protocol::ReplyError &error) {
  auto start = std::chrono::steady_clock::now();
  auto elapsedMs = [&] {
    return std::chrono::duration<double, std::milli>(
               std::chrono::steady_clock::now() - start)
        .count();
  };
  std::vector<std::string> options = effectiveOptions(program, arch);

  Sha256 sha;
  sha.field(CacheFormat);
  sha.field(nvrtc.version());
  sha.field(arch);
  for (const std::string &option : options)
    sha.field(option);
  sha.field("--kernels--");
  for (const std::string &kernel : kernels)
    sha.field(kernel);
  sha.field("--source--");
  sha.update(program.source);
  std::string hash = sha.hexDigest();

  auto cached = memory.find(hash);
  if (cached != memory.end()) {
    out = cached->second;
    out.info.cacheHit = true;
    out.info.milliseconds = elapsedMs();
    return true;
  }
  CompiledProgram result;
  result.info.hash = hash;
  if (readCache(hash, result)) {
    bool complete = true;
    for (const std::string &kernel : kernels)
      complete &= result.lowered.count(kernel) > 0;
    if (complete) {
      result.info.cacheHit = true;
      result.info.cubinBytes = result.cubin.size();
      result.info.milliseconds = elapsedMs();
      memory[hash] = result;
      out = std::move(result);
      return true;
    }
  }
  if (readFailure(hash, program.name, error))
    return false;

  error.kind = protocol::ErrorKind::Internal;
  nvrtcProgram prog = nullptr;
  nvrtcResult status = nvrtc.CreateProgram(
      &prog, program.source.c_str(),
      program.name.empty() ? "program.cu" : program.name.c_str(), 0, nullptr,
      nullptr);
  if (status != NVRTC_SUCCESS) {
    error.message = std::string("nvrtcCreateProgram failed: ") +
                    nvrtc.GetErrorString(status);
    return false;
  }
  for (const std::string &kernel : kernels)
    nvrtc.AddNameExpression(prog, kernel.c_str());
  std::vector<const char *> argv;
  for (const std::string &option : options)
    argv.push_back(option.c_str());
  status =
      nvrtc.CompileProgram(prog, static_cast<int>(argv.size()), argv.data());
  size_t logSize = 0;
  std::string log;
  if (nvrtc.GetProgramLogSize(prog, &logSize) == NVRTC_SUCCESS && logSize > 1) {
    log.resize(logSize);
    nvrtc.GetProgramLog(prog, &log[0]);
    log.resize(logSize - 1);
  }
  result.info.log = log;
  if (status != NVRTC_SUCCESS && !isCompileError(status)) {
    // Out of memory, an internal error, a failed builtin operation: say
    // nothing about the program, and never cache the failure, so that the
    // next attempt compiles again.
    error.kind = protocol::ErrorKind::Internal;
    error.message =
        "NVRTC failed on '" + program.name + "' for " + arch +
        " (not a compile error; not cached): " + nvrtc.GetErrorString(status);
    error.log = log;
    nvrtc.DestroyProgram(&prog);
    return false;
  }
  if (status != NVRTC_SUCCESS) {
    error.kind = protocol::ErrorKind::CompileError;
    error.message = "NVRTC could not compile '" + program.name + "' for " +
                    arch + ": " + nvrtc.GetErrorString(status);
    // NVRTC compiles the requested kernel names into a synthetic
    // __nv_name_map; a name it cannot find is an error there.
    if (log.find("__nv_name_map") != std::string::npos)
      for (const std::string &kernel : kernels)
        if (log.find("identifier \"" + kernel + "\" is undefined") !=
            std::string::npos)
          error.message = "kernel '" + kernel + "' is not defined in '" +
                          program.name + "' (or is not a __global__ function)";
    error.log = log;
    nvrtc.DestroyProgram(&prog);
    writeFailure(hash, program.name, error);
    return false;
  }
  for (const std::string &kernel : kernels) {
    const char *lowered = nullptr;
    if (nvrtc.GetLoweredName(prog, kernel.c_str(), &lowered) != NVRTC_SUCCESS ||
        !lowered) {
      error.kind = protocol::ErrorKind::CompileError;
      error.message = "kernel '" + kernel + "' is not defined in '" +
                      program.name + "' (or is not a __global__ function)";
      error.log = log;
      nvrtc.DestroyProgram(&prog);
      writeFailure(hash, program.name, error);
      return false;
    }
    result.lowered[kernel] = lowered;
  }
  size_t cubinSize = 0;
  status = nvrtc.GetCUBINSize(prog, &cubinSize);
  if (status != NVRTC_SUCCESS || cubinSize == 0) {
    error.message = "NVRTC produced no cubin for '" + program.name + "' (is '" +
                    arch + "' a real architecture, sm_XX?)";
    error.kind = protocol::ErrorKind::CompileError;
    error.log = log;
    nvrtc.DestroyProgram(&prog);
    return false;
  }
  result.cubin.resize(cubinSize);
  nvrtc.GetCUBIN(prog, &result.cubin[0]);
  nvrtc.DestroyProgram(&prog);

  writeCache(hash, result);
  if (!cacheDir.empty())
    result.info.cubinPath = cacheDir + "/" + hash + ".cubin";
  result.info.cacheHit = false;
  result.info.cubinBytes = result.cubin.size();
  result.info.milliseconds = elapsedMs();
  memory[hash] = result;
  out = std::move(result);
  return true;
}
