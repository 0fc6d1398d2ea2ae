#include "isolate/sandbox/sync.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <string_view>

namespace strata {

namespace {

template <std::size_t N>
void copy_text(char (&out)[N], std::string_view text) {
  const std::size_t n = std::min(text.size(), N - 1);
  std::memcpy(out, text.data(), n);
  out[n] = '\0';
}

template <std::size_t N>
std::string text_of(const char (&field)[N]) {
  return {field, ::strnlen(field, N)};
}

}  // namespace

Error Message::to_error() const {
  return Error{.step = text_of(step),
               .path = text_of(path),
               .err = err,
               .detail = text_of(detail),
               .exit_code = kExitFailure};
}

Result<std::pair<SyncChannel, SyncChannel>> SyncChannel::make_pair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) {
    return fail_errno("create sync socketpair");
  }
  return std::pair{SyncChannel(UniqueFd(fds[0])), SyncChannel(UniqueFd(fds[1]))};
}

Result<> SyncChannel::ids_mapped() {
  Message message{.kind = MessageKind::ids_mapped};
  if (::send(fd_.get(), &message, sizeof message, MSG_NOSIGNAL) != sizeof message) {
    return fail_errno("tell the sandbox its id maps are written");
  }
  return {};
}

Result<std::optional<Message>> SyncChannel::receive(bool wait) {
  Message message;
  ssize_t n = 0;
  do {
    n = ::recv(fd_.get(), &message, sizeof message, wait ? 0 : MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n == 0 || (n < 0 && !wait && errno == EAGAIN)) {
    return std::nullopt;
  }
  if (n < 0) {
    return fail_errno("read the sync channel");
  }
  if (n != sizeof message) {
    return fail("read the sync channel", "", "short message");
  }
  return message;
}

bool SyncChannel::wait_for_id_maps() {
  Message message;
  ssize_t n = 0;
  do {
    n = ::recv(fd_.get(), &message, sizeof message, 0);
  } while (n < 0 && errno == EINTR);
  return n == sizeof message && message.kind == MessageKind::ids_mapped;
}

void SyncChannel::setup_failed(const Error& error) {
  Message message{.kind = MessageKind::setup_failed, .err = error.err};
  copy_text(message.step, error.step);
  copy_text(message.path, error.path);
  copy_text(message.detail, error.detail);
  send(message);
}

void SyncChannel::exec_failed(int err, const char* command) {
  Message message{.kind = MessageKind::exec_failed, .err = err};
  copy_text(message.step, "execute");
  copy_text(message.path, command);
  send(message);
}

void SyncChannel::workload_exited(int exit_code, int signal) {
  send(Message{.kind = MessageKind::workload_exited, .exit_code = exit_code, .signal = signal});
}

void SyncChannel::send(const Message& message) {
  [[maybe_unused]] ssize_t n = ::send(fd_.get(), &message, sizeof message, MSG_NOSIGNAL);
}

}  // namespace strata
