#include "cli/auto_run.hpp"

#include <cerrno>
#include <filesystem>

#include "auto/decide.hpp"
#include "auto/files.hpp"
#include "base/files.hpp"
#include "base/log.hpp"
#include "check/check.hpp"
#include "cli/manifest_operand.hpp"
#include "image/builtin.hpp"
#include "image/store.hpp"

namespace strata::cli {

namespace {

using autolayers::Decision;
using autolayers::Lock;

constexpr std::size_t kLockLimit = std::size_t{256} << 20;

// Flags that name a layer themselves: auto takes them from the lock.
Result<> refuse_layer_flags(const Spec& spec) {
  if (spec.image) {
    return fail("check flags", "--image", "--isolation auto takes the image from the lock");
  }
  if (spec.rootfs) {
    return fail("check flags", "--rootfs", "--isolation auto picks the root from the lock");
  }
  if (spec.auto_target && !spec.dry_run) {
    return fail("check --target", *spec.auto_target,
                "shows what auto would pick on another machine; it needs --dry-run");
  }
  return {};
}

// The recorded image, by its digest: the reference may name another image by now.
Result<std::string> recorded_image(const autolayers::LockImage& recorded) {
  auto dir = image::Store::default_path();
  auto store = dir ? image::Store::open(*dir) : std::unexpected(dir.error());
  if (!store) {
    return std::unexpected(store.error());
  }
  auto digest = image::Digest::parse(recorded.digest);
  if (!digest) {
    return fail("find the recorded image", recorded.digest, "not a sha256 digest");
  }
  if (store->has_blob(*digest)) {
    return digest->str();
  }
  auto now = image::resolve_image(*store, recorded.reference);
  if (now && *now == *digest) {
    return digest->str();
  }
  return fail("find the recorded image", recorded.reference,
              "the store has no " + recorded.digest +
                  (now ? " and the reference now names " + now->str() : std::string()) +
                  ": import or pull the recorded image");
}

// Spec::lang from the lock, each pinned file checked against its hash.
Result<LangSpec> recorded_language(const autolayers::LockLanguage& lang, const std::string& lock_dir) {
  LangSpec out{.python_requirements = std::nullopt,
               .find_links = {},
               .node_lockfile = std::nullopt,
               .python = lang.python};
  for (const auto& [pinned, into] : {std::pair{&lang.python_requirements, &out.python_requirements},
                                     std::pair{&lang.node_lockfile, &out.node_lockfile}}) {
    if (!*pinned) {
      continue;
    }
    const std::string path = autolayers::path_from_lock((*pinned)->path, lock_dir);
    auto sha = autolayers::sha256_of_file(path);
    if (!sha) {
      return std::unexpected(sha.error());
    }
    if (*sha != (*pinned)->sha256) {
      return fail("check the recorded language inputs", path,
                  "changed since strata record (its SHA-256 differs): record again");
    }
    *into = path;
  }
  for (const std::string& dir : lang.find_links) {
    out.find_links.push_back(autolayers::path_from_lock(dir, lock_dir));
  }
  return out;
}

Result<> apply(Spec& spec, const Decision& d, const Lock& lock, const std::string& lock_dir) {
  apply_layers(spec, d.layers);
  if (d.use_image) {
    auto image = recorded_image(*lock.image);
    if (!image) {
      return std::unexpected(image.error());
    }
    spec.image = std::move(*image);
  }
  if (d.use_kernel && !spec.vm.kernel) {
    auto kernel = autolayers::find_recorded_kernel(lock.kernel);
    if (!kernel) {
      return std::unexpected(kernel.error());
    }
    spec.vm.kernel = std::move(*kernel);
  }
  if (d.use_language && !spec.lang.customized()) {
    auto lang = recorded_language(*lock.language, lock_dir);
    if (!lang) {
      return std::unexpected(lang.error());
    }
    spec.lang = std::move(*lang);
  }
  if (spec.argv.empty()) {
    spec.argv = lock.command;
  }
  return {};
}

}  // namespace

Result<> resolve_auto(Spec& spec) {
  if (auto ok = refuse_layer_flags(spec); !ok) {
    return ok;
  }
  const std::string path = spec.lock_file.value_or(kDefaultLock);
  auto text = read_small_file(path, kLockLimit, "read lock");
  if (!text) {
    if (text.error().err == ENOENT) {
      text.error().detail =
          "no lock here: write one with `strata record -- CMD` where the command works, or give --lock FILE";
    }
    return std::unexpected(text.error());
  }
  auto lock = autolayers::lock_from_json(*text, path);
  if (!lock) {
    return std::unexpected(lock.error());
  }
  const std::string target = spec.auto_target.value_or("live");
  auto manifest = load_manifest_operand(target);
  if (!manifest) {
    return std::unexpected(manifest.error());
  }
  const check::Report report = check::check(lock->needs, *manifest);
  const Decision decision = autolayers::decide(*lock, report, is_live_operand(target));
  if (decision.refusal) {
    return fail("choose layers", path, *decision.refusal);
  }
  const std::string lock_dir = std::filesystem::absolute(path).parent_path().string();
  if (auto ok = apply(spec, decision, *lock, lock_dir); !ok) {
    return ok;
  }
  log::line(autolayers::decision_line(decision));
  return {};
}

}  // namespace strata::cli
