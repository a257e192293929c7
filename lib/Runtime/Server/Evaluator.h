//===- Evaluator.h - Verify and time one candidate on one shape -*- C++ -*-===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//

#ifndef CUPILOT_LIB_RUNTIME_SERVER_EVALUATOR_H
#define CUPILOT_LIB_RUNTIME_SERVER_EVALUATOR_H

#include "Compiler.h"
#include "Device.h"
#include "Profiler.h"

#include "cupilot/Runtime/Protocol.h"

namespace cupilot {
namespace worker {

/// Optional instruments of an evaluation; null members are reported as
/// not available (a note) when a request asks for them.
struct Instruments {
  Profiler *profiler = nullptr;
  Nvml *nvml = nullptr;
};

/// Handles one `evaluate` request (see docs/WorkerProtocol.md for the
/// procedure): compiles and loads both programs, verifies the reference and
/// then the candidate on every seed, and times both, interleaved. Fills
/// `reply`; a failed variant is a successful reply with a failing verdict,
/// while errors (compile, launch, runtime, out of memory) set reply.error.
void evaluate(Device &device, Compiler &compiler,
              const protocol::EvaluateRequest &request, protocol::Reply &reply,
              Instruments instruments = {});

/// Handles a `calibrate` request: times a large device-to-device copy.
void calibrate(Device &device, const std::string &cacheDir,
               const protocol::CalibrateRequest &request,
               protocol::Reply &reply);

/// Handles the `flops` fields of a `calibrate` request (Calibration.cpp):
/// measured FLOP rates, cached per device and driver in `cacheDir`.
/// `compiler` may be null (then only cached rates are returned).
void calibrateFlops(Device &device, Compiler *compiler,
                    const std::string &cacheDir,
                    const protocol::CalibrateRequest &request,
                    protocol::Reply &reply);

} // namespace worker
} // namespace cupilot

#endif // CUPILOT_LIB_RUNTIME_SERVER_EVALUATOR_H
