// Reading a stopped tracee: strings and structs from its memory, and the
// paths of its descriptors and working directory from /proc.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

namespace strata::trace {

class TraceeReader {
 public:
  explicit TraceeReader(pid_t tid) : tid_(tid) {}

  // A NUL-terminated string of at most `max` bytes; nullopt when unreadable.
  [[nodiscard]] std::optional<std::string> string(std::uint64_t addr, std::size_t max = 4096) const;
  // Exactly `size` bytes; nullopt when unreadable.
  [[nodiscard]] std::optional<std::string> bytes(std::uint64_t addr, std::size_t size) const;
  // The path of descriptor `fd`, or of the working directory for AT_FDCWD.
  [[nodiscard]] std::optional<std::string> fd_path(int fd) const;
  // The program it runs (/proc/TID/exe).
  [[nodiscard]] std::optional<std::string> exe_path() const;
  // `path` made absolute against `dirfd` (AT_FDCWD: the working directory)
  // and lexically normal; unchanged when that directory cannot be read.
  [[nodiscard]] std::string absolute(int dirfd, const std::string& path) const;

 private:
  // process_vm_readv; falls back to PTRACE_PEEKDATA when the tracee is not
  // dumpable (a sandbox's processes before their exec) and it is refused.
  [[nodiscard]] bool read(std::uint64_t addr, char* out, std::size_t size) const;

  pid_t tid_;
};

}  // namespace strata::trace
