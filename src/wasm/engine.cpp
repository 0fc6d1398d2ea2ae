// Finding WebAssembly engines: on PATH, each asked for its version (and,
// where it can lack WASI, tried on a minimal WASI module) unless the engine
// cache (engine_cache.hpp) knows the binary, or under a root tree by name
// only.
#include "wasm/engine.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <utility>

#include "base/fds.hpp"
#include "base/files.hpp"
#include "base/unique_fd.hpp"
#include "wasm/engine_cache.hpp"

namespace strata::wasm {

namespace {

using namespace std::chrono_literals;

struct Known {
  EngineKind kind;
  std::string_view name;  // also the binary's name
};

// The documented order of preference: ahead-of-time/JIT compilers first
// (wasmtime, wasmer, WasmEdge, WAMR's iwasm), then the interpreters, Node.js
// (V8: fast, but its WASI is no security boundary) before wabt's reference
// interpreter, the slowest.
constexpr std::array<Known, 7> kKnown{{
    {EngineKind::wasmtime, "wasmtime"},
    {EngineKind::wasmer, "wasmer"},
    {EngineKind::wasmedge, "wasmedge"},
    {EngineKind::iwasm, "iwasm"},
    {EngineKind::wasm3, "wasm3"},
    {EngineKind::node, "node"},
    {EngineKind::wasm_interp, "wasm-interp"},
}};

// How long an engine may take to say its version or run the probe module.
constexpr auto kAskTimeout = 2s;

// Node.js has node:wasi with `version: 'preview1'` from 20 on.
constexpr int kMinimumNode = 20;

// The smallest WASI command: a memory and an empty _start. Equivalent to
// (module (memory (export "memory") 1) (func (export "_start"))).
constexpr auto kProbeModule = std::to_array<unsigned char>({
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,        // magic, version 1
    0x01, 0x04, 0x01, 0x60, 0x00, 0x00,                    // type: () -> ()
    0x03, 0x02, 0x01, 0x00,                                // function 0: type 0
    0x05, 0x03, 0x01, 0x00, 0x01,                          // memory: min 1 page
    0x07, 0x13, 0x02,                                      // export: 2 entries
    0x06, 'm',  'e',  'm',  'o',  'r',  'y',  0x02, 0x00,  // "memory": memory 0
    0x06, '_',  's',  't',  'a',  'r',  't',  0x00, 0x00,  // "_start": function 0
    0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b,                    // code: an empty body
});

constexpr std::string_view kNoWasi = "wasi support not compiled in";

bool is_executable_file(const std::string& path) {
  struct stat st = {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// The first match on PATH; relative and empty entries (the caller's working
// directory) are skipped, so a file in the current directory is never run.
std::optional<std::string> find_on_path(std::string_view path_env, std::string_view name) {
  std::size_t pos = 0;
  while (pos <= path_env.size()) {
    const std::size_t next = std::min(path_env.find(':', pos), path_env.size());
    const std::string_view dir = path_env.substr(pos, next - pos);
    pos = next + 1;
    if (dir.empty() || dir.front() != '/') {
      continue;
    }
    std::string candidate(dir);
    if (candidate.back() != '/') {
      candidate += '/';
    }
    candidate += name;
    if (is_executable_file(candidate)) {
      return candidate;
    }
  }
  return std::nullopt;
}

struct Answer {
  int status = -1;  // the wait status; -1 when it did not end in time
  std::string output;
};

int pidfd_open(pid_t pid) {
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0U));
}

// Waits until `fd` is readable or the deadline passes; false on the deadline.
bool wait_readable(int fd, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return false;
    }
    pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
    const int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n > 0) {
      return true;
    }
    if (n < 0 && errno != EINTR) {
      return false;
    }
  }
}

// Reads `fd` to its end (at most 64 KiB); false if the deadline came first.
bool read_until(int fd, std::chrono::steady_clock::time_point deadline, std::string& out) {
  std::array<char, 4096> buffer{};
  while (out.size() < (64U << 10)) {
    if (!wait_readable(fd, deadline)) {
      return false;
    }
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    out.append(buffer.data(), static_cast<std::size_t>(n));
  }
  return true;
}

