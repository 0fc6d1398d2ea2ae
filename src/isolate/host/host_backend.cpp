#include "isolate/host/host_backend.hpp"

#include <sys/prctl.h>
#include <unistd.h>

#include "base/fds.hpp"
#include "base/log.hpp"
#include "isolate/clone.hpp"
#include "isolate/exec.hpp"
#include "isolate/resources.hpp"
#include "isolate/sandbox/seccomp.hpp"

namespace strata {

namespace {

[[noreturn]] void run_child(const ProcessPlan& process, const ExecArgs& args, const SeccompProgram* seccomp,
                            SyncChannel& channel) {
  if (::chdir(process.cwd.c_str()) != 0 && process.cwd_required) {
    channel.setup_failed(Error{.step = "enter working directory", .path = process.cwd, .err = errno});
    ::_exit(kExitFailure);
  }
  std::vector<int> keep = process.pass_fds;
  keep.push_back(channel.fd());
  if (!close_fds_except(keep)) {
    channel.setup_failed(Error{.step = "close inherited file descriptors", .err = errno});
    ::_exit(kExitFailure);
  }
  for (int fd : process.pass_fds) {
    keep_across_exec(fd);
  }
  // Only a program strata compiled (strata trace's filter): the host
  // isolation layer has no seccomp policy of its own. Without privileges
  // the kernel takes a filter only under no_new_privs.
  if (seccomp != nullptr) {
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
      channel.setup_failed(Error{.step = "set no_new_privs", .err = errno});
      ::_exit(kExitFailure);
    }
    if (const int err = install_seccomp(*seccomp); err != 0) {
      channel.setup_failed(Error{.step = "install the seccomp filter", .err = err});
      ::_exit(kExitFailure);
    }
  }
  exec_workload(args, channel);
}

}  // namespace

Result<Outcome> HostBackend::run(const Plan& plan) {
  const ExecArgs args(plan.process);  // allocated before the clone
  const SeccompProgram* seccomp =
      plan.seccomp.kind == SeccompChoice::Kind::program ? plan.seccomp.program.get() : nullptr;
  auto resources = ResourceScope::prepare(plan);
  if (!resources) {
    return std::unexpected(resources.error());
  }
  auto launched = launch({});
  if (!launched) {
    return std::unexpected(launched.error());
  }
  if (launched->in_child()) {
    run_child(plan.process, args, seccomp, launched->child_end);
  }
  // The child may already run; what it starts before this line escapes the
  // cgroup. Host isolation promises no more than that.
  if (auto ok = resources->adopt(launched->child.pid); !ok) {
    log::warn("{}", ok.error().message());
  }
  auto kill_all = resources->killer(launched->child);  // before the child is moved
  auto outcome = supervise(std::move(launched->child), launched->parent_end, launched->signals,
                           {.timeout = plan.resources.timeout,
                            .kill_after = plan.resources.kill_after,
                            .stop_signal = plan.resources.stop_signal.value_or(SIGTERM),
                            .kill_all = std::move(kill_all),
                            .skip_terminal_signals = true,
                            .started = launched->started});
  if (outcome) {
    resources->finish(*outcome);
  }
  return outcome;
}

}  // namespace strata
