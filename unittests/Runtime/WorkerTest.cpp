//===- WorkerTest.cpp - Tests of the parent's worker management -----------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// Fake workers (small shell scripts) that greet, answer, hang, crash or talk
// nonsense exercise the timeout, kill and restart paths without a GPU.
//
//===----------------------------------------------------------------------===//

#include "cupilot/Runtime/Worker.h"
#include "cupilot/Support/Error.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <csignal>
#include <cstdlib>
#include <unistd.h>

using namespace cupilot;
using protocol::ErrorKind;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

namespace {

const char *const Greet =
    "printf 'begin hello 0\\nworker version=fake protocol=2 pid=1\\nend\\n'; ";

/// Answers every request with an empty ok reply carrying its id.
const char *const EchoLoop =
    "while read -r line; do case \"$line\" in "
    "begin*) set -- $line; id=$3;; "
    "end) printf 'begin reply %s\\nstatus value=ok\\nend\\n' \"$id\";; "
    "esac; done";

WorkerOptions fake(const std::string &script) {
  WorkerOptions options;
  options.executable = "/bin/sh";
  options.extraArgs = {"-c", script};
  options.startTimeout = 5s;
  return options;
}

std::unique_ptr<Worker> startOrFail(const WorkerOptions &options) {
  auto worker = Worker::start(options);
  if (!worker) {
    ADD_FAILURE() << llvm::toString(worker.takeError());
    return nullptr;
  }
  return std::move(*worker);
}

protocol::Reply ping(Worker &worker, std::chrono::milliseconds timeout) {
  auto reply = worker.call(protocol::makeSimpleRequest("ping", 0), timeout);
  if (!reply) {
    ADD_FAILURE() << llvm::toString(reply.takeError());
    return protocol::Reply();
  }
  return *reply;
}

bool processExists(int pid) { return kill(pid, 0) == 0; }

TEST(WorkerTest, GreetsAndAnswers) {
  auto worker = startOrFail(fake(std::string(Greet) + EchoLoop));
  ASSERT_TRUE(worker);
  EXPECT_EQ(worker->getHello().version, "fake");
  for (int i = 0; i < 3; ++i) {
    protocol::Reply reply = ping(*worker, 5s);
    EXPECT_TRUE(reply.ok);
  }
  EXPECT_EQ(worker->getRestarts(), 0u);
}

TEST(WorkerTest, KillsAndRestartsAHungWorker) {
  // Answers the first request, then hangs on the second: the timeout kills
  // the whole process group (sleep included) and a new worker answers.
  std::string script = std::string(Greet) + "if [ -e \"$MARK\" ]; then " +
                       EchoLoop +
                       "; fi; touch \"$MARK\"; read -r line; exec sleep 1000";
  llvm::SmallString<128> mark;
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("worker", "mark", mark));
  llvm::sys::fs::remove(mark);
  setenv("MARK", mark.c_str(), 1);
  WorkerOptions options = fake(script);
  options.keepEnvironment.push_back("MARK");
  auto worker = startOrFail(options);
  ASSERT_TRUE(worker);
  int hungPid = worker->getPid();
  protocol::Reply reply = ping(*worker, 300ms);
  ASSERT_FALSE(reply.ok);
  EXPECT_EQ(reply.error->kind, ErrorKind::Timeout);
  EXPECT_THAT(reply.error->message, HasSubstr("killed and restarted"));
  EXPECT_EQ(worker->getRestarts(), 1u);
  EXPECT_FALSE(processExists(hungPid));
  EXPECT_TRUE(ping(*worker, 5s).ok);
  llvm::sys::fs::remove(mark);
}

TEST(WorkerTest, ReportsAWorkerThatDies) {
  std::string script = std::string(Greet) +
                       "echo 'about to crash' >&2; read -r line; kill -SEGV $$";
  auto worker = startOrFail(fake(script));
  ASSERT_TRUE(worker);
  protocol::Reply reply = ping(*worker, 5s);
  ASSERT_FALSE(reply.ok);
  EXPECT_EQ(reply.error->kind, ErrorKind::Crashed);
  EXPECT_THAT(reply.error->message, HasSubstr("signal 11"));
  EXPECT_THAT(reply.error->log, HasSubstr("about to crash"));
  EXPECT_EQ(worker->getRestarts(), 1u);
  EXPECT_TRUE(worker->isRunning());
}

