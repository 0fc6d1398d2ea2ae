// SECURITY.md items 17 and 18: nothing executed inside gains privilege
// (setuid bits, file capabilities, root's exec rules), and the capability
// sets are exactly what --cap-add/--cap-drop asked for.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "security.hpp"

namespace strata::test {
namespace {

std::string hex(std::uint64_t mask) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(mask));
  return buf;
}

std::uint64_t all_caps() {
  const int last = std::stoi(read_file("/proc/sys/kernel/cap_last_cap").value_or("40"));
  return last >= 63 ? ~0ULL : (1ULL << (last + 1)) - 1;
}

// "uid=0 euid=0 ... eff=0000000000000000 ..." -> the value of one field.
std::string field(const std::string& caps, const std::string& name) {
  const auto at = (" " + caps).find(" " + name + "=");
  if (at == std::string::npos) {
    return "?";
  }
  const auto start = at + name.size() + 1;
  return caps.substr(start, caps.find(' ', start) - start);
}

void expect_sets(const std::string& caps, std::uint64_t mask, const std::string& context) {
  for (const char* set : {"prm", "eff", "bnd", "amb", "inh"}) {
    EXPECT_EQ(field(caps, set), hex(mask)) << context << " " << set << ": " << caps;
  }
  EXPECT_EQ(field(caps, "nnp"), "1") << context << ": " << caps;
}

constexpr std::uint64_t bit(int cap) {
  return 1ULL << cap;
}

TEST(Capabilities, NoneByDefault) {
  expect_sets(ask({}, {"caps"}), 0, "default");
}

TEST(Capabilities, NoneAfterExecAsRoot) {
  // uid 0 exec'ing a program normally gets every capability of its user
  // namespace; the empty bounding set and no_new_privs must prevent it.
  expect_sets(ask({}, {"exec", "/attacker", "caps"}), 0, "after exec");
  const Finished f = attack_script({}, "/bin/sh -c '/attacker caps'");
  expect_sets(answer(f), 0, "after two execs");
}

TEST(Capabilities, AddGivesExactlyThatOne) {
  expect_sets(ask({"--cap-add", "NET_ADMIN"}, {"caps"}), bit(CAP_NET_ADMIN), "--cap-add NET_ADMIN");
  expect_sets(ask({"--cap-add", "cap_net_raw", "--cap-add", "CHOWN"}, {"caps"}),
              bit(CAP_NET_RAW) | bit(CAP_CHOWN), "two");
  // Kept across exec (ambient) but never more.
  expect_sets(ask({"--cap-add", "NET_ADMIN"}, {"exec", "/attacker", "caps"}), bit(CAP_NET_ADMIN), "exec");
}

TEST(Capabilities, DropWins) {
  expect_sets(ask({"--cap-add", "NET_ADMIN", "--cap-add", "CHOWN", "--cap-drop", "CHOWN"}, {"caps"}),
              bit(CAP_NET_ADMIN), "add then drop");
  expect_sets(ask({"--cap-add", "ALL", "--cap-drop", "SYS_ADMIN"}, {"caps"}),
              all_caps() & ~bit(CAP_SYS_ADMIN), "ALL minus SYS_ADMIN");
  expect_sets(ask({"--cap-add", "ALL", "--cap-drop", "ALL"}, {"caps"}), 0, "ALL minus ALL");
}

TEST(Capabilities, AllMeansTheKernelsSet) {
  expect_sets(ask({"--cap-add", "ALL"}, {"caps"}), all_caps(), "ALL");
}

TEST(Capabilities, CapsetCannotRaiseOne) {
  EXPECT_EQ(ask({}, {"capset"}), "errno EPERM");
  EXPECT_EQ(ask({"--cap-add", "NET_ADMIN"}, {"capset", std::to_string(CAP_SYS_ADMIN)}), "errno EPERM");
  EXPECT_EQ(ask({"--cap-add", "ALL", "--cap-drop", "SYS_ADMIN"}, {"capset", std::to_string(CAP_SYS_ADMIN)}),
            "errno EPERM");
}

TEST(Capabilities, AmbientCannotRaiseOne) {
  EXPECT_EQ(ask({}, {"ambient", std::to_string(CAP_SYS_ADMIN)}), "errno EPERM");
  EXPECT_EQ(ask({"--cap-add", "NET_ADMIN"}, {"ambient", std::to_string(CAP_SYS_ADMIN)}), "errno EPERM");
}

TEST(Capabilities, CannotChangeUid) {
  // EINVAL: the uid is not mapped in the sandbox's user namespace at all.
  for (const auto& [flags, uid] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{}, "1000"}, {{"--uid", "1000", "--gid", "1000"}, "0"}, {{"--cap-add", "SETUID"}, "1000"}}) {
    const std::string result = ask(flags, {"setuid", uid});
    EXPECT_TRUE(result == "errno EPERM" || result == "errno EINVAL") << uid << ": " << result;
  }
}

