//===- Strategy.h - Strategies, genomes and their lowering ------*- C++ -*-===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// A Strategy (`strategies/*.yaml`, schema in docs/StrategySchema.md) is the
// intermediate semantic representation of one optimization: prose intent for
// an LLM, the bottleneck it attacks, when it applies (predicates over kernel
// features and the roofline class), its parameters with their domains, what
// it requires or conflicts with, and its lowering to rewrite-plan steps.
//
// A Genome is an ordered set of strategies with bound parameters. Evolution
// works on genomes; `lowerGenome` turns one into a RewritePlan for a kernel.
// The genetic operators here are deterministic given a seed.
//
//===----------------------------------------------------------------------===//

#ifndef CUPILOT_STRATEGY_STRATEGY_H
#define CUPILOT_STRATEGY_STRATEGY_H

#include "cupilot/Strategy/RewritePlan.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace cupilot {

/// What a kernel looks like to strategy predicates: numeric features
/// (booleans are 0/1, e.g. `elementwise`, `threadDims`), string bindings the
/// lowering may use (`kernel`, `innermost_loop`), and the roofline class
/// (`memory`, `compute`, `latency`, or empty when not measured).
struct FeatureSet {
  llvm::StringMap<double> numbers;
  llvm::StringMap<std::string> bindings;
  std::string rooflineClass;
};

/// Applicability: every condition must hold.
struct StrategyPredicate {
  /// Features that must be non-zero.
  std::vector<std::string> all;
  /// Features that must be zero.
  std::vector<std::string> none;
  /// At least one must be non-zero (ignored when empty).
  std::vector<std::string> any;
  /// Expressions over the numeric features that must be non-zero
  /// (`maxLoopDepth >= 1`).
  std::vector<std::string> where;
  /// Roofline classes the strategy is for (any when empty or unmeasured).
  std::vector<std::string> roofline;
};

struct StrategyParameter {
  std::string name;
  /// The domain, in order (neighbours are one step apart).
  std::vector<std::string> values;
  std::string defaultValue;
  std::string doc;
};

/// One step of a strategy's lowering: a rewrite-step kind and its fields.
/// Values may contain `${param}` placeholders (strategy parameters or
/// FeatureSet bindings); list values are vectors.
struct LoweringStep {
  std::string kind;
  std::vector<std::pair<std::string, std::vector<std::string>>> fields;
  /// Fields given as a YAML list (as opposed to a scalar).
  std::vector<bool> isList;
};

enum class Bottleneck { Memory, Compute, Latency };
llvm::StringRef toString(Bottleneck b);

struct Strategy {
  std::string id;
  std::string title;
  std::string intent;
  Bottleneck bottleneck = Bottleneck::Memory;
  StrategyPredicate appliesWhen;
  std::vector<StrategyParameter> parameters;
  std::vector<std::string> requires_;
  std::vector<std::string> conflicts;
  std::vector<LoweringStep> lowering;
  /// File the strategy came from.
  std::string file;

  const StrategyParameter *findParameter(llvm::StringRef name) const;
  /// Whether the strategy applies; `whyNot` gets the first failed condition.
  bool appliesTo(const FeatureSet &features, std::string *whyNot = nullptr) const;
};

/// All strategies of a directory, in id order.
class StrategyLibrary {
public:
  /// Reads every `*.yaml` of `dir` and checks the library as a whole
  /// (unique ids, requires/conflicts refer to known strategies, lowering
  /// steps are valid rewrite steps, placeholders are parameters or known
  /// bindings).
  static llvm::Expected<StrategyLibrary> load(llvm::StringRef dir);
  /// Builds a library from parsed strategies (checks as `load`).
  static llvm::Expected<StrategyLibrary> create(std::vector<Strategy> strategies);

  const std::vector<Strategy> &strategies() const { return all; }
  const Strategy *find(llvm::StringRef id) const;
  /// Position of `id` in the library (the canonical gene order).
  size_t indexOf(llvm::StringRef id) const;

private:
  std::vector<Strategy> all;
};

/// Parses one strategy file's text.
llvm::Expected<Strategy> parseStrategy(llvm::StringRef yamlText,
                                       llvm::StringRef fileName);

/// Bindings the lowering may use besides parameters.
llvm::ArrayRef<llvm::StringRef> getKnownBindings();

/// A strategy with bound parameters.
struct Gene {
  std::string strategy;
  std::vector<std::pair<std::string, std::string>> params;

  bool operator==(const Gene &o) const {
    return strategy == o.strategy && params == o.params;
  }
};

/// An ordered set of genes; at most one gene per strategy, kept in the
/// library's order so that equal sets have one spelling.
struct Genome {
  std::vector<Gene> genes;

  bool operator==(const Genome &o) const { return genes == o.genes; }
  /// Canonical text, e.g. `launch-bounds(max_threads=256)+unroll(factor=4)`;
  /// `original` for the empty genome.
  std::string str() const;
};

/// Parses `Genome::str()` text back.
llvm::Expected<Genome> parseGenome(llvm::StringRef text);

/// Checks a genome against the library: known strategies, known parameters
/// with values in their domains, requirements present, no conflicts.
llvm::Error verifyGenome(const Genome &genome, const StrategyLibrary &library);

/// Lowers a genome to a rewrite plan for `features.bindings["kernel"]`.
/// The plan is validated against the step schemas.
llvm::Expected<RewritePlan> lowerGenome(const Genome &genome,
                                        const StrategyLibrary &library,
                                        const FeatureSet &features);

/// Deterministic pseudo-random numbers (SplitMix64): the same seed gives the
/// same sequence on every platform.
class Rng {
public:
  explicit Rng(uint64_t seed) : state(seed) {}
  uint64_t next();
  /// Uniform in [0, n); n > 0.
  uint64_t below(uint64_t n);
  /// True with probability p.
  bool chance(double p);

private:
  uint64_t state;
};

/// Steers the operators towards strategies for the kernel's bottleneck:
/// strategies whose bottleneck matches the roofline class are `focus` times
/// more likely to be picked.
struct Steering {
  std::string rooflineClass;
  double focus = 3.0;
};

/// The strategies of `library` that apply to `features`.
std::vector<const Strategy *> applicableStrategies(const StrategyLibrary &library,
                                                   const FeatureSet &features);

/// A gene for `strategy` with default parameters.
Gene defaultGene(const Strategy &strategy);

/// Puts genes in library order and resolves conflicts (the later of two
/// conflicting genes is dropped) and requirements (missing requirements are
/// added with default parameters when applicable, else the gene is dropped).
Genome normalizeGenome(Genome genome, const StrategyLibrary &library,
                       const std::vector<const Strategy *> &applicable);

/// A random genome of 1..maxGenes applicable strategies.
Genome randomGenome(const std::vector<const Strategy *> &applicable,
                    const StrategyLibrary &library, const Steering &steering,
                    Rng &rng, unsigned maxGenes = 3);

/// Strategy-level crossover: genes present in both parents are kept with
/// each parameter inherited from either parent; genes in one parent are
/// inherited with probability 1/2; the result is normalized.
Genome crossover(const Genome &a, const Genome &b, const StrategyLibrary &library,
                 const std::vector<const Strategy *> &applicable, Rng &rng);

/// Mutation: moves one parameter to a neighbouring value, adds an applicable
/// strategy (steered by the roofline class) or drops one.
Genome mutate(const Genome &genome, const StrategyLibrary &library,
              const std::vector<const Strategy *> &applicable,
              const Steering &steering, Rng &rng);

} // namespace cupilot

#endif // CUPILOT_STRATEGY_STRATEGY_H
