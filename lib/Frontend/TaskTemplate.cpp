//===- TaskTemplate.cpp - Drafting a task from the kernel index -----------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//

#include "cupilot/Frontend/TaskTemplate.h"
#include "cupilot/Strategy/TaskIO.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Regex.h"

#include <map>
#include <set>

using namespace cupilot;

/// The type without cv-qualifiers (`const int` -> `int`).
static std::string unqualified(llvm::StringRef type) {
  std::string out;
  for (llvm::StringRef word : llvm::split(type, ' '))
    if (!word.empty() && word != "const" && word != "volatile")
      out += (out.empty() ? "" : " ") + word.str();
  return out;
}

static bool isIntegerType(llvm::StringRef type) {
  auto dtype = dtypeFromCudaType(unqualified(type));
  return dtype && *dtype != DType::F16 && *dtype != DType::BF16 &&
         *dtype != DType::F32 && *dtype != DType::F64;
}

static bool isIdentifier(llvm::StringRef s) {
  if (s.empty() || !(llvm::isAlpha(s[0]) || s[0] == '_'))
    return false;
  return llvm::all_of(s, [](char c) { return llvm::isAlnum(c) || c == '_'; });
}

/// Whether `name` occurs in `text` as a whole identifier.
static bool mentionsIdentifier(llvm::StringRef text, llvm::StringRef name) {
  for (size_t pos = text.find(name); pos != llvm::StringRef::npos;
       pos = text.find(name, pos + 1)) {
    auto isIdentChar = [](char c) { return llvm::isAlnum(c) || c == '_'; };
    size_t end = pos + name.size();
    if ((pos == 0 || !isIdentChar(text[pos - 1])) &&
        (end == text.size() || !isIdentChar(text[end])))
      return true;
  }
  return false;
}

/// Replaces whole identifiers of `text` per `renames`.
static std::string renameIdentifiers(
    llvm::StringRef text, const std::map<std::string, std::string> &renames,
    std::set<std::string> &unknown, const std::set<std::string> &known) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (llvm::isAlpha(c) || c == '_') {
      size_t j = i;
      while (j < text.size() && (llvm::isAlnum(text[j]) || text[j] == '_' ||
                                 text[j] == '.'))
        ++j;
      std::string ident = text.substr(i, j - i).str();
      auto it = renames.find(ident);
      if (it != renames.end())
        ident = it->second;
      else if (!known.count(ident))
        unknown.insert(ident);
      out += ident;
      i = j;
      continue;
    }
    out.push_back(c);
    ++i;
  }
  return out;
}

/// `(E + B - 1) / B` (or `(E + C) / B` with C = B - 1) with B the block
/// size becomes `ceil_div(E, block.d)`, so the grid follows the block shape
/// when a plan changes it.
static std::string blockRelativeGrid(const std::string &grid,
                                     const std::string &block, char dim) {
  llvm::Regex re("^\\(([A-Za-z_][A-Za-z0-9_]*) *\\+ *([0-9]+)( *- *1)?\\) */ "
                 "*([0-9]+)$");
  llvm::SmallVector<llvm::StringRef, 5> m;
  if (!re.match(grid, &m))
    return grid;
  int64_t addend, divisor, b;
  if (m[2].getAsInteger(10, addend) || m[4].getAsInteger(10, divisor) ||
      llvm::StringRef(block).getAsInteger(10, b))
    return grid;
  if (!m[3].empty())
    --addend;
  if (addend + 1 != divisor || divisor != b)
    return grid;
  return "ceil_div(" + m[1].str() + ", block." + dim + ")";
}

