// SECURITY.md items 15 and 16: the workload cannot push input into the
// caller's terminal (TIOCSTI, CVE-2017-5226; TIOCLINUX), not even with the
// high bits of the ioctl request set (flatpak CVE-2019-10063: the kernel
// reads the request as 32 bits, a filter comparing 64 misses it).
//
// Each case runs strata under script(1), so the caller has a real terminal,
// then reads that terminal for a moment: anything injected arrives there.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include "security.hpp"

namespace strata::test {
namespace {

struct TtyRun {
  std::string result;     // the attacker's line
  std::string host_read;  // what the caller's shell read from its terminal afterwards
  std::string raw;
};

std::string quoted(const std::string& word) {
  return "'" + word + "'";
}

class CallersTerminal : public testing::Test {
 protected:
  void SetUp() override {
    if (!path_exists("/usr/bin/script") || !path_exists("/bin/bash")) {
      GTEST_SKIP() << "script(1) or bash is missing: no terminal to attack";
    }
    if (!path_exists("/dev/ptmx")) {
      GTEST_SKIP() << "no /dev/ptmx on this machine";
    }
    marker_ = "INJECTED" + unique_token().substr(0, 8);
  }

  // Runs strata FLAGS -- /attacker ARGS... inside script(1); TEXT in ARGS is
  // replaced by the marker followed by a newline.
  TtyRun run_in_terminal(const std::vector<std::string>& flags, const std::vector<std::string>& args) {
    std::string command = quoted(strata_bin()) + " run --ro-bind " + quoted(attacker_bin() + ":/attacker");
    for (const auto& flag : flags) {
      command += " " + quoted(flag);
    }
    command += " -- /attacker";
    for (const auto& arg : args) {
      command += " " + (arg == "TEXT" ? "$'" + marker_ + "\\n'" : quoted(arg));
    }
    write_file(dir_ / "t.sh", command +
                                  "\necho \"rc=$?\"\n"
                                  "if read -r -t 0.5 line; then echo \"host-read=[$line]\"; "
                                  "else echo host-read=none; fi\n");
    const Finished f = in_script(dir_ / "t.sh");
    TtyRun out;
    out.raw = describe(f);
    for (auto line : lines(f.out)) {
      if (!line.empty() && line.back() == '\r') {
        line.pop_back();
      }
      // The pty may put a NUL or an echo before the attacker's answer.
      for (const char* start : {"errno ", "killed ", "ok"}) {
        if (const auto at = line.find(start);
            at != std::string::npos && at > 0 && line.find("host-read=") != 0) {
          line = line.substr(at);
          break;
        }
      }
      if (line.starts_with("ok") || line.starts_with("errno ") || line.starts_with("killed ")) {
        out.result = line;
      } else if (line.starts_with("host-read=")) {
        out.host_read = line.substr(std::string("host-read=").size());
      }
    }
    return out;
  }

  // Runs `bash SCRIPT` under script(1). script's stdin stays open until the
  // script has printed its host-read line: at EOF script(1) sends the
  // terminal an end-of-file that would end the shell's read early and hide
  // an injection.
  static Finished in_script(const std::string& path) {
    Process p = Process::start({"/usr/bin/script", "-qec", "/bin/bash " + path, "/dev/null"});
    std::string seen;
    while (auto line = p.read_line(std::chrono::seconds(20))) {
      seen += *line + "\n";
      if (line->find("host-read=") != std::string::npos) {
        break;
      }
    }
    Finished f = p.wait();
    f.out = seen + f.out;
    return f;
  }

  void expect_nothing_arrived(const TtyRun& r) const {
    EXPECT_EQ(r.host_read, "none") << r.raw;
    EXPECT_EQ(r.raw.find("host-read=[" + marker_), std::string::npos) << r.raw;
  }

