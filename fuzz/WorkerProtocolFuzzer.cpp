//===- WorkerProtocolFuzzer.cpp - Fuzz target of the protocol decoder -----===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// The input is bytes on the worker pipe, from either side
// (docs/WorkerProtocol.md). Checks:
// - decode never reads past the data and, when it completes, consumes at
//   least the message it returns;
// - a decoded message encodes to text that decodes to the same message,
//   consuming exactly that text;
// - the typed decoder of the message's kind either rejects it with a reason
//   or accepts it, and an accepted message converts back (toMessage) to one
//   that the typed decoder accepts again, with the same encoding (the typed
//   form is a fixed point).
//
//===----------------------------------------------------------------------===//

#include "FuzzerUtils.h"

#include "cupilot/Runtime/Protocol.h"

using namespace cupilot;
using namespace cupilot::fuzz;
using namespace cupilot::protocol;

static bool sameMessage(const Message &a, const Message &b) {
  if (a.kind != b.kind || a.id != b.id || a.fields.size() != b.fields.size())
    return false;
  for (size_t i = 0; i < a.fields.size(); ++i) {
    const Field &x = a.fields[i], &y = b.fields[i];
    if (x.key != y.key || x.attrs != y.attrs || x.hasBlob != y.hasBlob ||
        x.blob != y.blob)
      return false;
  }
  return true;
}

/// Typed round trip for one message type.
template <typename T> static void checkTyped(const Message &message) {
  T typed;
  std::string error;
  if (!fromMessage(message, typed, error)) {
    check(!error.empty(), "fromMessage rejected a message without a reason");
    return;
  }
  std::string once = encode(toMessage(typed));
  Message decoded;
  DecodeResult result = decode(once, decoded);
  check(result.status == DecodeStatus::Complete &&
            result.consumed == once.size(),
        "toMessage of an accepted message does not decode:\n" + once);
  T again;
  if (!fromMessage(decoded, again, error))
    fail("toMessage of an accepted message is rejected: " + error + "\n" +
         once);
  std::string twice = encode(toMessage(again));
  check(once == twice, "the typed form is not a fixed point\n--- once:\n" +
                           once + "\n--- twice:\n" + twice);
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char *>(data), size);
  Message message;
  DecodeResult result = decode(bytes, message);
  if (result.status != DecodeStatus::Complete) {
    if (result.status == DecodeStatus::Malformed)
      check(!result.error.empty(), "a malformed message without a reason");
    return 0;
  }
  check(result.consumed > 0 && result.consumed <= size,
        "decode consumed " + llvm::Twine(result.consumed) + " of " +
            llvm::Twine(size) + " bytes");

  std::string encoded = encode(message);
  Message decoded;
  DecodeResult again = decode(encoded, decoded);
  check(again.status == DecodeStatus::Complete &&
            again.consumed == encoded.size(),
        "an encoded message does not decode back:\n" + encoded);
  check(sameMessage(message, decoded),
        "a message changes through encoding:\n" + encoded);

  if (message.kind == "compile")
    checkTyped<CompileRequest>(message);
  else if (message.kind == "evaluate")
    checkTyped<EvaluateRequest>(message);
  else if (message.kind == "calibrate")
    checkTyped<CalibrateRequest>(message);
  else if (message.kind == "reply")
    checkTyped<Reply>(message);
  else if (message.kind == "hello")
    checkTyped<Hello>(message);
  return 0;
}
