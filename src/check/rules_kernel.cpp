// kernel: the release (numerically: "6.1.0-18-amd64" is 6.1.0) against the
// newest release any need names, and each kernel feature strata trace saw
// against the fact that shows it on the target. A container shares the
// host's kernel, so only a VM with another kernel fixes what is unmet here.
#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "check/rules.hpp"
#include "diff/version.hpp"

namespace strata::check {

namespace {

struct FeatureRelease {
  std::string_view feature;
  std::string_view release;  // the first Linux release with it
};

// The releases that introduced each feature, used when the tracer gives none.
constexpr std::array<FeatureRelease, 7> kFeatureReleases{{
    {"io_uring", "5.1"},
    {"landlock", "5.13"},
    {"user_namespace", "3.8"},
    {"seccomp", "3.5"},
    {"bpf", "3.18"},
    {"perf_event", "2.6.31"},
    {"userfaultfd", "4.3"},
}};

constexpr std::array<std::string_view, 8> kNamespaces{"cgroup", "ipc",  "mnt",  "net",
                                                      "pid",    "time", "user", "uts"};

std::string feature_release(const KernelFeature& f) {
  if (f.min_kernel) {
    return release_numbers(*f.min_kernel);
  }
  const auto* known = std::ranges::find(kFeatureReleases, f.feature, &FeatureRelease::feature);
  return known == kFeatureReleases.end() ? std::string() : std::string(known->release);
}

// "net_namespace" -> "net"; "" when `feature` names no namespace.
std::string namespace_of(std::string_view feature) {
  constexpr std::string_view kSuffix = "_namespace";
  if (!feature.ends_with(kSuffix)) {
    return {};
  }
  const std::string_view name = feature.substr(0, feature.size() - kSuffix.size());
  return std::ranges::find(kNamespaces, name) != kNamespaces.end() ? std::string(name) : std::string();
}

bool is_false(const nlohmann::json* value) {
  return value != nullptr && value->is_boolean() && !value->get<bool>();
}
bool is_true(const nlohmann::json* value) {
  return value != nullptr && value->is_boolean() && value->get<bool>();
}
// A config.CONFIG_X fact that says the option is not built.
bool not_built(const Context& c, std::string_view option) {
  const auto value = c.text(Layer::kernel, fmt::format("config.{}", option));
  return value && *value == "n";
}

// What one feature check found on the target; `has` empty means met.
struct Finding {
  std::string has;     // what the target has instead
  std::string reason;  // why that breaks
};

void check_min_kernel(Context& c, const std::optional<std::string>& release) {
  const auto& wanted = c.needs().min_kernel;
  if (!wanted || !c.require_layer(Layer::kernel, "min_kernel")) {
    return;
  }
  if (!release) {
    c.not_checked(Layer::kernel, "min_kernel", "the target manifest has no kernel release");
    return;
  }
  const std::string want = release_numbers(*wanted);
  if (diff::compare_versions(release_numbers(*release), want) >= 0) {
    c.met(Layer::kernel);
    return;
  }
  const std::string& because = c.needs().min_kernel_because;
  c.unmet(
      {.layer = Layer::kernel,
       .need = "min_kernel",
       .wanted = ">= " + want,
       .target_has = *release,
       .reason = fmt::format("the workload needs Linux >= {}{}; the target runs {}: a container shares that "
                             "kernel, a VM with a newer one runs it",
                             want, because.empty() ? "" : " (" + because + ")", *release),
       .provide = "Linux >= " + want});
}

// The feature's own fact on the target; nullopt when the manifest cannot say.
std::optional<Finding> judge_feature(const Context& c, const KernelFeature& f) {
  const std::string ns = f.feature == "user_namespace" ? "user" : namespace_of(f.feature);
  if (f.feature == "io_uring") {
    if (is_false(c.fact(Layer::kernel, "io_uring.enabled")) || not_built(c, "CONFIG_IO_URING")) {
      return Finding{"disabled", "io_uring is disabled (kernel.io_uring_disabled, or not built)"};
    }
    return c.fact(Layer::kernel, "io_uring.enabled") != nullptr ? std::optional(Finding{}) : std::nullopt;
  }
  if (f.feature == "landlock") {
    const long long want = f.abi.value_or(1);
    const nlohmann::json* abi = c.fact(Layer::kernel, "landlock.abi");
    if (abi == nullptr || !abi->is_number_integer()) {
      return std::nullopt;
    }
    if (abi->get<long long>() >= want) {
      return Finding{};
    }
    return Finding{
        fmt::format("Landlock ABI {}", abi->get<long long>()),
        fmt::format("the workload asks for Landlock ABI {}{}", want,
                    abi->get<long long>() == 0 ? " and Landlock is off (not built or not in lsm=)" : "")};
  }
  if (!ns.empty()) {
    const nlohmann::json* present = c.fact(Layer::kernel, "namespaces." + ns);
    if (present == nullptr) {
      return std::nullopt;
    }
    if (!is_true(present)) {
      return Finding{"no " + ns + " namespaces", fmt::format("the kernel has no {} namespaces", ns)};
    }
    if (ns == "user" && is_false(c.fact(Layer::kernel, "userns.unprivileged"))) {
      return Finding{"unprivileged user namespaces disabled",
                     "an unprivileged process may not create a user namespace here (a sysctl or AppArmor)"};
    }
    return Finding{};
  }
  if (f.feature == "seccomp") {
    const nlohmann::json* actions = c.fact(Layer::kernel, "seccomp.filter");
    if (not_built(c, "CONFIG_SECCOMP_FILTER") || (actions != nullptr && actions->empty())) {
      return Finding{"no seccomp filters", "the kernel offers no seccomp filter actions"};
    }
    return actions != nullptr ? std::optional(Finding{}) : std::nullopt;
  }
  if (f.feature == "bpf" && not_built(c, "CONFIG_BPF_SYSCALL")) {
    return Finding{"no bpf()", "the kernel is built without bpf() (CONFIG_BPF_SYSCALL=n)"};
  }
  return std::nullopt;
}

// Sysctls that restrict a feature to root: worth a note, not unmet (the
// workload may well run as root).
void note_restrictions(Context& c, const KernelFeature& f, const std::string& need) {
  const auto sysctl = [&](std::string_view name) -> std::optional<long long> {
    const nlohmann::json* v = c.fact(Layer::kernel, fmt::format("sysctl.{}", name));
    return v != nullptr && v->is_number_integer() ? std::optional(v->get<long long>()) : std::nullopt;
  };
  if (f.feature == "bpf") {
    if (const auto v = sysctl("kernel.unprivileged_bpf_disabled"); v && *v != 0) {
      c.note(Layer::kernel, need,
             fmt::format("may matter: kernel.unprivileged_bpf_disabled = {}: only a privileged "
                         "process may call bpf()",
                         *v));
    }
  } else if (f.feature == "perf_event") {
    if (const auto v = sysctl("kernel.perf_event_paranoid"); v && *v >= 2) {
      c.note(
          Layer::kernel, need,
          fmt::format("may matter: kernel.perf_event_paranoid = {}: an unprivileged process sees less (or, "
                      "at 3 and above on Debian, nothing)",
                      *v));
    }
  } else if (f.feature == "userfaultfd") {
    c.note(Layer::kernel, need,
           "not checkable beyond the release: the manifest does not record vm.unprivileged_userfaultfd");
  }
}

void check_feature(Context& c, const KernelFeature& f, const std::optional<std::string>& release) {
  const std::string need = "kernel_features " + f.feature;
  if (!c.require_layer(Layer::kernel, need)) {
    return;
  }
  const std::string since = feature_release(f);
  const std::string provide = f.feature == "landlock" ? fmt::format("Landlock ABI >= {}", f.abi.value_or(1))
                              : f.feature.ends_with("_namespace") ? f.feature + "s enabled"
                                                                  : f.feature + " enabled";
  const std::string evidence = f.evidence.empty() ? "" : " (seen: " + f.evidence + ")";
  if (release && !since.empty() && diff::compare_versions(release_numbers(*release), since) < 0) {
    c.unmet(
        {.layer = Layer::kernel,
         .need = need,
         .wanted = "Linux >= " + since,
         .target_has = *release,
         .reason = fmt::format("{}{} first came in Linux {}; the target runs {}: a VM with a newer kernel "
                               "runs it",
                               f.feature, evidence, since, *release),
         .provide = provide});
    return;
  }
  const auto finding = judge_feature(c, f);
  if (finding && !finding->has.empty()) {
    c.unmet({.layer = Layer::kernel,
             .need = need,
             .wanted = provide,
             .target_has = finding->has,
             .reason = finding->reason + evidence + ": a container shares this kernel, a VM with " + provide +
                       " runs it",
             .provide = provide});
    return;
  }
  if (finding) {
    c.met(Layer::kernel);
  } else if (release && !since.empty()) {
    c.met(Layer::kernel);
    c.note(Layer::kernel, need,
           fmt::format("checked by the release only ({} >= {}): the manifest has no fact that shows {}",
                       *release, since, f.feature));
  } else {
    c.not_checked(Layer::kernel, need,
                  since.empty() ? "strata knows no release or fact for this feature"
                                : "the target manifest has neither the release nor a fact for it");
  }
  note_restrictions(c, f, need);
}

}  // namespace

std::string kernel_floor(const Needs& needs) {
  std::string floor = needs.min_kernel ? release_numbers(*needs.min_kernel) : "";
  for (const KernelFeature& f : needs.kernel_features) {
    const std::string since = feature_release(f);
    if (diff::compare_versions(since, floor) > 0) {
      floor = since;
    }
  }
  return floor;
}

void check_kernel(Context& context) {
  const auto release = context.text(Layer::kernel, "release");
  check_min_kernel(context, release);
  for (const KernelFeature& f : context.needs().kernel_features) {
    check_feature(context, f, release);
  }
}

}  // namespace strata::check
