#include "image/oci.hpp"

#include <sys/utsname.h>

#include <array>
#include <nlohmann/json.hpp>
#include <utility>

namespace strata::image {

namespace {

using nlohmann::json;

Result<json> parse_object(std::string_view text, const std::string& where) {
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded()) {
    return fail("parse JSON", where, "not valid JSON");
  }
  if (!doc.is_object()) {
    return fail("parse JSON", where, "not a JSON object");
  }
  return doc;
}

Result<std::string> string_field(const json& obj, const char* key, const std::string& where, bool required) {
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    if (required) {
      return fail("parse JSON", where, std::string("missing \"") + key + "\"");
    }
    return std::string();
  }
  if (!it->is_string()) {
    return fail("parse JSON", where, std::string("\"") + key + "\" is not a string");
  }
  return it->get<std::string>();
}

Result<std::vector<std::string>> strings_field(const json& obj, const char* key, const std::string& where) {
  std::vector<std::string> out;
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    return out;
  }
  if (!it->is_array()) {
    return fail("parse JSON", where, std::string("\"") + key + "\" is not an array");
  }
  for (const json& item : *it) {
    if (!item.is_string()) {
      return fail("parse JSON", where, std::string("\"") + key + "\" holds a non-string");
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

std::map<std::string, std::string> annotations_of(const json& obj) {
  std::map<std::string, std::string> out;
  const auto it = obj.find("annotations");
  if (it != obj.end() && it->is_object()) {
    for (const auto& [key, value] : it->items()) {
      if (value.is_string()) {
        out.emplace(key, value.get<std::string>());
      }
    }
  }
  return out;
}

Result<Platform> platform_of(const json& obj, const std::string& where) {
  auto os = string_field(obj, "os", where, true);
  auto arch = os ? string_field(obj, "architecture", where, true) : os;
  auto variant = arch ? string_field(obj, "variant", where, false) : arch;
  if (!variant) {
    return std::unexpected(variant.error());
  }
  return Platform{.os = *os, .architecture = *arch, .variant = *variant};
}

Result<Descriptor> descriptor_of(const json& obj, const std::string& where) {
  if (!obj.is_object()) {
    return fail("parse JSON", where, "a descriptor is not an object");
  }
  auto media_type = string_field(obj, "mediaType", where, true);
  auto digest_text = media_type ? string_field(obj, "digest", where, true) : media_type;
  if (!digest_text) {
    return std::unexpected(digest_text.error());
  }
  auto digest = Digest::parse(*digest_text);
  if (!digest) {
    return fail("parse JSON", where, digest.error().message());
  }
  const auto size = obj.find("size");
  if (size == obj.end() || !size->is_number_unsigned()) {
    return fail("parse JSON", where, "descriptor " + *digest_text + " lacks a non-negative \"size\"");
  }
  Descriptor out{.media_type = *media_type, .digest = *digest, .size = size->get<std::uint64_t>()};
  if (const auto p = obj.find("platform"); p != obj.end() && p->is_object()) {
    auto platform = platform_of(*p, where);
    if (!platform) {
      return std::unexpected(platform.error());
    }
    out.platform = *platform;
  }
  out.annotations = annotations_of(obj);
  return out;
}

Result<std::vector<Descriptor>> descriptors_field(const json& obj, const char* key,
                                                  const std::string& where) {
  const auto it = obj.find(key);
  if (it == obj.end() || !it->is_array()) {
    return fail("parse JSON", where, std::string("missing array \"") + key + "\"");
  }
  std::vector<Descriptor> out;
  for (const json& item : *it) {
    auto d = descriptor_of(item, where);
    if (!d) {
      return std::unexpected(d.error());
    }
    out.push_back(std::move(*d));
  }
  return out;
}

json descriptor_json(const Descriptor& d) {
  json out = {{"mediaType", d.media_type}, {"digest", d.digest.str()}, {"size", d.size}};
  if (!d.annotations.empty()) {
    out["annotations"] = d.annotations;
  }
  return out;
}

}  // namespace

std::string Platform::str() const {
  return os + "/" + architecture + (variant.empty() ? "" : "/" + variant);
}

Result<Platform> parse_platform(std::string_view text) {
  Platform out;
  std::array<std::string*, 3> parts{&out.os, &out.architecture, &out.variant};
  std::size_t count = 0;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t slash = std::min(text.find('/', start), text.size());
    if (count == parts.size() || slash == start) {
      return fail("parse --platform", std::string(text), "expected OS/ARCH[/VARIANT], as in linux/arm64");
    }
    *parts[count++] = std::string(text.substr(start, slash - start));
    start = slash + 1;
  }
  if (count < 2) {
    return fail("parse --platform", std::string(text), "expected OS/ARCH[/VARIANT], as in linux/arm64");
  }
  return out;
}

