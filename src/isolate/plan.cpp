#include "isolate/plan.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <climits>
#include <string_view>
#include <unordered_map>

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX global

namespace strata {

namespace {

// Host directories the default root shows read-only. On a merged-/usr system
// most of these are symlinks into /usr, and are recreated as such.
constexpr std::array<std::string_view, 8> kSystemPaths{
    "/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
};

// Variables kept from the caller unless --clear-env: enough to find programs
// and print text, nothing that names the caller's files or sessions.
constexpr std::array<std::string_view, 3> kSafeEnv{"PATH", "TERM", "LANG"};

constexpr std::string_view kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// The character devices of a minimal /dev, bound from the host because a user
// namespace cannot mknod.
constexpr std::array<std::string_view, 6> kDevices{"null", "zero", "full", "random", "urandom", "tty"};

MountStep step(StepKind kind, std::string source, std::string destination) {
  return MountStep{.kind = kind, .source = std::move(source), .destination = std::move(destination)};
}

MountStep tmpfs(std::string destination, std::string mode, std::uint64_t size = 0) {
  MountStep s = step(StepKind::tmpfs, "", std::move(destination));
  s.mode = std::move(mode);
  s.size = size;
  s.no_symlinks = true;
  return s;
}

void add_system_dirs(const HostFacts& host, std::vector<MountStep>& out) {
  for (std::string_view path : kSystemPaths) {
    auto it = host.top_level.find(std::string(path));
    if (it == host.top_level.end()) {
      continue;
    }
    if (it->second) {
      out.push_back(step(StepKind::symlink, *it->second, std::string(path)));
    } else {
      MountStep bind = step(StepKind::bind, std::string(path), std::string(path));
      bind.read_only = true;
      out.push_back(bind);
    }
  }
}

void add_proc(const Spec& spec, std::vector<MountStep>& out) {
  if (spec.shares(Namespace::pid)) {
    // A procfs for the host's pid namespace cannot be mounted from a user
    // namespace; show the host's, read-only.
    MountStep bind = step(StepKind::bind, "/proc", "/proc");
    bind.read_only = true;
    bind.no_symlinks = true;
    out.push_back(bind);
    return;
  }
  MountStep proc = step(StepKind::proc, "proc", "/proc");
  proc.no_symlinks = true;
  out.push_back(proc);
}

void add_dev(std::vector<MountStep>& out) {
  out.push_back(tmpfs("/dev", "0755"));
  for (std::string_view name : kDevices) {
    out.push_back(step(StepKind::dev_node, fmt::format("/dev/{}", name), fmt::format("/dev/{}", name)));
  }
  out.push_back(step(StepKind::devpts, "devpts", "/dev/pts"));
  out.push_back(step(StepKind::symlink, "pts/ptmx", "/dev/ptmx"));
  out.push_back(tmpfs("/dev/shm", "1777"));
  out.push_back(step(StepKind::symlink, "/proc/self/fd", "/dev/fd"));
  out.push_back(step(StepKind::symlink, "/proc/self/fd/0", "/dev/stdin"));
  out.push_back(step(StepKind::symlink, "/proc/self/fd/1", "/dev/stdout"));
  out.push_back(step(StepKind::symlink, "/proc/self/fd/2", "/dev/stderr"));
}

void add_sys(const Plan& plan, std::vector<MountStep>& out) {
  if (plan.unshares(Namespace::net)) {
    MountStep sys = step(StepKind::sysfs, "sysfs", "/sys");
    sys.read_only = true;
    sys.no_symlinks = true;
    out.push_back(sys);
    return;
  }
  // sysfs can only be mounted by the owner of the network namespace.
  MountStep bind = step(StepKind::bind, "/sys", "/sys");
  bind.read_only = true;
  bind.no_symlinks = true;
  out.push_back(bind);
}

// The OCI runtime spec's defaults: kernel interfaces that leak host
// information or reach host-wide state are hidden or made read-only.
constexpr std::array<std::string_view, 12> kMaskedPaths{
    "/proc/asound",      "/proc/acpi",          "/proc/interrupts", "/proc/kcore",
    "/proc/keys",        "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
    "/proc/sched_debug", "/proc/scsi",          "/sys/firmware",    "/sys/devices/virtual/powercap",
};
constexpr std::array<std::string_view, 5> kReadOnlyPaths{
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

void add_masks(std::vector<MountStep>& out) {
  for (std::string_view path : kMaskedPaths) {
    MountStep mask = step(StepKind::mask, "/dev/null", std::string(path));
    mask.no_symlinks = true;
    out.push_back(mask);
  }
  for (std::string_view path : kReadOnlyPaths) {
    MountStep ro = step(StepKind::read_only, "", std::string(path));
    ro.read_only = true;
    ro.no_symlinks = true;
    out.push_back(ro);
  }
}

// Landlock mirrors the mounts: everything readable, writable only where a
// writable mount was placed.
std::vector<LandlockRule> landlock_rules(const std::vector<MountStep>& mounts, bool root_writable) {
  std::vector<LandlockRule> rules{{.path = "/", .writable = root_writable}};
  for (const auto& s : mounts) {
    const bool writable = (s.kind == StepKind::bind && !s.read_only) || s.kind == StepKind::tmpfs ||
                          s.kind == StepKind::proc || s.kind == StepKind::devpts ||
                          s.kind == StepKind::dev_node;
    if (writable && s.destination != "/dev") {
      rules.push_back({.path = s.destination, .writable = true});
    }
  }
  return rules;
}

void add_user_mounts(const Spec& spec, std::vector<MountStep>& out) {
  for (const auto& mount : spec.mounts) {
    if (mount.kind == MountKind::tmpfs) {
      MountStep s = tmpfs(mount.destination, "0755", mount.size);
      s.no_symlinks = false;
      out.push_back(s);
      continue;
    }
    MountStep bind = step(StepKind::bind, mount.source, mount.destination);
    bind.read_only = mount.kind == MountKind::ro_bind;
    out.push_back(bind);
  }
}

std::vector<Namespace> new_namespaces(const Spec& spec) {
  std::vector<Namespace> out{Namespace::user, Namespace::mount};
  for (Namespace ns : {Namespace::pid, Namespace::ipc, Namespace::uts, Namespace::net, Namespace::cgroup}) {
    const bool keep = spec.shares(ns) || (ns == Namespace::net && spec.net == NetMode::host);
    if (!keep) {
      out.push_back(ns);
    }
  }
  return out;
}

}  // namespace

bool Plan::unshares(Namespace ns) const {
  return std::ranges::find(namespaces, ns) != namespaces.end();
}

bool in_system_dirs(std::string_view path) {
  return std::ranges::any_of(kSystemPaths, [path](std::string_view dir) {
    return path.starts_with(dir) && (path.size() == dir.size() || path[dir.size()] == '/');
  });
}

HostFacts gather_host_facts() {
  HostFacts host;
  host.uid = ::geteuid();
  host.gid = ::getegid();
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const auto equals = text.find('=');
    if (equals != std::string_view::npos) {
      host.environ.push_back(
          {.name = std::string(text.substr(0, equals)), .value = std::string(text.substr(equals + 1))});
    }
  }
  if (char buf[PATH_MAX]; ::getcwd(buf, sizeof buf) != nullptr) {
    host.cwd = buf;
  }
  for (std::string_view path : kSystemPaths) {
    const std::string name(path);
    struct stat st = {};
    if (::lstat(name.c_str(), &st) != 0) {
      continue;
    }
    if (S_ISLNK(st.st_mode)) {
      char target[PATH_MAX];
      const ssize_t n = ::readlink(name.c_str(), target, sizeof target - 1);
      if (n > 0) {
        host.top_level[name] = std::string(target, static_cast<std::size_t>(n));
      }
    } else if (S_ISDIR(st.st_mode)) {
      host.top_level[name] = std::nullopt;
    }
  }
  host.stdin_tty = ::isatty(STDIN_FILENO) != 0;
  host.stdout_tty = ::isatty(STDOUT_FILENO) != 0;
  host.stderr_tty = ::isatty(STDERR_FILENO) != 0;
  return host;
}

std::vector<std::string> build_environment(const Spec& spec, const HostFacts& host) {
  std::vector<EnvVar> vars;
  std::unordered_map<std::string, std::size_t> index;  // name -> position: a huge environment stays linear
  const auto set = [&vars, &index](const std::string& name, const std::string& value) {
    if (auto [it, added] = index.try_emplace(name, vars.size()); !added) {
      vars[it->second].value = value;
    } else {
      vars.push_back({.name = name, .value = value});
    }
  };
  if (!spec.clear_env) {
    const bool keep_all = spec.isolation == Isolation::host;
    for (const auto& var : host.environ) {
      if (keep_all || std::ranges::find(kSafeEnv, var.name) != kSafeEnv.end()) {
        set(var.name, var.value);
      }
    }
    if (!keep_all) {
      if (!index.contains("PATH")) {
        set("PATH", std::string(kDefaultPath));
      }
      // The sandbox's only writable directory by default.
      set("HOME", "/tmp");
    }
  }
  for (const auto& var : spec.env) {
    set(var.name, var.value);
  }
  std::vector<std::string> out;
  out.reserve(vars.size());
  for (const auto& var : vars) {
    out.push_back(var.name + "=" + var.value);
  }
  return out;
}

namespace {

// The ids a container's files and processes have: a root caller maps the
// first 65536 ids onto themselves, so the image's owners and USER mean what
// they say (as with runc without a user namespace, but with its capabilities
// confined to the namespace); anyone else maps only itself, to the USER.
void map_container_ids(const ContainerRoot& container, const HostFacts& host, Plan& plan) {
  constexpr std::uint32_t kMappedIds = 65536;
  if (host.uid == 0 && host.gid == 0) {
    plan.uid_map = {.inside = 0, .outside = 0, .count = kMappedIds};
    plan.gid_map = {.inside = 0, .outside = 0, .count = kMappedIds};
    plan.deny_setgroups = false;
    plan.process.groups = container.groups;
  } else {
    plan.uid_map = {.inside = container.uid, .outside = host.uid, .count = 1};
    plan.gid_map = {.inside = container.gid, .outside = host.gid, .count = 1};
  }
  plan.process.uid = container.uid;
  plan.process.gid = container.gid;
}

void use_container(const ContainerRoot& container, const HostFacts& host, Plan& plan) {
  plan.process.argv = container.argv;
  plan.process.env = container.env;
  plan.process.cwd = container.cwd;
  plan.process.cwd_required = container.cwd_required;
  map_container_ids(container, host, plan);
  plan.rootfs = container.copy;
  plan.overlay = container.overlay;
  plan.root_read_only = container.read_only;
  if (!plan.resources.stop_signal) {
    plan.resources.stop_signal = container.stop_signal;
  }
}

// The root every isolating layer starts from: the image's, else --rootfs
// (already in plan.rootfs), else the host's system dirs.
void add_root(const Spec& spec, const HostFacts& host, const ContainerRoot* container, Plan& plan) {
  if (container != nullptr) {
    use_container(*container, host, plan);
  } else if (!spec.rootfs) {
    add_system_dirs(host, plan.mounts);
  }
}

// The guest has its own kernel: no namespaces, ids maps or filters on the
// host side. What the Plan keeps is the root the host serves (system dirs,
// rootfs or image, and the binds) and the process the guest's init starts.
Plan build_vm_plan(const Spec& spec, const HostFacts& host, const ContainerRoot* container, Plan plan) {
  plan.vm =
      VmPlan{.machine = spec.vm, .network = spec.net == NetMode::user, .private_tmp = container == nullptr};
  plan.hostname = spec.hostname.value_or("strata");
  plan.process.uid = spec.uid;
  plan.process.gid = spec.gid;
  plan.process.rlimits = spec.rlimits;
  plan.rootfs = spec.rootfs;
  if (spec.rootfs && container == nullptr) {
    plan.root_read_only = !spec.rootfs_writable;
  }
  plan.seccomp =
      SeccompChoice{.kind = SeccompChoice::Kind::unconfined, .path = {}, .program = {}, .program_name = {}};
  plan.landlock = LandlockMode::off;
  add_root(spec, host, container, plan);
  add_user_mounts(spec, plan.mounts);
  if (spec.in_vm) {
    plan.vm->inner = inner_layer_words(spec, plan);
  }
  return plan;
}

}  // namespace

Spec inner_layer_spec(const Spec& outer, const Plan& vm_plan) {
  Spec inner;
  inner.isolation = Isolation::sandbox;
  inner.isolation_given = true;
  inner.rootfs = "/";  // the guest's root: the host's system dirs, --rootfs or the image
  // An image's root is writable (its writable layer) unless --read-only; the
  // host's system dirs never are.
  inner.rootfs_writable = outer.in_vm == Isolation::container ? !outer.read_only : outer.rootfs_writable;
  // The guest's init mounted the shares and tmpfs at their destinations
  // already; the sandbox takes them from there.
  for (const MountSpec& mount : outer.mounts) {
    MountSpec again = mount;
    if (mount.kind != MountKind::tmpfs) {
      again.source = mount.destination;
    }
    inner.mounts.push_back(std::move(again));
  }
  // The environment, directory and ids the outer Plan settled (an image's
  // Env, WorkingDir and User included).
  inner.clear_env = true;
  for (const std::string& var : vm_plan.process.env) {
    const auto equals = var.find('=');
    inner.env.push_back({.name = var.substr(0, equals), .value = var.substr(equals + 1)});
  }
  if (vm_plan.process.cwd_required) {
    inner.workdir = vm_plan.process.cwd;
  }
  inner.hostname = outer.hostname;
  inner.net = outer.net == NetMode::user ? NetMode::host : NetMode::none;  // the guest's own network
  inner.uid = vm_plan.process.uid;
  inner.gid = vm_plan.process.gid;
  inner.pty = PtyMode::never;  // the guest's stdio are pipes to the host
  inner.cap_add = outer.cap_add;
  inner.cap_drop = outer.cap_drop;
  inner.rlimits = vm_plan.process.rlimits;
  inner.seccomp = outer.seccomp;
  inner.landlock = outer.landlock;
  inner.argv = vm_plan.process.argv;
  return inner;
}

std::vector<std::string> inner_layer_words(const Spec& outer, const Plan& vm_plan) {
  std::vector<std::string> words = {"strata", "run"};
  std::ranges::move(to_flags(inner_layer_spec(outer, vm_plan)), std::back_inserter(words));
  return words;
}

Plan build_plan(const Spec& spec, const HostFacts& host, const ContainerRoot* container) {
  Plan plan;
  plan.isolation = spec.isolation;
  plan.process.argv = spec.argv;
  plan.process.env = build_environment(spec, host);
  plan.process.cwd = spec.workdir.value_or(host.cwd.empty() ? "/" : host.cwd);
  plan.process.cwd_required = spec.workdir.has_value();
  plan.process.pass_fds = spec.pass_fds;
  plan.resources = spec.resources;
  if (spec.isolation == Isolation::vm) {
    return build_vm_plan(spec, host, container, std::move(plan));
  }
  if (spec.isolation == Isolation::host) {
    // Of the policies only a filter strata compiled (strata trace's) applies on the host.
    if (spec.seccomp.kind == SeccompChoice::Kind::program) {
      plan.seccomp = spec.seccomp;
    }
    return plan;  // the workload uses the caller's terminal directly
  }
  plan.process.pty = spec.pty == PtyMode::automatic && host.stdin_tty;
  plan.process.pty_fds = {host.stdin_tty, host.stdout_tty, host.stderr_tty};
  plan.namespaces = new_namespaces(spec);
  plan.uid_map = {.inside = spec.uid, .outside = host.uid, .count = 1};
  plan.gid_map = {.inside = spec.gid, .outside = host.gid, .count = 1};
  plan.deny_setgroups = host.uid != 0;
  plan.process.uid = spec.uid;
  plan.process.gid = spec.gid;
  if (plan.unshares(Namespace::uts)) {
    plan.hostname = spec.hostname.value_or("strata");
  }
  plan.loopback_up = plan.unshares(Namespace::net);
  plan.rootfs = spec.rootfs;
  if (spec.rootfs && container == nullptr) {
    plan.root_read_only = !spec.rootfs_writable;
  }
  add_root(spec, host, container, plan);
  add_proc(spec, plan.mounts);
  add_sys(plan, plan.mounts);
  add_dev(plan.mounts);
  if (container == nullptr) {
    plan.mounts.push_back(tmpfs("/tmp", "1777"));  // an image has its own /tmp, in its writable layer
  }
  add_user_mounts(spec, plan.mounts);
  add_masks(plan.mounts);
  plan.process.capabilities = kept_capabilities(spec);
  plan.process.rlimits = spec.rlimits;
  plan.seccomp = spec.seccomp;
  plan.landlock = spec.landlock;
  if (plan.landlock != LandlockMode::off) {
    plan.landlock_rules = landlock_rules(plan.mounts, !plan.root_read_only);
  }
  return plan;
}

namespace {

std::string describe(const MountStep& s) {
  const std::string_view ro = s.read_only ? " (read-only)" : "";
  switch (s.kind) {
    case StepKind::bind:
      return fmt::format("bind      {} -> {}{}", s.source, s.destination, ro);
    case StepKind::tmpfs:
      return fmt::format("tmpfs     {} mode={}{}", s.destination, s.mode,
                         s.size != 0 ? fmt::format(" size={}", s.size) : "");
    case StepKind::proc:
      return fmt::format("proc      {}", s.destination);
    case StepKind::devpts:
      return fmt::format("devpts    {}", s.destination);
    case StepKind::dev_node:
      return fmt::format("device    {} -> {}", s.source, s.destination);
    case StepKind::symlink:
      return fmt::format("symlink   {} -> {}", s.destination, s.source);
    case StepKind::sysfs:
      return fmt::format("sysfs     {}{}", s.destination, ro);
    case StepKind::mask:
      return fmt::format("mask      {}", s.destination);
    case StepKind::read_only:
      return fmt::format("read-only {}", s.destination);
  }
  return "?";
}

std::string describe_root(const Plan& plan) {
  if (plan.overlay) {
    std::string out = "overlay of " + std::to_string(plan.overlay->lowers.size()) + " layer(s)";
    for (const auto& lower : plan.overlay->lowers) {
      out += "\n  lower     " + lower;
    }
    out += "\n  upper     " + (plan.overlay->upper.empty() ? "a private tmpfs" : plan.overlay->upper);
    return out;
  }
  return plan.rootfs ? "bind " + *plan.rootfs : "tmpfs";
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) {
      out += separator;
    }
    out += item;
  }
  return out;
}

