#include "harness.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>

namespace strata::test {

namespace {

void pipe_pair(UniqueFd& read_end, UniqueFd& write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe2 failed");
  }
  read_end.reset(fds[0]);
  write_end.reset(fds[1]);
}

// Reads what is available on fd into buffer; false at EOF.
bool drain(int fd, std::string& buffer) {
  char chunk[4096];
  const ssize_t n = ::read(fd, chunk, sizeof chunk);
  if (n > 0) {
    buffer.append(chunk, static_cast<std::size_t>(n));
    return true;
  }
  return n < 0 && (errno == EINTR || errno == EAGAIN);
}

}  // namespace

std::string strata_bin() { return STRATA_BIN; }
std::string probe_bin() { return PROBE_BIN; }

Process Process::start(const std::vector<std::string>& argv, const std::vector<int>& leak_fds) {
  Process p;
  UniqueFd child_in, child_out, child_err;
  pipe_pair(child_in, p.in_);
  pipe_pair(p.out_, child_out);
  pipe_pair(p.err_, child_err);
  std::vector<char*> args;
  for (const auto& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  p.pid_ = ::fork();
  if (p.pid_ < 0) {
    throw std::runtime_error("fork failed");
  }
  if (p.pid_ == 0) {
    ::dup2(child_in.get(), 0);
    ::dup2(child_out.get(), 1);
    ::dup2(child_err.get(), 2);
    for (int fd : leak_fds) {
      ::fcntl(fd, F_SETFD, 0);
    }
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return p;
}

void Process::write_stdin(const std::string& data) {
  [[maybe_unused]] ssize_t n = ::write(in_.get(), data.data(), data.size());
}

void Process::close_stdin() { in_.reset(); }

std::optional<std::string> Process::read_line(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (auto nl = out_buffer_.find('\n'); nl != std::string::npos) {
      std::string line = out_buffer_.substr(0, nl);
      out_buffer_.erase(0, nl + 1);
      return line;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return std::nullopt;
    }
    pollfd fd{out_.get(), POLLIN, 0};
    if (::poll(&fd, 1, static_cast<int>(left.count())) <= 0) {
      continue;
    }
    if (!drain(out_.get(), out_buffer_)) {
      return std::nullopt;
    }
  }
}

void Process::kill(int sig) const { ::kill(pid_, sig); }

Finished Process::wait(std::chrono::milliseconds timeout) {
  close_stdin();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool out_open = true;
  bool err_open = true;
  while (out_open || err_open) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ::kill(pid_, SIGKILL);
      break;
    }
    pollfd fds[2] = {{out_open ? out_.get() : -1, POLLIN, 0}, {err_open ? err_.get() : -1, POLLIN, 0}};
    if (::poll(fds, 2, static_cast<int>(left.count())) <= 0) {
      continue;
    }
    if (fds[0].revents != 0) {
      out_open = drain(out_.get(), out_buffer_);
    }
    if (fds[1].revents != 0) {
      err_open = drain(err_.get(), err_buffer_);
    }
  }
  int status = 0;
  ::waitpid(pid_, &status, 0);
  Finished f;
  f.out = std::move(out_buffer_);
  f.err = std::move(err_buffer_);
  if (WIFEXITED(status)) {
    f.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    f.signal = WTERMSIG(status);
  }
  return f;
}

Finished run(const std::vector<std::string>& argv, const std::string& input) {
  Process p = Process::start(argv);
  if (!input.empty()) {
    p.write_stdin(input);
  }
  return p.wait();
}

Finished strata(const std::vector<std::string>& args, const std::string& input) {
  std::vector<std::string> argv{strata_bin()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, input);
}

Finished probe(const std::vector<std::string>& flags, const std::vector<std::string>& probe_args) {
  std::vector<std::string> args{"run"};
  args.insert(args.end(), flags.begin(), flags.end());
  args.push_back("--");
  args.push_back(probe_bin());
  args.insert(args.end(), probe_args.begin(), probe_args.end());
  return strata(args);
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    if (nl == std::string::npos) {
      nl = text.size();
    }
    out.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}

}  // namespace strata::test
