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

Result<std::optional<Incoming>> SyncChannel::receive(bool wait) {
  Incoming in;
  iovec data{&in.message, sizeof in.message};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  msghdr header{};
  header.msg_iov = &data;
  header.msg_iovlen = 1;
  header.msg_control = control;
  header.msg_controllen = sizeof control;
  ssize_t n = 0;
  do {
    n = ::recvmsg(fd_.get(), &header, MSG_CMSG_CLOEXEC | (wait ? 0 : MSG_DONTWAIT));
  } while (n < 0 && errno == EINTR);
  if (n == 0 || (n < 0 && !wait && errno == EAGAIN)) {
    return std::nullopt;
  }
  if (n < 0) {
    return fail_errno("read the sync channel");
  }
  for (cmsghdr* c = CMSG_FIRSTHDR(&header); c != nullptr; c = CMSG_NXTHDR(&header, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int))) {
      int fd = -1;
      std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
      in.fd.reset(fd);
    }
  }
  if (n != sizeof in.message) {
    return fail("read the sync channel", "", "short message");
  }
  return in;
}

Result<> SyncChannel::wait_for_child() {
  auto incoming = receive();
  if (!incoming) {
    return std::unexpected(incoming.error());
  }
  if (!*incoming) {
    return fail("start the sandbox", "", "the sandbox's first process exited before it was ready");
  }
  if ((*incoming)->message.kind == MessageKind::setup_failed) {
    return std::unexpected((*incoming)->message.to_error());
  }
  if ((*incoming)->message.kind != MessageKind::child_ready) {
    return fail("start the sandbox", "", "unexpected message from the sandbox");
  }
  return {};
}

bool SyncChannel::child_ready() {
  Message message{.kind = MessageKind::child_ready};
  return ::send(fd_.get(), &message, sizeof message, MSG_NOSIGNAL) == sizeof message;
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

void SyncChannel::pty_master(int fd) {
  send(Message{.kind = MessageKind::pty_master}, fd);
}

void SyncChannel::send(const Message& message, int fd) {
  iovec data{const_cast<Message*>(&message), sizeof message};  // NOLINT: sendmsg's iovec is not const
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))]{};
  msghdr header{};
  header.msg_iov = &data;
  header.msg_iovlen = 1;
  if (fd >= 0) {
    header.msg_control = control;
    header.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&header);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
  }
  [[maybe_unused]] ssize_t n = ::sendmsg(fd_.get(), &header, MSG_NOSIGNAL);
}

}  // namespace strata
