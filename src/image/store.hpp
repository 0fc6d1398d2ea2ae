// The image store: content-addressed blobs and a table of tags.
//
//   DIR/blobs/sha256/<hex>  every blob, named by the SHA-256 of its bytes
//   DIR/refs.json           tag -> manifest digest, rewritten atomically
//   DIR/staging/            temporary files of writes in progress
//   DIR/lock                flock: shared while reading or adding, exclusive to prune
//   DIR/refs.lock           flock around each read-modify-write of refs.json
//   DIR/layers/sha256/<hex> layers unpacked once per diffID (layers.hpp)
//
// A blob appears under blobs/ only by rename(2) after its bytes were synced
// and their digest checked, so a crash or a bad input never leaves a
// half-written blob there. Two strata processes may add blobs at once (each
// writes its own staging file; the renames of equal bytes are idempotent);
// prune holds the store lock exclusively, so it never deletes a blob that an
// import in progress is about to tag.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "image/digest.hpp"

namespace strata::image {

// Fills the span with the next bytes of a stream; 0 at its end.
using ReadFn = std::function<Result<std::size_t>(std::span<char>)>;

// A blob written to the staging area, not yet visible in the store.
struct StagedBlob {
  std::string path;  // inside DIR/staging
  Digest digest;
  std::uint64_t size = 0;
  std::string head;  // the first bytes (up to 8), to recognise compression
};

struct PruneStats {
  std::size_t blobs = 0;
  std::uint64_t bytes = 0;
  std::size_t layers = 0;       // unpacked layer directories removed
  std::size_t busy_layers = 0;  // unreferenced but in use by a run: kept
};

enum class LockMode { shared, exclusive };

class Store;

// Writes of one operation (an import). Files left uncommitted are removed
// with it, so a failed operation leaves nothing behind.
class Staging {
 public:
  Staging(const Staging&) = delete;
  Staging& operator=(const Staging&) = delete;
  Staging(Staging&& other) noexcept;
  Staging& operator=(Staging&&) = delete;
  ~Staging();

  // Streams `read` to a staging file, hashing it. With `expected`, a digest
  // (or size) mismatch fails and removes the file. `what` names the input in errors.
  Result<StagedBlob> write(const ReadFn& read, const std::string& what,
                           const std::optional<Digest>& expected = std::nullopt,
                           std::optional<std::uint64_t> expected_size = std::nullopt);
  // Moves a staged blob into the store (a no-op if the store has it already).
  Result<> commit(const StagedBlob& blob);

 private:
  friend class Store;
  Staging(const Store& store, std::string dir) : store_(&store), dir_(std::move(dir)) {}
  const Store* store_;
  std::string dir_;
};

class Store {
 public:
  // Opens (creating if needed) the store at `dir` (made absolute, symlinks
  // resolved: dir() is canonical) and holds its lock in
  // `mode` until destroyed; blocks while another process holds it exclusively.
  static Result<Store> open(std::string dir, LockMode mode = LockMode::shared);

  // $STRATA_HOME, else /var/lib/strata for root, else
  // ${XDG_DATA_HOME:-$HOME/.local/share}/strata.
  static Result<std::string> default_path();

  [[nodiscard]] const std::string& dir() const { return dir_; }
  [[nodiscard]] std::string blob_path(const Digest& digest) const;
  // Where unpacked layers live, one directory per diffID (layers.hpp).
  [[nodiscard]] std::string layers_dir() const { return dir_ + "/layers/sha256"; }

  Result<Staging> begin() const;
  // begin + write + commit.
  Result<Digest> put_blob(const ReadFn& read, const std::string& what,
                          const std::optional<Digest>& expected = std::nullopt) const;
  Result<Digest> put_bytes(std::string_view bytes, const std::string& what) const;

  [[nodiscard]] bool has_blob(const Digest& digest) const;
  // With `verify`, rehashes the whole blob first and fails if it changed.
  // The returned fd is positioned at the start.
  Result<UniqueFd> open_blob(const Digest& digest, bool verify) const;
  // A small blob (a manifest, a config), always verified.
  Result<std::string> read_blob(const Digest& digest, std::size_t limit = 4U << 20U) const;
  Result<std::uint64_t> blob_size(const Digest& digest) const;

  Result<std::map<std::string, Digest>> refs() const;
  // A tag, else a digest of a blob in the store.
  Result<Digest> resolve(const std::string& ref) const;
  Result<> tag(const std::string& name, const Digest& manifest) const;
  // Removes a tag; fails if there is none of that name.
  Result<> untag(const std::string& name) const;
  // Deletes every blob no tag reaches (through indexes, manifests, configs,
  // layers), every unpacked layer no tag reaches and no run uses, and every
  // staging or partial-unpack leftover. Needs the store open exclusively.
  Result<PruneStats> prune() const;

 private:
  Store(std::string dir, UniqueFd lock, LockMode mode)
      : dir_(std::move(dir)), lock_(std::move(lock)), mode_(mode) {}
  Result<std::map<std::string, Digest>> read_refs() const;
  Result<> write_refs(const std::map<std::string, Digest>& refs) const;
  Result<> update_refs(const std::function<Result<>(std::map<std::string, Digest>&)>& change) const;

  std::string dir_;
  UniqueFd lock_;
  LockMode mode_;
};

// A tag name: 1..255 of [A-Za-z0-9._:/@+-], not starting with a separator.
Result<> check_tag_name(const std::string& name);

// The blobs a manifest or index reaches (itself included), read from `store`.
// Missing blobs are skipped: prune must still run on a damaged store.
std::vector<Digest> reachable_from(const Store& store, const Digest& root);

}  // namespace strata::image
