// The process sandbox, parent side: the setup order in one place.
#include "isolate/sandbox/sandbox_backend.hpp"

#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <sstream>

#include "base/log.hpp"
#include "isolate/backend.hpp"
#include "isolate/clone.hpp"
#include "isolate/resources.hpp"
#include "isolate/sandbox/init.hpp"
#include "isolate/sandbox/landlock.hpp"
#include "isolate/sandbox/userns.hpp"

namespace strata {

namespace {

// The filter is compiled here, in the parent, so the child only installs it.
Result<std::optional<SeccompProgram>> compile_seccomp(const SeccompChoice& choice) {
  switch (choice.kind) {
    case SeccompChoice::Kind::unconfined:
      log::warn("--seccomp unconfined: the workload may make any system call");
      return std::nullopt;
    case SeccompChoice::Kind::builtin:
      if (const SeccompProgram* built = builtin_seccomp_program(); built != nullptr) {
        return *built;
      }
      return compile_default_seccomp();
    case SeccompChoice::Kind::program:
      if (!choice.program) {
        return fail("install the seccomp filter", choice.program_name, "no program was compiled");
      }
      return *choice.program;
    case SeccompChoice::Kind::file:
      break;
  }
  std::ifstream in(choice.path);
  if (!in) {
    return fail_errno("read --seccomp profile", choice.path);
  }
  std::stringstream text;
  text << in.rdbuf();
  return compile_seccomp_profile(text.str(), choice.path);
}

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
  if (!plan.unshares(Namespace::pid) && prep.landlock_abi < 6) {
    // Signals are checked against uids, not namespaces: root inside is the
    // caller outside. Only Landlock's signal scope (ABI 6) fences them in.
    log::warn("--share pid: the workload sees the host's processes and can signal those of uid {}",
              plan.uid_map.outside);
  }
  auto seccomp = compile_seccomp(plan.seccomp);
  if (!seccomp) {
    return std::unexpected(seccomp.error());
  }
  prep.seccomp = *seccomp ? &**seccomp : nullptr;
  auto resources = ResourceScope::prepare(plan);
  if (!resources) {
    return std::unexpected(resources.error());
  }
  // The cgroup namespace is entered by the child once it sits in its run's
  // cgroup (see run_sandbox_child), so that cgroup is the namespace's root.
  std::vector<Namespace> at_clone = plan.namespaces;
  std::erase(at_clone, Namespace::cgroup);
  auto launched = launch(at_clone);
  if (!launched) {
    return std::unexpected(launched.error());
  }
  if (launched->in_child()) {
    run_sandbox_child(plan, args, prep, launched->child_end);
  }
  // The child waits for its id maps before it does anything, so it is in
  // its cgroup before any process of the workload exists.
  if (auto ok = launched->parent_end.wait_for_child(); !ok) {
    abandon(launched->child);
    return std::unexpected(ok.error());
  }
  if (auto ok = resources->adopt(launched->child.pid); !ok) {
    abandon(launched->child);
    return std::unexpected(ok.error());
  }
  if (auto ok = write_id_maps(launched->child.pid, plan); !ok) {
    abandon(launched->child);
    return std::unexpected(ok.error());
  }
  if (auto ok = launched->parent_end.ids_mapped(); !ok) {
    abandon(launched->child);
    return std::unexpected(ok.error());
  }
  auto kill_all = resources->killer(launched->child);  // before the child is moved
  auto outcome = supervise(std::move(launched->child), launched->parent_end, launched->signals,
                           {.timeout = plan.resources.timeout,
                            .kill_after = plan.resources.kill_after,
                            .stop_signal = plan.resources.stop_signal.value_or(SIGTERM),
                            .kill_all = std::move(kill_all),
                            .started = launched->started});
  if (outcome) {
    resources->finish(*outcome);
  }
  return outcome;
}

}  // namespace strata
