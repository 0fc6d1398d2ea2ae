// A blob download that survives a cut: its bytes go to
// STORE/staging/pull/<hex>.part (never to the op's own staging directory,
// which a failed pull removes), hashed as they arrive. A cut transfer resumes
// with a Range request from the bytes already there, the hash continuing;
// the next pull (another process) rehashes the file and resumes from its end.
// `strata image prune` removes what is left under staging/.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "base/sha256.hpp"
#include "base/unique_fd.hpp"
#include "image/store.hpp"

namespace strata::registry {

struct ContentRange {
  std::uint64_t first = 0;
  std::uint64_t last = 0;
  std::optional<std::uint64_t> total;  // unset for "/*"
};

// "bytes FIRST-LAST/TOTAL" (or "/*"); nullopt when malformed.
std::optional<ContentRange> parse_content_range(std::string_view value);

enum class RangeAnswer { append, restart };

// How to take a 2xx answer to a GET that asked for the bytes from `offset`
// on: 206 from exactly there appends, 200 (the server ignored the Range)
// starts over; a 206 from elsewhere fails.
Result<RangeAnswer> check_range_answer(std::uint64_t offset, long status, std::string_view content_range,
                                       const std::string& where);

class Partial {
 public:
  // Opens (creating) the partial file of `digest`, holding an flock on it so
  // two pulls of one blob take turns, and hashes the bytes already there.
  // nullopt when the blob is (now) in the store: nothing to download.
  static Result<std::optional<Partial>> open(const image::Store& store, const image::Digest& digest,
                                             std::uint64_t size);

  [[nodiscard]] std::uint64_t have() const { return have_; }
  [[nodiscard]] std::uint64_t size() const { return size_; }
  [[nodiscard]] const std::string& path() const { return path_; }
  // Empties the file and the hash.
  Result<> restart();
  // Fails (and discards the file) past the expected size.
  Result<> append(std::string_view bytes);
  // Checks the size and digest; a mismatch discards the file. The result
  // goes to Staging::commit, which renames it into the store.
  Result<image::StagedBlob> finish();
  void discard();

 private:
  Partial(UniqueFd fd, std::string path, image::Digest digest, std::uint64_t size)
      : fd_(std::move(fd)), path_(std::move(path)), digest_(std::move(digest)), size_(size) {}
  Result<> rehash();

  UniqueFd fd_;
  std::string path_;
  image::Digest digest_;
  std::uint64_t size_ = 0;
  std::uint64_t have_ = 0;
  Sha256 hash_;
  std::string head_;
};

}  // namespace strata::registry