// Runs argv with an empty environment, stdin from /dev/null, stdout and
// stderr together into a pipe and, if `fd3` >= 0, that fd as fd 3; kills it
// at the deadline.
Result<Answer> ask(const std::vector<std::string>& argv, int fd3) {
  std::array<int, 2> pipe{};
  if (::pipe2(pipe.data(), O_CLOEXEC) != 0) {
    return fail_errno("create a pipe to ask", argv.front());
  }
  UniqueFd out_read(pipe[0]);
  UniqueFd out_write(pipe[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_write.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out_write.get(), STDERR_FILENO);
  if (fd3 >= 0) {
    posix_spawn_file_actions_adddup2(&actions, fd3, 3);  // dup2 clears FD_CLOEXEC on the copy
  }
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& word : argv) {
    args.push_back(const_cast<char*>(word.c_str()));  // NOLINT(cppcoreguidelines-pro-type-const-cast)
  }
  args.push_back(nullptr);
  std::array<char*, 1> no_env{nullptr};
  pid_t pid = -1;
  const int err = ::posix_spawn(&pid, args[0], &actions, nullptr, args.data(), no_env.data());
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0) {
    return fail_errno("run", argv.front(), err);
  }
  out_write.reset();
  const UniqueFd pidfd(pidfd_open(pid));
  const auto deadline = std::chrono::steady_clock::now() + kAskTimeout;
  Answer answer;
  bool in_time = read_until(out_read.get(), deadline, answer.output);
  if (in_time && pidfd && !wait_readable(pidfd.get(), deadline)) {
    in_time = false;
  }
  if (!in_time) {
    ::kill(pid, SIGKILL);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  answer.status = in_time ? status : -1;
  return answer;
}

std::string first_line(std::string_view text) {
  const auto start = text.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) {
    return {};
  }
  text = text.substr(start);
  text = text.substr(0, text.find('\n'));
  while (!text.empty() && (text.back() == '\r' || text.back() == ' ' || text.back() == '\t')) {
    text.remove_suffix(1);
  }
  return std::string(text);
}

// "v20.20.2" -> 20.
std::optional<int> node_major(std::string_view version) {
  if (version.starts_with('v')) {
    version.remove_prefix(1);
  }
  int major = 0;
  std::size_t digits = 0;
  for (char c : version) {
    if (c < '0' || c > '9' || digits == 4) {
      break;
    }
    major = major * 10 + (c - '0');
    ++digits;
  }
  return digits == 0 ? std::nullopt : std::optional<int>(major);
}

// wabt's wasm-interp can be built without WASI (Debian's is): then
// `--wasi` prints "wasi support not compiled in" and fails. Try it on a
// minimal module in a memfd, passed as fd 3. False when the answer says
// nothing lasting about the binary (it could not be run, or not in time).
bool probe_wasm_interp(Engine& engine) {
  const UniqueFd module(::memfd_create("strata-wasi-probe", MFD_CLOEXEC));
  const std::string_view bytes(reinterpret_cast<const char*>(kProbeModule.data()), kProbeModule.size());
  if (!module || !write_all(module.get(), bytes, "write the WASI probe module", "memfd")) {
    engine.unusable_reason = "could not prepare a module to try its WASI support";
    return false;
  }
  auto answer = ask({engine.path, "--wasi", "/proc/self/fd/3"}, module.get());
  if (!answer) {
    engine.unusable_reason = answer.error().message();
    return false;
  }
  if (answer->output.find(kNoWasi) != std::string::npos) {
    engine.unusable_reason = std::string(kNoWasi);
  } else if (answer->status == -1) {
    engine.unusable_reason = "a minimal WASI module did not finish within 2 s";
    return false;
  } else if (!WIFEXITED(answer->status) || WEXITSTATUS(answer->status) != 0) {
    const std::string line = first_line(answer->output);
    engine.unusable_reason = "a minimal WASI module failed" + (line.empty() ? "" : ": " + line);
  } else {
    engine.wasi_preview1 = true;
  }
  return true;
}

