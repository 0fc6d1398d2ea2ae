// --isolation wasm as data: the Spec checks, the engine choice, the engine's
// Plan (sandbox binds = preopens, the module bound read-only, /etc narrowed)
// and what each engine's limits make strata refuse.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "wasm/front.hpp"

namespace strata::wasm {
namespace {

HostFacts host_facts() {
  HostFacts host;
  host.uid = 1000;
  host.gid = 1000;
  host.cwd = "/home/me/project";
  host.environ = {{"PATH", "/usr/bin:/bin"}, {"HOME", "/home/me"}, {"NODE_OPTIONS", "--require=/evil.js"}};
  host.top_level = {{"/usr", std::nullopt}, {"/etc", std::nullopt}, {"/bin", "usr/bin"}};
  return host;
}

Candidate engine(EngineKind kind, const std::string& path, bool wasi = true, std::string why = {}) {
  return {.engine = {.kind = kind,
                     .name = std::string(engine_name(kind)),
                     .path = path,
                     .version = "1.0",
                     .wasi_preview1 = wasi,
                     .unusable_reason = std::move(why)},
          .real_path = path};
}

WasmHost wasm_host(std::vector<Candidate> engines = {engine(EngineKind::node, "/usr/bin/node")}) {
  return {.engines = std::move(engines), .etc_files = {"/etc/ld.so.cache"}};
}

ModuleInfo command_module() {
  return {
      .imports = {{.module = "wasi_snapshot_preview1", .name = "fd_write", .kind = analyze::WasmKind::func}},
      .initial_pages = 2,
      .exports_start = true};
}

Spec wasm_spec() {
  Spec spec;
  spec.isolation = Isolation::wasm;
  spec.isolation_given = true;
  spec.argv = {"build/tool.wasm", "cat", "/data/in.txt"};
  return spec;
}

MountSpec mount(MountKind kind, std::string source, std::string destination) {
  return {.kind = kind, .source = std::move(source), .destination = std::move(destination), .size = 0};
}

const MountStep* find_step(const Plan& plan, std::string_view destination) {
  auto it =
      std::ranges::find_if(plan.mounts, [&](const MountStep& s) { return s.destination == destination; });
  return it == plan.mounts.end() ? nullptr : &*it;
}

nlohmann::json node_config(const Plan& plan) {
  return nlohmann::json::parse(plan.process.argv.back());
}

TEST(WasmSpec, WasmFlagsNeedTheWasmLayer) {
  Spec spec = wasm_spec();
  spec.isolation = Isolation::sandbox;
  spec.wasm.no_sandbox = true;
  auto refused = validate(spec);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("need --isolation wasm"), std::string::npos);
  spec.isolation = Isolation::wasm;
  EXPECT_TRUE(validate(spec));
}

TEST(WasmSpec, FlagsAModuleCannotHonourAreRefused) {
  const std::vector<std::pair<std::function<void(Spec&)>, std::string>> cases = {
      {[](Spec& s) { s.rootfs = "/"; }, "--rootfs"},
      {[](Spec& s) { s.net = NetMode::host; }, "--net"},
      {[](Spec& s) { s.shared = {Namespace::pid}; }, "--share"},
      {[](Spec& s) { s.uid = 5; }, "--uid"},
      {[](Spec& s) { s.hostname = "box"; }, "--hostname"},
      {[](Spec& s) { s.workdir = "/data"; }, "--workdir"},
      {[](Spec& s) { s.cap_add = {0}; }, "--cap-add"},
      {[](Spec& s) {
         s.wasm.no_sandbox = true;
         s.mounts = {{.kind = MountKind::tmpfs, .source = {}, .destination = "/scratch", .size = 0}};
       },
       "--tmpfs with --no-sandbox"},
      {[](Spec& s) { s.wasm.memory_bytes = 1000; }, "--wasm-memory"},
      {[](Spec& s) { s.mounts = {mount(MountKind::bind, "/tmp", "/a:b")}; }, "cannot contain ':'"},
  };
  for (const auto& [change, expected] : cases) {
    Spec spec = wasm_spec();
    change(spec);
    auto refused = validate(spec);
    ASSERT_FALSE(refused) << expected;
    EXPECT_NE(refused.error().message().find(expected), std::string::npos) << refused.error().message();
  }
}

TEST(WasmSpec, TheIsolationParsesAndPrints) {
  EXPECT_EQ(parse_isolation("wasm").value(), Isolation::wasm);
  EXPECT_EQ(to_string(Isolation::wasm), "wasm");
}

TEST(WasmEngineChoice, TheFirstThatRunsWasiUnlessOneIsNamed) {
  const std::vector<Candidate> engines{
      engine(EngineKind::wasmtime, "/usr/bin/wasmtime"), engine(EngineKind::node, "/usr/bin/node"),
      engine(EngineKind::wasm_interp, "/usr/bin/wasm-interp", false, "wasi support not compiled in")};
  EXPECT_EQ(choose_engine(std::nullopt, engines)->engine.kind, EngineKind::wasmtime);
  EXPECT_EQ(choose_engine("node", engines)->engine.kind, EngineKind::node);
  auto interp = choose_engine("wasm-interp", engines);
  ASSERT_FALSE(interp);
  EXPECT_EQ(interp.error().message(), "check --wasm-engine 'wasm-interp': wasi support not compiled in");
  auto missing = choose_engine("wasmer", engines);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message(), "check --wasm-engine 'wasmer': not found on PATH");
}

