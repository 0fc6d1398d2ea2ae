// A Spec back as `strata run` flags: the inverse of the flag parsers, for a
// strata that runs strata (the layer inside a VM's guest). Values are written
// in the plainest form each parser accepts (bytes, milliseconds, numbers).
#include <fmt/format.h>
#include <sys/resource.h>

#include "base/parse.hpp"
#include "spec/spec.hpp"

namespace strata {

namespace {

std::string_view mount_flag(MountKind kind) {
  switch (kind) {
    case MountKind::bind:
      return "--bind";
    case MountKind::ro_bind:
      return "--ro-bind";
    case MountKind::tmpfs:
      return "--tmpfs";
  }
  return "--tmpfs";
}

std::string_view net_name(NetMode mode) {
  switch (mode) {
    case NetMode::none:
      return "none";
    case NetMode::host:
      return "host";
    case NetMode::user:
      return "user";
  }
  return "none";
}

std::string_view landlock_name(LandlockMode mode) {
  switch (mode) {
    case LandlockMode::best_effort:
      return "best-effort";
    case LandlockMode::require:
      return "require";
    case LandlockMode::off:
      return "off";
  }
  return "best-effort";
}

std::string rlimit_value(std::uint64_t value) {
  return value == RLIM_INFINITY ? "unlimited" : std::to_string(value);
}

void add(std::vector<std::string>& out, std::string_view flag, std::string value) {
  out.emplace_back(flag);
  out.push_back(std::move(value));
}

void add_filesystem(const Spec& spec, std::vector<std::string>& out) {
  if (spec.rootfs) {
    add(out, "--rootfs", *spec.rootfs);
  }
  if (spec.rootfs_writable) {
    out.emplace_back("--rootfs-writable");
  }
  for (const MountSpec& mount : spec.mounts) {
    if (mount.kind == MountKind::tmpfs) {
      add(out, "--tmpfs",
          mount.size == 0 ? mount.destination : fmt::format("{}:{}", mount.destination, mount.size));
    } else {
      add(out, mount_flag(mount.kind), fmt::format("{}:{}", mount.source, mount.destination));
    }
  }
  if (spec.workdir) {
    add(out, "--workdir", *spec.workdir);
  }
}

void add_process(const Spec& spec, std::vector<std::string>& out) {
  if (spec.clear_env) {
    out.emplace_back("--clear-env");
  }
  for (const EnvVar& var : spec.env) {
    add(out, "--env", fmt::format("{}={}", var.name, var.value));
  }
  if (spec.hostname) {
    add(out, "--hostname", *spec.hostname);
  }
  add(out, "--net", std::string(net_name(spec.net)));
  for (const Namespace ns : spec.shared) {
    add(out, "--share", std::string(to_string(ns)));
  }
  add(out, "--uid", std::to_string(spec.uid));
  add(out, "--gid", std::to_string(spec.gid));
  if (spec.pty == PtyMode::never) {
    out.emplace_back("--no-pty");
  }
}

void add_hardening(const Spec& spec, std::vector<std::string>& out) {
  for (const int cap : spec.cap_add) {
    add(out, "--cap-add", capability_name(cap));
  }
  for (const int cap : spec.cap_drop) {
    add(out, "--cap-drop", capability_name(cap));
  }
  for (const RlimitSpec& limit : spec.rlimits) {
    add(out, "--rlimit",
        fmt::format("{}={}:{}", limit.name, rlimit_value(limit.soft), rlimit_value(limit.hard)));
  }
  switch (spec.seccomp.kind) {
    case SeccompChoice::Kind::builtin:
    case SeccompChoice::Kind::program:  // never from a flag: the caller's own filter
      break;
    case SeccompChoice::Kind::unconfined:
      add(out, "--seccomp", "unconfined");
      break;
    case SeccompChoice::Kind::file:
      add(out, "--seccomp", spec.seccomp.path);
      break;
  }
  add(out, "--landlock", std::string(landlock_name(spec.landlock)));
}

void add_resources(const Resources& r, std::vector<std::string>& out) {
  if (r.memory_bytes) {
    add(out, "--memory", std::to_string(*r.memory_bytes));
  }
  if (r.pids) {
    add(out, "--pids", std::to_string(*r.pids));
  }
  if (r.cpus) {
    add(out, "--cpus", fmt::format("{}", *r.cpus));
  }
  if (r.timeout) {
    add(out, "--timeout", fmt::format("{}ms", r.timeout->count()));
    add(out, "--kill-after", fmt::format("{}ms", r.kill_after.count()));
  }
  if (r.stop_signal) {
    add(out, "--stop-signal", std::to_string(*r.stop_signal));
  }
}

}  // namespace

std::vector<std::string> to_flags(const Spec& spec) {
  std::vector<std::string> out;
  add(out, "--isolation", layers_text(spec));
  add_filesystem(spec, out);
  add_process(spec, out);
  add_hardening(spec, out);
  add_resources(spec.resources, out);
  out.emplace_back("--");
  out.insert(out.end(), spec.argv.begin(), spec.argv.end());
  return out;
}

}  // namespace strata
