//===- Strategy.cpp - Strategies, genomes and their lowering --------------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//

#include "cupilot/Strategy/Strategy.h"
#include "cupilot/Strategy/PlanIO.h"
#include "cupilot/Support/Error.h"
#include "cupilot/Support/Expression.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <algorithm>
#include <set>

using namespace cupilot;

llvm::StringRef cupilot::toString(Bottleneck b) {
  switch (b) {
  case Bottleneck::Memory:
    return "memory";
  case Bottleneck::Compute:
    return "compute";
  case Bottleneck::Latency:
    return "latency";
  }
  return "memory";
}

llvm::ArrayRef<llvm::StringRef> cupilot::getKnownBindings() {
  static const llvm::StringRef bindings[] = {
      "kernel", "innermost_loop", "outermost_loop", "block_threads",
      "translation"};
  return bindings;
}

//===----------------------------------------------------------------------===//
// Strategy
//===----------------------------------------------------------------------===//

const StrategyParameter *Strategy::findParameter(llvm::StringRef name) const {
  for (const StrategyParameter &p : parameters)
    if (p.name == name)
      return &p;
  return nullptr;
}

static std::vector<std::string> placeholders(llvm::StringRef text);

static double feature(const FeatureSet &features, llvm::StringRef name) {
  auto it = features.numbers.find(name);
  return it == features.numbers.end() ? 0.0 : it->second;
}

bool Strategy::appliesTo(const FeatureSet &features,
                         std::string *whyNot) const {
  auto fail = [&](const std::string &reason) {
    if (whyNot)
      *whyNot = reason;
    return false;
  };
  for (const std::string &f : appliesWhen.all)
    if (feature(features, f) == 0)
      return fail("needs " + f);
  for (const std::string &f : appliesWhen.none)
    if (feature(features, f) != 0)
      return fail("not for kernels with " + f);
  if (!appliesWhen.any.empty() &&
      llvm::none_of(appliesWhen.any, [&](const std::string &f) {
        return feature(features, f) != 0;
      }))
    return fail("needs one of " + llvm::join(appliesWhen.any, ", "));
  ExprEnvironment env;
  for (const auto &entry : features.numbers)
    env[entry.getKey()] = entry.getValue();
  for (const std::string &w : appliesWhen.where) {
    auto expr = Expression::parse(w);
    if (!expr) {
      llvm::consumeError(expr.takeError());
      return fail("bad condition '" + w + "'");
    }
    auto value = expr->evaluateReal(env);
    if (!value) {
      llvm::consumeError(value.takeError());
      return fail("condition '" + w + "' cannot be evaluated");
    }
    if (*value == 0)
      return fail("needs " + w);
  }
  if (!appliesWhen.roofline.empty() && !features.rooflineClass.empty() &&
      !llvm::is_contained(appliesWhen.roofline, features.rooflineClass))
    return fail("not for " + features.rooflineClass + "-bound kernels");
  // The lowering must be able to bind every placeholder that is not a
  // parameter (e.g. `translation` exists only when an LLM translated).
  for (const LoweringStep &step : lowering)
    for (const auto &[field, values] : step.fields)
      for (const std::string &v : values)
        for (const std::string &name : placeholders(v))
          if (!findParameter(name) && !features.bindings.count(name))
            return fail("needs '" + name + "'");
  return true;
}

//===----------------------------------------------------------------------===//
// Library
//===----------------------------------------------------------------------===//

/// Placeholders `${name}` in `text`.
static std::vector<std::string> placeholders(llvm::StringRef text) {
  std::vector<std::string> names;
  size_t pos = 0;
  while ((pos = text.find("${", pos)) != llvm::StringRef::npos) {
    size_t end = text.find('}', pos);
    if (end == llvm::StringRef::npos)
      break;
    names.push_back(text.substr(pos + 2, end - pos - 2).str());
    pos = end + 1;
  }
  return names;
}

