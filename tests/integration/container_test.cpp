// strata run --image: the real binary runs containers from an image built by
// umoci (several layers, a whiteout, an opaque directory, a symlink chain, a
// config with Entrypoint/Cmd/Env/WorkingDir/User/StopSignal), in a store of
// its own (STRATA_HOME), with overlayfs and with the copy fallback.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "harness.hpp"
#include "image_fixtures.hpp"

namespace strata::test {
namespace {

namespace fs = std::filesystem;

// Layer 1: busybox, accounts, /data/{keep,gone}, /dir/old, /dir2/old2 and
// the chain /a -> b -> c -> /data/keep. Layer 2: /data/gone deleted (a
// whiteout), /dir replaced. Layer 3, written by hand: /dir2 opaque with a
// new file. Config: Entrypoint sh -c, Cmd "echo default", Env, WorkingDir,
// User app, StopSignal SIGUSR1.
constexpr const char* kBuild = R"(
umoci init --layout oci
umoci new --image oci:demo
umoci unpack --rootless --image oci:demo b1 >/dev/null
r=b1/rootfs
mkdir -p $r/bin $r/etc $r/data $r/dir $r/dir2 $r/tmp $r/home/app
cp /bin/busybox $r/bin/busybox
for a in sh ls cat id env pwd echo sleep touch readlink mkdir rm trap kill; do ln -s busybox $r/bin/$a; done
printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n' > $r/etc/passwd
printf 'root:x:0:\napp:x:1000:\nstaff:x:50:app\n' > $r/etc/group
echo keep > $r/data/keep
echo gone > $r/data/gone
echo old > $r/dir/old
echo old2 > $r/dir2/old2
chmod 1777 $r/tmp
ln -s b $r/a
ln -s c $r/b
ln -s /data/keep $r/c
umoci repack --image oci:demo b1
umoci unpack --rootless --image oci:demo b2 >/dev/null
rm b2/rootfs/data/gone
rm -r b2/rootfs/dir
mkdir b2/rootfs/dir
echo new > b2/rootfs/dir/new
umoci repack --image oci:demo b2
python3 - <<'EOF'
import io, tarfile
with tarfile.open('l3.tar', 'w') as t:
    d = tarfile.TarInfo('dir2'); d.type = tarfile.DIRTYPE; d.mode = 0o755; t.addfile(d)
    t.addfile(tarfile.TarInfo('dir2/.wh..wh..opq'), io.BytesIO(b''))
    data = b'new2\n'; f = tarfile.TarInfo('dir2/new2'); f.size = len(data); f.mode = 0o644
    t.addfile(f, io.BytesIO(data))
EOF
umoci raw add-layer --image oci:demo l3.tar
umoci config --image oci:demo --config.entrypoint /bin/sh --config.entrypoint -c \
  --config.cmd 'echo default' --config.env FOO=bar --config.env PATH=/bin \
  --config.workingdir /data --config.user app --config.stopsignal SIGUSR1
)";

class Container : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!have_tool("umoci") || !have_tool("python3") || !fs::exists("/bin/busybox")) {
      return;
    }
    images_ = new TempDir();  // NOLINT: lives for the suite
    sh("cd " + images_->path() + "\n" + kBuild);
    ready_ = true;
  }
  static void TearDownTestSuite() {
    delete images_;
    images_ = nullptr;
  }
  void SetUp() override {
    if (!ready_) {
      GTEST_SKIP() << "needs umoci, python3 and /bin/busybox (apt-get install umoci busybox-static)";
    }
    const Finished f =
        with_home({"image", "import", images_->path() + "/oci", "--ref", "demo", "--tag", "demo"});
    ASSERT_EQ(f.exit_code, 0) << describe(f);
  }

  Finished with_home(const std::vector<std::string>& args) const {
    std::vector<std::string> argv{"/usr/bin/env", "STRATA_HOME=" + home_.path(), strata_bin()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv);
  }
  // strata run FLAGS --image demo [-- ARGS]
  Finished container(std::vector<std::string> flags, const std::vector<std::string>& args = {}) const {
    flags.insert(flags.begin(), {"run", "--image", "demo"});
    if (!args.empty()) {
      flags.emplace_back("--");
      flags.insert(flags.end(), args.begin(), args.end());
    }
    return with_home(flags);
  }
  [[nodiscard]] std::vector<std::string> container_dirs() const {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(home_ / "containers", ec)) {
      out.push_back(e.path());
    }
    return out;
  }

  static inline TempDir* images_ = nullptr;
  static inline bool ready_ = false;
  TempDir home_;
};

constexpr const char* kMergedView = "ls /data; ls /dir; ls /dir2; cat /a; readlink /a";

