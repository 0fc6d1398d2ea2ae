// Whole-Spec checks: contradictions between flags and inputs that do not exist,
// all found before anything is set up.
#include <fcntl.h>
#include <linux/capability.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdint>

#include "spec/spec.hpp"

namespace strata {

namespace {

Result<> check_directory(const std::string& step, const std::string& path) {
  struct stat st = {};
  if (::stat(path.c_str(), &st) != 0) {
    return fail_errno(step, path);
  }
  if (!S_ISDIR(st.st_mode)) {
    return fail(step, path, "not a directory");
  }
  return {};
}

Result<> check_sandbox_only(const Spec& spec) {
  const bool sandbox_flags = spec.rootfs || !spec.mounts.empty() || spec.hostname || !spec.shared.empty() ||
                             spec.uid != 0 || spec.gid != 0 || spec.net != NetMode::none;
  if (spec.isolation == Isolation::host && sandbox_flags) {
    return fail("check flags", "--isolation host",
                "--rootfs, --bind, --tmpfs, --hostname, --share, --uid, --gid and --net "
                "need --isolation sandbox");
  }
  return {};
}

// --image and the flags that only mean something for a container.
Result<> check_container(const Spec& spec) {
  const bool container = spec.isolation == Isolation::container;
  if (container && !spec.image) {
    return fail("check flags", "--isolation container", "needs --image REF");
  }
  if (spec.image && spec.isolation == Isolation::host) {
    return fail("check flags", "--image", "needs --isolation container (the default with --image)");
  }
  if (spec.image && spec.rootfs) {
    return fail("check flags", "--image", "cannot be combined with --rootfs: the image is the root");
  }
  const std::pair<bool, const char*> only_with_image[] = {
      {spec.read_only, "--read-only"},
      {spec.keep, "--keep"},
      {spec.entrypoint.has_value(), "--entrypoint"},
      {spec.user.has_value(), "--user"},
      {spec.image_mount != ImageMount::automatic, "--image-mount"},
      {spec.writable_layer != WritableLayer::automatic, "--writable-layer"},
  };
  for (const auto& [given, flag] : only_with_image) {
    if (given && !spec.image) {
      return fail("check flags", flag, "needs --image REF");
    }
  }
  if (spec.keep && spec.read_only) {
    return fail("check flags", "--keep", "a --read-only run writes nothing to keep");
  }
  if (spec.read_only && spec.writable_layer != WritableLayer::automatic) {
    return fail("check flags", "--writable-layer", "a --read-only run has no writable layer");
  }
  if (spec.keep && spec.writable_layer == WritableLayer::memory) {
    return fail("check flags", "--keep",
                "keeps the writable layer on disk; it cannot be --writable-layer memory");
  }
  if (spec.user && (spec.uid != 0 || spec.gid != 0)) {
    return fail("check flags", "--user", "give either --user or --uid/--gid");
  }
  return {};
}

// --isolation vm: the guest's kernel is its own, so the host-side sandbox
// policies have nothing to act on; flags that would silently do nothing are
// refused, each with what to use instead.
Result<> check_vm(const Spec& spec) {
  if (spec.isolation != Isolation::vm) {
    if (spec.vm.customized()) {
      return fail("check flags", "--kernel/--initrd/--vm-*/--keep-console", "need --isolation vm");
    }
    if (spec.net == NetMode::user) {
      return fail("check flags", "--net user", "is QEMU's user-mode network: it needs --isolation vm");
    }
    return {};
  }
  // vm+sandbox, vm+container: the guest's strata applies the policy flags.
  const bool inner = spec.in_vm.has_value();
  const std::pair<bool, const char*> refused[] = {
      {spec.net == NetMode::host, "--net host: a VM cannot share the host's network stack; use --net user"},
      {!spec.shared.empty(), "--share: the guest has its own kernel and so its own namespaces"},
      {!inner && (!spec.cap_add.empty() || !spec.cap_drop.empty()),
       "--cap-add/--cap-drop: the workload runs as the guest's root (or --uid); use vm+sandbox to restrict "
       "its capabilities"},
      {!inner && spec.seccomp.kind == SeccompChoice::Kind::file,
       "--seccomp: use vm+sandbox for a filter inside the guest"},
      {inner && spec.seccomp.kind == SeccompChoice::Kind::file,
       "--seccomp FILE: the guest's strata cannot read a host file; use default or unconfined"},
      {spec.seccomp.kind == SeccompChoice::Kind::program, "strata trace cannot follow a workload into a VM"},
      {!inner && spec.landlock == LandlockMode::require,
       "--landlock require: use vm+sandbox for Landlock inside the guest"},
      {!spec.pass_fds.empty(), "--pass-fd: a file descriptor cannot cross into a VM"},
      {spec.resources.memory_bytes.has_value(), "--memory: use --vm-memory, the guest's RAM"},
      {spec.resources.cpus.has_value(), "--cpus: use --vm-cpus, the guest's vCPUs"},
      {spec.resources.pids.has_value(), "--pids: not enforced inside the guest yet"},
  };
  for (const auto& [given, why] : refused) {
    if (given) {
      return fail("check flags", "--isolation vm", why);
    }
  }
  if (spec.in_vm == Isolation::container && !spec.image) {
    return fail("check flags", "--isolation vm+container", "needs --image REF");
  }
  if (spec.vm.memory_bytes < (64ULL << 20) || spec.vm.memory_bytes > (1ULL << 40)) {
    return fail("check --vm-memory", std::to_string(spec.vm.memory_bytes >> 20U) + " MiB",
                "must be between 64 MiB and 1 TiB");
  }
  if (spec.vm.cpus < 1 || spec.vm.cpus > 64) {
    return fail("check --vm-cpus", std::to_string(spec.vm.cpus), "must be between 1 and 64");
  }
  if (spec.vm.engine != "qemu") {
    return fail("check --vm-engine", spec.vm.engine,
                "only qemu is supported yet (firecracker and cloud-hypervisor are not)");
  }
  for (const auto* file : {&spec.vm.kernel, &spec.vm.initrd}) {
    struct stat st = {};
    if (*file && ::stat((*file)->c_str(), &st) != 0) {
      return fail_errno(file == &spec.vm.kernel ? "check --kernel" : "check --initrd", **file);
    }
  }
  return {};
}

// --isolation wasm: the module sees only what WASI preview1 gives it (args,
// env, preopened directories, stdio, clocks, random); flags that would act
// on something a module does not have are refused, each with the reason.
// What a particular engine cannot express is checked later, once the engine
// is chosen (src/wasm/front.cpp).
Result<> check_wasm(const Spec& spec) {
  if (spec.isolation != Isolation::wasm) {
    if (spec.wasm.customized()) {
      return fail("check flags", "--wasm-engine/--wasm-memory/--no-sandbox/--allow-weaker",
                  "need --isolation wasm (or a .wasm module as the command)");
    }
    return {};
  }
  const bool tmpfs =
      std::ranges::any_of(spec.mounts, [](const MountSpec& m) { return m.kind == MountKind::tmpfs; });
  const std::pair<bool, const char*> refused[] = {
      {spec.image.has_value(), "--image: a module runs on a WebAssembly engine, not in an image"},
      {spec.rootfs.has_value(), "--rootfs: the engine runs from the host's system directories"},
      {spec.net != NetMode::none, "--net: a WASI preview1 module has no network, and its engine gets none"},
      {!spec.shared.empty(),
       "--share: a module has no namespaces; the engine's sandbox keeps all of its own"},
      {spec.uid != 0 || spec.gid != 0, "--uid/--gid: a WASI module has no user or group ids"},
      {spec.hostname.has_value(), "--hostname: WASI has no hostname"},
      {spec.workdir.has_value(),
       "--workdir: WASI preview1 has no working directory; paths resolve against the preopened directories"},
      {!spec.pass_fds.empty(), "--pass-fd: a WASI module gets only stdin, stdout, stderr and its preopens"},
      {!spec.cap_add.empty() || !spec.cap_drop.empty(),
       "--cap-add/--cap-drop: a module has no capabilities, and its engine runs with none"},
      {spec.wasm.no_sandbox && tmpfs, "--tmpfs with --no-sandbox: a tmpfs needs the sandbox"},
      {spec.wasm.no_sandbox && spec.seccomp.kind == SeccompChoice::Kind::file,
       "--seccomp with --no-sandbox: the profile is the sandbox's"},
      {spec.wasm.no_sandbox && spec.landlock == LandlockMode::require,
       "--landlock require with --no-sandbox: Landlock is the sandbox's"},
  };
  for (const auto& [given, why] : refused) {
    if (given) {
      return fail("check flags", "--isolation wasm", why);
    }
  }
  for (const auto& mount : spec.mounts) {
    if (mount.destination.find(':') != std::string::npos) {
      return fail("check preopen", mount.destination,
                  "a preopened directory's path cannot contain ':' (the engines' --dir syntax)");
    }
  }
  // wasm32: 65536 pages of 64 KiB at most.
  constexpr std::uint64_t kPage = 64ULL << 10;
  if (spec.wasm.memory_bytes && (*spec.wasm.memory_bytes < kPage || *spec.wasm.memory_bytes > (4ULL << 30))) {
    return fail("check --wasm-memory", std::to_string(*spec.wasm.memory_bytes) + " bytes",
                "must be between 64 KiB (one page) and 4 GiB");
  }
  return {};
}

// The +venv layer's flags: refused without the layer, and one language per
// run (the lockfile decides which).
Result<> check_lang(const Spec& spec) {
  const LangSpec& lang = spec.lang;
  if (!spec.venv) {
    if (lang.customized()) {
      return fail("check flags", "--requirements/--find-links/--npm-lock/--python",
                  "need a +venv layer (--isolation venv, sandbox+venv, container+venv)");
    }
    return {};
  }
  if (lang.python_requirements && lang.node_lockfile) {
    return fail("check flags", "--npm-lock",
                "one language environment per run: give --requirements or --npm-lock");
  }
  if (lang.node_lockfile && (!lang.find_links.empty() || lang.python)) {
    return fail("check flags", "--find-links/--python", "are for a Python environment, not --npm-lock");
  }
  for (const auto* file : {&lang.python_requirements, &lang.node_lockfile}) {
    struct stat st = {};
    if (*file && ::stat((*file)->c_str(), &st) != 0) {
      return fail_errno(file == &lang.node_lockfile ? "check --npm-lock" : "check --requirements", **file);
    }
  }
  for (const auto& dir : lang.find_links) {
    if (auto ok = check_directory("check --find-links", dir); !ok) {
      return ok;
    }
  }
  return {};
}

}  // namespace

Result<> validate(const Spec& spec) {
  if (auto ok = check_container(spec); !ok) {
    return ok;
  }
  if (auto ok = check_vm(spec); !ok) {
    return ok;
  }
  if (auto ok = check_wasm(spec); !ok) {
    return ok;
  }
  if (auto ok = check_lang(spec); !ok) {
    return ok;
  }
  // With --image, the image's Entrypoint and Cmd may provide the command.
  if (spec.argv.empty() && !spec.image) {
    return fail("check command", "", "no command given (usage: strata run [flags] -- CMD [ARGS...])");
  }
  if (!spec.argv.empty() && spec.argv.front().empty() && !spec.entrypoint) {
    return fail("check command", "", "the command is an empty string");
  }
  if (auto ok = check_sandbox_only(spec); !ok) {
    return ok;
  }
  if (spec.rootfs_writable && !spec.rootfs) {
    return fail("check flags", "--rootfs-writable", "needs --rootfs DIR");
  }
  if (spec.rootfs) {
    if (auto ok = check_directory("check --rootfs", *spec.rootfs); !ok) {
      return ok;
    }
  }
  for (const auto& mount : spec.mounts) {
    struct stat st = {};
    if (mount.kind != MountKind::tmpfs && ::stat(mount.source.c_str(), &st) != 0) {
      return fail_errno("check bind source", mount.source);
    }
  }
  if (spec.hostname && spec.shares(Namespace::uts)) {
    return fail("check flags", "--hostname", "cannot set the hostname with --share uts");
  }
  // (uid_t)-1 means "unchanged" to setresuid and cannot be mapped.
  if (spec.uid == UINT32_MAX || spec.gid == UINT32_MAX) {
    return fail("check --uid/--gid", std::to_string(std::max(spec.uid, spec.gid)), "4294967295 is reserved");
  }
  // CAP_SYS_ADMIN inside owns the sandbox's mounts: without the default
  // filter, which refuses the whole mount API, it can lift the read-only
  // /proc/sys and the masks strata placed (and, for a root caller, write the
  // host's kernel knobs). Until those mounts are locked, refuse the mix.
  const auto kept = kept_capabilities(spec);
  if (std::ranges::binary_search(kept, CAP_SYS_ADMIN) && spec.seccomp.kind != SeccompChoice::Kind::builtin) {
    return fail(
        "check flags", "--cap-add SYS_ADMIN",
        "needs strata's default seccomp profile (it can otherwise undo the read-only and masked mounts)");
  }
  if (spec.hostname && (spec.hostname->empty() || spec.hostname->size() > 64)) {
    return fail("check --hostname", *spec.hostname, "must be 1 to 64 characters");
  }
  for (int fd : spec.pass_fds) {
    if (fd < 3) {
      return fail("check --pass-fd", std::to_string(fd), "fds 0-2 are always passed");
    }
    if (::fcntl(fd, F_GETFD) < 0) {
      return fail_errno("check --pass-fd", std::to_string(fd));
    }
  }
  return {};
}

}  // namespace strata
