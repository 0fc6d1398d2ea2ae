// Control files of cgroupfs, reached through directory fds. The kernel takes
// each value in one write(2) and reports a refused value as that write's
// errno, so both the open and the write are checked.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "base/unique_fd.hpp"

namespace strata {

std::string join_path(std::string_view dir, std::string_view name);

// Splits on `separator`, keeping empty pieces.
std::vector<std::string_view> split(std::string_view text, char separator);

// A whole file by absolute path (for /proc/self/*).
Result<std::string> read_text_file(const std::string& path);

// A cgroup directory below `at`, opened for reading so the fd also serves
// CLONE_INTO_CGROUP (which refuses O_PATH fds).
Result<UniqueFd> open_cgroup_dir(int at, const std::string& name, const std::string& display);

// A control file of `dir` (displayed as `display`); nullopt when it does not exist.
Result<std::optional<std::string>> read_cgroup_file(int dir, const std::string& name,
                                                    const std::string& display);
Result<> write_cgroup_file(int dir, const std::string& name, std::string_view value,
                           const std::string& display, const std::string& step);
bool has_cgroup_file(int dir, const std::string& name);

// "key value" lines: cpu.stat, memory.events, pids.events, cgroup.events,
// memory.oom_control. Lines that are not a key and a number are skipped.
std::map<std::string, std::uint64_t, std::less<>> parse_keyed(std::string_view text);

// cgroup.procs: one pid a line.
Result<std::vector<pid_t>> parse_pids(std::string_view text);

// The pids in `dir` and in every cgroup nested below it (a workload that
// can write cgroupfs may have made its own).
Result<> collect_pids(int dir, const std::string& display, std::vector<pid_t>& out);

// Removes cgroup `name` below `parent`, nested cgroups first. Retries for a
// while on EBUSY: exiting processes keep a cgroup busy for a moment.
Result<> remove_cgroup_tree(int parent, const std::string& name, const std::string& display);

}  // namespace strata
