// strata run --isolation wasm: modules the test builds (C with clang-19 and
// Debian's wasi-libc, .wat with wabt) run on every WebAssembly engine on
// PATH. Each test is instantiated once per engine strata knows; an engine
// that is not installed, or cannot run WASI (Debian's wasm-interp: "wasi
// support not compiled in"), is skipped with that reason.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

#include "harness.hpp"
#include "wasm/command.hpp"
#include "wasm/engine.hpp"

namespace strata::test {
namespace {

using wasm::EngineKind;

// One program, several behaviours, so there is one C build.
constexpr const char* kToolC = R"c(
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cat(int argc, char** argv) {
  int failures = 0;
  for (int i = 2; i < argc; ++i) {
    FILE* f = fopen(argv[i], "r");
    if (!f) {
      printf("%s: denied (%s)\n", argv[i], strerror(errno));
      ++failures;
      continue;
    }
    char buf[256];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    printf("%s: %s", argv[i], buf);
    fclose(f);
  }
  return failures;
}

static int write_file(const char* path, const char* text) {
  FILE* f = fopen(path, "w");
  if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
    printf("%s: denied (%s)\n", path, strerror(errno));
    return 1;
  }
  printf("%s: written\n", path);
  return 0;
}

static int grow(void) {
  while (__builtin_wasm_memory_grow(0, 1) != (size_t)-1) {
  }
  printf("stopped at %lu pages\n", (unsigned long)__builtin_wasm_memory_size(0));
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  if (!strcmp(argv[1], "hello")) {
    printf("hello");
    for (int i = 2; i < argc; ++i) printf(" [%s]", argv[i]);
    const char* greeting = getenv("GREETING");
    const char* home = getenv("HOME");
    printf("\nGREETING=%s HOME=%s\n", greeting ? greeting : "(unset)", home ? home : "(unset)");
    return 0;
  }
  if (!strcmp(argv[1], "cat")) return cat(argc, argv);
  if (!strcmp(argv[1], "write") && argc == 4) return write_file(argv[2], argv[3]);
  if (!strcmp(argv[1], "exit") && argc == 3) return atoi(argv[2]);
  if (!strcmp(argv[1], "grow")) return grow();
  return 2;
}
)c";

constexpr const char* kLoopWat = R"wat((module
  (memory (export "memory") 1)
  (func (export "_start") (loop $forever (br $forever))))
)wat";

constexpr const char* kImportWat = R"wat((module
  (import "env" "missing_function" (func $missing (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (call $missing (i32.const 1))))
)wat";

constexpr const char* kTrapWat = R"wat((module
  (memory (export "memory") 1)
  (func (export "_start") unreachable))
)wat";

// 300 pages (18.75 MiB) from the start.
constexpr const char* kBigWat = R"wat((module
  (memory (export "memory") 300)
  (func (export "_start")))
)wat";

// The modules, built once for the whole suite; `why_not` says why they could not be.
struct Modules {
  std::unique_ptr<TempDir> dir = std::make_unique<TempDir>();
  std::string why_not;
  [[nodiscard]] std::string path(const std::string& name) const { return *dir / name; }
};

std::string build_error(const std::string& what, const Finished& f) {
  return what + " failed (exit " + std::to_string(f.exit_code) + "): " + f.err.substr(0, 400);
}

