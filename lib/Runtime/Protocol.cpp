//===- Protocol.cpp - Messages between cupilot and cupilot-worker ---------===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// Plain C++17: linked into cupilot-worker, which must not depend on LLVM.
//
//===----------------------------------------------------------------------===//

#include "cupilot/Runtime/Protocol.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>

using namespace cupilot;
using namespace cupilot::protocol;

//===----------------------------------------------------------------------===//
// Generic messages
//===----------------------------------------------------------------------===//

const std::string *Field::get(std::string_view name) const {
  for (const auto &[attrName, value] : attrs)
    if (attrName == name)
      return &value;
  return nullptr;
}

Field &Field::set(std::string name, std::string value) {
  attrs.emplace_back(std::move(name), std::move(value));
  return *this;
}

Field &Field::setBlob(std::string bytes) {
  hasBlob = true;
  blob = std::move(bytes);
  return *this;
}

Field &Message::add(std::string key) {
  fields.emplace_back(std::move(key));
  return fields.back();
}

const Field *Message::first(std::string_view key) const {
  for (const Field &field : fields)
    if (field.key == key)
      return &field;
  return nullptr;
}

std::vector<const Field *> Message::all(std::string_view key) const {
  std::vector<const Field *> result;
  for (const Field &field : fields)
    if (field.key == key)
      result.push_back(&field);
  return result;
}

static bool isPlainByte(unsigned char c) {
  return c > 0x20 && c < 0x7f && c != '%';
}

std::string protocol::escapeValue(std::string_view value) {
  if (value.empty())
    return "%";
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size());
  for (unsigned char c : value) {
    if (isPlainByte(c)) {
      out += static_cast<char>(c);
      continue;
    }
    out += '%';
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

static int hexDigit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

bool protocol::unescapeValue(std::string_view text, std::string &out) {
  out.clear();
  if (text == "%")
    return true;
  if (text.empty())
    return false;
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = text[i];
    if (c != '%') {
      if (!isPlainByte(c))
        return false;
      out += static_cast<char>(c);
      continue;
    }
    if (i + 2 >= text.size())
      return false;
    int hi = hexDigit(text[i + 1]), lo = hexDigit(text[i + 2]);
    if (hi < 0 || lo < 0)
      return false;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return true;
}

/// Keys, attribute names and message kinds: [a-z][a-z0-9-]*.
static bool isName(std::string_view text) {
  if (text.empty() || text.size() > 64 || !(text[0] >= 'a' && text[0] <= 'z'))
    return false;
  for (char c : text)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
      return false;
  return true;
}

static bool parseDecimal(std::string_view text, uint64_t &out) {
  if (text.empty() || text.size() > 20)
    return false;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9')
      return false;
    uint64_t digit = c - '0';
    if (value > (UINT64_MAX - digit) / 10)
      return false;
    value = value * 10 + digit;
  }
  out = value;
  return true;
}

std::string protocol::encode(const Message &message) {
  std::string out =
      "begin " + message.kind + " " + std::to_string(message.id) + "\n";
  for (const Field &field : message.fields) {
    out += field.key;
    for (const auto &[name, value] : field.attrs) {
      out += ' ';
      out += name;
      out += '=';
      out += escapeValue(value);
    }
    if (field.hasBlob) {
      out += " #";
      out += std::to_string(field.blob.size());
      out += '\n';
      out += field.blob;
    }
    out += '\n';
  }
  out += "end\n";
  return out;
}

static std::vector<std::string_view> splitSpaces(std::string_view line) {
  std::vector<std::string_view> tokens;
  size_t start = 0;
  while (true) {
    size_t space = line.find(' ', start);
    tokens.push_back(line.substr(start, space - start));
    if (space == std::string_view::npos)
      break;
    start = space + 1;
  }
  return tokens;
}

DecodeResult protocol::decode(std::string_view data, Message &out) {
  DecodeResult result;
  size_t pos = 0;
  unsigned lineNo = 0;
  auto malformed = [&](const std::string &why) {
    result.status = DecodeStatus::Malformed;
    result.error = "line " + std::to_string(lineNo) + " of the message: " + why;
    return result;
  };
  // Returns false when the line is incomplete; sets `tooLong` when it can
  // never be complete.
  bool tooLong = false;
  auto nextLine = [&](std::string_view &line) {
    size_t newline = data.find('\n', pos);
    if (newline == std::string_view::npos) {
      tooLong = data.size() - pos > MaxLineBytes;
      return false;
    }
    if (newline - pos > MaxLineBytes) {
      tooLong = true;
      return false;
    }
    line = data.substr(pos, newline - pos);
    pos = newline + 1;
    ++lineNo;
    return true;
  };

  while (pos < data.size() && data[pos] == '\n')
    ++pos;
  std::string_view line;
  if (!nextLine(line))
    return tooLong ? malformed("line longer than " +
                               std::to_string(MaxLineBytes) + " bytes")
                   : result;
  std::vector<std::string_view> header = splitSpaces(line);
  if (header.size() != 3 || header[0] != "begin")
    return malformed("expected 'begin <kind> <id>'");
  if (!isName(header[1]))
    return malformed("message kind '" + std::string(header[1]) +
                     "' is not a lowercase name");
  Message message;
  message.kind = std::string(header[1]);
  if (!parseDecimal(header[2], message.id))
    return malformed("message id '" + std::string(header[2]) +
                     "' is not an unsigned 64-bit integer");

  while (true) {
    if (!nextLine(line))
      return tooLong ? malformed("line longer than " +
                                 std::to_string(MaxLineBytes) + " bytes")
                     : result;
    if (line == "end")
      break;
    if (message.fields.size() >= MaxFields)
      return malformed("more than " + std::to_string(MaxFields) + " fields");
    std::vector<std::string_view> tokens = splitSpaces(line);
    if (!isName(tokens[0]))
      return malformed("'" + std::string(tokens[0].substr(0, 40)) +
                       "' is not a field key (lowercase name)");
    if (tokens[0] == "begin")
      return malformed("'begin' inside a message (missing 'end'?)");
    Field field{std::string(tokens[0])};
    for (size_t i = 1; i < tokens.size(); ++i) {
      std::string_view token = tokens[i];
      if (!token.empty() && token[0] == '#') {
        if (i + 1 != tokens.size())
          return malformed("the block length '" + std::string(token) +
                           "' must be the last token of its line");
        uint64_t length;
        if (!parseDecimal(token.substr(1), length))
          return malformed("bad block length '" + std::string(token) + "'");
        if (length > MaxBlobBytes)
          return malformed("block of " + std::to_string(length) +
                           " bytes exceeds the limit of " +
                           std::to_string(MaxBlobBytes));
        if (data.size() - pos < length + 1)
          return result; // Incomplete.
        if (data[pos + length] != '\n')
          return malformed("block of " + std::to_string(length) +
                           " bytes is not followed by a newline");
        field.setBlob(std::string(data.substr(pos, length)));
        for (size_t k = pos; k < pos + length; ++k)
          lineNo += data[k] == '\n';
        pos += length + 1;
        ++lineNo;
        break;
      }
      size_t eq = token.find('=');
      if (eq == std::string_view::npos)
        return malformed("attribute '" + std::string(token.substr(0, 40)) +
                         "' is not name=value");
      std::string_view name = token.substr(0, eq);
      if (!isName(name))
        return malformed("attribute name '" + std::string(name.substr(0, 40)) +
                         "' is not a lowercase name");
      if (field.get(name))
        return malformed("attribute '" + std::string(name) +
                         "' appears twice in field '" + field.key + "'");
      std::string value;
      if (!unescapeValue(token.substr(eq + 1), value))
        return malformed("value of attribute '" + std::string(name) +
                         "' is not percent-encoded text");
      field.set(std::string(name), std::move(value));
    }
    message.fields.push_back(std::move(field));
  }
  out = std::move(message);
  result.status = DecodeStatus::Complete;
  result.consumed = pos;
  return result;
}

