// Built-in images: OCI layouts that ship with strata (assembled at build time
// by tools/make-busybox-image.py), so `--image builtin:busybox` works on a
// machine that has never seen a registry.
//
// A built-in image enters the store the first time it is named, with the
// ordinary import and tagged "builtin:NAME"; from then on it is a tag like
// any other (`strata image ls` lists it, `strata image rm` forgets it and the
// next use imports it again). Until then only its layout exists, next to the
// binary; `strata image ls` does not show it.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "image/digest.hpp"
#include "image/store.hpp"

namespace strata::image {

inline constexpr std::string_view kBuiltinPrefix = "builtin:";
// NAME of every builtin:NAME the build assembles (src/CMakeLists.txt).
inline constexpr std::array<std::string_view, 1> kBuiltinNames{"busybox"};

// The layout directory of builtin NAME: $STRATA_BUILTIN_IMAGES/NAME when that
// is set, else the first of <dir of /proc/self/exe>/images/NAME and
// <that dir>/../share/strata/images/NAME holding an oci-layout file. Fails
// for an unknown NAME or a missing layout, naming the built-in images.
Result<std::string> builtin_layout(const std::string& name);

// A tag or digest the store knows; else, for "builtin:NAME", the built-in
// image, imported into the store first if it is not there yet. Returns the
// manifest digest. Safe while other processes import or resolve the same
// image: blobs land by rename and the tag is written under the refs lock.
Result<Digest> resolve_image(const Store& store, const std::string& ref);

}  // namespace strata::image
