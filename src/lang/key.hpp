// The key of a language environment: one SHA-256 over everything that decides
// what gets installed and what it runs on. Two runs with the same key share
// one environment; change any part and a new one is built beside it.
#pragma once

#include <string>
#include <string_view>

#include "base/error.hpp"
#include "lang/inputs.hpp"
#include "spec/spec.hpp"

namespace strata::lang {

// Hex digits of the key kept in directory names: 128 bits, and short enough
// that the venv's script shebangs stay well under the kernel's limit.
inline constexpr std::size_t kKeyDigits = 32;

// The interpreter as the layer will run it, in words that change when it
// does: with --image the image's manifest digest, with --rootfs the tree's
// path, else the host file PATH finds (resolved path, size, mtime). In a
// sandbox only PATH entries beneath the system directories count, since the
// others are not there.
Result<std::string> layer_identity(const Spec& spec, const Inputs& in, std::string_view path_env);

// kind, lockfile bytes (and package.json), the find-links listings (names and
// sizes, not their paths: the same wheels elsewhere install the same), the
// interpreter's name and the layer identity.
std::string env_key(const Inputs& in, std::string_view layer);

}  // namespace strata::lang