Modules build_modules() {
  Modules m;
  if (run({"/bin/sh", "-c", "command -v clang-19 && command -v wasm-ld-19"}).exit_code != 0) {
    m.why_not = "clang-19 or lld-19 is not installed (the C modules are built with them)";
    return m;
  }
  if (!path_exists("/usr/include/wasm32-wasi/stdio.h")) {
    m.why_not = "Debian's wasi-libc is not installed (/usr/include/wasm32-wasi)";
    return m;
  }
  if (run({"/bin/sh", "-c", "command -v wat2wasm"}).exit_code != 0) {
    m.why_not = "wat2wasm is not installed (wabt)";
    return m;
  }
  write_file(m.path("tool.c"), kToolC);
  write_file(m.path("loop.wat"), kLoopWat);
  write_file(m.path("import.wat"), kImportWat);
  write_file(m.path("trap.wat"), kTrapWat);
  write_file(m.path("big.wat"), kBigWat);
  auto c = run({"/usr/bin/env", "clang-19", "--target=wasm32-wasi", "--sysroot=/usr", "-fuse-ld=lld", "-O1",
                "-o", m.path("tool.wasm"), m.path("tool.c")});
  if (c.exit_code != 0) {
    m.why_not = build_error("clang-19 --target=wasm32-wasi", c);
    return m;
  }
  for (const std::string name : {"loop", "import", "trap", "big"}) {
    auto wat = run({"/usr/bin/env", "wat2wasm", m.path(name + ".wat"), "-o", m.path(name + ".wasm")});
    if (wat.exit_code != 0) {
      m.why_not = build_error("wat2wasm " + name + ".wat", wat);
      return m;
    }
  }
  return m;
}

const std::vector<wasm::Engine>& engines() {
  static const std::vector<wasm::Engine> found = [] {
    const char* path = std::getenv("PATH");
    return wasm::find_engines(path != nullptr ? path : "", "");
  }();
  return found;
}

const Modules& modules() {
  static const Modules built = build_modules();
  return built;
}

std::string trimmed(std::string text) {
  while (!text.empty() && text.back() == '\n') {
    text.pop_back();
  }
  return text;
}

class WasmRun : public ::testing::TestWithParam<EngineKind> {
 protected:
  void SetUp() override {
    const std::string name(wasm::engine_name(GetParam()));
    if (!modules().why_not.empty()) {
      GTEST_SKIP() << modules().why_not;
    }
    auto it = std::ranges::find_if(engines(), [](const wasm::Engine& e) { return e.kind == GetParam(); });
    if (it == engines().end()) {
      GTEST_SKIP() << name << " is not installed";
    }
    if (!it->wasi_preview1) {
      GTEST_SKIP() << name << ": " << it->unusable_reason;
    }
    engine_ = *it;
  }

  // strata run --isolation wasm --wasm-engine ENGINE FLAGS... -- MODULE ARGS...
  [[nodiscard]] Finished wasm(const std::vector<std::string>& flags, const std::string& module,
                              const std::vector<std::string>& args) const {
    std::vector<std::string> argv{"run", "--isolation", "wasm", "--wasm-engine", engine_.name};
    argv.insert(argv.end(), flags.begin(), flags.end());
    argv.emplace_back("--");
    argv.push_back(modules().path(module));
    argv.insert(argv.end(), args.begin(), args.end());
    return strata(argv);
  }

  [[nodiscard]] wasm::EngineTraits traits() const { return wasm::traits(engine_.kind); }

  wasm::Engine engine_;
};

TEST_P(WasmRun, HelloWorldWithArgsAndEnv) {
  auto f = wasm({"--env", "GREETING=hello wasm"}, "tool.wasm", {"hello", "a", "b c"});
  if (!traits().module_env) {
    EXPECT_EQ(f.exit_code, 125) << describe(f);
    EXPECT_NE(f.err.find("cannot set a module's environment"), std::string::npos) << describe(f);
    f = wasm({}, "tool.wasm", {"hello", "a", "b c"});
    EXPECT_EQ(f.out, "hello [a] [b c]\nGREETING=(unset) HOME=(unset)\n") << describe(f);
    return;
  }
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_EQ(f.out, "hello [a] [b c]\nGREETING=hello wasm HOME=(unset)\n")
      << "the module's environment is --env and nothing else: " << describe(f);
}

TEST_P(WasmRun, AFileInsideAPreopenIsRead) {
  if (!traits().preopen_anywhere && !traits().preopen_same_path) {
    GTEST_SKIP() << engine_.name << " cannot preopen a directory (strata refuses --bind with it)";
  }
  TempDir dir;
  write_file(dir / "in.txt", "from the host\n");
  auto f = wasm({"--ro-bind", dir.path() + ":/data"}, "tool.wasm", {"cat", "/data/in.txt"});
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_EQ(f.out, "/data/in.txt: from the host\n") << describe(f);
}

