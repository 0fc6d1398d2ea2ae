#include "probe/hw_kvm.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <csignal>
#include <cstring>
#include <ctime>
#include <mutex>
#include <set>
#include <span>

#include "base/unique_fd.hpp"
#include "probe/sys_text.hpp"

namespace strata::probe::hw {

namespace {

constexpr std::uint16_t kAnswerPort = 0x10;
constexpr std::uint8_t kAnswer = 42;

struct ExitName {
  std::uint32_t reason;
  std::string_view name;
};

constexpr std::array<ExitName, 11> kExitNames{{
    {KVM_EXIT_UNKNOWN, "KVM_EXIT_UNKNOWN"},
    {KVM_EXIT_EXCEPTION, "KVM_EXIT_EXCEPTION"},
    {KVM_EXIT_IO, "KVM_EXIT_IO"},
    {KVM_EXIT_HYPERCALL, "KVM_EXIT_HYPERCALL"},
    {KVM_EXIT_DEBUG, "KVM_EXIT_DEBUG"},
    {KVM_EXIT_HLT, "KVM_EXIT_HLT (it halted without answering)"},
    {KVM_EXIT_MMIO, "KVM_EXIT_MMIO"},
    {KVM_EXIT_SHUTDOWN, "KVM_EXIT_SHUTDOWN (a triple fault)"},
    {KVM_EXIT_FAIL_ENTRY, "KVM_EXIT_FAIL_ENTRY"},
    {KVM_EXIT_INTR, "KVM_EXIT_INTR"},
    {KVM_EXIT_INTERNAL_ERROR, "KVM_EXIT_INTERNAL_ERROR"},
}};

std::string exit_name(std::uint32_t reason) {
  const auto* known = std::ranges::find(kExitNames, reason, &ExitName::reason);
  return known == kExitNames.end() ? fmt::format("exit reason {}", reason) : std::string(known->name);
}

std::string_view where(GuestStage stage) {
  switch (stage) {
    case GuestStage::none:
      break;
    case GuestStage::real_mode:
      return "in real mode, switching to protected mode";
    case GuestStage::protected_mode:
      return "in protected mode, switching to long mode";
    case GuestStage::long_mode:
      return "in long mode";
  }
  return "before its first instruction";
}

}  // namespace

KvmVerdict judge_guest_run(const GuestRun& run, bool pvm_loaded) {
  const std::string hint =
      pvm_loaded ? "; kvm_pvm is loaded: a PVM host runs only guest kernels built for PVM" : "";
  if (!run.failed_step.empty()) {
    return {.usable = false,
            .reason = run.err == 0 ? run.failed_step
                                   : fmt::format("{}: {}", run.failed_step, std::strerror(run.err))};
  }
  if (run.timed_out) {
    return {.usable = false,
            .reason = fmt::format("KVM_RUN did not finish the test guest within {} ms; it was last seen {}{}",
                                  kGuestDeadline.count(), where(run.stage), hint)};
  }
  const bool io = run.exit_reason == KVM_EXIT_IO && run.io_out;
  if (io && run.io_port == kAnswerPort && run.io_value == kAnswer && run.stage == GuestStage::long_mode) {
    return {.usable = true, .reason = ""};
  }
  if (io) {
    return {.usable = false,
            .reason = fmt::format("the test guest wrote {} to port {:#x} instead of 42 to port 0x10, {}{}",
                                  run.io_value, run.io_port, where(run.stage), hint)};
  }
  return {.usable = false,
          .reason = fmt::format("the test guest stopped with {} {}{}", exit_name(run.exit_reason),
                                where(run.stage), hint)};
}

std::vector<std::string> kvm_modules(const Root& root) {
  std::set<std::string> names;
  if (const auto modules = root.read("/proc/modules")) {
    for (const std::string_view line : sys::split_lines(*modules)) {
      const std::string_view name = line.substr(0, line.find(' '));
      if (name.starts_with("kvm")) {
        names.emplace(name);
      }
    }
  }
  for (const std::string& name : root.list("/sys/module")) {
    if (name.starts_with("kvm")) {
      names.insert(name);
    }
  }
  return {names.begin(), names.end()};
}

#if defined(__x86_64__)

namespace {

// The test guest, assembled for 0x1000 (tools: GNU as, .code16/.code32/.code64).
// It enters long mode the way a boot loader does, because that is where a
// PVM host fails (it takes a 64-bit vCPU state set from outside, but a
// guest that writes EFER.LME itself triple-faults), while real mode alone
// runs even there. It needs the page tables' pages (0x2000-0x4fff) zeroed.
/* clang-format off */
constexpr std::array<std::uint8_t, 174> kGuest{
    0xfa,                                            // cli (16-bit real mode, CS=0, IP=0x1000)
    0xb0, 0x01,                                      // mov al, 1
    0xe6, 0x11,                                      // out 0x11, al (stage 1: the first instruction ran)
    0x31, 0xc0,                                      // xor ax, ax
    0x8e, 0xd8,                                      // mov ds, ax
    0x66, 0x0f, 0x01, 0x16, 0xa8, 0x10,              // lgdt [0x10a8]
    0x0f, 0x20, 0xc0,                                // mov eax, cr0
    0x66, 0x83, 0xc8, 0x01,                          // or eax, 1 (CR0.PE)
    0x0f, 0x22, 0xc0,                                // mov cr0, eax
    0x66, 0xea, 0x21, 0x10, 0x00, 0x00, 0x08, 0x00,  // jmp dword 0x08:0x1021 (into 32-bit code)
    0x66, 0xb8, 0x10, 0x00,                          // mov ax, 0x10
    0x8e, 0xd8,                                      // mov ds, eax
    0x8e, 0xc0,                                      // mov es, eax
    0x8e, 0xd0,                                      // mov ss, eax
    0xb0, 0x02,                                      // mov al, 2
    0xe6, 0x11,                                      // out 0x11, al (stage 2: protected mode)
    0xc7, 0x05, 0x00, 0x20, 0x00, 0x00, 0x03, 0x30, 0x00, 0x00,  // mov dword [0x2000], 0x3003 (PML4[0])
    0xc7, 0x05, 0x00, 0x30, 0x00, 0x00, 0x03, 0x40, 0x00, 0x00,  // mov dword [0x3000], 0x4003 (PDPT[0])
    0xc7, 0x05, 0x00, 0x40, 0x00, 0x00, 0x83, 0x00, 0x00, 0x00,  // mov dword [0x4000], 0x83 (2 MiB page)
    0xb8, 0x00, 0x20, 0x00, 0x00,                    // mov eax, 0x2000
    0x0f, 0x22, 0xd8,                                // mov cr3, eax
    0x0f, 0x20, 0xe0,                                // mov eax, cr4
    0x83, 0xc8, 0x20,                                // or eax, 0x20 (CR4.PAE)
    0x0f, 0x22, 0xe0,                                // mov cr4, eax
    0xb9, 0x80, 0x00, 0x00, 0xc0,                    // mov ecx, 0xc0000080 (EFER)
    0x0f, 0x32,                                      // rdmsr
    0x0d, 0x00, 0x01, 0x00, 0x00,                    // or eax, 0x100 (EFER.LME)
    0x0f, 0x30,                                      // wrmsr
    0x0f, 0x20, 0xc0,                                // mov eax, cr0
    0x0d, 0x00, 0x00, 0x00, 0x80,                    // or eax, 0x80000000 (CR0.PG: long mode)
    0x0f, 0x22, 0xc0,                                // mov cr0, eax
    0xea, 0x7e, 0x10, 0x00, 0x00, 0x18, 0x00,        // jmp 0x18:0x107e (into 64-bit code)
    0xb0, 0x03,                                      // mov al, 3
    0xe6, 0x11,                                      // out 0x11, al (stage 3: long mode)
    0xb0, 0x2a,                                      // mov al, 42
    0xe6, 0x10,                                      // out 0x10, al (the answer)
    0xf4,                                            // hlt
    0x90,                                            // nop (pads the GDT to 8 bytes)
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // GDT[0]: null
    0xff, 0xff, 0x00, 0x00, 0x00, 0x9a, 0xcf, 0x00,  // GDT[1] 0x08: 32-bit code, flat
    0xff, 0xff, 0x00, 0x00, 0x00, 0x92, 0xcf, 0x00,  // GDT[2] 0x10: data, flat
    0xff, 0xff, 0x00, 0x00, 0x00, 0x9a, 0xaf, 0x00,  // GDT[3] 0x18: 64-bit code
    0x1f, 0x00, 0x88, 0x10, 0x00, 0x00,              // at 0x10a8: the GDT's limit and base
};
/* clang-format on */

constexpr std::uint16_t kStagePort = 0x11;
constexpr std::uint64_t kGuestEntry = 0x1000;
constexpr std::size_t kGuestMemory = 0x10000;  // 64 KiB from guest address 0
constexpr std::size_t kMaxCode = 0x1000;       // up to the page tables at 0x2000
constexpr int kMaxRuns = 8;                    // each stage mark is one KVM_RUN

// An anonymous or device mapping, unmapped on destruction.
class Mapping {
 public:
  Mapping(std::size_t size, int fd)
      : size_(size),
        address_(::mmap(nullptr, size, PROT_READ | PROT_WRITE,
                        fd < 0 ? MAP_PRIVATE | MAP_ANONYMOUS : MAP_SHARED, fd, 0)) {}
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ~Mapping() {
    if (valid()) {
      ::munmap(address_, size_);
    }
  }
  [[nodiscard]] bool valid() const { return address_ != MAP_FAILED; }
  [[nodiscard]] void* get() const { return address_; }
  [[nodiscard]] std::size_t size() const { return size_; }

