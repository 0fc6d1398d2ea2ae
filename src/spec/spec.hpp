// Spec: what to run and with what policy, as typed data. Front ends (the CLI
// today; strata.toml and OCI config.json later) fill it and validate it; the
// backends never see raw user input.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"

namespace strata {

// container: a sandbox whose root is an OCI image (--image).
// vm: a QEMU microvm guest whose init is strata (src/vm/).
// wasm: a WebAssembly module on an installed engine, the engine itself in the
// sandbox (or on the host with --no-sandbox) (src/wasm/).
enum class Isolation { host, sandbox, container, vm, wasm };

// How an image's layers become the root: overlayfs, or a private copy where
// overlayfs is unavailable.
enum class ImageMount { automatic, overlay, copy };

// Where a container's writes go: a tmpfs that ends with the run (default),
// or a directory in the store (always with --keep).
enum class WritableLayer { automatic, memory, disk };

// The namespaces a sandbox can be given; user and mount are always new.
enum class Namespace { user, mount, pid, ipc, uts, net, cgroup };

// user: QEMU's user-mode network, for --isolation vm.
enum class NetMode { none, host, user };

enum class PtyMode { automatic, never };

enum class MountKind { bind, ro_bind, tmpfs };

struct MountSpec {
  MountKind kind = MountKind::bind;
  std::string source;       // host path; empty for tmpfs
  std::string destination;  // absolute, normalized path inside the sandbox
  std::uint64_t size = 0;   // tmpfs size in bytes; 0 means the kernel default

  bool operator==(const MountSpec&) const = default;
};

struct EnvVar {
  std::string name;
  std::string value;

  bool operator==(const EnvVar&) const = default;
};

// A resource limit for the workload (setrlimit). RLIM_INFINITY for unlimited.
struct RlimitSpec {
  int resource = 0;
  std::string name;  // "nofile"
  std::uint64_t soft = 0;
  std::uint64_t hard = 0;

  bool operator==(const RlimitSpec&) const = default;
};

enum class LandlockMode { best_effort, require, off };

struct SeccompProgram;  // isolate/sandbox/seccomp.hpp

// program: a filter strata compiled itself (`strata trace` puts its tracing
// filter here); never from a flag. The host backend installs it too, after
// no_new_privs.
struct SeccompChoice {
  enum class Kind { builtin, unconfined, file, program } kind = Kind::builtin;
  std::string path;                               // for Kind::file
  std::shared_ptr<const SeccompProgram> program;  // for Kind::program
  std::string program_name;                       // for Kind::program, shown by --dry-run
};

// Limits enforced through a cgroup, and the run's deadline.
struct Resources {
  std::optional<std::uint64_t> memory_bytes;
  std::optional<std::uint64_t> pids;
  std::optional<double> cpus;
  std::optional<std::chrono::milliseconds> timeout;
  std::chrono::milliseconds kill_after{std::chrono::seconds(2)};
  std::optional<int> stop_signal;  // sent first on --timeout; default: the image's StopSignal, else SIGTERM

  [[nodiscard]] bool needs_cgroup() const { return memory_bytes || pids || cpus || timeout; }
};

// --isolation vm: the guest machine and what boots it.
struct VmSpec {
  std::optional<std::string> kernel;  // default: the newest /boot/vmlinuz-*
  std::optional<std::string>
      initrd;  // replaces strata's own initramfs (the guest's init must speak the channel)
  std::uint64_t memory_bytes = 512ULL << 20;
  unsigned cpus = 1;
  std::string engine = "qemu";
  std::optional<std::string> keep_console;  // save the guest's console to this file

  bool operator==(const VmSpec&) const = default;
  [[nodiscard]] bool customized() const {
    return kernel || initrd || memory_bytes != (512ULL << 20) || cpus != 1 || engine != "qemu" ||
           keep_console;
  }
};

// --isolation wasm: which engine runs the module, the module's memory cap,
// and how the engine itself is confined.
struct WasmSpec {
  std::optional<std::string> engine;          // --wasm-engine; default: the first WASI-capable one
  std::optional<std::uint64_t> memory_bytes;  // --wasm-memory: the cap on the module's linear memory
  bool no_sandbox = false;                    // run the engine as a plain host process
  bool allow_weaker = false;                  // accept (with a warning) what the engine cannot enforce

  bool operator==(const WasmSpec&) const = default;
  [[nodiscard]] bool customized() const { return engine || memory_bytes || no_sandbox || allow_weaker; }
};

// The language environment of a +venv layer (issue 9): what defines it and
// where its packages come from. These machines reach no Python index, so pip
// only ever installs from find_links.
struct LangSpec {
  std::optional<std::string> python_requirements;  // pip -r FILE: requirements.txt or a pinned lock
  std::vector<std::string> find_links;             // pip --find-links DIR (wheels or sdists), --no-index
  std::optional<std::string> node_lockfile;        // package-lock.json; its package.json sits next to it
  std::optional<std::string> python;               // the interpreter inside the layer (default python3)