TEST_P(WasmRun, FilesOutsideThePreopensAreDenied) {
  TempDir dir;
  ::mkdir((dir / "data").c_str(), 0755);
  write_file(dir / "data/in.txt", "inside\n");
  write_file(dir / "secret.txt", "the secret\n");
  std::vector<std::string> flags;
  if (traits().preopen_anywhere || traits().preopen_same_path) {
    flags = {"--ro-bind", dir / "data" + ":/data"};
  }
  // Climbing out of a preopen, a host file no preopen covers, the host path
  // of the secret, and the module itself where the sandbox shows it.
  auto f = wasm(flags, "tool.wasm",
                {"cat", "/data/../secret.txt", "/etc/passwd", dir / "secret.txt", "/run/wasm/tool.wasm"});
  EXPECT_EQ(f.exit_code, 4) << describe(f);
  EXPECT_EQ(f.out.find("the secret"), std::string::npos) << describe(f);
  EXPECT_EQ(f.out.find("root:"), std::string::npos) << describe(f);
  for (const auto& line : lines(f.out)) {
    EXPECT_NE(line.find(": denied ("), std::string::npos) << line;
  }
}

TEST_P(WasmRun, WritesToAReadOnlyPreopenAreDenied) {
  if (!traits().preopen_anywhere && !traits().preopen_same_path) {
    GTEST_SKIP() << engine_.name << " cannot preopen a directory (strata refuses --bind with it)";
  }
  TempDir dir;
  auto ro = wasm({"--ro-bind", dir.path() + ":/data"}, "tool.wasm", {"write", "/data/new.txt", "x"});
  EXPECT_EQ(ro.exit_code, 1) << describe(ro);
  EXPECT_NE(ro.out.find("/data/new.txt: denied ("), std::string::npos) << describe(ro);
  EXPECT_FALSE(path_exists(dir / "new.txt"));
  auto rw = wasm({"--bind", dir.path() + ":/data"}, "tool.wasm", {"write", "/data/new.txt", "x"});
  EXPECT_EQ(rw.exit_code, 0) << "the same write into a --bind works: " << describe(rw);
  EXPECT_EQ(read_file(dir / "new.txt").value_or("<missing>"), "x");
}

TEST_P(WasmRun, TheModulesExitCodePassesThrough) {
  auto f = wasm({}, "tool.wasm", {"exit", "3"});
  EXPECT_EQ(f.exit_code, 3) << describe(f);
  EXPECT_TRUE(f.err.empty()) << describe(f);
}

TEST_P(WasmRun, TimeoutStopsAnInfiniteLoop) {
  auto f = wasm({"--timeout", "1s", "--kill-after", "1s"}, "loop.wasm", {});
  EXPECT_EQ(f.exit_code, 124) << describe(f);
}

TEST_P(WasmRun, TheMemoryCapStopsAGrower) {
  auto f = wasm({"--wasm-memory", "4m"}, "tool.wasm", {"grow"});
  if (!traits().memory_cap) {
    EXPECT_EQ(f.exit_code, 125) << describe(f);
    EXPECT_NE(f.err.find("cannot cap a module's linear memory"), std::string::npos) << describe(f);
    return;
  }
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_EQ(f.out, "stopped at 64 pages\n") << "4 MiB is 64 pages of 64 KiB: " << describe(f);
}

TEST_P(WasmRun, AnUnknownImportIsOneClearLine) {
  auto f = wasm({}, "import.wasm", {});
  EXPECT_EQ(f.exit_code, 125) << describe(f);
  EXPECT_EQ(trimmed(f.err), "strata: run: check module '" + modules().path("import.wasm") +
                                "': imports env.missing_function, which " + engine_.name +
                                " does not provide (it is not part of WASI preview1)");
}

