//===- cupilot-worker.cpp - The GPU evaluation server ---------------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// Thin main over cupilot::worker::serve (lib/Runtime/Server). Links no LLVM:
// see docs/WorkerProtocol.md for the protocol, the options and the exit codes.
//
//===----------------------------------------------------------------------===//

#include "cupilot/Runtime/Protocol.h"
#include "cupilot/Runtime/WorkerServer.h"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <unistd.h>

using namespace cupilot::worker;

static const char Usage[] =
    "usage: cupilot-worker [options]\n"
    "\n"
    "Serves cupilot's evaluation requests (docs/WorkerProtocol.md): reads\n"
    "requests on stdin, writes replies on stdout, logs on stderr.\n"
    "\n"
    "options:\n"
    "  --cuda-path DIR       CUDA toolkit root (default /usr/local/cuda)\n"
    "  --cache-dir DIR       cubin cache directory (default: no disk cache)\n"
    "  --device N            GPU ordinal (default 0)\n"
    "  --driver-library PATH CUDA driver library (default libcuda.so.1)\n"
    "  --nvrtc-library PATH  NVRTC library (default: searched in the toolkit)\n"
    "  --cupti-library PATH  CUPTI library for hardware counters (default:\n"
    "                        searched in the toolkit)\n"
    "  --nvml-library PATH   NVML library for clocks (default\n"
    "                        libnvidia-ml.so.1)\n"
    "  --request FILE        one-shot: handle the requests in FILE ('-' for\n"
    "                        stdin) without a greeting; the exit status\n"
    "                        reflects the last reply\n"
    "  --version             print the version and protocol and exit\n"
    "  --help                print this help and exit\n"
    "\n"
    "exit status: 0 success, 1 usage, 2 bad request, 6 no CUDA device,\n"
    "driver or NVRTC, 7 verification failed, 9 compile error, 10 kernel fault\n"
    "(context lost), 11 launch refused, 12 out of device memory, 70 internal\n";

int main(int argc, char **argv) {
  ServerOptions options;
  std::string requestFile;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](std::string &out) {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "cupilot-worker: error: %s needs a value\n%s",
                     arg.c_str(), Usage);
        std::exit(ExitUsage);
      }
      out = argv[++i];
    };
    if (arg == "--help" || arg == "-h") {
      std::fputs(Usage, stdout);
      return ExitSuccess;
    }
    if (arg == "--version") {
      std::printf("cupilot-worker %s (protocol %d)\n", workerVersion(),
                  cupilot::protocol::ProtocolVersion);
      return ExitSuccess;
    }
    if (arg == "--cuda-path")
      value(options.cudaPath);
    else if (arg == "--cache-dir")
      value(options.cacheDir);
    else if (arg == "--driver-library")
      value(options.driverLibrary);
    else if (arg == "--nvrtc-library")
      value(options.nvrtcLibrary);
    else if (arg == "--cupti-library")
      value(options.cuptiLibrary);
    else if (arg == "--nvml-library")
      value(options.nvmlLibrary);
    else if (arg == "--request")
      value(requestFile);
    else if (arg == "--device") {
      std::string text;
      value(text);
      char *end = nullptr;
      long ordinal = std::strtol(text.c_str(), &end, 10);
      if (text.empty() || *end || ordinal < 0 || ordinal > 1024) {
        std::fprintf(stderr,
                     "cupilot-worker: error: --device needs a GPU ordinal, "
                     "not '%s'\n",
                     text.c_str());
        return ExitUsage;
      }
      options.device = static_cast<int>(ordinal);
    } else {
      std::fprintf(stderr, "cupilot-worker: error: unknown argument '%s'\n%s",
                   arg.c_str(), Usage);
      return ExitUsage;
    }
  }

  // A dead parent must not kill the worker mid-write with SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  // Replies get a private copy of stdout; fd 1 goes to stderr so that
  // device-side printf and stray library output cannot corrupt the protocol.
  int replyFd = dup(STDOUT_FILENO);
  if (replyFd < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
    std::perror("cupilot-worker: cannot set up the reply stream");
    return ExitInternal;
  }
  fcntl(replyFd, F_SETFD, FD_CLOEXEC);

  if (requestFile.empty())
    return serve(options, STDIN_FILENO, replyFd, /*greet=*/true);
  int inFd = requestFile == "-"
                 ? STDIN_FILENO
                 : open(requestFile.c_str(), O_RDONLY | O_CLOEXEC);
  if (inFd < 0) {
    std::fprintf(stderr, "cupilot-worker: error: cannot open '%s': %s\n",
                 requestFile.c_str(), std::strerror(errno));
    return ExitBadRequest;
  }
  return serve(options, inFd, replyFd, /*greet=*/false);
}
