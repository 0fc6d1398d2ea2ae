// podman run and strata run --image of one image print the same thing: the
// root's listing, id, the environment, the working directory, the image's Cmd
// and arguments that replace it. The image (busybox, its own /etc/passwd and
// /etc/group, Env, WorkingDir, User, Cmd) is built with umoci, imported into
// a store of the test's own (STRATA_HOME) and loaded into a podman storage
// of its own (vfs under a temp dir, runc, cgroupfs: crun refuses hybrid
// cgroup hosts). What each runtime adds by itself is filtered out, by name,
// and nothing else:
//   - podman's environment has HOSTNAME (the container id), TERM=xterm and
//     container=podman; strata adds no variable of its own with --image (and
//     passes none of the caller's: the caller's TERM and LANG are set to
//     values podman does not use, so a leak would show);
//   - podman's /etc has hostname, hosts and mtab (-> /proc/mounts), which it
//     creates to bind-mount over; strata adds nothing to /etc;
//   - in `id`, podman repeats the primary group in the supplementary list
//     (like initgroups), strata sets the image's memberships only (like the
//     OCI image-spec conversion umoci writes, which runc then applies): the
//     primary group is already the process's gid, so its repetition changes no
//     access check and is dropped from both lists before comparing.
// The image carries /dev, /proc, /sys, /run and /tmp, so that neither runtime
// needs to create a mount point at the top: `ls -1 /` is compared as it is.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "harness.hpp"
#include "image_fixtures.hpp"