//===----------------------------------------------------------------------===//
// Enumerations
//===----------------------------------------------------------------------===//

namespace {
struct TypeInfo {
  ElementType type;
  const char *name;
  unsigned width;
  bool floating;
  bool isSigned;
};
const TypeInfo typeInfos[] = {
    {ElementType::F16, "f16", 2, true, true},
    {ElementType::BF16, "bf16", 2, true, true},
    {ElementType::F32, "f32", 4, true, true},
    {ElementType::F64, "f64", 8, true, true},
    {ElementType::I8, "i8", 1, false, true},
    {ElementType::I16, "i16", 2, false, true},
    {ElementType::I32, "i32", 4, false, true},
    {ElementType::I64, "i64", 8, false, true},
    {ElementType::U8, "u8", 1, false, false},
    {ElementType::U16, "u16", 2, false, false},
    {ElementType::U32, "u32", 4, false, false},
    {ElementType::U64, "u64", 8, false, false},
};
const TypeInfo &info(ElementType type) {
  return typeInfos[static_cast<int>(type)];
}

template <typename Enum, size_t N>
std::optional<Enum> parseName(std::string_view text,
                              const char *const (&names)[N]) {
  for (size_t i = 0; i < N; ++i)
    if (text == names[i])
      return static_cast<Enum>(i);
  return std::nullopt;
}

const char *const roleNames[] = {"in", "out", "inout"};
const char *const distributionNames[] = {"uniform", "normal", "constant",
                                         "iota", "zero"};
const char *const errorKindNames[] = {
    "bad_request",    "no_device",     "compile_error", "launch_error",
    "runtime_error",  "out_of_memory", "timeout",       "crashed",
    "protocol_error", "internal"};
} // namespace

const char *protocol::toString(ElementType type) { return info(type).name; }
std::optional<ElementType> protocol::parseElementType(std::string_view text) {
  for (const TypeInfo &ti : typeInfos)
    if (text == ti.name)
      return ti.type;
  return std::nullopt;
}
unsigned protocol::byteWidth(ElementType type) { return info(type).width; }
bool protocol::isFloating(ElementType type) { return info(type).floating; }

bool protocol::isFlopsPrecision(std::string_view precision) {
  return precision == "f16" || precision == "f32" || precision == "f64";
}

bool protocol::isFlopsMethod(std::string_view method) {
  return method == "fma" || method == "cublas";
}
bool protocol::isSigned(ElementType type) { return info(type).isSigned; }

const char *protocol::toString(Role role) {
  return roleNames[static_cast<int>(role)];
}
std::optional<Role> protocol::parseRole(std::string_view text) {
  return parseName<Role>(text, roleNames);
}
const char *protocol::toString(Distribution dist) {
  return distributionNames[static_cast<int>(dist)];
}
std::optional<Distribution> protocol::parseDistribution(std::string_view text) {
  return parseName<Distribution>(text, distributionNames);
}
const char *protocol::toString(ErrorKind kind) {
  return errorKindNames[static_cast<int>(kind)];
}
std::optional<ErrorKind> protocol::parseErrorKind(std::string_view text) {
  return parseName<ErrorKind>(text, errorKindNames);
}

std::string protocol::describeClockReasons(uint64_t reasons) {
  static const std::pair<uint64_t, const char *> names[] = {
      {0x1, "idle"},
      {0x2, "application-clocks"},
      {0x4, "sw-power-cap"},
      {0x8, "hw-slowdown"},
      {0x10, "sync-boost"},
      {0x20, "sw-thermal"},
      {0x40, "hw-thermal"},
      {0x80, "hw-power-brake"},
      {0x100, "display-clocks"}};
  std::string out;
  uint64_t known = 0;
  for (const auto &[bit, name] : names) {
    known |= bit;
    if (reasons & bit)
      out += (out.empty() ? "" : ",") + std::string(name);
  }
  if (reasons & ~known) {
    char hex[32];
    std::snprintf(hex, sizeof(hex), "0x%llx",
                  static_cast<unsigned long long>(reasons & ~known));
    out += (out.empty() ? "" : ",") + std::string(hex);
  }
  return out.empty() ? "none" : out;
}

std::string protocol::formatDouble(double value) {
  if (std::isnan(value))
    return "nan";
  if (std::isinf(value))
    return value < 0 ? "-inf" : "inf";
  char buffer[40];
  for (int precision = 15; precision <= 17; ++precision) {
    std::snprintf(buffer, sizeof(buffer), "%.*g", precision, value);
    if (std::strtod(buffer, nullptr) == value)
      break;
  }
  return buffer;
}

//===----------------------------------------------------------------------===//
// Typed encoding helpers
//===----------------------------------------------------------------------===//

namespace {

std::string u64(uint64_t value) { return std::to_string(value); }
std::string flag(bool value) { return value ? "1" : "0"; }

template <typename T> std::string joinNumbers(const T &values) {
  std::string out;
  for (size_t i = 0; i < values.size(); ++i) {
    if (i)
      out += ',';
    out += std::to_string(values[i]);
  }
  return out;
}

std::vector<std::string_view> splitOn(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  if (text.empty())
    return parts;
  size_t start = 0;
  while (true) {
    size_t at = text.find(sep, start);
    parts.push_back(text.substr(start, at - start));
    if (at == std::string_view::npos)
      break;
    start = at + 1;
  }
  return parts;
}

bool parseSigned(std::string_view text, int64_t &out) {
  bool negative = !text.empty() && text[0] == '-';
  uint64_t magnitude;
  if (!parseDecimal(negative ? text.substr(1) : text, magnitude))
    return false;
  if (negative) {
    if (magnitude > uint64_t(INT64_MAX) + 1)
      return false;
    out = magnitude == uint64_t(INT64_MAX) + 1
              ? INT64_MIN
              : -static_cast<int64_t>(magnitude);
    return true;
  }
  if (magnitude > uint64_t(INT64_MAX))
    return false;
  out = static_cast<int64_t>(magnitude);
  return true;
}

bool parseReal(std::string_view text, double &out) {
  if (text.empty() || text.size() > 64)
    return false;
  std::string copy(text);
  char *end = nullptr;
  errno = 0;
  double value = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size())
    return false;
  out = value;
  return true;
}

bool isIdentifier(std::string_view text) {
  if (text.empty() || (text[0] >= '0' && text[0] <= '9'))
    return false;
  for (char c : text)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '_'))
      return false;
  return true;
}

