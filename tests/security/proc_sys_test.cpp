// SECURITY.md items 8, 9 and 10: kernel interfaces that leak host state or
// reach host-wide knobs are masked or read-only, and stay so whatever the
// workload tries; the cgroup v1 release_agent escape (CVE-2022-0492) fails.
//
// When strata runs as root the workload's uid is the host's uid 0 (without
// capabilities): every host-wide file whose only guard is "owned by root,
// mode 0644" (core_pattern, most of /proc/sys and /sys) is writable to it the
// moment a read-only mount is lifted. These tests therefore also try to lift
// them with CAP_SYS_ADMIN in the sandbox's user namespace (--cap-add).
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "security.hpp"

namespace strata::test {
namespace {

const std::vector<std::string> kMaskedFiles{"/proc/kcore",        "/proc/keys",       "/proc/timer_list",
                                            "/proc/sched_debug",  "/proc/interrupts", "/proc/timer_stats",
                                            "/proc/latency_stats"};
const std::vector<std::string> kMaskedDirs{"/proc/acpi", "/proc/scsi", "/proc/asound", "/sys/firmware",
                                           "/sys/devices/virtual/powercap"};

// Host-wide knobs: each is root's, and writing it changes the whole machine.
const std::vector<std::string> kKnobs{
    "/proc/sys/kernel/core_pattern", "/proc/sysrq-trigger",
    "/proc/sys/vm/drop_caches",      "/sys/kernel/uevent_helper",
    "/proc/sys/kernel/modprobe",     "/proc/sys/fs/binfmt_misc/register",
    "/sys/kernel/profiling",         "/sys/kernel/mm/transparent_hugepage/enabled"};

std::vector<std::string> present(const std::vector<std::string>& paths) {
  std::vector<std::string> out;
  for (const auto& path : paths) {
    if (path_exists(path)) {
      out.push_back(path);
    }
  }
  return out;
}

bool is_errno(const std::string& result) {
  return result.starts_with("errno ");
}

TEST(MaskedPaths, FilesReadEmpty) {
  const auto files = present(kMaskedFiles);
  if (files.empty()) {
    GTEST_SKIP() << "this kernel has none of the masked /proc files";
  }
  for (const auto& file : files) {
    EXPECT_EQ(ask({}, {"read", file}), "ok 0") << file;
  }
}

TEST(MaskedPaths, DirectoriesListEmpty) {
  const auto dirs = present(kMaskedDirs);
  if (dirs.empty()) {
    GTEST_SKIP() << "this kernel has none of the masked directories";
  }
  for (const auto& dir : dirs) {
    EXPECT_EQ(ask({}, {"ls", dir}), "") << dir;
  }
}

TEST(MaskedPaths, WriteRemoveAndUnmountFail) {
  for (const auto& file : present(kMaskedFiles)) {
    const Finished f = attack_script({}, "/attacker write " + file + " x; /attacker unlink " + file +
                                             "; /attacker umount " + file + "; /attacker read " + file);
    const auto out = lines(f.out);
    ASSERT_EQ(out.size(), 4U) << describe(f);
    EXPECT_TRUE(out[0] == "errno EROFS" || out[0] == "errno EACCES" || out[0] == "errno EPERM")
        << file << " write: " << out[0];
    EXPECT_TRUE(is_errno(out[1])) << file << " unlink: " << out[1];
    EXPECT_EQ(out[2], "errno EPERM") << file << " umount";
    EXPECT_EQ(out[3], "ok 0") << file << " after the attempts";
  }
  for (const auto& dir : present(kMaskedDirs)) {
    const Finished f = attack_script({}, "/attacker create " + dir + "/x; /attacker rmdir " + dir +
                                             "; /attacker umount " + dir + "; /attacker ls " + dir);
    const auto out = lines(f.out);
    ASSERT_EQ(out.size(), 4U) << describe(f);
    EXPECT_EQ(out[0], "errno EROFS") << dir << " create";
    EXPECT_TRUE(is_errno(out[1])) << dir << " rmdir: " << out[1];
    EXPECT_EQ(out[2], "errno EPERM") << dir << " umount";
    EXPECT_EQ(out[3], "") << dir << " after the attempts";
  }
}

// CAP_SYS_ADMIN in the sandbox, with the default filter (which refuses the
// whole mount API) and without it (--seccomp unconfined: only Landlock and
// the mounts are left).
// (CAP_SYS_ADMIN with any other filter is refused: see namespaces_test.cpp.)
const std::vector<std::vector<std::string>> kSysAdmin{
    {"--cap-add", "SYS_ADMIN"}, {"--cap-add", "ALL", "--cap-drop", "SYS_ADMIN", "--seccomp", "unconfined"}};

TEST(MaskedPaths, StayMaskedWithSysAdminInTheSandbox) {
  // CAP_SYS_ADMIN over the sandbox's own user namespace must not be enough
  // to take the masks off: not by umount, and not by cloning the proc mount
  // without the masks stacked on it (open_tree(OPEN_TREE_CLONE)).
  for (const auto& flags : kSysAdmin) {
    for (const auto& file : present(kMaskedFiles)) {
      const std::string name = file.substr(std::string("/proc/").size());
      EXPECT_EQ(ask(flags, {"umount", file}), "errno EPERM") << file << " " << testing::PrintToString(flags);
      const std::string cloned = ask(flags, {"clone-open", "/proc", name, "r"});
      EXPECT_TRUE(is_errno(cloned)) << file << " read through a detached clone of /proc "
                                    << testing::PrintToString(flags) << ": " << cloned;
    }
  }
}

TEST(HostKnobs, AreReadOnly) {
  const auto knobs = present(kKnobs);
  ASSERT_FALSE(knobs.empty());
  for (const auto& knob : knobs) {
    EXPECT_EQ(ask({}, {"open", knob, "w"}), "errno EROFS") << knob;
  }
  // The sandbox's /sys/fs/cgroup is an empty directory of a read-only sysfs.
  EXPECT_EQ(ask({}, {"statfs", "/sys/fs/cgroup"}), "ro");
  EXPECT_EQ(ask({}, {"ls", "/sys/fs/cgroup"}), "");
  EXPECT_TRUE(is_errno(ask({}, {"mkdir", "/sys/fs/cgroup/strata-attack"})));
}

TEST(HostKnobs, AreReadOnlyWithTheHostsProcAndSys) {
  // --share pid shows the host's /proc, --net host the host's /sys with its
  // cgroup mounts: both read-only, recursively.
  for (const auto& knob : present(kKnobs)) {
    EXPECT_EQ(ask({"--share", "pid", "--net", "host"}, {"open", knob, "w"}), "errno EROFS") << knob;
  }
  int cgroup_files = 0;
  for (const char* file : {"/sys/fs/cgroup/memory/release_agent", "/sys/fs/cgroup/pids/release_agent",
                           "/sys/fs/cgroup/cgroup.procs", "/sys/fs/cgroup/unified/cgroup.procs",
                           "/sys/fs/cgroup/memory/cgroup.procs", "/sys/fs/cgroup/cgroup.subtree_control"}) {
    if (path_exists(file)) {
      ++cgroup_files;
      EXPECT_EQ(ask({"--net", "host"}, {"open", file, "w"}), "errno EROFS") << file;
    }
  }
  EXPECT_GT(cgroup_files, 0) << "no cgroup control file found on the host";
  for (const char* dir :
       {"/sys/fs/cgroup/memory", "/sys/fs/cgroup/pids", "/sys/fs/cgroup/unified", "/sys/fs/cgroup"}) {
    if (path_exists(std::string(dir) + "/cgroup.procs")) {
      EXPECT_EQ(ask({"--net", "host"}, {"statfs", dir}), "ro") << dir;
      EXPECT_EQ(ask({"--net", "host"}, {"mkdir", std::string(dir) + "/strata-attack"}), "errno EROFS") << dir;
    }
  }
}

TEST(HostKnobs, StayReadOnlyWithSysAdminInTheSandbox) {
  // The read-only /proc/sys is a mount of strata's own, made in the sandbox's
  // user namespace: with CAP_SYS_ADMIN there, mount_setattr(2) can clear its
  // read-only flag, and a detached clone of /proc has no /proc/sys mount on
  // it at all. Either way a uid-0 workload would then write host-wide knobs
  // (core_pattern: code execution as the host's root). Landlock allows
  // writes beneath /proc, so it does not stop this.
  for (const auto& flags : kSysAdmin) {
    for (const auto& knob : present(kKnobs)) {
      if (!knob.starts_with("/proc/")) {
        continue;
      }
      const std::string parent = knob.starts_with("/proc/sys/") ? "/proc/sys" : knob;
      const Finished f = attack_script(flags, "/attacker setattr-rw " + parent + "; /attacker open " + knob +
                                                  " w; /attacker clone-open /proc " + knob.substr(6) + " w");
      const auto out = lines(f.out);
      ASSERT_EQ(out.size(), 3U) << describe(f);
      EXPECT_TRUE(is_errno(out[1])) << knob << " opened for writing after mount_setattr on " << parent << " ("
                                    << out[0] << ") " << testing::PrintToString(flags);
      EXPECT_TRUE(is_errno(out[2])) << knob << " opened for writing through a detached clone of /proc "
                                    << testing::PrintToString(flags);
    }
  }
}

TEST(HostKnobs, StayReadOnlyWithSysAdminAndNoLandlock) {
  // Without Landlock (a kernel that lacks it, or --landlock off), CAP_SYS_ADMIN
  // in the sandbox's user namespace can also simply unmount the cover.
  const std::string knob = "/proc/sys/kernel/core_pattern";
  for (auto flags : kSysAdmin) {
    flags.insert(flags.end(), {"--landlock", "off"});
    const Finished f = attack_script(flags, "/attacker umount /proc/sys; /attacker open " + knob + " w");
    const auto out = lines(f.out);
    ASSERT_EQ(out.size(), 2U) << describe(f);
    EXPECT_TRUE(is_errno(out[1])) << knob << " opened for writing after umount /proc/sys (" << out[0] << ") "
                                  << testing::PrintToString(flags);
  }
}

TEST(HostKnobs, SysStaysReadOnlyWithSysAdminAndNoLandlock) {
  for (auto flags : kSysAdmin) {
    flags.insert(flags.end(), {"--landlock", "off"});
    const Finished f =
        attack_script(flags, "/attacker setattr-rw /sys; /attacker open /sys/kernel/profiling w");
    const auto out = lines(f.out);
    ASSERT_EQ(out.size(), 2U) << describe(f);
    EXPECT_TRUE(is_errno(out[1])) << "/sys/kernel/profiling opened for writing (" << out[0] << ") "
                                  << testing::PrintToString(flags);
  }
}

// The hierarchies the host mounts as cgroup v1 (release_agent lives there).
std::vector<std::string> v1_controllers() {
  std::vector<std::string> out;
  for (const char* c : {"pids", "memory", "cpu", "devices", "freezer", "rdma"}) {
    if (path_exists(std::string("/sys/fs/cgroup/") + c + "/release_agent")) {
      out.emplace_back(c);
    }
  }
  return out;
}

TEST(ReleaseAgent, DefaultFilterStopsItAtUnshare) {
  for (const auto& c : std::vector<std::string>{"pids", "memory", "rdma"}) {
    EXPECT_EQ(ask({}, {"release-agent", c}), "errno EPERM at unshare") << c;
  }
}

TEST(ReleaseAgent, FailsSomewhereWithoutTheFilter) {
  auto controllers = v1_controllers();
  controllers.emplace_back("rdma");  // the one CVE-2022-0492's exploit used
  for (const auto& flags : std::vector<std::vector<std::string>>{
           {"--seccomp", "unconfined"}, {"--seccomp", "unconfined", "--landlock", "off"}}) {
    for (const auto& c : controllers) {
      const std::string result = ask(flags, {"release-agent", c});
      EXPECT_TRUE(is_errno(result)) << c << " " << testing::PrintToString(flags) << ": " << result;
    }
  }
}

TEST(ReleaseAgent, UnshareToolFails) {
  // The exploit's first line, with util-linux's unshare from the host's /usr.
  if (!path_exists("/usr/bin/unshare")) {
    GTEST_SKIP() << "no /usr/bin/unshare";
  }
  for (const auto& flags : std::vector<std::vector<std::string>>{{}, {"--seccomp", "unconfined"}}) {
    std::vector<std::string> argv{strata_bin(), "run"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    argv.insert(argv.end(), {"--", "/usr/bin/unshare", "-UrmC", "/bin/true"});
    const Finished f = run(argv);
    EXPECT_NE(f.exit_code, 0) << testing::PrintToString(flags) << ": " << describe(f);
  }
}

}  // namespace
}  // namespace strata::test