std::string describe_hardening(const Plan& plan) {
  std::vector<std::string> caps;
  caps.reserve(plan.process.capabilities.size());
  for (int cap : plan.process.capabilities) {
    caps.push_back(capability_name(cap));
  }
  std::string out = fmt::format("identity: uid {} gid {}, capabilities: {}, no_new_privs\n", plan.process.uid,
                                plan.process.gid, caps.empty() ? "none" : join(caps, " "));
  switch (plan.seccomp.kind) {
    case SeccompChoice::Kind::builtin:
      out += "seccomp: strata's default profile\n";
      break;
    case SeccompChoice::Kind::unconfined:
      out += "seccomp: unconfined (no filter)\n";
      break;
    case SeccompChoice::Kind::file:
      out += fmt::format("seccomp: profile {}\n", plan.seccomp.path);
      break;
    case SeccompChoice::Kind::program:
      out += fmt::format("seccomp: {}\n", plan.seccomp.program_name);
      break;
  }
  if (plan.landlock == LandlockMode::off) {
    out += "landlock: off\n";
  } else {
    std::vector<std::string> writable;
    for (const auto& rule : plan.landlock_rules) {
      if (rule.writable) {
        writable.push_back(rule.path);
      }
    }
    out +=
        fmt::format("landlock: {}, read everywhere, write beneath: {}\n",
                    plan.landlock == LandlockMode::require ? "required" : "best effort", join(writable, " "));
  }
  for (const auto& limit : plan.process.rlimits) {
    out += fmt::format("rlimit: {} soft={} hard={}\n", limit.name, limit.soft, limit.hard);
  }
  const Resources& r = plan.resources;
  if (r.needs_cgroup()) {
    out += fmt::format(
        "cgroup: memory={} pids={} cpus={} timeout={}\n",
        r.memory_bytes ? std::to_string(*r.memory_bytes) : "-", r.pids ? std::to_string(*r.pids) : "-",
        r.cpus ? fmt::format("{}", *r.cpus) : "-",
        r.timeout ? fmt::format("{}ms (then kill after {}ms)", r.timeout->count(), r.kill_after.count())
                  : "-");
  }
  return out;
}