/// Reads the attributes of one field, remembering which were used so that
/// unknown attributes are reported.
class FieldReader {
public:
  FieldReader(const Field &field, size_t index, std::string &error)
      : field(field), index(index), error(error),
        used(field.attrs.size(), false) {}

  bool ok() const { return failed == false; }

  const std::string *raw(const char *name, bool required) {
    for (size_t i = 0; i < field.attrs.size(); ++i)
      if (field.attrs[i].first == name) {
        used[i] = true;
        return &field.attrs[i].second;
      }
    if (required)
      fail(std::string("missing attribute '") + name + "'");
    return nullptr;
  }

  bool str(const char *name, std::string &out, bool required = true) {
    const std::string *value = raw(name, required);
    if (value)
      out = *value;
    return value || !required;
  }
  bool nonEmpty(const char *name, std::string &out) {
    if (!str(name, out))
      return false;
    if (out.empty())
      return fail(std::string("attribute '") + name + "' is empty");
    return true;
  }
  template <typename T>
  bool unsignedInt(const char *name, T &out, bool required = true) {
    const std::string *value = raw(name, required);
    if (!value)
      return !required;
    uint64_t parsed;
    if (!parseDecimal(*value, parsed) || parsed > uint64_t(T(~T(0))))
      return bad(name, *value, "an unsigned integer");
    out = static_cast<T>(parsed);
    return true;
  }
  bool signedInt(const char *name, int &out, bool required = true) {
    const std::string *value = raw(name, required);
    if (!value)
      return !required;
    int64_t parsed;
    if (!parseSigned(*value, parsed) || parsed < INT32_MIN ||
        parsed > INT32_MAX)
      return bad(name, *value, "an integer");
    out = static_cast<int>(parsed);
    return true;
  }
  bool real(const char *name, double &out, bool required = true) {
    const std::string *value = raw(name, required);
    if (!value)
      return !required;
    if (!parseReal(*value, out))
      return bad(name, *value, "a number");
    return true;
  }
  /// An attribute that is present only when its value is known.
  bool optionalReal(const char *name, std::optional<double> &out) {
    const std::string *value = raw(name, false);
    if (!value)
      return true;
    double parsed;
    if (!parseReal(*value, parsed))
      return bad(name, *value, "a number");
    out = parsed;
    return true;
  }
  bool boolean(const char *name, bool &out, bool required = true) {
    const std::string *value = raw(name, required);
    if (!value)
      return !required;
    if (*value != "0" && *value != "1")
      return bad(name, *value, "0 or 1");
    out = *value == "1";
    return true;
  }
  template <typename Enum>
  bool enumeration(const char *name, Enum &out,
                   std::optional<Enum> (*parse)(std::string_view),
                   const char *expected, bool required = true) {
    const std::string *value = raw(name, required);
    if (!value)
      return !required;
    std::optional<Enum> parsed = parse(*value);
    if (!parsed)
      return bad(name, *value, expected);
    out = *parsed;
    return true;
  }
  bool u64List(const char *name, std::vector<uint64_t> &out) {
    const std::string *value = raw(name, true);
    if (!value)
      return false;
    out.clear();
    for (std::string_view part : splitOn(*value, ',')) {
      uint64_t parsed;
      if (!parseDecimal(part, parsed))
        return bad(name, *value, "a comma-separated list of unsigned integers");
      out.push_back(parsed);
    }
    return true;
  }
  bool dim3(const char *name, std::array<uint32_t, 3> &out) {
    const std::string *value = raw(name, true);
    if (!value)
      return false;
    std::vector<std::string_view> parts = splitOn(*value, ',');
    if (parts.size() != 3)
      return bad(name, *value, "three positive integers x,y,z");
    for (size_t d = 0; d < 3; ++d) {
      uint64_t parsed;
      if (!parseDecimal(parts[d], parsed) || parsed == 0 || parsed > UINT32_MAX)
        return bad(name, *value, "three positive integers x,y,z");
      out[d] = static_cast<uint32_t>(parsed);
    }
    return true;
  }

  bool fail(const std::string &why) {
    if (!failed)
      error = "field " + std::to_string(index + 1) + " ('" + field.key +
              "'): " + why;
    failed = true;
    return false;
  }
  bool bad(const char *name, const std::string &value, const char *expected) {
    return fail(std::string("attribute '") + name + "' is '" +
                value.substr(0, 60) + "', expected " + expected);
  }

  /// Checks that every attribute was used.
  bool finish() {
    if (failed)
      return false;
    for (size_t i = 0; i < used.size(); ++i)
      if (!used[i])
        return fail("unknown attribute '" + field.attrs[i].first + "'");
    return true;
  }

  const Field &field;

private:
  size_t index;
  std::string &error;
  std::vector<bool> used;
  bool failed = false;
};

/// Runs `handler(reader)` for every field; the handler picks by key and
/// returns false on error. Unknown keys are errors.
template <typename Handler>
bool forEachField(const Message &message, std::string &error, Handler handler) {
  for (size_t i = 0; i < message.fields.size(); ++i) {
    const Field &field = message.fields[i];
    FieldReader reader(field, i, error);
    int handled = handler(reader);
    if (handled < 0)
      return reader.fail("unknown field key '" + field.key + "'");
    if (!handled || !reader.finish())
      return false;
  }
  return true;
}

bool expectKind(const Message &message, const char *kind, std::string &error) {
  if (message.kind == kind)
    return true;
  error = "expected a '" + std::string(kind) + "' message, got '" +
          message.kind + "'";
  return false;
}

std::string formatMismatches(const std::vector<Mismatch> &list) {
  std::string out;
  for (size_t i = 0; i < list.size(); ++i) {
    if (i)
      out += ';';
    out +=
        std::to_string(list[i].index) + ":" + list[i].got + ":" + list[i].want;
  }
  return out;
}

bool parseMismatches(std::string_view text, std::vector<Mismatch> &out) {
  out.clear();
  for (std::string_view item : splitOn(text, ';')) {
    std::vector<std::string_view> parts = splitOn(item, ':');
    if (parts.size() != 3)
      return false;
    Mismatch m;
    if (!parseDecimal(parts[0], m.index))
      return false;
    m.got = std::string(parts[1]);
    m.want = std::string(parts[2]);
    out.push_back(std::move(m));
  }
  return true;
}

void addProgram(Message &message, const char *role,
                const ProgramSpec &program) {
  message.add("program")
      .set("role", role)
      .set("name", program.name)
      .setBlob(program.source);
  for (const std::string &option : program.options)
    message.add("option").set("role", role).set("value", option);
}

std::string formatLaunchArg(const LaunchArg &arg) {
  return arg.name.empty() ? std::to_string(arg.literal) : arg.name;
}

void addLaunch(Message &message, const char *key, const LaunchSpec &launch) {
  std::string args;
  for (size_t i = 0; i < launch.args.size(); ++i) {
    if (i)
      args += ',';
    args += formatLaunchArg(launch.args[i]);
  }
  message.add(key)
      .set("kernel", launch.kernel)
      .set("grid", joinNumbers(launch.grid))
      .set("block", joinNumbers(launch.block))
      .set("shared", u64(launch.sharedBytes))
      .set("args", args);
}

