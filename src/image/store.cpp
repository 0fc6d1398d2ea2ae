#include "image/store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <filesystem>

#include "base/files.hpp"
#include "base/sha256.hpp"

namespace strata::image {

namespace {

constexpr std::size_t kChunk = 1U << 16U;
constexpr std::size_t kHeadSize = 8;

Result<> make_dir(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    return fail_errno("create image store", path);
  }
  return {};
}

Result<UniqueFd> open_lock(const std::string& path, LockMode mode) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd) {
    return fail_errno("open image store lock", path);
  }
  int rc = 0;
  do {
    rc = ::flock(fd.get(), mode == LockMode::exclusive ? LOCK_EX : LOCK_SH);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    return fail_errno("lock image store", path);
  }
  return fd;
}

// Hashes an open file from its start; leaves it at the end.
Result<Digest> hash_fd(int fd, const std::string& path) {
  Sha256 hash;
  std::array<char, kChunk> buffer{};
  for (;;) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return fail_errno("read blob", path);
    }
    if (n == 0) {
      return Digest{.algorithm = "sha256", .hex = hash.finish_hex()};
    }
    hash.update(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
  }
}

void fsync_dir(const std::string& path) {
  const UniqueFd dir(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir) {
    // Best effort: the blob is complete either way; this only orders it on disk.
    [[maybe_unused]] const int rc = ::fsync(dir.get());
  }
}

void remove_tree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

// Streams `read` into `fd`, hashing; fills everything of StagedBlob but path.
Result<StagedBlob> copy_hashing(const ReadFn& read, int fd, const std::string& path) {
  StagedBlob out;
  Sha256 hash;
  std::array<char, kChunk> buffer{};
  for (;;) {
    auto n = read(std::span<char>(buffer));
    if (!n) {
      return std::unexpected(n.error());
    }
    if (*n == 0) {
      break;
    }
    const std::string_view bytes(buffer.data(), *n);
    hash.update(bytes);
    if (out.head.size() < kHeadSize) {
      out.head += bytes.substr(0, kHeadSize - out.head.size());
    }
    out.size += *n;
    if (auto ok = write_all(fd, bytes, "write blob", path); !ok) {
      return std::unexpected(ok.error());
    }
  }
  if (::fsync(fd) != 0) {
    return fail_errno("write blob", path);
  }
  out.digest = Digest{.algorithm = "sha256", .hex = hash.finish_hex()};
  return out;
}

}  // namespace

Staging::Staging(Staging&& other) noexcept : store_(other.store_), dir_(std::exchange(other.dir_, {})) {}

Staging::~Staging() {
  if (!dir_.empty()) {
    remove_tree(dir_);
  }
}

Result<StagedBlob> Staging::write(const ReadFn& read, const std::string& what,
                                  const std::optional<Digest>& expected,
                                  std::optional<std::uint64_t> expected_size) {
  std::string path = dir_ + "/blob.XXXXXX";
  UniqueFd fd(::mkostemp(path.data(), O_CLOEXEC));
  if (!fd) {
    return fail_errno("create staging file", path);
  }
  auto blob = copy_hashing(read, fd.get(), path);
  if (blob && expected && blob->digest != *expected) {
    blob = fail("verify blob", what,
                "content has digest " + blob->digest.str() + ", expected " + expected->str());
  }
  if (blob && expected_size && blob->size != *expected_size) {
    blob =
        fail("verify blob", what,
             "size is " + std::to_string(blob->size) + " bytes, expected " + std::to_string(*expected_size));
  }
  if (!blob) {
    ::unlink(path.c_str());
    return blob;
  }
  blob->path = std::move(path);
  return blob;
}

Result<> Staging::commit(const StagedBlob& blob) {
  const std::string target = store_->blob_path(blob.digest);
  if (store_->has_blob(blob.digest)) {
    // Equal bytes (the digest says so); the staging file goes with the directory.
    return {};
  }
  if (::rename(blob.path.c_str(), target.c_str()) != 0) {
    return fail_errno("store blob", target);
  }
  fsync_dir(store_->dir() + "/blobs/sha256");
  return {};
}

Result<Store> Store::open(std::string dir, LockMode mode) {
  // The parents too: ~/.local/share need not exist for a new user.
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  // Absolute and without symlinks: its paths are handed to the kernel from
  // other roots (overlayfs lowers are resolved inside a sandbox's staging root).
  const std::string given = dir;
  dir = std::filesystem::canonical(given, ec).string();
  if (ec) {
    return fail_errno("open image store", given, ec.value());
  }
  for (const std::string& sub : {dir, dir + "/blobs", dir + "/blobs/sha256", dir + "/staging"}) {
    if (auto ok = make_dir(sub); !ok) {
      return std::unexpected(ok.error());
    }
  }
  auto lock = open_lock(dir + "/lock", mode);
  if (!lock) {
    return std::unexpected(lock.error());
  }
  return Store(dir, std::move(*lock), mode);
}

