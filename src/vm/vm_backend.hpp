// The VM backend: boots a QEMU microvm whose init is strata, serves it the
// Plan's root over virtio-fs, hands its init the Job over the channel, relays
// stdin/stdout/stderr and reports the same Outcome as the other backends.
#pragma once

#include <string>

#include "isolate/backend.hpp"
#include "vm/protocol.hpp"

namespace strata::vm {

class VmBackend final : public Backend {
 public:
  Result<Outcome> run(const Plan& plan) override;
};

// What the guest's init is told to do, from the Plan.
Job make_job(const Plan& plan);

// For --dry-run: the QEMU command line the run would use, one line, after
// "qemu: ". The accelerator shown is the cached answer if there is one.
Result<std::string> describe_command(const Plan& plan);

}  // namespace strata::vm
