// The two kinds of ImageSource: a directory and a tar read with libarchive.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <memory>

#include "base/files.hpp"
#include "image/import.hpp"

namespace strata::image {

namespace {

constexpr std::size_t kSmallLimit = 4U << 20U;

ReadFn fd_reader(int fd, const std::string& what) {
  return [fd, what](std::span<char> out) -> Result<std::size_t> {
    for (;;) {
      const ssize_t n = ::read(fd, out.data(), out.size());
      if (n >= 0) {
        return static_cast<std::size_t>(n);
      }
      if (errno != EINTR) {
        return fail_errno("read", what);
      }
    }
  };
}

class DirSource final : public ImageSource {
 public:
  DirSource(std::string root, Staging& staging) : root_(std::move(root)), staging_(&staging) {}

  [[nodiscard]] bool has(const std::string& name) const override {
    struct stat st = {};
    return ::stat((root_ + "/" + name).c_str(), &st) == 0 && S_ISREG(st.st_mode);
  }
  Result<std::string> read_small(const std::string& name) override {
    return read_small_file(root_ + "/" + name, kSmallLimit, "read");
  }
  Result<StagedBlob> stage(const std::string& name, const std::optional<Digest>& expected,
                           std::optional<std::uint64_t> size) override {
    const std::string path = root_ + "/" + name;
    const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
      return fail_errno("read", path);
    }
    return staging_->write(fd_reader(fd.get(), path), path, expected, size);
  }
  [[nodiscard]] std::string where(const std::string& name) const override { return root_ + "/" + name; }

 private:
  std::string root_;
  Staging* staging_;
};

// "./a/../b//c" -> "b/c"; empty when it climbs out of the archive.
std::string normalize(std::string_view name) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (start <= name.size()) {
    const std::size_t slash = std::min(name.find('/', start), name.size());
    const std::string_view part = name.substr(start, slash - start);
    if (part == "..") {
      if (parts.empty()) {
        return "";
      }
      parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    start = slash + 1;
  }
  std::string out;
  for (const std::string_view part : parts) {
    out += (out.empty() ? "" : "/") + std::string(part);
  }
  return out;
}

struct ArchiveFree {
  void operator()(archive* a) const { archive_read_free(a); }
};

class TarSource final : public ImageSource {
 public:
  TarSource(std::string path, Staging& staging) : path_(std::move(path)), staging_(&staging) {}

  Result<> load();

  [[nodiscard]] bool has(const std::string& name) const override { return find(name) != nullptr; }
  Result<std::string> read_small(const std::string& name) override {
    const StagedBlob* blob = find(name);
    if (blob == nullptr) {
      return fail("read", where(name), "not in the archive");
    }
    return read_small_file(blob->path, kSmallLimit, "read " + where(name));
  }
  Result<StagedBlob> stage(const std::string& name, const std::optional<Digest>& expected,
                           std::optional<std::uint64_t> size) override {
    const StagedBlob* blob = find(name);
    if (blob == nullptr) {
      return fail("read", where(name), "not in the archive");
    }
    if (expected && blob->digest != *expected) {
      return fail("verify blob", where(name),
                  "content has digest " + blob->digest.str() + ", expected " + expected->str());
    }
    if (size && blob->size != *size) {
      return fail("verify blob", where(name),
                  "size is " + std::to_string(blob->size) + " bytes, expected " + std::to_string(*size));
    }
    return *blob;
  }
  [[nodiscard]] std::string where(const std::string& name) const override { return path_ + ":" + name; }

 private:
  [[nodiscard]] const StagedBlob* find(const std::string& name) const;
  Result<> add_entry(archive* a, archive_entry* entry);

  std::string path_;
  Staging* staging_;
  std::map<std::string, StagedBlob> files_;
  std::map<std::string, std::string> links_;  // name -> normalized target
};

const StagedBlob* TarSource::find(const std::string& name) const {
  constexpr int kMaxLinks = 8;
  std::string current = normalize(name);
  for (int hops = 0; hops <= kMaxLinks; ++hops) {
    if (const auto it = files_.find(current); it != files_.end()) {
      return &it->second;
    }
    const auto link = links_.find(current);
    if (link == links_.end()) {
      return nullptr;
    }
    current = link->second;
  }
  return nullptr;
}

Result<> TarSource::add_entry(archive* a, archive_entry* entry) {
  const char* raw = archive_entry_pathname(entry);
  const std::string name = normalize(raw == nullptr ? "" : raw);
  if (name.empty()) {
    return {};
  }
  if (const char* hard = archive_entry_hardlink(entry); hard != nullptr) {
    links_[name] = normalize(hard);
    return {};
  }
  if (archive_entry_filetype(entry) == AE_IFLNK) {
    const char* target = archive_entry_symlink(entry);
    const std::size_t slash = name.rfind('/');
    const std::string parent = slash == std::string::npos ? "" : name.substr(0, slash + 1);
    links_[name] = normalize(target == nullptr ? "" : (*target == '/' ? target : parent + target));
    return {};
  }
  if (archive_entry_filetype(entry) != AE_IFREG) {
    return {};
  }
  const std::string what = where(name);
  auto blob = staging_->write(
      [a, &what](std::span<char> out) -> Result<std::size_t> {
        const la_ssize_t n = archive_read_data(a, out.data(), out.size());
        if (n < 0) {
          return fail("read archive", what, archive_error_string(a));
        }
        return static_cast<std::size_t>(n);
      },
      what);
  if (!blob) {
    return std::unexpected(blob.error());
  }
  files_[name] = std::move(*blob);
  return {};
}

Result<> TarSource::load() {
  constexpr std::size_t kBlock = 1U << 16U;
  const std::unique_ptr<archive, ArchiveFree> a(archive_read_new());
  // Only tar, optionally gzip'd or zstd'd: the formats the tools write. Fewer
  // readers also keep libarchive's other dependencies out of the static binary.
  archive_read_support_format_tar(a.get());
  archive_read_support_filter_gzip(a.get());
  archive_read_support_filter_zstd(a.get());
  if (archive_read_open_filename(a.get(), path_.c_str(), kBlock) != ARCHIVE_OK) {
    return fail("open archive", path_, archive_error_string(a.get()));
  }
  archive_entry* entry = nullptr;
  for (;;) {
    const int rc = archive_read_next_header(a.get(), &entry);
    if (rc == ARCHIVE_EOF) {
      return {};
    }
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
      return fail("read archive", path_, archive_error_string(a.get()));
    }
    if (auto ok = add_entry(a.get(), entry); !ok) {
      return ok;
    }
  }
}

}  // namespace

Result<std::unique_ptr<ImageSource>> open_dir_source(const std::string& path, Staging& staging) {
  return std::make_unique<DirSource>(path, staging);
}

Result<std::unique_ptr<ImageSource>> open_tar_source(const std::string& path, Staging& staging) {
  auto source = std::make_unique<TarSource>(path, staging);
  if (auto ok = source->load(); !ok) {
    return std::unexpected(ok.error());
  }
  return source;
}

}  // namespace strata::image
