//===- Server.cpp - The request loop of cupilot-worker --------------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//

#include "cupilot/Runtime/WorkerServer.h"

#include "Compiler.h"
#include "CudaApi.h"
#include "Device.h"
#include "Evaluator.h"
#include "Profiler.h"

#include "cupilot/Runtime/Protocol.h"

#include <cerrno>
#include <memory>
#include <unistd.h>

using namespace cupilot;
using namespace cupilot::worker;
using protocol::ErrorKind;
using protocol::Message;
using protocol::Reply;
using protocol::ReplyError;

const char *worker::workerVersion() { return "0.1.0"; }

namespace {

bool writeAll(int fd, const std::string &data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

class Server {
public:
  explicit Server(const ServerOptions &options)
      : options(options), profiler(options.cudaPath, options.cuptiLibrary),
        nvml(options.nvmlLibrary) {}

  /// Handles one message; sets `stop` when the worker must exit.
  Reply handle(const Message &message, bool &stop) {
    Reply reply;
    reply.id = message.id;
    const std::string &kind = message.kind;
    if (kind == "ping")
      return reply;
    if (kind == "quit") {
      stop = true;
      return reply;
    }
    if (kind == "device") {
      if (openDevice(reply))
        reply.device = device->info();
      return reply;
    }
    if (kind == "compile")
      return handleCompile(message, reply);
    if (kind == "evaluate") {
      protocol::EvaluateRequest request;
      std::string why;
      if (!protocol::fromMessage(message, request, why))
        return fail(reply, ErrorKind::BadRequest,
                    "bad evaluate request: " + why);
      if (!openCompiler(reply) || !openDevice(reply))
        return reply;
      evaluate(*device, *compiler, request, reply, {&profiler, &nvml});
      stop = device->isLost();
      return reply;
    }
    if (kind == "calibrate") {
      protocol::CalibrateRequest request;
      std::string why;
      if (!protocol::fromMessage(message, request, why))
        return fail(reply, ErrorKind::BadRequest,
                    "bad calibrate request: " + why);
      if (!openDevice(reply))
        return reply;
      if (request.copy)
        calibrate(*device, options.cacheDir, request, reply);
      if (reply.ok && !request.flops.empty() && !device->isLost()) {
        // NVRTC compiles the FMA kernels; without it only cached rates and
        // cuBLAS are usable, and calibrateFlops says so.
        Reply probe;
        bool haveCompiler = openCompiler(probe);
        calibrateFlops(*device, haveCompiler ? compiler.get() : nullptr,
                       options.cacheDir, request, reply);
      }
      stop = device->isLost();
      return reply;
    }
    return fail(reply, ErrorKind::BadRequest,
                "unknown request '" + kind +
                    "'; expected ping, device, compile, evaluate, calibrate "
                    "or quit");
  }

  bool contextLost() const { return device && device->isLost(); }

private:
  static Reply &fail(Reply &reply, ErrorKind kind, const std::string &message) {
    reply.ok = false;
    ReplyError error;
    error.kind = kind;
    error.message = message;
    reply.error = error;
    return reply;
  }

  bool openCompiler(Reply &reply) {
    if (compiler)
      return true;
    std::string why;
    if (!nvrtc.load(options.nvrtcLibrary, options.cudaPath, why)) {
      fail(reply, ErrorKind::NoDevice, why);
      return false;
    }
    compiler =
        std::make_unique<Compiler>(nvrtc, options.cudaPath, options.cacheDir);
    return true;
  }

  bool openDevice(Reply &reply) {
    if (device)
      return true;
    if (!deviceError.message.empty()) {
      reply.ok = false;
      reply.error = deviceError;
      return false;
    }
    std::string why;
    if (!driver.load(options.driverLibrary, why)) {
      deviceError.kind = ErrorKind::NoDevice;
      deviceError.message = "no CUDA driver: " + why;
    } else {
      auto opened = std::make_unique<Device>(driver);
      if (opened->open(options.device, deviceError)) {
        device = std::move(opened);
        if (openCompiler(reply))
          device->setNvrtcVersion(nvrtc.version());
        uint64_t id = reply.id;
        reply = Reply();
        reply.id = id;
        return true;
      }
    }
    reply.ok = false;
    reply.error = deviceError;
    return false;
  }

  Reply handleCompile(const Message &message, Reply &reply) {
    protocol::CompileRequest request;
    std::string why;
    if (!protocol::fromMessage(message, request, why))
      return fail(reply, ErrorKind::BadRequest, "bad compile request: " + why);
    if (!openCompiler(reply))
      return reply;
    std::string arch = request.arch;
    if (arch.empty()) {
      if (!openDevice(reply)) {
        reply.error->message +=
            "; give 'arch value=sm_XX' to compile without a device";
        return reply;
      }
      arch = device->info().arch;
    }
    CompiledProgram compiled;
    ReplyError error;
    if (!compiler->compile(request.program, arch, request.kernels, compiled,
                           error)) {
      error.program = "candidate";
      reply.ok = false;
      reply.error = error;
      return reply;
    }
    compiled.info.program = "candidate";
    reply.compiles.push_back(compiled.info);
    LoadedProgram loaded;
    bool haveDevice = device && arch == device->info().arch;
    if (haveDevice && !device->load(compiled, request.kernels, loaded, error)) {
      reply.ok = false;
      reply.error = error;
      return reply;
    }
    for (const std::string &kernel : request.kernels) {
      protocol::KernelResources resources;
      if (haveDevice)
        resources = device->resources(loaded.functions[kernel]);
      resources.program = "candidate";
      resources.kernel = kernel;
      resources.lowered = compiled.lowered[kernel];
      reply.kernels.push_back(resources);
    }
    if (haveDevice)
      device->unload(loaded);
    return reply;
  }

  const ServerOptions &options;
  DriverApi driver;
  NvrtcApi nvrtc;
  std::unique_ptr<Compiler> compiler;
  std::unique_ptr<Device> device;
  Profiler profiler;
  Nvml nvml;
  /// Why the device could not be opened (tried once per worker).
  ReplyError deviceError;
};

int exitStatusOf(const Reply &reply) {
  if (reply.error) {
    switch (reply.error->kind) {
    case ErrorKind::BadRequest:
      return ExitBadRequest;
    case ErrorKind::NoDevice:
      return ExitNoDevice;
    case ErrorKind::CompileError:
      return ExitCompileError;
    case ErrorKind::LaunchError:
      return ExitLaunchError;
    case ErrorKind::RuntimeError:
      return ExitContextLost;
    case ErrorKind::OutOfMemory:
      return ExitOutOfMemory;
    default:
      return ExitInternal;
    }
  }
  if (!reply.verdict.empty() && reply.verdict != "passed")
    return ExitVerificationFailed;
  return ExitSuccess;
}

} // namespace

int worker::serve(const ServerOptions &options, int inFd, int outFd,
                  bool greet) {
  if (greet) {
    protocol::Hello hello;
    hello.version = workerVersion();
    hello.pid = static_cast<int>(getpid());
    if (!writeAll(outFd, protocol::encode(protocol::toMessage(hello))))
      return ExitInternal;
  }
  Server server(options);
  std::string buffer;
  size_t offset = 0;
  bool eof = false;
  int status = ExitSuccess;
  char chunk[1 << 16];
  while (true) {
    Message message;
    protocol::DecodeResult decoded =
        protocol::decode(std::string_view(buffer).substr(offset), message);
    if (decoded.status == protocol::DecodeStatus::Complete) {
      offset += decoded.consumed;
      if (offset > (1 << 20)) {
        buffer.erase(0, offset);
        offset = 0;
      }
      bool stop = false;
      Reply reply = server.handle(message, stop);
      if (!writeAll(outFd, protocol::encode(protocol::toMessage(reply))))
        return ExitInternal;
      status = greet ? ExitSuccess : exitStatusOf(reply);
      if (server.contextLost())
        return ExitContextLost;
      if (stop)
        return status;
      continue;
    }
    if (decoded.status == protocol::DecodeStatus::Malformed) {
      // The message boundary is lost: answer once and stop.
      Reply reply;
      reply.ok = false;
      reply.error = ReplyError{ErrorKind::BadRequest, "", "",
                               "malformed request: " + decoded.error, ""};
      writeAll(outFd, protocol::encode(protocol::toMessage(reply)));
      return ExitBadRequest;
    }
    if (eof) {
      bool onlyBlank =
          buffer.find_first_not_of("\n", offset) == std::string::npos;
      if (onlyBlank)
        return status;
      Reply reply;
      reply.ok = false;
      reply.error = ReplyError{ErrorKind::BadRequest, "", "",
                               "truncated request: the input ends inside a "
                               "message (missing 'end'?)",
                               ""};
      writeAll(outFd, protocol::encode(protocol::toMessage(reply)));
      return ExitBadRequest;
    }
    ssize_t n = read(inFd, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      eof = true;
    else
      buffer.append(chunk, static_cast<size_t>(n));
  }
}
