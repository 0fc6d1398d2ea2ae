#include "vm/qemu.hpp"

#include <fmt/format.h>

#include "vm/accel.hpp"
#include "vm/protocol.hpp"

namespace strata::vm {

std::string kernel_command_line(const QemuConfig& config) {
  // panic=-1: a panic reboots at once; reboot=t reboots by triple fault,
  // which -no-reboot turns into QEMU's exit (the default method sometimes
  // resets microvm and boots it again). The words after "--" are init's.
  std::string line = "console=ttyS0 quiet panic=-1 reboot=t rdinit=/init";
  if (!config.kvm && config.tsc_khz != 0) {
    // Under TCG the kernel's PIT calibration of the TSC fails on a busy host
    // and the guest's clock never starts; give it the rate instead.
    line += fmt::format(" tsc_early_khz={}", config.tsc_khz);
  }
  return line + " -- vm-init";
}

std::vector<std::string> qemu_argv(const QemuConfig& config) {
  const std::string memory = fmt::format("{}M", config.memory_mib);
  std::vector<std::string> argv{
      config.qemu, "-M", "microvm,memory-backend=mem", "-accel", config.kvm ? "kvm" : "tcg",
  };
  if (!config.kvm) {
    // The most capable CPU TCG can emulate: the host's binaries may need
    // more than qemu64's x86-64-v1.
    argv.insert(argv.end(), {"-cpu", "max"});
  }
  argv.insert(argv.end(),
              {"-m", memory, "-smp", std::to_string(config.cpus),
               // virtiofsd maps the guest's RAM: it must be a shared memfd.
               "-object", fmt::format("memory-backend-memfd,id=mem,size={},share=on", memory),
               // vhost-user devices need virtio 1.0, not microvm's legacy default.
               "-global", "virtio-mmio.force-legacy=false", "-nodefaults", "-no-user-config", "-display",
               "none", "-no-reboot", "-chardev", fmt::format("socket,id=console,fd={}", kConsoleFd),
               "-serial", "chardev:console", "-kernel", config.kernel, "-initrd", config.initrd, "-append",
               kernel_command_line(config), "-chardev", fmt::format("socket,id=rootfs,fd={}", kRootShareFd),
               "-device", "vhost-user-fs-device,chardev=rootfs,tag=root", "-device", "virtio-serial-device",
               "-chardev", fmt::format("socket,id=channel,fd={}", kChannelFd), "-device",
               fmt::format("virtserialport,chardev=channel,name={}", kChannelName)});
  if (config.network) {
    argv.insert(argv.end(), {"-netdev", "user,id=net0", "-device", "virtio-net-device,netdev=net0"});
  }
  return argv;
}

}  // namespace strata::vm