std::string describe_vm(const Plan& plan) {
  const VmSpec& m = plan.vm->machine;
  std::string out =
      fmt::format("machine: {} microvm, {} MiB, {} vCPU{}, accelerator: KVM if usable, else TCG\n", m.engine,
                  m.memory_bytes >> 20U, m.cpus, m.cpus == 1 ? "" : "s");
  out += fmt::format("kernel: {}\n", m.kernel.value_or("the newest /boot/vmlinuz-*"));
  out += fmt::format("initrd: {}\n", m.initrd.value_or("strata's (init: strata vm-init, virtio modules)"));
  out += fmt::format("network: {}\n",
                     plan.vm->network ? "QEMU user-mode (10.0.2.15 via 10.0.2.2)" : "none (no NIC)");
  out += fmt::format("hostname: {}\n", plan.hostname.value_or("strata"));
  out +=
      fmt::format("root (virtio-fs): {}{}\n", describe_root(plan), plan.root_read_only ? " (read-only)" : "");
  out += "mounts:\n";
  for (const auto& s : plan.mounts) {
    out += "  " + describe(s) + "\n";
  }
  out += "  the guest's own: proc /proc, sysfs /sys, devtmpfs /dev, devpts /dev/pts, tmpfs /dev/shm\n";
  out += fmt::format("user: uid {} gid {} (the guest's ids)\n", plan.process.uid, plan.process.gid);
  for (const auto& limit : plan.process.rlimits) {
    out += fmt::format("rlimit: {} soft={} hard={}\n", limit.name, limit.soft, limit.hard);
  }
  if (!plan.vm->inner.empty()) {
    std::string words;
    for (const auto& word : plan.vm->inner) {
      words += (words.empty() ? "" : " ") + word;
    }
    out += fmt::format("inside the guest: {}\n", words);
  }
  if (plan.resources.timeout) {
    out += fmt::format("timeout: {}ms (then the VM is killed after {}ms)\n", plan.resources.timeout->count(),
                       plan.resources.kill_after.count());
  }
  return out;
}