TEST_F(Container, MergedViewOfTheLayers) {
  const Finished f = container({"--entrypoint", "/bin/sh"}, {"-c", kMergedView});
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_EQ(lines(f.out), (std::vector<std::string>{"keep", "new", "new2", "keep", "b"}))
      << "whiteout, replaced dir, opaque dir or symlink chain wrong: " << describe(f);
}

TEST_F(Container, CopyFallbackShowsTheSameTree) {
  const Finished overlay = container({"--entrypoint", "/bin/sh"}, {"-c", kMergedView});
  const Finished copy = container({"--image-mount", "copy", "--entrypoint", "/bin/sh"}, {"-c", kMergedView});
  EXPECT_EQ(copy.exit_code, 0) << describe(copy);
  EXPECT_EQ(copy.out, overlay.out);
  EXPECT_TRUE(container_dirs().empty()) << "the copy was not removed after the run";
}

TEST_F(Container, ImageConfigApplies) {
  Finished f = container({});
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_EQ(f.out, "default\n") << "Entrypoint + Cmd";
  f = container({}, {"echo $FOO; pwd; id -u; id -g; id -G; echo $HOME"});
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  const auto out = lines(f.out);
  ASSERT_EQ(out.size(), 6U) << describe(f);
  EXPECT_EQ(out[0], "bar") << "Env";
  EXPECT_EQ(out[1], "/data") << "WorkingDir";
  if (::geteuid() == 0) {
    EXPECT_EQ(out[2], "1000") << "User resolved in the image's /etc/passwd";
    EXPECT_EQ(out[3], "1000");
    EXPECT_NE((" " + out[4] + " ").find(" 50 "), std::string::npos)
        << "supplementary group staff: " << out[4];
  }
  EXPECT_EQ(out[5], "/home/app") << "HOME from the image's passwd";
}

TEST_F(Container, FlagsOverrideTheConfig) {
  const Finished f =
      container({"--user", "root", "--workdir", "/dir", "--env", "FOO=flag"}, {"echo $FOO; pwd; id -u"});
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_EQ(f.out, "flag\n/dir\n0\n");
  const Finished bad = container({"--user", "nosuchuser"}, {"true"});
  EXPECT_EQ(bad.exit_code, 125) << describe(bad);
  EXPECT_EQ(lines(bad.err).size(), 1U) << bad.err;
  EXPECT_NE(bad.err.find("nosuchuser"), std::string::npos) << bad.err;
}

TEST_F(Container, WritesStayInTheRunUnlessKept) {
  for (const char* layer : {"memory", "disk"}) {
    Finished f = container({"--user", "root", "--writable-layer", layer},
                           {"echo x > /data/written; rm /data/keep; ls /data"});
    EXPECT_EQ(f.exit_code, 0) << layer << ": " << describe(f);
    EXPECT_EQ(f.out, "written\n") << layer;
    f = container({}, {"ls /data"});
    EXPECT_EQ(f.out, "keep\n") << layer << ": a run's writes leaked into the next one";
    EXPECT_TRUE(container_dirs().empty()) << layer;
  }

  Finished f = container({"--keep", "--user", "root"}, {"echo kept > /data/written"});
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  const auto dirs = container_dirs();
  ASSERT_EQ(dirs.size(), 1U);
  EXPECT_EQ(read_file(dirs.front() + "/upper/data/written"), "kept\n");
  EXPECT_NE(f.err.find(dirs.front()), std::string::npos) << "--keep should say where: " << f.err;
  // The next run's sweep leaves a kept directory alone.
  EXPECT_EQ(container({}, {"true"}).exit_code, 0);
  EXPECT_EQ(container_dirs().size(), 1U);
}

TEST_F(Container, ReadOnlyRoot) {
  const Finished f = container({"--read-only", "--user", "root"}, {"touch /data/x 2>&1; echo $?"});
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_NE(f.out.find("Read-only file system"), std::string::npos) << describe(f);
  EXPECT_TRUE(container_dirs().empty()) << "a read-only run needs no directory of its own";
}

TEST_F(Container, LayersAreUnpackedOnce) {
  // Progress goes to a terminal, or to a pipe with --verbose.
  const std::vector<std::string> verbose_run{"-v", "run", "--image", "demo", "--", "true"};
  const Finished first = with_home(verbose_run);
  EXPECT_EQ(first.exit_code, 0) << describe(first);
  EXPECT_NE(first.err.find("unpacking layer 3/3"), std::string::npos) << first.err;
  const Finished second = with_home(verbose_run);
  EXPECT_EQ(second.exit_code, 0) << describe(second);
  EXPECT_EQ(second.err.find("unpacking"), std::string::npos)
      << "the second run unpacked again: " << second.err;
  EXPECT_EQ(container({}, {"true"}).err, "") << "nothing on a pipe without --verbose";
}

