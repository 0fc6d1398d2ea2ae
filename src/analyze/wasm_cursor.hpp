// The byte level of the WebAssembly reader (internal to src/analyze): bounded
// LEB128 integers, UTF-8 names and counts, read inside the current section.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace strata::analyze::wasm_detail {

// RFC 3629 UTF-8, as the format requires of names: no overlong forms, no
// surrogates, nothing above U+10FFFF.
[[nodiscard]] bool valid_utf8(std::string_view s);

// Reads the file front to back. The first problem is kept with its offset;
// after it every read returns zero and `ok()` is false, so the loops end.
class Cursor {
 public:
  explicit Cursor(std::string_view bytes) : bytes_(bytes), end_(bytes.size()) {}

  [[nodiscard]] bool ok() const { return !error_; }
  [[nodiscard]] const std::optional<std::string>& error() const { return error_; }
  [[nodiscard]] std::size_t pos() const { return pos_; }
  [[nodiscard]] std::size_t end() const { return end_; }
  [[nodiscard]] bool at_end() const { return pos_ >= end_; }

  // Reads stay below `end` (a section's end) until the next call.
  void limit(std::size_t end) { end_ = end; }
  void seek(std::size_t pos) { pos_ = pos; }
  // The section being read, for messages ("import section"); "" between sections.
  void where(std::string what) { where_ = std::move(what); }

  // Keeps the first problem: "offset 0x1c: import section: PROBLEM".
  void fail(std::size_t at, const std::string& problem);

  std::uint8_t byte(std::string_view what);
  // An unsigned LEB128 of at most `bits` bits (32 or 64): at most
  // ceil(bits / 7) bytes, and the last byte's unused bits zero.
  std::uint64_t uleb(int bits, std::string_view what);
  std::uint32_t u32(std::string_view what) { return static_cast<std::uint32_t>(uleb(32, what)); }
  // A signed 33-bit LEB128 (a heap type): the unused bits of the last byte
  // repeat the sign bit.
  std::int64_t s33(std::string_view what);
  // A length-prefixed UTF-8 name.
  std::string name(std::string_view what);
  // A vector's element count, refused above `max`.
  std::uint32_t count(std::string_view what, std::uint64_t max);

 private:
  [[nodiscard]] std::string end_name() const;

  std::string_view bytes_;
  std::size_t pos_ = 0;
  std::size_t end_ = 0;
  std::string where_;
  std::optional<std::string> error_;
};

}  // namespace strata::analyze::wasm_detail
