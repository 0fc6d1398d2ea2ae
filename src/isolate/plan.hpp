// Plan: the ordered setup a backend performs, as plain data. Built from a Spec
// and a snapshot of the host (HostFacts) without touching the system, so it
// can be printed (--dry-run), compared and unit-tested without root.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spec/spec.hpp"

namespace strata {

// What build_plan needs to know about the caller and the host.
struct HostFacts {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<EnvVar> environ;  // the caller's environment
  std::string cwd;
  // For each top-level system path (/bin, /lib64, ...): absent, a directory
  // (empty string) or a symlink (its target).
  std::map<std::string, std::optional<std::string>> top_level;
  bool stdin_tty = false;
  bool stdout_tty = false;
  bool stderr_tty = false;
};

// Reads the facts of the running host.
HostFacts gather_host_facts();

// Whether an absolute host path lies beneath one of the system directories a
// sandbox without --rootfs or --image shows (/usr, /etc, /bin, ...).
bool in_system_dirs(std::string_view path);

enum class StepKind {
  bind,       // bind-mount a host path (recursively)
  tmpfs,      // a new tmpfs
  proc,       // a new procfs for the sandbox's pid namespace
  devpts,     // a new devpts instance
  dev_node,   // bind one host character device onto a new file
  symlink,    // create a symlink
  sysfs,      // a new sysfs (needs the sandbox's own network namespace)
  mask,       // hide a path if it exists: /dev/null over a file, an empty read-only tmpfs over a directory
  read_only,  // bind a path onto itself read-only, if it exists
};

struct MountStep {
  StepKind kind = StepKind::bind;
  std::string source;       // bind/dev_node: host path; symlink: link target
  std::string destination;  // path inside the new root
  bool read_only = false;
  // A system mount point (/proc, /dev, /tmp) must not be reached through a
  // symlink, even one that stays inside the rootfs.
  bool no_symlinks = false;
  std::uint64_t size = 0;  // tmpfs size, 0 = kernel default
  std::string mode;        // tmpfs mode, octal text such as "1777"

  bool operator==(const MountStep&) const = default;
};

struct IdMap {
  std::uint32_t inside = 0;
  std::uint32_t outside = 0;
  std::uint32_t count = 1;
};

struct ProcessPlan {
  std::vector<std::string> argv;
  std::vector<std::uint32_t> groups;  // supplementary groups (set only where setgroups is allowed)
  std::vector<std::string> env;       // NAME=VALUE
  std::string cwd;
  bool cwd_required = false;  // --workdir given: failing to enter it is an error
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::vector<int> pass_fds;
  bool pty = false;               // give the workload a pseudo-terminal (stdin is a terminal)
  std::array<bool, 3> pty_fds{};  // which of fds 0-2 are terminals, and get the pty
  std::vector<int> capabilities;  // kept in every set; empty = none
  std::vector<RlimitSpec> rlimits;
};

// A landlock rule: the workload may read (and, if writable, write) beneath path.
struct LandlockRule {
  std::string path;
  bool writable = false;

  bool operator==(const LandlockRule&) const = default;
};

// A root stacked from an image's layers with overlayfs, mounted inside the
// sandbox's user namespace (`userxattr`). Without an upper directory on the
// host, the upper is a private tmpfs that ends with the run (for a read-only
// root it holds only the mount points).
struct OverlayRoot {
  std::vector<std::string> lowers;  // host paths, top layer first
  std::string upper;                // host paths; empty: a private tmpfs
  std::string work;
  // The upper is thrown away after the run: overlayfs may skip every sync
  // (`volatile`), which spares the run a flush of the upper's filesystem.
  bool volatile_upper = false;

  bool operator==(const OverlayRoot&) const = default;
};

// What an image brings to a Plan (the container module prepares it): its
// root, and the process the image's config and the flags make together.
struct ContainerRoot {
  std::optional<OverlayRoot> overlay;
  std::optional<std::string> copy;  // the copy fallback: a private tree used as the root
  bool read_only = false;
  std::vector<std::string> argv;
  std::vector<std::string> env;
  std::string cwd;
  bool cwd_required = false;
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::vector<std::uint32_t> groups;
  std::optional<int> stop_signal;  // the image's StopSignal
};

// --isolation vm: the guest machine. The root is served to the guest over
// virtio-fs: the system dirs (or the rootfs, or the image's layers) and the
// binds in `mounts`; /proc, /sys, /dev and the tmpfs mounts are the guest's.
struct VmPlan {
  VmSpec machine;
  bool network = false;     // --net user: QEMU's user-mode network
  bool private_tmp = true;  // a tmpfs on /tmp (an image has its own /tmp)
  // vm+sandbox, vm+container: the guest's init runs strata itself with these
  // words ("strata run ... -- CMD"), which puts the workload in a sandbox
  // inside the guest; empty: the init runs the workload directly.
  std::vector<std::string> inner;

  bool operator==(const VmPlan&) const = default;
};

// --isolation wasm: the module and the engine that runs it (src/wasm/). The
// rest of the Plan runs that engine: in the sandbox (isolation sandbox) or,
// with --no-sandbox, on the host (isolation host).
struct WasmPlan {
  std::string engine;                 // "node"
  std::string version;                // "v20.20.2"
  std::string module;                 // the module's host path
  std::string module_inside;          // where the engine opens it ("" with --no-sandbox: the host path)
  std::vector<std::string> preopens;  // one line each: guest path, host path, who keeps it read-only
  std::vector<std::string> env;       // the module's environment, NAME=VALUE
  std::optional<std::uint32_t> max_pages;
  std::string memory_flag;          // how the engine is told the cap
  std::vector<std::string> weaker;  // what the engine does not enforce (--allow-weaker)
  std::string command_line;         // the engine's argv for --dry-run, Node's script by name

  bool operator==(const WasmPlan&) const = default;
};

struct Plan {
  Isolation isolation = Isolation::sandbox;
  std::optional<VmPlan> vm;
  std::optional<WasmPlan> wasm;
  std::vector<Namespace> namespaces;  // the new ones
  IdMap uid_map;
  IdMap gid_map;
  bool deny_setgroups = true;  // required to write gid_map without privilege
  std::optional<std::string> hostname;
  bool loopback_up = false;
  std::optional<std::string> rootfs;
  std::optional<OverlayRoot> overlay;  // instead of rootfs, for an image
  bool root_read_only = true;
  std::vector<MountStep> mounts;
  ProcessPlan process;
  SeccompChoice seccomp;
  LandlockMode landlock = LandlockMode::best_effort;
  std::vector<LandlockRule> landlock_rules;
  Resources resources;

  [[nodiscard]] bool unshares(Namespace ns) const;
};

// Spec -> Plan. The Spec must have passed validate(); `container` is given
// for a run with --image.
Plan build_plan(const Spec& spec, const HostFacts& host, const ContainerRoot* container = nullptr);

// vm+sandbox, vm+container: the Spec of the sandbox the guest's strata runs,
// from the outer Spec and its VM Plan (whose process an image has settled).
Spec inner_layer_spec(const Spec& outer, const Plan& vm_plan);
// Its words for the guest's init: "strata", "run", the flags, "--", the command.
std::vector<std::string> inner_layer_words(const Spec& outer, const Plan& vm_plan);

// The environment a workload gets: the safe list kept from the caller (or
// nothing with --clear-env), HOME, then --env in order.
std::vector<std::string> build_environment(const Spec& spec, const HostFacts& host);

// Human-readable listing of a Plan, one step a line (for --dry-run).
std::string to_text(const Plan& plan);

}  // namespace strata
