// Errors: every failure a user can cause becomes one Error, printed as one line
// that names the step, the quoted path and the reason.
#pragma once

#include <cerrno>
#include <expected>
#include <string>
#include <utility>

namespace strata {

// Exit codes follow env(1) and the container runtimes: the workload's own code,
// or one of these when strata could not get that far.
enum ExitCode : int {
  kExitFailure = 125,        // strata itself failed (bad flag, setup step failed)
  kExitCannotExecute = 126,  // the command was found but could not be executed
  kExitNotFound = 127,       // the command was not found
};

struct Error {
  std::string step;    // what strata was doing: "parse --bind", "mount proc"
  std::string path;    // the input or path involved; empty when there is none
  int err = 0;         // errno, 0 when the failure is not a system call's
  std::string detail;  // the reason in words when errno alone does not say it
  int exit_code = kExitFailure;

  // "step 'path': detail: strerror(err)", skipping the empty parts.
  [[nodiscard]] std::string message() const;
};

template <class T = void>
using Result = std::expected<T, Error>;

// A failure with a reason in words.
inline std::unexpected<Error> fail(std::string step, std::string path, std::string detail) {
  return std::unexpected(Error{.step = std::move(step),
                               .path = std::move(path),
                               .err = 0,
                               .detail = std::move(detail),
                               .exit_code = kExitFailure});
}

// A failure of a system call: captures errno at the call site.
inline std::unexpected<Error> fail_errno(std::string step, std::string path = {}, int err = errno) {
  return std::unexpected(Error{
      .step = std::move(step), .path = std::move(path), .err = err, .detail = {}, .exit_code = kExitFailure});
}

}  // namespace strata
