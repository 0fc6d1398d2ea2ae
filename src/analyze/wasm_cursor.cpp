#include "analyze/wasm_cursor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace strata::analyze::wasm_detail {

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if (c >= 0xc2 && c <= 0xdf) {
      n = 1;
      cp = c & 0x1fU;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      cp = c & 0x0fU;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      cp = c & 0x07U;
    } else {
      return false;
    }
    if (s.size() - i - 1 < n) {
      return false;
    }
    for (std::size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0U) != 0x80U) {
        return false;
      }
      cp = (cp << 6U) | (cc & 0x3fU);
    }
    constexpr std::array<std::uint32_t, 4> kMin{0, 0x80, 0x800, 0x10000};
    if (cp < kMin.at(n) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

void Cursor::fail(std::size_t at, const std::string& problem) {
  if (!error_) {
    error_ = fmt::format("offset 0x{:x}: {}{}", at, where_.empty() ? "" : where_ + ": ", problem);
  }
}

std::uint8_t Cursor::byte(std::string_view what) {
  if (!ok()) {
    return 0;
  }
  if (pos_ >= end_) {
    fail(pos_, fmt::format("{} runs past {}", what, end_name()));
    return 0;
  }
  return static_cast<std::uint8_t>(bytes_[pos_++]);
}

std::uint64_t Cursor::uleb(int bits, std::string_view what) {
  const std::size_t start = pos_;
  std::uint64_t value = 0;
  for (int shift = 0; ok(); shift += 7) {
    if (pos_ >= end_) {
      fail(start, fmt::format("{} (LEB128) runs past {}", what, end_name()));
      return 0;
    }
    const auto b = static_cast<std::uint8_t>(bytes_[pos_++]);
    value |= static_cast<std::uint64_t>(b & 0x7fU) << static_cast<unsigned>(shift);
    if ((b & 0x80U) == 0) {
      if (shift + 7 > bits && (b & 0x7fU) >> static_cast<unsigned>(bits - shift) != 0) {
        fail(start, fmt::format("{} (LEB128) does not fit in {} bits", what, bits));
        return 0;
      }
      return value;
    }
    if (shift + 7 >= bits) {
      fail(start, fmt::format("{} (LEB128) is longer than {} bytes", what, (bits + 6) / 7));
      return 0;
    }
  }
  return 0;
}

std::int64_t Cursor::s33(std::string_view what) {
  constexpr int kBits = 33;
  const std::size_t start = pos_;
  std::uint64_t value = 0;
  for (int shift = 0; ok(); shift += 7) {
    if (pos_ >= end_) {
      fail(start, fmt::format("{} (LEB128) runs past {}", what, end_name()));
      return 0;
    }
    const auto b = static_cast<std::uint8_t>(bytes_[pos_++]);
    value |= static_cast<std::uint64_t>(b & 0x7fU) << static_cast<unsigned>(shift);
    if ((b & 0x80U) == 0) {
      const int width = std::min(shift + 7, kBits);
      if (shift + 7 > kBits) {
        const unsigned rest = (b & 0x7fU) >> static_cast<unsigned>(kBits - shift - 1);
        if (rest != 0 && rest != (0x7fU >> static_cast<unsigned>(kBits - shift - 1))) {
          fail(start, fmt::format("{} (LEB128) does not fit in {} bits", what, kBits));
          return 0;
        }
      }
      value &= (std::uint64_t{1} << static_cast<unsigned>(width)) - 1;
      const std::uint64_t sign = std::uint64_t{1} << static_cast<unsigned>(width - 1);
      return static_cast<std::int64_t>((value ^ sign) - sign);
    }
    if (shift + 7 >= kBits) {
      fail(start, fmt::format("{} (LEB128) is longer than 5 bytes", what));
      return 0;
    }
  }
  return 0;
}

std::string Cursor::name(std::string_view what) {
  const std::size_t start = pos_;
  const std::uint32_t length = u32(what);
  if (!ok()) {
    return {};
  }
  if (length > end_ - pos_) {
    fail(start, fmt::format("{} of {} bytes runs past {}", what, length, end_name()));
    return {};
  }
  std::string out(bytes_.substr(pos_, length));
  if (!valid_utf8(out)) {
    fail(start, fmt::format("{} is not valid UTF-8", what));
    return {};
  }
  pos_ += length;
  return out;
}

std::uint32_t Cursor::count(std::string_view what, std::uint64_t max) {
  const std::size_t start = pos_;
  const std::uint32_t n = u32(fmt::format("the number of {}", what));
  if (ok() && n > max) {
    fail(start, fmt::format("{} {}: more than the {} engines accept", n, what, max));
    return 0;
  }
  return n;
}

// Inside a section (`where_` names it), reads stop at the section's end.
std::string Cursor::end_name() const {
  return fmt::format("the end of the {} (0x{:x})", where_.empty() ? "file" : "section", end_);
}

}  // namespace strata::analyze::wasm_detail
