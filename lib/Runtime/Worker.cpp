//===- Worker.cpp - The parent's handle on a cupilot-worker process -------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//

#include "cupilot/Runtime/Worker.h"

#include "cupilot/Support/Error.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

using namespace cupilot;
using protocol::DecodeStatus;
using protocol::ErrorKind;
using Clock = std::chrono::steady_clock;

extern char **environ;

static constexpr size_t StderrTailBytes = 64 * 1024;

static int remainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                  deadline - Clock::now())
                  .count();
  if (left <= 0)
    return 0;
  return left > 1000000 ? 1000000 : static_cast<int>(left);
}

static void closeFd(int &fd) {
  if (fd >= 0)
    close(fd);
  fd = -1;
}

static std::string findWorkerExecutable(const std::string &given) {
  if (!given.empty())
    return given;
  static int anchor;
  std::string self = llvm::sys::fs::getMainExecutable(nullptr, &anchor);
  if (!self.empty()) {
    llvm::SmallString<256> sibling(llvm::sys::path::parent_path(self));
    llvm::sys::path::append(sibling, "cupilot-worker");
    if (llvm::sys::fs::can_execute(sibling))
      return std::string(sibling);
  }
  if (auto onPath = llvm::sys::findProgramByName("cupilot-worker"))
    return *onPath;
  return "";
}

llvm::Expected<std::unique_ptr<Worker>> Worker::start(WorkerOptions options) {
  std::unique_ptr<Worker> worker(new Worker(std::move(options)));
  if (llvm::Error err = worker->spawn())
    return std::move(err);
  return std::move(worker);
}

Worker::~Worker() {
  if (pid <= 0)
    return;
  // Closing stdin asks the worker to finish; kill it if it does not.
  closeFd(toWorker);
  auto deadline = Clock::now() + std::chrono::seconds(2);
  while (Clock::now() < deadline) {
    if (!reap(false).empty())
      break;
    usleep(10000);
  }
  kill();
}

