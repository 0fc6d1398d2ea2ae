// Writing and reading strata.lock/v1. A lock is untrusted input (it travels
// with a project to other machines): every key is type-checked before use
// and refused by name, never read as "absent".
#include "auto/lock.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "base/json_error.hpp"
#include "probe/manifest.hpp"

namespace strata::autolayers {

namespace {

using nlohmann::json;
using nlohmann::ordered_json;

constexpr std::string_view kStep = "read lock";

ordered_json pinned_json(const std::optional<PinnedFile>& file) {
  if (!file) {
    return nullptr;
  }
  return {{"path", file->path}, {"sha256", file->sha256}};
}

template <class T>
ordered_json optional_json(const std::optional<T>& value) {
  return value ? ordered_json(*value) : ordered_json(nullptr);
}

ordered_json language_json(const std::optional<LockLanguage>& lang) {
  if (!lang) {
    return nullptr;
  }
  return {{"python_requirements", pinned_json(lang->python_requirements)},
          {"find_links", lang->find_links},
          {"node_lockfile", pinned_json(lang->node_lockfile)},
          {"python", optional_json(lang->python)}};
}

// Type-checked access to one object of the lock; the first problem wins
// and names the key ("kernel.release").
class Reader {
 public:
  Reader(const json& object, std::string prefix) : object_(object), prefix_(std::move(prefix)) {}

  // nullptr for an absent or null member.
  const json* member(std::string_view key, json::value_t type, std::string_view expected) {
    const auto it = object_.find(key);
    if (it == object_.end() || it->is_null()) {
      return nullptr;
    }
    const bool ok = it->type() == type || (type == json::value_t::number_integer && it->is_number_integer());
    if (!ok) {
      wrong(key, expected, *it);
      return nullptr;
    }
    return &*it;
  }

  std::optional<std::string> string(std::string_view key) {
    const json* value = member(key, json::value_t::string, "a string");
    return value != nullptr ? std::optional(value->get<std::string>()) : std::nullopt;
  }

  std::vector<std::string> strings(std::string_view key) {
    std::vector<std::string> out;
    const json* value = member(key, json::value_t::array, "an array of strings");
    for (std::size_t i = 0; value != nullptr && i < value->size(); ++i) {
      if (!(*value)[i].is_string()) {
        wrong(fmt::format("{}[{}]", key, i), "a string", (*value)[i]);
        return {};
      }
      out.push_back((*value)[i].get<std::string>());
    }
    return out;
  }

  std::optional<PinnedFile> pinned(std::string_view key) {
    const json* value = member(key, json::value_t::object, "an object");
    if (value == nullptr) {
      return std::nullopt;
    }
    Reader inner(*value, name(key) + ".");
    auto path = inner.required(inner.string("path"), "path");
    auto sha = inner.required(inner.string("sha256"), "sha256");
    adopt(inner);
    return PinnedFile{.path = path.value_or(""), .sha256 = sha.value_or("")};
  }

  std::optional<std::string> required(std::optional<std::string> value, std::string_view key) {
    if (!value && !error_) {
      error_ = fmt::format("key \"{}\" is missing", name(key));
    }
    return value;
  }

  void adopt(const Reader& inner) {
    if (!error_ && inner.error_) {
      error_ = inner.error_;
    }
  }

  [[nodiscard]] const std::optional<std::string>& error() const { return error_; }

 private:
  [[nodiscard]] std::string name(std::string_view key) const { return prefix_ + std::string(key); }

  void wrong(std::string_view key, std::string_view expected, const json& found) {
    if (!error_) {
      error_ = fmt::format("key \"{}\" is {}, expected {}", name(key), found.type_name(), expected);
    }
  }

