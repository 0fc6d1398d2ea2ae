// strata image import|pull|ls|inspect|rm|tag|prune: flags -> image::Store calls
// (pull: -> the strata-pull helper, see pull_flags.hpp).
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "base/log.hpp"
#include "cli/pull_flags.hpp"
#include "cli/verbs.hpp"
#include "image/builtin.hpp"
#include "image/import.hpp"
#include "image/oci.hpp"
#include "image/store.hpp"

namespace strata::cli {

namespace {

using nlohmann::json;

struct ImageFlags {
  bool json = false;
  std::string path;
  std::string tag;
  std::string ref;
  std::string platform;
  std::string src;
  std::string dst;
  PullFlags pull;
};

int print(const std::string& text) {
  return std::fwrite(text.data(), 1, text.size(), stdout) == text.size() && std::fflush(stdout) == 0
             ? 0
             : kExitFailure;
}

int failed(const Error& error) {
  log::error("image", error);
  return error.exit_code;
}

Result<image::Store> open_store(image::LockMode mode = image::LockMode::shared) {
  auto dir = image::Store::default_path();
  return dir ? image::Store::open(*dir, mode) : std::unexpected(dir.error());
}

// What ls and inspect show of one image; best effort for a damaged one.
json describe(const image::Store& store, const std::string& name, const image::Digest& digest) {
  json out = {{"name", name}, {"digest", digest.str()}};
  auto text = store.read_blob(digest);
  auto manifest = text ? image::parse_manifest(*text, digest.str()) : std::unexpected(text.error());
  if (!manifest) {
    out["error"] = manifest.error().message();
    return out;
  }
  std::uint64_t size = manifest->config.size;
  json layers = json::array();
  for (const image::Descriptor& layer : manifest->layers) {
    size += layer.size;
    layers.push_back({{"digest", layer.digest.str()}, {"size", layer.size}, {"mediaType", layer.media_type}});
  }
  out["mediaType"] = manifest->media_type;
  out["size"] = size;
  out["config"] = {{"digest", manifest->config.digest.str()}, {"size", manifest->config.size}};
  out["layers"] = layers;
  auto config_text = store.read_blob(manifest->config.digest);
  auto config = config_text ? image::parse_config(*config_text, manifest->config.digest.str())
                            : std::unexpected(config_text.error());
  if (!config) {
    out["error"] = config.error().message();
    return out;
  }
  out["platform"] = config->platform.str();
  out["env"] = config->env;
  out["entrypoint"] = config->entrypoint;
  out["cmd"] = config->cmd;
  out["workingDir"] = config->working_dir;
  out["user"] = config->user;
  return out;
}

int run_import(const ImageFlags& flags) {
  image::ImportOptions options{.tag = flags.tag, .ref = flags.ref};
  if (!flags.platform.empty()) {
    auto platform = image::parse_platform(flags.platform);
    if (!platform) {
      return failed(platform.error());
    }
    options.platform = *platform;
  }
  auto store = open_store();
  auto done = store ? image::import_image(*store, flags.path, options) : std::unexpected(store.error());
  if (!done) {
    return failed(done.error());
  }
  if (flags.json) {
    const json out = {{"tag", done->tag},
                      {"digest", done->manifest.str()},
                      {"format", done->format},
                      {"platform", done->platform.str()},
                      {"layers", done->layers}};
    return print(out.dump(2) + "\n");
  }
  return print(fmt::format("imported {} ({}, {}, {} layers) as {}\n", done->manifest.str(), done->format,
                           done->platform.str(), done->layers, done->tag));
}

// The registry client links libcurl, which the static strata cannot: the
// helper does the pull, with the flags parsed here (stdin passes through for
// --password-stdin).
int run_pull(const ImageFlags& flags) {
  auto helper = find_pull_helper();
  if (!helper) {
    return failed(helper.error());
  }
  std::vector<std::string> args{*helper};
  if (log::level() != log::Level::normal) {
    args.emplace_back(log::level() == log::Level::quiet ? "--quiet" : "--verbose");
  }
  std::ranges::move(pull_args(flags.pull), std::back_inserter(args));
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (std::string& arg : args) {
    argv.push_back(arg.data());
  }
  argv.push_back(nullptr);
  // Nothing is buffered yet; flushing only makes sure of it.
  static_cast<void>(std::fflush(nullptr));
  ::execv(helper->c_str(), argv.data());
  return failed(fail_errno("run strata-pull", *helper).error());
}

int run_ls(const ImageFlags& flags) {
  auto store = open_store();
  auto refs = store ? store->refs() : std::unexpected(store.error());
  if (!refs) {
    return failed(refs.error());
  }
  json all = json::array();
  std::string text = fmt::format("{:<40} {:<19} {:<14} {:>12}\n", "TAG", "DIGEST", "PLATFORM", "SIZE");
  for (const auto& [name, digest] : *refs) {
    json item = describe(*store, name, digest);
    text += fmt::format("{:<40} {:<19} {:<14} {:>12}\n", name, digest.str().substr(0, 19),
                        item.value("platform", "?"), item.contains("size") ? item["size"].dump() : "?");
    all.push_back(std::move(item));
  }
  return print(flags.json ? all.dump(2) + "\n" : text);
}

int run_inspect(const ImageFlags& flags) {
  auto store = open_store();
  auto digest = store ? image::resolve_image(*store, flags.ref) : std::unexpected(store.error());
  if (!digest) {
    return failed(digest.error());
  }
  json out = describe(*store, flags.ref, *digest);
  if (out.contains("error")) {
    return failed(
        Error{.step = "inspect image", .path = flags.ref, .detail = out["error"].get<std::string>()});
  }
  if (flags.json) {
    return print(out.dump(2) + "\n");
  }
  std::string text;
  for (const auto& [key, value] : out.items()) {
    text += fmt::format("{}: {}\n", key, value.is_string() ? value.get<std::string>() : value.dump());
  }
  return print(text);
}

int run_rm(const ImageFlags& flags) {
  auto store = open_store();
  auto ok = store ? store->untag(flags.ref) : std::unexpected(store.error());
  if (!ok) {
    return failed(ok.error());
  }
  return print(fmt::format("untagged {} (strata image prune frees its blobs)\n", flags.ref));
}

int run_tag(const ImageFlags& flags) {
  auto store = open_store();
  auto digest = store ? image::resolve_image(*store, flags.src) : std::unexpected(store.error());
  auto ok = digest ? store->tag(flags.dst, *digest) : std::unexpected(digest.error());
  return ok ? 0 : failed(ok.error());
}

int run_prune(const ImageFlags& flags) {
  auto store = open_store(image::LockMode::exclusive);
  auto stats = store ? store->prune() : std::unexpected(store.error());
  if (!stats) {
    return failed(stats.error());
  }
  if (flags.json) {
    return print(json{{"blobs", stats->blobs},
                      {"bytes", stats->bytes},
                      {"layers", stats->layers},
                      {"busy_layers", stats->busy_layers}}
                     .dump(2) +
                 "\n");
  }
  const std::string busy = stats->busy_layers == 0
                               ? ""
                               : fmt::format(" ({} kept: in use by a running container)", stats->busy_layers);
  return print(fmt::format("removed {} blobs, {} bytes, {} unpacked layers{}\n", stats->blobs, stats->bytes,
                           stats->layers, busy));
}

void add_subcommands(CLI::App& command, ImageFlags& flags) {
  auto* import =
      command.add_subcommand("import", "Import an OCI layout directory, OCI archive or docker-archive");
  import->add_option("PATH", flags.path, "The directory or tar file")->required();
  import
      ->add_option("--tag", flags.tag,
                   "Tag the image NAME (default: its name in the archive, else its digest)")
      ->type_name("NAME");
  import->add_option("--ref", flags.ref, "Which image of several in the input (its ref name or RepoTag)")
      ->type_name("NAME");
  import
      ->add_option("--platform", flags.platform,
                   "From a multi-platform index, take this one (default: this machine's)")
      ->type_name("OS/ARCH[/VARIANT]");
  import->add_flag("--json", flags.json, "Print the result as JSON");
  declare_pull_flags(*command.add_subcommand("pull", "Pull an image from a registry (OCI distribution API)"),
                     flags.pull);
  auto* ls = command.add_subcommand("ls", "List the tagged images (a builtin: image once it was used)");
  ls->add_flag("--json", flags.json, "Print a JSON array");
  auto* inspect = command.add_subcommand("inspect", "Show an image's manifest and config");
  inspect->add_option("REF", flags.ref, "A tag, a manifest digest or builtin:NAME")->required();
  inspect->add_flag("--json", flags.json, "Print JSON");
  command.add_subcommand("rm", "Remove a tag (prune frees the blobs)")
      ->add_option("REF", flags.ref, "The tag")
      ->required();
  auto* tag = command.add_subcommand("tag", "Give an image another tag");
  tag->add_option("SRC", flags.src, "A tag, a manifest digest or builtin:NAME")->required();
  tag->add_option("DST", flags.dst, "The new tag")->required();
  auto* prune = command.add_subcommand(
      "prune", "Delete every blob and unpacked layer no tag references (layers in use by a run are kept)");
  prune->add_flag("--json", flags.json, "Print what was removed as JSON");
}

}  // namespace

Runner attach_image(CLI::App& command) {
  auto flags = std::make_shared<ImageFlags>();
  command.require_subcommand(1);
  add_subcommands(command, *flags);
  command.footer(
      "The store is $STRATA_HOME (default /var/lib/strata for root, ~/.local/share/strata otherwise).\n"
      "builtin:busybox ships with strata and is imported into the store the first time it is named.\n"
      "Exit status: 0 on success, 125 on any failure (one line on stderr names the input and reason).");
  return [flags, &command](const std::vector<std::string>& trailing) {
    if (!trailing.empty()) {
      log::line("image: takes no command (found words after --)");
      return static_cast<int>(kExitFailure);
    }
    using Run = int (*)(const ImageFlags&);
    constexpr std::array<std::pair<const char*, Run>, 7> kRuns{{{"import", run_import},
                                                                {"pull", run_pull},
                                                                {"ls", run_ls},
                                                                {"inspect", run_inspect},
                                                                {"rm", run_rm},
                                                                {"tag", run_tag},
                                                                {"prune", run_prune}}};
    for (const auto& [name, run] : kRuns) {
      if (command.get_subcommand(name)->parsed()) {
        return run(*flags);
      }
    }
    return static_cast<int>(kExitFailure);
  };
}

}  // namespace strata::cli
