//===- CompilePool.cpp - Compiling variants ahead of the GPU worker -------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//

#include "cupilot/Tuner/CompilePool.h"

#include <algorithm>

using namespace cupilot;
using protocol::ErrorKind;

CompilePool::CompilePool(WorkerOptions worker, unsigned jobs,
                         std::chrono::milliseconds timeout)
    : options(std::move(worker)), timeout(timeout) {
  for (unsigned i = 0, e = std::max(1u, jobs); i < e; ++i)
    threads.emplace_back([this, i] { serve(i); });
}

CompilePool::~CompilePool() {
  {
    std::lock_guard<std::mutex> lock(mutex);
    stopping = true;
    queue.clear();
  }
  changed.notify_all();
  for (std::thread &t : threads)
    t.join();
}

size_t CompilePool::submit(protocol::CompileRequest request) {
  size_t ticket;
  {
    std::lock_guard<std::mutex> lock(mutex);
    ticket = nextTicket++;
    queue.emplace_back(ticket, std::move(request));
  }
  changed.notify_all();
  return ticket;
}

CompileOutcome CompilePool::wait(size_t ticket) {
  std::unique_lock<std::mutex> lock(mutex);
  if (ticket >= nextTicket) {
    CompileOutcome unknown;
    unknown.message = "no compile job " + std::to_string(ticket);
    return unknown;
  }
  changed.wait(lock, [&] { return done.count(ticket) > 0; });
  CompileOutcome outcome = std::move(done[ticket]);
  done.erase(ticket);
  return outcome;
}

void CompilePool::serve(unsigned) {
  // Each thread owns its worker: a compile worker serves one request at a
  // time, and a crash restarts only that one.
  std::unique_ptr<Worker> worker;
  while (true) {
    std::pair<size_t, protocol::CompileRequest> job;
    {
      std::unique_lock<std::mutex> lock(mutex);
      changed.wait(lock, [&] { return stopping || !queue.empty(); });
      if (stopping)
        return;
      job = std::move(queue.front());
      queue.pop_front();
    }
    CompileOutcome outcome = runJob(worker, job.second);
    {
      std::lock_guard<std::mutex> lock(mutex);
      done[job.first] = std::move(outcome);
    }
    changed.notify_all();
  }
}

CompileOutcome CompilePool::runJob(std::unique_ptr<Worker> &worker,
                                   const protocol::CompileRequest &request) {
  CompileOutcome outcome;
  if (!worker) {
    auto started = Worker::start(options);
    if (!started) {
      outcome.message = llvm::toString(started.takeError());
      return outcome;
    }
    worker = std::move(*started);
  }
  // A crash may be the machine's (out of memory, a signal), not the
  // program's: one more try on the restarted worker. A hang is not retried:
  // the GPU worker would wait for it once more anyway.
  for (unsigned attempt = 0; attempt < 2; ++attempt) {
    unsigned before = worker->getRestarts();
    auto reply = worker->call(protocol::toMessage(request), timeout);
    if (!reply) {
      // The worker could not be restarted: the next job starts a new one.
      outcome.message = llvm::toString(reply.takeError());
      worker.reset();
      return outcome;
    }
    outcome.restarts += worker->getRestarts() - before;
    if (reply->ok) {
      outcome.status = CompileOutcome::Status::Compiled;
      if (!reply->compiles.empty()) {
        const protocol::CompileInfo &info = reply->compiles.front();
        outcome.cacheHit = info.cacheHit;
        outcome.milliseconds = info.milliseconds;
        outcome.hash = info.hash;
        outcome.log = info.log;
      }
      return outcome;
    }
    const protocol::ReplyError &error = *reply->error;
    outcome.message = error.message;
    outcome.log = error.log;
    if (error.kind == ErrorKind::CompileError) {
      outcome.status = CompileOutcome::Status::CompileError;
      return outcome;
    }
    if (error.kind != ErrorKind::Crashed &&
        error.kind != ErrorKind::ProtocolError)
      break;
  }
  outcome.status = CompileOutcome::Status::WorkerFailure;
  return outcome;
}
