// The real `strata check`: programs gcc builds here, analyzed by the real
// `strata analyze`, against this machine's real probe manifest and copies of
// it with facts lowered; hand-written needs for the keys only `strata trace`
// writes; and the inputs it must refuse.
#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "harness.hpp"
#include "needs_fixtures.hpp"

namespace strata::test {
namespace {

using nlohmann::json;

// `strata check --json ARGS...`: exit code and report.
std::pair<int, json> check_json(std::vector<std::string> args) {
  args.insert(args.begin(), {"check", "--json"});
  const Finished f = strata(args);
  EXPECT_TRUE(f.exit_code == 0 || f.exit_code == 1) << describe(f);
  return {f.exit_code, parse_json(f.out)};
}

std::set<std::string> unmet_layers(const json& report) {
  std::set<std::string> out;
  for (const auto& u : report["unmet"]) {
    out.insert(u["layer"].get<std::string>());
  }
  return out;
}

TEST(Check, ProgramBuiltHereRunsHereButNotOnAnOlderGlibc) {
  TempDir dir;
  ASSERT_TRUE(cc(dir, "app", kGlibc234));
  const json needs = analyze_to(dir / "app", dir / "needs.json");
  ASSERT_EQ(needs["needs"]["glibc"], "2.34") << needs["needs"].dump();
  json manifest = live_manifest();
  write_file(dir / "live.json", manifest.dump());

  const Finished here = strata({"check", dir / "needs.json", "--target", dir / "live.json"});
  EXPECT_EQ(here.exit_code, 0) << describe(here);
  EXPECT_NE(here.out.find("verdict: the target meets every need"), std::string::npos) << here.out;
  const Finished live = strata({"check", dir / "needs.json"});
  EXPECT_EQ(live.exit_code, 0) << describe(live);
  EXPECT_NE(live.out.find("against this machine (probed live)"), std::string::npos) << live.out;
  EXPECT_EQ(strata({"check", dir / "needs.json", "--target", "live"}).exit_code, 0);

  set_fact(manifest, "system", "libc.max_symbol_version", "2.31");
  write_file(dir / "old.json", manifest.dump());
  const auto [code, report] = check_json({dir / "needs.json", "--target", dir / "old.json"});
  EXPECT_EQ(code, 1);
  EXPECT_EQ(report["schema"], "strata.check/v1");
  ASSERT_EQ(report["unmet"].size(), 1U) << report.dump(2);
  EXPECT_EQ(report["unmet"][0]["layer"], "system");
  EXPECT_EQ(report["unmet"][0]["need"], "glibc");
  EXPECT_EQ(report["unmet"][0]["target_has"], "2.31");
  EXPECT_EQ(report["verdict"]["layer"], "system");
  EXPECT_EQ(report["verdict"]["isolation"], "container");
  EXPECT_EQ(report["verdict"]["steps"][0], "strata run --image IMAGE -- CMD");
  const Finished text = strata({"check", dir / "needs.json", "--target", dir / "old.json"});
  EXPECT_EQ(text.exit_code, 1);
  EXPECT_NE(text.out.find("where IMAGE is an image with glibc >= 2.34"), std::string::npos) << text.out;
}

// A program marked x86-64-v3; nullopt (the test skips) when this toolchain cannot mark one.
std::optional<json> v3_program(const TempDir& dir) {
  if (!cc(dir, "v3", kGlibc234, "-march=x86-64-v3 -Wl,-z,x86-64-v3")) {
    return std::nullopt;
  }
  json needs = analyze_to(dir / "v3", dir / "v3.json");
  return needs["needs"]["isa_level"] == "x86-64-v3" ? std::optional(needs) : std::nullopt;
}

TEST(Check, X86_64_V3ProgramOnAV2CpuNeedsOtherHardware) {
  TempDir dir;
  if (!v3_program(dir)) {
    GTEST_SKIP() << "this gcc/binutils cannot mark a program x86-64-v3 (-Wl,-z,x86-64-v3)";
  }
  json manifest = live_manifest();
  lower_cpu(manifest);
  write_file(dir / "v2.json", manifest.dump());
  const Finished f = strata({"check", dir / "v3.json", "--target", dir / "v2.json"});
  EXPECT_EQ(f.exit_code, 1) << describe(f);
  EXPECT_NE(f.out.find("! isa_level: needs x86-64-v3, the target has x86-64-v2"), std::string::npos) << f.out;
  EXPECT_NE(f.out.find("avx2"), std::string::npos) << f.out;
  EXPECT_NE(f.out.find("verdict: the lowest layer that must be identical is hardware"), std::string::npos)
      << f.out;
  const auto [code, report] = check_json({dir / "v3.json", "--target", dir / "v2.json"});
  EXPECT_EQ(report["verdict"]["layer"], "hardware");
  EXPECT_TRUE(report["verdict"]["steps"].empty());
}

constexpr const char* kKernelNeeds =
    R"J({"schema": "strata.needs/v1", "command": ["./server", "--port", "8080"],
  "needs": {"min_kernel": "5.13", "min_kernel_because": "landlock_create_ruleset (5.13)",
            "kernel_features": [{"feature": "io_uring", "evidence": "io_uring_setup"},
                                {"feature": "landlock", "evidence": "landlock_create_ruleset", "abi": 1}]}})J";