 private:
  std::size_t size_;
  void* address_;
};

// The vCPU the deadline's signal kicks: the handler sets immediate_exit, so
// a signal that lands just before KVM_RUN still makes it return at once.
std::atomic<kvm_run*> g_kicked{nullptr};
std::mutex g_guest_lock;  // one test guest at a time: g_kicked is shared

void kick(int /*signal*/) {
  if (kvm_run* run = g_kicked.load()) {
    run->immediate_exit = 1;
  }
}

// The deadline: a per-thread timer whose signal (first after `deadline`, then
// every 5 ms in case one lands between checks) interrupts KVM_RUN with EINTR.
// The destructor deletes the timer, swallows a signal still pending and puts
// the old handler and signal mask back.
class Deadline {
 public:
  Deadline(kvm_run* run, std::chrono::milliseconds deadline) : signal_(SIGRTMAX) {
    g_kicked.store(run);
    struct sigaction action = {};
    action.sa_handler = kick;  // no SA_RESTART: KVM_RUN must return EINTR
    sigemptyset(&action.sa_mask);
    installed_ = ::sigaction(signal_, &action, &old_action_) == 0;
    sigset_t unblock;
    sigemptyset(&unblock);
    sigaddset(&unblock, signal_);
    ::pthread_sigmask(SIG_UNBLOCK, &unblock, &old_mask_);
    sigevent event = {};
    event.sigev_notify = SIGEV_THREAD_ID;
    event.sigev_signo = signal_;
    event._sigev_un._tid = ::gettid();
    armed_ = installed_ && ::timer_create(CLOCK_MONOTONIC, &event, &timer_) == 0;
    // A zero it_value would disarm the timer and leave KVM_RUN unbounded.
    const auto ns = std::chrono::nanoseconds(std::max(deadline, std::chrono::milliseconds(1))).count();
    itimerspec spec = {};
    spec.it_value = {.tv_sec = ns / 1'000'000'000, .tv_nsec = ns % 1'000'000'000};
    spec.it_interval = {.tv_sec = 0, .tv_nsec = 5'000'000};
    if (armed_ && ::timer_settime(timer_, 0, &spec, nullptr) != 0) {
      (void)::timer_delete(timer_);
      armed_ = false;
    }
  }
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;
  ~Deadline() {
    if (armed_) {
      (void)::timer_delete(timer_);
    }
    sigset_t only;
    sigemptyset(&only);
    sigaddset(&only, signal_);
    ::pthread_sigmask(SIG_BLOCK, &only, nullptr);
    const timespec now = {};
    while (::sigtimedwait(&only, nullptr, &now) == signal_) {
    }
    if (installed_) {
      ::sigaction(signal_, &old_action_, nullptr);
    }
    ::pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
    g_kicked.store(nullptr);
  }

