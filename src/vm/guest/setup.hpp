// The guest init's setup steps, each a plain function over the guest's own
// kernel: the early mounts, the modules, the channel port, the root built from
// the host's shares, the network.
#pragma once

#include <string>

#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "vm/protocol.hpp"

namespace strata::vm::guest {

// /dev (devtmpfs), /proc and /sys of the initramfs.
Result<> mount_early();

// finit_module for each path in /strata/modules, in order; a module the
// kernel already has (EEXIST) is fine.
Result<> load_modules(const std::string& list = "/strata/modules");

// Waits (up to a bound) for the virtio-serial port named kChannelName and
// opens it.
Result<UniqueFd> open_channel();

// Mounts the Job's shares under /newroot, then /proc, /sys, /dev, /dev/pts,
// /dev/shm, /tmp and the --tmpfs mounts, and makes /newroot the root.
Result<> enter_root(const Job& job);

// Loopback up; with job.network also eth0 with QEMU user networking's
// addresses (10.0.2.15/24 via 10.0.2.2).
Result<> bring_up_network(const Job& job);

}  // namespace strata::vm::guest