  bool operator==(const LangSpec&) const = default;
  [[nodiscard]] bool customized() const {
    return python_requirements || !find_links.empty() || node_lockfile || python;
  }
};

// `--isolation A+B+C`, outermost first. The outermost OS layer is
// Spec::isolation; under a VM the guest may run its workload in a sandbox or a
// container (`in_vm`); a language environment is always innermost (`venv`).
// "venv" alone is the host plus a venv.
struct Layers {
  Isolation outer = Isolation::sandbox;
  std::optional<Isolation> in_vm;  // sandbox | container, only when outer is vm
  bool venv = false;
  bool automatic = false;  // "auto": picked from a recorded lock (strata record)

  bool operator==(const Layers&) const = default;
};

struct Spec {
  Isolation isolation = Isolation::sandbox;  // the outermost layer
  bool isolation_given = false;              // --isolation was on the command line (else a module picks wasm)
  std::optional<Isolation> in_vm;            // vm+sandbox, vm+container: the layer inside the guest
  bool venv = false;                         // ...+venv: a language environment innermost
  bool isolation_auto = false;               // --isolation auto: the layer comes from the lock
  std::optional<std::string> lock_file;      // --lock FILE for auto (default ./strata.lock)
  std::optional<std::string> auto_target;    // --target MANIFEST: what auto picks there (--dry-run)
  LangSpec lang;
  VmSpec vm;
  WasmSpec wasm;
  std::vector<std::string> argv;  // argv[0] is looked up in PATH inside

  std::optional<std::string> rootfs;  // a whole directory tree as /
  bool rootfs_writable = false;       // --rootfs-writable: writes go through to it
  // --image REF and what only containers take: the root is the image's
  // layers under a per-run writable layer (none with read_only, kept with keep).
  std::optional<std::string> image;
  bool read_only = false;
  bool keep = false;
  ImageMount image_mount = ImageMount::automatic;
  WritableLayer writable_layer = WritableLayer::automatic;
  std::optional<std::string> entrypoint;  // replaces the image's Entrypoint ("" clears it)
  std::optional<std::string> user;        // NAME|UID[:GROUP|GID], resolved in the image
  std::vector<MountSpec> mounts;          // in command-line order
  std::optional<std::string> workdir;
  std::optional<std::string> hostname;
  std::vector<EnvVar> env;  // --env, applied last
  bool clear_env = false;
  NetMode net = NetMode::none;
  std::vector<Namespace> shared;  // namespaces kept from the host
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::vector<int> pass_fds;
  PtyMode pty = PtyMode::automatic;

  std::vector<int> cap_add;  // capability numbers kept (default: none)
  std::vector<int> cap_drop;
  std::vector<RlimitSpec> rlimits;
  SeccompChoice seccomp;
  LandlockMode landlock = LandlockMode::best_effort;
  Resources resources;

  bool dry_run = false;
  std::optional<std::string> json_status;  // file to write the outcome to

  [[nodiscard]] bool shares(Namespace ns) const;
};

// Parsers for the values of single flags.
Result<MountSpec> parse_bind(std::string_view text, MountKind kind);  // SRC[:DST]
Result<MountSpec> parse_tmpfs(std::string_view text);                 // DST[:SIZE]
Result<EnvVar> parse_env(std::string_view text);                      // NAME=VALUE
Result<Namespace> parse_namespace(std::string_view text);             // net, ipc, ...
Result<NetMode> parse_net(std::string_view text);                     // none | host | user
Result<Isolation> parse_isolation(std::string_view text);  // host | sandbox | container | vm | wasm
// A layer or a stack of them: "vm+container+venv", "venv", "auto". Refuses,
// with the reason, stacks that do not nest (venv+vm, container+vm, wasm+...).
Result<Layers> parse_layers(std::string_view text);
void apply_layers(Spec& spec, const Layers& layers);
std::string layers_text(const Spec& spec);                          // "vm+container+venv"
Result<ImageMount> parse_image_mount(std::string_view text);        // auto | overlay | copy
Result<WritableLayer> parse_writable_layer(std::string_view text);  // memory | disk

// Capabilities by name ("NET_ADMIN", "cap_net_admin", "ALL"); unknown names are errors.
Result<std::vector<int>> parse_capabilities(std::string_view text);
std::string capability_name(int capability);                 // "CAP_NET_ADMIN"
Result<RlimitSpec> parse_rlimit(std::string_view text);      // NAME=SOFT[:HARD]
Result<LandlockMode> parse_landlock(std::string_view text);  // best-effort | require | off
Result<SeccompChoice> parse_seccomp(std::string_view text);  // FILE | unconfined | default
Result<double> parse_cpus(std::string_view text);            // 0.5, 2

// The capabilities the workload keeps: --cap-add minus --cap-drop, sorted.
std::vector<int> kept_capabilities(const Spec& spec);

// Lexically normalizes an absolute path inside the sandbox: collapses "//" and
// "/./", refuses ".." (a destination may never climb) and relative paths.
Result<std::string> normalize_destination(std::string_view path);

std::string_view to_string(Namespace ns);
std::string_view to_string(Isolation isolation);

// The Spec as `strata run` flags: the layers, filesystem, process, hardening
// and resource flags, then "--" and the command. Image, VM and wasm settings
// are not carried: this is for a strata that runs strata inside a layer.
std::vector<std::string> to_flags(const Spec& spec);

// Checks the whole Spec for contradictions the single-flag parsers cannot see.
Result<> validate(const Spec& spec);

}  // namespace strata