llvm::Expected<StrategyLibrary>
StrategyLibrary::create(std::vector<Strategy> strategies) {
  llvm::sort(strategies, [](const Strategy &a, const Strategy &b) {
    return a.id < b.id;
  });
  StrategyLibrary library;
  std::set<std::string> ids;
  for (const Strategy &s : strategies)
    if (!ids.insert(s.id).second)
      return makeError(ExitCode::InputError,
                       "{0}: error: strategy id '{1}' is used twice", s.file,
                       s.id);
  for (const Strategy &s : strategies) {
    for (const std::string &r : s.requires_)
      if (!ids.count(r))
        return makeError(ExitCode::InputError,
                         "{0}: error: strategy '{1}' requires unknown "
                         "strategy '{2}'",
                         s.file, s.id, r);
    for (const std::string &c : s.conflicts)
      if (!ids.count(c))
        return makeError(ExitCode::InputError,
                         "{0}: error: strategy '{1}' conflicts with unknown "
                         "strategy '{2}'",
                         s.file, s.id, c);
    for (const LoweringStep &step : s.lowering)
      for (const auto &[field, values] : step.fields)
        for (const std::string &v : values)
          for (const std::string &name : placeholders(v))
            if (!s.findParameter(name) &&
                !llvm::is_contained(getKnownBindings(), name))
              return makeError(ExitCode::InputError,
                               "{0}: error: strategy '{1}': '${{{2}}' in "
                               "step '{3}' is neither a parameter nor one of "
                               "the bindings {4}",
                               s.file, s.id, name, step.kind,
                               llvm::join(getKnownBindings(), ", "));
  }
  library.all = std::move(strategies);
  // Lower every strategy once with default parameters, so that a library
  // whose lowering cannot form a valid plan is rejected when loaded.
  FeatureSet probe;
  probe.bindings["kernel"] = "k";
  probe.bindings["innermost_loop"] = "0";
  probe.bindings["outermost_loop"] = "0";
  probe.bindings["block_threads"] = "256";
  probe.bindings["translation"] = "__global__ void k() {}";
  // Lowering checks the plan, not the task: let steps that give up
  // precision form their (relaxed) plan.
  probe.numbers["allowReducedPrecision"] = 1;
  for (const Strategy &s : library.all) {
    // The strategy with what it requires (default parameters), in library
    // order, as a genome that verifies.
    Genome g;
    for (const Strategy &other : library.all)
      if (&other == &s || llvm::is_contained(s.requires_, other.id))
        g.genes.push_back(defaultGene(other));
    auto plan = lowerGenome(g, library, probe);
    if (!plan)
      return makeError(ExitCode::InputError,
                       "{0}: error: strategy '{1}' does not lower to a valid "
                       "plan with its default parameters: {2}",
                       s.file, s.id, llvm::toString(plan.takeError()));
    for (const StrategyParameter &p : s.parameters)
      for (const std::string &value : p.values) {
        Genome v = g;
        for (Gene &gene : v.genes)
          if (gene.strategy == s.id)
            for (auto &[name, bound] : gene.params)
              if (name == p.name)
                bound = value;
        auto lowered = lowerGenome(v, library, probe);
        if (!lowered)
          return makeError(ExitCode::InputError,
                           "{0}: error: strategy '{1}': value '{2}' of "
                           "parameter '{3}' does not lower to a valid plan: "
                           "{4}",
                           s.file, s.id, value, p.name,
                           llvm::toString(lowered.takeError()));
      }
  }
  return library;
}

llvm::Expected<StrategyLibrary> StrategyLibrary::load(llvm::StringRef dir) {
  if (!llvm::sys::fs::is_directory(dir))
    return makeError(ExitCode::InputError,
                     "{0}: error: not a strategy directory", dir);
  std::vector<std::string> files;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec))
    if (llvm::sys::path::extension(it->path()) == ".yaml")
      files.push_back(it->path());
  if (ec)
    return makeError(ExitCode::InputError, "{0}: error: cannot list: {1}", dir,
                     ec.message());
  llvm::sort(files);
  std::vector<Strategy> strategies;
  for (const std::string &file : files) {
    auto buffer = llvm::MemoryBuffer::getFile(file, /*IsText=*/true);
    if (!buffer)
      return makeError(ExitCode::InputError, "{0}: error: cannot read: {1}",
                       file, buffer.getError().message());
    auto s = parseStrategy((*buffer)->getBuffer(), file);
    if (!s)
      return s.takeError();
    strategies.push_back(std::move(*s));
  }
  if (strategies.empty())
    return makeError(ExitCode::InputError,
                     "{0}: error: no strategies (*.yaml) in the directory",
                     dir);
  return create(std::move(strategies));
}

