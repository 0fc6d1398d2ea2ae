// The process sandbox, parent side: the setup order in one place.
#include "isolate/sandbox/sandbox_backend.hpp"

#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "isolate/backend.hpp"
#include "isolate/clone.hpp"
#include "isolate/sandbox/init.hpp"
#include "isolate/sandbox/landlock.hpp"
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
  const ExecArgs args(plan.process);  // allocated before the clone
  ChildPrep prep;
  if (auto abi = check_landlock(plan); abi) {
    prep.landlock_abi = *abi;
  } else {
    return std::unexpected(abi.error());
  }
  auto launched = launch(plan.namespaces);
  if (!launched) {
    return std::unexpected(launched.error());
  }
  if (launched->in_child()) {
    run_sandbox_child(plan, args, prep, launched->child_end);
  }
  if (auto ok = write_id_maps(launched->child.pid, plan); !ok) {
    abandon(launched->child);
    return std::unexpected(ok.error());
  }
  if (auto ok = launched->parent_end.ids_mapped(); !ok) {
    abandon(launched->child);
    return std::unexpected(ok.error());
  }
  return supervise(std::move(launched->child), launched->parent_end, launched->signals,
                   {.timeout = plan.resources.timeout,
                    .kill_after = plan.resources.kill_after,
                    .started = launched->started});
}

}  // namespace strata
