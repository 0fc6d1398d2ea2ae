// The VM's initramfs: module resolution from a fabricated modules.dep (load
// order, dashes and underscores, built-in modules, a missing one), and the
// cpio read back with libarchive's reader.
#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/unique_fd.hpp"
#include "vm/initramfs.hpp"

namespace strata::vm {
namespace {

namespace fs = std::filesystem;

// The shape of Debian's, with compressed modules mixed in and a dependency
// list (virtio_net's) that names a module before the one it needs.
constexpr const char* kModulesDep =
    "kernel/drivers/virtio/virtio_ring.ko:\n"
    "kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko\n"
    "kernel/drivers/virtio/virtio_mmio.ko: kernel/drivers/virtio/virtio.ko "
    "kernel/drivers/virtio/virtio_ring.ko\n"
    "kernel/fs/fuse/fuse.ko:\n"
    "kernel/fs/fuse/virtiofs.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko "
    "kernel/fs/fuse/fuse.ko\n"
    "kernel/drivers/char/hw_random/virtio-rng.ko.xz: kernel/drivers/virtio/virtio.ko "
    "kernel/drivers/virtio/virtio_ring.ko\n"
    "kernel/drivers/net/virtio_net.ko.zst: kernel/drivers/net/net_failover.ko kernel/net/core/failover.ko "
    "kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko\n"
    "kernel/drivers/net/net_failover.ko: kernel/net/core/failover.ko\n"
    "kernel/net/core/failover.ko:\n";
constexpr const char* kModulesBuiltin =
    "kernel/drivers/char/virtio_console.ko\nkernel/drivers/tty/serial/8250.ko\n";

class InitramfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "strata-initramfs-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    modules_ = (dir_ / "lib/modules/6.1.0-test").string();
    write(modules_ + "/modules.dep", kModulesDep);
    write(modules_ + "/modules.builtin", kModulesBuiltin);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static void write(const fs::path& path, const std::string& bytes) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << bytes;
  }

  // name -> path, in the order resolve_modules returned them.
  std::vector<std::pair<std::string, std::string>> resolved(const std::vector<std::string>& names) {
    const auto modules = resolve_modules(modules_, names);
    EXPECT_TRUE(modules) << modules.error().message();
    std::vector<std::pair<std::string, std::string>> out;
    for (const Module& m : modules.value_or(std::vector<Module>{})) {
      out.emplace_back(m.name, m.path);
    }
    return out;
  }

  std::string module_path(const std::string& relative) const { return modules_ + "/" + relative; }

  fs::path dir_;
  std::string modules_;
};

TEST_F(InitramfsTest, GuestModulesAddVirtioNetOnlyWithNetwork) {
  EXPECT_EQ(guest_module_names(false),
            (std::vector<std::string>{"virtio_mmio", "virtio_console", "virtiofs"}));
  EXPECT_EQ(guest_module_names(true),
            (std::vector<std::string>{"virtio_mmio", "virtio_console", "virtiofs", "virtio_net"}));
}

TEST_F(InitramfsTest, ResolvesDependenciesFirstEachOnceSkippingBuiltIns) {
  const std::vector<std::pair<std::string, std::string>> expected{
      {"virtio_ring", module_path("kernel/drivers/virtio/virtio_ring.ko")},
      {"virtio", module_path("kernel/drivers/virtio/virtio.ko")},
      {"virtio_mmio", module_path("kernel/drivers/virtio/virtio_mmio.ko")},
      {"fuse", module_path("kernel/fs/fuse/fuse.ko")},
      {"virtiofs", module_path("kernel/fs/fuse/virtiofs.ko")},
      {"failover", module_path("kernel/net/core/failover.ko")},
      {"net_failover", module_path("kernel/drivers/net/net_failover.ko")},
      {"virtio_net", module_path("kernel/drivers/net/virtio_net.ko.zst")},
  };
  EXPECT_EQ(resolved(guest_module_names(true)), expected);
}

TEST_F(InitramfsTest, DashesAndUnderscoresNameTheSameModule) {
  const auto modules = resolved({"virtio_rng", "virtio-mmio"});
  ASSERT_EQ(modules.size(), 4U);
  EXPECT_EQ(modules[2], std::pair(std::string("virtio_rng"),
                                  module_path("kernel/drivers/char/hw_random/virtio-rng.ko.xz")));
  EXPECT_EQ(modules[3].first, "virtio_mmio");
}

