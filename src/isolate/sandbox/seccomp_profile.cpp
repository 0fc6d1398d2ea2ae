// The OCI runtime-spec / Docker seccomp profile format, compiled the way runc
// compiles it (after Docker has resolved its conditional rules), so that a
// profile written for docker or podman means the same thing here.
#include <sys/utsname.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "base/json_error.hpp"
#include "isolate/sandbox/seccomp.hpp"
#include "isolate/sandbox/seccomp_verify.hpp"

namespace strata {

namespace {

using nlohmann::json;

constexpr std::string_view kStep = "load seccomp profile";
constexpr unsigned kMaxArgs = 6;  // seccomp_data.args
struct ActionName {
  std::string_view name;
  std::uint32_t action;
  // The largest errnoRet: the low 16 bits carry the errno (ERRNO, which
  // libseccomp takes only below MAX_ERRNO, 4095) or the tracer's message (TRACE); 0 for
  // actions that take none.
  std::uint32_t max_data;
};
// SCMP_ACT_KILL is a thread kill, as in libseccomp and runc.
constexpr auto kActions = std::to_array<ActionName>({{"SCMP_ACT_KILL", SCMP_ACT_KILL_THREAD, 0},
                                                     {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, 0},
                                                     {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, 0},
                                                     {"SCMP_ACT_TRAP", SCMP_ACT_TRAP, 0},
                                                     {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0U), 4094},
                                                     {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0U), 0xffff},
                                                     {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, 0},
                                                     {"SCMP_ACT_LOG", SCMP_ACT_LOG, 0}});

struct OpName {
  std::string_view name;
  scmp_compare op;
};
constexpr auto kOps = std::to_array<OpName>({{"SCMP_CMP_NE", SCMP_CMP_NE},
                                             {"SCMP_CMP_LT", SCMP_CMP_LT},
                                             {"SCMP_CMP_LE", SCMP_CMP_LE},
                                             {"SCMP_CMP_EQ", SCMP_CMP_EQ},
                                             {"SCMP_CMP_GE", SCMP_CMP_GE},
                                             {"SCMP_CMP_GT", SCMP_CMP_GT},
                                             {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ}});

constexpr std::uint32_t kUnsupportedArch = 0;  // SCMP_ARCH_NATIVE: never a real token

