// The real `strata advise`: programs built here with chosen needs are traced
// and checked in one step against this machine and against copies of its
// manifest with one layer lowered; each must give its need and its verdict
// (older glibc -> container, CPU without AVX2 -> hardware, older kernel ->
// VM, a library only dlopen loads -> container, missing package -> venv).
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "harness.hpp"
#include "needs_fixtures.hpp"

namespace strata::test {
namespace {

using nlohmann::json;

// `strata advise --json --target MANIFEST FLAGS -- COMMAND`: exit code, the
// report (null when none was printed) and the run.
struct Advised {
  Finished run;
  json report;
};

Advised advise(const std::string& manifest, const std::vector<std::string>& flags,
               const std::vector<std::string>& command) {
  std::vector<std::string> args{"advise", "--json", "--target", manifest};
  args.insert(args.end(), flags.begin(), flags.end());
  args.emplace_back("--");
  args.insert(args.end(), command.begin(), command.end());
  Advised a{.run = strata(args), .report = json()};
  // The workload's own output comes first, then the report.
  const std::size_t start = a.run.out.rfind("{\n  \"schema\": \"strata.advise/v1\"");
  a.report = json::parse(start == std::string::npos ? a.run.out : a.run.out.substr(start), nullptr, false);
  return a;
}

// The manifest of this machine written to DIR/NAME after `change`.
template <typename Change>
std::string manifest_file(const TempDir& dir, const std::string& name, Change change) {
  json manifest = live_manifest();
  change(manifest);
  write_file(dir / name, manifest.dump());
  return dir / name;
}

const json* unmet(const json& report, const std::string& need) {
  for (const json& u : report["check"]["unmet"]) {
    if (u["need"] == need) {
      return &u;
    }
  }
  return nullptr;
}

void expect_verdict(const Advised& a, const std::string& layer, const std::string& isolation) {
  ASSERT_FALSE(a.report.is_discarded()) << describe(a.run);
  EXPECT_EQ(a.run.exit_code, 1) << describe(a.run);
  EXPECT_EQ(a.report["schema"], "strata.advise/v1");
  EXPECT_EQ(a.report["workload"]["exit_code"], 0) << describe(a.run);
  EXPECT_EQ(a.report["check"]["verdict"]["layer"], layer) << a.report["check"].dump(2);
  EXPECT_EQ(a.report["check"]["verdict"]["isolation"], isolation);
}

TEST(Advise, AProgramBuiltHereIsMetHereAndNeedsAContainerOnAnOlderGlibc) {
  TempDir dir;
  ASSERT_TRUE(cc(dir, "app", kGlibc234));
  const std::string here = manifest_file(dir, "live.json", [](json&) {});
  const Advised same = advise(here, {"--isolation", "host"}, {dir / "app"});
  EXPECT_EQ(same.run.exit_code, 0) << describe(same.run) << same.report["check"].dump(2);
  EXPECT_TRUE(same.report["check"]["unmet"].empty());

  const std::string old = manifest_file(
      dir, "old.json", [](json& m) { set_fact(m, "system", "libc.max_symbol_version", "GLIBC_2.31"); });
  const Advised a = advise(old, {"--isolation", "host"}, {dir / "app"});
  expect_verdict(a, "system", "container");
  EXPECT_EQ(a.report["needs"]["glibc"], "2.34");
  ASSERT_NE(unmet(a.report, "glibc"), nullptr) << a.report["check"].dump(2);
}

TEST(Advise, AnX86_64_V3ProgramOnACpuWithoutAvx2NeedsOtherHardware) {
  TempDir dir;
  const json here = live_manifest();
  if (here["layers"]["hardware"]["cpu.isa_level"]["value"] != "x86-64-v3" &&
      here["layers"]["hardware"]["cpu.isa_level"]["value"] != "x86-64-v4") {
    GTEST_SKIP() << "this CPU cannot run an x86-64-v3 program";
  }
  if (!cc(dir, "v3", kGlibc234, "-march=x86-64-v3 -Wl,-z,x86-64-v3")) {
    GTEST_SKIP() << "gcc here cannot build an x86-64-v3 program";
  }
  const std::string v2 = manifest_file(dir, "v2.json", lower_cpu);
  const Advised a = advise(v2, {"--isolation", "host"}, {dir / "v3"});
  if (a.report["needs"]["isa_level"] != "x86-64-v3") {
    GTEST_SKIP() << "this linker does not write the ISA level property: " << a.report["needs"].dump();
  }
  expect_verdict(a, "hardware", "matching hardware");
  const json* isa = unmet(a.report, "isa_level");
  ASSERT_NE(isa, nullptr) << a.report["check"].dump(2);
  EXPECT_NE(isa->dump().find("avx2"), std::string::npos) << isa->dump();
}

TEST(Advise, KernelFeaturesOnAnOlderKernelNeedAVm) {
  TempDir dir;
  ASSERT_TRUE(cc(dir, "features", kKernelFeatures));
  const std::string old =
      manifest_file(dir, "old.json", [](json& m) { set_fact(m, "kernel", "release", "5.10.0-28-amd64"); });
  // In the default sandbox, the program bound read-only.
  const Advised a = advise(old, {"--ro-bind", dir.path() + ":/t"}, {"/t/features"});
  expect_verdict(a, "kernel", "vm");
  EXPECT_EQ(a.report["needs"]["min_kernel"], "5.13.0") << a.report["needs"].dump();
  EXPECT_NE(a.report["needs"]["min_kernel_because"].get<std::string>().find("landlock_create_ruleset"),
            std::string::npos);
  EXPECT_NE(a.report["check"]["verdict"]["steps"].back().get<std::string>().find("--isolation vm"),
            std::string::npos)
      << a.report["check"]["verdict"].dump();
}

TEST(Advise, ALibraryOnlyDlopenLoadsMustComeWithTheSystemLayer) {
  TempDir dir;
  ASSERT_TRUE(
      cc(dir, "libplug.so.1", "int plug(void) { return 42; }", "-shared -fPIC -Wl,-soname,libplug.so.1"));
  ASSERT_TRUE(cc(dir, "loader",
                 "#include <dlfcn.h>\n"
                 "int main(void) {\n"
                 "  void* h = dlopen(\"libplug.so.1\", RTLD_NOW);\n"
                 "  int (*plug)(void) = h ? (int (*)(void))dlsym(h, \"plug\") : 0;\n"
                 "  return plug && plug() == 42 ? 0 : 3;\n}\n"));
  const std::string here = manifest_file(dir, "live.json", [](json&) {});
  const Advised a =
      advise(here, {"--isolation", "host", "--env", "LD_LIBRARY_PATH=" + dir.path()}, {dir / "loader"});
  expect_verdict(a, "system", "container");
  EXPECT_EQ(a.report["needs"]["dlopen"], json::array({"libplug.so.1"})) << a.report["needs"].dump();
  // Not a DT_NEEDED of the program: static analysis alone would miss it.
  EXPECT_EQ(a.report["needs"]["libraries"].dump().find("libplug"), std::string::npos);
  ASSERT_NE(unmet(a.report, "dlopen libplug.so.1"), nullptr) << a.report["check"].dump(2);
}

TEST(Advise, AMissingPythonPackageNeedsAVenv) {
  ::unsetenv("VIRTUAL_ENV");
  const TempDir dir;
  if (auto why = make_venv(dir / "app/.venv")) {
    GTEST_SKIP() << *why;
  }
  if (auto why = pip_install_offline(
          dir / "app/.venv", write_python_project(dir / "pkg", "advise-demo", "advise_demo", "2.3.4"))) {
    GTEST_SKIP() << *why;
  }
  // The target: this machine's manifest, which knows nothing of the test's venv.
  const std::string here = manifest_file(dir, "live.json", [](json&) {});
  ASSERT_EQ(read_file(here)->find("advise-demo"), std::string::npos);
  const Advised a =
      advise(here, {"--isolation", "host"}, {dir / "app/.venv/bin/python", "-c", "import advise_demo"});
  expect_verdict(a, "language", "venv");
  EXPECT_EQ(a.report["needs"]["python_packages"]["advise-demo"], "2.3.4") << a.report["needs"].dump();
  const std::string steps = a.report["check"]["verdict"]["steps"].dump();
  EXPECT_NE(steps.find("advise-demo==2.3.4"), std::string::npos) << steps;
}

TEST(Advise, AnUnusableTargetIsRefusedBeforeAnythingRuns) {
  TempDir dir;
  write_file(dir / "broken.json", "{\"schema\": \"strata.manifest/v1\", \"layers\": ");
  const std::string marker = dir / "ran";
  const Finished f = strata({"advise", "--target", dir / "broken.json", "--isolation", "host", "--",
                             "/bin/sh", "-c", "touch " + marker});
  EXPECT_EQ(f.exit_code, 2) << describe(f);
  EXPECT_NE(f.err.find("strata: advise: "), std::string::npos) << f.err;
  EXPECT_NE(f.err.find("broken.json"), std::string::npos) << f.err;
  EXPECT_FALSE(path_exists(marker)) << "the workload ran although the target was unusable";
  const Finished none = strata({"advise", "--target", dir / "broken.json"});
  EXPECT_NE(none.exit_code, 0);
  const Finished seccomp = strata({"advise", "--seccomp", "x.json", "--", "/bin/true"});
  EXPECT_NE(seccomp.exit_code, 0);
  EXPECT_NE(seccomp.err.find("--seccomp"), std::string::npos) << seccomp.err;
}

}  // namespace
}  // namespace strata::test
