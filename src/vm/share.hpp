// The guest's root, served by virtiofsd. The tree is assembled in
// virtiofsd's own mount namespace, so the host's mount table never changes
// and nothing is left behind: the system dirs (read-only) or the --rootfs or
// the image's layers (overlayfs, its writable layer a tmpfs), plus the binds.
// Read-only is enforced there, on the host side: the guest's root user can
// remount its view, not virtiofsd's.
#pragma once

#include <string>

#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "isolate/plan.hpp"
#include "vm/spawn.hpp"

namespace strata::vm {

// virtiofsd: QEMU 7.2's (Debian: qemu-system-common), else one on PATH.
Result<std::string> find_virtiofsd();

struct RootShare {
  Process virtiofsd;
  UniqueFd client;  // the vhost-user connection QEMU takes (-chardev socket,fd=)
};

// Starts virtiofsd serving the Plan's root. `errors` receives its stderr.
Result<RootShare> serve_root(const std::string& virtiofsd, const Plan& plan, int errors);

// Whether the guest can mount the root read-only as a whole (no writable
// bind beneath it).
bool root_wholly_read_only(const Plan& plan);

}  // namespace strata::vm