namespace strata::test {
namespace {

namespace fs = std::filesystem;

constexpr const char* kBuild = R"(
umoci init --layout oci
umoci new --image oci:cmp
umoci unpack --rootless --image oci:cmp b >/dev/null
r=b/rootfs
mkdir -p $r/bin $r/etc $r/data/sub $r/home/app $r/root $r/tmp $r/dev $r/proc $r/sys $r/run
cp /bin/busybox $r/bin/busybox
for a in sh ls id env sort pwd echo cat grep; do ln -s busybox $r/bin/$a; done
printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n' > $r/etc/passwd
printf 'root:x:0:\napp:x:1000:\nstaff:x:50:app\nother:x:60:\n' > $r/etc/group
echo keep > $r/data/keep
ln -s keep $r/data/link
chmod 1777 $r/tmp
umoci repack --image oci:cmp b
umoci config --image oci:cmp --config.cmd sh --config.cmd -c --config.cmd 'echo default cmd; pwd' \
  --config.env FOO=bar --config.env 'SPACED=a b' --config.env PATH=/bin \
  --config.workingdir /data --config.user app
tar -C oci -cf oci.tar .
)";

// Variables podman sets in every container by itself.
const std::vector<std::string> kPodmanOnlyEnv{"HOSTNAME", "TERM", "container"};
// What podman creates in /etc to mount over.
const std::vector<std::string> kPodmanOnlyEtc{"hostname", "hosts", "mtab"};

std::string drop_lines(const std::string& text, const std::vector<std::string>& names, char after = '\0') {
  std::string out;
  for (const std::string& line : lines(text)) {
    const std::string name = after == '\0' ? line : line.substr(0, line.find(after));
    if (std::ranges::find(names, name) == names.end()) {
      out += line + "\n";
    }
  }
  return out;
}

// "uid=1000(app) gid=1000(app) groups=50(staff),1000(app)": the groups list
// without the primary group, sorted.
std::string normalise_id(const std::string& text) {
  std::istringstream in(text);
  std::string uid;
  std::string gid;
  std::string groups;
  in >> uid >> gid >> groups;
  const std::string primary = gid.substr(gid.find('=') + 1);
  std::vector<std::string> kept;
  std::istringstream list(groups.substr(groups.find('=') + 1));
  for (std::string group; std::getline(list, group, ',');) {
    if (group != primary) {
      kept.push_back(group);
    }
  }
  std::ranges::sort(kept);
  std::string out = uid + " " + gid + " groups=";
  for (std::size_t i = 0; i < kept.size(); ++i) {
    out += (i == 0 ? "" : ",") + kept[i];
  }
  return out + "\n";
}

class PodmanCompare : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::geteuid() != 0) {
      skip_ = "podman runs rootful here (rootless podman needs subordinate ids this test does not set up)";
      return;
    }
    for (const char* tool : {"podman", "runc", "umoci", "tar"}) {
      if (!have_tool(tool)) {
        skip_ = std::string("needs ") + tool + " (apt-get install podman runc umoci tar)";
        return;
      }
    }
    if (!fs::exists("/bin/busybox")) {
      skip_ = "needs /bin/busybox (apt-get install busybox-static)";
      return;
    }
    dir_ = new TempDir();  // NOLINT: lives for the suite
    sh("cd " + dir_->path() + "\n" + kBuild);
    if (::testing::Test::HasFailure()) {
      return;
    }
    const Finished loaded = podman({"load", "-q", "-i", *dir_ / "oci.tar"});
    ASSERT_EQ(loaded.exit_code, 0) << describe(loaded);
    // podman itself, not strata, is on trial here: if it cannot start a
    // container on this machine (its own failure, exit 125), say why and
    // skip; anything else (126, 127, other output) is this test's fault.
    const Finished probe = podman_run({"echo", "ok"});
    if (probe.exit_code == 125) {
      skip_ = "podman cannot run a container here: " + describe(probe);
      return;
    }
    ASSERT_EQ(probe.exit_code, 0) << describe(probe);
    ASSERT_EQ(probe.out, "ok\n") << describe(probe);
    ready_ = true;
  }
  static void TearDownTestSuite() {
    if (dir_ != nullptr) {
      podman({"rm", "-a", "-f"});
      podman({"rmi", "-a", "-f"});
    }
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    if (!skip_.empty()) {
      GTEST_SKIP() << skip_;
    }
    ASSERT_TRUE(ready_)
        << "the image could not be built or loaded into podman (see the set-up failure above)";
    const Finished f = strata_cmd({"image", "import", *dir_ / "oci", "--ref", "cmp", "--tag", "cmp"});
    ASSERT_EQ(f.exit_code, 0) << describe(f);
  }

  static Finished podman(const std::vector<std::string>& args) {
    const std::string& d = dir_->path();
    std::vector<std::string> argv{"/usr/bin/env",
                                  "podman",
                                  "--root",
                                  d + "/root",
                                  "--runroot",
                                  d + "/run",
                                  "--tmpdir",
                                  d + "/tmp",
                                  "--storage-driver",
                                  "vfs",
                                  "--runtime",
                                  "runc",
                                  "--cgroup-manager=cgroupfs",
                                  "--events-backend",
                                  "none"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv);
  }
  // podman run --rm ... localhost/cmp [ARGS]: no network, the ulimits this
  // machine's hard limits allow (podman's defaults exceed them).
  static Finished podman_run(const std::vector<std::string>& args) {
    std::vector<std::string> argv{"run",
                                  "--rm",
                                  "--pull",
                                  "never",
                                  "--network",
                                  "none",
                                  "--ulimit",
                                  "nofile=1024:1024",
                                  "--ulimit",
                                  "nproc=1024:1024",
                                  "localhost/cmp:latest"};
    argv.insert(argv.end(), args.begin(), args.end());
    return podman(argv);
  }
  [[nodiscard]] Finished strata_cmd(const std::vector<std::string>& args) const {
    std::vector<std::string> argv{"/usr/bin/env", "-i",           "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                                  "TERM=dumb",    "LANG=C.UTF-8", "STRATA_HOME=" + home_.path(),
                                  strata_bin()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv);
  }
  // strata run --image cmp [-- ARGS]
  [[nodiscard]] Finished strata_run(const std::vector<std::string>& args) const {
    std::vector<std::string> argv{"run", "--image", "cmp"};
    if (!args.empty()) {
      argv.emplace_back("--");
      argv.insert(argv.end(), args.begin(), args.end());
    }
    return strata_cmd(argv);
  }

  // Runs ARGS in both and returns {podman's output, strata's output}, both
  // having exited 0.
  [[nodiscard]] std::pair<std::string, std::string> both(const std::vector<std::string>& args) const {
    const Finished p = podman_run(args);
    const Finished s = strata_run(args);
    EXPECT_EQ(p.exit_code, 0) << "podman: " << describe(p);
    EXPECT_EQ(s.exit_code, 0) << "strata: " << describe(s);
    EXPECT_NE(s.out, "") << "strata printed nothing: " << describe(s);
    return {p.out, s.out};
  }

  static inline TempDir* dir_ = nullptr;
  static inline std::string skip_;
  static inline bool ready_ = false;
  TempDir home_;
};

