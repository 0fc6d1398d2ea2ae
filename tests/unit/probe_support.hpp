// Helpers shared by the probe unit tests (tests/unit/probe_*_test.cpp): the
// recorded trees under tests/fixtures/probe, a layer probe run on a tree,
// facts read back by key or prefix, and scratch trees made on the fly.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "probe/layers.hpp"

namespace strata::probe::test_support {

// tests/fixtures/probe, found from this header's own path.
inline const std::filesystem::path kFixtures =
    std::filesystem::path(__FILE__).parent_path().parent_path() / "fixtures/probe";

// Opens `dir` as a Root and returns probe(root, args...), a layer probe such
// as probe_kernel or probe_language; no facts (and a failure) when `dir`
// cannot be opened.
template <typename Probe, typename... Args>
Facts probe_tree(const std::filesystem::path& dir, Probe probe, const Args&... args) {
  auto root = Root::open(dir.string());
  EXPECT_TRUE(root.has_value()) << dir;
  return root ? probe(*root, args...) : Facts{};
}

// The value of a fact; null (and a failure) when it is missing.
inline nlohmann::json value(const Facts& facts, const std::string& key) {
  const auto it = facts.find(key);
  EXPECT_NE(it, facts.end()) << "missing fact " << key;
  return it == facts.end() ? nlohmann::json() : it->second.value;
}

// The source of a fact; empty when it is missing.
inline std::string source(const Facts& facts, const std::string& key) {
  const auto it = facts.find(key);
  return it == facts.end() ? std::string() : it->second.source;
}

// The facts whose key starts with `prefix`.
inline Facts with_prefix(const Facts& facts, std::string_view prefix) {
  Facts out;
  for (const auto& [key, fact] : facts) {
    if (key.starts_with(prefix)) {
      out.emplace(key, fact);
    }
  }
  return out;
}

// The keys that start with `prefix`, in order.
inline std::vector<std::string> keys_with(const Facts& facts, std::string_view prefix) {
  std::vector<std::string> keys;
  for (const auto& [key, fact] : facts) {
    if (key.starts_with(prefix)) {
      keys.push_back(key);
    }
  }
  return keys;
}

// Every key, in order.
inline std::vector<std::string> keys(const Facts& facts) {
  return keys_with(facts, "");
}

// How many keys start with `prefix`.
inline std::size_t count_prefix(const Facts& facts, std::string_view prefix) {
  return keys_with(facts, prefix).size();
}

// A scratch directory removed at the end of the test. write() and link()
// take paths inside it, with or without a leading '/'.
class TempTree {
 public:
  TempTree() {
    std::string pattern = (std::filesystem::temp_directory_path() / "strata-probe-XXXXXX").string();
    dir_ = ::mkdtemp(pattern.data()) != nullptr ? std::filesystem::path(pattern) : std::filesystem::path();
  }
  TempTree(const TempTree&) = delete;
  TempTree& operator=(const TempTree&) = delete;
  ~TempTree() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  [[nodiscard]] const std::filesystem::path& path() const { return dir_; }
  void write(const std::string& rel, const std::string& text) const {
    const std::filesystem::path file = inside(rel);
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << text;
  }
  void link(const std::string& rel, const std::string& target) const {
    const std::filesystem::path file = inside(rel);
    std::filesystem::create_directories(file.parent_path());
    std::filesystem::create_symlink(target, file);
  }

 private:
  [[nodiscard]] std::filesystem::path inside(const std::string& rel) const {
    return dir_ / std::filesystem::path(rel).relative_path();
  }

  std::filesystem::path dir_;
};

}  // namespace strata::probe::test_support