struct ArchName {
  std::string_view name;  // OCI
  std::uint32_t arch;     // libseccomp token
  std::string_view go;    // Docker's includes.arches / excludes.arches (Go's GOARCH)
};
constexpr auto kArches = std::to_array<ArchName>({
    {"SCMP_ARCH_X86", SCMP_ARCH_X86, "386"},
    {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64, "amd64"},
    {"SCMP_ARCH_X32", SCMP_ARCH_X32, "x32"},
    {"SCMP_ARCH_ARM", SCMP_ARCH_ARM, "arm"},
    {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64, "arm64"},
    {"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS, "mips"},
    {"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64, "mips64"},
    {"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32, "mips64n32"},
    {"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL, "mipsle"},
    {"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64, "mips64le"},
    {"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32, "mips64len32"},
    {"SCMP_ARCH_PPC", SCMP_ARCH_PPC, "ppc"},
    {"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64, "ppc64"},
    {"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE, "ppc64le"},
    {"SCMP_ARCH_S390", SCMP_ARCH_S390, "s390"},
    {"SCMP_ARCH_S390X", SCMP_ARCH_S390X, "s390x"},
    {"SCMP_ARCH_PARISC", SCMP_ARCH_PARISC, "parisc"},
    {"SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64, "parisc64"},
    {"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64, "riscv64"},
// In the OCI spec but newer than Debian 12's libseccomp: accepted in an
// archMap entry for another machine, refused where they would be used.
#ifdef SCMP_ARCH_LOONGARCH64
    {"SCMP_ARCH_LOONGARCH64", SCMP_ARCH_LOONGARCH64, "loong64"},
#else
    {"SCMP_ARCH_LOONGARCH64", kUnsupportedArch, "loong64"},
#endif
#ifdef SCMP_ARCH_M68K
    {"SCMP_ARCH_M68K", SCMP_ARCH_M68K, "m68k"},
#else
    {"SCMP_ARCH_M68K", kUnsupportedArch, "m68k"},
#endif
#ifdef SCMP_ARCH_SH
    {"SCMP_ARCH_SH", SCMP_ARCH_SH, "sh"},
    {"SCMP_ARCH_SHEB", SCMP_ARCH_SHEB, "sheb"},
#else
    {"SCMP_ARCH_SH", kUnsupportedArch, "sh"},
    {"SCMP_ARCH_SHEB", kUnsupportedArch, "sheb"},
#endif
});

// Flags runc passes to seccomp(2). They are accepted and not applied: the
// program is installed by install_seccomp() without flags, which is the
// stricter reading of each (no logging change, no speculation opt-out; TSYNC
// is moot in a single-threaded child).
constexpr auto kFlags = std::to_array<std::string_view>(
    {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
     "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"});

template <class Row>
const Row* lookup(std::span<const Row> rows, std::string_view name) {
  const auto it = std::ranges::find(rows, name, &Row::name);
  return it == rows.end() ? nullptr : &*it;
}

using Version = std::array<unsigned, 3>;

// "5.10", "4.8.0", "6.18.44-fc": the leading dot-separated numbers.
std::optional<Version> parse_version(std::string_view text) {
  Version v{};
  std::size_t part = 0;
  std::size_t i = 0;
  while (part < v.size()) {
    const std::size_t start = i;
    unsigned value = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9' && value < 100000) {
      value = value * 10 + static_cast<unsigned>(text[i] - '0');
      ++i;
    }
    if (i == start) {
      return part == 0 ? std::nullopt : std::optional(v);
    }
    v.at(part++) = value;
    if (i >= text.size() || text[i] != '.') {
      break;
    }
    ++i;
  }
  return v;
}

// What Docker's conditional rules ("includes", "excludes") are judged against.
struct Platform {
  std::string_view go_arch;
  Version kernel{};
};

Platform host_platform() {
  Platform platform;
  const std::uint32_t native = seccomp_arch_native();
  for (const ArchName& row : kArches) {
    if (row.arch == native) {
      platform.go_arch = row.go;
    }
  }
  utsname uts{};
  if (::uname(&uts) == 0) {
    platform.kernel = parse_version(uts.release).value_or(Version{});
  }
  return platform;
}

// Compiles one profile; every error names the JSON location it is about.
class ProfileCompiler {
 public:
  ProfileCompiler(std::string_view source, Platform platform) : source_(source), platform_(platform) {}

  Result<SeccompProgram> compile(const json& root);

 private:
  std::unexpected<Error> bad(const std::string& where, const std::string& what) const {
    return fail(std::string(kStep), source_, where + ": " + what);
  }

  // Typed access: absent and null members are both "not given".
  static const json* member(const json& object, const char* key);
  Result<std::string_view> string_at(const json& node, const std::string& where) const;
  Result<std::uint64_t> uint_at(const json& node, const std::string& where) const;
  Result<> check_array(const json& node, const std::string& where) const;
  // An optional array of strings in `object` (which may be null).
  Result<std::vector<std::string_view>> strings(const json* object, const char* key,
                                                const std::string& where) const;

  Result<std::uint32_t> action(const json& entry, const char* action_key, const char* errno_key,
                               const std::string& where) const;
  Result<> add_arches(const json& root);
  Result<> add_arch_list(const json& root);
  Result<> add_arch_map(const json& map);
  Result<> add_arch(std::string_view name, const std::string& where);
  Result<> check_flags(const json& root) const;
  Result<bool> applies(const json& entry, const std::string& where) const;
  Result<std::optional<Version>> min_kernel(const json* cond, const std::string& where) const;
  Result<scmp_arg_cmp> condition(const json& arg, const std::string& at) const;
  Result<std::vector<scmp_arg_cmp>> conditions(const json& entry, const std::string& where) const;
  Result<std::vector<std::string_view>> names(const json& entry, const std::string& where) const;
  Result<> add_syscalls(const json& root);
  Result<> add_entry(const json& entry, const std::string& where);
  Result<> add_rule(int nr, std::uint32_t action, std::span<const scmp_arg_cmp> args, const std::string& name,
                    const std::string& where);

  std::string source_;
  Platform platform_;
  seccomp_detail::FilterContext ctx_;
  std::uint32_t default_action_ = 0;
  std::vector<SeccompRule> rules_;  // as given to libseccomp, to verify its output
};

const json* ProfileCompiler::member(const json& object, const char* key) {
  const auto it = object.find(key);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

Result<std::string_view> ProfileCompiler::string_at(const json& node, const std::string& where) const {
  if (!node.is_string()) {
    return bad(where, "expected a string");
  }
  return std::string_view(node.get_ref<const std::string&>());
}

Result<std::uint64_t> ProfileCompiler::uint_at(const json& node, const std::string& where) const {
  if (!node.is_number_unsigned()) {
    return bad(where, "expected an unsigned integer");
  }
  return node.get<std::uint64_t>();
}

Result<> ProfileCompiler::check_array(const json& node, const std::string& where) const {
  if (!node.is_array()) {
    return bad(where, "expected an array");
  }
  return {};
}

Result<std::vector<std::string_view>> ProfileCompiler::strings(const json* object, const char* key,
                                                               const std::string& where) const {
  std::vector<std::string_view> out;
  const json* list = object == nullptr ? nullptr : member(*object, key);
  if (list == nullptr) {
    return out;
  }
  const std::string at = where.empty() ? std::string(key) : where + "." + key;
  if (auto ok = check_array(*list, at); !ok) {
    return std::unexpected(ok.error());
  }
  for (std::size_t i = 0; i < list->size(); ++i) {
    auto item = string_at((*list)[i], at + "[" + std::to_string(i) + "]");
    if (!item) {
      return std::unexpected(item.error());
    }
    out.push_back(*item);
  }
  return out;
}

Result<std::uint32_t> ProfileCompiler::action(const json& entry, const char* action_key,
                                              const char* errno_key, const std::string& where) const {
  const std::string action_where = where.empty() ? action_key : where + "." + action_key;
  const std::string errno_where = where.empty() ? errno_key : where + "." + errno_key;
  const json* node = member(entry, action_key);
  if (node == nullptr) {
    return bad(action_where, "missing");
  }
  auto name = string_at(*node, action_where);
  if (!name) {
    return std::unexpected(name.error());
  }
  if (*name == "SCMP_ACT_NOTIFY") {
    return bad(action_where, "SCMP_ACT_NOTIFY needs a seccomp agent, which strata does not run");
  }
  const ActionName* row = lookup<ActionName>(kActions, *name);
  if (row == nullptr) {
    return bad(action_where, "unknown action '" + std::string(*name) + "'");
  }
  const json* errno_node = member(entry, errno_key);
  if (row->max_data == 0) {
    if (errno_node != nullptr) {
      return bad(errno_where, "only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take a return value");
    }
    return row->action;
  }
  if (errno_node == nullptr) {
    return row->action | EPERM;  // runc's default for both
  }
  auto value = uint_at(*errno_node, errno_where);
  if (!value) {
    return std::unexpected(value.error());
  }
  if (*value > row->max_data) {
    return bad(errno_where, "must be at most " + std::to_string(row->max_data));
  }
  return row->action | static_cast<std::uint32_t>(*value);
}

Result<> ProfileCompiler::add_arch(std::string_view name, const std::string& where) {
  const ArchName* row = lookup<ArchName>(kArches, name);
  if (row == nullptr) {
    return bad(where, "unknown architecture '" + std::string(name) + "'");
  }
  if (row->arch == kUnsupportedArch) {
    return bad(where, "architecture '" + std::string(name) + "' is not supported by this libseccomp");
  }
  const int rc = seccomp_arch_add(ctx_.get(), row->arch);
  if (rc != 0 && rc != -EEXIST) {
    return bad(where, "libseccomp cannot add architecture '" + std::string(name) +
                          "' to this filter (mixed byte order?): " + std::strerror(-rc));
  }
  return {};
}

// "architectures" (OCI): the ABIs to cover besides the native one.
Result<> ProfileCompiler::add_arch_list(const json& root) {
  auto names = strings(&root, "architectures", "");
  if (!names) {
    return std::unexpected(names.error());
  }
  for (std::size_t i = 0; i < names->size(); ++i) {
    if (auto ok = add_arch(names->at(i), "architectures[" + std::to_string(i) + "]"); !ok) {
      return ok;
    }
  }
  return {};
}

// "archMap" (Docker): per native architecture, the sub-architectures to add.
// Entries for other machines are only checked.
Result<> ProfileCompiler::add_arch_map(const json& map) {
  if (auto ok = check_array(map, "archMap"); !ok) {
    return ok;
  }
  for (std::size_t i = 0; i < map.size(); ++i) {
    const std::string where = "archMap[" + std::to_string(i) + "]";
    const json& row = map[i];
    if (!row.is_object() || member(row, "architecture") == nullptr) {
      return bad(where, "expected an object with 'architecture'");
    }
    auto name = string_at(*member(row, "architecture"), where + ".architecture");
    if (!name) {
      return std::unexpected(name.error());
    }
    const ArchName* arch = lookup<ArchName>(kArches, *name);
    if (arch == nullptr) {
      return bad(where + ".architecture", "unknown architecture '" + std::string(*name) + "'");
    }
    auto subs = strings(&row, "subArchitectures", where);
    if (!subs) {
      return std::unexpected(subs.error());
    }
    for (std::size_t j = 0; j < subs->size(); ++j) {
      const std::string sub_where = where + ".subArchitectures[" + std::to_string(j) + "]";
      if (arch->arch == seccomp_arch_native()) {
        if (auto ok = add_arch(subs->at(j), sub_where); !ok) {
          return ok;
        }
      } else if (lookup<ArchName>(kArches, subs->at(j)) == nullptr) {
        return bad(sub_where, "unknown architecture '" + std::string(subs->at(j)) + "'");
      }
    }
  }
  return {};
}

Result<> ProfileCompiler::add_arches(const json& root) {
  const json* list = member(root, "architectures");
  const json* map = member(root, "archMap");
  if (list != nullptr && map != nullptr) {
    return bad("archMap", "give either 'architectures' or 'archMap', not both");
  }
  if (list != nullptr) {
    return add_arch_list(root);
  }
  return map == nullptr ? Result<>{} : add_arch_map(*map);
}

Result<> ProfileCompiler::check_flags(const json& root) const {
  auto flags = strings(&root, "flags", "");
  if (!flags) {
    return std::unexpected(flags.error());
  }
  for (std::size_t i = 0; i < flags->size(); ++i) {
    if (std::ranges::find(kFlags, flags->at(i)) == kFlags.end()) {
      return bad("flags[" + std::to_string(i) + "]", "unknown flag '" + std::string(flags->at(i)) + "'");
    }
  }
  return {};
}

Result<std::optional<Version>> ProfileCompiler::min_kernel(const json* cond, const std::string& where) const {
  const json* node = cond == nullptr ? nullptr : member(*cond, "minKernel");
  if (node == nullptr) {
    return std::nullopt;
  }
  auto text = string_at(*node, where + ".minKernel");
  if (!text) {
    return std::unexpected(text.error());
  }
  auto version = parse_version(*text);
  if (!version) {
    return bad(where + ".minKernel", "expected a kernel version like \"4.8\"");
  }
  return version;
}

// Docker's "includes" and "excludes". strata does not tell this loader which
// capabilities the workload keeps, so rules are judged as for a process with
// none (strata's default): "includes.caps" drops the rule, "excludes.caps"
// never does. An unlisted capability can thus only make a profile stricter.
Result<bool> ProfileCompiler::applies(const json& entry, const std::string& where) const {
  const json* inc = member(entry, "includes");
  const json* exc = member(entry, "excludes");
  if ((inc != nullptr && !inc->is_object()) || (exc != nullptr && !exc->is_object())) {
    return bad(where + (inc != nullptr && !inc->is_object() ? ".includes" : ".excludes"),
               "expected an object");
  }
  auto inc_arches = strings(inc, "arches", where + ".includes");
  auto exc_arches = strings(exc, "arches", where + ".excludes");
  auto inc_caps = strings(inc, "caps", where + ".includes");
  auto exc_caps = strings(exc, "caps", where + ".excludes");
  for (const auto* list : {&inc_arches, &exc_arches, &inc_caps, &exc_caps}) {
    if (!*list) {
      return std::unexpected(list->error());
    }
  }
  auto inc_kernel = min_kernel(inc, where + ".includes");
  auto exc_kernel = min_kernel(exc, where + ".excludes");
  if (!inc_kernel || !exc_kernel) {
    return std::unexpected(!inc_kernel ? inc_kernel.error() : exc_kernel.error());
  }
  const auto has = [](const std::vector<std::string_view>& list, std::string_view name) {
    return std::ranges::find(list, name) != list.end();
  };
  if (has(*exc_arches, platform_.go_arch) || (!inc_arches->empty() && !has(*inc_arches, platform_.go_arch))) {
    return false;
  }
  if (!inc_caps->empty()) {
    return false;
  }
  if (*exc_kernel && platform_.kernel >= **exc_kernel) {
    return false;
  }
  return !*inc_kernel || platform_.kernel >= **inc_kernel;
}

Result<scmp_arg_cmp> ProfileCompiler::condition(const json& arg, const std::string& at) const {
  if (!arg.is_object()) {
    return bad(at, "expected an object");
  }
  const json* index = member(arg, "index");
  const json* value = member(arg, "value");
  const json* two = member(arg, "valueTwo");
  const json* op = member(arg, "op");
  if (index == nullptr || value == nullptr || op == nullptr) {
    return bad(at, "needs 'index', 'value' and 'op'");
  }
  auto idx = uint_at(*index, at + ".index");
  if (!idx) {
    return std::unexpected(idx.error());
  }
  if (*idx >= kMaxArgs) {
    return bad(at + ".index", "must be below " + std::to_string(kMaxArgs));
  }
  auto datum_a = uint_at(*value, at + ".value");
  if (!datum_a) {
    return std::unexpected(datum_a.error());
  }
  auto datum_b = two == nullptr ? Result<std::uint64_t>(0) : uint_at(*two, at + ".valueTwo");
  if (!datum_b) {
    return std::unexpected(datum_b.error());
  }
  auto op_name = string_at(*op, at + ".op");
  if (!op_name) {
    return std::unexpected(op_name.error());
  }
  const OpName* row = lookup<OpName>(kOps, *op_name);
  if (row == nullptr) {
    return bad(at + ".op", "unknown operator '" + std::string(*op_name) + "'");
  }
  // For SCMP_CMP_MASKED_EQ "value" is the mask and "valueTwo" the datum.
  return scmp_arg_cmp{
      .arg = static_cast<unsigned>(*idx), .op = row->op, .datum_a = *datum_a, .datum_b = *datum_b};
}

Result<std::vector<scmp_arg_cmp>> ProfileCompiler::conditions(const json& entry,
                                                              const std::string& where) const {
  std::vector<scmp_arg_cmp> out;
  const json* args = member(entry, "args");
  if (args == nullptr) {
    return out;
  }
  if (auto ok = check_array(*args, where + ".args"); !ok) {
    return std::unexpected(ok.error());
  }
  for (std::size_t i = 0; i < args->size(); ++i) {
    auto cmp = condition((*args)[i], where + ".args[" + std::to_string(i) + "]");
    if (!cmp) {
      return std::unexpected(cmp.error());
    }
    out.push_back(*cmp);
  }
  return out;
}

Result<std::vector<std::string_view>> ProfileCompiler::names(const json& entry,
                                                             const std::string& where) const {
  const json* single = member(entry, "name");  // Docker's older form
  if (single == nullptr) {
    return strings(&entry, "names", where);
  }
  if (member(entry, "names") != nullptr) {
    return bad(where, "give either 'name' or 'names', not both");
  }
  auto name = string_at(*single, where + ".name");
  if (!name) {
    return std::unexpected(name.error());
  }
  return std::vector{*name};
}

Result<> ProfileCompiler::add_rule(int nr, std::uint32_t action, std::span<const scmp_arg_cmp> args,
                                   const std::string& name, const std::string& where) {
  const int rc =
      seccomp_rule_add_array(ctx_.get(), action, nr, static_cast<unsigned>(args.size()), args.data());
  if (rc != 0) {
    return bad(where, "libseccomp refused the rule for '" + name + "': " + std::strerror(-rc));
  }
  rules_.push_back(SeccompRule{
      .nr = nr, .action = action, .compares = {args.begin(), args.end()}, .name = name, .where = where});
  return {};
}

Result<> ProfileCompiler::add_entry(const json& entry, const std::string& where) {
  if (!entry.is_object()) {
    return bad(where, "expected an object");
  }
  auto act = action(entry, "action", "errnoRet", where);
  if (!act) {
    return std::unexpected(act.error());
  }
  auto conds = conditions(entry, where);
  if (!conds) {
    return std::unexpected(conds.error());
  }
  auto wanted = applies(entry, where);
  if (!wanted) {
    return std::unexpected(wanted.error());
  }
  auto syscalls = names(entry, where);
  if (!syscalls) {
    return std::unexpected(syscalls.error());
  }
  // Like runc: a rule that repeats the default action is redundant (and
  // libseccomp refuses it).
  if (!*wanted || *act == default_action_) {
    return {};
  }
  // libseccomp cannot AND two compares on one argument; runc then adds each
  // compare as a rule of its own (so they OR), and profiles are written
  // against that behaviour.
  std::array<unsigned, kMaxArgs> per_index{};
  for (const scmp_arg_cmp& c : *conds) {
    ++per_index.at(c.arg);
  }
  const bool split = std::ranges::any_of(per_index, [](unsigned n) { return n > 1; });
  for (const std::string_view view : *syscalls) {
    // Unknown to this libseccomp (a newer or misspelt name): skipped, as runc does.
    const std::string name(view);
    const int nr = seccomp_syscall_resolve_name(name.c_str());
    if (nr == __NR_SCMP_ERROR) {
      continue;
    }
    if (!split) {
      if (auto ok = add_rule(nr, *act, *conds, name, where); !ok) {
        return ok;
      }
      continue;
    }
    for (const scmp_arg_cmp& c : *conds) {
      if (auto ok = add_rule(nr, *act, std::span(&c, 1), name, where); !ok) {
        return ok;
      }
    }
  }
  return {};
}

Result<> ProfileCompiler::add_syscalls(const json& root) {
  const json* calls = member(root, "syscalls");
  if (calls == nullptr) {
    return {};
  }
  if (auto ok = check_array(*calls, "syscalls"); !ok) {
    return ok;
  }
  for (std::size_t i = 0; i < calls->size(); ++i) {
    if (auto ok = add_entry((*calls)[i], "syscalls[" + std::to_string(i) + "]"); !ok) {
      return ok;
    }
  }
  return {};
}

Result<SeccompProgram> ProfileCompiler::compile(const json& root) {
  if (!root.is_object()) {
    return bad("(top level)", "expected a JSON object");
  }
  auto def = action(root, "defaultAction", "defaultErrnoRet", "");
  if (!def) {
    return std::unexpected(def.error());
  }
  default_action_ = *def;
  ctx_.reset(seccomp_init(default_action_));
  if (!ctx_) {
    return bad("defaultAction", "libseccomp refused it");
  }
  // A syscall from an ABI the profile does not name cannot be judged by it.
  if (const int rc = seccomp_attr_set(ctx_.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS); rc != 0) {
    return fail_errno("set seccomp bad-architecture action", source_, -rc);
  }
  // A binary search over syscall numbers instead of a linear scan: a Docker
  // profile lists ~350 syscalls, and every syscall the workload makes runs it.
  if (const int rc = seccomp_attr_set(ctx_.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2); rc != 0) {
    return fail_errno("set seccomp optimization level", source_, -rc);
  }
  if (auto ok = check_flags(root); !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = add_arches(root); !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = add_syscalls(root); !ok) {
    return std::unexpected(ok.error());
  }
  auto program = seccomp_detail::export_program(ctx_.get(), source_);
  if (!program) {
    return program;
  }
  if (auto ok = verify_seccomp_program(*program, default_action_, rules_, source_); !ok) {
    return std::unexpected(ok.error());
  }
  return program;
}

}  // namespace

Result<SeccompProgram> compile_seccomp_profile(std::string_view json_text, std::string_view source_name) {
  json root;
  try {
    root = json::parse(json_text);
  } catch (const json::exception& e) {
    return fail(std::string(kStep), std::string(source_name), json_error_text(e.what()));
  }
  try {
    return ProfileCompiler(source_name, host_platform()).compile(root);
  } catch (const json::exception& e) {  // every access is type-checked first; this is a backstop
    return fail(std::string(kStep), std::string(source_name), json_error_text(e.what()));
  }
}

}  // namespace strata
