#include "isolate/sandbox/credentials.hpp"

#include <grp.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

namespace strata {

namespace {

bool kept(const ProcessPlan& process, int cap) {
  return std::ranges::binary_search(process.capabilities, cap);
}

// The bounding set limits what any later execve can grant; trimming it needs
// CAP_SETPCAP, so it comes before the uid change that drops the effective set.
Result<> trim_bounding_set(const ProcessPlan& process) {
  for (int cap = 0; cap < cap_max_bits(); ++cap) {
    if (!kept(process, cap) && ::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) {
      return fail_errno("drop capability from the bounding set", capability_name(cap));
    }
  }
  return {};
}

// Sets the permitted, effective and inheritable sets to exactly the kept
// capabilities, and raises them as ambient so they survive the execve of a
// program run by a non-root uid. Empty by default.
Result<> set_capabilities(const ProcessPlan& process) {
  cap_t caps = ::cap_init();
  if (caps == nullptr) {
    return fail_errno("allocate capability state");
  }
  std::vector<cap_value_t> values(process.capabilities.begin(), process.capabilities.end());
  const int count = static_cast<int>(values.size());
  bool ok = count == 0 || (::cap_set_flag(caps, CAP_PERMITTED, count, values.data(), CAP_SET) == 0 &&
                           ::cap_set_flag(caps, CAP_EFFECTIVE, count, values.data(), CAP_SET) == 0 &&
                           ::cap_set_flag(caps, CAP_INHERITABLE, count, values.data(), CAP_SET) == 0);
  ok = ok && ::cap_set_proc(caps) == 0;
  const int err = errno;
  ::cap_free(caps);
  if (!ok) {
    return fail_errno("set capabilities", "", err);
  }
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
    return fail_errno("clear ambient capabilities");
  }
  for (int cap : process.capabilities) {
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0) {
      return fail_errno("raise ambient capability", capability_name(cap));
    }
  }
  return {};
}

Result<> set_identity(const Plan& plan) {
  const auto uid = static_cast<uid_t>(plan.process.uid);
  const auto gid = static_cast<gid_t>(plan.process.gid);
  // The image's supplementary groups for its USER, else none.
  const std::vector<gid_t> groups(plan.process.groups.begin(), plan.process.groups.end());
  if (!plan.deny_setgroups && ::setgroups(groups.size(), groups.data()) != 0) {
    return fail_errno("set supplementary groups");
  }
  // Keep the permitted set across the uid change so the kept capabilities
  // can be set afterwards; set_capabilities() empties it otherwise.
  if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) {
    return fail_errno("keep capabilities across the uid change");
  }
  if (::setresgid(gid, gid, gid) != 0) {
    return fail_errno("set group id", std::to_string(gid));
  }
  if (::setresuid(uid, uid, uid) != 0) {
    return fail_errno("set user id", std::to_string(uid));
  }
  if (::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) {
    return fail_errno("reset keepcaps");
  }
  return {};
}

}  // namespace

Result<> apply_rlimits(const ProcessPlan& process) {
  for (const auto& limit : process.rlimits) {
    const rlimit value{.rlim_cur = limit.soft, .rlim_max = limit.hard};
    if (::setrlimit(static_cast<__rlimit_resource>(limit.resource), &value) != 0) {
      return std::unexpected(Error{
          .step = "set rlimit",
          .path = limit.name,
          .err = errno,
          .detail = errno == EPERM ? "a hard limit can only be lowered from inside a user namespace" : ""});
    }
  }
  return {};
}

Result<> drop_privileges(const Plan& plan) {
  if (auto ok = trim_bounding_set(plan.process); !ok) {
    return ok;
  }
  if (auto ok = set_identity(plan); !ok) {
    return ok;
  }
  if (auto ok = set_capabilities(plan.process); !ok) {
    return ok;
  }
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return fail_errno("set no_new_privs");
  }
  return {};
}

}  // namespace strata