  const json& object_;
  std::string prefix_;
  std::optional<std::string> error_;
};

void read_context(Reader& top, Lock& lock) {
  if (const json* run = top.member("run", json::value_t::object, "an object")) {
    Reader r(*run, "run.");
    lock.isolation = r.string("isolation").value_or("");
    lock.rootfs = r.string("rootfs");
    if (const json* image = r.member("image", json::value_t::object, "an object")) {
      Reader i(*image, "run.image.");
      auto reference = i.required(i.string("reference"), "reference");
      auto digest = i.required(i.string("digest"), "digest");
      lock.image = LockImage{.reference = reference.value_or(""), .digest = digest.value_or("")};
      r.adopt(i);
    }
    top.adopt(r);
  }
  if (const json* kernel = top.member("kernel", json::value_t::object, "an object")) {
    Reader k(*kernel, "kernel.");
    lock.kernel.release = k.required(k.string("release"), "release").value_or("");
    lock.kernel.path = k.string("path");
    lock.kernel.sha256 = k.string("sha256");
    top.adopt(k);
  }
  if (const json* lang = top.member("language", json::value_t::object, "an object")) {
    Reader l(*lang, "language.");
    lock.language = LockLanguage{.python_requirements = l.pinned("python_requirements"),
                                 .find_links = l.strings("find_links"),
                                 .node_lockfile = l.pinned("node_lockfile"),
                                 .python = l.string("python")};
    top.adopt(l);
  }
}

}  // namespace

ordered_json to_json(const Lock& lock, std::string_view generator) {
  ordered_json image = nullptr;
  if (lock.image) {
    image = {{"reference", lock.image->reference}, {"digest", lock.image->digest}};
  }
  return {{"schema", kLockSchema},
          {"generator", generator},
          {"command", lock.command},
          {"exit_code", lock.exit_code},
          {"run", {{"isolation", lock.isolation}, {"image", image}, {"rootfs", optional_json(lock.rootfs)}}},
          {"kernel",
           {{"release", lock.kernel.release},
            {"path", optional_json(lock.kernel.path)},
            {"sha256", optional_json(lock.kernel.sha256)}}},
          {"language", language_json(lock.language)},
          {"needs", lock.needs_document},
          {"manifest", lock.manifest_document}};
}

Result<Lock> lock_from_json(std::string_view text, const std::string& origin) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {
    return fail(std::string(kStep), origin, json_error_text(e.what()));
  }
  if (!doc.is_object()) {
    return fail(std::string(kStep), origin, "not a JSON object");
  }
  const auto schema = doc.value("schema", json()).is_string() ? doc["schema"].get<std::string>() : "";
  if (schema != kLockSchema) {
    return fail(std::string(kStep), origin,
                fmt::format("schema \"{}\" is not {} (strata record writes one)", schema, kLockSchema));
  }
  Lock lock;
  Reader top(doc, "");
  lock.command = top.strings("command");
  if (const json* code = top.member("exit_code", json::value_t::number_integer, "an integer")) {
    lock.exit_code = code->get<int>();
  }
  read_context(top, lock);
  const json* needs = top.member("needs", json::value_t::object, "an object");
  const json* manifest = top.member("manifest", json::value_t::object, "an object");
  if (!top.error() && (needs == nullptr || manifest == nullptr)) {
    return fail(std::string(kStep), origin,
                fmt::format("key \"{}\" is missing", needs == nullptr ? "needs" : "manifest"));
  }
  if (top.error()) {
    return fail(std::string(kStep), origin, *top.error());
  }
  lock.needs_document = *needs;
  lock.manifest_document = *manifest;
  auto read_needs = check::needs_from_json(needs->dump(), origin + " (its needs)");
  if (!read_needs) {
    return std::unexpected(read_needs.error());
  }
  lock.needs = std::move(*read_needs);
  if (auto read_manifest = probe::manifest_from_json(manifest->dump(), origin + " (its manifest)");
      !read_manifest) {
    return std::unexpected(read_manifest.error());
  }
  return lock;
}

std::string path_for_lock(const std::string& path, const std::string& lock_dir) {
  const std::filesystem::path absolute = std::filesystem::absolute(path).lexically_normal();
  const std::filesystem::path base = std::filesystem::absolute(lock_dir).lexically_normal();
  const std::filesystem::path relative = absolute.lexically_relative(base);
  if (relative.empty() || relative.begin()->string() == "..") {
    return absolute.string();
  }
  return relative.string();
}

std::string path_from_lock(const std::string& path, const std::string& lock_dir) {
  if (path.starts_with('/')) {
    return path;
  }
  return (std::filesystem::path(lock_dir) / path).lexically_normal().string();
}

}  // namespace strata::autolayers
