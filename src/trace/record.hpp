// What the tracer saw, aggregated as it goes: per system call its count and
// failures, per file how it was used, the programs executed, the libraries
// mapped executable, the kernel features and sockets used, the /proc/sys
// knobs read.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>

namespace strata::trace {

struct CallCount {
  std::uint64_t count = 0;
  std::uint64_t errors = 0;  // returned -1 (an errno)
};

// read, write, list (O_DIRECTORY), exec, probe-missing (ENOENT/ENOTDIR: a
// search), failed (any other error, such as EACCES).
enum class Access { read, write, list, exec, probe_missing, failed };
[[nodiscard]] const char* access_name(Access access);

struct FeatureUse {
  std::uint64_t count = 0;
  std::uint64_t ok = 0;     // calls that succeeded
  std::optional<int> abi;   // landlock: the ABI its use needs
  std::string first_error;  // "EPERM" when no call succeeded
};

struct SocketKey {
  std::string call;     // socket, connect, bind, listen, accept
  std::string family;   // AF_INET, AF_UNIX...; empty when not known
  std::string type;     // SOCK_STREAM... (socket only)
  std::string address;  // "127.0.0.1:53", "/run/x.sock", "@abstract" (connect, bind)
  auto operator<=>(const SocketKey&) const = default;
};

struct TraceLog {
  std::map<std::string, CallCount> syscalls;
  std::map<std::pair<std::string, Access>, std::uint64_t> files;
  std::map<std::string, std::uint64_t> executed;  // successful execve paths
  std::set<std::string> libraries;                // files mapped PROT_EXEC
  // Key: {feature, evidence}: {"io_uring", "io_uring_setup"}, {"user_namespace", "unshare(CLONE_NEWUSER)"}.
  std::map<std::pair<std::string, std::string>, FeatureUse> features;
  std::map<SocketKey, CallCount> sockets;
  std::set<std::string> sysctls;
  std::uint64_t processes = 0;  // workload processes (the first one and every fork)
  std::uint64_t threads = 0;    // threads started besides each process's first
  std::uint64_t stops = 0;      // seccomp stops handled

  void add_file(const std::string& path, Access access);
  void add_feature(const std::string& feature, const std::string& evidence, bool ok, int err,
                   std::optional<int> abi = std::nullopt);
};

// "EPERM" for EPERM, "errno 999" for unknown values.
[[nodiscard]] std::string errno_name(int err);

}  // namespace strata::trace