  TempDir dir_;
  std::string marker_;
};

TEST_F(CallersTerminal, ControlInjectionIntoOurOwnTerminalArrives) {
  // Without strata, the same helper on its own controlling terminal does
  // inject (legacy TIOCSTI on): the harness can see an injection.
  write_file(dir_ / "t.sh", quoted(attacker_bin()) + " tiocsti 0 $'" + marker_ +
                                "\\n'\nif read -r -t 0.5 line; then echo \"host-read=[$line]\"; "
                                "else echo host-read=none; fi\n");
  const Finished f = in_script(dir_ / "t.sh");
  if (f.out.find("errno EPERM") != std::string::npos || f.out.find("errno EIO") != std::string::npos) {
    GTEST_SKIP() << "this kernel refuses TIOCSTI to everyone (dev.tty.legacy_tiocsti=0): " << describe(f);
  }
  EXPECT_NE(f.out.find("host-read=[" + marker_ + "]"), std::string::npos) << describe(f);
}

TEST_F(CallersTerminal, TiocstiWithoutPtyIsRefused) {
  // --no-pty: the workload's stdin IS the caller's terminal. It runs in a
  // session of its own, so the terminal is not its controlling one.
  for (const auto& flags :
       std::vector<std::vector<std::string>>{{"--no-pty"}, {"--no-pty", "--seccomp", "unconfined"}}) {
    const TtyRun r = run_in_terminal(flags, {"tiocsti", "0", "TEXT"});
    EXPECT_EQ(r.result, "errno EPERM") << testing::PrintToString(flags) << r.raw;
    expect_nothing_arrived(r);
  }
}

TEST_F(CallersTerminal, TiocstiWithHighBitsWithoutPtyIsRefused) {
  for (const auto& flags :
       std::vector<std::vector<std::string>>{{"--no-pty"}, {"--no-pty", "--seccomp", "unconfined"}}) {
    const TtyRun r = run_in_terminal(flags, {"tiocsti-high", "0", "TEXT"});
    EXPECT_EQ(r.result, "errno EPERM") << testing::PrintToString(flags) << r.raw;
    expect_nothing_arrived(r);
  }
}

TEST_F(CallersTerminal, CannotMakeTheCallersTerminalItsOwn) {
  // TIOCSCTTY would make the terminal the workload's controlling one (then
  // TIOCSTI is allowed); stealing it needs CAP_SYS_ADMIN over the host.
  for (const char* steal : {"0", "1"}) {
    const TtyRun r = run_in_terminal(
        {"--no-pty", "--seccomp", "unconfined", "--cap-add", "ALL", "--cap-drop", "SYS_ADMIN"},
        {"tiocsctty", "0", steal});
    EXPECT_EQ(r.result, "errno EPERM") << "steal=" << steal << r.raw;
  }
}

TEST_F(CallersTerminal, DevTtyIsNotTheCallersTerminal) {
  const TtyRun r = run_in_terminal({"--no-pty"}, {"tiocsti", "tty", "TEXT"});
  EXPECT_TRUE(r.result.starts_with("errno ")) << r.raw;
  expect_nothing_arrived(r);
}

TEST_F(CallersTerminal, TiocstiIsFilteredInPtyMode) {
  // With a pty of its own the workload can only reach that pty; the filter
  // refuses TIOCSTI there too, in both request forms.
  for (const char* attack : {"tiocsti", "tiocsti-high"}) {
    const TtyRun r = run_in_terminal({}, {attack, "0", "TEXT"});
    EXPECT_EQ(r.result, "errno EPERM") << attack << r.raw;
    expect_nothing_arrived(r);
  }
}

TEST_F(CallersTerminal, PtyModeKeepsInjectionInsideWithoutTheFilter) {
  const TtyRun r = run_in_terminal({"--seccomp", "unconfined"}, {"tiocsti", "0", "TEXT"});
  EXPECT_FALSE(r.result.empty()) << r.raw;
  expect_nothing_arrived(r);
}

TEST_F(CallersTerminal, TioclinuxIsFiltered) {
  for (const auto& flags : std::vector<std::vector<std::string>>{{}, {"--no-pty"}}) {
    const TtyRun r = run_in_terminal(flags, {"tioclinux", "0"});
    EXPECT_EQ(r.result, "errno EPERM") << testing::PrintToString(flags) << r.raw;
  }
}

}  // namespace
}  // namespace strata::test
