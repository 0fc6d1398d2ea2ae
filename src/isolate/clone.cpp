#include "isolate/clone.hpp"

#include <linux/sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace strata {

unsigned long clone_flags(const std::vector<Namespace>& namespaces) {
  unsigned long flags = 0;
  for (Namespace ns : namespaces) {
    switch (ns) {
      case Namespace::user:
        flags |= CLONE_NEWUSER;
        break;
      case Namespace::mount:
        flags |= CLONE_NEWNS;
        break;
      case Namespace::pid:
        flags |= CLONE_NEWPID;
        break;
      case Namespace::ipc:
        flags |= CLONE_NEWIPC;
        break;
      case Namespace::uts:
        flags |= CLONE_NEWUTS;
        break;
      case Namespace::net:
        flags |= CLONE_NEWNET;
        break;
      case Namespace::cgroup:
        flags |= CLONE_NEWCGROUP;
        break;
    }
  }
  return flags;
}

Result<Child> clone_into(const std::vector<Namespace>& namespaces) {
  const unsigned long flags = clone_flags(namespaces) | CLONE_PIDFD;
  int pidfd = -1;
  clone_args args{};
  args.flags = flags;
  args.pidfd = reinterpret_cast<std::uint64_t>(&pidfd);  // NOLINT: the kernel ABI takes an address
  args.exit_signal = SIGCHLD;
  long pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0 && (errno == ENOSYS || errno == EPERM)) {
    // No clone3 (old kernel) or a seccomp filter that answers it with ENOSYS/EPERM:
    // the classic clone, fork-like (no new stack), stores the pidfd via parent_tid.
    pid = ::syscall(SYS_clone, flags | SIGCHLD, nullptr, &pidfd, nullptr, nullptr);
  }
  if (pid < 0) {
    const int err = errno;
    if (err == EPERM || err == ENOSPC || err == EUSERS) {
      return std::unexpected(Error{.step = "clone into new namespaces",
                                   .err = err,
                                   .detail =
                                       "user namespaces may be disabled (see user.max_user_namespaces and "
                                       "kernel.unprivileged_userns_clone)"});
    }
    return fail_errno("clone into new namespaces", "", err);
  }
  return Child{.pid = static_cast<pid_t>(pid), .pidfd = UniqueFd(pid == 0 ? -1 : pidfd)};
}

Result<Launch> launch(const std::vector<Namespace>& namespaces) {
  const auto started = std::chrono::steady_clock::now();
  auto channels = SyncChannel::make_pair();
  if (!channels) {
    return std::unexpected(channels.error());
  }
  auto signals = ForwardedSignals::block();
  if (!signals) {
    return std::unexpected(signals.error());
  }
  auto child = clone_into(namespaces);
  if (!child) {
    return std::unexpected(child.error());
  }
  Launch out{.parent_end = std::move(channels->first),
             .child_end = std::move(channels->second),
             .signals = std::move(*signals),
             .child = std::move(*child),
             .started = started};
  if (out.in_child()) {
    out.parent_end.close();
  } else {
    out.child_end.close();
  }
  return out;
}

}  // namespace strata