TEST_F(InitramfsTest, AModuleNeitherLoadableNorBuiltInIsAnError) {
  const auto modules = resolve_modules(modules_, {"virtio_mmio", "virtio_gpu"});
  ASSERT_FALSE(modules);
  EXPECT_EQ(modules.error().message(),
            "find kernel module '" + modules_ +
                "': virtio_gpu is neither in modules.dep nor built in (modules.builtin)");
}

TEST_F(InitramfsTest, WithoutModulesBuiltinOnlyLoadableModulesResolve) {
  fs::remove(modules_ + "/modules.builtin");
  EXPECT_EQ(resolved({"virtio_mmio"}).size(), 3U);
  EXPECT_FALSE(resolve_modules(modules_, {"virtio_console"}));
}

TEST_F(InitramfsTest, WithoutModulesDepItAsksForDepmod) {
  fs::remove(modules_ + "/modules.dep");
  const auto modules = resolve_modules(modules_, {"virtio_mmio"});
  ASSERT_FALSE(modules);
  EXPECT_NE(modules.error().message().find("run depmod"), std::string::npos) << modules.error().message();
}

TEST_F(InitramfsTest, NoModulesDirectoryMeansEverythingIsBuiltIn) {
  const auto modules = resolve_modules("", guest_module_names(true));
  ASSERT_TRUE(modules);
  EXPECT_TRUE(modules->empty());
}

// The machine's own modules, when it has Debian's cloud kernel or another
// with the guest drivers as modules.
TEST(InitramfsLive, ResolvesTheGuestModulesOfTheRunningMachinesKernels) {
  std::error_code ec;
  std::vector<fs::path> dirs;
  for (const auto& entry : fs::directory_iterator("/lib/modules", ec)) {
    if (fs::exists(entry.path() / "modules.dep")) {
      dirs.push_back(entry.path());
    }
  }
  if (dirs.empty()) {
    GTEST_SKIP() << "no /lib/modules/*/modules.dep on this machine";
  }
  for (const fs::path& dir : dirs) {
    const auto modules = resolve_modules(dir.string(), guest_module_names(true));
    ASSERT_TRUE(modules) << modules.error().message();
    for (const Module& m : *modules) {
      EXPECT_TRUE(fs::is_regular_file(m.path)) << m.path;
    }
    const auto at = [&](const std::string& name) {
      return std::ranges::find(*modules, name, &Module::name) - modules->begin();
    };
    if (at("net_failover") < std::ssize(*modules)) {
      EXPECT_LT(at("failover"), at("net_failover"));
      EXPECT_LT(at("net_failover"), at("virtio_net"));
    }
  }
}

struct Entry {
  std::string name;
  mode_t mode = 0;
  dev_t rdev = 0;
  std::string data;
};

struct ArchiveFree {
  void operator()(archive* a) const { archive_read_free(a); }
};

// Every entry of the cpio in `fd`, read from its start.
std::vector<Entry> read_cpio(int fd) {
  EXPECT_EQ(::lseek(fd, 0, SEEK_SET), 0);
  const std::unique_ptr<archive, ArchiveFree> a(archive_read_new());
  EXPECT_EQ(archive_read_support_format_cpio(a.get()), ARCHIVE_OK);
  EXPECT_EQ(archive_read_open_fd(a.get(), fd, 1U << 16U), ARCHIVE_OK) << archive_error_string(a.get());
  std::vector<Entry> out;
  archive_entry* entry = nullptr;
  while (archive_read_next_header(a.get(), &entry) == ARCHIVE_OK) {
    Entry e{.name = archive_entry_pathname(entry),
            .mode = archive_entry_mode(entry),
            .rdev = archive_entry_rdev(entry),
            .data = std::string(static_cast<std::size_t>(archive_entry_size(entry)), '\0')};
    if (!e.data.empty()) {
      EXPECT_EQ(archive_read_data(a.get(), e.data.data(), e.data.size()), std::ssize(e.data)) << e.name;
    }
    out.push_back(std::move(e));
  }
  EXPECT_EQ(archive_errno(a.get()), 0) << archive_error_string(a.get());
  return out;
}