Result<std::string> Store::default_path() {
  const char* home = std::getenv("STRATA_HOME");  // NOLINT(concurrency-mt-unsafe): single-threaded CLI
  if (home != nullptr && *home != '\0') {
    return std::string(home);
  }
  if (::geteuid() == 0) {
    return std::string("/var/lib/strata");
  }
  const char* data = std::getenv("XDG_DATA_HOME");  // NOLINT(concurrency-mt-unsafe)
  if (data != nullptr && *data == '/') {
    return std::string(data) + "/strata";
  }
  const char* user_home = std::getenv("HOME");  // NOLINT(concurrency-mt-unsafe)
  if (user_home == nullptr || *user_home != '/') {
    return fail("find image store", "", "neither STRATA_HOME nor HOME is set to an absolute path");
  }
  return std::string(user_home) + "/.local/share/strata";
}

std::string Store::blob_path(const Digest& digest) const {
  return dir_ + "/blobs/sha256/" + digest.hex;
}

Result<Staging> Store::begin() const {
  std::string path = dir_ + "/staging/op.XXXXXX";
  if (::mkdtemp(path.data()) == nullptr) {
    return fail_errno("create staging directory", path);
  }
  return Staging(*this, std::move(path));
}

Result<Digest> Store::put_blob(const ReadFn& read, const std::string& what,
                               const std::optional<Digest>& expected) const {
  auto staging = begin();
  if (!staging) {
    return std::unexpected(staging.error());
  }
  auto blob = staging->write(read, what, expected);
  if (!blob) {
    return std::unexpected(blob.error());
  }
  if (auto ok = staging->commit(*blob); !ok) {
    return std::unexpected(ok.error());
  }
  return blob->digest;
}

Result<Digest> Store::put_bytes(std::string_view bytes, const std::string& what) const {
  return put_blob(
      [&bytes](std::span<char> out) -> Result<std::size_t> {
        const std::size_t n = std::min(out.size(), bytes.size());
        bytes.copy(out.data(), n);
        bytes.remove_prefix(n);
        return n;
      },
      what);
}

bool Store::has_blob(const Digest& digest) const {
  struct stat st = {};
  return ::stat(blob_path(digest).c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

Result<UniqueFd> Store::open_blob(const Digest& digest, bool verify) const {
  const std::string path = blob_path(digest);
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    return errno == ENOENT ? fail("open blob", digest.str(), "not in the image store")
                           : fail_errno("open blob", path);
  }
  if (!verify) {
    return fd;
  }
  auto actual = hash_fd(fd.get(), path);
  if (!actual) {
    return std::unexpected(actual.error());
  }
  if (*actual != digest) {
    return fail("verify blob", path,
                "content changed on disk (now " + actual->str() + "); the store is damaged");
  }
  if (::lseek(fd.get(), 0, SEEK_SET) != 0) {
    return fail_errno("read blob", path);
  }
  return fd;
}

Result<std::string> Store::read_blob(const Digest& digest, std::size_t limit) const {
  if (!has_blob(digest)) {
    return fail("read blob", digest.str(), "not in the image store");
  }
  auto text = read_small_file(blob_path(digest), limit, "read blob");
  if (text && sha256_of(*text) != digest) {
    return fail("verify blob", blob_path(digest), "content changed on disk; the store is damaged");
  }
  return text;
}

Result<std::uint64_t> Store::blob_size(const Digest& digest) const {
  struct stat st = {};
  if (::stat(blob_path(digest).c_str(), &st) != 0) {
    return fail_errno("stat blob", blob_path(digest));
  }
  return static_cast<std::uint64_t>(st.st_size);
}

Result<> check_tag_name(const std::string& name) {
  constexpr std::size_t kMaxName = 255;
  const bool ok_chars =
      name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:/@+-") ==
      std::string::npos;
  if (name.empty() || name.size() > kMaxName || !ok_chars || std::string_view("._:/@+-").contains(name[0])) {
    return fail("check tag", name,
                "a tag is 1-255 of A-Z a-z 0-9 . _ : / @ + - and starts with a letter or digit");
  }
  return {};
}

}  // namespace strata::image
