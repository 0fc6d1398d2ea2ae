#include "harness.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
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

std::string strata_bin() {
  return STRATA_BIN;
}
std::string probe_bin() {
  return PROBE_BIN;
}

Process Process::start(const std::vector<std::string>& argv, const std::vector<int>& leak_fds,
                       const std::function<void()>& in_child) {
  Process p;
  UniqueFd child_in, child_out, child_err;
  pipe_pair(child_in, p.in_);
  pipe_pair(p.out_, child_out);
  pipe_pair(p.err_, child_err);
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
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
    if (in_child) {
      in_child();
    }
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return p;
}

void Process::write_stdin(const std::string& data) {
  [[maybe_unused]] ssize_t n = ::write(in_.get(), data.data(), data.size());
}

void Process::close_stdin() {
  in_.reset();
}

std::optional<std::string> Process::read_line(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (auto nl = out_buffer_.find('\n'); nl != std::string::npos) {
      std::string line = out_buffer_.substr(0, nl);
      out_buffer_.erase(0, nl + 1);
      return line;
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
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

void Process::kill(int sig) const {
  ::kill(pid_, sig);
}

Finished Process::wait(std::chrono::milliseconds timeout) {
  close_stdin();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool out_open = true;
  bool err_open = true;
  while (out_open || err_open) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
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

std::vector<std::string> probe_argv(const std::vector<std::string>& flags,
                                    const std::vector<std::string>& probe_args) {
  bool host = false;
  for (std::size_t i = 0; i < flags.size(); ++i) {
    host = host || flags[i] == "--isolation=host" ||
           (flags[i] == "--isolation" && i + 1 < flags.size() && flags[i + 1] == "host");
  }
  std::vector<std::string> argv{strata_bin(), "run"};
  if (!host) {
    argv.push_back("--ro-bind");
    argv.push_back(probe_bin() + ":" + kProbeInside);
  }
  argv.insert(argv.end(), flags.begin(), flags.end());
  argv.push_back("--");
  argv.push_back(host ? probe_bin() : std::string(kProbeInside));
  argv.insert(argv.end(), probe_args.begin(), probe_args.end());
  return argv;
}

Finished probe(const std::vector<std::string>& flags, const std::vector<std::string>& probe_args) {
  return run(probe_argv(flags, probe_args));
}

Process start_probe(const std::vector<std::string>& flags, const std::vector<std::string>& probe_args,
                    const std::vector<int>& leak_fds) {
  return Process::start(probe_argv(flags, probe_args), leak_fds);
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

std::string describe(const Finished& f) {
  std::ostringstream out;
  out << "exit_code=" << f.exit_code << " signal=" << f.signal << " stdout=[" << f.out << "] stderr=["
      << f.err << "]";
  return out.str();
}

std::string unique_token() {
  unsigned char bytes[16];
  std::ifstream random("/dev/urandom", std::ios::binary);
  if (!random.read(reinterpret_cast<char*>(bytes), sizeof bytes)) {
    throw std::runtime_error("cannot read /dev/urandom");
  }
  std::string out;
  for (unsigned char b : bytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    out += kHex[b >> 4];
    out += kHex[b & 0xf];
  }
  return out;
}

TempDir::TempDir() {
  std::string pattern = "/tmp/strata-it-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed");
  }
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  if (!out.flush()) {
    throw std::runtime_error("cannot write " + path);
  }
}

bool path_exists(const std::string& path) {
  struct stat st = {};
  return ::lstat(path.c_str(), &st) == 0;
}

namespace {

std::vector<pid_t> all_pids() {
  std::vector<pid_t> out;
  DIR* dir = ::opendir("/proc");
  if (dir == nullptr) {
    throw std::runtime_error("cannot list /proc");
  }
  while (const dirent* entry = ::readdir(dir)) {
    const std::string name = entry->d_name;
    if (!name.empty() && std::ranges::all_of(name, [](char c) { return c >= '0' && c <= '9'; })) {
      out.push_back(static_cast<pid_t>(std::stol(name)));
    }
  }
  ::closedir(dir);
  return out;
}

// The parent of pid from /proc/PID/stat, or nullopt if it is gone.
std::optional<pid_t> parent_of(pid_t pid) {
  auto stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) {
    return std::nullopt;
  }
  // "pid (comm) S ppid ..." where comm may contain anything: use the last ')'.
  const auto paren = stat->rfind(')');
  if (paren == std::string::npos) {
    return std::nullopt;
  }
  std::istringstream fields(stat->substr(paren + 1));
  std::string state;
  long ppid = 0;
  if (!(fields >> state >> ppid)) {
    return std::nullopt;
  }
  return static_cast<pid_t>(ppid);
}

}  // namespace

std::set<pid_t> descendants_of(pid_t ancestor) {
  std::map<pid_t, pid_t> parents;
  for (pid_t pid : all_pids()) {
    if (auto ppid = parent_of(pid)) {
      parents[pid] = *ppid;
    }
  }
  std::set<pid_t> out;
  for (const auto& [pid, ppid] : parents) {
    // Walk up; a cycle cannot happen, but bound the walk anyway.
    pid_t up = ppid;
    for (int depth = 0; depth < 4096 && up > 0; ++depth) {
      if (up == ancestor) {
        out.insert(pid);
        break;
      }
      auto it = parents.find(up);
      if (it == parents.end()) {
        break;
      }
      up = it->second;
    }
  }
  return out;
}

std::set<pid_t> processes_carrying(const std::string& marker) {
  std::set<pid_t> out;
  for (pid_t pid : all_pids()) {
    if (pid == ::getpid()) {
      continue;
    }
    for (const char* file : {"/cmdline", "/environ"}) {
      auto text = read_file("/proc/" + std::to_string(pid) + file);
      if (text && text->find(marker) != std::string::npos) {
        out.insert(pid);
      }
    }
  }
  return out;
}

}  // namespace strata::test
