// The VM's kernel: bzImage headers made by hand (valid, and broken in each
// way the reader checks), the newest of several in a fabricated /boot, and
// the real /boot when there is one.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "vm/kernel.hpp"

namespace strata::vm {
namespace {

namespace fs = std::filesystem;

struct Header {
  std::string magic = "HdrS";
  std::uint16_t protocol = 0x020F;
  std::uint16_t xloadflags = 0x7F;
  std::string version = "6.1.0-56-cloud-amd64 (debian-kernel@lists.debian.org) #1 SMP PREEMPT_DYNAMIC Debian";
  std::size_t version_at = 0x44C0;  // where the string is; the header points at it less 0x200
  std::size_t size = 0x8000;
};

void put_u16(std::string& bytes, std::size_t offset, std::uint16_t value) {
  bytes[offset] = static_cast<char>(value & 0xFFU);
  bytes[offset + 1] = static_cast<char>(value >> 8U);
}

std::string bzimage(const Header& h) {
  std::string bytes(std::max<std::size_t>(h.size, h.version_at + h.version.size() + 1), '\0');
  bytes.replace(0x202, 4, h.magic);
  put_u16(bytes, 0x206, h.protocol);
  put_u16(bytes, 0x20E, static_cast<std::uint16_t>(h.version_at - 0x200));
  put_u16(bytes, 0x236, h.xloadflags);
  bytes.replace(h.version_at, h.version.size(), h.version);
  bytes.resize(h.size);
  return bytes;
}

class KernelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "strata-kernel-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& bytes) {
    const fs::path path = dir_ / name;
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << bytes;
    return path.string();
  }

  // The error message for a file holding `bytes`, or "" when it was accepted.
  std::string error_for(const std::string& bytes) {
    const auto release = read_bzimage_release(write("vmlinuz", bytes));
    return release ? "" : release.error().message();
  }

  fs::path dir_;
};

TEST_F(KernelTest, ReadsTheReleaseFromTheHeadersVersionString) {
  const auto release = read_bzimage_release(write("vmlinuz", bzimage({})));
  ASSERT_TRUE(release) << release.error().message();
  EXPECT_EQ(*release, "6.1.0-56-cloud-amd64");
}

TEST_F(KernelTest, RefusesAFileWithoutTheHdrSMagic) {
  const std::string path = (dir_ / "vmlinuz").string();
  EXPECT_EQ(error_for(bzimage({.magic = "HdrX"})),
            "check kernel '" + path + "': not a Linux bzImage (no HdrS header)");
  EXPECT_EQ(error_for("#!/bin/sh\n"), "check kernel '" + path + "': not a Linux bzImage (no HdrS header)");
  EXPECT_EQ(error_for(""), "check kernel '" + path + "': not a Linux bzImage (no HdrS header)");
}

TEST_F(KernelTest, RefusesAnOldBootProtocol) {
  EXPECT_NE(error_for(bzimage({.protocol = 0x0204})).find("boot protocol 2.04 is older than 2.06"),
            std::string::npos);
}

TEST_F(KernelTest, RefusesAKernelWithout64BitEntry) {
  EXPECT_NE(error_for(bzimage({.xloadflags = 0x7E})).find("not a 64-bit kernel"), std::string::npos);
  // Before 2.12 there are no xloadflags to say so.
  EXPECT_NE(error_for(bzimage({.protocol = 0x020A})).find("not a 64-bit kernel"), std::string::npos);
}

TEST_F(KernelTest, RefusesATruncatedFile) {
  EXPECT_NE(error_for(bzimage({.size = 0x210})).find("truncated bzImage"), std::string::npos);
  EXPECT_NE(error_for(bzimage({.size = 0x1000})).find("version string lies past the end"), std::string::npos);
  EXPECT_NE(error_for(bzimage({.size = 0x44C4})).find("not terminated"), std::string::npos);
}

TEST_F(KernelTest, RefusesAVersionStringThatIsNoReleaseName) {
  EXPECT_NE(error_for(bzimage({.version = "../../etc x"})).find("names no release"), std::string::npos);
  EXPECT_NE(error_for(bzimage({.version = " leading space"})).find("names no release"), std::string::npos);
}

TEST_F(KernelTest, RefusesAnElfVmlinuxSayingABzImageIsNeeded) {
  std::string elf = bzimage({});
  elf.replace(0, 4,
              "\x7f"
              "ELF");
  EXPECT_NE(error_for(elf).find("not a bzImage"), std::string::npos);
}