TEST(WorkerTest, ReportsGarbage) {
  std::string script =
      std::string(Greet) +
      "read -r line; echo 'this is not a message'; cat > /dev/null";
  auto worker = startOrFail(fake(script));
  ASSERT_TRUE(worker);
  protocol::Reply reply = ping(*worker, 5s);
  ASSERT_FALSE(reply.ok);
  EXPECT_EQ(reply.error->kind, ErrorKind::ProtocolError);
  EXPECT_THAT(reply.error->message, HasSubstr("malformed"));
}

TEST(WorkerTest, ReportsARepliesToTheWrongRequest) {
  std::string script =
      std::string(Greet) +
      "read -r line; printf 'begin reply 999\\nstatus value=ok\\nend\\n'; "
      "cat > /dev/null";
  auto worker = startOrFail(fake(script));
  ASSERT_TRUE(worker);
  protocol::Reply reply = ping(*worker, 5s);
  ASSERT_FALSE(reply.ok);
  EXPECT_EQ(reply.error->kind, ErrorKind::ProtocolError);
  EXPECT_THAT(reply.error->message, HasSubstr("got 'reply 999'"));
}

TEST(WorkerTest, RefusesWorkersThatDoNotGreet) {
  auto worker = Worker::start(fake("echo 'no GPU here' >&2; exit 6"));
  ASSERT_FALSE(worker);
  std::string message = llvm::toString(worker.takeError());
  EXPECT_THAT(message, HasSubstr("exited before greeting"));
  EXPECT_THAT(message, HasSubstr("exit 6"));
  EXPECT_THAT(message, HasSubstr("no GPU here"));

  auto other = Worker::start(fake(
      "printf 'begin hello 0\\nworker version=x protocol=99 pid=1\\nend\\n'"));
  ASSERT_FALSE(other);
  EXPECT_THAT(llvm::toString(other.takeError()), HasSubstr("protocol 99"));

  WorkerOptions slow = fake("sleep 10");
  slow.startTimeout = 200ms;
  auto late = Worker::start(slow);
  ASSERT_FALSE(late);
  EXPECT_THAT(llvm::toString(late.takeError()), HasSubstr("did not greet"));

  WorkerOptions missing;
  missing.executable = "/nonexistent/cupilot-worker";
  auto none = Worker::start(missing);
  ASSERT_FALSE(none);
  EXPECT_THAT(llvm::toString(none.takeError()), HasSubstr("cannot start"));
}

TEST(WorkerTest, ScrubsTheEnvironment) {
  llvm::SmallString<128> envFile;
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("worker", "env", envFile));
  setenv("CUPILOT_TEST_SECRET", "leak", 1);
  setenv("CUDA_VISIBLE_DEVICES", "3", 1);
  auto worker = startOrFail(
      fake(std::string("env > ") + envFile.c_str() + "; " + Greet + EchoLoop));
  ASSERT_TRUE(worker);
  EXPECT_TRUE(ping(*worker, 5s).ok);
  auto contents = llvm::MemoryBuffer::getFile(envFile);
  ASSERT_TRUE(contents);
  std::string env = (*contents)->getBuffer().str();
  EXPECT_THAT(env, HasSubstr("PATH=/usr/bin:/bin"));
  EXPECT_THAT(env, HasSubstr("CUDA_VISIBLE_DEVICES=3"));
  EXPECT_THAT(env, ::testing::Not(HasSubstr("CUPILOT_TEST_SECRET")));
  unsetenv("CUPILOT_TEST_SECRET");
  unsetenv("CUDA_VISIBLE_DEVICES");
  llvm::sys::fs::remove(envFile);
}

TEST(WorkerTest, RestartsAWorkerThatDiedBetweenRequests) {
  auto worker = startOrFail(fake(std::string(Greet) + EchoLoop));
  ASSERT_TRUE(worker);
  int first = worker->getPid();
  kill(first, SIGKILL);
  usleep(100000); // Let the signal land.
  protocol::Reply reply = ping(*worker, 5s);
  // Either the death was noticed before the request (restart, then ok) or
  // while sending it (crashed, restarted): never a hang, never lost.
  EXPECT_TRUE(reply.ok || reply.error->kind == ErrorKind::Crashed);
  EXPECT_EQ(worker->getRestarts(), 1u);
  EXPECT_TRUE(ping(*worker, 5s).ok);
}

} // namespace
