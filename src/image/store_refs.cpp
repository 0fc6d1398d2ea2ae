// The store's tag table and its garbage collection.
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "base/files.hpp"
#include "image/layers.hpp"
#include "image/oci.hpp"
#include "image/store.hpp"

namespace strata::image {

namespace {

constexpr std::size_t kRefsLimit = 16U << 20U;
constexpr const char* kRefsSchema = "strata.refs/v1";

// The lock around refs.json, separate from the store lock so tagging does not
// wait for a long import that only holds the store lock shared.
Result<UniqueFd> lock_refs(const std::string& dir, int operation) {
  const std::string path = dir + "/refs.lock";
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd) {
    return fail_errno("open image store lock", path);
  }
  int rc = 0;
  do {
    rc = ::flock(fd.get(), operation);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    return fail_errno("lock image store", path);
  }
  return fd;
}

Result<std::map<std::string, Digest>> parse_refs(const std::string& text, const std::string& path) {
  const nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
  const bool valid = !doc.is_discarded() && doc.is_object() && doc.contains("schema") &&
                     doc["schema"] == kRefsSchema && doc.contains("refs") && doc["refs"].is_object();
  if (!valid) {
    return fail("read tags", path, std::string("not a ") + kRefsSchema + " document; the store is damaged");
  }
  std::map<std::string, Digest> out;
  for (const auto& [name, value] : doc["refs"].items()) {
    auto digest = value.is_string() ? Digest::parse(value.get<std::string>())
                                    : fail("read tags", path, "a tag's value is not a string");
    if (!digest) {
      return fail("read tags", path, "tag '" + name + "': " + digest.error().message());
    }
    out.emplace(name, *digest);
  }
  return out;
}

// Lists blobs/sha256 (names that are digests only).
std::vector<Digest> list_blobs(const std::string& dir) {
  std::vector<Digest> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir + "/blobs/sha256", ec)) {
    if (auto d = Digest::parse("sha256:" + entry.path().filename().string())) {
      out.push_back(*d);
    }
  }
  return out;
}

void reach(const Store& store, const Digest& digest, std::set<Digest>& seen, int depth) {
  constexpr int kMaxDepth = 8;
  if (depth > kMaxDepth || !seen.insert(digest).second) {
    return;
  }
  auto text = store.read_blob(digest);
  if (!text) {
    return;
  }
  auto kind = classify(*text, digest.str());
  if (kind && *kind == DocKind::index) {
    if (auto index = parse_index(*text, digest.str())) {
      for (const Descriptor& d : index->manifests) {
        reach(store, d.digest, seen, depth + 1);
      }
    }
  } else if (kind) {
    if (auto manifest = parse_manifest(*text, digest.str())) {
      seen.insert(manifest->config.digest);
      for (const Descriptor& layer : manifest->layers) {
        seen.insert(layer.digest);
      }
    }
  }
}

}  // namespace

std::vector<Digest> reachable_from(const Store& store, const Digest& root) {
  std::set<Digest> seen;
  reach(store, root, seen, 0);
  return {seen.begin(), seen.end()};
}

Result<std::map<std::string, Digest>> Store::read_refs() const {
  const std::string path = dir_ + "/refs.json";
  struct stat st = {};
  if (::stat(path.c_str(), &st) != 0 && errno == ENOENT) {
    return std::map<std::string, Digest>{};
  }
  auto text = read_small_file(path, kRefsLimit, "read tags");
  if (!text) {
    return std::unexpected(text.error());
  }
  return parse_refs(*text, path);
}

Result<> Store::write_refs(const std::map<std::string, Digest>& refs) const {
  nlohmann::json table = nlohmann::json::object();
  for (const auto& [name, digest] : refs) {
    table[name] = digest.str();
  }
  const nlohmann::json doc = {{"schema", kRefsSchema}, {"refs", table}};
  return write_file_atomically(dir_ + "/refs.json", doc.dump(2) + "\n", "write tags");
}

Result<> Store::update_refs(const std::function<Result<>(std::map<std::string, Digest>&)>& change) const {
  auto lock = lock_refs(dir_, LOCK_EX);
  if (!lock) {
    return std::unexpected(lock.error());
  }
  auto refs = read_refs();
  if (!refs) {
    return std::unexpected(refs.error());
  }
  if (auto ok = change(*refs); !ok) {
    return ok;
  }
  return write_refs(*refs);
}

Result<std::map<std::string, Digest>> Store::refs() const {
  auto lock = lock_refs(dir_, LOCK_SH);
  if (!lock) {
    return std::unexpected(lock.error());
  }
  return read_refs();
}

Result<Digest> Store::resolve(const std::string& ref) const {
  auto table = refs();
  if (!table) {
    return std::unexpected(table.error());
  }
  if (const auto it = table->find(ref); it != table->end()) {
    return it->second;
  }
  if (auto digest = Digest::parse(ref); digest && has_blob(*digest)) {
    return *digest;
  }
  return fail("find image", ref, "no such tag or digest in the image store (see strata image ls)");
}

Result<> Store::tag(const std::string& name, const Digest& manifest) const {
  if (auto ok = check_tag_name(name); !ok) {
    return ok;
  }
  if (!has_blob(manifest)) {
    return fail("tag image", manifest.str(), "not in the image store");
  }
  return update_refs([&](std::map<std::string, Digest>& refs) -> Result<> {
    refs[name] = manifest;
    return {};
  });
}

Result<> Store::untag(const std::string& name) const {
  return update_refs([&](std::map<std::string, Digest>& refs) -> Result<> {
    if (refs.erase(name) == 0) {
      return fail("remove tag", name, "no such tag in the image store (see strata image ls)");
    }
    return {};
  });
}

Result<PruneStats> Store::prune() const {
  if (mode_ != LockMode::exclusive) {
    return fail("prune image store", dir_, "the store must be opened exclusively to prune");
  }
  auto table = refs();
  if (!table) {
    return std::unexpected(table.error());
  }
  std::set<Digest> live;
  for (const auto& [name, digest] : *table) {
    reach(*this, digest, live, 0);
  }
  PruneStats stats;
  for (const Digest& digest : list_blobs(dir_)) {
    if (live.contains(digest)) {
      continue;
    }
    const auto size = blob_size(digest);
    if (::unlink(blob_path(digest).c_str()) != 0) {
      return fail_errno("remove blob", blob_path(digest));
    }
    ++stats.blobs;
    stats.bytes += size ? *size : 0;
  }
  // Under the exclusive lock no write is in progress: whatever is staged was
  // left by a process that died.
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir_ + "/staging", ec)) {
    std::filesystem::remove_all(entry.path(), ec);
  }
  auto layers = prune_layers(*this, live_diff_ids(*this));
  if (!layers) {
    return std::unexpected(layers.error());
  }
  stats.layers = layers->layers;
  stats.busy_layers = layers->busy;
  return stats;
}

}  // namespace strata::image
