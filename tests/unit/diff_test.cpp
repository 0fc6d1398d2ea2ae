// strata diff on hand-made manifests: which differences matter, why, and the
// verdict; version ordering.
#include "diff/diff.hpp"

#include <gtest/gtest.h>

#include "diff/version.hpp"

namespace strata::diff {
namespace {

using probe::Layer;
using probe::Manifest;

Manifest manifest(std::map<Layer, probe::Facts> layers) {
  return Manifest{.generator = "test", .target = "live", .redacted = false, .layers = std::move(layers)};
}

const Difference* find(const Report& report, std::string_view key) {
  for (const auto& d : report.differences) {
    if (d.key == key) {
      return &d;
    }
  }
  return nullptr;
}

TEST(CompareVersions, NumbersAsNumbers) {
  EXPECT_LT(compare_versions("2.9", "2.10"), 0);
  EXPECT_LT(compare_versions("GLIBC_2.31", "GLIBC_2.34"), 0);
  EXPECT_GT(compare_versions("1.2.13", "1.2.3"), 0);
  EXPECT_EQ(compare_versions("1.02", "1.2"), 0);
  EXPECT_LT(compare_versions("1.2", "1.2.1"), 0);
  EXPECT_GT(compare_versions("1.2.3", "1.2.rc1"), 0);
  EXPECT_LT(compare_versions("x86-64-v2", "x86-64-v3"), 0);
}

TEST(Diff, IdenticalManifestsHaveNothingThatMatters) {
  const Manifest m = manifest({{Layer::system, {{"os.id", {"debian", "/etc/os-release"}}}}});
  const Report report = compare(m, m);
  EXPECT_TRUE(report.differences.empty());
  EXPECT_FALSE(report.matters());
  EXPECT_EQ(report.verdict, "nothing differs: the host will do");
}

TEST(Diff, OlderGlibcOnBBreaksAndAContainerHidesIt) {
  const Manifest a =
      manifest({{Layer::system, {{"libc.version", {"2.36", "x"}}, {"os.id", {"debian", "x"}}}}});
  const Manifest b =
      manifest({{Layer::system, {{"libc.version", {"2.31", "x"}}, {"os.id", {"debian", "x"}}}}});
  const Report report = compare(a, b);
  ASSERT_EQ(report.differences.size(), 1U);
  const Difference& d = report.differences.front();
  EXPECT_EQ(d.severity, Severity::breaks);
  EXPECT_NE(d.reason.find("glibc 2.36 on A vs 2.31 on B"), std::string::npos) << d.reason;
  EXPECT_NE(d.reason.find("a container with A's system layer fixes it, a venv does not"), std::string::npos);
  EXPECT_EQ(report.lowest, Layer::system);
  EXPECT_NE(report.verdict.find("system (1 that break compatibility)"), std::string::npos) << report.verdict;
  EXPECT_NE(report.verdict.find("a container"), std::string::npos);
  // The other way round a newer glibc runs A's binaries.
  EXPECT_EQ(compare(b, a).differences.front().severity, Severity::cosmetic);
}

TEST(Diff, TheLowestLayerThatMattersWins) {
  const Manifest a = manifest(
      {{Layer::hardware, {{"cpu.model_name", {"Xeon A", "x"}}, {"cpu.isa_level", {"x86-64-v3", "x"}}}},
       {Layer::language, {{"python.package.numpy", {{{"version", "1.26.4"}}, "x"}}}}});
  const Manifest b = manifest(
      {{Layer::hardware, {{"cpu.model_name", {"Xeon B", "x"}}, {"cpu.isa_level", {"x86-64-v2", "x"}}}},
       {Layer::language, {}}});
  const Report report = compare(a, b);
  EXPECT_EQ(find(report, "cpu.model_name")->severity, Severity::cosmetic);
  EXPECT_EQ(find(report, "cpu.isa_level")->severity, Severity::breaks);
  const Difference* numpy = find(report, "python.package.numpy");
  ASSERT_NE(numpy, nullptr);
  EXPECT_EQ(numpy->severity, Severity::breaks);
  EXPECT_FALSE(numpy->b.has_value());
  EXPECT_NE(numpy->reason.find("numpy is not installed on B"), std::string::npos) << numpy->reason;
  EXPECT_EQ(report.lowest, Layer::hardware);
  EXPECT_EQ(report.differences.front().layer, Layer::hardware);  // most fundamental first
}

TEST(Diff, PackageVersionsMayMatterAndAVenvHidesThem) {
  const Manifest a =
      manifest({{Layer::language, {{"python.package.requests", {{{"version", "2.31.0"}}, "x"}}}}});
  const Manifest b =
      manifest({{Layer::language, {{"python.package.requests", {{{"version", "2.28.1"}}, "x"}}}}});
  const Report report = compare(a, b);
  ASSERT_EQ(report.differences.size(), 1U);
  EXPECT_EQ(report.differences[0].severity, Severity::may_matter);
  EXPECT_NE(report.verdict.find("a venv"), std::string::npos) << report.verdict;
}

TEST(Diff, CosmeticOnlyDoesNotMatter) {
  const Manifest a = manifest({{Layer::kernel, {{"hostname", {"a", "uname(2)"}}}}});
  const Manifest b = manifest({{Layer::kernel, {{"hostname", {"b", "uname(2)"}}}}});
  const Report report = compare(a, b);
  EXPECT_FALSE(report.matters());
  EXPECT_EQ(report.verdict, "only cosmetic differences (1): the host will do");
}

TEST(Diff, LayersOnlyOneSideHasAreSkippedNotCompared) {
  const Manifest live = manifest({{Layer::kernel, {{"release", {"6.1", "x"}}}}, {Layer::system, {}}});
  const Manifest tree = manifest({{Layer::system, {}}});
  const Report report = compare(live, tree);
  EXPECT_EQ(report.skipped, std::vector{Layer::kernel});
  EXPECT_EQ(report.compared, std::vector{Layer::system});
  EXPECT_FALSE(report.matters());
  EXPECT_NE(to_text(report).find("kernel: not compared"), std::string::npos);
}

TEST(Diff, TextPutsWhatBreaksFirstAndCountsWhatItLeavesOut) {
  probe::Facts a;
  probe::Facts b;
  for (int i = 0; i < 5; ++i) {
    probe::add(a, "library.liba" + std::to_string(i) + ".so.1", {{"version", "1"}}, "x");
  }
  probe::add(a, "os.pretty_name", "Debian", "x");
  probe::add(b, "os.pretty_name", "Alpine", "x");
  const Report report = compare(manifest({{Layer::system, a}}), manifest({{Layer::system, b}}));
  const std::string all = to_text(report);
  EXPECT_LT(all.find("! library.liba0.so.1"), all.find(". os.pretty_name")) << all;
  const std::string few = to_text(report, {.color = false, .per_severity = 2});
  EXPECT_NE(few.find("library.liba1.so.1"), std::string::npos);
  EXPECT_EQ(few.find("library.liba2.so.1"), std::string::npos);
  EXPECT_NE(few.find("... and 3 more that break compatibility (--all lists them)"), std::string::npos) << few;
}

TEST(Diff, JsonCarriesEverything) {
  const Manifest a =
      manifest({{Layer::system, {{"library.libssl.so.3", {{{"version", "3"}}, "ld.so.cache"}}}}});
  const Manifest b = manifest({{Layer::system, {}}});
  const auto json = to_json(compare(a, b));
  EXPECT_EQ(json["schema"], "strata.diff/v1");
  EXPECT_EQ(json["matters"], true);
  EXPECT_EQ(json["lowest_layer"], "system");
  ASSERT_EQ(json["differences"].size(), 1U);
  EXPECT_EQ(json["differences"][0]["key"], "library.libssl.so.3");
  EXPECT_EQ(json["differences"][0]["severity"], "breaks");
  EXPECT_TRUE(json["differences"][0]["b"].is_null());
}

}  // namespace
}  // namespace strata::diff