Platform host_platform() {
  struct utsname u = {};
  ::uname(&u);
  const std::string machine = u.machine;
  static const std::map<std::string, std::pair<std::string, std::string>> kGoArch = {
      {"x86_64", {"amd64", ""}},    {"aarch64", {"arm64", ""}}, {"armv7l", {"arm", "v7"}},
      {"armv6l", {"arm", "v6"}},    {"i686", {"386", ""}},      {"i386", {"386", ""}},
      {"ppc64le", {"ppc64le", ""}}, {"s390x", {"s390x", ""}},   {"riscv64", {"riscv64", ""}},
  };
  const auto it = kGoArch.find(machine);
  const auto [arch, variant] = it != kGoArch.end() ? it->second : std::pair{machine, std::string()};
  return Platform{.os = "linux", .architecture = arch, .variant = variant};
}

bool platform_matches(const Platform& want, const Platform& have) {
  if (want.os != have.os || want.architecture != have.architecture) {
    return false;
  }
  // arm64 images are often labelled v8 and often not; both mean the same.
  auto normal = [&](const std::string& v) {
    return want.architecture == "arm64" && v == "v8" ? "" : v;
  };
  const std::string a = normal(want.variant);
  const std::string b = normal(have.variant);
  return a.empty() || b.empty() || a == b;
}

std::string Descriptor::ref_name() const {
  const auto it = annotations.find(std::string(kRefNameAnnotation));
  return it == annotations.end() ? "" : it->second;
}

Result<DocKind> classify(std::string_view text, const std::string& where) {
  auto doc = parse_object(text, where);
  if (!doc) {
    return std::unexpected(doc.error());
  }
  const auto found = doc->find("mediaType");
  const std::string media_type = found != doc->end() && found->is_string() ? found->get<std::string>() : "";
  if (media_type == media::kOciIndex || media_type == media::kDockerList ||
      (media_type.empty() && doc->contains("manifests"))) {
    return DocKind::index;
  }
  if (media_type == media::kOciManifest || media_type == media::kDockerManifest ||
      (media_type.empty() && doc->contains("layers"))) {
    return DocKind::manifest;
  }
  return fail("parse JSON", where,
              "neither an image index nor an image manifest (mediaType '" + media_type + "')");
}

Result<Index> parse_index(std::string_view text, const std::string& where) {
  auto doc = parse_object(text, where);
  if (!doc) {
    return std::unexpected(doc.error());
  }
  auto manifests = descriptors_field(*doc, "manifests", where);
  if (!manifests) {
    return std::unexpected(manifests.error());
  }
  return Index{.manifests = std::move(*manifests), .annotations = annotations_of(*doc)};
}

Result<Manifest> parse_manifest(std::string_view text, const std::string& where) {
  auto doc = parse_object(text, where);
  if (!doc) {
    return std::unexpected(doc.error());
  }
  auto media_type = string_field(*doc, "mediaType", where, false);
  const auto config = doc->find("config");
  if (config == doc->end()) {
    return fail("parse JSON", where, "missing \"config\"");
  }
  auto config_desc = media_type ? descriptor_of(*config, where) : std::unexpected(media_type.error());
  if (!config_desc) {
    return std::unexpected(config_desc.error());
  }
  auto layers = descriptors_field(*doc, "layers", where);
  if (!layers) {
    return std::unexpected(layers.error());
  }
  return Manifest{.media_type = *media_type,
                  .config = std::move(*config_desc),
                  .layers = std::move(*layers),
                  .annotations = annotations_of(*doc)};
}

