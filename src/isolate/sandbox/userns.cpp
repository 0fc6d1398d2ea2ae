#include "isolate/sandbox/userns.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include "base/unique_fd.hpp"

namespace strata {

namespace {

Result<> write_proc_file(pid_t pid, const char* name, const std::string& text) {
  const std::string path = fmt::format("/proc/{}/{}", pid, name);
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) {
    return fail_errno("open", path);
  }
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    return fail_errno("write id map", path);
  }
  return {};
}

std::string map_line(const IdMap& map) {
  return fmt::format("{} {} {}\n", map.inside, map.outside, map.count);
}

}  // namespace

Result<> write_id_maps(pid_t child, const Plan& plan) {
  if (auto ok = write_proc_file(child, "uid_map", map_line(plan.uid_map)); !ok) {
    return ok;
  }
  // Without CAP_SETGID outside, gid_map can only be written once setgroups is
  // denied (otherwise the child could drop a group that denies it access).
  if (plan.deny_setgroups) {
    if (auto ok = write_proc_file(child, "setgroups", "deny"); !ok) {
      return ok;
    }
  }
  return write_proc_file(child, "gid_map", map_line(plan.gid_map));
}

}  // namespace strata
