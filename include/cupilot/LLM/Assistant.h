//===- Assistant.h - The LLM roles, asked and answered ----------*- C++ -*-===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// One object per tuning run that asks the Strategist, the Translator and the
// Revisor (Prompts.h) through a Client and reads their answers with the
// response parser: what evolution and `cupilot-opt --llm-propose` use.
//
//===----------------------------------------------------------------------===//

#ifndef CUPILOT_LLM_ASSISTANT_H
#define CUPILOT_LLM_ASSISTANT_H

#include "cupilot/LLM/Client.h"
#include "cupilot/LLM/Prompts.h"
#include "cupilot/LLM/ResponseParser.h"

namespace cupilot::llm {

/// The binding a strategy's lowering uses for Translator code.
constexpr const char *TranslationBinding = "translation";

/// Whether lowering `strategy` needs code from the Translator.
bool needsTranslation(const Strategy &strategy);

class Assistant {
public:
  explicit Assistant(Config config) : client(std::move(config)) {}

  /// Asks the Strategist for up to `input.maxGenomes` genomes; they are
  /// validated against the library and the kernel's features.
  llvm::Expected<StrategistReply> propose(const StrategistInput &input);
  /// Asks the Translator for the kernel code of `input.strategy`.
  llvm::Expected<std::string> translate(const TranslatorInput &input);
  /// Asks the Revisor to repair `input.code`.
  llvm::Expected<std::string> revise(const RevisorInput &input);

  Client &getClient() { return client; }
  /// Questions asked so far (replayed ones included).
  unsigned getQuestionCount() const { return questions; }

private:
  llvm::Expected<std::string> ask(llvm::ArrayRef<Message> messages);

  Client client;
  unsigned questions = 0;
};

} // namespace cupilot::llm

#endif // CUPILOT_LLM_ASSISTANT_H