bool checkScalarValue(const ScalarSpec &scalar, std::string &why) {
  if (isFloating(scalar.type)) {
    double value;
    if (!parseReal(scalar.value, value)) {
      why = "is not a number";
      return false;
    }
    return true;
  }
  int64_t value;
  if (isSigned(scalar.type)) {
    if (!parseSigned(scalar.value, value)) {
      why = "is not an integer";
      return false;
    }
    unsigned bits = byteWidth(scalar.type) * 8;
    if (bits < 64 && (value < -(int64_t(1) << (bits - 1)) ||
                      value >= (int64_t(1) << (bits - 1)))) {
      why = "is out of range";
      return false;
    }
    return true;
  }
  uint64_t uvalue;
  if (!parseDecimal(scalar.value, uvalue)) {
    why = "is not an unsigned integer";
    return false;
  }
  unsigned bits = byteWidth(scalar.type) * 8;
  if (bits < 64 && uvalue >= (uint64_t(1) << bits)) {
    why = "is out of range";
    return false;
  }
  return true;
}

} // namespace

//===----------------------------------------------------------------------===//
// Requests
//===----------------------------------------------------------------------===//

Message protocol::makeSimpleRequest(std::string kind, uint64_t id) {
  Message message;
  message.kind = std::move(kind);
  message.id = id;
  return message;
}

Message protocol::toMessage(const CompileRequest &request) {
  Message message;
  message.kind = "compile";
  message.id = request.id;
  if (!request.arch.empty())
    message.add("arch").set("value", request.arch);
  addProgram(message, "candidate", request.program);
  for (const std::string &kernel : request.kernels)
    message.add("kernel").set("name", kernel);
  return message;
}

Message protocol::toMessage(const EvaluateRequest &request) {
  Message message;
  message.kind = "evaluate";
  message.id = request.id;
  if (!request.arch.empty())
    message.add("arch").set("value", request.arch);
  if (!request.label.empty())
    message.add("label").set("value", request.label);
  addProgram(message, "reference", request.reference);
  addProgram(message, "candidate", request.candidate);
  for (const BufferSpec &buffer : request.buffers)
    message.add("buffer")
        .set("name", buffer.name)
        .set("type", toString(buffer.type))
        .set("count", u64(buffer.count))
        .set("role", toString(buffer.role))
        .set("init", toString(buffer.init.dist))
        .set("p0", formatDouble(buffer.init.p0))
        .set("p1", formatDouble(buffer.init.p1))
        .set("atol", formatDouble(buffer.tolerance.atol))
        .set("rtol", formatDouble(buffer.tolerance.rtol))
        .set("exact", flag(buffer.tolerance.exact));
  for (const ScalarSpec &scalar : request.scalars)
    message.add("scalar")
        .set("name", scalar.name)
        .set("type", toString(scalar.type))
        .set("value", scalar.value);
  for (const LaunchSpec &launch : request.launches)
    addLaunch(message, "launch", launch);
  for (const LaunchSpec &launch : request.candidateLaunches)
    addLaunch(message, "candidate-launch", launch);
  message.add("seeds").set("values", joinNumbers(request.seeds));
  const TimingSpec &timing = request.timing;
  message.add("timing")
      .set("enabled", flag(timing.enabled))
      .set("warmup", u64(timing.warmup))
      .set("min-reps", u64(timing.minReps))
      .set("max-reps", u64(timing.maxReps))
      .set("target-rse", formatDouble(timing.targetRse))
      .set("min-time-ms", formatDouble(timing.minTimeMs))
      .set("max-time-ms", formatDouble(timing.maxTimeMs));
  if (request.extremes)
    message.add("extremes")
        .set("seed", u64(request.extremes->seed))
        .set("magnitude", formatDouble(request.extremes->magnitude));
  if (request.profileMetrics)
    message.add("profile").set("metrics", "1");
  return message;
}

const std::vector<LaunchSpec> &
protocol::getCandidateLaunches(const EvaluateRequest &request) {
  return request.candidateLaunches.empty() ? request.launches
                                           : request.candidateLaunches;
}

bool protocol::validateCandidateLaunches(const EvaluateRequest &request,
                                         std::string &error) {
  const std::vector<LaunchSpec> &ref = request.launches;
  const std::vector<LaunchSpec> &cand = request.candidateLaunches;
  if (cand.empty())
    return true;
  if (cand.size() != ref.size()) {
    error = "the candidate has " + std::to_string(cand.size()) +
            " launches ('candidate-launch') but the reference has " +
            std::to_string(ref.size()) +
            " ('launch'); only grid, block and shared may differ";
    return false;
  }
  for (size_t i = 0; i < ref.size(); ++i) {
    std::string where = "candidate launch " + std::to_string(i);
    if (cand[i].kernel != ref[i].kernel) {
      error = where + " runs kernel '" + cand[i].kernel +
              "' but the reference's launch " + std::to_string(i) + " runs '" +
              ref[i].kernel + "'; only grid, block and shared may differ";
      return false;
    }
    bool same = cand[i].args.size() == ref[i].args.size();
    for (size_t a = 0; same && a < ref[i].args.size(); ++a)
      same = cand[i].args[a].name == ref[i].args[a].name &&
             (!ref[i].args[a].name.empty() ||
              cand[i].args[a].literal == ref[i].args[a].literal);
    if (!same) {
      auto join = [](const std::vector<LaunchArg> &args) {
        std::string out;
        for (size_t a = 0; a < args.size(); ++a)
          out += (a ? "," : "") + formatLaunchArg(args[a]);
        return out;
      };
      error = where + " ('" + cand[i].kernel +
              "') passes args=" + join(cand[i].args) +
              " but the reference's passes args=" + join(ref[i].args) +
              "; only grid, block and shared may differ";
      return false;
    }
  }
  return true;
}

Message protocol::toMessage(const CalibrateRequest &request) {
  Message message;
  message.kind = "calibrate";
  message.id = request.id;
  if (request.copy)
    message.add("copy")
        .set("bytes", u64(request.bytes))
        .set("force", flag(request.force));
  for (const FlopsSpec &flops : request.flops)
    message.add("flops")
        .set("precision", flops.precision)
        .set("method", flops.method)
        .set("n", u64(flops.n))
        .set("force", flag(flops.force));
  return message;
}

/// Reads `program` and `option` fields into reference/candidate.
static int readProgramField(FieldReader &reader, ProgramSpec *reference,
                            ProgramSpec &candidate, bool seen[2]) {
  const Field &field = reader.field;
  std::string role;
  if (!reader.str("role", role))
    return 0;
  ProgramSpec *program = role == "candidate"                  ? &candidate
                         : (role == "reference" && reference) ? reference
                                                              : nullptr;
  if (!program)
    return reader.fail("unknown program role '" + role + "'");
  int slot = program == &candidate ? 1 : 0;
  if (field.key == "program") {
    if (seen[slot])
      return reader.fail("program '" + role + "' given twice");
    seen[slot] = true;
    if (!reader.str("name", program->name, false))
      return 0;
    if (!field.hasBlob)
      return reader.fail("program '" + role + "' has no source block");
    program->source = field.blob;
    return 1;
  }
  if (!seen[slot])
    return reader.fail("option for program '" + role +
                       "' comes before that program");
  std::string value;
  if (!reader.nonEmpty("value", value))
    return 0;
  program->options.push_back(std::move(value));
  return 1;
}

