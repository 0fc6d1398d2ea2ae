// strata as the VM guest's init (pid 1). The kernel starts /init from the
// initramfs strata packed (src/vm/initramfs.hpp) as `/init vm-init`. It
// loads the virtio modules listed in /strata/modules, opens the channel port,
// takes the Job from the host, builds the root from the virtio-fs shares,
// runs the workload with its output relayed over the channel, reports how
// it ended and powers the guest off. Nothing here runs on the host.
#pragma once

namespace strata::vm {

// The `vm-init` entry: refuses to run unless it is pid 1 (exit 125 with a
// message); as pid 1 it never returns.
int guest_init_main();

}  // namespace strata::vm
