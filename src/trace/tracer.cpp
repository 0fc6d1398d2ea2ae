#include "trace/tracer.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <optional>
#include <string>
#include <unordered_map>

#include "base/unique_fd.hpp"
#include "trace/decode.hpp"
#include "trace/syscalls.hpp"

namespace strata::trace {

namespace {

constexpr auto kForwarded = std::to_array({SIGINT, SIGTERM, SIGHUP, SIGQUIT});
volatile sig_atomic_t g_child = 0;  // NOLINT: read by the signal handler

// A signal from the terminal (SI_KERNEL) already reached the child, which is
// in the same process group; one sent to strata by pid is passed on.
void forward_signal(int sig, siginfo_t* info, void* /*context*/) {
  if (info->si_code != SI_KERNEL && g_child > 0) {
    ::kill(g_child, sig);
  }
}

class ForwardScope {
 public:
  explicit ForwardScope(pid_t child) {
    g_child = child;
    struct sigaction action = {};
    action.sa_sigaction = forward_signal;
    action.sa_flags = SA_SIGINFO | SA_RESTART;
    ::sigemptyset(&action.sa_mask);
    for (std::size_t i = 0; i < kForwarded.size(); ++i) {
      ::sigaction(kForwarded.at(i), &action, &previous_.at(i));
    }
  }
  ~ForwardScope() {
    for (std::size_t i = 0; i < kForwarded.size(); ++i) {
      ::sigaction(kForwarded.at(i), &previous_.at(i), nullptr);
    }
    g_child = 0;
  }
  ForwardScope(const ForwardScope&) = delete;
  ForwardScope& operator=(const ForwardScope&) = delete;

