//===- Assistant.cpp - The LLM roles, asked and answered ------------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//

#include "cupilot/LLM/Assistant.h"
#include "cupilot/Support/Error.h"

using namespace cupilot;
using namespace cupilot::llm;

bool cupilot::llm::needsTranslation(const Strategy &strategy) {
  std::string placeholder = std::string("${") + TranslationBinding + "}";
  for (const LoweringStep &step : strategy.lowering)
    for (const auto &[field, values] : step.fields)
      for (const std::string &v : values)
        if (llvm::StringRef(v).contains(placeholder))
          return true;
  return false;
}

llvm::Expected<std::string> Assistant::ask(llvm::ArrayRef<Message> messages) {
  ++questions;
  auto result = client.chat(messages);
  if (!result)
    return result.takeError();
  return std::move(result->content);
}

llvm::Expected<StrategistReply>
Assistant::propose(const StrategistInput &input) {
  if (!input.library)
    return makeError(ExitCode::InternalError,
                     "the Strategist needs the strategy library");
  auto answer = ask(buildStrategistPrompt(input));
  if (!answer)
    return answer.takeError();
  ParseLimits limits;
  limits.maxGenomes = std::max(1u, input.maxGenomes);
  return parseStrategistReply(*answer, *input.library, &input.kernel.features,
                              limits);
}

llvm::Expected<std::string> Assistant::translate(const TranslatorInput &input) {
  auto answer = ask(buildTranslatorPrompt(input));
  if (!answer)
    return answer.takeError();
  auto code = extractKernelCode(*answer, input.kernel.name);
  if (!code)
    return makeError(ExitCode::LLMError, "Translator: {0}",
                     llvm::toString(code.takeError()));
  return code;
}

llvm::Expected<std::string> Assistant::revise(const RevisorInput &input) {
  auto answer = ask(buildRevisorPrompt(input));
  if (!answer)
    return answer.takeError();
  auto code = extractKernelCode(*answer, input.kernel.name);
  if (!code)
    return makeError(ExitCode::LLMError, "Revisor: {0}",
                     llvm::toString(code.takeError()));
  return code;
}
