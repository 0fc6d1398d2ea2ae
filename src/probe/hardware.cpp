// The hardware layer: the CPU (architecture, ISA level, flags, cores), memory,
// the hypervisor underneath, KVM and accelerator devices. Files come through
// the Root, so a recorded tree gives the same facts as the machine it was
// recorded on; uname, sysconf, cpuid and the KVM test guest only run live.
#include <sched.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <array>
#include <bit>

#include "base/parse.hpp"
#include "probe/hw_cpuinfo.hpp"
#include "probe/hw_kvm.hpp"
#include "probe/layers.hpp"
#include "probe/sys_text.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace strata::probe {

namespace {

using nlohmann::json;

void add_arch_facts(const Root& root, const hw::CpuInfo& cpu, Facts& facts) {
  utsname names = {};
  if (root.is_live() && ::uname(&names) == 0) {
    add(facts, "arch", names.machine, "uname(2)");
    // The byte order this very binary was built for, which runs here.
    add(facts, "endianness", std::endian::native == std::endian::little ? "little" : "big", "std::endian");
    return;
  }
  if (cpu.arch.empty()) {
    return;
  }
  add(facts, "arch", cpu.arch, "/proc/cpuinfo");
  if (const std::string_view order = hw::arch_endianness(cpu.arch); !order.empty()) {
    add(facts, "endianness", order, "/proc/cpuinfo");
  }
}

// What the running process gets: online CPUs can exceed the affinity mask
// (taskset, a cpuset cgroup), and thread pools should size by the latter.
void add_live_cpu_facts(Facts& facts) {
  if (const long online = ::sysconf(_SC_NPROCESSORS_ONLN); online > 0) {
    add(facts, "cpu.logical_cores", online, "sysconf(_SC_NPROCESSORS_ONLN)");
  }
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0) {
    add(facts, "cpu.allowed_cores", CPU_COUNT(&set), "sched_getaffinity(2)");
  }
  if (const long page = ::sysconf(_SC_PAGESIZE); page > 0) {
    add(facts, "page_size", page, "sysconf(_SC_PAGESIZE)");
  }
}

void add_memory_facts(const Root& root, Facts& facts) {
  const auto meminfo = root.read("/proc/meminfo");
  if (!meminfo) {
    return;
  }
  for (const std::string_view line : sys::split_lines(*meminfo)) {
    if (!line.starts_with("MemTotal:")) {
      continue;
    }
    std::string_view value = sys::trim(line.substr(line.find(':') + 1));
    const bool kib = value.ends_with(" kB");
    if (kib) {
      value.remove_suffix(3);
    }
    if (auto n = parse_uint(value, 0, UINT64_MAX >> 10)) {
      add(facts, "memory.total_bytes", kib ? *n << 10 : *n, "/proc/meminfo");
    }
  }
}

#if defined(__x86_64__) || defined(__i386__)
// The hypervisor's vendor signature in CPUID leaf 0x40000000 ("KVMKVMKVM",
// "Microsoft Hv", "VMwareVMware", "XenVMMXenVMM", "TCGTCGTCGTCG"); that leaf
// is only meaningful when leaf 1 sets the hypervisor bit (ECX bit 31).
json cpuid_hypervisor() {
  unsigned eax = 0;
  unsigned ebx = 0;
  unsigned ecx = 0;
  unsigned edx = 0;
  if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) == 0 || (ecx & (1U << 31)) == 0) {
    return json();
  }
  __cpuid(0x40000000, eax, ebx, ecx, edx);
  std::string signature;
  for (const unsigned word : {ebx, ecx, edx}) {
    for (int shift = 0; shift < 32; shift += 8) {
      const char c = static_cast<char>((word >> shift) & 0xff);
      if (c >= ' ' && c <= '~') {
        signature += c;
      }
    }
  }
  return std::string(sys::trim(signature));
}
#endif

void add_hypervisor_facts(const Root& root, const hw::CpuInfo& cpu, Facts& facts) {
  const bool x86 = cpu.arch == "x86_64" || cpu.arch == "i686";
  if (x86) {
    add(facts, "hypervisor", cpu.flags.contains("hypervisor"), "/proc/cpuinfo");
  }
#if defined(__x86_64__) || defined(__i386__)
  if (root.is_live()) {
    const json vendor = cpuid_hypervisor();
    add(facts, "hypervisor.vendor", vendor, "cpuid");
    if (!x86) {
      add(facts, "hypervisor", !vendor.is_null(), "cpuid");
    }
  }
#endif
  if (const auto type = root.read("/sys/hypervisor/type")) {
    add(facts, "hypervisor.type", sys::trim(*type), "/sys/hypervisor/type");
  }
}

// Device nodes of GPUs and accelerators. `prefix` selects names in `dir`;
// `sysfs` is the class directory whose <name>/device/driver link names the
// kernel driver.
struct DeviceKind {
  std::string_view dir;
  std::string_view prefix;
  std::string_view kind;
  std::string_view sysfs;
};

constexpr std::array<DeviceKind, 6> kDevices{{
    {"/dev/dri", "", "gpu", "/sys/class/drm"},
    {"/dev", "nvidia", "gpu", ""},
    {"/dev", "kfd", "gpu", ""},  // AMD's compute interface (ROCm)
    {"/dev/accel", "", "accelerator", "/sys/class/accel"},
    {"/dev", "neuron", "accelerator", ""},  // AWS Inferentia and Trainium
    {"/dev/vfio", "", "vfio", ""},          // devices handed to VMs
}};

void add_device_facts(const Root& root, Facts& facts) {
  for (const DeviceKind& device : kDevices) {
    for (const std::string& name : root.list(device.dir)) {
      const std::string path = sys::join_path(device.dir, name);
      if (!name.starts_with(device.prefix) || root.is_dir(path)) {
        continue;
      }
      json value = {{"kind", device.kind}};
      std::string source(device.dir);
      if (!device.sysfs.empty()) {
        const std::string link = sys::join_path(device.sysfs, name + "/device/driver");
        if (const auto driver = root.read_link(link)) {
          value["driver"] = sys::base_name(*driver);
          source += ", " + link;
        }
      }
      add(facts, "device." + path, std::move(value), std::move(source));
    }
  }
}

}  // namespace

Facts probe_hardware(const Root& root) {
  Facts facts;
  const hw::CpuInfo cpu = hw::parse_cpuinfo(root.read("/proc/cpuinfo").value_or(""));
  add_arch_facts(root, cpu, facts);
  hw::add_cpu_facts(cpu, facts);
  if (root.is_live()) {
    add_live_cpu_facts(facts);
  }
  add_memory_facts(root, facts);
  add_hypervisor_facts(root, cpu, facts);
  hw::add_kvm_facts(root, facts);
  add_device_facts(root, facts);
  return facts;
}

}  // namespace strata::probe
