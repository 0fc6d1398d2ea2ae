// The kernel layer: which kernel runs (release, version, hostname) and what it
// lets a sandbox or container use: namespaces, cgroups, seccomp, Landlock,
// LSMs, io_uring, overlayfs, BTF, selected sysctls and build options, and the
// resource limits the probing process inherited. A container shares this
// layer with its host, so these facts are the host's.
#include <sys/resource.h>
#include <sys/utsname.h>

#include <array>

#include "probe/kernel_config.hpp"
#include "probe/kernel_features.hpp"
#include "probe/layers.hpp"
#include "probe/sys_text.hpp"

namespace strata::probe {

namespace {

using nlohmann::json;

struct Limit {
  std::string_view name;
  int resource;
};

constexpr std::array<Limit, 8> kLimits{{
    {"as", RLIMIT_AS},
    {"core", RLIMIT_CORE},
    {"cpu", RLIMIT_CPU},
    {"fsize", RLIMIT_FSIZE},
    {"memlock", RLIMIT_MEMLOCK},
    {"nofile", RLIMIT_NOFILE},
    {"nproc", RLIMIT_NPROC},
    {"stack", RLIMIT_STACK},
}};

json limit_value(rlim_t value) {
  return value == RLIM_INFINITY ? json("unlimited") : json(static_cast<std::uint64_t>(value));
}

void add_rlimit_facts(Facts& facts) {
  for (const Limit& limit : kLimits) {
    rlimit current = {};
    if (::getrlimit(limit.resource, &current) == 0) {
      add(facts, "rlimit." + std::string(limit.name),
          {{"soft", limit_value(current.rlim_cur)}, {"hard", limit_value(current.rlim_max)}}, "getrlimit(2)");
    }
  }
}

// One line of a /proc/sys/kernel file, trimmed; nullopt when absent or empty.
std::optional<std::string> read_line(const Root& root, std::string_view path) {
  const auto text = root.read(path);
  if (!text || sys::trim(*text).empty()) {
    return std::nullopt;
  }
  return std::string(sys::trim(*text));
}

// Returns the release, which later steps use to find the kernel's files.
std::string add_identity_facts(const Root& root, Facts& facts) {
  utsname names = {};
  if (root.is_live() && ::uname(&names) == 0) {
    add(facts, "release", names.release, "uname(2)");
    add(facts, "version", names.version, "uname(2)");
    add(facts, "hostname", names.nodename, "uname(2)");
    return names.release;
  }
  // The same strings uname(2) reports; /proc/version adds the compiler.
  const auto version = read_line(root, "/proc/sys/kernel/version");
  if (version) {
    add(facts, "version", *version, "/proc/sys/kernel/version");
  } else if (const auto banner = read_line(root, "/proc/version")) {
    add(facts, "version", *banner, "/proc/version");
  }
  if (const auto hostname = read_line(root, "/proc/sys/kernel/hostname")) {
    add(facts, "hostname", *hostname, "/proc/sys/kernel/hostname");
  }
  const auto release = read_line(root, "/proc/sys/kernel/osrelease");
  if (release) {
    add(facts, "release", *release, "/proc/sys/kernel/osrelease");
  }
  return release.value_or("");
}

}  // namespace

Facts probe_kernel(const Root& root) {
  Facts facts;
  const std::string release = add_identity_facts(root, facts);
  kern::add_namespace_facts(root, facts);
  kern::add_cgroup_facts(root, facts);
  kern::add_security_facts(root, facts);
  kern::add_feature_facts(root, release, facts);
  kern::add_sysctl_facts(root, facts);
  kern::add_config_facts(root, release, facts);
  if (root.is_live()) {
    add_rlimit_facts(facts);
  }
  return facts;
}

}  // namespace strata::probe