TEST(WasmEngineChoice, NoneThatRunsWasiNamesWhatToInstall) {
  auto none = choose_engine(std::nullopt, {engine(EngineKind::wasm_interp, "/usr/bin/wasm-interp", false,
                                                  "wasi support not compiled in")});
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().message(),
            "choose a WebAssembly engine: no engine on PATH runs WASI preview1 modules (wasm-interp: wasi "
            "support not compiled in); install Node.js >= 20 (Debian: nodejs) or wasmtime");
  auto empty = choose_engine(std::nullopt, {});
  ASSERT_FALSE(empty);
  EXPECT_NE(empty.error().message().find("none of wasmtime"), std::string::npos);
}

TEST(WasmPlan, TheEngineRunsInTheSandboxWithEachBindAlsoAPreopen) {
  Spec spec = wasm_spec();
  spec.mounts = {mount(MountKind::ro_bind, "/srv/in", "/data"), mount(MountKind::bind, "out", "/out")};
  spec.env = {{.name = "GREETING", .value = "hi"}};
  auto plan = build_wasm_plan(spec, host_facts(), wasm_host(), command_module());
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_EQ(plan->isolation, Isolation::sandbox);
  ASSERT_TRUE(plan->wasm);
  EXPECT_EQ(plan->wasm->module, "/home/me/project/build/tool.wasm");
  EXPECT_EQ(plan->wasm->module_inside, "/run/wasm/tool.wasm");
  const MountStep* module = find_step(*plan, "/run/wasm/tool.wasm");
  ASSERT_NE(module, nullptr);
  EXPECT_EQ(module->source, "/home/me/project/build/tool.wasm");
  EXPECT_TRUE(module->read_only);
  ASSERT_NE(find_step(*plan, "/data"), nullptr);
  EXPECT_TRUE(find_step(*plan, "/data")->read_only);
  ASSERT_NE(find_step(*plan, "/out"), nullptr);
  EXPECT_FALSE(find_step(*plan, "/out")->read_only);
  EXPECT_TRUE(plan->unshares(Namespace::net));
  const auto config = node_config(*plan);
  EXPECT_EQ(config["preopens"], (nlohmann::json{{"/data", "/data"}, {"/out", "/out"}}));
  EXPECT_EQ(config["env"], (nlohmann::json{{"GREETING", "hi"}}));
  EXPECT_EQ(config["args"], nlohmann::json::array({"/run/wasm/tool.wasm", "cat", "/data/in.txt"}));
  EXPECT_EQ(plan->process.cwd, "/");
  EXPECT_TRUE(std::ranges::none_of(plan->process.env, [](const std::string& v) {
    return v.starts_with("GREETING=") || v.starts_with("NODE_OPTIONS=");
  })) << "--env is the module's, and nothing of the caller's reaches node";
  EXPECT_NE(to_text(*plan).find("isolation: wasm\nengine: node 1.0, inside the process sandbox"),
            std::string::npos);
}

TEST(WasmPlan, TheSandboxShowsOnlyTheLoadersFilesOfEtc) {
  auto plan = build_wasm_plan(wasm_spec(), host_facts(), wasm_host(), command_module());
  ASSERT_TRUE(plan);
  EXPECT_EQ(find_step(*plan, "/etc"), nullptr);
  const MountStep* cache = find_step(*plan, "/etc/ld.so.cache");
  ASSERT_NE(cache, nullptr);
  EXPECT_TRUE(cache->read_only);
  ASSERT_NE(find_step(*plan, "/usr"), nullptr);
}

