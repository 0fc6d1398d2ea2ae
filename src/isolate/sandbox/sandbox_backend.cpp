// The process sandbox, parent side: the setup order in one place.
#include "isolate/sandbox/sandbox_backend.hpp"

#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include "isolate/backend.hpp"
#include "isolate/clone.hpp"
#include "isolate/sandbox/init.hpp"
#include "isolate/sandbox/userns.hpp"

namespace strata {

namespace {

// Kills and reaps a child that will not be supervised, so no process is left.
void abandon(const Child& child) {
  ::syscall(SYS_pidfd_send_signal, child.pidfd.get(), SIGKILL, nullptr, 0);
  while (::waitpid(child.pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace

Result<Outcome> SandboxBackend::run(const Plan& plan) {
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
  const ExecArgs args(plan.process);  // allocated before the clone

  auto child = clone_into(plan.namespaces);
  if (!child) {
    return std::unexpected(child.error());
  }
  if (child->pid == 0) {
    parent_end.close();
    run_sandbox_child(plan, args, child_end);
  }
  child_end.close();
  if (auto ok = write_id_maps(child->pid, plan); !ok) {
    abandon(*child);
    return std::unexpected(ok.error());
  }
  if (auto ok = parent_end.ids_mapped(); !ok) {
    abandon(*child);
    return std::unexpected(ok.error());
  }
  return supervise(std::move(*child), parent_end, *signals, {.started = started});
}

}  // namespace strata