TEST_F(Container, ExitCodeAndTimeoutWithTheImagesStopSignal) {
  EXPECT_EQ(container({}, {"exit 7"}).exit_code, 7);
  // StopSignal SIGUSR1: the workload traps it and says so, well before the
  // kill 5 s later. A timeout is exit 124 whatever the workload did then.
  const auto started = std::chrono::steady_clock::now();
  const Finished f = container({"--timeout", "300ms", "--kill-after", "5s"},
                               {"trap 'echo stopped by USR1; exit 42' USR1; while :; do sleep 0.05; done"});
  EXPECT_EQ(f.exit_code, 124) << describe(f);
  EXPECT_EQ(f.out, "stopped by USR1\n") << describe(f);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(4))
      << "it took the kill to end it";
}

TEST_F(Container, PruneKeepsLayersInUseAndRemovesThemAfterwards) {
  Process running = Process::start({"/usr/bin/env", "STRATA_HOME=" + home_.path(), strata_bin(), "run",
                                    "--image", "demo", "--", "echo up; sleep 30"});
  ASSERT_EQ(running.read_line(std::chrono::seconds(20)), "up");
  ASSERT_EQ(with_home({"image", "rm", "demo"}).exit_code, 0);
  Finished prune = with_home({"image", "prune"});
  EXPECT_EQ(prune.exit_code, 0) << describe(prune);
  EXPECT_NE(prune.out.find("0 unpacked layers (3 kept: in use by a running container)"), std::string::npos)
      << prune.out;
  std::size_t layers = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(home_ / "layers/sha256")) {
    ++layers;
  }
  EXPECT_EQ(layers, 3U) << "prune removed layers a container is using";
  running.kill(SIGKILL);
  running.wait();
  prune = with_home({"image", "prune", "--json"});
  EXPECT_EQ(prune.exit_code, 0) << describe(prune);
  EXPECT_NE(prune.out.find("\"layers\": 3"), std::string::npos) << prune.out;
  EXPECT_TRUE(fs::is_empty(home_ / "layers/sha256")) << "unreferenced layers survived prune";
}

TEST_F(Container, TheSandboxPolicyAppliesToContainers) {
  // seccomp, no_new_privs, no capabilities, a new pid namespace with init,
  // masked /proc paths (timer_list) and the cgroup limits: the same as for any sandbox.
  const std::string status = home_ / "status.json";
  const Finished f = with_home(
      {"run", "--image", "builtin:busybox", "--pids", "16", "--json-status", status, "--", "sh", "-c",
       "grep -E '^(Seccomp|NoNewPrivs|CapEff):' /proc/self/status; echo pid1=$(cat "
       "/proc/1/comm); wc -c < /proc/timer_list; "
       "for i in $(seq 40); do sleep 2 & done 2>/dev/null; kill $(jobs -p); exit 0"});
  EXPECT_NE(f.out.find("Seccomp:\t2"), std::string::npos) << f.out;
  EXPECT_NE(f.out.find("NoNewPrivs:\t1"), std::string::npos) << f.out;
  EXPECT_NE(f.out.find("CapEff:\t0000000000000000"), std::string::npos) << f.out;
  EXPECT_NE(f.out.find("pid1=strata"), std::string::npos) << "strata's init is pid 1: " << f.out;
  EXPECT_NE(f.out.find("\n0\n"), std::string::npos) << "/proc/timer_list is not masked: " << f.out;
  const auto json = read_file(status).value_or("");
  EXPECT_NE(json.find("\"reason\": \"pids-limit\""), std::string::npos) << json;
}

TEST_F(Container, StoreAndBindSourceReachedThroughSymlinks) {
  // An absolute symlink on the way to the store or to a bind source is the
  // host's: it must not be resolved against the sandbox's staging root.
  const TempDir real;
  const std::string link = real / "link";
  ASSERT_EQ(::symlink(real.path().c_str(), link.c_str()), 0);
  write_file(real / "bound", "bound\n");
  const Finished f = run({"/usr/bin/env", "STRATA_HOME=" + link + "/home", strata_bin(), "run", "--image",
                          "builtin:busybox", "--ro-bind", link + "/bound:/bound", "--", "cat", "/bound"});
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_EQ(f.out, "bound\n");
}

TEST_F(Container, UserErrorsAreOneLine) {
  for (const auto& [args, needle] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"run", "--image", "no-such-image", "--", "true"}, "no-such-image"},
           {{"run", "--keep", "--", "true"}, "--image"},
           {{"run", "--image", "demo", "--rootfs", "/", "--", "true"}, "--rootfs"},
           {{"run", "--image", "demo", "--image-mount", "sideways", "--", "true"}, "sideways"}}) {
    const Finished f = with_home(args);
    EXPECT_EQ(f.exit_code, 125) << describe(f);
    EXPECT_EQ(lines(f.err).size(), 1U) << f.err;
    EXPECT_NE(f.err.find(needle), std::string::npos) << f.err;
  }
}

}  // namespace
}  // namespace strata::test