TEST_P(WasmRun, WithoutTheSandboxWhatTheEngineCannotEnforceIsRefused) {
  TempDir dir;
  write_file(dir / "in.txt", "from the host\n");
  const bool weaker = !traits().confines || !traits().read_only_preopens;
  auto refused = wasm({"--no-sandbox", "--ro-bind", dir.path() + ":" + dir.path()}, "tool.wasm",
                      {"cat", dir / "in.txt"});
  if (weaker) {
    EXPECT_EQ(refused.exit_code, 125) << describe(refused);
    EXPECT_NE(refused.err.find("--allow-weaker runs it anyway"), std::string::npos) << describe(refused);
  }
  std::vector<std::string> flags{"--no-sandbox", "--allow-weaker"};
  if (traits().preopen_anywhere || traits().preopen_same_path) {
    flags.insert(flags.end(), {"--ro-bind", dir.path() + ":" + dir.path()});
  }
  auto f = wasm(flags, "tool.wasm", {"cat", dir / "in.txt"});
  if (!traits().preopen_anywhere && !traits().preopen_same_path) {
    EXPECT_NE(f.exit_code, 125) << describe(f);
    return;
  }
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_EQ(f.out, dir / "in.txt" + ": from the host\n") << describe(f);
  EXPECT_EQ(f.err.find("warning: run: not enforced") != std::string::npos, weaker) << describe(f);
}

std::string param_name(const ::testing::TestParamInfo<EngineKind>& info) {
  std::string name(wasm::engine_name(info.param));
  std::ranges::replace(name, '-', '_');
  return name;
}

INSTANTIATE_TEST_SUITE_P(Engines, WasmRun,
                         ::testing::Values(EngineKind::wasmtime, EngineKind::wasmer, EngineKind::wasmedge,
                                           EngineKind::iwasm, EngineKind::wasm3, EngineKind::node,
                                           EngineKind::wasm_interp),
                         param_name);

// The layer-wide behaviour, on whichever engine strata picks.
class Wasm : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!modules().why_not.empty()) {
      GTEST_SKIP() << modules().why_not;
    }
    if (std::ranges::none_of(engines(), [](const wasm::Engine& e) { return e.wasi_preview1; })) {
      GTEST_SKIP() << "no engine on PATH runs WASI preview1 (install nodejs >= 20)";
    }
  }
};

TEST_F(Wasm, ADotWasmCommandPicksTheLayer) {
  auto f = strata({"run", "--env", "GREETING=auto", "--", modules().path("tool.wasm"), "hello"});
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_EQ(f.out, "hello\nGREETING=auto HOME=(unset)\n") << describe(f);
}

TEST_F(Wasm, AModuleWithoutTheExtensionIsKnownByItsMagic) {
  TempDir dir;
  write_file(dir / "tool", read_file(modules().path("tool.wasm")).value());
  auto f = strata({"run", "--", dir / "tool", "exit", "7"});
  EXPECT_EQ(f.exit_code, 7) << describe(f);
  auto plan = strata({"run", "--dry-run", "--", dir / "tool", "hello"});
  EXPECT_EQ(lines(plan.out).at(0), "isolation: wasm") << describe(plan);
  auto host = strata({"run", "--isolation", "sandbox", "--dry-run", "--", dir / "tool"});
  EXPECT_EQ(lines(host.out).at(0), "isolation: sandbox") << "a layer that is named wins: " << describe(host);
}

TEST_F(Wasm, TheDryRunNamesTheEngineItsCommandAndWhatTheSandboxShows) {
  auto f = strata({"run", "--dry-run", "--wasm-memory", "1m", "--ro-bind", "/usr/share:/share", "--",
                   modules().path("tool.wasm"), "cat", "/share/x"});
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_NE(f.out.find("\nengine: "), std::string::npos) << f.out;
  EXPECT_NE(f.out.find("  /share <- /usr/share (read-only: the sandbox's read-only bind"), std::string::npos)
      << f.out;
  EXPECT_NE(f.out.find("bind      " + modules().path("tool.wasm") + " -> /run/wasm/tool.wasm (read-only)"),
            std::string::npos)
      << f.out;
  EXPECT_EQ(f.out.find("bind      /etc -> /etc"), std::string::npos)
      << "the engine sees no host /etc: " << f.out;
  EXPECT_NE(f.out.find("\ncommand: /"), std::string::npos) << f.out;
}

