#include "isolate/sandbox/credentials.hpp"

#include <grp.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

namespace strata {

namespace {

// The bounding set limits what any later execve can grant; emptying it needs
// CAP_SETPCAP, so it comes before the uid change that drops the effective set.
Result<> empty_bounding_set() {
  for (int cap = 0; cap < cap_max_bits(); ++cap) {
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) {
      return fail_errno("drop capability from the bounding set", std::to_string(cap));
    }
  }
  return {};
}

Result<> clear_capability_sets() {
  cap_t empty = ::cap_init();
  if (empty == nullptr) {
    return fail_errno("allocate capability state");
  }
  const int rc = ::cap_set_proc(empty);
  const int err = errno;
  ::cap_free(empty);
  if (rc != 0) {
    return fail_errno("clear capabilities", "", err);
  }
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
    return fail_errno("clear ambient capabilities");
  }
  return {};
}

}  // namespace

Result<> drop_privileges(const Plan& plan) {
  const auto uid = static_cast<uid_t>(plan.process.uid);
  const auto gid = static_cast<gid_t>(plan.process.gid);
  if (auto ok = empty_bounding_set(); !ok) {
    return ok;
  }
  if (!plan.deny_setgroups && ::setgroups(0, nullptr) != 0) {
    return fail_errno("drop supplementary groups");
  }
  if (::setresgid(gid, gid, gid) != 0) {
    return fail_errno("set group id", std::to_string(gid));
  }
  if (::setresuid(uid, uid, uid) != 0) {
    return fail_errno("set user id", std::to_string(uid));
  }
  if (auto ok = clear_capability_sets(); !ok) {
    return ok;
  }
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return fail_errno("set no_new_privs");
  }
  return {};
}

}  // namespace strata
