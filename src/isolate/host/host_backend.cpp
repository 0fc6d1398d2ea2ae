#include "isolate/host/host_backend.hpp"

#include <unistd.h>

#include <chrono>

#include "base/fds.hpp"
#include "isolate/clone.hpp"
#include "isolate/exec.hpp"

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
  const auto started = std::chrono::steady_clock::now();
  auto channels = SyncChannel::make_pair();
  if (!channels) {
    return std::unexpected(channels.error());
  }
  auto& [parent_end, child_end] = *channels;
  auto signals = ForwardedSignals::block();
  if (!signals) {
    return std::unexpected(signals.error());
  }
  const ExecArgs args(plan.process);
  auto child = clone_into({});
  if (!child) {
    return std::unexpected(child.error());
  }
  if (child->pid == 0) {
    parent_end.close();
    run_child(plan.process, args, child_end);
  }
  child_end.close();
  return supervise(std::move(*child), parent_end, *signals,
                   {.skip_terminal_signals = true, .started = started});
}

}  // namespace strata