const Strategy *StrategyLibrary::find(llvm::StringRef id) const {
  for (const Strategy &s : all)
    if (s.id == id)
      return &s;
  return nullptr;
}

size_t StrategyLibrary::indexOf(llvm::StringRef id) const {
  for (size_t i = 0; i < all.size(); ++i)
    if (all[i].id == id)
      return i;
  return all.size();
}

//===----------------------------------------------------------------------===//
// Genomes
//===----------------------------------------------------------------------===//

std::string Genome::str() const {
  if (genes.empty())
    return "original";
  std::string out;
  for (const Gene &g : genes) {
    if (!out.empty())
      out += "+";
    out += g.strategy;
    if (g.params.empty())
      continue;
    out += "(";
    for (size_t i = 0; i < g.params.size(); ++i)
      out += (i ? "," : "") + g.params[i].first + "=" + g.params[i].second;
    out += ")";
  }
  return out;
}

llvm::Expected<Genome> cupilot::parseGenome(llvm::StringRef text) {
  Genome genome;
  text = text.trim();
  if (text == "original" || text.empty())
    return genome;
  // Messages quote the whole genome, not the part left to parse.
  llvm::StringRef whole = text;
  auto bad = [&](const std::string &why) {
    return makeError(ExitCode::InputError, "bad genome '{0}': {1}", whole,
                     why);
  };
  while (!text.empty()) {
    Gene gene;
    size_t end = text.find_first_of("(+");
    gene.strategy = text.substr(0, end).trim().str();
    if (gene.strategy.empty())
      return bad("empty strategy name");
    // `original` spells the empty genome; as a gene it would print as that.
    if (gene.strategy == "original")
      return bad("'original' is the genome without strategies; it cannot be "
                 "combined with others");
    if (!llvm::all_of(gene.strategy, [](char c) {
          return llvm::isAlnum(c) || c == '-' || c == '_';
        }))
      return bad("strategy '" + gene.strategy +
                 "': names hold letters, digits, '-' and '_'");
    text = end == llvm::StringRef::npos ? "" : text.substr(end);
    if (text.starts_with("(")) {
      size_t close = text.find(')');
      if (close == llvm::StringRef::npos)
        return bad("missing ')'");
      llvm::StringRef args = text.substr(1, close - 1);
      for (llvm::StringRef arg : llvm::split(args, ',')) {
        auto [name, value] = arg.split('=');
        if (name.trim().empty() || value.trim().empty())
          return bad("parameters are name=value");
        gene.params.emplace_back(name.trim().str(), value.trim().str());
      }
      text = text.substr(close + 1);
    }
    if (text.starts_with("+")) {
      text = text.drop_front();
      if (text.trim().empty())
        return bad("expected a strategy after '+'");
    } else if (!text.empty()) {
      return bad("expected '+' between strategies");
    }
    genome.genes.push_back(std::move(gene));
  }
  return genome;
}

llvm::Error cupilot::verifyGenome(const Genome &genome,
                                  const StrategyLibrary &library) {
  std::set<std::string> present;
  for (const Gene &g : genome.genes) {
    const Strategy *s = library.find(g.strategy);
    if (!s)
      return makeError(ExitCode::InputError, "genome '{0}': unknown strategy "
                                             "'{1}'",
                       genome.str(), g.strategy);
    if (!present.insert(g.strategy).second)
      return makeError(ExitCode::InputError,
                       "genome '{0}': strategy '{1}' appears twice",
                       genome.str(), g.strategy);
    for (const auto &[name, value] : g.params) {
      const StrategyParameter *p = s->findParameter(name);
      if (!p)
        return makeError(ExitCode::InputError,
                         "genome '{0}': strategy '{1}' has no parameter "
                         "'{2}'",
                         genome.str(), g.strategy, name);
      if (!llvm::is_contained(p->values, value))
        return makeError(ExitCode::InputError,
                         "genome '{0}': '{1}' is not in the domain of "
                         "{2}.{3} ({4})",
                         genome.str(), value, g.strategy, name,
                         llvm::join(p->values, ", "));
    }
  }
  for (const Gene &g : genome.genes) {
    const Strategy *s = library.find(g.strategy);
    for (const std::string &r : s->requires_)
      if (!present.count(r))
        return makeError(ExitCode::InputError,
                         "genome '{0}': '{1}' requires '{2}'", genome.str(),
                         g.strategy, r);
    for (const std::string &c : s->conflicts)
      if (present.count(c))
        return makeError(ExitCode::InputError,
                         "genome '{0}': '{1}' conflicts with '{2}'",
                         genome.str(), g.strategy, c);
  }
  return llvm::Error::success();
}

