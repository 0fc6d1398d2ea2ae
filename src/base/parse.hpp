// Small parsers for command-line values. Each returns a Result whose error
// names the value and why it was refused; none of them throws.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.hpp"

namespace strata {

// A decimal integer in [min, max]: "42". No sign, spaces or suffixes.
Result<std::uint64_t> parse_uint(std::string_view text, std::uint64_t min, std::uint64_t max);

// A byte size: "4096", "64k", "512M", "2g" (binary multiples, case-insensitive,
// optional trailing "b"/"ib"). Rejects zero, overflow and unknown suffixes.
Result<std::uint64_t> parse_size(std::string_view text);

// A duration: "10" (seconds), "1.5s", "500ms", "2m", "1h". Rejects negatives and junk.
Result<std::chrono::milliseconds> parse_duration(std::string_view text);

// A signal by number ("15") or name ("TERM", "SIGTERM"), case-insensitive.
Result<int> parse_signal(std::string_view text);

// The short name of a signal without "SIG" ("TERM"), or its number as text.
std::string signal_name(int signal);

}  // namespace strata
