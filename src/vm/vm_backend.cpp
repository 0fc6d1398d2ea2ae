#include "vm/vm_backend.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>

#include "base/log.hpp"
#include "isolate/supervise.hpp"
#include "vm/accel.hpp"
#include "vm/boot_probe.hpp"
#include "vm/initramfs.hpp"
#include "vm/kernel.hpp"
#include "vm/qemu.hpp"
#include "vm/session.hpp"
#include "vm/share.hpp"
#include "vm/tsc.hpp"

namespace strata::vm {

namespace {

using std::chrono::milliseconds;

// How long strata's init may take to say it is ready: a boot under TCG on a
// busy 2-core machine takes a few seconds; under KVM well under one.
constexpr milliseconds kBootBoundTcg{60'000};
constexpr milliseconds kBootBoundKvm{20'000};

Result<std::pair<UniqueFd, UniqueFd>> stream_pair(const char* what) {
  std::array<int, 2> fds{};
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds.data()) != 0) {
    return fail_errno(std::string("create the VM's ") + what);
  }
  return std::pair{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// A pipe for a helper's stderr: strata's end non-blocking, the helper's not.
Result<std::pair<UniqueFd, UniqueFd>> error_pipe(const char* whose) {
  std::array<int, 2> fds{};
  if (::pipe2(fds.data(), O_CLOEXEC) != 0) {
    return fail_errno(fmt::format("create a pipe for {}'s errors", whose));
  }
  ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
  return std::pair{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// strata's initramfs in a memfd: nothing on disk to clean up, and always
// the running strata's own code as the guest's init.
Result<UniqueFd> build_initramfs(const Kernel& kernel, bool network) {
  auto modules = resolve_modules(kernel.modules_dir, guest_module_names(network));
  if (!modules) {
    return std::unexpected(modules.error());
  }
  auto init = find_guest_init();
  if (!init) {
    return std::unexpected(init.error());
  }
  UniqueFd memfd(::memfd_create("strata-initramfs", MFD_CLOEXEC));
  if (!memfd) {
    return fail_errno("create the VM's initramfs");
  }
  if (auto ok = write_initramfs(memfd.get(), *init, *modules); !ok) {
    return std::unexpected(ok.error());
  }
  return memfd;
}

QemuConfig config_for(const Plan& plan, const std::string& qemu, const Kernel& kernel, bool kvm) {
  const VmSpec& machine = plan.vm->machine;
  return QemuConfig{.qemu = qemu,
                    .kvm = kvm,
                    .kernel = kernel.path,
                    .initrd = machine.initrd.value_or(fmt::format("/dev/fd/{}", kInitrdFd)),
                    .memory_mib = machine.memory_bytes >> 20U,
                    .cpus = machine.cpus,
                    .network = plan.vm->network,
                    .tsc_khz = kvm ? 0 : host_tsc_khz()};
}

Result<Outcome> boot_and_run(const Plan& plan, const std::string& qemu, const Kernel& kernel,
                             const Accel& accel) {
  const VmSpec& machine = plan.vm->machine;
  UniqueFd initramfs;
  if (!machine.initrd) {
    auto built = build_initramfs(kernel, plan.vm->network);
    if (!built) {
      return std::unexpected(built.error());
    }
    initramfs = std::move(*built);
  }
  auto virtiofsd = find_virtiofsd();
  if (!virtiofsd) {
    return std::unexpected(virtiofsd.error());
  }
  auto channel = stream_pair("channel");
  auto console = stream_pair("console");
  if (!channel || !console) {
    return std::unexpected(!channel ? channel.error() : console.error());
  }
  auto qemu_errors = error_pipe("QEMU");
  auto share_errors = error_pipe("virtiofsd");
  if (!qemu_errors || !share_errors) {
    return std::unexpected(!qemu_errors ? qemu_errors.error() : share_errors.error());
  }
  Session session;
  session.started = std::chrono::steady_clock::now();
  if (machine.keep_console) {
    session.console_file.reset(
        ::open(machine.keep_console->c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644));
    if (!session.console_file) {
      return fail_errno("open --keep-console", *machine.keep_console);
    }
  }
  // Blocked before anything starts, so a ^C is never lost; children unblock.
  auto signals = ForwardedSignals::block();
  if (!signals) {
    return std::unexpected(signals.error());
  }
  auto share = serve_root(*virtiofsd, plan, share_errors->second.get());
  if (!share) {
    return std::unexpected(share.error());
  }
  session.virtiofsd = std::move(share->virtiofsd);
  SpawnOptions options;
  options.fds = {{kConsoleFd, console->second.get()},
                 {kChannelFd, channel->second.get()},
                 {kRootShareFd, share->client.get()}};
  if (initramfs) {
    options.fds.emplace_back(kInitrdFd, initramfs.get());
  }
  options.stderr_fd = qemu_errors->second.get();
  auto process = spawn(qemu_argv(config_for(plan, qemu, kernel, accel.kind == AccelKind::kvm)), options);
  if (!process) {
    kill_and_reap(session.virtiofsd);
    return std::unexpected(process.error());
  }
  session.qemu = std::move(*process);
  session.channel = std::move(channel->first);
  session.console = std::move(console->first);
  session.qemu_errors = std::move(qemu_errors->first);
  session.share_errors = std::move(share_errors->first);
  session.signals = signals->fd();
  session.job = make_job(plan);
  session.kernel = kernel.path;
  session.boot_bound = accel.kind == AccelKind::kvm ? kBootBoundKvm : kBootBoundTcg;
  session.timeout = plan.resources.timeout;
  session.kill_after = plan.resources.kill_after;
  session.stop_signal = plan.resources.stop_signal.value_or(SIGTERM);
  // QEMU and virtiofsd hold their own copies now.
  qemu_errors->second.reset();
  share_errors->second.reset();
  share->client.reset();
  initramfs.reset();
  return run_session(session);
}

}  // namespace

Job make_job(const Plan& plan) {
  Job job;
  job.argv = plan.process.argv;
  job.env = plan.process.env;
  job.cwd = plan.process.cwd;
  job.cwd_required = plan.process.cwd_required;
  job.uid = plan.process.uid;
  job.gid = plan.process.gid;
  job.hostname = plan.hostname.value_or("strata");
  job.rlimits = plan.process.rlimits;
  job.shares.push_back(Share{.tag = "root", .destination = "/", .read_only = root_wholly_read_only(plan)});
  for (const auto& step : plan.mounts) {
    if (step.kind == StepKind::tmpfs) {
      job.tmpfs.push_back(MountSpec{
          .kind = MountKind::tmpfs, .source = {}, .destination = step.destination, .size = step.size});
    }
  }
  job.private_tmp = plan.vm && plan.vm->private_tmp;
  for (const auto& step : plan.mounts) {
    if (job.private_tmp && step.kind == StepKind::bind && step.destination.starts_with("/tmp/")) {
      job.under_tmp.push_back(step.destination);
    }
  }
  job.network = plan.vm && plan.vm->network;
  if (plan.vm && !plan.vm->inner.empty()) {
    // The inner strata starts as the guest's root and applies the ids and limits itself.
    job.inner = plan.vm->inner;
    job.uid = 0;
    job.gid = 0;
    job.rlimits.clear();
  }
  return job;
}

Result<Outcome> VmBackend::run(const Plan& plan) {
  if (!plan.vm) {
    return fail("run the VM", "", "the plan has no machine");
  }
  if (::geteuid() != 0) {
    return fail("run the VM", "", "--isolation vm needs root for now (virtiofsd serves the root as root)");
  }
  auto qemu = find_qemu(kQemuName);
  if (!qemu) {
    return std::unexpected(qemu.error());
  }
  auto kernel = find_kernel(plan.vm->machine.kernel);
  if (!kernel) {
    return std::unexpected(kernel.error());
  }
  auto accel = choose_accel(*qemu, kernel->path);
  if (!accel) {
    return std::unexpected(accel.error());
  }
  if (accel->kind == AccelKind::tcg && !accel->cached && !accel->forced) {
    log::warn("{}", describe(*accel));
  }
  log::debug("vm: kernel {} ({}), accelerator {}{}", kernel->path, kernel->release, accel_name(accel->kind),
             accel->reason.empty() ? "" : " (" + accel->reason + ")");
  return boot_and_run(plan, *qemu, *kernel, *accel);
}

Result<std::string> describe_command(const Plan& plan) {
  auto kernel = find_kernel(plan.vm->machine.kernel);
  if (!kernel) {
    return std::unexpected(kernel.error());
  }
  auto qemu = find_qemu(kQemuName);
  const std::string binary = qemu ? *qemu : kQemuName;
  // No probe for a dry run: show TCG, what a machine without usable KVM gets.
  const auto argv = qemu_argv(config_for(plan, binary, *kernel, false));
  std::string line = "qemu (with TCG; KVM replaces it where usable):";
  for (const auto& word : argv) {
    const bool quote = word.find_first_of(" \t\"'") != std::string::npos;
    line += quote ? fmt::format(" '{}'", word) : " " + word;
  }
  return line + "\n";
}

}  // namespace strata::vm
