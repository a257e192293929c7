//===- CalibrationTest.cpp - Tests of the worker's calibrations -----------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// The copy-bandwidth and FLOP calibrations against the simulated driver: a
// failed event call fails the calibration instead of adding a 0 ms sample.
//
//===----------------------------------------------------------------------===//

#include "../../lib/Runtime/Server/Compiler.h"
#include "../../lib/Runtime/Server/Device.h"
#include "../../lib/Runtime/Server/Evaluator.h"
#include "SimulatedDriver.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

using namespace cupilot;
using namespace cupilot::worker;
using ::testing::HasSubstr;

namespace {

/// Event calls from the `failFrom`-th on (counting from 0) fail.
struct EventFaults {
  unsigned calls = 0;
  unsigned failFrom = ~0u;
  bool fails() { return calls++ >= failFrom; }
};
EventFaults &recordFaults() {
  static EventFaults faults;
  return faults;
}
EventFaults &elapsedFaults() {
  static EventFaults faults;
  return faults;
}

class CalibrationTest : public ::testing::Test {
protected:
  void SetUp() override {
    auto noop = [](sim::Gpu &, const sim::Launch &) {};
    for (const char *p : {"f32", "f16"})
      gpu.addKernel(std::string("cupilot_fma_") + p, {8, 4, 4, 4}, noop);
    gpu.addKernel("cupilot_fma_f64", {8, 4, 8, 8}, noop);
    for (const char *p : {"f32", "f64", "f16"})
      gpu.addKernel(std::string("cupilot_random_") + p, {8, 8, 8}, noop);
    gpu.install(api, nvrtc);
    recordFaults() = EventFaults();
    elapsedFaults() = EventFaults();
    // Wrap the simulation's event calls with the faults.
    static decltype(api.EventRecord) record;
    static decltype(api.EventElapsedTime) elapsed;
    record = api.EventRecord;
    elapsed = api.EventElapsedTime;
    api.EventRecord = [](CUevent e, CUstream s) {
      return recordFaults().fails() ? CUDA_ERROR_INVALID_HANDLE : record(e, s);
    };
    api.EventElapsedTime = [](float *ms, CUevent a, CUevent b) {
      return elapsedFaults().fails() ? CUDA_ERROR_INVALID_HANDLE
                                     : elapsed(ms, a, b);
    };
    protocol::ReplyError error;
    ASSERT_TRUE(device.open(0, error)) << error.message;
  }

  protocol::Reply calibrateF32() {
    protocol::CalibrateRequest request;
    request.copy = false;
    request.flops = {{"f32", "fma", 8192}};
    protocol::Reply reply;
    calibrateFlops(device, &compiler, "", request, reply);
    return reply;
  }

  protocol::Reply calibrateCopy() {
    protocol::CalibrateRequest request;
    request.bytes = 1 << 20;
    protocol::Reply reply;
    calibrate(device, "", request, reply);
    return reply;
  }

  sim::Gpu gpu;
  DriverApi api;
  NvrtcApi nvrtc;
  Device device{api};
  Compiler compiler{nvrtc, "/usr/local/cuda", ""};
};

TEST_F(CalibrationTest, MeasuresAFlopRate) {
  protocol::Reply reply = calibrateF32();
  ASSERT_TRUE(reply.ok) << reply.error->message;
  ASSERT_EQ(reply.flopsCalibrations.size(), 1u);
  EXPECT_EQ(reply.flopsCalibrations[0].reps, 9u);
  // cuEventElapsedTime reports a float.
  EXPECT_NEAR(reply.flopsCalibrations[0].medianMs, gpu.kernelMs, 1e-6);
  EXPECT_GT(reply.flopsCalibrations[0].gflops, 0);
}

TEST_F(CalibrationTest, AFailedElapsedTimeFailsTheFlopCalibration) {
  // The probe is timed; every timed launch after it is not.
  elapsedFaults().failFrom = 1;
  protocol::Reply reply = calibrateF32();
  ASSERT_FALSE(reply.ok);
  EXPECT_THAT(reply.error->message, HasSubstr("cuEventElapsedTime"));
  EXPECT_TRUE(reply.flopsCalibrations.empty());
}

TEST_F(CalibrationTest, AFailedEventRecordFailsTheFlopCalibration) {
  // Half way through the timed launches.
  recordFaults().failFrom = 12;
  protocol::Reply reply = calibrateF32();
  ASSERT_FALSE(reply.ok);
  EXPECT_THAT(reply.error->message, HasSubstr("cuEventRecord"));
  EXPECT_TRUE(reply.flopsCalibrations.empty());
}

TEST_F(CalibrationTest, AFailedElapsedTimeFailsTheCopyCalibration) {
  protocol::Reply good = calibrateCopy();
  ASSERT_TRUE(good.ok) << good.error->message;
  ASSERT_TRUE(good.calibration);
  EXPECT_EQ(good.calibration->reps, 20u);

  elapsedFaults() = EventFaults();
  elapsedFaults().failFrom = 10;
  protocol::Reply reply = calibrateCopy();
  ASSERT_FALSE(reply.ok);
  EXPECT_THAT(reply.error->message, HasSubstr("calibration copy failed"));
  EXPECT_FALSE(reply.calibration);
}

} // namespace
