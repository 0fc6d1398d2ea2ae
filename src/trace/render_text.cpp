#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <vector>

#include "trace/render.hpp"

namespace strata::trace {

namespace {

using nlohmann::json;

constexpr std::size_t kTopSyscalls = 12;

std::string join(const std::vector<std::string>& items, std::string_view separator = ", ") {
  std::string out;
  for (const std::string& item : items) {
    out += (out.empty() ? "" : std::string(separator)) + item;
  }
  return out;
}

void line(std::string& out, std::string_view label, const std::string& text) {
  if (!text.empty()) {
    out += fmt::format("  {:<18} {}\n", label, text);
  }
}

std::string syscalls_text(const json& syscalls) {
  std::vector<std::pair<std::uint64_t, std::string>> by_count;
  for (const auto& [name, count] : syscalls.items()) {
    by_count.emplace_back(count["count"].get<std::uint64_t>(), name);
  }
  std::ranges::sort(by_count, std::greater<>());
  std::vector<std::string> items;
  for (std::size_t i = 0; i < by_count.size() && i < kTopSyscalls; ++i) {
    const auto& [count, name] = by_count[i];
    const auto errors = syscalls[name]["errors"].get<std::uint64_t>();
    items.push_back(errors > 0 ? fmt::format("{} {} ({} failed)", name, count, errors)
                               : fmt::format("{} {}", name, count));
  }
  if (by_count.size() > kTopSyscalls) {
    items.push_back(fmt::format("{} more", by_count.size() - kTopSyscalls));
  }
  return join(items);
}

std::string files_text(const json& files) {
  std::map<std::string, std::size_t> by_layer;
  std::size_t missing = 0;
  for (const json& file : files) {
    ++by_layer[file["layer"].get<std::string>()];
    missing += file["access"] == "probe-missing" ? 1 : 0;
  }
  std::vector<std::string> items;
  items.reserve(by_layer.size() + 1);
  for (const auto& [layer, count] : by_layer) {
    items.push_back(fmt::format("{} {}", layer, count));
  }
  if (missing > 0) {
    items.push_back(fmt::format("{} probed and missing", missing));
  }
  return join(items);
}

std::string features_text(const json& features) {
  std::vector<std::string> items;
  for (const json& f : features) {
    std::string item =
        fmt::format("{} ({}", f["feature"].get<std::string>(), f["evidence"].get<std::string>());
    if (f.contains("abi")) {
      item += fmt::format(", ABI {}", f["abi"].get<int>());
    }
    item += f.contains("error") ? fmt::format(", {})", f["error"].get<std::string>()) : ")";
    items.push_back(std::move(item));
  }
  return join(items);
}

std::string packages_text(const json& packages) {
  std::vector<std::string> items;
  for (const auto& [name, version] : packages.items()) {
    items.push_back(version.is_string() ? name + " " + version.get<std::string>() : name);
  }
  return join(items);
}

std::string sockets_text(const json& sockets) {
  std::vector<std::string> items;
  for (const json& s : sockets) {
    std::string item = s["call"].get<std::string>() + " " + s["family"].get<std::string>();
    for (const char* key : {"type", "address"}) {
      if (s.contains(key)) {
        item += " " + s[key].get<std::string>();
      }
    }
    items.push_back(item);
  }
  return join(items);
}

std::string strings_text(const json& list, std::string_view key = {}) {
  std::vector<std::string> items;
  for (const json& item : list) {
    items.push_back(key.empty() ? item.get<std::string>() : item[std::string(key)].get<std::string>());
  }
  return join(items);
}

}  // namespace

std::string summary_text(const json& document) {
  const json& trace = document["trace"];
  const json& needs = document["needs"];
  std::string out =
      fmt::format("strata: trace: '{}' exited with {}: {} process(es), {} thread(s), {} stop(s)\n",
                  join(trace["command"].get<std::vector<std::string>>(), " "), trace["exit_code"].get<int>(),
                  trace["processes"].get<std::uint64_t>(), trace["threads"].get<std::uint64_t>(),
                  trace["stops"].get<std::uint64_t>());
  line(out, "system calls", syscalls_text(trace["syscalls"]));
  if (!trace["baseline"].empty()) {
    line(out, "not stopped on",
         fmt::format("{} baseline calls (read, write, fstat, futex...): allowed, not counted",
                     trace["baseline"].size()));
  }
  line(out, "executed", strings_text(trace["executed"], "path"));
  line(out, "dlopen", strings_text(needs["dlopen"]));
  line(out, "files", files_text(trace["files"]));
  line(out, "kernel features", features_text(trace["kernel_features"]));
  line(out, "python packages", packages_text(needs["python_packages"]));
  line(out, "node packages", packages_text(needs["node_packages"]));
  line(out, "sockets", sockets_text(trace["sockets"]));
  line(out, "sysctls read", strings_text(needs["sysctls"]));
  if (needs["min_kernel"].is_string()) {
    line(out, "min kernel",
         fmt::format("{} ({})", needs["min_kernel"].get<std::string>(),
                     needs.value("min_kernel_because", std::string("ABI tag"))));
  }
  if (needs["glibc"].is_string()) {
    line(out, "glibc", needs["glibc"].get<std::string>());
  }
  line(out, "notes", strings_text(trace["notes"]));
  return out;
}

}  // namespace strata::trace