 private:
  std::array<struct sigaction, kForwarded.size()> previous_{};
};

constexpr long kOptions = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACESECCOMP | PTRACE_O_TRACECLONE |
                          PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL;

// Calls that never come back to an exit stop (or come back into another context).
bool returns(const std::string& name) {
  return name != "exit" && name != "exit_group" && name != "rt_sigreturn" && name != "sigreturn";
}

bool is_stop_signal(int sig) {
  return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

// A clone that made a thread rather than a process: its Tgid is another task's.
bool is_thread(pid_t tid) {
  std::ifstream status("/proc/" + std::to_string(tid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("Tgid:")) {
      return std::stol(line.substr(5)) != tid;
    }
  }
  return false;
}

struct Tracee {
  std::optional<Pending> pending;  // waiting for the call's exit stop
  // An execve without an exit stop: PTRACE_EVENT_EXEC says it worked; the
  // task's next stop or its end without one, that it failed.
  std::optional<Pending> exec;
  bool workload = false;  // carries the tracing filter
};

// The errno of an execve that did not exec, which no exit stop reported:
// ENOENT when the file is not there in the task's root (a PATH search), else
// EACCES (it exists but could not be run).
int failed_exec_errno(pid_t tid, const std::string& path) {
  if (path.empty()) {
    return ENOENT;
  }
  const std::string in_root = "/proc/" + std::to_string(tid) + "/root" + path;
  const bool root_readable = ::access(("/proc/" + std::to_string(tid) + "/root/").c_str(), F_OK) == 0;
  return ::access(root_readable ? in_root.c_str() : path.c_str(), F_OK) == 0 ? EACCES : ENOENT;
}

class Tracer {
 public:
  explicit Tracer(pid_t child) : child_(child) {}
  Result<int> loop();
  TraceLog& log() { return log_; }

 private:
  Result<> on_stop(pid_t tid, int status);
  Result<> on_seccomp(pid_t tid);
  void on_exit_stop(pid_t tid);
  void on_new_task(pid_t tid, int event);
  void on_exec(pid_t tid);
  void resume(pid_t tid, int sig);
  void exec_failed(pid_t tid, Tracee& tracee);

  pid_t child_;
  TraceLog log_;
  std::unordered_map<pid_t, Tracee> tracees_;
};

void Tracer::resume(pid_t tid, int sig) {
  const auto it = tracees_.find(tid);
  const bool wait_exit = it != tracees_.end() && it->second.pending;
  ::ptrace(wait_exit ? PTRACE_SYSCALL : PTRACE_CONT, tid, nullptr,
           static_cast<long>(sig));  // ESRCH: it died meanwhile
}

Result<int> Tracer::loop() {
  for (;;) {
    int status = 0;
    const pid_t tid = ::waitpid(-1, &status, __WALL);
    if (tid < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fail_errno("wait for the traced processes");
    }
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
      if (auto it = tracees_.find(tid); it != tracees_.end()) {
        exec_failed(tid, it->second);
      }
      tracees_.erase(tid);
      if (tid == child_) {
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      continue;
    }
    if (WIFSTOPPED(status)) {
      if (auto ok = on_stop(tid, status); !ok) {
        return std::unexpected(ok.error());
      }
    }
  }
}

Result<> Tracer::on_stop(pid_t tid, int status) {
  const int sig = WSTOPSIG(status);
  const int event = status >> 16;  // NOLINT(hicpp-signed-bitwise): the ptrace ABI
  if (sig == (SIGTRAP | 0x80)) {
    on_exit_stop(tid);
    resume(tid, 0);
  } else if (event == PTRACE_EVENT_SECCOMP) {
    return on_seccomp(tid);
  } else if (event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK || event == PTRACE_EVENT_CLONE) {
    on_new_task(tid, event);
    resume(tid, 0);
  } else if (event == PTRACE_EVENT_EXEC) {
    on_exec(tid);
    resume(tid, 0);
  } else if (event == PTRACE_EVENT_STOP) {
    // A group-stop (SIGSTOP and friends) stays a stop until SIGCONT, without
    // a resume; anything else here is a new task's first stop.
    if (is_stop_signal(sig)) {
      ::ptrace(PTRACE_LISTEN, tid, nullptr, 0);
    } else {
      resume(tid, 0);
    }
  } else if (event == 0) {
    resume(tid, sig);  // signal-delivery-stop: deliver it
  } else {
    resume(tid, 0);
  }
  return {};
}

Result<> Tracer::on_seccomp(pid_t tid) {
  __ptrace_syscall_info info = {};
  if (::ptrace(PTRACE_GET_SYSCALL_INFO, tid, sizeof info, &info) < 0) {
    if (errno == EIO || errno == EINVAL) {
      return fail("read a traced system call", "PTRACE_GET_SYSCALL_INFO",
                  "the kernel does not support it (Linux 5.3 or later is needed)");
    }
    resume(tid, 0);
    return {};
  }
  Tracee& tracee = tracees_[tid];
  if (!tracee.workload) {
    tracee.workload = true;  // the first call through the filter: the workload's first process
    ++log_.processes;
  }
  if (info.op != PTRACE_SYSCALL_INFO_SECCOMP) {
    resume(tid, 0);
    return {};
  }
  SyscallEntry entry{.name = syscall_name(info.arch, static_cast<int>(info.seccomp.nr)), .arch = info.arch};
  std::copy(std::begin(info.seccomp.args), std::end(info.seccomp.args), entry.args.begin());
  ++log_.stops;
  ++log_.syscalls[entry.name].count;
  exec_failed(tid, tracee);  // an execve before this call did not exec
  if (returns(entry.name)) {
    Pending pending = on_entry(entry, TraceeReader(tid));
    // Its exit stop would only repeat what the exec event (or its absence) says.
    (pending.kind == Pending::Kind::exec ? tracee.exec : tracee.pending) = std::move(pending);
  }
  resume(tid, 0);
  return {};
}

void Tracer::exec_failed(pid_t tid, Tracee& tracee) {
  if (tracee.exec) {
    on_exit(*tracee.exec, failed_exec_errno(tid, tracee.exec->path), log_);
    tracee.exec.reset();
  }
}

void Tracer::on_exit_stop(pid_t tid) {
  Tracee& tracee = tracees_[tid];
  if (!tracee.pending) {
    return;
  }
  __ptrace_syscall_info info = {};
  const long got = ::ptrace(PTRACE_GET_SYSCALL_INFO, tid, sizeof info, &info);
  if (got >= 0 && info.op == PTRACE_SYSCALL_INFO_EXIT) {
    const int error = info.exit.is_error != 0 ? static_cast<int>(-info.exit.rval) : 0;
    on_exit(*tracee.pending, error, log_);
  }
  tracee.pending.reset();
}

void Tracer::on_new_task(pid_t tid, int event) {
  unsigned long raw = 0;
  if (::ptrace(PTRACE_GETEVENTMSG, tid, nullptr, &raw) != 0) {
    return;
  }
  const auto task = static_cast<pid_t>(raw);
  const bool workload = tracees_[tid].workload;
  tracees_[task].workload = workload;
  if (!workload) {
    return;
  }
  if (event == PTRACE_EVENT_CLONE && is_thread(task)) {
    ++log_.threads;
  } else {
    ++log_.processes;
  }
}

// A thread other than the leader that calls execve takes over the leader's
// pid; what it was waiting for moves with it.
void Tracer::on_exec(pid_t tid) {
  unsigned long raw = 0;
  if (::ptrace(PTRACE_GETEVENTMSG, tid, nullptr, &raw) != 0) {
    return;
  }
  const auto former = static_cast<pid_t>(raw);
  if (former != tid) {
    if (auto it = tracees_.find(former); it != tracees_.end()) {
      tracees_[tid] = std::move(it->second);
      tracees_.erase(former);
    }
  }
  // A path the entry could not read (a non-dumpable process traced without
  // CAP_SYS_PTRACE): the program the kernel loaded, now that it is dumpable.
  Tracee& tracee = tracees_[tid];
  if (!tracee.exec) {
    return;  // an exec the filter did not stop on (another ABI's number)
  }
  if (tracee.exec->path.empty()) {
    tracee.exec->path = TraceeReader(tid).exe_path().value_or("");
  }
  on_exit(*tracee.exec, 0, log_);
  tracee.exec.reset();
}

[[noreturn]] void run_child(int ready, const std::function<int()>& body) {
  char byte = 0;
  ssize_t n = 0;
  do {
    n = ::read(ready, &byte, 1);
  } while (n < 0 && errno == EINTR);
  ::close(ready);
  if (n != 1) {
    ::_exit(kExitFailure);  // the tracer is gone
  }
  const int code = body();
  (void)std::fflush(stdout);
  (void)std::fflush(stderr);
  ::_exit(code);
}

}  // namespace

Result<TracedRun> run_traced(const std::function<int()>& body) {
  std::array<int, 2> fds{};
  if (::pipe2(fds.data(), O_CLOEXEC) != 0) {
    return fail_errno("create the trace start pipe");
  }
  UniqueFd read_end(fds[0]);
  UniqueFd write_end(fds[1]);
  (void)std::fflush(stdout);
  const pid_t child = ::fork();
  if (child < 0) {
    return fail_errno("fork the traced process");
  }
  if (child == 0) {
    write_end.reset();
    run_child(read_end.release(), body);
  }
  read_end.reset();
  if (::ptrace(PTRACE_SEIZE, child, nullptr, kOptions) != 0) {
    const int err = errno;
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    auto error = fail_errno("attach to the workload with ptrace", std::to_string(child), err);
    error.error().detail =
        "ptrace is not permitted here (kernel.yama.ptrace_scope 3, a seccomp policy or "
        "a container runtime may forbid it)";
    return error;
  }
  const ForwardScope forward(child);
  const char go = 1;
  if (::write(write_end.get(), &go, 1) != 1) {
    return fail_errno("start the traced process");  // EXITKILL ends it with us
  }
  write_end.reset();
  Tracer tracer(child);
  auto code = tracer.loop();
  if (!code) {
    ::kill(child, SIGKILL);
    return std::unexpected(code.error());
  }
  return TracedRun{.exit_code = *code, .log = std::move(tracer.log())};
}

}  // namespace strata::trace
