// The ptrace side of strata trace. The traced child waits until it is
// seized (PTRACE_SEIZE with EXITKILL, so nothing outlives the tracer),
// then runs the ordinary run path; every process and thread it starts is
// attached automatically (fork, vfork, clone events). Only the workload
// carries the tracing filter, so only its calls stop (PTRACE_EVENT_SECCOMP);
// the tracer reads each call with PTRACE_GET_SYSCALL_INFO and resumes with
// PTRACE_SYSCALL to see its result at the exit stop.
#pragma once

#include <functional>

#include "base/error.hpp"
#include "trace/record.hpp"

namespace strata::trace {

struct TracedRun {
  int exit_code = 0;  // what `body` returned (128+N if the child died of signal N)
  TraceLog log;
};

// Forks; the child runs `body` once seized and exits with its result. Ends
// when that child exits. SIGINT, SIGTERM, SIGHUP and SIGQUIT sent to this
// process (not by the terminal, which signals the child itself) are
// forwarded to the child. Fails, with the child killed, when ptrace is not
// permitted or the kernel lacks PTRACE_GET_SYSCALL_INFO (Linux 5.3).
[[nodiscard]] Result<TracedRun> run_traced(const std::function<int()>& body);

}  // namespace strata::trace
