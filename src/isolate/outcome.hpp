// Outcome: how a run ended, the same for every backend.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "base/error.hpp"

namespace strata {

enum class EndReason {
  exited,        // the workload exited; exit_code is its status
  signaled,      // the workload was killed by `signal`; exit_code is 128 + signal
  exec_failed,   // the command could not be executed (126) or found (127)
  setup_failed,  // strata could not set the sandbox up (125)
  timeout,       // --timeout expired and strata ended the run (124, as timeout(1))
  oom_killed,    // the kernel killed the workload at its --memory limit
  pids_limit,    // the workload failed after hitting its --pids limit
};

// The exit code of a run ended by --timeout, as timeout(1) has it.
inline constexpr int kExitTimeout = 124;

// Figures a cgroup measured for the run.
struct CgroupFigures {
  std::uint64_t memory_peak_bytes = 0;
  double cpu_seconds = 0;
};

struct Outcome {
  EndReason reason = EndReason::exited;
  int exit_code = 0;           // what strata exits with
  int signal = 0;              // the terminating signal, for EndReason::signaled
  std::optional<Error> error;  // for exec_failed and setup_failed
  double wall_seconds = 0;
  long max_rss_kib = 0;  // largest resident set of the workload's process tree
  std::optional<CgroupFigures> cgroup;

  // An outcome for a run that failed before the workload started.
  static Outcome from_error(const Error& error);
};

std::string_view to_string(EndReason reason);

// The --json-status document.
nlohmann::json to_json(const Outcome& outcome);

// Writes the --json-status document atomically (temporary file + rename).
Result<> write_json_status(const std::string& path, const Outcome& outcome);

}  // namespace strata