  // Without a timer KVM_RUN could block for good, so the guest is not run.
  [[nodiscard]] bool armed() const { return armed_; }

 private:
  int signal_;  // the last real-time signal: the one least likely to be in use
  struct sigaction old_action_ = {};
  sigset_t old_mask_ = {};
  timer_t timer_ = {};
  bool installed_ = false;
  bool armed_ = false;
};

GuestRun failed(std::string step, int err = errno) {
  return GuestRun{.failed_step = std::move(step), .err = err};
}

// Real mode at CS:IP 0:0x1000; the guest does the rest itself.
bool set_entry_state(int vcpu) {
  kvm_sregs sregs = {};
  if (::ioctl(vcpu, KVM_GET_SREGS, &sregs) != 0) {
    return false;
  }
  sregs.cs.base = 0;
  sregs.cs.selector = 0;
  kvm_regs regs = {};
  regs.rip = kGuestEntry;
  regs.rflags = 0x2;  // bit 1 is always set
  return ::ioctl(vcpu, KVM_SET_SREGS, &sregs) == 0 && ::ioctl(vcpu, KVM_SET_REGS, &regs) == 0;
}

// KVM_RUN until the guest says something other than a stage mark.
void run_until_answer(int vcpu, const Mapping& shared, GuestRun& out) {
  auto* run = static_cast<kvm_run*>(shared.get());
  for (int i = 0; i < kMaxRuns; ++i) {
    if (::ioctl(vcpu, KVM_RUN, 0) != 0) {
      if (errno == EINTR && run->immediate_exit == 0) {
        continue;  // another signal, not the deadline
      }
      out.timed_out = errno == EINTR;
      out.failed_step = out.timed_out ? "" : "KVM_RUN";
      out.err = out.timed_out ? 0 : errno;
      return;
    }
    out.exit_reason = run->exit_reason;
    if (run->exit_reason != KVM_EXIT_IO || run->io.data_offset >= shared.size()) {
      return;
    }
    out.io_port = run->io.port;
    out.io_out = run->io.direction == KVM_EXIT_IO_OUT;
    out.io_value = static_cast<const std::uint8_t*>(shared.get())[run->io.data_offset];
    if (!out.io_out || out.io_port != kStagePort) {
      return;
    }
    out.stage = static_cast<GuestStage>(out.io_value);
  }
}

GuestRun run_vcpu(int kvm, int vm, std::span<const std::uint8_t> code, std::chrono::milliseconds deadline) {
  Mapping memory(kGuestMemory, -1);
  if (!memory.valid()) {
    return failed("mmap guest memory");
  }
  std::memcpy(static_cast<std::uint8_t*>(memory.get()) + kGuestEntry, code.data(), code.size());
  const kvm_userspace_memory_region region{.slot = 0,
                                           .flags = 0,
                                           .guest_phys_addr = 0,
                                           .memory_size = kGuestMemory,
                                           .userspace_addr = reinterpret_cast<std::uintptr_t>(memory.get())};
  if (::ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) != 0) {
    return failed("KVM_SET_USER_MEMORY_REGION");
  }
  const UniqueFd vcpu(::ioctl(vm, KVM_CREATE_VCPU, 0));
  if (!vcpu) {
    return failed("KVM_CREATE_VCPU");
  }
  const int run_size = ::ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
  if (run_size < static_cast<int>(sizeof(kvm_run))) {
    return failed("KVM_GET_VCPU_MMAP_SIZE");
  }
  const Mapping shared(static_cast<std::size_t>(run_size), vcpu.get());
  if (!shared.valid()) {
    return failed("mmap the vCPU's kvm_run");
  }
  if (!set_entry_state(vcpu.get())) {
    return failed("KVM_SET_SREGS/KVM_SET_REGS");
  }
  const Deadline timer(static_cast<kvm_run*>(shared.get()), deadline);
  if (!timer.armed()) {
    return failed("timer_create for the deadline");
  }
  GuestRun out;
  run_until_answer(vcpu.get(), shared, out);
  return out;
}

}  // namespace

