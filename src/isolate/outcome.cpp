#include "isolate/outcome.hpp"

#include "base/files.hpp"
#include "base/parse.hpp"
#include "base/unique_fd.hpp"

namespace strata {

Outcome Outcome::from_error(const Error& error) {
  const bool exec = error.exit_code == kExitCannotExecute || error.exit_code == kExitNotFound;
  return Outcome{.reason = exec ? EndReason::exec_failed : EndReason::setup_failed,
                 .exit_code = error.exit_code,
                 .error = error};
}

std::string_view to_string(EndReason reason) {
  switch (reason) {
    case EndReason::exited:
      return "exited";
    case EndReason::signaled:
      return "signaled";
    case EndReason::exec_failed:
      return "exec-failed";
    case EndReason::setup_failed:
      return "setup-failed";
    case EndReason::timeout:
      return "timeout";
    case EndReason::oom_killed:
      return "oom-killed";
    case EndReason::pids_limit:
      return "pids-limit";
  }
  return "?";
}

nlohmann::json to_json(const Outcome& outcome) {
  nlohmann::json out{
      {"schema", "strata.outcome/v1"},      {"reason", to_string(outcome.reason)},
      {"exit_code", outcome.exit_code},     {"wall_seconds", outcome.wall_seconds},
      {"max_rss_kib", outcome.max_rss_kib},
  };
  if (outcome.reason == EndReason::signaled) {
    out["signal"] = outcome.signal;
    out["signal_name"] = "SIG" + signal_name(outcome.signal);
  }
  if (outcome.cgroup) {
    out["memory_peak_bytes"] = outcome.cgroup->memory_peak_bytes;
    out["cpu_seconds"] = outcome.cgroup->cpu_seconds;
  }
  if (outcome.error) {
    out["error"] = outcome.error->message();
  }
  return out;
}

Result<> write_json_status(const std::string& path, const Outcome& outcome) {
  return write_file_atomically(path, to_json(outcome).dump(2) + "\n", "write --json-status");
}

}  // namespace strata
