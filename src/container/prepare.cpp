#include "container/prepare.hpp"

#include <unistd.h>

#include <algorithm>
#include <ranges>

#include "base/files.hpp"
#include "base/log.hpp"
#include "container/process.hpp"
#include "image/builtin.hpp"
#include "image/flatten.hpp"
#include "image/image_user.hpp"
#include "image/unpack.hpp"

namespace strata::container {

namespace {

constexpr std::size_t kAccountsLimit = 4U << 20U;  // /etc/passwd, /etc/group

bool overlay_available() {
  auto text = read_small_file("/proc/filesystems", 64U << 10U, "read");
  return text && text->find("\toverlay\n") != std::string::npos;
}

Result<ImageMount> choose_mount(ImageMount asked) {
  if (asked != ImageMount::automatic) {
    return asked;
  }
  if (overlay_available()) {
    return ImageMount::overlay;
  }
  log::warn(
      "overlayfs is not available on this kernel (/proc/filesystems); copying the image's layers "
      "into a private root instead, which costs time and space on every run");
  return ImageMount::copy;
}

// The image, its layers unpacked and pinned; `store_dir` gets the store's
// canonical path.
Result<image::UnpackedImage> open_image(const std::string& ref, std::string& store_dir) {
  auto dir = image::Store::default_path();
  auto store = dir ? image::Store::open(*dir) : std::unexpected(dir.error());
  if (!store) {
    return std::unexpected(store.error());
  }
  store_dir = store->dir();
  auto digest = image::resolve_image(*store, ref);
  if (!digest) {
    return std::unexpected(digest.error());
  }
  // The store lock ends with this function; the layers' pins keep prune
  // away from them for the rest of the run.
  // Progress on a terminal; in logs and pipes only with --verbose.
  const bool terminal = ::isatty(STDERR_FILENO) == 1;
  return image::unpack_image(
      *store, *digest, image::UnpackLimits{},
      [&ref, terminal](std::size_t index, std::size_t count, const image::Digest& diff_id) {
        const std::string text =
            fmt::format("{}: unpacking layer {}/{} ({})", ref, index, count, diff_id.str().substr(0, 19));
        terminal ? log::info("{}", text) : log::debug("{}", text);
      });
}

Result<image::ImageUser> resolve_user(const Spec& spec, const image::UnpackedImage& image) {
  const std::string user = effective_user(spec, image.config);
  auto passwd = image::read_image_file(image.layers, "/etc/passwd", kAccountsLimit);
  auto group = passwd ? image::read_image_file(image.layers, "/etc/group", kAccountsLimit)
                      : std::unexpected(passwd.error());
  if (!group) {
    return std::unexpected(group.error());
  }
  const auto view = [](const std::optional<std::string>& text) {
    return text ? std::optional<std::string_view>(*text) : std::nullopt;
  };
  return image::resolve_image_user(user, view(*passwd), view(*group));
}

// The root from the layers: overlayfs over them, or a private copy. The
// writable layer is a tmpfs unless it must outlive the run (--keep) or was
// asked for on disk: directory operations on disk cost milliseconds each on
// some filesystems (ext4 with `discard`), a tmpfs costs nothing to remove.
Result<> make_root(const Spec& spec, const std::string& store_dir, PreparedContainer& out, ImageMount mount) {
  out.root.read_only = spec.read_only;
  const std::vector<std::string> lowers(out.image.layers.rbegin(), out.image.layers.rend());
  const bool disk = spec.keep || spec.writable_layer == WritableLayer::disk || mount == ImageMount::copy;
  if (mount == ImageMount::overlay && !disk) {
    out.root.overlay = OverlayRoot{.lowers = lowers};
    return {};
  }
  RunDir::sweep(store_dir);
  auto dir = RunDir::create(store_dir);
  if (!dir) {
    return std::unexpected(dir.error());
  }
  out.run_dir.emplace(std::move(*dir));
  if (spec.keep) {
    if (auto ok = out.run_dir->keep(); !ok) {
      return ok;
    }
    log::info("keeping the container's writable layer in {}", out.run_dir->path());
  }
  if (mount == ImageMount::overlay) {
    if (auto ok = out.run_dir->make_overlay_dirs(); !ok) {
      return ok;
    }
    out.root.overlay = OverlayRoot{.lowers = lowers,
                                   .upper = out.run_dir->upper(),
                                   .work = out.run_dir->work(),
                                   .volatile_upper = !spec.keep};
    return {};
  }
  auto copied = image::flatten_layers(out.image.layers, out.run_dir->rootfs(),
                                      image::FlattenOptions{.real_root = image::running_as_real_root()});
  if (!copied) {
    return std::unexpected(copied.error());
  }
  out.root.copy = out.run_dir->rootfs();
  return {};
}

}  // namespace

Result<PreparedContainer> prepare_container(const Spec& spec, const HostFacts& host) {
  auto mount = choose_mount(spec.image_mount);
  if (!mount) {
    return std::unexpected(mount.error());
  }
  std::string store_dir;
  auto image = open_image(*spec.image, store_dir);
  if (!image) {
    return std::unexpected(image.error());
  }
  PreparedContainer out{.image = std::move(*image)};
  auto user = resolve_user(spec, out.image);
  if (!user) {
    return std::unexpected(user.error());
  }
  std::optional<std::string> term;
  if (host.stdin_tty && spec.pty == PtyMode::automatic) {
    const auto caller = std::ranges::find(host.environ, "TERM", &EnvVar::name);
    term = caller != host.environ.end() ? caller->value : "xterm";
  }
  if (auto ok = apply_image_config(spec, out.image.config, *user, term, out.root); !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = make_root(spec, store_dir, out, *mount); !ok) {
    return std::unexpected(ok.error());
  }
  return out;
}

}  // namespace strata::container
