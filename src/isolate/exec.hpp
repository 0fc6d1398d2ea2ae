// The last step of every backend: turn the workload process into the command.
#pragma once

#include <vector>

#include "isolate/plan.hpp"
#include "isolate/sandbox/sync.hpp"

namespace strata {

// argv and envp as the NULL-terminated arrays execve wants, built before the
// fork so the child does not allocate.
struct ExecArgs {
  explicit ExecArgs(const ProcessPlan& process);
  std::vector<char*> argv;
  std::vector<char*> envp;
};

// Exit code for a failed exec: 127 when the command does not exist, else 126.
int exec_failure_code(int err);

// Resets signal dispositions and the mask, then execs argv[0], searched in the
// workload's own PATH. Only returns by exiting: on failure it reports over the
// channel and exits with exec_failure_code().
[[noreturn]] void exec_workload(const ExecArgs& args, SyncChannel& channel);

}  // namespace strata