/// Replaces `${name}` in `text` from the gene's parameters, then bindings.
static llvm::Expected<std::string> substitute(llvm::StringRef text,
                                              const Gene &gene,
                                              const Strategy &strategy,
                                              const FeatureSet &features) {
  std::string out;
  size_t pos = 0;
  while (true) {
    size_t start = text.find("${", pos);
    if (start == llvm::StringRef::npos) {
      out += text.substr(pos).str();
      return out;
    }
    size_t end = text.find('}', start);
    if (end == llvm::StringRef::npos)
      return makeError(ExitCode::InputError,
                       "strategy '{0}': unterminated '${' in '{1}'",
                       strategy.id, text);
    out += text.substr(pos, start - pos).str();
    std::string name = text.substr(start + 2, end - start - 2).str();
    std::string value;
    bool found = false;
    for (const auto &[n, v] : gene.params)
      if (n == name) {
        value = v;
        found = true;
      }
    if (!found)
      if (const StrategyParameter *p = strategy.findParameter(name)) {
        value = p->defaultValue;
        found = true;
      }
    if (!found) {
      auto it = features.bindings.find(name);
      if (it != features.bindings.end()) {
        value = it->second;
        found = true;
      }
    }
    if (!found)
      return makeError(ExitCode::InputError,
                       "strategy '{0}': no value for '${{{1}}' (the kernel "
                       "has no such binding)",
                       strategy.id, name);
    out += value;
    pos = end + 1;
  }
}

