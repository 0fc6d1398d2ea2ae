// SECURITY.md items 5-7 for containers: images whose /proc, /sys, /dev or
// /dev/null are symlinks, mount destinations through an image's symlinks,
// and the rename-exchange race on a volume shared with a container. The
// root is the image's layers under overlayfs (and the copy fallback); the
// answer must be the same as for a --rootfs tree: refused, or inside.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "oci_layout.hpp"
#include "security.hpp"

namespace strata::test {
namespace {

namespace fs = std::filesystem;

// dir_/home is the store (STRATA_HOME); dir_/outside a host directory with a
// secret that no run may touch or show.
class HostileImage : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::chmod(dir_.path().c_str(), 0755), 0);
    ASSERT_EQ(::mkdir((dir_ / "outside").c_str(), 0755), 0);
    write_file(dir_ / "outside/host-secret", "host secret\n");
    ASSERT_EQ(::setenv("STRATA_HOME", (dir_ / "home").c_str(), 1), 0);
    outside_before_ = listing(dir_ / "outside");
    before_ = HostState::now();
  }
  void TearDown() override {
    ::unsetenv("STRATA_HOME");
    EXPECT_EQ(listing(dir_ / "outside"), outside_before_) << "something was created outside the image";
    expect_unchanged(before_, "after the run");
  }

  // Imports an image of the base layer plus `top` as `name`.
  void image(const std::string& name, const std::vector<TarEntry>& top) const {
    const std::vector<TarEntry> base{dir_entry("proc"), dir_entry("sys"),   dir_entry("dev"),
                                     dir_entry("vol"),  dir_entry("vol/a"), dir_entry("tmp", 01777)};
    const std::string layout = dir_ / ("layout-" + name);
    write_oci_layout(layout, name, {base, top});
    const Finished f = run({strata_bin(), "image", "import", layout, "--tag", name});
    ASSERT_EQ(f.exit_code, 0) << describe(f);
  }

  void expect_refused(const Finished& f, const std::string& context) const {
    EXPECT_EQ(f.exit_code, 125) << context << ": " << describe(f);
    EXPECT_EQ(f.out, "") << context;
    EXPECT_EQ(lines(f.err).size(), 1U) << context << ": " << f.err;
  }

  TempDir dir_;
  std::vector<std::string> outside_before_;
  HostState before_;
};

TEST_F(HostileImage, ControlAPlainImageRuns) {
  image("plain", {});
  for (const char* mode : {"overlay", "copy"}) {
    const Finished f = attack({"--image", "plain", "--image-mount", mode}, {"ls", "/"});
    EXPECT_EQ(f.exit_code, 0) << mode << ": " << describe(f);
    EXPECT_EQ(answer(f), "attacker dev proc sys tmp vol") << mode;
  }
}

TEST_F(HostileImage, ProcSysDevAsSymlinksAreRefused) {
  // The top layer replaces the base's directory by a symlink out of the root.
  for (const char* name : {"proc", "sys", "dev"}) {
    for (const std::string& target :
         {dir_ / "outside", std::string("../../../outside"), std::string("/etc")}) {
      const std::string tag = std::string("bad-") + name + "-" + std::to_string(target.size());
      image(tag, {symlink_entry(name, target)});
      for (const char* mode : {"overlay", "copy"}) {
        expect_refused(attack({"--image", tag, "--image-mount", mode}, {"ls", "/"}),
                       std::string(name) + " -> " + target + " (" + mode + ")");
      }
    }
  }
}

TEST_F(HostileImage, DevNullAsSymlinkIsNeverFollowed) {
  image("devnull", {symlink_entry("dev/null", dir_ / "outside/host-secret")});
  const Finished f = attack({"--image", "devnull"}, {"readlink", "/dev/null"});
  if (f.exit_code != 0) {
    expect_refused(f, "dev/null -> host file");
  } else {
    EXPECT_EQ(answer(f), "errno EINVAL") << "/dev/null inside is a symlink";
    EXPECT_EQ(answer(attack({"--image", "devnull"}, {"write", "/dev/null", "overwritten\n"})), "ok");
  }
  EXPECT_EQ(read_file(dir_ / "outside/host-secret"), "host secret\n");
}

TEST_F(HostileImage, DestinationsThroughTheImagesSymlinksStayInside) {
  image("links", {symlink_entry("vol/up", "/"), symlink_entry("vol/rel", "../../outside"),
                  symlink_entry("vol/abs", dir_ / "outside")});
  const std::string name = "escape-" + unique_token().substr(0, 8);
  for (const char* link : {"/vol/up/", "/vol/rel/", "/vol/abs/"}) {
    const Finished f = attack({"--image", "links", "--tmpfs", link + name}, {"statfs", link + name});
    if (f.exit_code == 0) {
      EXPECT_EQ(answer(f), "rw") << link << ": " << describe(f);
    } else {
      expect_refused(f, link);
    }
  }
  const Finished dotdot =
      attack({"--image", "links", "--tmpfs", "/vol/../../../" + name}, {"statfs", "/" + name});
  EXPECT_TRUE(dotdot.exit_code == 0 || dotdot.exit_code == 125) << describe(dotdot);
  EXPECT_FALSE(path_exists("/" + name)) << "a mount point was created in the host's /";
  EXPECT_FALSE(path_exists(dir_ / ("outside/" + name))) << "a mount point was created beside the store";
}

TEST_F(HostileImage, RenameExchangeRaceOnASharedVolumeShowsNoHostFile) {
  // A volume shared with the container (another container could be writing
  // it): while strata resolves /vol/a/m, a racer swaps vol/a with vol/b, a
  // symlink to the host directory. Never the secret.
  image("plain", {});
  const TempDir vol;
  ASSERT_EQ(::mkdir((vol / "a").c_str(), 0755), 0);
  ASSERT_EQ(::symlink((dir_ / "outside").c_str(), (vol / "b").c_str()), 0);
  const TempDir src;
  write_file(src / "bound", "bound\n");
  const ExchangeRacer racer(vol / "a", vol / "b");
  int runs = 0;
  int secrets = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(8);
  for (; runs < 1000 && std::chrono::steady_clock::now() < deadline; ++runs) {
    const Finished f =
        attack({"--image", "plain", "--bind", vol.path() + ":/vol", "--ro-bind", src.path() + ":/vol/a/m"},
               {"cat", "/vol/a/m/../host-secret"});
    if (f.out.find("host secret") != std::string::npos) {
      ++secrets;
    }
  }
  EXPECT_EQ(secrets, 0) << "of " << runs << " runs";
  EXPECT_GT(racer.swaps(), 0);
  EXPECT_GE(runs, 100) << "too few runs to mean anything";
  RecordProperty("runs", runs);
}

}  // namespace
}  // namespace strata::test