TEST(WasmPlan, AnEngineOutsideTheSystemDirsIsBoundWithItsInstallation) {
  Candidate wasmtime = engine(EngineKind::wasmtime, "/home/me/.local/bin/wasmtime");
  wasmtime.real_path = "/home/me/.wasmtime/bin/wasmtime";
  auto plan = build_wasm_plan(wasm_spec(), host_facts(), wasm_host({wasmtime}), command_module());
  ASSERT_TRUE(plan) << plan.error().message();
  const MountStep* install = find_step(*plan, "/home/me/.wasmtime");
  ASSERT_NE(install, nullptr);
  EXPECT_TRUE(install->read_only);
  EXPECT_EQ(plan->process.argv.front(), "/home/me/.wasmtime/bin/wasmtime");
  Spec hiding = wasm_spec();
  hiding.mounts = {mount(MountKind::bind, "/tmp", "/home")};
  auto refused = build_wasm_plan(hiding, host_facts(), wasm_host({wasmtime}), command_module());
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("would hide /home/me/.wasmtime"), std::string::npos);
  hiding.mounts = {mount(MountKind::bind, "/tmp", "/run")};
  EXPECT_FALSE(build_wasm_plan(hiding, host_facts(), wasm_host(), command_module())) << "hides the module";
}

TEST(WasmPlan, NoSandboxRunsTheEngineOnTheHostWithHostPaths) {
  Spec spec = wasm_spec();
  spec.wasm.no_sandbox = true;
  spec.mounts = {mount(MountKind::bind, "data", "/data")};
  Candidate wasmtime = engine(EngineKind::wasmtime, "/usr/bin/wasmtime");
  auto plan = build_wasm_plan(spec, host_facts(), wasm_host({wasmtime}), command_module());
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_EQ(plan->isolation, Isolation::host);
  EXPECT_TRUE(plan->mounts.empty());
  EXPECT_EQ(plan->process.argv,
            (std::vector<std::string>{"/usr/bin/wasmtime", "run", "--dir", "/home/me/project/data::/data",
                                      "--", "/home/me/project/build/tool.wasm", "cat", "/data/in.txt"}));
  EXPECT_TRUE(std::ranges::none_of(plan->process.env,
                                   [](const std::string& v) { return v.starts_with("NODE_OPTIONS="); }));
}

TEST(WasmPlan, NodeWithoutTheSandboxNeedsAllowWeakerForAPreopen) {
  Spec spec = wasm_spec();
  spec.wasm.no_sandbox = true;
  auto nothing_to_open = build_wasm_plan(spec, host_facts(), wasm_host(), command_module());
  ASSERT_TRUE(nothing_to_open) << nothing_to_open.error().message();
  EXPECT_TRUE(nothing_to_open->wasm->weaker.empty()) << "no preopen, no path a module could open";
  spec.mounts = {mount(MountKind::ro_bind, "/srv/in", "/data")};
  auto refused = build_wasm_plan(spec, host_facts(), wasm_host(), command_module());
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("not a security boundary"), std::string::npos);
  spec.wasm.allow_weaker = true;
  auto plan = build_wasm_plan(spec, host_facts(), wasm_host(), command_module());
  ASSERT_TRUE(plan) << plan.error().message();
  ASSERT_EQ(plan->wasm->weaker.size(), 2U);
  EXPECT_NE(plan->wasm->weaker[1].find("--ro-bind '/srv/in': node cannot make a preopen read-only"),
            std::string::npos);
  EXPECT_EQ(node_config(*plan)["preopens"], (nlohmann::json{{"/data", "/srv/in"}}));
}

TEST(WasmPlan, ReadOnlyPreopensOnTheHostNeedAnEngineThatSaysSo) {
  Spec spec = wasm_spec();
  spec.wasm.no_sandbox = true;
  spec.mounts = {mount(MountKind::ro_bind, "/srv/in", "/data")};
  EXPECT_FALSE(build_wasm_plan(
      spec, host_facts(), wasm_host({engine(EngineKind::wasmtime, "/usr/bin/wasmtime")}), command_module()));
  auto edge = build_wasm_plan(
      spec, host_facts(), wasm_host({engine(EngineKind::wasmedge, "/usr/bin/wasmedge")}), command_module());
  ASSERT_TRUE(edge) << edge.error().message();
  EXPECT_TRUE(edge->wasm->weaker.empty());
  EXPECT_NE(std::ranges::find(edge->process.argv, "/data:/srv/in:readonly"), edge->process.argv.end());
}