GuestRun run_test_guest(std::chrono::milliseconds deadline) {
  return run_guest_code(kGuest, deadline);
}

GuestRun run_guest_code(std::span<const std::uint8_t> code, std::chrono::milliseconds deadline) {
  if (code.size() > kMaxCode) {
    return failed("the guest code is larger than 4 KiB", 0);
  }
  const std::scoped_lock lock(g_guest_lock);
  const UniqueFd kvm(::open("/dev/kvm", O_RDWR | O_CLOEXEC));
  if (!kvm) {
    return failed("open /dev/kvm");
  }
  if (const int version = ::ioctl(kvm.get(), KVM_GET_API_VERSION, 0); version != KVM_API_VERSION) {
    return failed(fmt::format("KVM_GET_API_VERSION answered {}, not {}", version, KVM_API_VERSION), 0);
  }
  const UniqueFd vm(::ioctl(kvm.get(), KVM_CREATE_VM, 0));
  if (!vm) {
    return failed("KVM_CREATE_VM");
  }
  // Intel CPUs without "unrestricted guest" need a TSS for real mode; on
  // others this is a harmless no-op, so its failure is not one.
  (void)::ioctl(vm.get(), KVM_SET_TSS_ADDR, 0xfffbd000UL);
  return run_vcpu(kvm.get(), vm.get(), code, deadline);
}

#endif

void add_kvm_facts(const Root& root, Facts& facts) {
  const bool present = root.exists("/dev/kvm");
  if (root.is_dir("/dev")) {
    add(facts, "kvm.present", present, "/dev/kvm");
  }
  const std::vector<std::string> modules = kvm_modules(root);
  if (root.exists("/proc/modules") || root.is_dir("/sys/module")) {
    add(facts, "kvm.modules", modules, "/proc/modules, /sys/module");
  }
#if defined(__x86_64__)
  if (!root.is_live()) {
    return;
  }
  const KvmVerdict verdict =
      present ? judge_guest_run(run_test_guest(), std::ranges::find(modules, "kvm_pvm") != modules.end())
              : KvmVerdict{.usable = false, .reason = "no /dev/kvm"};
  add(facts, "kvm.usable", verdict.usable, "KVM_RUN of a test guest");
  if (!verdict.usable) {
    add(facts, "kvm.reason", verdict.reason, "KVM_RUN of a test guest");
  }
#endif
}

}  // namespace strata::probe::hw
