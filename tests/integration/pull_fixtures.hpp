// Shared by the `strata image pull` tests (pull_test.cpp against a real
// docker-registry, pull_faults_test.cpp against tests/registry/fake_registry.py):
// servers started on 127.0.0.1 and stopped with the test, and `strata image`
// with a store (and credentials files) of the test's own.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <thread>

#include "image_fixtures.hpp"

namespace strata::test {

// A port free right now on 127.0.0.1 (the kernel's choice).
inline int free_port() {
  const UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (!fd || ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return -1;
  }
  return ntohs(addr.sin_port);
}

inline bool port_answers(int port) {
  const UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  return fd && ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
}

// The path of a program on $PATH (Process::start wants one); "" if absent.
inline std::string tool_path(const std::string& name) {
  const Finished f = run({"/bin/sh", "-c", "command -v " + name});
  return f.exit_code == 0 ? f.out.substr(0, f.out.find('\n')) : "";
}

// A server process, stopped (SIGTERM, then reaped) on destruction.
class Server {
 public:
  Server() = default;
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  ~Server() { stop(); }

  // Starts argv and waits until `port` accepts connections (5 s at most);
  // with port -1, does not wait.
  bool start(const std::vector<std::string>& argv, int port) {
    std::vector<std::string> resolved = argv;
    resolved[0] = tool_path(argv[0]);
    process_.emplace(Process::start(resolved));
    if (port < 0) {
      return true;
    }
    for (int i = 0; i < 250; ++i) {
      if (port_answers(port)) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
  void stop() {
    if (process_) {
      process_->kill(SIGTERM);
      process_->wait(std::chrono::seconds(5));
      process_.reset();
    }
  }

 private:
  std::optional<Process> process_;
};

// Waits for a file a server writes its port into; -1 after 5 s.
inline int wait_for_port_file(const std::string& path) {
  for (int i = 0; i < 250; ++i) {
    if (auto text = read_file(path); text && !text->empty()) {
      return std::stoi(*text);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return -1;
}

class PullStoreTest : public ImageStoreTest {
 protected:
  // `strata image ARGS` with the test's store and extra environment.
  Finished image_env(const std::vector<std::string>& env, const std::vector<std::string>& args,
                     const std::string& input = "") {
    std::vector<std::string> argv{"/usr/bin/env", "STRATA_HOME=" + home_.path(), "HOME=" + home_.path()};
    argv.insert(argv.end(), env.begin(), env.end());
    argv.emplace_back(strata_bin());
    argv.emplace_back("image");
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, input);
  }
  [[nodiscard]] std::vector<std::string> partials() const {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(home_ / "staging/pull", ec)) {
      out.push_back(e.path().filename().string());
    }
    return out;
  }
  [[nodiscard]] bool has_tags() const {
    const auto refs = read_file(home_ / "refs.json");
    return refs &&
           nlohmann::json::parse(*refs, nullptr, false).value("refs", nlohmann::json::object()).size() > 0;
  }
};

// One line "strata: image: ...", exit 125.
inline void expect_pull_failure(const Finished& f, const std::string& needle) {
  EXPECT_EQ(f.exit_code, 125) << describe(f);
  EXPECT_EQ(lines(f.err).size(), 1U) << f.err;
  EXPECT_TRUE(f.err.starts_with("strata: image: ")) << f.err;
  EXPECT_NE(f.err.find(needle), std::string::npos) << "wanted '" << needle << "' in: " << f.err;
}

}  // namespace strata::test