TaskDraft cupilot::draftTask(const KernelInfo &kernel) {
  TaskDraft draft;
  Task &task = draft.task;
  task.kernel = kernel.qualifiedName;

  unsigned dims = std::max(1u, kernel.features.threadDims);

  // Integer parameters that bound something are problem sizes; the others
  // (strides, flags) get a small value the user should check.
  std::set<std::string> boundingParams;
  for (const BoundsGuard &g : kernel.guards)
    boundingParams.insert(g.boundParams.begin(), g.boundParams.end());
  for (const ParamInfo &p : kernel.params)
    for (llvm::StringRef part : llvm::split(p.extentHint, '*'))
      if (!part.empty() && llvm::any_of(kernel.loops, [&](const LoopInfo &l) {
            return mentionsIdentifier(l.bound, part);
          }))
        boundingParams.insert(part.str());

  // A buffer of `cols*rows` elements is as large as the product of its
  // extents, even when the kernel uses one thread dimension: the data's
  // dimensionality picks the default extent.
  unsigned dataDims = dims;
  for (const ParamInfo &p : kernel.params) {
    unsigned factors = 0;
    for (llvm::StringRef part : llvm::split(p.extentHint, '*'))
      factors += boundingParams.count(part.str());
    dataDims = std::max(dataDims, std::min(factors, 3u));
  }
  // Sizes big enough to fill an H100-class GPU, per dimensionality.
  const char *extentDefault = dataDims == 1   ? "16777216"
                              : dataDims == 2 ? "4096"
                                              : "256";

  std::set<std::string> sizeNames;
  for (const ParamInfo &p : kernel.params) {
    if (p.isPointer || !isIntegerType(p.type))
      continue;
    bool isExtent = boundingParams.count(p.name);
    task.sizes.emplace_back(p.name, isExtent ? extentDefault : "4");
    sizeNames.insert(p.name);
    if (!isExtent)
      draft.notes.push_back("size '" + p.name +
                            "' bounds no access; its value 4 is a guess");
  }

  std::string largestCount;
  for (const ParamInfo &p : kernel.params) {
    ArgumentSpec arg;
    arg.name = p.name;
    if (!p.isPointer) {
      arg.kind = ArgKind::Scalar;
      auto dtype = dtypeFromCudaType(unqualified(p.type));
      if (!dtype) {
        draft.notes.push_back("parameter '" + p.name + "' has type '" +
                              p.type + "', which tasks cannot describe; "
                              "treated as i32");
        dtype = DType::I32;
      }
      arg.dtype = *dtype;
      bool floating = *dtype == DType::F16 || *dtype == DType::BF16 ||
                      *dtype == DType::F32 || *dtype == DType::F64;
      arg.value = sizeNames.count(p.name) ? p.name : floating ? "1.5" : "1";
      task.arguments.push_back(std::move(arg));
      continue;
    }
    arg.kind = ArgKind::Buffer;
    auto dtype = dtypeFromCudaType(p.elementType);
    if (!dtype) {
      draft.notes.push_back("buffer '" + p.name + "' has element type '" +
                            p.elementType + "'; set its dtype");
      dtype = DType::F32;
    }
    arg.dtype = *dtype;
    arg.role = p.written ? (p.read ? ArgRole::InOut : ArgRole::Out)
                         : ArgRole::In;
    if (!p.read && !p.written)
      draft.notes.push_back("buffer '" + p.name +
                            "' is not accessed directly; its role is a guess");
    if (p.isPointer && !p.pointeeConst && !p.written && p.read)
      draft.notes.push_back("buffer '" + p.name +
                            "' is only read: consider declaring it const");
    arg.count = p.extentHint;
    if (!arg.count.empty() && arg.count.size() > largestCount.size())
      largestCount = arg.count;
    if (isIntegerType(p.elementType)) {
      arg.init.distribution = "uniform";
      arg.init.min = 0;
      arg.init.max = 0;
    }
    task.arguments.push_back(std::move(arg));
  }
  for (ArgumentSpec &arg : task.arguments) {
    if (arg.kind != ArgKind::Buffer || !arg.count.empty())
      continue;
    arg.count = largestCount.empty() ? "1024" : largestCount;
    draft.notes.push_back("element count of '" + arg.name +
                          "' could not be inferred; set 'count'");
    if (isIntegerType(toString(arg.dtype)) || arg.dtype == DType::I32 ||
        arg.dtype == DType::I64)
      draft.notes.push_back("'" + arg.name +
                            "' looks like an index buffer: set init so its "
                            "values stay in bounds");
  }

  LaunchSpec launch;
  launch.kernel = kernel.qualifiedName;
  for (const ArgumentSpec &arg : task.arguments)
    launch.args.push_back(arg.name);

  const char dimNames[3] = {'x', 'y', 'z'};
  if (!kernel.launchSites.empty() &&
      kernel.launchSites.front().gridDims.size() == 3 &&
      kernel.launchSites.front().blockDims.size() == 3) {
    const LaunchSite &site = kernel.launchSites.front();
    // Host names of the kernel's arguments become the task's names.
    std::map<std::string, std::string> renames;
    for (size_t i = 0; i < site.args.size() && i < kernel.params.size(); ++i)
      if (isIdentifier(site.args[i]))
        renames[site.args[i]] = kernel.params[i].name;
    std::set<std::string> known(sizeNames.begin(), sizeNames.end());
    known.insert({"ceil_div", "min", "max", "round_up", "log2", "pow2"});
    std::set<std::string> unknown;
    for (unsigned d = 0; d < 3; ++d) {
      launch.geometry.block[d] =
          renameIdentifiers(site.blockDims[d], renames, unknown, known);
      launch.geometry.grid[d] = blockRelativeGrid(
          renameIdentifiers(site.gridDims[d], renames, unknown, known),
          launch.geometry.block[d], dimNames[d]);
    }
    if (!site.sharedMem.empty())
      launch.geometry.sharedBytes =
          renameIdentifiers(site.sharedMem, renames, unknown, known);
    for (const std::string &u : unknown)
      draft.notes.push_back("launch geometry uses host name '" + u +
                            "'; express it with the task's sizes");
    draft.notes.push_back("launch geometry taken from the launch in '" +
                          site.caller + "' at line " +
                          std::to_string(site.loc.line));
  } else {
    static const char *defaults[3][3] = {
        {"256", "1", "1"}, {"16", "16", "1"}, {"8", "8", "4"}};
    for (unsigned d = 0; d < 3; ++d) {
      launch.geometry.block[d] = defaults[dims - 1][d];
      launch.geometry.grid[d] = "1";
      for (const BoundsGuard &g : kernel.guards) {
        if (!llvm::is_contained(g.dims, std::string(1, dimNames[d])) ||
            g.boundParams.size() != 1 || g.dims.size() != 1)
          continue;
        const std::string &b = g.boundParams.front();
        launch.geometry.grid[d] =
            g.usesThreadIdx ? "ceil_div(" + b + ", block." + dimNames[d] + ")"
                            : b;
        break;
      }
    }
    if (kernel.features.hasGridStrideLoop)
      launch.geometry.grid[0] = "1024";
    draft.notes.push_back("no launch site found: the launch geometry is a "
                          "guess from the kernel's bounds checks");
  }
  for (const SharedMemoryDecl &s : kernel.sharedMemory)
    if (s.dynamic && launch.geometry.sharedBytes == "0")
      draft.notes.push_back("kernel uses dynamic shared memory '" + s.name +
                            "': set launch.shared_bytes");
  task.launches.push_back(std::move(launch));

  // Shapes that are not multiples of typical tile sizes catch partial-tile
  // bugs; only the extents are changed.
  std::vector<std::pair<std::string, std::string>> odd, small;
  for (const auto &[name, value] : task.sizes) {
    if (value == "4")
      continue;
    odd.emplace_back(name, dataDims == 1   ? "1000003"
                           : dataDims == 2 ? "1031"
                                           : "67");
    small.emplace_back(name, dataDims == 1   ? "4097"
                             : dataDims == 2 ? "77"
                                             : "19");
  }
  if (!odd.empty()) {
    task.verifyShapes.push_back(odd);
    task.verifyShapes.push_back(small);
  }
  bool lowPrecision = llvm::any_of(task.arguments, [](const ArgumentSpec &a) {
    return a.dtype == DType::F16 || a.dtype == DType::BF16;
  });
  if (lowPrecision) {
    task.tolerance.atol = 1e-2;
    task.tolerance.rtol = 1e-2;
  } else if (kernel.features.reductionLike || kernel.features.gemmLike) {
    task.tolerance.atol = 1e-4;
    task.tolerance.rtol = 1e-4;
  }
  return draft;
}

std::string cupilot::renderTaskTemplate(const TaskDraft &draft,
                                        const std::string &sourceFile) {
  std::string out = "# cupilot task for kernel '" + draft.task.kernel +
                    "' of " + sourceFile + "\n"
                    "# Drafted by cupilot-opt --emit=task-template; "
                    "schema: docs/TaskSchema.md\n";
  if (!draft.notes.empty()) {
    out += "# Check before use:\n";
    for (const std::string &note : draft.notes)
      out += "#   - " + note + "\n";
  }
  return out + writeTask(draft.task);
}