std::string describe_wasm(const WasmPlan& wasm, Isolation engine_isolation) {
  std::string out = fmt::format("engine: {} {}, {}\n", wasm.engine,
                                wasm.version.empty() ? "(version unknown)" : wasm.version,
                                engine_isolation == Isolation::host ? "on the host (--no-sandbox)"
                                                                    : "inside the process sandbox below");
  out += fmt::format("module: {}{}\n", wasm.module,
                     wasm.module_inside.empty() ? "" : " (bound read-only at " + wasm.module_inside + ")");
  out += "preopens:" + std::string(wasm.preopens.empty() ? " none\n" : "\n");
  for (const auto& line : wasm.preopens) {
    out += "  " + line + "\n";
  }
  out += fmt::format("module env: {}\n", wasm.env.empty() ? "(empty)" : join(wasm.env, " "));
  if (wasm.max_pages) {
    out += fmt::format("linear memory: at most {} pages ({} KiB), {}\n", *wasm.max_pages,
                       *wasm.max_pages * 64U, wasm.memory_flag);
  } else {
    out += "linear memory: the engine's default limit\n";
  }
  out += fmt::format("network: none (WASI preview1 has no sockets of its own{})\n",
                     engine_isolation == Isolation::host ? "" : "; the sandbox has only loopback");
  for (const auto& line : wasm.weaker) {
    out += "not enforced (--allow-weaker): " + line + "\n";
  }
  return out;
}

}  // namespace

