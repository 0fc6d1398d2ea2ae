#include "isolate/host/host_backend.hpp"

#include <unistd.h>

#include "base/fds.hpp"
#include "base/log.hpp"
#include "isolate/clone.hpp"
#include "isolate/exec.hpp"
#include "isolate/resources.hpp"

namespace strata {

namespace {

[[noreturn]] void run_child(const ProcessPlan& process, const ExecArgs& args, SyncChannel& channel) {
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
  exec_workload(args, channel);
}

}  // namespace

Result<Outcome> HostBackend::run(const Plan& plan) {
  const ExecArgs args(plan.process);  // allocated before the clone
  auto resources = ResourceScope::prepare(plan);
  if (!resources) {
    return std::unexpected(resources.error());
  }
  auto launched = launch({});
  if (!launched) {
    return std::unexpected(launched.error());
  }
  if (launched->in_child()) {
    run_child(plan.process, args, launched->child_end);
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