Result<ImageConfig> parse_config(std::string_view text, const std::string& where) {
  auto doc = parse_object(text, where);
  if (!doc) {
    return std::unexpected(doc.error());
  }
  auto platform = platform_of(*doc, where);
  if (!platform) {
    return std::unexpected(platform.error());
  }
  ImageConfig out{.platform = *platform};
  if (const auto c = doc->find("config"); c != doc->end() && c->is_object()) {
    auto env = strings_field(*c, "Env", where);
    auto entrypoint = env ? strings_field(*c, "Entrypoint", where) : env;
    auto cmd = entrypoint ? strings_field(*c, "Cmd", where) : entrypoint;
    auto working_dir = cmd ? string_field(*c, "WorkingDir", where, false) : std::unexpected(cmd.error());
    auto user = working_dir ? string_field(*c, "User", where, false) : working_dir;
    auto stop_signal = user ? string_field(*c, "StopSignal", where, false) : user;
    if (!stop_signal) {
      return std::unexpected(stop_signal.error());
    }
    out.stop_signal = std::move(*stop_signal);
    out.env = std::move(*env);
    out.entrypoint = std::move(*entrypoint);
    out.cmd = std::move(*cmd);
    out.working_dir = std::move(*working_dir);
    out.user = std::move(*user);
  }
  const auto rootfs = doc->find("rootfs");
  if (rootfs == doc->end() || !rootfs->is_object()) {
    return fail("parse JSON", where, "missing \"rootfs\"");
  }
  auto diff_ids = strings_field(*rootfs, "diff_ids", where);
  if (!diff_ids) {
    return std::unexpected(diff_ids.error());
  }
  for (const std::string& id : *diff_ids) {
    auto digest = Digest::parse(id);
    if (!digest) {
      return fail("parse JSON", where, "rootfs.diff_ids: " + digest.error().message());
    }
    out.diff_ids.push_back(*digest);
  }
  return out;
}

Result<std::vector<DockerImage>> parse_docker_manifest(std::string_view text, const std::string& where) {
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_array() || doc.empty()) {
    return fail("parse JSON", where, "not a non-empty JSON array (docker-archive manifest.json)");
  }
  std::vector<DockerImage> out;
  for (const json& item : doc) {
    if (!item.is_object()) {
      return fail("parse JSON", where, "an entry is not an object");
    }
    auto config = string_field(item, "Config", where, true);
    auto tags = config ? strings_field(item, "RepoTags", where) : std::unexpected(config.error());
    auto layers = tags ? strings_field(item, "Layers", where) : std::unexpected(tags.error());
    if (!layers) {
      return std::unexpected(layers.error());
    }
    out.push_back(DockerImage{.config = *config, .repo_tags = *tags, .layers = *layers});
  }
  return out;
}

Result<Descriptor> select_platform(const Index& index, const Platform& want, const std::string& where) {
  const Descriptor* loose = nullptr;
  std::string available;
  for (const Descriptor& d : index.manifests) {
    if (!d.platform) {
      continue;
    }
    available += (available.empty() ? "" : ", ") + d.platform->str();
    if (*d.platform == want) {
      return d;
    }
    if (loose == nullptr && platform_matches(want, *d.platform)) {
      loose = &d;
    }
  }
  if (loose != nullptr) {
    return *loose;
  }
  return fail("select platform", where,
              "no image for " + want.str() + " (has: " + (available.empty() ? "none labelled" : available) +
                  "; choose one with --platform)");
}

std::string manifest_json(const Manifest& manifest) {
  json layers = json::array();
  for (const Descriptor& layer : manifest.layers) {
    layers.push_back(descriptor_json(layer));
  }
  json doc = {{"schemaVersion", 2},
              {"mediaType", manifest.media_type},
              {"config", descriptor_json(manifest.config)},
              {"layers", layers}};
  if (!manifest.annotations.empty()) {
    doc["annotations"] = manifest.annotations;
  }
  return doc.dump();
}

}  // namespace strata::image