// Asks the engine; false when the answer is not worth keeping (a busy
// machine's timeout, a failed spawn): the next run asks again.
bool probe(Engine& engine) {
  auto answer = ask({engine.path, "--version"}, -1);
  if (!answer) {
    engine.unusable_reason = answer.error().message();
    return false;
  }
  if (answer->status == -1) {
    engine.unusable_reason = "'" + engine.name + " --version' did not answer within 2 s";
    return false;
  }
  engine.version = first_line(answer->output);
  switch (engine.kind) {
    case EngineKind::node: {
      const auto major = node_major(engine.version);
      if (!major) {
        engine.unusable_reason = "'node --version' did not print a version";
        return false;  // a crash, perhaps: ask again next time
      }
      if (*major < kMinimumNode) {
        engine.unusable_reason = "Node.js " + engine.version +
                                 " is too old: node:wasi with version 'preview1' needs Node.js >= 20";
      } else {
        engine.wasi_preview1 = true;
      }
      return true;
    }
    case EngineKind::wasm_interp:
      return probe_wasm_interp(engine);
    case EngineKind::wasmtime:
    case EngineKind::wasmer:
    case EngineKind::wasmedge:
    case EngineKind::iwasm:
    case EngineKind::wasm3:
      // They implement preview1 in every release strata knows of (not tried:
      // none of them is installed where strata is tested; see docs/wasm.md).
      engine.wasi_preview1 = true;
      return true;
  }
  return false;
}

// A regular, executable file at `path` inside `root`, its symlinks resolved
// within the root.
bool executable_in_root(int root, const std::string& path) {
  open_how how{};
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  const UniqueFd fd(openat2_retrying(root, path.c_str(), how));
  struct stat st = {};
  return fd && ::fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111) != 0;
}

}  // namespace

std::string_view engine_name(EngineKind kind) {
  for (const auto& known : kKnown) {
    if (known.kind == kind) {
      return known.name;
    }
  }
  return "?";
}

std::optional<EngineKind> parse_engine_name(std::string_view name) {
  for (const auto& known : kKnown) {
    if (known.name == name) {
      return known.kind;
    }
  }
  return std::nullopt;
}

std::vector<Engine> find_engines(std::string_view path_env, const std::string& cache_dir) {
  EngineCache cache(cache_dir);
  std::vector<Engine> out;
  for (const auto& known : kKnown) {
    auto path = find_on_path(path_env, known.name);
    if (!path) {
      continue;
    }
    Engine engine{.kind = known.kind,
                  .name = std::string(known.name),
                  .path = std::move(*path),
                  .version = {},
                  .wasi_preview1 = false,
                  .unusable_reason = {}};
    // Identified before it is run: a binary replaced in between is cached
    // under its old identity, which no longer matches next time.
    const auto id = identify_binary(engine.path);
    if (auto facts = id ? cache.find(engine.name, *id) : std::nullopt) {
      engine.version = std::move(facts->version);
      engine.wasi_preview1 = facts->wasi_preview1;
      engine.unusable_reason = std::move(facts->reason);
    } else if (probe(engine) && id) {
      cache.put(engine.name, *id,
                {.version = engine.version,
                 .wasi_preview1 = engine.wasi_preview1,
                 .reason = engine.unusable_reason});
    }
    out.push_back(std::move(engine));
  }
  cache.save();
  return out;
}

std::vector<Engine> find_engines_in_root(const std::string& root) {
  std::vector<Engine> out;
  const UniqueFd dir(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dir) {
    return out;
  }
  for (const auto& known : kKnown) {
    for (std::string_view bin : {"/usr/bin/", "/usr/local/bin/", "/bin/"}) {
      const std::string path = std::string(bin) + std::string(known.name);
      if (!executable_in_root(dir.get(), path)) {
        continue;
      }
      Engine engine{.kind = known.kind,
                    .name = std::string(known.name),
                    .path = path,
                    .version = {},
                    .wasi_preview1 = known.kind != EngineKind::wasm_interp,
                    .unusable_reason = {}};
      if (known.kind == EngineKind::wasm_interp) {
        engine.unusable_reason =
            "wabt's wasm-interp runs WASI only when built with it (not run under a root)";
      }
      out.push_back(std::move(engine));
      break;
    }
  }
  return out;
}

}  // namespace strata::wasm
