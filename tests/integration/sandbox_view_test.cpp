// What a workload sees from inside the default sandbox: its own pid, uts and
// net namespaces, and a root made only of the host's system directories.
#include <dirent.h>
#include <gtest/gtest.h>
#include <net/if.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "harness.hpp"

namespace strata::test {
namespace {

// Runs the probe in a default sandbox (plus flags) and expects it to succeed.
std::string probe_ok(const std::vector<std::string>& flags, const std::vector<std::string>& args) {
  const Finished f = probe(flags, args);
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_EQ(f.err, "") << describe(f);
  return f.out;
}

std::vector<std::string> host_interfaces() {
  std::vector<std::string> out;
  struct if_nameindex* ifs = ::if_nameindex();
  if (ifs == nullptr) {
    return out;
  }
  for (struct if_nameindex* i = ifs; i->if_index != 0 || i->if_name != nullptr; ++i) {
    out.emplace_back(i->if_name);
  }
  ::if_freenameindex(ifs);
  std::ranges::sort(out);
  return out;
}

std::string joined_lines(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    out += item + "\n";
  }
  return out;
}

// ---- namespaces ------------------------------------------------------------

TEST(SandboxView, WorkloadIsPid2) {
  EXPECT_EQ(probe_ok({}, {"pid"}), "2\n");
}

TEST(SandboxView, WorkloadParentIsInit) {
  EXPECT_EQ(probe_ok({}, {"ppid"}), "1\n");
}

TEST(SandboxView, OnlyInitAndWorkloadAreVisible) {
  EXPECT_EQ(probe_ok({}, {"ps"}), "1\n2\n");
}

TEST(SandboxView, DefaultHostnameIsStrata) {
  EXPECT_EQ(probe_ok({}, {"hostname"}), "strata\n");
}

TEST(SandboxView, HostnameFlagSetsHostname) {
  EXPECT_EQ(probe_ok({"--hostname", "foo"}, {"hostname"}), "foo\n");
}

TEST(SandboxView, HostnameOf64CharactersWorks) {
  const std::string name(64, 'h');
  EXPECT_EQ(probe_ok({"--hostname", name}, {"hostname"}), name + "\n");
}

TEST(SandboxView, NetworkHasOnlyLoopback) {
  EXPECT_EQ(probe_ok({}, {"netifs"}), "lo\n");
}

TEST(SandboxView, NetHostShowsHostInterfaces) {
  const auto host = host_interfaces();
  if (host.size() < 2) {
    GTEST_SKIP() << "the host itself has no interface besides lo";
  }
  EXPECT_EQ(probe_ok({"--net", "host"}, {"netifs"}), joined_lines(host));
}

// ---- the root ----------------------------------------------------------------

TEST(SandboxView, UsrIsReadOnly) {
  const Finished write = probe({}, {"write", "/usr/x"});
  EXPECT_EQ(write.exit_code, 1) << describe(write);
  EXPECT_EQ(write.out, "error EROFS\n");
  EXPECT_EQ(probe_ok({}, {"statfs-ro", "/usr"}), "ro\n");
}

TEST(SandboxView, EtcIsReadOnly) {
  const Finished write = probe({}, {"write", "/etc/strata-x"});
  EXPECT_EQ(write.exit_code, 1) << describe(write);
  EXPECT_EQ(write.out, "error EROFS\n");
  EXPECT_EQ(probe_ok({}, {"statfs-ro", "/etc"}), "ro\n");
}

TEST(SandboxView, RootIsReadOnly) {
  const Finished write = probe({}, {"write", "/x"});
  EXPECT_EQ(write.exit_code, 1) << describe(write);
  EXPECT_EQ(write.out, "error EROFS\n");
  const Finished mkdir = probe({}, {"mkdir", "/newdir"});
  EXPECT_EQ(mkdir.exit_code, 1) << describe(mkdir);
  EXPECT_EQ(mkdir.out, "error EROFS\n");
  EXPECT_EQ(probe_ok({}, {"statfs-ro", "/"}), "ro\n");
}

TEST(SandboxView, SystemDirsAreTheHosts) {
  // /usr is the host's: a file the host has is there.
  ASSERT_TRUE(path_exists("/usr/bin/env"));
  EXPECT_EQ(probe_ok({}, {"exists", "/usr/bin/env"}), "yes\n");
  const auto passwd = read_file("/etc/passwd");
  ASSERT_TRUE(passwd.has_value());
  EXPECT_EQ(probe_ok({}, {"read", "/etc/passwd"}), *passwd);
}

TEST(SandboxView, TmpIsWritable) {
  const std::string name = "/tmp/strata-it-" + unique_token();
  EXPECT_EQ(probe_ok({}, {"write", name}), "ok\n");
  EXPECT_EQ(probe_ok({}, {"statfs-ro", "/tmp"}), "rw\n");
}

TEST(SandboxView, TmpWritesStayInside) {
  const std::string name = "/tmp/strata-it-" + unique_token();
  EXPECT_EQ(probe_ok({}, {"write", name}), "ok\n");
  EXPECT_FALSE(path_exists(name)) << name << " leaked to the host's /tmp";
  ::unlink(name.c_str());
}

TEST(SandboxView, HostTmpIsInvisible) {
  const TempDir dir;  // /tmp/strata-it-XXXXXX on the host
  write_file(dir / "file", "host\n");
  EXPECT_EQ(probe_ok({}, {"exists", dir.path()}), "no\n");
  EXPECT_EQ(probe_ok({}, {"exists", dir / "file"}), "no\n");
}

TEST(SandboxView, TmpIsFreshEachRun) {
  const std::string name = "/tmp/strata-it-" + unique_token();
  EXPECT_EQ(probe_ok({}, {"write", name}), "ok\n");
  EXPECT_EQ(probe_ok({}, {"exists", name}), "no\n");
}

TEST(SandboxView, HostPathsOutsideBindsAreInvisible) {
  for (const char* path : {"/root", "/home", "/var", "/work"}) {
    if (!path_exists(path)) {
      continue;  // nothing to hide
    }
    EXPECT_EQ(probe_ok({}, {"exists", path}), "no\n") << path;
  }
  // Nor is the build tree the probe itself comes from.
  EXPECT_EQ(probe_ok({}, {"exists", probe_bin()}), "no\n");
}

TEST(SandboxView, OnlySystemTopLevelEntriesAreVisible) {
  const std::set<std::string> allowed{"usr",    "etc",  "bin", "sbin", "lib", "lib32", "lib64",
                                      "libx32", "proc", "sys", "dev",  "tmp", "probe"};
  DIR* root = ::opendir("/");
  ASSERT_NE(root, nullptr);
  std::vector<std::string> hidden;
  while (const dirent* entry = ::readdir(root)) {
    const std::string name = entry->d_name;
    if (name != "." && name != ".." && !allowed.contains(name)) {
      hidden.push_back("/" + name);
    }
  }
  ::closedir(root);
  for (const auto& path : hidden) {
    EXPECT_EQ(probe_ok({}, {"exists", path}), "no\n") << path;
  }
}

// ---- user mounts -------------------------------------------------------------

TEST(SandboxView, BindIsReadWrite) {
  const TempDir dir;
  write_file(dir / "from-host", "hello from the host\n");
  EXPECT_EQ(probe_ok({"--bind", dir.path() + ":/data"}, {"read", "/data/from-host"}),
            "hello from the host\n");
  EXPECT_EQ(probe_ok({"--bind", dir.path() + ":/data"}, {"write", "/data/from-sandbox"}), "ok\n");
  EXPECT_EQ(read_file(dir / "from-sandbox"), "ok\n");
  EXPECT_EQ(probe_ok({"--bind", dir.path() + ":/data"}, {"statfs-ro", "/data"}), "rw\n");
}

TEST(SandboxView, BindWithoutDestinationUsesSourcePath) {
  const TempDir dir;
  write_file(dir / "f", "same path\n");
  EXPECT_EQ(probe_ok({"--bind", dir.path()}, {"read", dir / "f"}), "same path\n");
}

TEST(SandboxView, BindOfAFile) {
  const TempDir dir;
  write_file(dir / "f", "a file\n");
  EXPECT_EQ(probe_ok({"--bind", (dir / "f") + ":/etc-like/f"}, {"read", "/etc-like/f"}), "a file\n");
}

TEST(SandboxView, RoBindIsReadOnly) {
  const TempDir dir;
  write_file(dir / "from-host", "read me\n");
  EXPECT_EQ(probe_ok({"--ro-bind", dir.path() + ":/data"}, {"read", "/data/from-host"}), "read me\n");
  const Finished write = probe({"--ro-bind", dir.path() + ":/data"}, {"write", "/data/new"});
  EXPECT_EQ(write.exit_code, 1) << describe(write);
  EXPECT_EQ(write.out, "error EROFS\n");
  const Finished overwrite = probe({"--ro-bind", dir.path() + ":/data"}, {"write", "/data/from-host"});
  EXPECT_EQ(overwrite.exit_code, 1) << describe(overwrite);
  EXPECT_EQ(overwrite.out, "error EROFS\n");
  EXPECT_FALSE(path_exists(dir / "new"));
  EXPECT_EQ(read_file(dir / "from-host"), "read me\n");
  EXPECT_EQ(probe_ok({"--ro-bind", dir.path() + ":/data"}, {"statfs-ro", "/data"}), "ro\n");
}

TEST(SandboxView, TmpfsIsWritableAndPrivate) {
  EXPECT_EQ(probe_ok({"--tmpfs", "/scratch"}, {"write", "/scratch/f"}), "ok\n");
  EXPECT_EQ(probe_ok({"--tmpfs", "/scratch"}, {"statfs-ro", "/scratch"}), "rw\n");
  EXPECT_FALSE(path_exists("/scratch"));
  const auto mounts = lines(probe_ok({"--tmpfs", "/scratch"}, {"mounts"}));
  EXPECT_EQ(std::ranges::count(mounts, "/scratch"), 1);
}

TEST(SandboxView, UserMountsApplyInCommandLineOrder) {
  const TempDir dir;
  write_file(dir / "f", "bound\n");
  // The tmpfs comes second and hides the bind...
  EXPECT_EQ(probe_ok({"--bind", dir.path() + ":/data", "--tmpfs", "/data"}, {"exists", "/data/f"}), "no\n");
  // ...or first, and the bind lands on it.
  EXPECT_EQ(probe_ok({"--tmpfs", "/data", "--bind", dir.path() + ":/data/sub"}, {"read", "/data/sub/f"}),
            "bound\n");
}

TEST(SandboxView, TmpfsOverRootIsNotSilentlyIgnored) {
  // --bind refuses "/" ("use --rootfs"); --tmpfs / must either be refused the
  // same way or give a writable root, not be accepted and have no effect.
  const Finished f = probe({"--tmpfs", "/"}, {"write", "/x"});
  if (f.exit_code == 125) {
    EXPECT_EQ(f.out, "");
    EXPECT_EQ(lines(f.err).size(), 1U) << f.err;
  } else {
    EXPECT_EQ(f.exit_code, 0) << "--tmpfs / was accepted but / is not a writable tmpfs: " << describe(f);
    EXPECT_EQ(f.out, "ok\n");
  }
}

// ---- /dev --------------------------------------------------------------------

TEST(SandboxView, MinimalDevExists) {
  for (const char* path : {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty",
                           "/dev/pts", "/dev/ptmx", "/dev/shm"}) {
    EXPECT_EQ(probe_ok({}, {"exists", path}), "yes\n") << path;
  }
}

TEST(SandboxView, DevNullReadsEmptyAndAcceptsWrites) {
  EXPECT_EQ(probe_ok({}, {"read", "/dev/null"}), "");
  EXPECT_EQ(probe_ok({}, {"write", "/dev/null"}), "ok\n");
}

TEST(SandboxView, HostDevicesAreNotVisible) {
  // The host's /dev has more than the minimal set (at least its own pts/ptmx
  // or shm); a disk or console, if the host has one, must not show.
  for (const char* path : {"/dev/mem", "/dev/kmsg", "/dev/console", "/dev/vda", "/dev/sda"}) {
    if (!path_exists(path)) {
      continue;
    }
    EXPECT_EQ(probe_ok({}, {"exists", path}), "no\n") << path;
  }
}

// ---- mount table ---------------------------------------------------------------

TEST(SandboxView, MountTableHasNoHostMountPoints) {
  const auto mounts = lines(probe_ok({}, {"mounts"}));
  ASSERT_FALSE(mounts.empty());
  EXPECT_EQ(mounts.front(), "/");
  // Everything is under the root's own parts: the system binds (with whatever
  // the host mounted below them, such as a container's /etc/hosts), /proc,
  // /sys, /dev, /tmp and the probe.
  const std::vector<std::string> roots{"/usr", "/etc", "/proc", "/sys", "/dev", "/tmp", kProbeInside};
  for (const auto& mount : mounts) {
    const bool allowed = mount == "/" || std::ranges::any_of(roots, [&mount](const std::string& r) {
                           return mount == r || mount.starts_with(r + "/");
                         });
    EXPECT_TRUE(allowed) << "unexpected mount point " << mount;
    EXPECT_FALSE(mount == "/work" || mount.starts_with("/work/")) << mount;
    EXPECT_FALSE(mount.starts_with("/oldroot") || mount.starts_with("/newroot")) << mount;
  }
  EXPECT_EQ(std::ranges::count(mounts, "/proc"), 1) << "masks sit below /proc, never on it";
  EXPECT_EQ(std::ranges::count(mounts, "/tmp"), 1);
  EXPECT_EQ(std::ranges::count(mounts, "/dev/pts"), 1);
}

}  // namespace
}  // namespace strata::test
