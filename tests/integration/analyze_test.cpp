// The real `strata analyze` on binaries gcc builds here, on the Debian
// minbase tree and on /usr/bin.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "harness.hpp"

namespace strata::test {
namespace {

bool cc(const TempDir& dir, const std::string& out, const std::string& source, const std::string& flags) {
  write_file(dir / "src.c", source);
  std::filesystem::create_directories(std::filesystem::path(dir / out).parent_path());
  return std::system(("gcc -o '" + (dir / out) + "' '" + (dir / "src.c") + "' " + flags).c_str()) == 0;
}

nlohmann::json needs(const Finished& f) {
  return nlohmann::json::parse(f.out);
}

TEST(Analyze, ReportsTheNewestGlibcVersion) {
  TempDir dir;
  ASSERT_TRUE(cc(dir, "app",
                 "#include <pthread.h>\nvoid* f(void* a) { return a; }\n"
                 "int main(void) { pthread_t t; return pthread_create(&t, 0, f, 0); }",
                 ""));
  const Finished f = strata({"analyze", "--json", dir / "app"});
  ASSERT_EQ(f.exit_code, 0) << describe(f);
  const auto doc = needs(f);
  EXPECT_EQ(doc["schema"], "strata.needs/v1");
  EXPECT_EQ(doc["needs"]["glibc"], "2.34");
  EXPECT_EQ(doc["files"][0]["symbol_versions"]["libc.so.6"]["max"]["GLIBC"], "2.34");
  EXPECT_EQ(doc["files"][0]["needed"][0]["via"], "ld_so_cache");
  EXPECT_EQ(doc["needs"]["min_kernel"], "3.2.0");
  const Finished text = strata({"analyze", dir / "app"});
  EXPECT_NE(text.out.find("libc.so.6 => "), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("found in ld.so.cache"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("(max GLIBC_2.34)"), std::string::npos) << text.out;
}

TEST(Analyze, IsaLevelV3) {
  TempDir dir;
  ASSERT_TRUE(cc(dir, "v3", "int main(void) { return 0; }", "-march=x86-64-v3 -Wl,-z,x86-64-v3"));
  const Finished f = strata({"analyze", "--json", dir / "v3"});
  ASSERT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_EQ(needs(f)["files"][0]["isa_level"], "x86-64-v3");
  EXPECT_EQ(needs(f)["needs"]["isa_level"], "x86-64-v3");
}

TEST(Analyze, RunpathOriginAndMissingLibrary) {
  TempDir dir;
  ASSERT_TRUE(cc(dir, "lib/libfoo.so", "int foo(void) { return 0; }", "-shared -fPIC -Wl,-soname,libfoo.so"));
  ASSERT_TRUE(cc(dir, "bin/app", "int foo(void); int main(void) { return foo(); }",
                 "-L" + (dir / "lib") + " -lfoo -Wl,--enable-new-dtags,-rpath,'$ORIGIN/../lib'"));
  const Finished found = strata({"analyze", dir / "bin/app"});
  ASSERT_EQ(found.exit_code, 0) << describe(found);
  EXPECT_NE(found.out.find("libfoo.so => " + dir.path() +
                           "/bin/../lib/libfoo.so (found via RUNPATH $ORIGIN/../lib)"),
            std::string::npos)
      << found.out;
  std::filesystem::remove(dir / "lib/libfoo.so");
  const Finished missing = strata({"analyze", dir / "bin/app"});
  EXPECT_EQ(missing.exit_code, 1) << describe(missing);
  EXPECT_NE(missing.out.find("libfoo.so (NOT FOUND (searched: RUNPATH $ORIGIN/../lib"), std::string::npos)
      << missing.out;
}

TEST(Analyze, RootTree) {
  const std::string rootfs = STRATA_DEBIAN_ROOTFS_FOR_ANALYZE;
  if (!std::filesystem::exists(rootfs + "/usr/bin/ls")) {
    GTEST_SKIP() << "no Debian minbase tree at " << rootfs << " (the probe tests' fixture builds it)";
  }
  const Finished f = strata({"analyze", "--json", "--root", rootfs, "/usr/bin/ls", "/usr/bin/apt"});
  ASSERT_EQ(f.exit_code, 0) << describe(f);
  const auto doc = needs(f);
  EXPECT_EQ(doc["target"], rootfs);
  for (const auto& dep : doc["files"][1]["needed"]) {
    EXPECT_TRUE(dep["found"].get<bool>()) << dep.dump();
    EXPECT_FALSE(dep["path"].get<std::string>().starts_with(rootfs)) << dep.dump();
  }
  EXPECT_TRUE(doc["files"][1]["symbol_versions"].contains("libstdc++.so.6")) << doc["files"][1].dump();
}

TEST(Analyze, UsrBinNeverCrashes) {
  const Finished f = strata({"analyze", "--json", "/usr/bin"});
  ASSERT_TRUE(f.exit_code == 0 || f.exit_code == 1) << describe(f);
  EXPECT_GT(needs(f)["files"].size(), 100U);
  EXPECT_TRUE(needs(f)["errors"].empty()) << needs(f)["errors"].dump();
}

TEST(Analyze, WalkGoesOnPastUnusableFiles) {
  TempDir dir;
  ASSERT_TRUE(cc(dir, "tree/a/app", "int main(void) { return 0; }", ""));
  std::filesystem::create_directories(dir / "tree/b");
  write_file(dir / "tree/b/script", "#!/bin/sh\necho hi\n");
  write_file(dir / "tree/b/data.txt", "plain text\n");
  ASSERT_EQ(::symlink("/nonexistent/target", (dir / "tree/a/dangling").c_str()), 0);
  ASSERT_EQ(::mkfifo((dir / "tree/b/fifo").c_str(), 0600), 0);
  const Finished f = strata({"analyze", dir / "tree"});
  EXPECT_EQ(f.exit_code, 2) << describe(f);
  EXPECT_NE(f.out.find(dir / "tree/a/app"), std::string::npos) << f.out;
  EXPECT_NE(f.out.find("script, interpreter /bin/sh"), std::string::npos) << f.out;
  const auto errors = lines(f.err);
  ASSERT_GE(errors.size(), 2U) << f.err;
  EXPECT_NE(f.err.find("strata: analyze: open '" + (dir / "tree/a/dangling") + "': "), std::string::npos)
      << f.err;
  EXPECT_NE(f.err.find("strata: analyze: open '" + (dir / "tree/b/fifo") + "': not a regular file"),
            std::string::npos)
      << f.err;
}

TEST(Analyze, NeitherElfNorScriptIsUnusable) {
  TempDir dir;
  write_file(dir / "notes.txt", "hello\n");
  const Finished f = strata({"analyze", dir / "notes.txt"});
  EXPECT_EQ(f.exit_code, 2) << describe(f);
  EXPECT_EQ(f.err, "strata: analyze: analyze '" + (dir / "notes.txt") +
                       "': neither an ELF file, a WebAssembly module nor a script (no #! line)\n");
  std::string ls = *read_file("/bin/ls");
  write_file(dir / "cut", ls.substr(0, ls.size() / 3));
  const Finished cut = strata({"analyze", dir / "cut"});
  EXPECT_EQ(cut.exit_code, 2) << describe(cut);
  EXPECT_NE(cut.err.find("strata: analyze: read ELF '" + (dir / "cut") + "': truncated"), std::string::npos)
      << cut.err;
  EXPECT_EQ(lines(cut.err).size(), 1U) << cut.err;
}

}  // namespace
}  // namespace strata::test
