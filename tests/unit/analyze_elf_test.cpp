// The ELF reader on real files gcc builds here and on truncated/corrupt ones.
#include <gtest/gtest.h>

#include "analyze/elf_file.hpp"
#include "analyze/script.hpp"
#include "analyze/versions.hpp"
#include "analyze_support.hpp"

namespace strata::analyze {
namespace {

Result<ElfInfo> read(std::string bytes) {
  return read_elf(std::span<char>(bytes), "test");
}

TEST(AnalyzeElf, ReadsDynamicExecutable) {
  test::Tree tree;
  ASSERT_TRUE(tree.cc("bin/app",
                      "#include <pthread.h>\nvoid* f(void* a) { return a; }\n"
                      "int main(void) { pthread_t t; pthread_create(&t, 0, f, 0); return 0; }",
                      "-Wl,-rpath,'$ORIGIN/../lib' -Wl,--disable-new-dtags"));
  auto elf = read(test::slurp(tree / "bin/app"));
  ASSERT_TRUE(elf) << elf.error().message();
  EXPECT_EQ(class_name(elf->elf_class), "ELF64");
  EXPECT_EQ(machine_name(elf->machine), "x86-64");
  EXPECT_EQ(linking(*elf), "dynamic");
  EXPECT_EQ(elf->interpreter.value_or(""), "/lib64/ld-linux-x86-64.so.2");
  EXPECT_EQ(elf->needed, std::vector<std::string>{"libc.so.6"});
  EXPECT_EQ(elf->rpath.value_or(""), "$ORIGIN/../lib");
  EXPECT_FALSE(elf->runpath);
  ASSERT_EQ(elf->version_needs.size(), 1U);
  EXPECT_EQ(elf->version_needs[0].file, "libc.so.6");
  // pthread_create@GLIBC_2.34 and __libc_start_main@GLIBC_2.34 on glibc 2.36.
  EXPECT_EQ(max_versions(elf->version_needs[0].versions).at("GLIBC"), "2.34");
  ASSERT_TRUE(elf->linux_abi_tag);  // crt1.o's .note.ABI-tag
}

TEST(AnalyzeElf, IsaLevelNote) {
  test::Tree tree;
  ASSERT_TRUE(tree.cc("v3", "int main(void) { return 0; }", "-march=x86-64-v3 -Wl,-z,x86-64-v3"));
  ASSERT_TRUE(tree.cc("plain", "int main(void) { return 0; }", ""));
  auto v3 = read(test::slurp(tree / "v3"));
  ASSERT_TRUE(v3) << v3.error().message();
  EXPECT_EQ(isa_level(*v3), 3);
  auto plain = read(test::slurp(tree / "plain"));
  ASSERT_TRUE(plain);
  EXPECT_LE(isa_level(*plain), 1);
}

TEST(AnalyzeElf, StaticPie) {
  test::Tree tree;
  ASSERT_TRUE(tree.cc("s", "int main(void) { return 0; }", "-static-pie"));
  auto elf = read(test::slurp(tree / "s"));
  ASSERT_TRUE(elf) << elf.error().message();
  EXPECT_EQ(linking(*elf), "static-pie");
  EXPECT_TRUE(elf->needed.empty());
}

TEST(AnalyzeElf, TruncatedFilesFailCleanly) {
  const std::string whole = test::slurp("/bin/ls");
  ASSERT_GT(whole.size(), 4096U);
  int failures = 0;
  for (std::size_t cut : {std::size_t{5}, std::size_t{20}, std::size_t{63}, std::size_t{64}, std::size_t{200},
                          std::size_t{1000}, std::size_t{4096}, whole.size() / 2, whole.size() - 1}) {
    auto elf = read(whole.substr(0, cut));
    if (!elf) {
      ++failures;
      EXPECT_EQ(elf.error().path, "test");
      EXPECT_FALSE(elf.error().message().empty());
      EXPECT_EQ(elf.error().message().find('\n'), std::string::npos);
    }
  }
  // The section headers sit at the end of the file: every cut loses them.
  EXPECT_EQ(failures, 9);
  auto truncated = read(whole.substr(0, whole.size() / 2));
  ASSERT_FALSE(truncated);
  EXPECT_NE(truncated.error().detail.find("truncated"), std::string::npos) << truncated.error().message();
}

TEST(AnalyzeElf, CorruptHeaderAndNotElf) {
  std::string bytes = test::slurp("/bin/ls");
  bytes[4] = 7;  // EI_CLASS
  EXPECT_FALSE(read(bytes));
  EXPECT_FALSE(read("#!/bin/sh\n"));
  EXPECT_FALSE(read(""));
}

TEST(AnalyzeScript, Shebang) {
  auto env = parse_shebang("#! /usr/bin/env  python3 -u\nprint(1)\n");
  ASSERT_TRUE(env);
  EXPECT_EQ(env->interpreter, "/usr/bin/env");
  EXPECT_EQ(env->argument, "python3 -u");
  auto sh = parse_shebang("#!/bin/sh\n");
  ASSERT_TRUE(sh);
  EXPECT_EQ(sh->interpreter, "/bin/sh");
  EXPECT_EQ(sh->argument, "");
  EXPECT_FALSE(parse_shebang("#!\n"));
  EXPECT_FALSE(parse_shebang("echo hi\n"));
}

TEST(AnalyzeVersions, MaxPerFamily) {
  const auto max = max_versions({"GLIBC_2.2.5", "GLIBC_2.34", "GLIBC_2.9", "GLIBC_PRIVATE", "GLIBCXX_3.4.9",
                                 "GLIBCXX_3.4.29", "CXXABI_1.3.13"});
  EXPECT_EQ(max.at("GLIBC"), "2.34");
  EXPECT_EQ(max.at("GLIBCXX"), "3.4.29");
  EXPECT_EQ(max.at("CXXABI"), "1.3.13");
  EXPECT_EQ(max.size(), 3U);
}

}  // namespace
}  // namespace strata::analyze
