#include "isolate/backend.hpp"

#include "isolate/host/host_backend.hpp"
#include "isolate/sandbox/sandbox_backend.hpp"
#include "vm/vm_backend.hpp"

namespace strata {

std::unique_ptr<Backend> make_backend(Isolation isolation) {
  switch (isolation) {
    case Isolation::host:
      return std::make_unique<HostBackend>();
    case Isolation::sandbox:
    case Isolation::container:  // a sandbox whose root is an image (Plan::overlay or a copy)
      return std::make_unique<SandboxBackend>();
    case Isolation::vm:
      return std::make_unique<vm::VmBackend>();
    case Isolation::wasm:  // never a Plan's: its engine runs in the sandbox (or on the host)
      return std::make_unique<SandboxBackend>();
  }
  return nullptr;
}

}  // namespace strata
