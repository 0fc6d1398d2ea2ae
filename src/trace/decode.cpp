#include "trace/decode.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <linux/landlock.h>
#include <linux/sched.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "trace/classify.hpp"
#include "trace/syscalls.hpp"

namespace strata::trace {

namespace {

using Args = std::array<std::uint64_t, 6>;

int as_int(std::uint64_t value) {
  return static_cast<int>(static_cast<std::int32_t>(value & 0xffffffffU));
}

struct NamespaceFlag {
  std::uint64_t flag;
  const char* clone_name;
  const char* feature;
};
constexpr auto kNamespaceFlags = std::to_array<NamespaceFlag>({
    {CLONE_NEWUSER, "CLONE_NEWUSER", "user_namespace"},
    {CLONE_NEWNS, "CLONE_NEWNS", "mount_namespace"},
    {CLONE_NEWPID, "CLONE_NEWPID", "pid_namespace"},
    {CLONE_NEWNET, "CLONE_NEWNET", "net_namespace"},
    {CLONE_NEWIPC, "CLONE_NEWIPC", "ipc_namespace"},
    {CLONE_NEWUTS, "CLONE_NEWUTS", "uts_namespace"},
    {CLONE_NEWCGROUP, "CLONE_NEWCGROUP", "cgroup_namespace"},
    {CLONE_NEWTIME, "CLONE_NEWTIME", "time_namespace"},
});

// unshare(CLONE_NEWUSER) -> {"user_namespace", "unshare(CLONE_NEWUSER)"}.
// CLONE_NEWTIME shares its bit with clone(2)'s exit signal.
void namespace_features(const std::string& call, std::uint64_t flags, Pending& p) {
  for (const NamespaceFlag& ns : kNamespaceFlags) {
    if ((flags & ns.flag) != 0 && !(call == "clone" && ns.flag == CLONE_NEWTIME)) {
      p.features.emplace_back(ns.feature, fmt::format("{}({})", call, ns.clone_name));
    }
  }
  if (!p.features.empty()) {
    p.kind = Pending::Kind::features;
  }
}

// O_WRONLY, O_RDWR, O_CREAT, O_TRUNC: a write; O_DIRECTORY: a listing.
Access open_access(std::uint64_t flags) {
  if ((flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC)) != 0) {
    return Access::write;
  }
  return (flags & O_DIRECTORY) != 0 ? Access::list : Access::read;
}

void decode_open(const SyscallEntry& e, const TraceeReader& r, Pending& p) {
  const bool at = e.name != "open" && e.name != "creat";
  const auto path = r.string(e.args.at(at ? 1 : 0));
  if (!path) {
    return;
  }
  std::uint64_t flags = O_WRONLY | O_CREAT;  // creat
  if (e.name == "open") {
    flags = e.args[1];
  } else if (e.name == "openat") {
    flags = e.args[2];
  } else if (e.name == "openat2") {
    const auto how = r.bytes(e.args[2], sizeof(std::uint64_t));  // struct open_how starts with flags
    flags = 0;
    if (how) {
      std::memcpy(&flags, how->data(), sizeof flags);
    }
  }
  p.kind = Pending::Kind::open;
  p.path = r.absolute(at ? as_int(e.args[0]) : AT_FDCWD, *path);
  p.access = open_access(flags);
}

void decode_exec(const SyscallEntry& e, const TraceeReader& r, Pending& p) {
  const bool at = e.name == "execveat";
  p.kind = Pending::Kind::exec;  // without a path when unreadable: the exec event fills it in
  p.access = Access::exec;
  if (const auto path = r.string(e.args.at(at ? 1 : 0))) {
    p.path = r.absolute(at ? as_int(e.args[0]) : AT_FDCWD, *path);
  }
}

std::string family_name(int family) {
  switch (family) {
    case AF_UNIX:
      return "AF_UNIX";
    case AF_INET:
      return "AF_INET";
    case AF_INET6:
      return "AF_INET6";
    case AF_NETLINK:
      return "AF_NETLINK";
    case AF_PACKET:
      return "AF_PACKET";
    case AF_VSOCK:
      return "AF_VSOCK";
    default:
      return fmt::format("AF_{}", family);
  }
}

std::string type_name(std::uint64_t type) {
  switch (type & 0xfU) {
    case SOCK_STREAM:
      return "SOCK_STREAM";
    case SOCK_DGRAM:
      return "SOCK_DGRAM";
    case SOCK_RAW:
      return "SOCK_RAW";
    case SOCK_SEQPACKET:
      return "SOCK_SEQPACKET";
    default:
      return fmt::format("{}", type & 0xfU);
  }
}

// "127.0.0.1:53", "[::1]:80", "/run/x.sock", "@abstract"; empty when unknown.
std::string address_text(const std::string& raw, int family) {
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (family == AF_INET && raw.size() >= sizeof(sockaddr_in)) {
    sockaddr_in in{};
    std::memcpy(&in, raw.data(), sizeof in);
    if (::inet_ntop(AF_INET, &in.sin_addr, text.data(), text.size()) != nullptr) {
      return fmt::format("{}:{}", text.data(), ntohs(in.sin_port));
    }
  } else if (family == AF_INET6 && raw.size() >= sizeof(sockaddr_in6)) {
    sockaddr_in6 in6{};
    std::memcpy(&in6, raw.data(), sizeof in6);
    if (::inet_ntop(AF_INET6, &in6.sin6_addr, text.data(), text.size()) != nullptr) {
      return fmt::format("[{}]:{}", text.data(), ntohs(in6.sin6_port));
    }
  } else if (family == AF_UNIX && raw.size() > sizeof(sa_family_t)) {
    std::string path = raw.substr(sizeof(sa_family_t));
    if (path.front() == '\0') {
      return "@" +
             path.substr(1, path.find('\0', 1) == std::string::npos ? path.npos : path.find('\0', 1) - 1);
    }
    return path.substr(0, path.find('\0'));
  }
  return {};
}

void decode_address(const SyscallEntry& e, const TraceeReader& r, Pending& p) {
  p.kind = Pending::Kind::address;
  p.socket.call = e.name;
  const std::size_t size = std::min<std::uint64_t>(e.args[2], sizeof(sockaddr_storage));
  const auto raw = size >= sizeof(sa_family_t) ? r.bytes(e.args[1], size) : std::nullopt;
  if (!raw) {
    return;
  }
  sa_family_t family = 0;
  std::memcpy(&family, raw->data(), sizeof family);
  p.socket.family = family_name(family);
  p.socket.address = address_text(*raw, family);
}

void decode_socket(const SyscallEntry& e, Pending& p) {
  p.kind = Pending::Kind::socket;
  p.socket = SocketKey{.call = "socket",
                       .family = family_name(as_int(e.args[0])),
                       .type = type_name(e.args[1]),
                       .address = {}};
}

// A file mapped executable through its descriptor: a library or program being loaded.
void decode_mmap(const SyscallEntry& e, const TraceeReader& r, Pending& p) {
  const int fd = as_int(e.args[4]);
  if ((e.args[2] & PROT_EXEC) == 0 || (e.args[3] & MAP_ANONYMOUS) != 0 || fd < 0) {
    return;
  }
  if (auto path = r.fd_path(fd); path && path->starts_with('/')) {
    p.kind = Pending::Kind::library;
    p.path = *path;
  }
}

// The newest Landlock ABI the ruleset's access rights need (1 to 6).
int landlock_abi(const SyscallEntry& e, const TraceeReader& r) {
  if ((e.args[2] & LANDLOCK_CREATE_RULESET_VERSION) != 0) {
    return 1;  // only the query: any Landlock answers it
  }
  constexpr std::size_t kFields = 3;  // handled_access_fs, handled_access_net, scoped
  const std::size_t size = std::min<std::uint64_t>(e.args[1], kFields * sizeof(std::uint64_t));
  const auto raw = r.bytes(e.args[0], size - size % sizeof(std::uint64_t));
  std::array<std::uint64_t, kFields> field{};
  if (raw) {
    std::memcpy(field.data(), raw->data(), raw->size());
  }
  int abi = 1;
  const std::array<std::pair<std::uint64_t, int>, 3> fs_bits{
      {{1ULL << 13, 2}, {1ULL << 14, 3}, {1ULL << 15, 5}}};
  for (const auto& [bit, needs] : fs_bits) {
    abi = (field[0] & bit) != 0 ? std::max(abi, needs) : abi;
  }
  abi = field[1] != 0 ? std::max(abi, 4) : abi;
  return field[2] != 0 ? std::max(abi, 6) : abi;
}

void decode_features(const SyscallEntry& e, const TraceeReader& r, Pending& p) {
  if (e.name == "unshare") {
    namespace_features("unshare", e.args[0], p);
  } else if (e.name == "clone") {
    namespace_features("clone", e.args[0], p);
  } else if (e.name == "clone3") {
    std::uint64_t flags = 0;  // struct clone_args starts with flags
    if (auto raw = r.bytes(e.args[0], sizeof flags)) {
      std::memcpy(&flags, raw->data(), sizeof flags);
    }
    namespace_features("clone3", flags, p);
  } else if (e.name == "setns") {
    namespace_features("setns", e.args[1], p);
  } else if (e.name == "prctl" && as_int(e.args[0]) == PR_SET_SECCOMP) {
    p.kind = Pending::Kind::features;
    p.features.emplace_back("seccomp", "prctl(PR_SET_SECCOMP)");
  } else if (const SyscallFacts* facts = syscall_facts(e.name); facts != nullptr && !facts->feature.empty()) {
    p.kind = Pending::Kind::features;
    p.features.emplace_back(facts->feature, e.name);
    if (e.name == "landlock_create_ruleset") {
      p.abi = landlock_abi(e, r);
    }
  }
}

void exit_open(const Pending& p, int error, TraceLog& log) {
  if (error == 0) {
    log.add_file(p.path, p.access);
    if (const std::string sysctl = sysctl_name(p.path); !sysctl.empty()) {
      log.sysctls.insert(sysctl);
    }
    if (p.path == "/dev/userfaultfd") {
      log.add_feature("userfaultfd", "/dev/userfaultfd", true, 0);
    }
    return;
  }
  log.add_file(p.path, error == ENOENT || error == ENOTDIR ? Access::probe_missing : Access::failed);
}

}  // namespace