TEST_F(Wasm, AnEngineThatCannotRunWasiIsRefusedWithItsReason) {
  bool any = false;
  for (const auto& engine : engines()) {
    if (engine.wasi_preview1) {
      continue;
    }
    any = true;
    auto f = strata({"run", "--wasm-engine", engine.name, "--", modules().path("tool.wasm"), "hello"});
    EXPECT_EQ(f.exit_code, 125) << describe(f);
    EXPECT_EQ(trimmed(f.err),
              "strata: run: check --wasm-engine '" + engine.name + "': " + engine.unusable_reason);
  }
  if (!any) {
    GTEST_SKIP() << "every engine on PATH runs WASI";
  }
}

TEST_F(Wasm, WithoutAnEngineStrataSaysWhatToInstall) {
  auto f = run({"/usr/bin/env", "PATH=/nonexistent", strata_bin(), "run", "--", modules().path("tool.wasm")});
  EXPECT_EQ(f.exit_code, 125) << describe(f);
  EXPECT_NE(f.err.find("install Node.js >= 20"), std::string::npos) << describe(f);
}

// strata's checks come first; Node's runner has its own for what only V8
// sees (run here without strata in front of it), and ends a trap as wasmtime
// does (134).
TEST_F(Wasm, NodesRunnerReportsFailuresInOneLine) {
  auto node =
      std::ranges::find_if(engines(), [](const wasm::Engine& e) { return e.kind == EngineKind::node; });
  if (node == engines().end() || !node->wasi_preview1) {
    GTEST_SKIP() << "no Node.js >= 20 on PATH";
  }
  const auto runner = [&node](const std::string& module, std::optional<std::uint32_t> max_pages) {
    wasm::ModuleCommand command;
    command.module = modules().path(module);
    command.name = module;
    command.max_pages = max_pages;
    return run(wasm::engine_argv(EngineKind::node, node->path, command));
  };
  auto missing = runner("import.wasm", std::nullopt);
  EXPECT_EQ(missing.exit_code, 125) << describe(missing);
  EXPECT_EQ(
      trimmed(missing.err),
      "strata: run: instantiate module 'import.wasm': imports env.missing_function, which node does not "
      "provide");
  auto trap = runner("trap.wasm", std::nullopt);
  EXPECT_EQ(trap.exit_code, 134) << describe(trap);
  EXPECT_EQ(trimmed(trap.err), "strata: run: module 'trap.wasm' trapped: unreachable");
  auto big = runner("big.wasm", 100);
  EXPECT_EQ(big.exit_code, 125) << describe(big);
  EXPECT_NE(big.err.find("(--wasm-memory allows 100 pages of 64 KiB)"), std::string::npos) << describe(big);
  EXPECT_EQ(lines(big.err).size(), 1U) << describe(big);
  auto through_strata = strata({"run", "--wasm-engine", "node", "--", modules().path("trap.wasm")});
  EXPECT_EQ(through_strata.exit_code, 134) << describe(through_strata);
  auto capped = strata({"run", "--wasm-memory", "1m", "--", modules().path("big.wasm")});
  EXPECT_EQ(capped.exit_code, 125) << describe(capped);
  EXPECT_NE(capped.err.find("starts with 300 pages of linear memory, more than --wasm-memory allows (16)"),
            std::string::npos)
      << "strata refuses it before any engine runs: " << describe(capped);
}

TEST_F(Wasm, AMissingModuleIsNotFound) {
  auto f = strata({"run", "--", "/nonexistent/tool.wasm"});
  EXPECT_EQ(f.exit_code, 127) << describe(f);
  EXPECT_EQ(trimmed(f.err), "strata: run: read module '/nonexistent/tool.wasm': No such file or directory");
}

}  // namespace
}  // namespace strata::test
