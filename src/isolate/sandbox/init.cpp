#include "isolate/sandbox/init.hpp"

#include <fmt/format.h>
#include <linux/limits.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "base/fds.hpp"
#include "isolate/pty.hpp"
#include "isolate/sandbox/credentials.hpp"
#include "isolate/sandbox/landlock.hpp"
#include "isolate/sandbox/mounts.hpp"
#include "isolate/sandbox/net.hpp"
#include "isolate/supervise.hpp"

namespace strata {

namespace {

[[noreturn]] void setup_failed(SyncChannel& channel, const Error& error) {
  channel.setup_failed(error);
  ::_exit(kExitFailure);
}

std::vector<int> fds_to_keep(const Plan& plan, const SyncChannel& channel) {
  std::vector<int> keep = plan.process.pass_fds;
  keep.push_back(channel.fd());
  return keep;
}

Result<> setup_namespaces(const Plan& plan) {
  if (auto ok = enter_new_root(plan); !ok) {
    return ok;
  }
  if (plan.hostname && ::sethostname(plan.hostname->data(), plan.hostname->size()) != 0) {
    return fail_errno("set hostname", *plan.hostname);
  }
  if (plan.loopback_up) {
    return bring_up_loopback();
  }
  return {};
}

// Without --workdir, the caller's directory is used when the sandbox has it.
Result<> enter_workdir(const ProcessPlan& process) {
  if (::chdir(process.cwd.c_str()) != 0) {
    if (process.cwd_required) {
      return fail_errno("enter working directory", process.cwd);
    }
    if (::chdir("/") != 0) {
      return fail_errno("enter working directory", "/");
    }
  }
  // A working directory outside the root (a leaked host fd's /proc path,
  // CVE-2024-21626) makes getcwd fail or answer "(unreachable)".
  char cwd[PATH_MAX];
  if (::getcwd(cwd, sizeof cwd) == nullptr || cwd[0] != '/') {
    return fail("check working directory", process.cwd, "is not inside the sandbox's root");
  }
  return {};
}

Result<> prepare_workload(const Plan& plan, const ChildPrep& prep, SyncChannel& channel, pid_t init) {
  if (::setsid() < 0) {
    return fail_errno("start a new session");
  }
  if (plan.process.pty) {
    auto master = open_pty_inside(plan.process.pty_fds);
    if (!master) {
      return std::unexpected(master.error());
    }
    channel.pty_master(master->get());
  }
  if (auto ok = apply_rlimits(plan.process); !ok) {
    return ok;
  }
  if (auto ok = drop_privileges(plan); !ok) {
    return ok;
  }
  // The credential change above cleared it. Without a pid namespace of its
  // own (--share pid), init's death would not take the workload along.
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != init) {
    return fail("watch the sandbox's init", "", "init is gone");
  }
  if (auto ok = enter_workdir(plan.process); !ok) {
    return ok;
  }
  if (auto ok = apply_landlock(plan, prep.landlock_abi); !ok) {
    return ok;
  }
  if (!close_fds_except(fds_to_keep(plan, channel))) {
    return fail_errno("close inherited file descriptors");
  }
  for (int fd : plan.process.pass_fds) {
    if (!keep_across_exec(fd)) {
      return fail_errno("pass file descriptor", std::to_string(fd));
    }
  }
  // Last: from here on only what the filter allows, and exec needs little.
  if (prep.seccomp != nullptr) {
    if (const int err = install_seccomp(*prep.seccomp); err != 0) {
      return fail_errno("install the seccomp filter", "", err);
    }
  }
  return {};
}

[[noreturn]] void run_workload(const Plan& plan, const ExecArgs& args, const ChildPrep& prep,
                               SyncChannel& channel, pid_t init) {
  if (auto ok = prepare_workload(plan, prep, channel, init); !ok) {
    setup_failed(channel, ok.error());
  }
  exec_workload(args, channel);
}

// Without a pid namespace of its own (--share pid), nothing kills what the
// workload left behind when init exits. init is then a child subreaper, so
// every orphan is its child, and it kills them all before it goes.
void kill_remaining_children() {
  for (;;) {
    int killed = 0;
    const std::string path = fmt::format("/proc/self/task/{}/children", ::gettid());
    if (FILE* children = std::fopen(path.c_str(), "re"); children != nullptr) {
      for (int pid = 0; std::fscanf(children, "%d", &pid) == 1; ++killed) {
        ::kill(pid, SIGKILL);
      }
      (void)std::fclose(children);
    }
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    if (killed == 0) {
      return;
    }
  }
}

// pid 1: waits for signals only. SIGCHLD means someone to reap; the others
// are passed on to the workload. Ends when the workload ends, which takes the
// whole pid namespace down with it.
[[noreturn]] void run_init(pid_t workload, SyncChannel& channel, bool own_pid_namespace,
                           const sigset_t& extra) {
  sigset_t waited = ForwardedSignals::forwarded();
  ::sigorset(&waited, &waited, &extra);
  ::sigaddset(&waited, SIGCHLD);
  for (;;) {
    siginfo_t info{};
    if (::sigwaitinfo(&waited, &info) < 0) {
      continue;
    }
    if (info.si_signo != SIGCHLD) {
      ::kill(workload, info.si_signo);
      continue;
    }
    int status = 0;
    for (pid_t pid; (pid = ::waitpid(-1, &status, WNOHANG)) > 0;) {
      if (pid != workload) {
        continue;
      }
      const int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
      const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + sig;
      if (!own_pid_namespace) {
        kill_remaining_children();
      }
      channel.workload_exited(WIFEXITED(status) ? code : -1, sig);
      ::_exit(code);
    }
  }
}

}  // namespace