Pending on_entry(const SyscallEntry& e, const TraceeReader& r) {
  Pending p;
  p.name = e.name;
  if (e.name == "open" || e.name == "openat" || e.name == "openat2" || e.name == "creat") {
    decode_open(e, r, p);
  } else if (e.name == "execve" || e.name == "execveat") {
    decode_exec(e, r, p);
  } else if (e.name == "connect" || e.name == "bind") {
    decode_address(e, r, p);
  } else if (e.name == "socket") {
    decode_socket(e, p);
  } else if (e.name == "mmap") {
    decode_mmap(e, r, p);
  } else {
    decode_features(e, r, p);
  }
  return p;
}

void on_exit(const Pending& p, int error, TraceLog& log) {
  log.syscalls[p.name].errors += error != 0 ? 1 : 0;
  switch (p.kind) {
    case Pending::Kind::plain:
      return;
    case Pending::Kind::open:
      exit_open(p, error, log);
      return;
    case Pending::Kind::exec:
      if (p.path.empty()) {
        return;
      }
      if (error == 0) {
        ++log.executed[p.path];
        log.add_file(p.path, Access::exec);
      } else {
        log.add_file(p.path, error == ENOENT || error == ENOTDIR ? Access::probe_missing : Access::failed);
      }
      return;
    case Pending::Kind::socket:
    case Pending::Kind::address: {
      CallCount& use = log.sockets[p.socket];
      ++use.count;
      use.errors += error != 0 ? 1 : 0;
      return;
    }
    case Pending::Kind::library:
      if (error == 0) {
        log.libraries.insert(p.path);
      }
      return;
    case Pending::Kind::features:
      for (const auto& [feature, evidence] : p.features) {
        log.add_feature(feature, evidence, error == 0, error, p.abi);
      }
      return;
  }
}

}  // namespace strata::trace
