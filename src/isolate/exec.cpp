#include "isolate/exec.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX global

namespace strata {

ExecArgs::ExecArgs(const ProcessPlan& process) {
  for (const auto& arg : process.argv) {
    argv.push_back(const_cast<char*>(arg.c_str()));  // NOLINT: execve's signature
  }
  argv.push_back(nullptr);
  for (const auto& var : process.env) {
    envp.push_back(const_cast<char*>(var.c_str()));  // NOLINT: execve's signature
  }
  envp.push_back(nullptr);
}

int exec_failure_code(int err) {
  return err == ENOENT || err == ENOTDIR ? kExitNotFound : kExitCannotExecute;
}

void exec_workload(const ExecArgs& args, SyncChannel& channel) {
  // Ignored signals stay ignored across execve; the workload starts clean.
  for (int sig = 1; sig < NSIG; ++sig) {
    (void)::signal(sig, SIG_DFL);  // fails only for SIGKILL/SIGSTOP
  }
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  // execvp searches the PATH of `environ`, which must be the workload's.
  environ = const_cast<char**>(args.envp.data());  // NOLINT: POSIX global
  ::execvp(args.argv[0], args.argv.data());
  const int err = errno;
  channel.exec_failed(err, args.argv[0]);
  ::_exit(exec_failure_code(err));
}

}  // namespace strata