bool protocol::fromMessage(const Message &message, CompileRequest &out,
                           std::string &error) {
  if (!expectKind(message, "compile", error))
    return false;
  CompileRequest request;
  request.id = message.id;
  bool seen[2] = {false, false};
  bool ok = forEachField(message, error, [&](FieldReader &reader) -> int {
    const std::string &key = reader.field.key;
    if (key == "arch")
      return reader.nonEmpty("value", request.arch);
    if (key == "program" || key == "option")
      return readProgramField(reader, nullptr, request.program, seen);
    if (key == "kernel") {
      std::string name;
      if (!reader.nonEmpty("name", name))
        return 0;
      request.kernels.push_back(std::move(name));
      return 1;
    }
    return -1;
  });
  if (!ok)
    return false;
  if (!seen[1]) {
    error = "compile request has no 'program' field";
    return false;
  }
  out = std::move(request);
  return true;
}

bool protocol::fromMessage(const Message &message, EvaluateRequest &out,
                           std::string &error) {
  if (!expectKind(message, "evaluate", error))
    return false;
  EvaluateRequest request;
  request.id = message.id;
  bool seen[2] = {false, false};
  bool haveSeeds = false;
  std::set<std::string> names;
  bool ok = forEachField(message, error, [&](FieldReader &reader) -> int {
    const std::string &key = reader.field.key;
    if (key == "arch")
      return reader.nonEmpty("value", request.arch);
    if (key == "label")
      return reader.str("value", request.label);
    if (key == "program" || key == "option")
      return readProgramField(reader, &request.reference, request.candidate,
                              seen);
    if (key == "buffer") {
      BufferSpec buffer;
      if (!reader.nonEmpty("name", buffer.name) ||
          !reader.enumeration("type", buffer.type, parseElementType,
                              "an element type (f32, i32, ...)") ||
          !reader.unsignedInt("count", buffer.count) ||
          !reader.enumeration("role", buffer.role, parseRole,
                              "in, out or inout") ||
          !reader.enumeration("init", buffer.init.dist, parseDistribution,
                              "uniform, normal, constant, iota or zero") ||
          !reader.real("p0", buffer.init.p0, false) ||
          !reader.real("p1", buffer.init.p1, false) ||
          !reader.real("atol", buffer.tolerance.atol, false) ||
          !reader.real("rtol", buffer.tolerance.rtol, false) ||
          !reader.boolean("exact", buffer.tolerance.exact, false))
        return 0;
      if (!isIdentifier(buffer.name))
        return reader.fail("buffer name '" + buffer.name +
                           "' is not an identifier");
      if (buffer.count == 0)
        return reader.fail("buffer '" + buffer.name + "' has no elements");
      if (buffer.count > (uint64_t(1) << 40) / byteWidth(buffer.type))
        return reader.fail("buffer '" + buffer.name + "' is larger than 1 TiB");
      if (!(buffer.tolerance.atol >= 0) || !(buffer.tolerance.rtol >= 0) ||
          std::isinf(buffer.tolerance.atol) ||
          std::isinf(buffer.tolerance.rtol))
        return reader.fail("tolerances of buffer '" + buffer.name +
                           "' must be finite and non-negative");
      if (!names.insert(buffer.name).second)
        return reader.fail("name '" + buffer.name + "' is declared twice");
      request.buffers.push_back(std::move(buffer));
      return 1;
    }
    if (key == "scalar") {
      ScalarSpec scalar;
      if (!reader.nonEmpty("name", scalar.name) ||
          !reader.enumeration("type", scalar.type, parseElementType,
                              "an element type (f32, i32, ...)") ||
          !reader.nonEmpty("value", scalar.value))
        return 0;
      if (!isIdentifier(scalar.name))
        return reader.fail("scalar name '" + scalar.name +
                           "' is not an identifier");
      std::string why;
      if (!checkScalarValue(scalar, why))
        return reader.fail("value '" + scalar.value + "' of scalar '" +
                           scalar.name + "' " + why + " for " +
                           toString(scalar.type));
      if (!names.insert(scalar.name).second)
        return reader.fail("name '" + scalar.name + "' is declared twice");
      request.scalars.push_back(std::move(scalar));
      return 1;
    }
    if (key == "launch" || key == "candidate-launch") {
      std::vector<LaunchSpec> &list =
          key == "launch" ? request.launches : request.candidateLaunches;
      if (list.size() >= MaxLaunches)
        return reader.fail(
            "more than " + std::to_string(MaxLaunches) +
            (key == "launch" ? " launches" : " candidate launches"));
      LaunchSpec launch;
      std::string args;
      if (!reader.nonEmpty("kernel", launch.kernel) ||
          !reader.dim3("grid", launch.grid) ||
          !reader.dim3("block", launch.block) ||
          !reader.unsignedInt("shared", launch.sharedBytes) ||
          !reader.str("args", args))
        return 0;
      for (std::string_view item : splitOn(args, ',')) {
        LaunchArg arg;
        if (!item.empty() &&
            (item[0] == '-' || (item[0] >= '0' && item[0] <= '9'))) {
          if (!parseSigned(item, arg.literal))
            return reader.fail("launch argument '" + std::string(item) +
                               "' is not a 64-bit integer");
        } else {
          if (!isIdentifier(item))
            return reader.fail("launch argument '" + std::string(item) +
                               "' is neither a name nor an integer");
          if (!names.count(std::string(item)))
            return reader.fail("launch argument '" + std::string(item) +
                               "' names no buffer or scalar declared before "
                               "the launch");
          arg.name = std::string(item);
        }
        launch.args.push_back(std::move(arg));
      }
      list.push_back(std::move(launch));
      return 1;
    }
    if (key == "seeds") {
      if (!reader.u64List("values", request.seeds))
        return 0;
      haveSeeds = true;
      if (request.seeds.size() < 2)
        return reader.fail("verification needs at least two seeds");
      return 1;
    }
    if (key == "timing") {
      TimingSpec &timing = request.timing;
      if (!reader.boolean("enabled", timing.enabled) ||
          !reader.unsignedInt("warmup", timing.warmup, false) ||
          !reader.unsignedInt("min-reps", timing.minReps, false) ||
          !reader.unsignedInt("max-reps", timing.maxReps, false) ||
          !reader.real("target-rse", timing.targetRse, false) ||
          !reader.real("min-time-ms", timing.minTimeMs, false) ||
          !reader.real("max-time-ms", timing.maxTimeMs, false))
        return 0;
      if (timing.minReps < 1 || timing.maxReps < timing.minReps)
        return reader.fail("need 1 <= min-reps <= max-reps");
      if (!(timing.targetRse > 0) || !(timing.maxTimeMs >= 0) ||
          !(timing.minTimeMs >= 0))
        return reader.fail("target-rse must be positive and times "
                           "non-negative");
      return 1;
    }
    if (key == "extremes") {
      if (request.extremes)
        return reader.fail("'extremes' given twice");
      ExtremeSpec extremes;
      if (!reader.unsignedInt("seed", extremes.seed) ||
          !reader.real("magnitude", extremes.magnitude, false))
        return 0;
      if (!(extremes.magnitude >= 0) || std::isinf(extremes.magnitude))
        return reader.fail("magnitude must be finite and non-negative (0: "
                           "the element type's default)");
      request.extremes = extremes;
      return 1;
    }
    if (key == "profile")
      return reader.boolean("metrics", request.profileMetrics);
    return -1;
  });
  if (!ok)
    return false;
  if (!seen[0] || !seen[1]) {
    error = std::string("evaluate request has no '") +
            (seen[0] ? "candidate" : "reference") + "' program";
    return false;
  }
  if (request.launches.empty()) {
    error = "evaluate request has no 'launch' field";
    return false;
  }
  if (!validateCandidateLaunches(request, error))
    return false;
  if (!haveSeeds) {
    error = "evaluate request has no 'seeds' field";
    return false;
  }
  out = std::move(request);
  return true;
}