llvm::Error Worker::spawn() {
  std::string executable = findWorkerExecutable(options.executable);
  if (executable.empty())
    return makeError(ExitCode::NoDevice,
                     "cannot find cupilot-worker next to this program or on "
                     "PATH; give its path");
  std::vector<std::string> args = {executable};
  if (!options.cudaPath.empty())
    args.insert(args.end(), {"--cuda-path", options.cudaPath});
  if (!options.cacheDir.empty())
    args.insert(args.end(), {"--cache-dir", options.cacheDir});
  if (options.device != 0)
    args.insert(args.end(), {"--device", std::to_string(options.device)});
  args.insert(args.end(), options.extraArgs.begin(), options.extraArgs.end());

  std::vector<std::string> env = {"PATH=/usr/bin:/bin", "LC_ALL=C"};
  for (const std::string &name : options.keepEnvironment)
    if (const char *value = getenv(name.c_str()))
      env.push_back(name + "=" + value);

  std::vector<char *> argv, envp;
  for (std::string &arg : args)
    argv.push_back(arg.data());
  argv.push_back(nullptr);
  for (std::string &entry : env)
    envp.push_back(entry.data());
  envp.push_back(nullptr);

  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) != 0)
    return makeError(ExitCode::InternalError, "pipe: {0}", strerror(errno));
  if (pipe2(out, O_CLOEXEC) != 0) {
    close(in[0]);
    close(in[1]);
    return makeError(ExitCode::InternalError, "pipe: {0}", strerror(errno));
  }
  if (pipe2(err, O_CLOEXEC) != 0) {
    for (int fd : {in[0], in[1], out[0], out[1]})
      close(fd);
    return makeError(ExitCode::InternalError, "pipe: {0}", strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t noSignals, allSignals;
  sigemptyset(&noSignals);
  sigfillset(&allSignals);
  // Its own process group, so that a kill reaches everything it started.
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setsigmask(&attr, &noSignals);
  posix_spawnattr_setsigdefault(&attr, &allSignals);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP |
                                      POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF);
  pid_t child = -1;
  int status = posix_spawn(&child, executable.c_str(), &actions, &attr,
                           argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(in[0]);
  close(out[1]);
  close(err[1]);
  if (status != 0) {
    for (int fd : {in[1], out[0], err[0]})
      close(fd);
    return makeError(ExitCode::NoDevice, "cannot start '{0}': {1}", executable,
                     strerror(status));
  }
  pid = child;
  toWorker = in[1];
  fromWorker = out[0];
  workerStderr = err[0];
  for (int fd : {toWorker, fromWorker, workerStderr})
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  pending.clear();
  lastExit.clear();
  stderrTail.clear();

  protocol::Message greeting;
  bool eof = false;
  protocol::DecodeResult result =
      readMessage(greeting, Clock::now() + options.startTimeout, eof);
  std::string why;
  if (result.status == DecodeStatus::Complete &&
      protocol::fromMessage(greeting, hello, why)) {
    if (hello.protocol == protocol::ProtocolVersion)
      return llvm::Error::success();
    why = "it speaks protocol " + std::to_string(hello.protocol) +
          ", this program " + std::to_string(protocol::ProtocolVersion);
  } else if (result.status == DecodeStatus::Malformed) {
    why = result.error;
  } else if (result.status == DecodeStatus::Complete) {
    // `why` was set by fromMessage.
  } else {
    why = eof ? "it exited before greeting" : "it did not greet in time";
  }
  drainStderr();
  kill();
  std::string detail = stderrTail.empty() ? "" : "\n" + stderrTail;
  return makeError(ExitCode::NoDevice,
                   "cannot start cupilot-worker '{0}': {1}"
                   "{2}{3}",
                   executable, why,
                   lastExit.empty() ? "" : " (" + lastExit + ")", detail);
}

void Worker::drainStderr() {
  if (workerStderr < 0)
    return;
  char chunk[4096];
  while (true) {
    ssize_t n = read(workerStderr, chunk, sizeof(chunk));
    if (n > 0) {
      stderrTail.append(chunk, static_cast<size_t>(n));
      if (stderrTail.size() > StderrTailBytes)
        stderrTail.erase(0, stderrTail.size() - StderrTailBytes);
      continue;
    }
    if (n == 0)
      closeFd(workerStderr);
    return;
  }
}

protocol::DecodeResult Worker::readMessage(protocol::Message &out,
                                           Clock::time_point deadline,
                                           bool &eof) {
  eof = false;
  char chunk[1 << 16];
  while (true) {
    protocol::DecodeResult result = protocol::decode(pending, out);
    if (result.status == DecodeStatus::Complete) {
      pending.erase(0, result.consumed);
      return result;
    }
    if (result.status == DecodeStatus::Malformed)
      return result;
    int wait = remainingMs(deadline);
    if (wait == 0 || fromWorker < 0)
      return result; // Incomplete.
    pollfd fds[2] = {{fromWorker, POLLIN, 0}, {workerStderr, POLLIN, 0}};
    int ready = poll(fds, workerStderr >= 0 ? 2 : 1, wait);
    if (ready < 0 && errno != EINTR)
      return result;
    if (ready <= 0)
      continue;
    if (workerStderr >= 0 && fds[1].revents)
      drainStderr();
    if (fds[0].revents) {
      ssize_t n = read(fromWorker, chunk, sizeof(chunk));
      if (n > 0) {
        pending.append(chunk, static_cast<size_t>(n));
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        drainStderr();
        eof = true;
        return result;
      }
    }
  }
}

bool Worker::writeAll(const std::string &data, Clock::time_point deadline) {
  // A worker that died leaves a broken pipe: take EPIPE, not SIGPIPE.
  sigset_t pipeSet, oldSet;
  sigemptyset(&pipeSet);
  sigaddset(&pipeSet, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipeSet, &oldSet);
  size_t done = 0;
  bool ok = true;
  while (done < data.size()) {
    ssize_t n = write(toWorker, data.data() + done, data.size() - done);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno == EAGAIN) {
      int wait = remainingMs(deadline);
      if (wait == 0) {
        ok = false;
        break;
      }
      pollfd fds[2] = {{toWorker, POLLOUT, 0}, {workerStderr, POLLIN, 0}};
      poll(fds, workerStderr >= 0 ? 2 : 1, wait);
      if (workerStderr >= 0 && fds[1].revents)
        drainStderr();
      continue;
    }
    ok = false;
    break;
  }
  if (!ok && errno == EPIPE) {
    timespec zero = {0, 0};
    sigtimedwait(&pipeSet, nullptr, &zero);
  }
  pthread_sigmask(SIG_SETMASK, &oldSet, nullptr);
  return ok;
}

