// The channel between strata on the host and strata as the guest's init: one
// virtio-serial port named "strata.channel", carrying frames both ways. One
// port, so the guest's last output frames always arrive before its status.
//
// A frame is a 1-byte type, a 4-byte little-endian payload length, then the
// payload. The host sends the Job first, then stdin; the guest sends the
// workload's output, then exactly one status or error frame, then powers off.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "spec/spec.hpp"

namespace strata::vm {

// The port's name, as the guest finds it in /sys/class/virtio-ports/*/name.
inline constexpr std::string_view kChannelName = "strata.channel";

// The largest payload either side accepts; output is sent in smaller pieces.
inline constexpr std::size_t kMaxPayload = 1U << 20;

enum class FrameType : std::uint8_t {
  // host -> guest
  job = 1,         // the Job, as JSON; always the first frame
  stdin_data = 2,  // bytes for the workload's stdin
  stdin_eof = 3,   // the caller's stdin ended
  signal = 4,      // deliver this signal (decimal text) to the workload
  // guest -> host
  stdout_data = 16,
  stderr_data = 17,
  status = 18,  // how the workload ended, as JSON (GuestStatus)
  error = 19,   // init failed before or while starting the workload, as JSON (Error)
  ready = 20,   // init is up and listening: the host sends the Job (and stops its boot watchdog)
};

struct Frame {
  FrameType type = FrameType::job;
  std::string payload;
};

// One frame as bytes on the wire.
std::string encode_frame(FrameType type, std::string_view payload);

// Reassembles frames from a byte stream read in arbitrary pieces.
class FrameReader {
 public:
  // Adds bytes; an error for an unknown type or an oversized frame (the
  // stream cannot be trusted after that).
  Result<> feed(std::string_view bytes);
  // The next complete frame, if one has arrived.
  std::optional<Frame> next();

 private:
  std::string buffer_;
  std::deque<Frame> frames_;
};

// A directory the host shares with the guest over virtio-fs.
struct Share {
  std::string tag;          // the virtio-fs tag ("root", "share1", ...)
  std::string destination;  // where the guest mounts it; "/" for the root
  bool read_only = true;

  bool operator==(const Share&) const = default;
};

// What the guest's init does, sent by the host as the first frame.
struct Job {
  std::vector<std::string> argv;
  std::vector<std::string> env;  // NAME=VALUE
  std::string cwd = "/";
  bool cwd_required = false;  // --workdir given: failing to enter it is an error
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::string hostname = "strata";
  std::vector<RlimitSpec> rlimits;
  std::vector<Share> shares;     // the root first, then in mount order
  std::vector<MountSpec> tmpfs;  // --tmpfs, mounted after the shares
  bool private_tmp = true;       // a tmpfs on /tmp (not for an image: it has its own)
  // Binds below /tmp: part of the root share's tree, which the private /tmp
  // would hide, so the guest lifts them onto it.
  std::vector<std::string> under_tmp;
  bool network = false;  // --net user: bring up eth0 for QEMU's user-mode network
  // vm+sandbox, vm+container: strata's own arguments ("strata", "run", ...);
  // the init runs itself with them, which sandboxes argv inside the guest.
  std::vector<std::string> inner;

  bool operator==(const Job&) const = default;
};

std::string to_json_text(const Job& job);
Result<Job> parse_job(std::string_view text);

// How the workload ended, as the guest saw it.
struct GuestStatus {
  enum class Kind { exited, signaled, exec_failed } kind = Kind::exited;
  int code = 0;        // exited: the exit status; signaled: the signal; exec_failed: 126 or 127
  int err = 0;         // exec_failed: errno of execve
  std::string detail;  // exec_failed: the path tried

  bool operator==(const GuestStatus&) const = default;
};

std::string to_json_text(const GuestStatus& status);
Result<GuestStatus> parse_status(std::string_view text);

std::string to_json_text(const Error& error);
Result<Error> parse_error(std::string_view text);

}  // namespace strata::vm
