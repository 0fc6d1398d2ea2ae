// The janitor: a small process forked when a run gets a cgroup, that outlives
// a SIGKILLed strata just long enough to kill what is left in the run's
// cgroup and remove it (SECURITY.md item 30). Nothing else can: the kernel
// tears down namespaces and mounts with their last process, but a cgroup
// directory stays until someone removes it, and with --share pid a daemon the
// workload started has no pid namespace to die with.
//
// It waits on a pipe only strata holds the write end of, so strata's end in
// any way (exit, crash, SIGKILL) wakes it. After a normal end strata has
// removed the cgroup and says so on the pipe; the janitor just exits.
#pragma once

#include <sys/types.h>

#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "isolate/cgroup/cgroup.hpp"

namespace strata {

class CgroupJanitor {
 public:
  CgroupJanitor() = default;
  static Result<CgroupJanitor> start(RunCgroup& cgroup);

  CgroupJanitor(CgroupJanitor&& other) noexcept;
  CgroupJanitor& operator=(CgroupJanitor&& other) noexcept;
  CgroupJanitor(const CgroupJanitor&) = delete;
  CgroupJanitor& operator=(const CgroupJanitor&) = delete;
  ~CgroupJanitor() { dismiss(); }

  // The run is over and its cgroup removed (or left for the next run's
  // sweep): tells the janitor, and reaps it.
  void dismiss();

 private:
  UniqueFd wake_;  // the pipe's write end; closing it wakes the janitor
  pid_t pid_ = -1;
};

}  // namespace strata
