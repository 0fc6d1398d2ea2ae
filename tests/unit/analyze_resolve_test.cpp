// ld.so's search order on synthetic trees built with gcc and ldconfig.
#include <gtest/gtest.h>

#include "analyze/analyze.hpp"
#include "analyze_support.hpp"

namespace strata::analyze {
namespace {

constexpr const char* kLib = "int value(void) { return 1; }";
constexpr const char* kApp = "int value(void); int main(void) { return value(); }";

class AnalyzeResolve : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(tree_.cc("app/lib/libfoo.so", kLib, "-shared -fPIC -Wl,-soname,libfoo.so"));
    ASSERT_TRUE(tree_.cc("llp/libfoo.so", kLib, "-shared -fPIC -Wl,-soname,libfoo.so"));
    const std::string link = "-L" + (tree_ / "app/lib") + " -lfoo ";
    ASSERT_TRUE(tree_.cc("app/bin/runpath", kApp, link + "-Wl,--enable-new-dtags,-rpath,'$ORIGIN/../lib'"));
    ASSERT_TRUE(tree_.cc("app/bin/rpath", kApp, link + "-Wl,--disable-new-dtags,-rpath,'$ORIGIN/../lib'"));
    ASSERT_TRUE(tree_.cc("app/bin/bare", kApp, link));
  }

  Report run(const std::string& path, ResolveOptions options) {
    auto root = probe::Root::open(tree_.path());
    EXPECT_TRUE(root);
    return analyze(*root, AnalyzeOptions{.paths = {path}, .resolve = std::move(options)});
  }

  static const Dependency& dep(const Report& report, const std::string& name) {
    for (const Dependency& d : report.files.at(0).closure.dependencies) {
      if (d.name == name) {
        return d;
      }
    }
    ADD_FAILURE() << "no dependency " << name;
    static const Dependency none;
    return none;
  }

  test::Tree tree_;
};

TEST_F(AnalyzeResolve, RunpathWithOrigin) {
  const Report report = run("/app/bin/runpath", {});
  ASSERT_TRUE(report.errors.empty()) << report.errors[0].message();
  const Dependency& foo = dep(report, "libfoo.so");
  EXPECT_EQ(foo.via, Via::runpath);
  EXPECT_EQ(foo.entry, "$ORIGIN/../lib");
  EXPECT_EQ(foo.path, "/app/bin/../lib/libfoo.so");
}

TEST_F(AnalyzeResolve, LdLibraryPathBeatsRunpathNotRpath) {
  const ResolveOptions llp{.library_path = {"/llp"}};
  EXPECT_EQ(dep(run("/app/bin/runpath", llp), "libfoo.so").via, Via::ld_library_path);
  EXPECT_EQ(dep(run("/app/bin/rpath", llp), "libfoo.so").via, Via::rpath);
}

TEST_F(AnalyzeResolve, MissingLibraryListsWhatWasSearched) {
  const Report report = run("/app/bin/bare", {});
  const Dependency& foo = dep(report, "libfoo.so");
  EXPECT_EQ(foo.via, Via::not_found);
  EXPECT_FALSE(foo.searched.empty());
  EXPECT_EQ(exit_code(report), 1);
  // libc.so.6 is not in this tree either.
  EXPECT_EQ(dep(report, "libc.so.6").via, Via::not_found);
}

TEST_F(AnalyzeResolve, CacheThenDefaultDirs) {
  ASSERT_TRUE(tree_.cc("opt/cached/libfoo.so", kLib, "-shared -fPIC -Wl,-soname,libfoo.so"));
  tree_.write("etc/ld.so.conf", "/opt/cached\n");
  ASSERT_EQ(std::system(("ldconfig -r '" + tree_.path() + "' 2>&1").c_str()), 0);
  EXPECT_EQ(dep(run("/app/bin/bare", {}), "libfoo.so").via, Via::cache);
  EXPECT_EQ(dep(run("/app/bin/bare", {}), "libfoo.so").path, "/opt/cached/libfoo.so");
  std::filesystem::remove(tree_ / "etc/ld.so.cache");
  ASSERT_TRUE(tree_.cc("usr/lib/libfoo.so", kLib, "-shared -fPIC -Wl,-soname,libfoo.so"));
  EXPECT_EQ(dep(run("/app/bin/bare", {}), "libfoo.so").via, Via::default_dirs);
}

TEST_F(AnalyzeResolve, HwcapsSubdirectoryByCpuLevel) {
  ASSERT_TRUE(tree_.cc("hw/glibc-hwcaps/x86-64-v3/libfoo.so", kLib, "-shared -fPIC -Wl,-soname,libfoo.so"));
  ASSERT_TRUE(tree_.cc("hw/libfoo.so", kLib, "-shared -fPIC -Wl,-soname,libfoo.so"));
  const Dependency v3 = dep(run("/app/bin/bare", {.library_path = {"/hw"}, .cpu_level = 4}), "libfoo.so");
  EXPECT_EQ(v3.hwcaps, "x86-64-v3");
  EXPECT_EQ(v3.path, "/hw/glibc-hwcaps/x86-64-v3/libfoo.so");
  const Dependency v2 = dep(run("/app/bin/bare", {.library_path = {"/hw"}, .cpu_level = 2}), "libfoo.so");
  EXPECT_EQ(v2.hwcaps, "");
  EXPECT_EQ(v2.path, "/hw/libfoo.so");
}

TEST_F(AnalyzeResolve, WrongClassIsSkipped) {
  // An ELF32 header on a library where a 64-bit one is wanted: ld.so skips it.
  std::string bytes = test::slurp(tree_ / "app/lib/libfoo.so");
  bytes[4] = 1;  // ELFCLASS32: the rest no longer parses as ELF32 either
  tree_.write("bad/libfoo.so", bytes);
  const Dependency foo = dep(run("/app/bin/bare", {.library_path = {"/bad", "/llp"}}), "libfoo.so");
  EXPECT_EQ(foo.via, Via::ld_library_path);
  EXPECT_EQ(foo.path, "/llp/libfoo.so");
  ASSERT_EQ(foo.skipped.size(), 1U);
  EXPECT_EQ(foo.skipped[0].path, "/bad/libfoo.so");
}

TEST(AnalyzeExpand, OriginLibPlatform) {
  ElfInfo elf{.elf_class = 2, .data = 1, .machine = 62};
  EXPECT_EQ(
      expand_path_list("$ORIGIN/../lib:${ORIGIN}/x::/usr/$LIB/$PLATFORM", "/opt/a/bin", elf),
      (std::vector<std::string>{"/opt/a/bin/../lib", "/opt/a/bin/x", "/usr/lib/x86_64-linux-gnu/x86_64"}));
}

}  // namespace
}  // namespace strata::analyze
