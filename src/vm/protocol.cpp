#include "vm/protocol.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "base/json_error.hpp"

namespace strata::vm {

namespace {

constexpr std::size_t kHeaderSize = 5;

bool known_type(std::uint8_t type) {
  switch (static_cast<FrameType>(type)) {
    case FrameType::job:
    case FrameType::stdin_data:
    case FrameType::stdin_eof:
    case FrameType::signal:
    case FrameType::stdout_data:
    case FrameType::stderr_data:
    case FrameType::status:
    case FrameType::error:
    case FrameType::ready:
      return true;
  }
  return false;
}

// Parses a JSON frame payload and converts it, turning nlohmann's
// exceptions (bad syntax, a missing key, a wrong type) into one Error.
template <class T, class F>
Result<T> from_json_text(std::string_view text, std::string_view what, const F& convert) {
  try {
    return convert(nlohmann::json::parse(text));
  } catch (const nlohmann::json::exception& e) {
    return fail(fmt::format("read the VM channel's {}", what), "", json_error_text(e.what()));
  }
}

}  // namespace

std::string encode_frame(FrameType type, std::string_view payload) {
  std::string out;
  out.reserve(kHeaderSize + payload.size());
  out.push_back(static_cast<char>(type));
  const auto size = static_cast<std::uint32_t>(payload.size());
  for (int shift = 0; shift < 32; shift += 8) {
    out.push_back(static_cast<char>((size >> shift) & 0xffU));
  }
  out.append(payload);
  return out;
}

Result<> FrameReader::feed(std::string_view bytes) {
  buffer_.append(bytes);
  std::size_t at = 0;
  while (buffer_.size() - at >= kHeaderSize) {
    const auto type = static_cast<std::uint8_t>(buffer_[at]);
    std::uint32_t size = 0;
    for (int i = 0; i < 4; ++i) {
      size |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(buffer_[at + 1 + i])) << (8 * i);
    }
    if (!known_type(type)) {
      return fail("read the VM channel", "", fmt::format("unknown frame type {}", type));
    }
    if (size > kMaxPayload) {
      return fail("read the VM channel", "", fmt::format("a frame of {} bytes is over the limit", size));
    }
    if (buffer_.size() - at - kHeaderSize < size) {
      break;
    }
    frames_.push_back(
        Frame{.type = static_cast<FrameType>(type), .payload = buffer_.substr(at + kHeaderSize, size)});
    at += kHeaderSize + size;
  }
  buffer_.erase(0, at);
  return {};
}

std::optional<Frame> FrameReader::next() {
  if (frames_.empty()) {
    return std::nullopt;
  }
  Frame frame = std::move(frames_.front());
  frames_.pop_front();
  return frame;
}

std::string to_json_text(const Job& job) {
  nlohmann::json shares = nlohmann::json::array();
  for (const auto& share : job.shares) {
    shares.push_back(
        {{"tag", share.tag}, {"destination", share.destination}, {"read_only", share.read_only}});
  }
  nlohmann::json tmpfs = nlohmann::json::array();
  for (const auto& mount : job.tmpfs) {
    tmpfs.push_back({{"destination", mount.destination}, {"size", mount.size}});
  }
  nlohmann::json rlimits = nlohmann::json::array();
  for (const auto& limit : job.rlimits) {
    rlimits.push_back(
        {{"resource", limit.resource}, {"name", limit.name}, {"soft", limit.soft}, {"hard", limit.hard}});
  }
  return nlohmann::json{{"argv", job.argv},
                        {"env", job.env},
                        {"cwd", job.cwd},
                        {"cwd_required", job.cwd_required},
                        {"uid", job.uid},
                        {"gid", job.gid},
                        {"hostname", job.hostname},
                        {"rlimits", rlimits},
                        {"shares", shares},
                        {"tmpfs", tmpfs},
                        {"private_tmp", job.private_tmp},
                        {"network", job.network},
                        {"inner", job.inner},
                        {"under_tmp", job.under_tmp}}
      .dump();
}

Result<Job> parse_job(std::string_view text) {
  return from_json_text<Job>(text, "job", [](const nlohmann::json& j) {
    Job job;
    job.argv = j.at("argv").get<std::vector<std::string>>();
    job.env = j.at("env").get<std::vector<std::string>>();
    job.cwd = j.at("cwd").get<std::string>();
    job.cwd_required = j.at("cwd_required").get<bool>();
    job.uid = j.at("uid").get<std::uint32_t>();
    job.gid = j.at("gid").get<std::uint32_t>();
    job.hostname = j.at("hostname").get<std::string>();
    for (const auto& r : j.at("rlimits")) {
      job.rlimits.push_back(RlimitSpec{.resource = r.at("resource").get<int>(),
                                       .name = r.at("name").get<std::string>(),
                                       .soft = r.at("soft").get<std::uint64_t>(),
                                       .hard = r.at("hard").get<std::uint64_t>()});
    }
    for (const auto& s : j.at("shares")) {
      job.shares.push_back(Share{.tag = s.at("tag").get<std::string>(),
                                 .destination = s.at("destination").get<std::string>(),
                                 .read_only = s.at("read_only").get<bool>()});
    }
    for (const auto& t : j.at("tmpfs")) {
      job.tmpfs.push_back(MountSpec{.kind = MountKind::tmpfs,
                                    .source = {},
                                    .destination = t.at("destination").get<std::string>(),
                                    .size = t.at("size").get<std::uint64_t>()});
    }
    job.private_tmp = j.at("private_tmp").get<bool>();
    job.network = j.at("network").get<bool>();
    job.inner = j.at("inner").get<std::vector<std::string>>();
    job.under_tmp = j.at("under_tmp").get<std::vector<std::string>>();
    return job;
  });
}

std::string to_json_text(const GuestStatus& status) {
  constexpr std::string_view kinds[] = {"exited", "signaled", "exec_failed"};
  return nlohmann::json{{"kind", kinds[static_cast<int>(status.kind)]},
                        {"code", status.code},
                        {"err", status.err},
                        {"detail", status.detail}}
      .dump();
}

Result<GuestStatus> parse_status(std::string_view text) {
  auto parsed = from_json_text<GuestStatus>(text, "status", [](const nlohmann::json& j) {
    GuestStatus status;
    const auto kind = j.at("kind").get<std::string>();
    status.kind = kind == "signaled"      ? GuestStatus::Kind::signaled
                  : kind == "exec_failed" ? GuestStatus::Kind::exec_failed
                                          : GuestStatus::Kind::exited;
    status.code = j.at("code").get<int>();
    status.err = j.at("err").get<int>();
    status.detail = j.at("detail").get<std::string>();
    return status;
  });
  if (parsed && (parsed->code < 0 || parsed->code > 255)) {
    return fail("read the VM channel's status", "", fmt::format("code {} is out of range", parsed->code));
  }
  return parsed;
}

std::string to_json_text(const Error& error) {
  return nlohmann::json{{"step", error.step},
                        {"path", error.path},
                        {"err", error.err},
                        {"detail", error.detail},
                        {"exit_code", error.exit_code}}
      .dump();
}

Result<Error> parse_error(std::string_view text) {
  return from_json_text<Error>(text, "error", [](const nlohmann::json& j) {
    return Error{.step = j.at("step").get<std::string>(),
                 .path = j.at("path").get<std::string>(),
                 .err = j.at("err").get<int>(),
                 .detail = j.at("detail").get<std::string>(),
                 .exit_code = j.at("exit_code").get<int>()};
  });
}

}  // namespace strata::vm