TEST(Check, KernelFeaturesOnAnOldKernelNeedAVm) {
  TempDir dir;
  write_file(dir / "needs.json", kKernelNeeds);
  json manifest = live_manifest();
  set_fact(manifest, "kernel", "release", "5.10.0");
  write_file(dir / "old-kernel.json", manifest.dump());
  const auto [code, report] = check_json({dir / "needs.json", "--target", dir / "old-kernel.json"});
  EXPECT_EQ(code, 1);
  EXPECT_EQ(unmet_layers(report), std::set<std::string>{"kernel"}) << report.dump(2);
  EXPECT_EQ(report["verdict"]["layer"], "kernel");
  EXPECT_EQ(report["verdict"]["isolation"], "vm");
  EXPECT_EQ(report["verdict"]["steps"][0],
            "strata run --isolation vm --kernel KERNEL -- ./server --port 8080");
  EXPECT_EQ(report["verdict"]["requirement"], "a Linux >= 5.13 kernel with Landlock ABI >= 1");
  const Finished text = strata({"check", dir / "needs.json", "--target", dir / "old-kernel.json"});
  EXPECT_NE(text.out.find("where KERNEL is a Linux >= 5.13 kernel"), std::string::npos) << text.out;
}

TEST(Check, AMissingPythonPackageNeedsAVenv) {
  TempDir dir;
  write_file(dir / "needs.json",
             R"({"schema": "strata.needs/v1", "needs": {"python_packages": {"examplepkg": "1.0"}}})");
  json manifest = live_manifest();
  manifest["layers"]["language"].erase("python.package.examplepkg");
  write_file(dir / "target.json", manifest.dump());
  const auto [code, report] = check_json({dir / "needs.json", "--target", dir / "target.json"});
  EXPECT_EQ(code, 1);
  EXPECT_EQ(report["verdict"]["layer"], "language");
  EXPECT_EQ(report["verdict"]["isolation"], "venv");
  ASSERT_EQ(report["verdict"]["steps"].size(), 2U) << report.dump(2);
  EXPECT_EQ(report["verdict"]["steps"][0], "python3 -m venv ENV && ENV/bin/pip install examplepkg==1.0");
  EXPECT_TRUE(report["verdict"]["steps"][1].get<std::string>().starts_with("strata run -- ENV/bin/python"));
}

TEST(Check, EveryLayerUnmetHardwareWins) {
  TempDir dir;
  auto v3 = v3_program(dir);
  if (!v3) {
    GTEST_SKIP() << "this gcc/binutils cannot mark a program x86-64-v3 (-Wl,-z,x86-64-v3)";
  }
  json needs = *v3;
  const json kernel = json::parse(kKernelNeeds);
  needs["needs"]["min_kernel"] = kernel["needs"]["min_kernel"];
  needs["needs"]["kernel_features"] = kernel["needs"]["kernel_features"];
  needs["needs"]["python_packages"] = {{"examplepkg", "1.0"}};
  write_file(dir / "all.json", needs.dump());
  json manifest = live_manifest();
  lower_cpu(manifest);
  set_fact(manifest, "kernel", "release", "5.10.0");
  set_fact(manifest, "system", "libc.max_symbol_version", "GLIBC_2.31");
  manifest["layers"]["language"].erase("python.package.examplepkg");
  write_file(dir / "old.json", manifest.dump());
  const auto [code, report] = check_json({dir / "all.json", "--target", dir / "old.json"});
  EXPECT_EQ(code, 1);
  EXPECT_EQ(unmet_layers(report), (std::set<std::string>{"hardware", "kernel", "system", "language"}));
  EXPECT_EQ(report["verdict"]["layer"], "hardware");
  EXPECT_EQ(report["verdict"]["isolation"], "matching hardware");
}

