// The parent/child sync channel: one SOCK_SEQPACKET socketpair carrying
// fixed-size typed messages. Its methods are the protocol's steps, so each
// side reads as the conversation it takes part in:
//
//   parent                         sandbox (init, then the workload)
//   wait_for_child()        <---   child_ready()              (after PDEATHSIG is armed)
//   ids_mapped()            --->   wait_for_id_maps()
//                           <---   setup_failed(error)        (and exits)
//                           <---   pty_master(fd)             (workload, with a pty)
//                           <---   exec_failed(errno)         (workload, then exits)
//                           <---   workload_exited(status)    (init, then exits)
//
// End of file on either side means the other side is gone.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <utility>

#include "base/error.hpp"
#include "base/unique_fd.hpp"

namespace strata {

enum class MessageKind : std::uint32_t {
  ids_mapped = 1,
  child_ready,
  setup_failed,
  exec_failed,
  workload_exited,
  pty_master,  // carries the master of a pty opened inside (SCM_RIGHTS)
};

struct Message {
  MessageKind kind{};
  std::int32_t err = 0;         // errno of a failed step
  std::int32_t exit_code = -1;  // workload_exited: exit status, or -1
  std::int32_t signal = 0;      // workload_exited: terminating signal, or 0
  char step[64]{};
  char path[512]{};
  char detail[256]{};

  // The failure this message reports, for setup_failed and exec_failed.
  [[nodiscard]] Error to_error() const;
};

// A received message and the fd that came with it, if any.
struct Incoming {
  Message message;
  UniqueFd fd;
};

class SyncChannel {
 public:
  // Returns {parent end, child end}; both close on exec.
  static Result<std::pair<SyncChannel, SyncChannel>> make_pair();

  explicit SyncChannel(UniqueFd fd) : fd_(std::move(fd)) {}

  [[nodiscard]] int fd() const { return fd_.get(); }
  void close() { fd_.reset(); }

  // Parent side.
  Result<> ids_mapped();
  // Waits for child_ready; an error if the child failed or died first.
  Result<> wait_for_child();
  // The next message; nullopt at end of file. With `wait` false, also nullopt
  // when nothing is queued.
  Result<std::optional<Incoming>> receive(bool wait = true);

  // Sandbox side. These are called between clone and exec, so they only
  // format into the fixed-size message and write it; failures to send are
  // ignored because the only one to tell is the parent, who is then gone.
  bool child_ready();  // false when the parent is already gone
  bool wait_for_id_maps();
  void setup_failed(const Error& error);
  void exec_failed(int err, const char* command);
  void workload_exited(int exit_code, int signal);
  void pty_master(int fd);

 private:
  void send(const Message& message, int fd = -1);

  UniqueFd fd_;
};

}  // namespace strata
