// SECURITY.md item 3: the runtime binary must not be reachable for writing
// from inside (runc CVE-2019-5736: a `#!/proc/self/exe` entrypoint made runc
// execute itself inside the container, which then reopened it for writing).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include "security.hpp"

namespace strata::test {
namespace {

struct FileImage {
  std::string bytes;
  struct stat st = {};

  static FileImage of(const std::string& path) {
    FileImage image;
    image.bytes = read_file(path).value_or("");
    ::stat(path.c_str(), &image.st);
    return image;
  }
};

void expect_same(const FileImage& before, const FileImage& after) {
  EXPECT_EQ(after.bytes.size(), before.bytes.size());
  EXPECT_TRUE(after.bytes == before.bytes) << "the host's strata binary changed";
  EXPECT_EQ(after.st.st_mtim.tv_sec, before.st.st_mtim.tv_sec);
  EXPECT_EQ(after.st.st_mtim.tv_nsec, before.st.st_mtim.tv_nsec);
  EXPECT_EQ(after.st.st_ino, before.st.st_ino);
}

class RuntimeBinary : public testing::Test {
 protected:
  void SetUp() override {
    before_ = FileImage::of(strata_bin());
    ASSERT_FALSE(before_.bytes.empty());
    write_file(scripts_ / "selfexe.sh", "#!/proc/self/exe\n");
    write_file(scripts_ / "selfexe-run.sh", "#!/proc/self/exe run\n");
    ASSERT_EQ(::chmod((scripts_ / "selfexe.sh").c_str(), 0755), 0);
    ASSERT_EQ(::chmod((scripts_ / "selfexe-run.sh").c_str(), 0755), 0);
  }
  void TearDown() override { expect_same(before_, FileImage::of(strata_bin())); }

  std::vector<std::string> with_scripts(std::vector<std::string> flags) const {
    flags.insert(flags.begin(), {"--ro-bind", scripts_.path() + ":/w"});
    return flags;
  }

  TempDir scripts_;
  FileImage before_;
};

TEST_F(RuntimeBinary, SelfExeScriptCannotRunTheHostBinary) {
  // The strata-forked workload process execs the script; /proc/self/exe is
  // then the host's strata binary, a host file Landlock gives no right to.
  std::vector<std::string> argv{strata_bin(), "run"};
  for (const auto& flag : with_scripts({})) {
    argv.push_back(flag);
  }
  argv.insert(argv.end(), {"--", "/w/selfexe.sh"});
  const Finished f = run(argv);
  EXPECT_EQ(f.exit_code, 126) << describe(f);
  EXPECT_NE(f.err.find("execute '/w/selfexe.sh'"), std::string::npos) << f.err;
}

TEST_F(RuntimeBinary, SelfExeScriptWithoutLandlockLeavesTheBinaryAlone) {
  // Without Landlock the host binary does run inside (it refuses the
  // arguments a shebang can give it); it must still not change.
  for (const char* script : {"/w/selfexe.sh", "/w/selfexe-run.sh"}) {
    std::vector<std::string> argv{strata_bin(), "run"};
    for (const auto& flag : with_scripts({"--landlock", "off"})) {
      argv.push_back(flag);
    }
    argv.insert(argv.end(), {"--", script, "--isolation", "host", "--", "/bin/true"});
    const Finished f = run(argv);
    EXPECT_NE(f.exit_code, 0) << script << ": " << describe(f);
  }
}

TEST_F(RuntimeBinary, OwnExeCannotBeOpenedForWriting) {
  EXPECT_EQ(ask({}, {"write", "/proc/self/exe", "x"}), "errno ETXTBSY");
  EXPECT_EQ(ask({}, {"reopen-write", "/proc/self/exe"}), "errno ETXTBSY");
}

TEST_F(RuntimeBinary, InitsExeIsTheHostBinaryAndIsClosed) {
  // pid 1 is a fork of strata that never execs: /proc/1/exe is the host's
  // strata binary.
  EXPECT_EQ(ask({}, {"readlink", "/proc/1/exe"}), "errno EACCES");
  EXPECT_EQ(ask({}, {"reopen-write", "/proc/1/exe"}), "errno EACCES at O_PATH open");
  EXPECT_EQ(ask({}, {"open", "/proc/1/exe", "w"}), "errno EACCES");
  EXPECT_EQ(ask({}, {"open", "/proc/1/fd/0", "path"}), "errno EACCES");
  EXPECT_EQ(ask({}, {"ancestor-exe", "1"}), "errno EACCES at O_PATH open");
}

TEST_F(RuntimeBinary, InitsExeStaysClosedWithEveryCapabilityAndNoLandlock) {
  // ptrace access to init needs CAP_SYS_PTRACE over the host's user
  // namespace; capabilities in the sandbox's own do not count.
  EXPECT_EQ(ask({"--cap-add", "ALL", "--landlock", "off"}, {"reopen-write", "/proc/1/exe"}),
            "errno EACCES at O_PATH open");
}

TEST_F(RuntimeBinary, SupervisorsExeIsClosedWithASharedPidNamespace) {
  // --share pid: the workload's grandparent is the strata supervisor, a host
  // process of the same uid.
  EXPECT_EQ(ask({"--share", "pid"}, {"ancestor-exe", "2"}), "errno EACCES at O_PATH open");
  EXPECT_EQ(ask({"--share", "pid", "--landlock", "off"}, {"ancestor-exe", "2"}),
            "errno EACCES at O_PATH open");
}

}  // namespace
}  // namespace strata::test
