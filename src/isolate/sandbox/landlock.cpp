#include "isolate/sandbox/landlock.hpp"

#include <fcntl.h>
#include <linux/landlock.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cstdint>

#include "base/log.hpp"
#include "base/unique_fd.hpp"

namespace strata {

namespace {

// The ruleset attributes of ABI 6, newer than Debian 12's <linux/landlock.h>;
// the kernel accepts the shorter struct of older ABIs by its size.
struct RulesetAttr {
  std::uint64_t handled_access_fs = 0;
  std::uint64_t handled_access_net = 0;
  std::uint64_t scoped = 0;
};
// ABI 6: no signals to processes outside the sandbox's Landlock domain (with
// --share pid the host's processes are otherwise reachable by uid).
constexpr std::uint64_t kScopeSignal = 1ULL << 1;

// Rights newer than Debian 12's <linux/landlock.h>.
constexpr std::uint64_t kTruncate = 1ULL << 14;  // ABI 3
constexpr std::uint64_t kIoctlDev = 1ULL << 15;  // ABI 5

constexpr std::uint64_t kRead =
    LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
// The rights a rule on a regular file or device (not a directory) may carry.
constexpr std::uint64_t kFileRights = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |
                                      LANDLOCK_ACCESS_FS_READ_FILE | kTruncate | kIoctlDev;

// Everything Landlock can restrict on a filesystem, by ABI version.
std::uint64_t handled_rights(int abi) {
  std::uint64_t rights = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1;  // ABI 1: bits 0-12
  if (abi >= 2) {
    rights |= LANDLOCK_ACCESS_FS_REFER;
  }
  if (abi >= 3) {
    rights |= kTruncate;
  }
  if (abi >= 5) {
    rights |= kIoctlDev;
  }
  return rights;
}

Result<> add_rule(int ruleset, const LandlockRule& rule, std::uint64_t handled) {
  UniqueFd fd(::open(rule.path.c_str(), O_PATH | O_CLOEXEC));
  if (!fd) {
    return errno == ENOENT ? Result<>{} : fail_errno("open landlock rule path", rule.path);
  }
  struct stat st = {};
  if (::fstat(fd.get(), &st) != 0) {
    return fail_errno("stat landlock rule path", rule.path);
  }
  std::uint64_t access = (rule.writable ? handled : kRead) & handled;
  if (!S_ISDIR(st.st_mode)) {
    access &= kFileRights;
  }
  landlock_path_beneath_attr beneath{.allowed_access = access, .parent_fd = fd.get()};
  if (::syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &beneath, 0) != 0) {
    return fail_errno("add landlock rule", rule.path);
  }
  return {};
}

}  // namespace

int landlock_abi() {
  const long abi = ::syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
  return abi < 0 ? 0 : static_cast<int>(abi);
}

Result<int> check_landlock(const Plan& plan) {
  if (plan.landlock == LandlockMode::off) {
    return 0;
  }
  const int abi = landlock_abi();
  const bool require = plan.landlock == LandlockMode::require;
  if (abi == 0) {
    if (require) {
      return fail("check landlock", "--landlock=require", "Landlock is not available in this kernel");
    }
    log::warn("Landlock is not available: filesystem access is limited by the mounts alone");
    return 0;
  }
  if (abi < 3) {
    // Before ABI 3 truncate(2) is not a right Landlock knows: files beneath a
    // read-only rule could still be truncated where the mount allows writes.
    if (require) {
      return fail(
          "check landlock", "--landlock=require",
          "this kernel's Landlock ABI " + std::to_string(abi) + " cannot restrict truncate (needs ABI 3)");
    }
    log::warn("Landlock ABI {} cannot restrict truncate(2); read-only mounts still apply", abi);
  }
  return abi;
}

Result<> apply_landlock(const Plan& plan, int abi) {
  if (abi == 0) {
    return {};
  }
  const std::uint64_t handled = handled_rights(abi);
  const RulesetAttr attr{.handled_access_fs = handled, .scoped = abi >= 6 ? kScopeSignal : 0};
  const std::size_t size = abi >= 6 ? sizeof attr : sizeof(landlock_ruleset_attr);
  UniqueFd ruleset(static_cast<int>(::syscall(SYS_landlock_create_ruleset, &attr, size, 0)));
  if (!ruleset) {
    return fail_errno("create landlock ruleset");
  }
  for (const auto& rule : plan.landlock_rules) {
    if (auto ok = add_rule(ruleset.get(), rule, handled); !ok) {
      return ok;
    }
  }
  if (::syscall(SYS_landlock_restrict_self, ruleset.get(), 0) != 0) {
    return fail_errno("enforce landlock ruleset");
  }
  return {};
}

}  // namespace strata