std::string Worker::reap(bool wait) {
  if (pid <= 0)
    return lastExit.empty() ? "not running" : lastExit;
  int status = 0;
  pid_t result;
  do
    result = waitpid(pid, &status, wait ? 0 : WNOHANG);
  while (result < 0 && errno == EINTR);
  if (result == 0)
    return "";
  if (result < 0)
    lastExit = "lost";
  else if (WIFEXITED(status))
    lastExit = "exit " + std::to_string(WEXITSTATUS(status));
  else if (WIFSIGNALED(status))
    lastExit = "signal " + std::to_string(WTERMSIG(status)) + " (" +
               strsignal(WTERMSIG(status)) + ")";
  else
    lastExit = "stopped";
  // Its group may still hold children.
  ::kill(-pid, SIGKILL);
  pid = -1;
  closeFd(toWorker);
  closeFd(fromWorker);
  drainStderr();
  closeFd(workerStderr);
  return lastExit;
}

void Worker::kill() {
  if (pid <= 0)
    return;
  ::kill(-pid, SIGKILL);
  ::kill(pid, SIGKILL);
  reap(true);
}

llvm::Error Worker::restart() {
  kill();
  ++restarts;
  return spawn();
}

protocol::Reply Worker::failure(uint64_t id, ErrorKind kind,
                                std::string message) {
  protocol::Reply reply;
  reply.id = id;
  reply.ok = false;
  protocol::ReplyError error;
  error.kind = kind;
  error.message = std::move(message);
  // The last lines the worker wrote often say why it died.
  if (!stderrTail.empty()) {
    size_t from = stderrTail.size() > 4000 ? stderrTail.size() - 4000 : 0;
    error.log = stderrTail.substr(from);
  }
  reply.error = std::move(error);
  return reply;
}

llvm::Expected<protocol::Reply>
Worker::call(protocol::Message request, std::chrono::milliseconds timeout) {
  if (pid <= 0 || !reap(false).empty()) {
    ++restarts;
    if (llvm::Error err = spawn())
      return std::move(err);
  }
  request.id = nextId++;
  uint64_t id = request.id;
  auto deadline = Clock::now() + timeout;
  double seconds = timeout.count() / 1000.0;

  auto recover = [&](ErrorKind kind, std::string message) {
    protocol::Reply reply = failure(id, kind, std::move(message));
    if (llvm::Error err = restart())
      reply.error->message +=
          "; restarting the worker failed: " + llvm::toString(std::move(err));
    return reply;
  };

  if (!writeAll(protocol::encode(request), deadline)) {
    if (remainingMs(deadline) == 0)
      return recover(ErrorKind::Timeout,
                     llvm::formatv("the worker did not take the request within "
                                   "{0} s; it was killed and restarted",
                                   seconds)
                         .str());
    std::string status = reap(true);
    return recover(ErrorKind::Crashed, "the worker died (" + status +
                                           ") before reading the "
                                           "request; it was restarted");
  }

  protocol::Message message;
  bool eof = false;
  protocol::DecodeResult result = readMessage(message, deadline, eof);
  if (result.status == DecodeStatus::Malformed)
    return recover(ErrorKind::ProtocolError,
                   "the worker's reply is malformed (" + result.error +
                       "); it was restarted");
  if (result.status == DecodeStatus::Incomplete) {
    if (eof) {
      std::string status = reap(true);
      return recover(ErrorKind::Crashed, "the worker died (" + status +
                                             ") before replying; it was "
                                             "restarted");
    }
    return recover(ErrorKind::Timeout,
                   llvm::formatv("no reply within {0} s (a hung kernel?); the "
                                 "worker (pid {1}) was killed and restarted",
                                 seconds, pid)
                       .str());
  }
  protocol::Reply reply;
  std::string why;
  if (message.kind != "reply" || message.id != id)
    why = "expected the reply to request " + std::to_string(id) + ", got '" +
          message.kind + " " + std::to_string(message.id) + "'";
  else
    protocol::fromMessage(message, reply, why);
  if (!why.empty())
    return recover(ErrorKind::ProtocolError, "the worker's reply is invalid (" +
                                                 why + "); it was restarted");
  if (reply.error && reply.error->kind == ErrorKind::RuntimeError) {
    // The worker exits after a kernel fault (its context is lost).
    if (llvm::Error err = restart())
      reply.error->message +=
          "; restarting the worker failed: " + llvm::toString(std::move(err));
  }
  return reply;
}