bool protocol::fromMessage(const Message &message, CalibrateRequest &out,
                           std::string &error) {
  if (!expectKind(message, "calibrate", error))
    return false;
  CalibrateRequest request;
  request.id = message.id;
  // A request without fields measures the copy with the defaults (as
  // version 1 did); otherwise only what its fields ask for.
  request.copy = message.fields.empty();
  bool ok = forEachField(message, error, [&](FieldReader &reader) -> int {
    if (reader.field.key == "flops") {
      FlopsSpec flops;
      if (!reader.str("precision", flops.precision) ||
          !reader.str("method", flops.method) ||
          !reader.unsignedInt("n", flops.n, false) ||
          !reader.boolean("force", flops.force, false))
        return 0;
      if (!isFlopsPrecision(flops.precision))
        return reader.bad("precision", flops.precision, "f16, f32 or f64");
      if (!isFlopsMethod(flops.method))
        return reader.bad("method", flops.method, "fma or cublas");
      if (flops.n < 256 || flops.n > 32768 || flops.n % 256)
        return reader.fail("n must be a multiple of 256 in [256, 32768]");
      // `force` is per field: forcing one rate re-measures only that one.
      request.flops.push_back(std::move(flops));
      return 1;
    }
    if (reader.field.key != "copy")
      return -1;
    if (request.copy)
      return reader.fail("'copy' given twice");
    request.copy = true;
    if (!reader.unsignedInt("bytes", request.bytes) ||
        !reader.boolean("force", request.force, false))
      return 0;
    if (request.bytes < 4096)
      return reader.fail("copy of fewer than 4096 bytes");
    return 1;
  });
  if (!ok)
    return false;
  out = request;
  return true;
}

//===----------------------------------------------------------------------===//
// Replies
//===----------------------------------------------------------------------===//

Message protocol::toMessage(const Hello &hello) {
  Message message;
  message.kind = "hello";
  message.add("worker")
      .set("version", hello.version)
      .set("protocol", std::to_string(hello.protocol))
      .set("pid", std::to_string(hello.pid));
  return message;
}

bool protocol::fromMessage(const Message &message, Hello &out,
                           std::string &error) {
  if (!expectKind(message, "hello", error))
    return false;
  Hello hello;
  bool seen = false;
  bool ok = forEachField(message, error, [&](FieldReader &reader) -> int {
    if (reader.field.key != "worker")
      return -1;
    seen = true;
    return reader.nonEmpty("version", hello.version) &&
           reader.signedInt("protocol", hello.protocol) &&
           reader.signedInt("pid", hello.pid);
  });
  if (!ok)
    return false;
  if (!seen) {
    error = "greeting has no 'worker' field";
    return false;
  }
  out = hello;
  return true;
}

Message protocol::toMessage(const Reply &reply) {
  Message message;
  message.kind = "reply";
  message.id = reply.id;
  message.add("status").set("value", reply.ok ? "ok" : "error");
  if (reply.error) {
    const ReplyError &error = *reply.error;
    Field &field = message.add("error");
    field.set("kind", toString(error.kind));
    if (!error.program.empty())
      field.set("program", error.program);
    if (!error.cudaError.empty())
      field.set("cuda-error", error.cudaError);
    field.setBlob(error.message);
    if (!error.log.empty())
      message.add("error-log").setBlob(error.log);
  }
  if (reply.device) {
    const DeviceInfo &d = *reply.device;
    message.add("device")
        .set("ordinal", std::to_string(d.ordinal))
        .set("name", d.name)
        .set("arch", d.arch)
        .set("uuid", d.uuid)
        .set("sms", std::to_string(d.smCount))
        .set("memory-bytes", u64(d.memoryBytes))
        .set("l2-bytes", u64(d.l2Bytes))
        .set("clock-khz", std::to_string(d.clockKHz))
        .set("memory-clock-khz", std::to_string(d.memoryClockKHz))
        .set("bus-width-bits", std::to_string(d.busWidthBits))
        .set("peak-bandwidth-gbs", formatDouble(d.peakBandwidthGBs))
        .set("driver-version", std::to_string(d.driverVersion))
        .set("nvrtc", d.nvrtcVersion)
        .set("guard-pages", flag(d.guardPages));
  }
  for (const CompileInfo &c : reply.compiles) {
    Field &field = message.add("compile");
    field.set("program", c.program)
        .set("cache", c.cacheHit ? "hit" : "miss")
        .set("ms", formatDouble(c.milliseconds))
        .set("hash", c.hash)
        .set("cubin", c.cubinPath)
        .set("bytes", u64(c.cubinBytes));
    if (!c.log.empty())
      field.setBlob(c.log);
  }
  for (const KernelResources &k : reply.kernels)
    message.add("kernel")
        .set("program", k.program)
        .set("name", k.kernel)
        .set("lowered", k.lowered)
        .set("registers", std::to_string(k.registers))
        .set("shared", std::to_string(k.staticSharedBytes))
        .set("local", std::to_string(k.localBytes))
        .set("const", std::to_string(k.constBytes))
        .set("max-threads", std::to_string(k.maxThreadsPerBlock))
        .set("params", std::to_string(k.parameters));
  for (const OutputCheck &c : reply.checks) {
    Field &field = message.add("check");
    field.set("program", c.program)
        .set("seed", u64(c.seed))
        .set("run", u64(c.run))
        .set("output", c.output)
        .set("against", c.against)
        .set("count", u64(c.count))
        .set("mismatches", u64(c.mismatches))
        .set("unwritten", u64(c.unwritten))
        .set("max-abs", formatDouble(c.maxAbsError))
        .set("max-rel", formatDouble(c.maxRelError))
        .set("err-norm", formatDouble(c.errorNorm))
        .set("ref-norm", formatDouble(c.referenceNorm))
        .set("bitwise", flag(c.bitwiseEqual));
    if (!c.first.empty())
      field.set("first", formatMismatches(c.first));
  }
  for (const Finding &f : reply.findings) {
    Field &field = message.add("finding");
    field.set("program", f.program)
        .set("kind", f.kind)
        .set("seed", u64(f.seed))
        .set("run", u64(f.run));
    if (!f.buffer.empty())
      field.set("buffer", f.buffer);
    field.setBlob(f.message);
  }
  if (!reply.verdict.empty())
    message.add("verdict")
        .set("value", reply.verdict)
        .set("reason", reply.verdictReason);
  for (const TimingStats &t : reply.timings)
    message.add("timing")
        .set("program", t.program)
        .set("reps", u64(t.reps))
        .set("median-ms", formatDouble(t.medianMs))
        .set("p10-ms", formatDouble(t.p10Ms))
        .set("p90-ms", formatDouble(t.p90Ms))
        .set("mean-ms", formatDouble(t.meanMs))
        .set("stddev-ms", formatDouble(t.stddevMs))
        .set("min-ms", formatDouble(t.minMs))
        .set("rse", formatDouble(t.rse));
  if (reply.integrity) {
    const Integrity &i = *reply.integrity;
    message.add("integrity")
        .set("seeds", joinNumbers(i.seeds))
        .set("runs-per-seed", u64(i.runsPerSeed))
        .set("poisoned", flag(i.poisoned))
        .set("inputs-checked", flag(i.inputsChecked))
        .set("guard", i.guard)
        .set("reference-deterministic", flag(i.referenceDeterministic))
        .set("candidate-deterministic", flag(i.candidateDeterministic))
        .set("rechecks", u64(i.rechecks))
        .set("l2-flush-bytes", u64(i.l2FlushBytes))
        .set("interleaved", flag(i.interleaved))
        .set("extreme-inputs", flag(i.extremeInputs));
  }
  if (reply.calibration) {
    const Calibration &c = *reply.calibration;
    message.add("calibration")
        .set("bytes", u64(c.bytes))
        .set("bandwidth-gbs", formatDouble(c.bandwidthGBs))
        .set("median-ms", formatDouble(c.medianMs))
        .set("reps", u64(c.reps))
        .set("cached", flag(c.cached));
  }
  for (const FlopsCalibration &c : reply.flopsCalibrations)
    message.add("flops-calibration")
        .set("precision", c.precision)
        .set("method", c.method)
        .set("n", u64(c.n))
        .set("gflops", formatDouble(c.gflops))
        .set("median-ms", formatDouble(c.medianMs))
        .set("reps", u64(c.reps))
        .set("cached", flag(c.cached));
  for (const ProfileMetrics &m : reply.metrics) {
    Field &field = message.add("metrics");
    field.set("program", m.program).set("ranges", u64(m.ranges));
    auto optional = [&](const char *name, const std::optional<double> &v) {
      if (v)
        field.set(name, formatDouble(*v));
    };
    optional("dram-read-bytes", m.dramReadBytes);
    optional("dram-write-bytes", m.dramWriteBytes);
    optional("flops-f16", m.flopsF16);
    optional("flops-f32", m.flopsF32);
    optional("flops-f64", m.flopsF64);
    optional("occupancy-pct", m.achievedOccupancyPct);
    optional("sm-throughput-pct", m.smThroughputPct);
    optional("tensor-pipe-pct", m.tensorPipePct);
    optional("duration-ns", m.durationNs);
  }
  for (const ClockSample &c : reply.clocks)
    message.add("clocks")
        .set("phase", c.phase)
        .set("samples", u64(c.samples))
        .set("sm-mhz", u64(c.smMHz))
        .set("memory-mhz", u64(c.memoryMHz))
        .set("max-sm-mhz", u64(c.maxSmMHz))
        .set("temperature-c", u64(c.temperatureC))
        .set("power-w", formatDouble(c.powerW))
        .set("reasons", u64(c.reasons));
  for (const Note &n : reply.notes)
    message.add("note").set("topic", n.topic).setBlob(n.message);
  return message;
}

