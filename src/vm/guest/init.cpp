#include "vm/guest/init.hpp"

#include <sys/reboot.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "base/log.hpp"
#include "vm/guest/setup.hpp"
#include "vm/guest/workload.hpp"

namespace strata::vm {

namespace {

// The guest ends by powering off; QEMU (-no-reboot) then exits. Its only
// storage is the host's shares, where every write already went through to
// virtiofsd; but pages dirtied through a shared mapping of a writable share
// are still in the guest, so those runs sync (which costs a syncfs of the
// host's filesystem: 0 to 100 ms).
[[noreturn]] void power_off(bool writable_shares) {
  if (writable_shares) {
    ::sync();
  }
  ::reboot(RB_POWER_OFF);
  while (true) {
    ::pause();
  }
}

// Before the channel exists, the console is the only way out: the host shows
// its last lines when the guest ends without a status.
[[noreturn]] void die_on_console(const Error& error) {
  (void)std::fprintf(stderr, "strata vm-init: %s\n", error.message().c_str());
  power_off(false);
}

Result<GuestStatus> serve(int channel, bool& writable_shares) {
  if (auto ok = guest::send_frame(channel, FrameType::ready, {}); !ok) {
    return std::unexpected(ok.error());
  }
  FrameReader reader;
  auto job = guest::receive_job(channel, reader);
  if (!job) {
    return std::unexpected(job.error());
  }
  writable_shares = std::ranges::any_of(job->shares, [](const Share& share) { return !share.read_only; });
  if (auto ok = guest::enter_root(*job); !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = guest::bring_up_network(*job); !ok) {
    return std::unexpected(ok.error());
  }
  if (::sethostname(job->hostname.data(), job->hostname.size()) != 0) {
    return fail_errno("set the guest's hostname", job->hostname);
  }
  return guest::run_workload(*job, channel, reader);
}

}  // namespace

int guest_init_main() {
  if (::getpid() != 1) {
    log::line("vm-init: this is the VM guest's init; it runs only as pid 1 inside a strata VM");
    return kExitFailure;
  }
  if (auto ok = guest::mount_early(); !ok) {
    die_on_console(ok.error());
  }
  if (auto ok = guest::load_modules(); !ok) {
    die_on_console(ok.error());
  }
  auto channel = guest::open_channel();
  if (!channel) {
    die_on_console(channel.error());
  }
  bool writable_shares = true;  // until the Job says otherwise
  auto status = serve(channel->get(), writable_shares);
  const auto sent = status
                        ? guest::send_frame(channel->get(), FrameType::status, to_json_text(*status))
                        : guest::send_frame(channel->get(), FrameType::error, to_json_text(status.error()));
  if (!sent) {
    die_on_console(sent.error());
  }
  power_off(writable_shares);
}

}  // namespace strata::vm