TEST(WasmPlan, TheMemoryCap) {
  Spec spec = wasm_spec();
  spec.wasm.memory_bytes = 4ULL << 20;
  auto plan = build_wasm_plan(spec, host_facts(), wasm_host(), command_module());
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->wasm->max_pages, 64U);
  EXPECT_NE(std::ranges::find(plan->process.argv, "--wasm-max-mem-pages=64"), plan->process.argv.end());
  const std::vector<Candidate> wasmer{engine(EngineKind::wasmer, "/usr/bin/wasmer")};
  auto refused = build_wasm_plan(spec, host_facts(), wasm_host(wasmer), command_module());
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("wasmer cannot cap a module's linear memory"), std::string::npos);
  spec.wasm.allow_weaker = true;
  auto weaker = build_wasm_plan(spec, host_facts(), wasm_host(wasmer), command_module());
  ASSERT_TRUE(weaker);
  EXPECT_FALSE(weaker->wasm->max_pages);
  EXPECT_EQ(weaker->wasm->weaker.size(), 1U);
  ModuleInfo big = command_module();
  big.initial_pages = 65;
  spec.wasm.allow_weaker = false;
  auto too_big = build_wasm_plan(spec, host_facts(), wasm_host(), big);
  ASSERT_FALSE(too_big);
  EXPECT_NE(too_big.error().message().find("starts with 65 pages"), std::string::npos);
}

TEST(WasmPlan, TheModuleMustBeAPreview1Command) {
  ModuleInfo library = command_module();
  library.exports_start = false;
  auto refused = build_wasm_plan(wasm_spec(), host_facts(), wasm_host(), library);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().exit_code, kExitCannotExecute);
  ModuleInfo unknown = command_module();
  unknown.imports.push_back({.module = "env", .name = "missing_function", .kind = analyze::WasmKind::func});
  auto missing = build_wasm_plan(wasm_spec(), host_facts(), wasm_host(), unknown);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().exit_code, kExitFailure);
  EXPECT_NE(missing.error().message().find("imports env.missing_function, which node does not provide"),
            std::string::npos);
}

TEST(WasmPlan, Wasm3GetsAnEmptyWorkingDirectoryAndNoPreopens) {
  const std::vector<Candidate> wasm3{engine(EngineKind::wasm3, "/usr/bin/wasm3")};
  auto plan = build_wasm_plan(wasm_spec(), host_facts(), wasm_host(wasm3), command_module());
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->process.cwd, "/tmp");
  EXPECT_TRUE(plan->process.env.empty());
  Spec host = wasm_spec();
  host.wasm.no_sandbox = true;
  auto refused = build_wasm_plan(host, host_facts(), wasm_host(wasm3), command_module());
  ASSERT_FALSE(refused) << "wasm3 gives the module the caller's working directory";
  EXPECT_NE(refused.error().message().find("gives a module its working directory"), std::string::npos);
  Spec spec = wasm_spec();
  spec.mounts = {mount(MountKind::bind, "/srv", "/srv")};
  EXPECT_FALSE(build_wasm_plan(spec, host_facts(), wasm_host(wasm3), command_module()));
  spec.mounts.clear();
  spec.env = {{.name = "A", .value = "1"}};
  EXPECT_FALSE(build_wasm_plan(spec, host_facts(), wasm_host(wasm3), command_module()));
}

TEST(WasmPlan, DryRunShowsTheEngineCommandWithTheRunnerByName) {
  Spec spec = wasm_spec();
  spec.wasm.memory_bytes = 1ULL << 20;
  const std::string text = to_text(*build_wasm_plan(spec, host_facts(), wasm_host(), command_module()));
  EXPECT_NE(text.find("linear memory: at most 16 pages (1024 KiB)"), std::string::npos) << text;
  EXPECT_NE(text.find("command: /usr/bin/node --no-warnings --wasm-max-mem-pages=16 -e <strata's node:wasi "
                      "runner"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace strata::wasm