TEST(Check, ALayerTheTargetLacksIsNotCheckedAndSaysSo) {
  TempDir dir;
  write_file(dir / "needs.json", kKernelNeeds);
  json manifest = live_manifest();
  manifest["layers"].erase("kernel");
  write_file(dir / "root.json", manifest.dump());
  const Finished f = strata({"check", dir / "needs.json", "--target", dir / "root.json"});
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_NE(f.out.find("? min_kernel: not checked: the target manifest has no kernel layer"),
            std::string::npos)
      << f.out;
  EXPECT_NE(f.out.find("3 not checked"), std::string::npos) << f.out;
}

// `strata check ARGS` must exit 2 with one line on stderr that starts with `prefix`.
void expect_refused(const std::vector<std::string>& args, const std::string& prefix) {
  std::vector<std::string> argv{"check"};
  argv.insert(argv.end(), args.begin(), args.end());
  const Finished f = strata(argv);
  EXPECT_EQ(f.exit_code, 2) << describe(f);
  EXPECT_TRUE(f.err.starts_with(prefix)) << f.err;
  EXPECT_EQ(lines(f.err).size(), 1U) << f.err;
  EXPECT_TRUE(f.out.empty()) << f.out;
}

TEST(Check, UnusableInputIsRefusedNamingTheFile) {
  TempDir dir;
  ASSERT_TRUE(cc(dir, "app", kGlibc234));
  const std::string needs_text = strata({"analyze", "--json", dir / "app"}).out;
  write_file(dir / "needs.json", needs_text);
  const std::string manifest_text = strata({"probe", "--json"}).out;
  write_file(dir / "live.json", manifest_text);
  write_file(dir / "cut.json", needs_text.substr(0, needs_text.size() / 2));
  write_file(dir / "notes.txt", "glibc 2.34, please\n");
  json wrong = json::parse(needs_text);
  wrong["schema"] = "strata.manifest/v1";
  write_file(dir / "wrong-schema.json", wrong.dump());
  json typed = json::parse(needs_text);
  typed["needs"]["libraries"] = "libc.so.6";
  write_file(dir / "wrong-type.json", typed.dump());

  const std::string needs = "strata: check: read needs '";
  expect_refused({dir / "wrong-schema.json", "--target", dir / "live.json"},
                 needs + dir / "wrong-schema.json" + "': schema \"strata.manifest/v1\" is a probe manifest");
  expect_refused({dir / "cut.json", "--target", dir / "live.json"},
                 needs + dir / "cut.json" + "': truncated JSON");
  expect_refused({dir / "notes.txt", "--target", dir / "live.json"},
                 needs + dir / "notes.txt" + "': not JSON");
  expect_refused({dir / "live.json", "--target", dir / "live.json"},
                 needs + dir / "live.json" + "': schema \"strata.manifest/v1\" is a probe manifest");
  expect_refused({dir / "wrong-type.json"}, needs + dir / "wrong-type.json" +
                                                "': key \"needs.libraries\" is a string, expected an array");
  expect_refused({dir / "absent.json"}, needs + dir / "absent.json" + "': ");
  expect_refused(
      {dir / "needs.json", "--target", dir / "needs.json"},
      "strata: check: read manifest '" + dir / "needs.json" + "': unsupported schema \"strata.needs/v1\"");
  expect_refused({dir / "needs.json", "--target", dir / "cut.json"},
                 "strata: check: read manifest '" + dir / "cut.json" + "': truncated JSON");
}

}  // namespace
}  // namespace strata::test