TEST_F(PodmanCompare, RootListing) {
  const auto [podman_out, strata_out] = both({"ls", "-1", "/"});
  EXPECT_EQ(strata_out, podman_out);
  EXPECT_EQ(strata_out, "bin\ndata\ndev\netc\nhome\nproc\nroot\nrun\nsys\ntmp\n")
      << "the image's own top level";
}

TEST_F(PodmanCompare, DirectoryNeitherTouches) {
  const auto [podman_out, strata_out] = both({"ls", "-1Ap", "/data"});
  EXPECT_EQ(strata_out, podman_out);
  EXPECT_EQ(strata_out, "keep\nlink\nsub/\n");
}

TEST_F(PodmanCompare, EtcWithoutWhatPodmanMountsOver) {
  const auto [podman_out, strata_out] = both({"ls", "-1A", "/etc"});
  for (const std::string& name : kPodmanOnlyEtc) {
    EXPECT_NE(("\n" + podman_out).find("\n" + name + "\n"), std::string::npos)
        << "podman no longer adds /etc/" << name << ": update kPodmanOnlyEtc\n"
        << podman_out;
  }
  EXPECT_EQ(strata_out, drop_lines(podman_out, kPodmanOnlyEtc));
  EXPECT_EQ(strata_out, "group\npasswd\n");
}

TEST_F(PodmanCompare, Id) {
  const auto [podman_out, strata_out] = both({"id"});
  EXPECT_EQ(normalise_id(strata_out), normalise_id(podman_out))
      << "podman: " << podman_out << "strata: " << strata_out;
  EXPECT_EQ(normalise_id(strata_out), "uid=1000(app) gid=1000(app) groups=50(staff)\n") << strata_out;
}

TEST_F(PodmanCompare, Environment) {
  const auto [podman_out, strata_out] = both({"sh", "-c", "env | sort"});
  for (const std::string& name : kPodmanOnlyEnv) {
    EXPECT_NE(("\n" + podman_out).find("\n" + name + "="), std::string::npos)
        << "podman no longer sets " << name << ": update kPodmanOnlyEnv\n"
        << podman_out;
  }
  EXPECT_EQ(strata_out, drop_lines(podman_out, kPodmanOnlyEnv, '='));
  EXPECT_NE(strata_out.find("FOO=bar\nHOME=/home/app\nPATH=/bin\n"), std::string::npos) << strata_out;
}

TEST_F(PodmanCompare, WorkingDirectory) {
  const auto [podman_out, strata_out] = both({"pwd"});
  EXPECT_EQ(strata_out, podman_out);
  EXPECT_EQ(strata_out, "/data\n");
}

TEST_F(PodmanCompare, ImageCmd) {
  const auto [podman_out, strata_out] = both({});
  EXPECT_EQ(strata_out, podman_out);
  EXPECT_EQ(strata_out, "default cmd\n/data\n");
}

TEST_F(PodmanCompare, ArgumentsReplaceCmd) {
  const std::vector<std::string> args{"sh", "-c", R"(echo "$#:$1:$2"; echo "$0")", "zero", "a b", "*"};
  const auto [podman_out, strata_out] = both(args);
  EXPECT_EQ(strata_out, podman_out);
  EXPECT_EQ(strata_out, "2:a b:*\nzero\n");
}

}  // namespace
}  // namespace strata::test