TEST_F(InitramfsTest, WritesANewcCpioTheKernelCanUnpack) {
  // An init larger than one copy chunk and not a multiple of 4 bytes.
  std::string init(3 * 1024 * 1024 + 3, '\0');
  for (std::size_t i = 0; i < init.size(); ++i) {
    init[i] = static_cast<char>((i * 7919U) >> 3U);
  }
  write(dir_ / "strata-vm-init", init);
  const auto modules = resolve_modules(modules_, {"virtio_mmio", "virtio_net"});
  ASSERT_TRUE(modules) << modules.error().message();
  for (const Module& m : *modules) {
    write(m.path, "module " + m.name);
  }

  const UniqueFd fd(::memfd_create("initramfs", MFD_CLOEXEC));
  ASSERT_TRUE(fd.valid());
  const auto written = write_initramfs(fd.get(), (dir_ / "strata-vm-init").string(), *modules);
  ASSERT_TRUE(written) << written.error().message();
  struct stat st = {};
  ASSERT_EQ(::fstat(fd.get(), &st), 0);
  EXPECT_EQ(st.st_size % 4, 0) << "the kernel expects 4-byte alignment";

  const std::vector<Entry> entries = read_cpio(fd.get());
  std::map<std::string, const Entry*> by_name;
  for (const Entry& e : entries) {
    EXPECT_TRUE(by_name.emplace(e.name, &e).second) << "twice: " << e.name;
    const std::string parent = fs::path(e.name).parent_path().string();
    EXPECT_TRUE(parent.empty() || by_name.contains(parent)) << e.name << " comes before its directory";
  }
  for (const char* directory : {"dev", "proc", "sys", "newroot", "strata", "lib/modules"}) {
    ASSERT_TRUE(by_name.contains(directory)) << directory;
    EXPECT_EQ(by_name[directory]->mode, S_IFDIR | 0755U) << directory;
  }
  ASSERT_TRUE(by_name.contains("dev/console"));
  EXPECT_EQ(by_name["dev/console"]->mode, S_IFCHR | 0600U);
  EXPECT_EQ(by_name["dev/console"]->rdev, makedev(5, 1));
  ASSERT_TRUE(by_name.contains("init"));
  EXPECT_EQ(by_name["init"]->mode, S_IFREG | 0755U);
  EXPECT_TRUE(by_name["init"]->data == init) << "the init's bytes differ";

  std::string list;
  for (const Module& m : *modules) {
    const std::string name = m.path.substr(1);
    ASSERT_TRUE(by_name.contains(name)) << name;
    EXPECT_EQ(by_name[name]->mode, S_IFREG | 0644U) << name;
    EXPECT_EQ(by_name[name]->data, "module " + m.name);
    list += m.path + "\n";
  }
  ASSERT_TRUE(by_name.contains("strata/modules"));
  EXPECT_EQ(by_name["strata/modules"]->data, list);
  EXPECT_EQ(std::ranges::count(list, '\n'), 6) << list;
}

TEST_F(InitramfsTest, WithoutModulesTheListIsEmpty) {
  write(dir_ / "init", "#!/bin/true\n");
  const UniqueFd fd(::memfd_create("initramfs", MFD_CLOEXEC));
  ASSERT_TRUE(write_initramfs(fd.get(), (dir_ / "init").string(), {}));
  const std::vector<Entry> entries = read_cpio(fd.get());
  const auto list = std::ranges::find(entries, std::string("strata/modules"), &Entry::name);
  ASSERT_NE(list, entries.end());
  EXPECT_EQ(list->data, "");
}

TEST_F(InitramfsTest, AMissingInitOrModuleIsAnErrorNamingIt) {
  const UniqueFd fd(::memfd_create("initramfs", MFD_CLOEXEC));
  const std::string absent = (dir_ / "absent").string();
  const auto no_init = write_initramfs(fd.get(), absent, {});
  ASSERT_FALSE(no_init);
  EXPECT_EQ(no_init.error().path, absent);
  EXPECT_EQ(no_init.error().err, ENOENT);

  write(dir_ / "init", "init");
  const auto no_module =
      write_initramfs(fd.get(), (dir_ / "init").string(), {Module{.name = "x", .path = absent}});
  ASSERT_FALSE(no_module);
  EXPECT_EQ(no_module.error().path, absent);
}

TEST_F(InitramfsTest, ARelativeModulePathIsRefused) {
  write(dir_ / "init", "init");
  const UniqueFd fd(::memfd_create("initramfs", MFD_CLOEXEC));
  for (const char* path : {"kernel/virtio.ko", "/lib/modules/", "/"}) {
    const auto written =
        write_initramfs(fd.get(), (dir_ / "init").string(), {Module{.name = "virtio", .path = path}});
    ASSERT_FALSE(written) << path;
    EXPECT_NE(written.error().detail.find("must be absolute"), std::string::npos)
        << written.error().message();
  }
}

TEST(GuestInit, IsAnExecutableFile) {
  const auto init = find_guest_init();
  ASSERT_TRUE(init) << init.error().message();
  EXPECT_EQ(::access(init->c_str(), X_OK), 0) << *init;
}

}  // namespace
}  // namespace strata::vm
