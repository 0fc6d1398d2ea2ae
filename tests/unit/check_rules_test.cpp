// strata check's rules on hand-made manifests and needs: each rule met and
// unmet, what is not checked, and the verdict (the lowest layer wins).
#include <gtest/gtest.h>

#include <algorithm>

#include "check/check.hpp"
#include "check/rules.hpp"

namespace strata::check {
namespace {

using nlohmann::json;
using probe::Manifest;

const json kV3Flags = {"cmov", "cx8",     "fpu",  "fxsr",   "lm",     "mmx",    "sse",   "sse2", "syscall",
                       "cx16", "lahf_lm", "pni",  "popcnt", "sse4_1", "sse4_2", "ssse3", "abm",  "avx",
                       "avx2", "bmi1",    "bmi2", "f16c",   "fma",    "movbe",  "xsave"};

// A Debian 12 machine on an x86-64-v3 CPU with a 6.1 kernel.
Manifest machine() {
  Manifest m{.generator = "test", .target = "live", .redacted = false, .layers = {}};
  auto& hw = m.layers[Layer::hardware];
  probe::add(hw, "arch", "x86_64", "uname(2)");
  probe::add(hw, "cpu.isa_level", "x86-64-v3", "/proc/cpuinfo");
  probe::add(hw, "cpu.flags", kV3Flags, "/proc/cpuinfo");
  auto& k = m.layers[Layer::kernel];
  probe::add(k, "release", "6.1.0-18-amd64", "uname(2)");
  probe::add(k, "io_uring.enabled", true, "/proc/sys/kernel/io_uring_disabled");
  probe::add(k, "landlock.abi", 3, "landlock_create_ruleset(2)");
  probe::add(k, "namespaces.user", true, "/proc/self/ns");
  probe::add(k, "namespaces.net", true, "/proc/self/ns");
  probe::add(k, "userns.unprivileged", true, "/proc/sys/kernel/unprivileged_userns_clone");
  probe::add(k, "seccomp.filter", json{"kill_process", "errno", "allow"},
             "/proc/sys/kernel/seccomp/actions_avail");
  probe::add(k, "sysctl.kernel.unprivileged_bpf_disabled", 2, "/proc/sys/kernel/unprivileged_bpf_disabled");
  auto& sys = m.layers[Layer::system];
  probe::add(sys, "libc.flavour", "glibc", "/lib64/ld-linux-x86-64.so.2");
  probe::add(sys, "libc.max_symbol_version", "GLIBC_2.36", "/lib/x86_64-linux-gnu/libc.so.6");
  probe::add(sys, "libc.version", "2.36", "/lib/x86_64-linux-gnu/libc.so.6");
  probe::add(sys, "ld.path", "/lib64/ld-linux-x86-64.so.2", "/lib64/ld-linux-x86-64.so.2");
  probe::add(sys, "ld.cache", {{"path", "/etc/ld.so.cache"}, {"valid", true}, {"entries", 3}},
             "/etc/ld.so.cache");
  probe::add(sys, "library.libc.so.6", {{"path", "/lib/x86_64-linux-gnu/libc.so.6"}, {"version", "6"}},
             "cache");
  probe::add(sys, "library.libstdc++.so.6", {{"target", "libstdc++.so.6.0.30"}, {"version", "6.0.30"}},
             "cache");
  probe::add(sys, "tool.python3", {{"path", "/usr/bin/python3"}, {"version", "3.11.2"}}, "dpkg");
  auto& lang = m.layers[Layer::language];
  probe::add(lang, "python.package.requests", {{"version", "2.31.0"}}, "METADATA");
  probe::add(lang, "python.package.typing-extensions", {{"version", "4.9.0"}}, "METADATA");
  probe::add(lang, "node.package.left-pad", {{"version", "1.3.0"}}, "node_modules/.package-lock.json");
  return m;
}

Needs needs() {
  return Needs{.origin = "needs.json"};
}

const Unmet* find_unmet(const Report& r, std::string_view need) {
  const auto it = std::ranges::find(r.unmet, need, &Unmet::need);
  return it == r.unmet.end() ? nullptr : &*it;
}
bool has_note(const Report& r, std::string_view need) {
  return std::ranges::find(r.notes, need, &Note::need) != r.notes.end();
}
bool has_not_checked(const Report& r, std::string_view need) {
  return std::ranges::find(r.not_checked, need, &NotChecked::need) != r.not_checked.end();
}

void set(Manifest& m, Layer layer, const std::string& key, json value) {
  probe::add(m.layers[layer], key, std::move(value), "test");
}

TEST(CheckHardware, MachineAndIsaLevel) {
  Needs n = needs();
  n.machines = {"x86-64"};
  n.isa_level = "x86-64-v3";
  EXPECT_TRUE(check(n, machine()).satisfied());

  Manifest v2 = machine();
  set(v2, Layer::hardware, "cpu.isa_level", "x86-64-v2");
  json flags = kV3Flags;
  flags.erase(std::ranges::find(flags, "avx2"));
  flags.erase(std::ranges::find(flags, "fma"));
  set(v2, Layer::hardware, "cpu.flags", flags);
  const Report r = check(n, v2);
  const Unmet* isa = find_unmet(r, "isa_level");
  ASSERT_NE(isa, nullptr);
  EXPECT_EQ(isa->layer, Layer::hardware);
  EXPECT_EQ(isa->target_has, "x86-64-v2");
  EXPECT_NE(isa->reason.find("lacks avx2, fma;"), std::string::npos) << isa->reason;

  Manifest arm = machine();
  set(arm, Layer::hardware, "arch", "aarch64");
  const Report arm_report = check(n, arm);
  const Unmet* machine_unmet = find_unmet(arm_report, "machines x86-64");
  ASSERT_NE(machine_unmet, nullptr);
  EXPECT_EQ(machine_unmet->target_has, "aarch64");
}

TEST(CheckHardware, IsaLevelFromTheFlagsWhenTheLevelIsAbsent) {
  Needs n = needs();
  n.isa_level = "x86-64-v4";
  Manifest m = machine();
  m.layers[Layer::hardware].erase("cpu.isa_level");
  const Report m_report = check(n, m);
  const Unmet* isa = find_unmet(m_report, "isa_level");
  ASSERT_NE(isa, nullptr);
  EXPECT_EQ(isa->target_has, "x86-64-v3");
  EXPECT_NE(isa->reason.find("avx512f"), std::string::npos) << isa->reason;
}

TEST(CheckHardware, AHwcapsVariantTheCpuCannotLoadIsANoteNotUnmet) {
  Needs n = needs();
  n.hwcaps = {{"libfoo.so.1", "x86-64-v4"}, {"libbar.so.2", "x86-64-v3"}};
  const Report r = check(n, machine());
  EXPECT_TRUE(r.satisfied());
  EXPECT_TRUE(has_note(r, "hwcaps libfoo.so.1"));
  EXPECT_FALSE(has_note(r, "hwcaps libbar.so.2"));
  EXPECT_EQ(r.met.at(Layer::hardware), 1U);
}

TEST(CheckKernel, MinKernelComparedNumerically) {
  Needs n = needs();
  n.min_kernel = "5.13";
  n.min_kernel_because = "landlock_create_ruleset (5.13)";
  EXPECT_TRUE(check(n, machine()).satisfied());
  Manifest old = machine();
  set(old, Layer::kernel, "release", "5.10.0-28-amd64");
  const Report old_report = check(n, old);
  const Unmet* u = find_unmet(old_report, "min_kernel");
  ASSERT_NE(u, nullptr);
  EXPECT_EQ(u->wanted, ">= 5.13");
  EXPECT_NE(u->reason.find("(landlock_create_ruleset (5.13))"), std::string::npos) << u->reason;
  EXPECT_EQ(release_numbers("6.1.0-18-amd64"), "6.1.0");
  EXPECT_EQ(release_numbers("6.18.44-fc-v669"), "6.18.44");
  EXPECT_EQ(release_numbers("5.13"), "5.13");
}

TEST(CheckKernel, Features) {
  Needs n = needs();
  n.kernel_features = {{.feature = "io_uring", .evidence = "io_uring_setup"},
                       {.feature = "landlock", .evidence = "landlock_create_ruleset", .abi = 3},
                       {.feature = "user_namespace", .evidence = "unshare"},
                       {.feature = "net_namespace", .evidence = "unshare"},
                       {.feature = "seccomp", .evidence = "seccomp"}};
  const Report ok = check(n, machine());
  EXPECT_TRUE(ok.satisfied()) << (ok.unmet.empty() ? "" : ok.unmet.front().reason);
  EXPECT_EQ(ok.met.at(Layer::kernel), 5U);

  Manifest m = machine();
  set(m, Layer::kernel, "io_uring.enabled", false);
  set(m, Layer::kernel, "landlock.abi", 1);
  set(m, Layer::kernel, "userns.unprivileged", false);
  set(m, Layer::kernel, "namespaces.net", false);
  set(m, Layer::kernel, "seccomp.filter", json::array());
  const Report r = check(n, m);
  for (const char* need :
       {"kernel_features io_uring", "kernel_features landlock", "kernel_features user_namespace",
        "kernel_features net_namespace", "kernel_features seccomp"}) {
    const Unmet* u = find_unmet(r, need);
    ASSERT_NE(u, nullptr) << need;
    EXPECT_EQ(u->layer, Layer::kernel);
  }
  EXPECT_EQ(find_unmet(r, "kernel_features landlock")->target_has, "Landlock ABI 1");
}

TEST(CheckKernel, AFeatureNewerThanTheReleaseIsUnmet) {
  Needs n = needs();
  n.kernel_features = {{.feature = "io_uring", .evidence = "io_uring_setup"}};
  Manifest m = machine();
  set(m, Layer::kernel, "release", "4.19.0-26-amd64");
  const Report m_report = check(n, m);
  const Unmet* u = find_unmet(m_report, "kernel_features io_uring");
  ASSERT_NE(u, nullptr);
  EXPECT_EQ(u->wanted, "Linux >= 5.1");
}

TEST(CheckKernel, RestrictionsAndFeaturesOnlyTheReleaseShowsAreNotes) {
  Needs n = needs();
  n.kernel_features = {{.feature = "bpf", .evidence = "bpf"},
                       {.feature = "userfaultfd", .evidence = "userfaultfd"}};
  const Report r = check(n, machine());
  EXPECT_TRUE(r.satisfied());
  EXPECT_TRUE(has_note(r, "kernel_features bpf"));
  EXPECT_TRUE(has_note(r, "kernel_features userfaultfd"));
}

TEST(CheckSystem, Glibc) {
  Needs n = needs();
  n.glibc = "2.34";
  EXPECT_TRUE(check(n, machine()).satisfied());
  Manifest old = machine();
  set(old, Layer::system, "libc.max_symbol_version", "GLIBC_2.31");
  const Report old_report = check(n, old);
  const Unmet* u = find_unmet(old_report, "glibc");
  ASSERT_NE(u, nullptr);
  EXPECT_EQ(u->layer, Layer::system);
  EXPECT_EQ(u->target_has, "2.31");
  EXPECT_EQ(u->provide, "glibc >= 2.34");
  Manifest musl = machine();
  set(musl, Layer::system, "libc.flavour", "musl");
  ASSERT_NE(find_unmet(check(n, musl), "glibc"), nullptr);
}

TEST(CheckSystem, LibstdcxxVersionsFromItsFileName) {
  Needs n = needs();
  n.symbol_versions = {{"GLIBCXX", "3.4.30"}, {"CXXABI", "1.3.13"}};
  EXPECT_TRUE(check(n, machine()).satisfied());
  n.symbol_versions = {{"GLIBCXX", "3.4.32"}, {"CXXABI", "1.3.14"}};
  const Report r = check(n, machine());
  const Unmet* glibcxx = find_unmet(r, "symbol_versions GLIBCXX");
  ASSERT_NE(glibcxx, nullptr);
  EXPECT_EQ(glibcxx->target_has, "libstdc++.so.6.0.30");
  EXPECT_EQ(glibcxx->provide, "libstdc++.so.6 >= 6.0.32 (GLIBCXX_3.4.32)");
  const Unmet* cxxabi = find_unmet(r, "symbol_versions CXXABI");
  ASSERT_NE(cxxabi, nullptr);
  EXPECT_EQ(cxxabi->provide, "libstdc++.so.6 >= 6.0.31 (CXXABI_1.3.14)");
  n.symbol_versions = {{"GCC", "3.0"}};
  EXPECT_TRUE(has_note(check(n, machine()), "symbol_versions GCC"));
}

TEST(CheckSystem, LibrariesLoaderAndMissing) {
  Needs n = needs();
  n.libraries = {"libc.so.6", "ld-linux-x86-64.so.2", "libstdc++.so.6"};
  n.interpreters = {"/lib64/ld-linux-x86-64.so.2", "/usr/bin/python3"};
  EXPECT_TRUE(check(n, machine()).satisfied());
  n.libraries.emplace_back("libfoo.so.1");
  n.dlopen = {"libssl.so.3"};
  n.missing = {"libbar.so"};
  n.interpreters = {"/lib/ld-musl-x86_64.so.1"};
  const Report r = check(n, machine());
  EXPECT_NE(find_unmet(r, "libraries libfoo.so.1"), nullptr);
  EXPECT_NE(find_unmet(r, "dlopen libssl.so.3"), nullptr);
  EXPECT_NE(find_unmet(r, "missing libbar.so"), nullptr);
  const Unmet* loader = find_unmet(r, "interpreters /lib/ld-musl-x86_64.so.1");
  ASSERT_NE(loader, nullptr);
  EXPECT_EQ(loader->target_has, "/lib64/ld-linux-x86-64.so.2");
  EXPECT_EQ(r.unmet.size(), 4U);
}

TEST(CheckLanguage, PackagesByNameAndVersion) {
  Needs n = needs();
  n.python_packages = {{"requests", "2.31.0"}, {"Typing_Extensions", std::nullopt}};
  n.node_packages = {{"left-pad", "1.3.0"}};
  EXPECT_TRUE(check(n, machine()).satisfied());
  n.python_packages = {{"requests", "2.32.3"}, {"examplepkg", "1.0"}};
  n.node_packages = {{"left-pad", "1.2.0"}};
  const Report r = check(n, machine());
  const Unmet* other = find_unmet(r, "python_packages requests");
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->wanted, "== 2.32.3");
  EXPECT_EQ(other->target_has, "2.31.0");
  const Unmet* absent = find_unmet(r, "python_packages examplepkg");
  ASSERT_NE(absent, nullptr);
  EXPECT_EQ(absent->target_has, "absent");
  EXPECT_NE(find_unmet(r, "node_packages left-pad"), nullptr);
}

// machine() with these engines in its wasm section ({name, wasi_preview1}).
Manifest with_engines(const std::vector<std::pair<std::string, bool>>& engines) {
  Manifest m = machine();
  json names = json::array();
  for (const auto& [name, wasi] : engines) {
    names.push_back(name);
    set(m, Layer::language, "wasm.engine." + name,
        {{"path", "/usr/bin/" + name},
         {"version", nullptr},
         {"wasi_preview1", wasi},
         {"reason", wasi ? json(nullptr) : json("wasi support not compiled in")}});
  }
  set(m, Layer::language, "wasm.engines", names);
  return m;
}

Needs wasm_needs(std::optional<std::string> wasi) {
  Needs n = needs();
  n.wasm = WasmNeed{.wasi = std::move(wasi),
                    .imports = {"wasi_snapshot_preview1.fd_write", "wasi_snapshot_preview1.proc_exit"},
                    .non_wasi_imports = {},
                    .memory_max_pages = 16,
                    .features = {}};
  return n;
}

TEST(CheckWasm, Preview1IsMetByAnEngineThatRunsWasi) {
  const Report r = check(wasm_needs("preview1"), with_engines({{"wasm-interp", false}, {"node", true}}));
  EXPECT_TRUE(r.satisfied());
  EXPECT_EQ(r.met.at(Layer::language), 1U);
  EXPECT_TRUE(r.notes.empty());
}

TEST(CheckWasm, Preview1WithoutAWasiEngineIsUnmetAtTheLanguageLayer) {
  const Report r = check(wasm_needs("preview1"), with_engines({{"wasm-interp", false}}));
  const Unmet* u = find_unmet(r, "wasm wasi preview1");
  ASSERT_NE(u, nullptr);
  EXPECT_EQ(u->layer, Layer::language);
  EXPECT_EQ(u->target_has, "wasm-interp (no WASI: wasi support not compiled in)");
  EXPECT_EQ(u->reason,
            "the module imports WASI preview1 (fd_write, proc_exit) and no engine on the target runs WASI "
            "preview1 modules: install a WASI engine (Node.js >= 20: nodejs; or wasmtime)");
  EXPECT_EQ(isolation_of(*u), "wasm");
  EXPECT_EQ(r.verdict.layer, Layer::language);
  EXPECT_EQ(r.verdict.isolation, "wasm");
  EXPECT_EQ(r.verdict.requirement, "a WASI preview1 engine (Node.js >= 20 or wasmtime)");
  EXPECT_EQ(r.verdict.steps, std::vector<std::string>{"strata run --isolation wasm -- CMD"});
  const std::string text = to_text(r, false);
  EXPECT_NE(text.find("(fixed by: wasm)"), std::string::npos) << text;
  EXPECT_NE(text.find("  on a target with a WASI preview1 engine"), std::string::npos) << text;
  EXPECT_EQ(to_json(r)["unmet"][0]["isolation"], "wasm");

  const Report none = check(wasm_needs("preview1"), with_engines({}));
  ASSERT_NE(find_unmet(none, "wasm wasi preview1"), nullptr);
  EXPECT_EQ(find_unmet(none, "wasm wasi preview1")->target_has, "no engine");
}

TEST(CheckWasm, Preview0IsMetByAPreview1EngineWithANote) {
  const Report r = check(wasm_needs("preview0"), with_engines({{"node", true}}));
  EXPECT_TRUE(r.satisfied());
  EXPECT_TRUE(has_note(r, "wasm wasi preview0"));
}

TEST(CheckWasm, AComponentNeedsAnEngineThatClaimsPreview2) {
  const Report r = check(wasm_needs("preview2"), with_engines({{"node", true}}));
  const Unmet* u = find_unmet(r, "wasm wasi preview2");
  ASSERT_NE(u, nullptr);
  EXPECT_EQ(u->provide, "a component-model engine (wasmtime)");
}

TEST(CheckWasm, NoWasiImportsNeedAnyEngine) {
  EXPECT_TRUE(check(wasm_needs(std::nullopt), with_engines({{"wasm-interp", false}})).satisfied());
  EXPECT_NE(find_unmet(check(wasm_needs(std::nullopt), with_engines({})), "wasm engine"), nullptr);
}

TEST(CheckWasm, ImportsNoEngineProvidesAreNotes) {
  Needs n = wasm_needs("preview1");
  n.wasm->non_wasi_imports = {"env.foo"};
  n.wasm->imports.emplace_back("wasi_snapshot_preview1.fd_frobnicate");
  n.wasm->features = {"threads"};
  const Report r = check(n, with_engines({{"node", true}}));
  EXPECT_TRUE(r.satisfied());
  const auto note = std::ranges::find(r.notes, "wasm import env.foo", &Note::need);
  ASSERT_NE(note, r.notes.end());
  EXPECT_EQ(note->text, "the module imports env.foo, which no WASI engine provides: link it into the module");
  EXPECT_TRUE(has_note(r, "wasm import wasi_snapshot_preview1.fd_frobnicate"));
  EXPECT_FALSE(has_note(r, "wasm import wasi_snapshot_preview1.fd_write"));
  EXPECT_TRUE(has_note(r, "wasm feature threads"));
}

TEST(CheckWasm, AManifestWithoutTheWasmSectionIsNotChecked) {
  const Report r = check(wasm_needs("preview1"), machine());
  EXPECT_TRUE(r.satisfied());
  ASSERT_TRUE(has_not_checked(r, "wasm wasi preview1"));
  Manifest root = machine();
  root.layers.erase(Layer::language);
  const Report no_layer = check(wasm_needs("preview1"), root);
  ASSERT_TRUE(has_not_checked(no_layer, "wasm wasi preview1"));
  EXPECT_EQ(no_layer.not_checked.back().reason, "the target manifest has no language layer");
}

TEST(CheckWasm, WithPythonPackagesTheVenvComesFirst) {
  Needs n = wasm_needs("preview1");
  n.python_packages = {{"examplepkg", "1.0"}};
  const Report r = check(n, with_engines({}));
  EXPECT_EQ(r.verdict.isolation, "venv");
  EXPECT_EQ(
      r.verdict.requirement,
      "ENV with examplepkg==1.0; the target also needs a WASI preview1 engine (Node.js >= 20 or wasmtime)");
  EXPECT_EQ(r.verdict.steps.front(), "python3 -m venv ENV && ENV/bin/pip install examplepkg==1.0");
}

TEST(CheckTarget, MissingLayersAreListedNotPassedNorUnmet) {
  Needs n = needs();
  n.isa_level = "x86-64-v3";
  n.min_kernel = "3.2.0";
  n.glibc = "2.34";
  Manifest root = machine();
  root.layers.erase(Layer::hardware);
  root.layers.erase(Layer::kernel);
  const Report r = check(n, root);
  EXPECT_TRUE(r.satisfied());
  ASSERT_TRUE(has_not_checked(r, "isa_level"));
  ASSERT_TRUE(has_not_checked(r, "min_kernel"));
  EXPECT_EQ(r.not_checked.back().reason, "the target manifest has no kernel layer");
  EXPECT_NE(r.verdict.summary.find("2 not checked"), std::string::npos) << r.verdict.summary;
  EXPECT_NE(to_text(r, false).find("? min_kernel: not checked: the target manifest has no kernel layer"),
            std::string::npos);
}

// Needs unmet at every layer against machine().
Needs everything() {
  Needs n = needs();
  n.isa_level = "x86-64-v4";
  n.min_kernel = "6.8";
  n.kernel_features = {{.feature = "io_uring", .evidence = "io_uring_setup"}};
  n.glibc = "2.38";
  n.python_packages = {{"examplepkg", "1.0"}};
  return n;
}

TEST(CheckVerdict, TheLowestLayerWins) {
  Needs n = everything();
  Manifest m = machine();
  set(m, Layer::kernel, "io_uring.enabled", false);
  Report r = check(n, m);
  EXPECT_EQ(r.verdict.layer, Layer::hardware);
  EXPECT_EQ(r.verdict.isolation, "matching hardware");
  EXPECT_TRUE(r.verdict.steps.empty());
  EXPECT_NE(r.verdict.requirement.find("avx512f"), std::string::npos) << r.verdict.requirement;

  n.isa_level.reset();
  r = check(n, m);
  EXPECT_EQ(r.verdict.layer, Layer::kernel);
  EXPECT_EQ(r.verdict.isolation, "vm");
  EXPECT_EQ(r.verdict.requirement, "a Linux >= 6.8 kernel with io_uring enabled");
  EXPECT_EQ(r.verdict.steps, std::vector<std::string>{"strata run --isolation vm --kernel KERNEL -- CMD"});
  EXPECT_NE(r.verdict.summary.find("it must also provide glibc >= 2.38, examplepkg==1.0"), std::string::npos)
      << r.verdict.summary;

  n.min_kernel.reset();
  n.kernel_features.clear();
  n.command = {"./app", "--input", "my file"};
  r = check(n, m);
  EXPECT_EQ(r.verdict.layer, Layer::system);
  EXPECT_EQ(r.verdict.isolation, "container");
  EXPECT_EQ(r.verdict.requirement, "glibc >= 2.38");
  EXPECT_EQ(r.verdict.steps, std::vector<std::string>{"strata run --image IMAGE -- ./app --input 'my file'"});

  n.glibc.reset();
  n.command = {"python3", "app.py"};
  r = check(n, m);
  EXPECT_EQ(r.verdict.layer, Layer::language);
  EXPECT_EQ(r.verdict.isolation, "venv");
  EXPECT_EQ(r.verdict.steps,
            (std::vector<std::string>{"python3 -m venv ENV && ENV/bin/pip install examplepkg==1.0",
                                      "strata run -- ENV/bin/python app.py"}));
}

TEST(CheckVerdict, LanguageStepsFollowTheCommand) {
  Needs n = needs();
  n.python_packages = {{"examplepkg", "1.0"}};
  n.command = {"/usr/bin/python3", "-m", "app"};
  EXPECT_EQ(check(n, machine()).verdict.steps.back(), "strata run -- ENV/bin/python -m app");
  n.command = {"./serve", "--port", "80"};
  EXPECT_EQ(check(n, machine()).verdict.steps.back(),
            "strata run -- env PATH=\"$PWD/ENV/bin:$PATH\" ./serve --port 80");
  n.python_packages.clear();
  n.node_packages = {{"left-pad", "1.2.0"}, {"express", std::nullopt}};
  EXPECT_EQ(check(n, machine()).verdict.steps, (std::vector<std::string>{"npm install express left-pad@1.2.0",
                                                                         "strata run -- ./serve --port 80"}));
}

TEST(CheckVerdict, JsonReport) {
  const Report r = check(everything(), machine());
  const auto j = to_json(r);
  EXPECT_EQ(j["schema"], "strata.check/v1");
  EXPECT_EQ(j["satisfied"], false);
  EXPECT_EQ(j["verdict"]["layer"], "hardware");
  EXPECT_EQ(j["unmet"][0]["layer"], "hardware");
  EXPECT_EQ(j["unmet"][0]["need"], "isa_level");
  EXPECT_EQ(j["unmet"].size(), r.unmet.size());
  const auto ok = to_json(check(needs(), machine()));
  EXPECT_EQ(ok["satisfied"], true);
  EXPECT_TRUE(ok["verdict"]["layer"].is_null());
}

}  // namespace
}  // namespace strata::check