std::string to_text(const Plan& plan) {
  std::string out = fmt::format("isolation: {}\n", plan.wasm ? "wasm" : to_string(plan.isolation));
  if (plan.wasm) {
    out += describe_wasm(*plan.wasm, plan.isolation);
  }
  if (plan.vm) {
    out += describe_vm(plan);
  } else if (plan.isolation != Isolation::host) {
    std::vector<std::string> names;
    names.reserve(plan.namespaces.size());
    for (Namespace ns : plan.namespaces) {
      names.emplace_back(to_string(ns));
    }
    out += fmt::format("namespaces: {}\n", join(names, " "));
    out += fmt::format("uid map: {} -> {}\ngid map: {} -> {}{}\n", plan.uid_map.inside, plan.uid_map.outside,
                       plan.gid_map.inside, plan.gid_map.outside,
                       plan.deny_setgroups ? " (setgroups denied)" : "");
    out += fmt::format("hostname: {}\n", plan.hostname.value_or("(host's)"));
    out += fmt::format("network: {}\n", plan.loopback_up ? "new namespace, loopback only" : "host's");
    out += fmt::format("root: {}{}\n", describe_root(plan), plan.root_read_only ? " (read-only)" : "");
    out += "mounts:\n";
    for (const auto& s : plan.mounts) {
      out += "  " + describe(s) + "\n";
    }
    out += describe_hardening(plan);
  }
  out += fmt::format("workdir: {}{}\n", plan.process.cwd,
                     plan.process.cwd_required ? "" : " (if present, else /)");
  out += fmt::format("env: {}\n", join(plan.process.env, " "));
  out += fmt::format("pty: {}\n", plan.process.pty ? "yes" : "no");
  std::vector<std::string> fds;
  fds.reserve(plan.process.pass_fds.size());
  for (int fd : plan.process.pass_fds) {
    fds.push_back(std::to_string(fd));
  }
  out += fmt::format("passed fds: 0 1 2{}{}\n", fds.empty() ? "" : " ", join(fds, " "));
  out += fmt::format("command: {}\n", plan.wasm ? plan.wasm->command_line : join(plan.process.argv, " "));
  return out;
}

}  // namespace strata