TEST(Capabilities, NoNewPrivsIsSet) {
  EXPECT_EQ(ask({}, {"nnp"}), "1");
  EXPECT_EQ(ask({"--cap-add", "ALL"}, {"nnp"}), "1");
}

// Copies of the attacker that the kernel would run with more privilege: a
// setuid-root one, a setuid one of another user, one with file capabilities.
class PrivilegedBinaries : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::chmod(dir_.path().c_str(), 0755), 0);
    const std::string image = read_file(attacker_bin()).value_or("");
    ASSERT_FALSE(image.empty());
    for (const char* name : {"suid-root", "suid-nobody", "fcaps"}) {
      write_file(dir_ / name, image);
      ASSERT_EQ(::chmod((dir_ / name).c_str(), 0755), 0);
    }
    ASSERT_EQ(::chown((dir_ / "suid-root").c_str(), 0, 0), 0);
    ASSERT_EQ(::chmod((dir_ / "suid-root").c_str(), 04755), 0);
    ASSERT_EQ(::chown((dir_ / "suid-nobody").c_str(), 65534, 65534), 0);
    ASSERT_EQ(::chmod((dir_ / "suid-nobody").c_str(), 06755), 0);
    // security.capability v2: CAP_SYS_ADMIN and CAP_DAC_OVERRIDE, effective.
    vfs_cap_data data{};
    data.magic_etc = VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE;
    data.data[0].permitted = (1U << CAP_SYS_ADMIN) | (1U << CAP_DAC_OVERRIDE);
    if (::setxattr((dir_ / "fcaps").c_str(), "security.capability", &data, XATTR_CAPS_SZ_2, 0) != 0) {
      fcaps_ok_ = false;
    }
  }

  TempDir dir_;
  bool fcaps_ok_ = true;
};

TEST_F(PrivilegedBinaries, SetuidRootGivesNothing) {
  for (const char* bind : {"--ro-bind", "--bind"}) {
    for (const auto& ids : std::vector<std::vector<std::string>>{{}, {"--uid", "1000", "--gid", "1000"}}) {
      std::vector<std::string> flags{bind, dir_.path() + ":/x"};
      flags.insert(flags.end(), ids.begin(), ids.end());
      const std::string caps = ask(flags, {"exec", "/x/suid-root", "caps"});
      const std::string uid = ids.empty() ? "0" : "1000";
      EXPECT_EQ(field(caps, "euid"), uid) << bind << ": " << caps;
      EXPECT_EQ(field(caps, "uid"), uid) << bind << ": " << caps;
      expect_sets(caps, 0, bind);
    }
  }
}

TEST_F(PrivilegedBinaries, SetuidOfAnotherUserGivesNothing) {
  const std::string caps = ask({"--ro-bind", dir_.path() + ":/x"}, {"exec", "/x/suid-nobody", "caps"});
  EXPECT_EQ(field(caps, "euid"), "0") << caps;
  EXPECT_EQ(field(caps, "egid"), "0") << caps;
  expect_sets(caps, 0, "suid-nobody");
}

TEST_F(PrivilegedBinaries, FileCapabilitiesGiveNothing) {
  if (!fcaps_ok_) {
    GTEST_SKIP() << "cannot set security.capability on " << dir_.path() << " (file system without xattrs?)";
  }
  for (const char* bind : {"--ro-bind", "--bind"}) {
    const std::string caps = ask({bind, dir_.path() + ":/x"}, {"exec", "/x/fcaps", "caps"});
    expect_sets(caps, 0, bind);
  }
  // And with capabilities the policy allows: still only those.
  const std::string caps =
      ask({"--ro-bind", dir_.path() + ":/x", "--cap-add", "NET_ADMIN"}, {"exec", "/x/fcaps", "caps"});
  expect_sets(caps, bit(CAP_NET_ADMIN), "fcaps with NET_ADMIN");
}

TEST_F(PrivilegedBinaries, SetuidMadeInsideGivesNothing) {
  // The workload makes its own setuid copy in /tmp (owned by its uid, i.e. by
  // uid 0 of its namespace) and runs it as another uid.
  const Finished f = attack_script({"--uid", "1000", "--gid", "1000"},
                                   "cp /attacker /tmp/a && chmod 4755 /tmp/a && /tmp/a caps");
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  expect_sets(answer(f), 0, "made inside");
  EXPECT_EQ(field(answer(f), "euid"), "1000") << f.out;
}

}  // namespace
}  // namespace strata::test