void run_sandbox_child(const Plan& plan, const ExecArgs& args, const ChildPrep& prep, SyncChannel& channel) {
  // Die with strata. PDEATHSIG only covers a parent that dies after it is
  // armed, so strata waits for child_ready before going on; a strata that
  // died earlier makes the send fail (EPIPE) and the child exit.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (!channel.child_ready() || !channel.wait_for_id_maps()) {
    ::_exit(kExitFailure);
  }
  // The parent has put this process in its cgroup by now: make that the
  // root of what the sandbox sees in /proc/self/cgroup.
  if (plan.unshares(Namespace::cgroup) && ::unshare(CLONE_NEWCGROUP) != 0) {
    setup_failed(channel, Error{.step = "enter a new cgroup namespace", .err = errno});
  }
  // Only now: a non-dumpable child's /proc files belong to the host's root,
  // so the parent could not have written its id maps. From here on the
  // workload cannot ptrace this process or open its /proc/1 files.
  ::prctl(PR_SET_DUMPABLE, 0);
  if (!close_fds_except(fds_to_keep(plan, channel))) {
    setup_failed(channel, Error{.step = "close inherited file descriptors", .err = errno});
  }
  if (auto ok = setup_namespaces(plan); !ok) {
    setup_failed(channel, ok.error());
  }
  if (::setsid() < 0) {
    setup_failed(channel, Error{.step = "start a new session", .err = errno});
  }
  // SIGCHLD, and a --timeout's first signal when it is not one strata
  // forwards anyway (an image's StopSignal such as SIGWINCH), are waited for.
  sigset_t chld;
  ::sigemptyset(&chld);
  ::sigaddset(&chld, SIGCHLD);
  sigset_t extra;
  ::sigemptyset(&extra);
  if (const auto stop = plan.resources.stop_signal; stop && *stop != SIGKILL && *stop != SIGSTOP) {
    ::sigaddset(&extra, *stop);
  }
  ::sigorset(&chld, &chld, &extra);
  ::sigprocmask(SIG_BLOCK, &chld, nullptr);
  const bool own_pid_namespace = plan.unshares(Namespace::pid);
  if (!own_pid_namespace) {
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  }
  const pid_t init = ::getpid();
  const pid_t workload = ::fork();
  if (workload < 0) {
    setup_failed(channel, Error{.step = "fork the workload", .err = errno});
  }
  if (workload == 0) {
    run_workload(plan, args, prep, channel, init);
  }
  run_init(workload, channel, own_pid_namespace, extra);
}

}  // namespace strata