TEST_F(KernelTest, AMissingFileIsAnErrnoError) {
  const auto release = read_bzimage_release((dir_ / "absent").string());
  ASSERT_FALSE(release);
  EXPECT_EQ(release.error().err, ENOENT);
  EXPECT_EQ(release.error().step, "check kernel");
}

TEST_F(KernelTest, FindsTheNewestKernelInBoot) {
  for (const std::string release : {"6.1.0-9-cloud-amd64", "6.1.0-56-cloud-amd64", "5.10.0-30-amd64"}) {
    write("boot/vmlinuz-" + release, bzimage({.version = release + " (builder) #1 SMP"}));
    write("boot/config-" + release, "CONFIG_64BIT=y\n");
  }
  fs::create_directories(dir_ / "boot/vmlinuz-9.9.9-not-a-file");
  fs::create_directories(dir_ / "modules/6.1.0-56-cloud-amd64");
  const auto kernel = find_kernel(std::nullopt, (dir_ / "boot").string(), (dir_ / "modules").string());
  ASSERT_TRUE(kernel) << kernel.error().message();
  EXPECT_EQ(kernel->path, (dir_ / "boot/vmlinuz-6.1.0-56-cloud-amd64").string());
  EXPECT_EQ(kernel->release, "6.1.0-56-cloud-amd64");
  EXPECT_EQ(kernel->modules_dir, (dir_ / "modules/6.1.0-56-cloud-amd64").string());
}

TEST_F(KernelTest, WithoutModulesTheModulesDirIsEmpty) {
  write("boot/vmlinuz-6.1.0-56-cloud-amd64", bzimage({}));
  const auto kernel = find_kernel(std::nullopt, (dir_ / "boot").string(), (dir_ / "modules").string());
  ASSERT_TRUE(kernel) << kernel.error().message();
  EXPECT_EQ(kernel->modules_dir, "");
}

TEST_F(KernelTest, AGivenKernelWinsOverBoot) {
  write("boot/vmlinuz-6.1.0-56-cloud-amd64", bzimage({}));
  const std::string given = write("mine/bzImage", bzimage({.version = "6.12.0-custom #2"}));
  const auto kernel = find_kernel(given, (dir_ / "boot").string(), (dir_ / "modules").string());
  ASSERT_TRUE(kernel) << kernel.error().message();
  EXPECT_EQ(kernel->path, given);
  EXPECT_EQ(kernel->release, "6.12.0-custom");
}

TEST_F(KernelTest, AGivenKernelThatIsNoBzImageIsAnError) {
  const std::string given = write("mine/vmlinux", "not a kernel");
  const auto kernel = find_kernel(given, (dir_ / "boot").string(), (dir_ / "modules").string());
  ASSERT_FALSE(kernel);
  EXPECT_EQ(kernel.error().message(), "check kernel '" + given + "': not a Linux bzImage (no HdrS header)");
}

TEST_F(KernelTest, WithoutAnyKernelTheErrorNamesThePackage) {
  fs::create_directories(dir_ / "boot");
  write("boot/config-6.1.0-56-cloud-amd64", "CONFIG_64BIT=y\n");
  for (const fs::path& boot : {dir_ / "boot", dir_ / "absent"}) {
    const auto kernel = find_kernel(std::nullopt, boot.string(), (dir_ / "modules").string());
    ASSERT_FALSE(kernel);
    EXPECT_EQ(kernel.error().message(), "no kernel for the VM: none given with --kernel and none in " +
                                            boot.string() + " (install linux-image-cloud-amd64)");
  }
}

// The machine's own kernel: its header's release names its modules directory.
TEST(KernelLive, TheNewestBootKernelsReleaseNamesAModulesDirectory) {
  std::error_code ec;
  bool any = false;
  for (const auto& entry : fs::directory_iterator("/boot", ec)) {
    any = any || entry.path().filename().string().starts_with("vmlinuz-");
  }
  if (!any) {
    GTEST_SKIP() << "no /boot/vmlinuz-* on this machine";
  }
  const auto kernel = find_kernel(std::nullopt);
  if (!kernel && kernel.error().detail.find("not readable") != std::string::npos) {
    GTEST_SKIP() << kernel.error().message();
  }
  ASSERT_TRUE(kernel) << kernel.error().message();
  if (fs::is_empty("/lib/modules", ec) || ec) {
    GTEST_SKIP() << "no /lib/modules/* on this machine to compare " << kernel->release << " with";
  }
  EXPECT_TRUE(fs::is_directory("/lib/modules/" + kernel->release))
      << kernel->path << " says it is " << kernel->release << ", which has no directory in /lib/modules";
  EXPECT_EQ(kernel->modules_dir, "/lib/modules/" + kernel->release);
}

}  // namespace
}  // namespace strata::vm
