// A running guest, from strata's side: the loop that sends the Job when the
// guest's init is ready, relays stdin and the workload's output, forwards
// signals, keeps the console's last lines, enforces the boot watchdog and
// --timeout, and turns the end (a status frame, an init error, a panic, QEMU
// dying) into an Outcome.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "base/unique_fd.hpp"
#include "isolate/outcome.hpp"
#include "vm/protocol.hpp"
#include "vm/spawn.hpp"

namespace strata::vm {

struct Session {
  Process qemu;
  Process virtiofsd;
  UniqueFd channel;       // strata's end of the channel port
  UniqueFd console;       // strata's end of the serial console
  UniqueFd qemu_errors;   // QEMU's stderr
  UniqueFd share_errors;  // virtiofsd's stderr
  UniqueFd console_file;  // --keep-console
  int signals = -1;       // the forwarded signals' signalfd
  Job job;
  std::string kernel;  // for messages
  std::chrono::steady_clock::time_point started;
  std::chrono::milliseconds boot_bound{std::chrono::seconds(60)};
  std::optional<std::chrono::milliseconds> timeout;
  std::chrono::milliseconds kill_after{std::chrono::seconds(2)};
  int stop_signal = 15;
};

// Runs until the guest reports or ends; always leaves QEMU and virtiofsd
// killed and reaped.
Outcome run_session(Session& session);

}  // namespace strata::vm
