#include "registry/partial.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>

#include "base/files.hpp"

namespace strata::registry {

namespace {

constexpr std::size_t kChunk = 1U << 16U;
constexpr std::size_t kHeadSize = 8;

std::optional<std::uint64_t> number(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty() ? std::optional(value)
                                                                                : std::nullopt;
}

Result<UniqueFd> open_locked(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd) {
    return fail_errno("open partial download", path);
  }
  int rc = 0;
  do {
    rc = ::flock(fd.get(), LOCK_EX);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    return fail_errno("lock partial download", path);
  }
  return fd;
}

// Whether `fd` is still the file at `path`: the pull that held the lock
// before may have renamed it into the store, or discarded it.
bool still_at(int fd, const std::string& path) {
  struct stat have = {};
  struct stat now = {};
  return ::fstat(fd, &have) == 0 && ::stat(path.c_str(), &now) == 0 && have.st_ino == now.st_ino &&
         have.st_dev == now.st_dev;
}

}  // namespace

std::optional<ContentRange> parse_content_range(std::string_view value) {
  if (!value.starts_with("bytes ")) {
    return std::nullopt;
  }
  value.remove_prefix(6);
  const std::size_t dash = value.find('-');
  const std::size_t slash = value.find('/');
  if (dash == std::string_view::npos || slash == std::string_view::npos || slash < dash) {
    return std::nullopt;
  }
  const auto first = number(value.substr(0, dash));
  const auto last = number(value.substr(dash + 1, slash - dash - 1));
  const std::string_view total_text = value.substr(slash + 1);
  const auto total = number(total_text);
  if (!first || !last || *last < *first || (!total && total_text != "*") || (total && *last >= *total)) {
    return std::nullopt;
  }
  return ContentRange{.first = *first, .last = *last, .total = total};
}

Result<RangeAnswer> check_range_answer(std::uint64_t offset, long status, std::string_view content_range,
                                       const std::string& where) {
  constexpr long kPartialContent = 206;
  if (status != kPartialContent) {
    return RangeAnswer::restart;
  }
  const auto range = parse_content_range(content_range);
  if (!range || range->first != offset) {
    return fail("resume download", where,
                "asked for the bytes from " + std::to_string(offset) + " on, the registry sent '" +
                    std::string(content_range) + "'");
  }
  return RangeAnswer::append;
}

Result<std::optional<Partial>> Partial::open(const image::Store& store, const image::Digest& digest,
                                             std::uint64_t size) {
  const std::string dir = store.dir() + "/staging/pull";
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return fail_errno("create staging directory", dir);
  }
  const std::string path = dir + "/" + digest.hex + ".part";
  for (;;) {
    if (store.has_blob(digest)) {
      return std::optional<Partial>();
    }
    auto fd = open_locked(path);
    if (!fd) {
      return std::unexpected(fd.error());
    }
    if (!still_at(fd->get(), path)) {
      continue;  // committed or discarded while we waited for the lock
    }
    Partial out(std::move(*fd), path, digest, size);
    if (auto ok = out.rehash(); !ok) {
      return std::unexpected(ok.error());
    }
    return std::optional(std::move(out));
  }
}

Result<> Partial::rehash() {
  std::array<char, kChunk> buffer{};
  for (;;) {
    const ssize_t n = ::read(fd_.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return fail_errno("read partial download", path_);
    }
    if (n == 0) {
      break;
    }
    const std::string_view bytes(buffer.data(), static_cast<std::size_t>(n));
    hash_.update(bytes);
    head_ += bytes.substr(0, kHeadSize - std::min(kHeadSize, head_.size()));
    have_ += bytes.size();
  }
  // More than the blob's size cannot be a prefix of it.
  return have_ > size_ ? restart() : Result<>();
}

Result<> Partial::restart() {
  if (::ftruncate(fd_.get(), 0) != 0 || ::lseek(fd_.get(), 0, SEEK_SET) != 0) {
    return fail_errno("restart download", path_);
  }
  hash_ = Sha256();
  have_ = 0;
  head_.clear();
  return {};
}

Result<> Partial::append(std::string_view bytes) {
  if (have_ + bytes.size() > size_) {
    discard();
    return fail("verify blob", digest_.str(),
                "the registry sent more than its " + std::to_string(size_) + " bytes");
  }
  if (auto ok = write_all(fd_.get(), bytes, "write partial download", path_); !ok) {
    return ok;
  }
  hash_.update(bytes);
  head_ += bytes.substr(0, kHeadSize - std::min(kHeadSize, head_.size()));
  have_ += bytes.size();
  return {};
}

Result<image::StagedBlob> Partial::finish() {
  if (have_ != size_) {
    return fail("verify blob", digest_.str(),
                "got " + std::to_string(have_) + " of its " + std::to_string(size_) + " bytes");
  }
  const image::Digest actual{.algorithm = "sha256", .hex = hash_.finish_hex()};
  if (actual != digest_) {
    discard();
    return fail("verify blob", digest_.str(), "content has digest " + actual.str());
  }
  if (::fsync(fd_.get()) != 0) {
    return fail_errno("write partial download", path_);
  }
  return image::StagedBlob{.path = path_, .digest = digest_, .size = size_, .head = head_};
}

void Partial::discard() {
  if (still_at(fd_.get(), path_)) {
    ::unlink(path_.c_str());
  }
  have_ = 0;
  hash_ = Sha256();
}

}  // namespace strata::registry