static std::string yamlQuote(llvm::StringRef s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

llvm::Expected<RewritePlan> cupilot::lowerGenome(const Genome &genome,
                                                 const StrategyLibrary &library,
                                                 const FeatureSet &features) {
  if (llvm::Error e = verifyGenome(genome, library))
    return std::move(e);
  if (genome.genes.empty()) {
    RewritePlan plan;
    plan.name = genome.str();
    return plan;
  }
  auto kernel = features.bindings.find("kernel");
  if (kernel == features.bindings.end())
    return makeError(ExitCode::InputError,
                     "lowering needs the kernel's name (binding 'kernel')");
  // The plan is written as YAML and read back, so the plan reader's schema
  // checks (types, ranges, allow-lists) apply to every lowered step.
  std::string yaml;
  bool givesUpPrecision = false;
  for (const Gene &gene : genome.genes) {
    const Strategy &s = *library.find(gene.strategy);
    for (const LoweringStep &step : s.lowering) {
      yaml += "  - step: " + step.kind + "\n";
      givesUpPrecision |= step.kind == "fast-math-intrinsics";
      if (findStepSchema(step.kind)->needsKernel)
        yaml += "    kernel: " + yamlQuote(kernel->second) + "\n";
      for (size_t i = 0; i < step.fields.size(); ++i) {
        const auto &[name, values] = step.fields[i];
        std::vector<std::string> bound;
        for (const std::string &v : values) {
          auto b = substitute(v, gene, s, features);
          if (!b)
            return b.takeError();
          bound.push_back(*b);
        }
        yaml += "    " + name + ": ";
        if (step.isList[i]) {
          yaml += "[";
          for (size_t j = 0; j < bound.size(); ++j) {
            yaml += (j ? ", " : "") + yamlQuote(bound[j]);
            givesUpPrecision |=
                step.kind == "compile-flags" && relaxesPrecision(bound[j]);
          }
          yaml += "]\n";
        } else {
          // Plain scalars keep their YAML type (ints, bools).
          const std::string &v = bound.front();
          bool plain = !v.empty() && llvm::all_of(v, [](char c) {
            return llvm::isAlnum(c) || c == '-' || c == '_' || c == '.';
          });
          yaml += (plain ? v : yamlQuote(v)) + "\n";
        }
      }
    }
  }
  // A plan gives up precision only where the task allows it
  // (`allowReducedPrecision`, from its precision policy); otherwise it stays
  // strict and the plan reader refuses the steps that would.
  auto allowed = features.numbers.find("allowReducedPrecision");
  bool relaxed = givesUpPrecision && allowed != features.numbers.end() &&
                 allowed->second != 0;
  yaml = "plan: " + yamlQuote(genome.str()) + "\n" +
         (relaxed ? "precision: relaxed\n" : "") + "steps:\n" + yaml;
  auto plan = parsePlan(yaml, "<lowered " + genome.str() + ">");
  if (!plan)
    return plan.takeError();
  return std::move(*plan);
}

//===----------------------------------------------------------------------===//
// Operators
//===----------------------------------------------------------------------===//

uint64_t Rng::next() {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t Rng::below(uint64_t n) { return n <= 1 ? 0 : next() % n; }

bool Rng::chance(double p) {
  return static_cast<double>(next() >> 11) * 0x1.0p-53 < p;
}

std::vector<const Strategy *>
cupilot::applicableStrategies(const StrategyLibrary &library,
                              const FeatureSet &features) {
  std::vector<const Strategy *> out;
  for (const Strategy &s : library.strategies())
    if (s.appliesTo(features))
      out.push_back(&s);
  return out;
}

Gene cupilot::defaultGene(const Strategy &strategy) {
  Gene g;
  g.strategy = strategy.id;
  for (const StrategyParameter &p : strategy.parameters)
    g.params.emplace_back(p.name, p.defaultValue);
  return g;
}

static bool isApplicable(const std::vector<const Strategy *> &applicable,
                         llvm::StringRef id) {
  return llvm::any_of(applicable,
                      [&](const Strategy *s) { return s->id == id; });
}

Genome cupilot::normalizeGenome(Genome genome, const StrategyLibrary &library,
                                const std::vector<const Strategy *> &applicable) {
  // Keep the first gene per strategy, drop unknown ones, library order.
  std::vector<Gene> genes;
  std::set<std::string> seen;
  for (Gene &g : genome.genes)
    if (library.find(g.strategy) && seen.insert(g.strategy).second)
      genes.push_back(std::move(g));
  // Add missing requirements (when applicable).
  for (size_t i = 0; i < genes.size(); ++i)
    for (const std::string &r : library.find(genes[i].strategy)->requires_)
      if (!seen.count(r) && isApplicable(applicable, r)) {
        seen.insert(r);
        genes.push_back(defaultGene(*library.find(r)));
      }
  // Strategies are unique here, so a plain sort is deterministic.
  llvm::sort(genes, [&](const Gene &a, const Gene &b) {
    return library.indexOf(a.strategy) < library.indexOf(b.strategy);
  });
  // Drop the later of two conflicting genes, then genes whose
  // requirements are gone; repeat until stable.
  bool changed = true;
  while (changed) {
    changed = false;
    std::set<std::string> kept;
    std::vector<Gene> next;
    for (Gene &g : genes) {
      const Strategy *s = library.find(g.strategy);
      bool conflict = llvm::any_of(s->conflicts, [&](const std::string &c) {
        return kept.count(c) > 0;
      });
      for (const std::string &k : kept)
        conflict |= llvm::is_contained(library.find(k)->conflicts, g.strategy);
      if (conflict) {
        changed = true;
        continue;
      }
      kept.insert(g.strategy);
      next.push_back(std::move(g));
    }
    std::vector<Gene> satisfied;
    for (Gene &g : next) {
      const Strategy *s = library.find(g.strategy);
      if (llvm::all_of(s->requires_,
                       [&](const std::string &r) { return kept.count(r); }))
        satisfied.push_back(std::move(g));
      else
        changed = true;
    }
    genes = std::move(satisfied);
  }
  return Genome{std::move(genes)};
}

/// Picks an index into `candidates` weighted towards the steering class.
static const Strategy *pickSteered(const std::vector<const Strategy *> &candidates,
                                   const Steering &steering, Rng &rng) {
  if (candidates.empty())
    return nullptr;
  std::vector<double> weights;
  double total = 0;
  for (const Strategy *s : candidates) {
    double w = (!steering.rooflineClass.empty() &&
                toString(s->bottleneck) == steering.rooflineClass)
                   ? steering.focus
                   : 1.0;
    weights.push_back(w);
    total += w;
  }
  double x = static_cast<double>(rng.next() >> 11) * 0x1.0p-53 * total;
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (x < weights[i])
      return candidates[i];
    x -= weights[i];
  }
  return candidates.back();
}

static Gene randomGene(const Strategy &s, Rng &rng) {
  Gene g;
  g.strategy = s.id;
  for (const StrategyParameter &p : s.parameters)
    g.params.emplace_back(p.name, p.values[rng.below(p.values.size())]);
  return g;
}

Genome cupilot::randomGenome(const std::vector<const Strategy *> &applicable,
                             const StrategyLibrary &library,
                             const Steering &steering, Rng &rng,
                             unsigned maxGenes) {
  Genome g;
  if (applicable.empty())
    return g;
  unsigned count = 1 + rng.below(std::max(1u, maxGenes));
  std::vector<const Strategy *> pool = applicable;
  for (unsigned i = 0; i < count && !pool.empty(); ++i) {
    const Strategy *s = pickSteered(pool, steering, rng);
    g.genes.push_back(randomGene(*s, rng));
    llvm::erase(pool, s);
  }
  return normalizeGenome(std::move(g), library, applicable);
}

Genome cupilot::crossover(const Genome &a, const Genome &b,
                          const StrategyLibrary &library,
                          const std::vector<const Strategy *> &applicable,
                          Rng &rng) {
  Genome child;
  for (const Strategy &s : library.strategies()) {
    const Gene *ga = nullptr, *gb = nullptr;
    for (const Gene &g : a.genes)
      if (g.strategy == s.id)
        ga = &g;
    for (const Gene &g : b.genes)
      if (g.strategy == s.id)
        gb = &g;
    if (ga && gb) {
      Gene g = *ga;
      for (auto &[name, value] : g.params)
        if (rng.chance(0.5))
          for (const auto &[n, v] : gb->params)
            if (n == name)
              value = v;
      child.genes.push_back(std::move(g));
    } else if ((ga || gb) && rng.chance(0.5)) {
      child.genes.push_back(ga ? *ga : *gb);
    }
  }
  return normalizeGenome(std::move(child), library, applicable);
}

Genome cupilot::mutate(const Genome &genome, const StrategyLibrary &library,
                       const std::vector<const Strategy *> &applicable,
                       const Steering &steering, Rng &rng) {
  Genome g = genome;
  std::vector<const Strategy *> absent;
  for (const Strategy *s : applicable)
    if (llvm::none_of(g.genes,
                      [&](const Gene &x) { return x.strategy == s->id; }))
      absent.push_back(s);
  // Genes with a parameter that has more than one value.
  std::vector<size_t> tunable;
  for (size_t i = 0; i < g.genes.size(); ++i)
    for (const auto &[name, value] : g.genes[i].params)
      if (library.find(g.genes[i].strategy)->findParameter(name)->values.size() > 1) {
        tunable.push_back(i);
        break;
      }
  enum { Perturb, Add, Drop };
  std::vector<int> moves;
  if (!tunable.empty())
    moves.insert(moves.end(), {Perturb, Perturb});
  if (!absent.empty())
    moves.push_back(Add);
  if (!g.genes.empty())
    moves.push_back(Drop);
  if (moves.empty())
    return g;
  switch (moves[rng.below(moves.size())]) {
  case Perturb: {
    Gene &gene = g.genes[tunable[rng.below(tunable.size())]];
    const Strategy *s = library.find(gene.strategy);
    std::vector<size_t> params;
    for (size_t i = 0; i < gene.params.size(); ++i)
      if (s->findParameter(gene.params[i].first)->values.size() > 1)
        params.push_back(i);
    auto &[name, value] = gene.params[params[rng.below(params.size())]];
    const std::vector<std::string> &domain = s->findParameter(name)->values;
    size_t at = std::find(domain.begin(), domain.end(), value) - domain.begin();
    if (at >= domain.size())
      at = 0;
    // Step to a neighbouring value (the domain is ordered).
    if (at == 0)
      at = 1;
    else if (at + 1 == domain.size())
      at = at - 1;
    else
      at = rng.chance(0.5) ? at - 1 : at + 1;
    value = domain[at];
    break;
  }
  case Add:
    g.genes.push_back(randomGene(*pickSteered(absent, steering, rng), rng));
    break;
  case Drop:
    g.genes.erase(g.genes.begin() + rng.below(g.genes.size()));
    break;
  }
  return normalizeGenome(std::move(g), library, applicable);
}
