// Starting the VM's helper processes (QEMU, virtiofsd): each gets exactly
// the fds it is given, at the numbers its command line names, dies with
// strata (PR_SET_PDEATHSIG), and reports a failure before exec back as an
// Error instead of a silent exit.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "base/error.hpp"
#include "base/unique_fd.hpp"

namespace strata::vm {

struct Process {
  pid_t pid = -1;
  UniqueFd pidfd;  // readable once the process has exited
};

struct SpawnOptions {
  std::vector<std::pair<int, int>> fds;  // {number in the child, fd in strata}
  int stdout_fd = -1;                    // -1: /dev/null
  int stderr_fd = -1;                    // -1: /dev/null
  // Runs in the child just before exec (e.g. virtiofsd's mounts); its
  // failure is the spawn's failure.
  std::function<Result<>()> before_exec;
};

Result<Process> spawn(const std::vector<std::string>& argv, const SpawnOptions& options);

// SIGKILL and reap; a process already gone is fine.
void kill_and_reap(Process& process);

// Reaps a process that has exited (its pidfd is readable): its wait status.
int reap(Process& process);

}  // namespace strata::vm