bool protocol::fromMessage(const Message &message, Reply &out,
                           std::string &error) {
  if (!expectKind(message, "reply", error))
    return false;
  Reply reply;
  reply.id = message.id;
  bool haveStatus = false;
  bool ok = forEachField(message, error, [&](FieldReader &reader) -> int {
    const Field &field = reader.field;
    const std::string &key = field.key;
    if (key == "status") {
      std::string value;
      if (!reader.str("value", value))
        return 0;
      if (value != "ok" && value != "error")
        return reader.bad("value", value, "ok or error");
      reply.ok = value == "ok";
      haveStatus = true;
      return 1;
    }
    if (key == "error") {
      ReplyError e;
      if (!reader.enumeration("kind", e.kind, parseErrorKind,
                              "an error kind") ||
          !reader.str("program", e.program, false) ||
          !reader.str("cuda-error", e.cudaError, false))
        return 0;
      e.message = field.blob;
      reply.error = std::move(e);
      return 1;
    }
    if (key == "error-log") {
      if (!reply.error)
        return reader.fail("'error-log' before 'error'");
      reply.error->log = field.blob;
      return 1;
    }
    if (key == "device") {
      DeviceInfo d;
      if (!reader.signedInt("ordinal", d.ordinal) ||
          !reader.str("name", d.name) || !reader.str("arch", d.arch) ||
          !reader.str("uuid", d.uuid) || !reader.signedInt("sms", d.smCount) ||
          !reader.unsignedInt("memory-bytes", d.memoryBytes) ||
          !reader.unsignedInt("l2-bytes", d.l2Bytes) ||
          !reader.signedInt("clock-khz", d.clockKHz) ||
          !reader.signedInt("memory-clock-khz", d.memoryClockKHz) ||
          !reader.signedInt("bus-width-bits", d.busWidthBits) ||
          !reader.real("peak-bandwidth-gbs", d.peakBandwidthGBs) ||
          !reader.signedInt("driver-version", d.driverVersion) ||
          !reader.str("nvrtc", d.nvrtcVersion) ||
          !reader.boolean("guard-pages", d.guardPages))
        return 0;
      reply.device = std::move(d);
      return 1;
    }
    if (key == "compile") {
      CompileInfo c;
      std::string cache;
      if (!reader.str("program", c.program) || !reader.str("cache", cache) ||
          !reader.real("ms", c.milliseconds) || !reader.str("hash", c.hash) ||
          !reader.str("cubin", c.cubinPath) ||
          !reader.unsignedInt("bytes", c.cubinBytes))
        return 0;
      if (cache != "hit" && cache != "miss")
        return reader.bad("cache", cache, "hit or miss");
      c.cacheHit = cache == "hit";
      c.log = field.blob;
      reply.compiles.push_back(std::move(c));
      return 1;
    }
    if (key == "kernel") {
      KernelResources k;
      if (!reader.str("program", k.program) || !reader.str("name", k.kernel) ||
          !reader.str("lowered", k.lowered) ||
          !reader.signedInt("registers", k.registers) ||
          !reader.signedInt("shared", k.staticSharedBytes) ||
          !reader.signedInt("local", k.localBytes) ||
          !reader.signedInt("const", k.constBytes) ||
          !reader.signedInt("max-threads", k.maxThreadsPerBlock) ||
          !reader.signedInt("params", k.parameters))
        return 0;
      reply.kernels.push_back(std::move(k));
      return 1;
    }
    if (key == "check") {
      OutputCheck c;
      std::string first;
      if (!reader.str("program", c.program) ||
          !reader.unsignedInt("seed", c.seed) ||
          !reader.unsignedInt("run", c.run) ||
          !reader.str("output", c.output) ||
          !reader.str("against", c.against) ||
          !reader.unsignedInt("count", c.count) ||
          !reader.unsignedInt("mismatches", c.mismatches) ||
          !reader.unsignedInt("unwritten", c.unwritten) ||
          !reader.real("max-abs", c.maxAbsError) ||
          !reader.real("max-rel", c.maxRelError) ||
          !reader.real("err-norm", c.errorNorm) ||
          !reader.real("ref-norm", c.referenceNorm) ||
          !reader.boolean("bitwise", c.bitwiseEqual) ||
          !reader.str("first", first, false))
        return 0;
      if (!parseMismatches(first, c.first))
        return reader.bad("first", first, "index:got:want;...");
      reply.checks.push_back(std::move(c));
      return 1;
    }
    if (key == "finding") {
      Finding f;
      if (!reader.str("program", f.program) || !reader.str("kind", f.kind) ||
          !reader.unsignedInt("seed", f.seed) ||
          !reader.unsignedInt("run", f.run) ||
          !reader.str("buffer", f.buffer, false))
        return 0;
      f.message = field.blob;
      reply.findings.push_back(std::move(f));
      return 1;
    }
    if (key == "verdict") {
      if (!reader.nonEmpty("value", reply.verdict) ||
          !reader.str("reason", reply.verdictReason))
        return 0;
      return 1;
    }
    if (key == "timing") {
      TimingStats t;
      if (!reader.str("program", t.program) ||
          !reader.unsignedInt("reps", t.reps) ||
          !reader.real("median-ms", t.medianMs) ||
          !reader.real("p10-ms", t.p10Ms) || !reader.real("p90-ms", t.p90Ms) ||
          !reader.real("mean-ms", t.meanMs) ||
          !reader.real("stddev-ms", t.stddevMs) ||
          !reader.real("min-ms", t.minMs) || !reader.real("rse", t.rse))
        return 0;
      reply.timings.push_back(std::move(t));
      return 1;
    }
    if (key == "integrity") {
      Integrity i;
      if (!reader.u64List("seeds", i.seeds) ||
          !reader.unsignedInt("runs-per-seed", i.runsPerSeed) ||
          !reader.boolean("poisoned", i.poisoned) ||
          !reader.boolean("inputs-checked", i.inputsChecked) ||
          !reader.str("guard", i.guard) ||
          !reader.boolean("reference-deterministic",
                          i.referenceDeterministic) ||
          !reader.boolean("candidate-deterministic",
                          i.candidateDeterministic) ||
          !reader.unsignedInt("rechecks", i.rechecks) ||
          !reader.unsignedInt("l2-flush-bytes", i.l2FlushBytes) ||
          !reader.boolean("interleaved", i.interleaved) ||
          !reader.boolean("extreme-inputs", i.extremeInputs))
        return 0;
      reply.integrity = std::move(i);
      return 1;
    }
    if (key == "calibration") {
      Calibration c;
      if (!reader.unsignedInt("bytes", c.bytes) ||
          !reader.real("bandwidth-gbs", c.bandwidthGBs) ||
          !reader.real("median-ms", c.medianMs) ||
          !reader.unsignedInt("reps", c.reps) ||
          !reader.boolean("cached", c.cached))
        return 0;
      reply.calibration = c;
      return 1;
    }
    if (key == "flops-calibration") {
      FlopsCalibration c;
      if (!reader.nonEmpty("precision", c.precision) ||
          !reader.nonEmpty("method", c.method) ||
          !reader.unsignedInt("n", c.n) || !reader.real("gflops", c.gflops) ||
          !reader.real("median-ms", c.medianMs) ||
          !reader.unsignedInt("reps", c.reps) ||
          !reader.boolean("cached", c.cached))
        return 0;
      // As on the request side: a rate of an unknown precision or method
      // must not reach a roof.
      if (!isFlopsPrecision(c.precision))
        return reader.bad("precision", c.precision, "f16, f32 or f64");
      if (!isFlopsMethod(c.method))
        return reader.bad("method", c.method, "fma or cublas");
      if (!(c.gflops > 0) || std::isinf(c.gflops))
        return reader.bad("gflops", formatDouble(c.gflops),
                          "a positive finite number");
      reply.flopsCalibrations.push_back(std::move(c));
      return 1;
    }
    if (key == "metrics") {
      ProfileMetrics m;
      if (!reader.nonEmpty("program", m.program) ||
          !reader.unsignedInt("ranges", m.ranges) ||
          !reader.optionalReal("dram-read-bytes", m.dramReadBytes) ||
          !reader.optionalReal("dram-write-bytes", m.dramWriteBytes) ||
          !reader.optionalReal("flops-f16", m.flopsF16) ||
          !reader.optionalReal("flops-f32", m.flopsF32) ||
          !reader.optionalReal("flops-f64", m.flopsF64) ||
          !reader.optionalReal("occupancy-pct", m.achievedOccupancyPct) ||
          !reader.optionalReal("sm-throughput-pct", m.smThroughputPct) ||
          !reader.optionalReal("tensor-pipe-pct", m.tensorPipePct) ||
          !reader.optionalReal("duration-ns", m.durationNs))
        return 0;
      // Counters are counts and percentages: a negative or non-finite value
      // is a broken reply, not a measurement.
      for (const auto &[name, value] :
           {std::pair{"dram-read-bytes", m.dramReadBytes},
            {"dram-write-bytes", m.dramWriteBytes},
            {"flops-f16", m.flopsF16},
            {"flops-f32", m.flopsF32},
            {"flops-f64", m.flopsF64},
            {"occupancy-pct", m.achievedOccupancyPct},
            {"sm-throughput-pct", m.smThroughputPct},
            {"tensor-pipe-pct", m.tensorPipePct},
            {"duration-ns", m.durationNs}})
        if (value && !(*value >= 0 && std::isfinite(*value)))
          return reader.bad(name, formatDouble(*value),
                            "a finite non-negative number");
      for (const ProfileMetrics &other : reply.metrics)
        if (other.program == m.program)
          return reader.fail("metrics of program '" + m.program +
                             "' given twice");
      reply.metrics.push_back(std::move(m));
      return 1;
    }
    if (key == "clocks") {
      ClockSample c;
      if (!reader.nonEmpty("phase", c.phase) ||
          !reader.unsignedInt("samples", c.samples) ||
          !reader.unsignedInt("sm-mhz", c.smMHz) ||
          !reader.unsignedInt("memory-mhz", c.memoryMHz) ||
          !reader.unsignedInt("max-sm-mhz", c.maxSmMHz) ||
          !reader.unsignedInt("temperature-c", c.temperatureC) ||
          !reader.real("power-w", c.powerW) ||
          !reader.unsignedInt("reasons", c.reasons))
        return 0;
      if (c.phase != "before" && c.phase != "during" && c.phase != "after")
        return reader.bad("phase", c.phase, "before, during or after");
      reply.clocks.push_back(std::move(c));
      return 1;
    }
    if (key == "note") {
      Note n;
      if (!reader.nonEmpty("topic", n.topic))
        return 0;
      if (!field.hasBlob)
        return reader.fail("note has no message block");
      n.message = field.blob;
      reply.notes.push_back(std::move(n));
      return 1;
    }
    return -1;
  });
  if (!ok)
    return false;
  if (!haveStatus) {
    error = "reply has no 'status' field";
    return false;
  }
  if (!reply.ok && !reply.error) {
    error = "reply has status 'error' but no 'error' field";
    return false;
  }
  out = std::move(reply);
  return true;
}
