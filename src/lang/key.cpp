#include "lang/key.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <filesystem>

#include "base/sha256.hpp"
#include "image/builtin.hpp"
#include "image/store.hpp"
#include "isolate/plan.hpp"

namespace strata::lang {

namespace {

// Length-prefixed, so no two different inputs hash the same bytes.
void field(Sha256& hash, std::string_view bytes) {
  hash.update(std::to_string(bytes.size()));
  hash.update(":");
  hash.update(bytes);
}

std::string real_path(const std::string& path) {
  char buf[PATH_MAX];
  return ::realpath(path.c_str(), buf) != nullptr ? std::string(buf) : path;
}

// The first executable `name` in PATH (only in system directories when
// `system_only`), with symlinks resolved.
Result<std::string> find_in_path(const std::string& name, std::string_view path_env, bool system_only) {
  if (name.find('/') != std::string::npos) {
    return real_path(name);
  }
  for (std::size_t pos = 0; pos <= path_env.size();) {
    std::size_t colon = path_env.find(':', pos);
    colon = colon == std::string_view::npos ? path_env.size() : colon;
    const std::string dir(path_env.substr(pos, colon - pos));
    pos = colon + 1;
    if (!dir.starts_with('/') || (system_only && !in_system_dirs(dir))) {
      continue;
    }
    std::string candidate = dir;
    candidate += '/';
    candidate += name;
    if (::access(candidate.c_str(), X_OK) == 0) {
      return real_path(candidate);
    }
  }
  return fail("find interpreter", name,
              system_only ? "not in PATH beneath the sandbox's system directories (give --python PATH)"
                          : "not found in PATH (give --python PATH)");
}

Result<std::string> image_identity(const std::string& ref) {
  auto dir = image::Store::default_path();
  auto store = dir ? image::Store::open(*dir) : std::unexpected(dir.error());
  auto digest = store ? image::resolve_image(*store, ref) : std::unexpected(store.error());
  if (!digest) {
    return std::unexpected(digest.error());
  }
  return "image:" + digest->str();
}

}  // namespace

Result<std::string> layer_identity(const Spec& spec, const Inputs& in, std::string_view path_env) {
  if (spec.image) {
    return image_identity(*spec.image);
  }
  if (spec.rootfs) {
    return "rootfs:" + real_path(*spec.rootfs);
  }
  auto found = find_in_path(in.interpreter, path_env, spec.isolation != Isolation::host);
  if (!found) {
    return std::unexpected(found.error());
  }
  struct stat st = {};
  if (::stat(found->c_str(), &st) != 0) {
    return fail_errno("find interpreter", *found);
  }
  return fmt::format("system:{}:{}:{}.{}", *found, st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

std::string env_key(const Inputs& in, std::string_view layer) {
  Sha256 hash;
  field(hash, "strata-env-1");
  field(hash, to_string(in.kind));
  field(hash, in.lock_bytes);
  field(hash, in.package_json);
  field(hash, std::to_string(in.find_links.size()));
  for (const LinkDir& dir : in.find_links) {
    field(hash, std::to_string(dir.files.size()));
    for (const LinkFile& file : dir.files) {
      field(hash, file.name);
      field(hash, std::to_string(file.size));
    }
  }
  field(hash, in.interpreter);
  field(hash, layer);
  return hash.finish_hex().substr(0, kKeyDigits);
}

}  // namespace strata::lang
