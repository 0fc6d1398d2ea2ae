// Shared by the image tests that run the real binary on images the real
// tools build (image_test.cpp, image_tools_test.cpp): tool checks, shell
// steps, and a store of the test's own (STRATA_HOME) with `strata image` on it.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness.hpp"

namespace strata::test {

inline bool have_tool(const std::string& name) {
  return run({"/bin/sh", "-c", "command -v " + name}).exit_code == 0;
}

// Runs a shell script, failing the test with its output if it fails.
inline void sh(const std::string& script) {
  const Finished f = run({"/bin/sh", "-ec", script});
  ASSERT_EQ(f.exit_code, 0) << script << "\n" << describe(f);
}

class ImageStoreTest : public ::testing::Test {
 protected:
  Finished image(const std::vector<std::string>& args) {
    std::vector<std::string> argv{"/usr/bin/env", "STRATA_HOME=" + home_.path(), strata_bin(), "image"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv);
  }
  nlohmann::json image_json(const std::vector<std::string>& args) {
    const Finished f = image(args);
    EXPECT_EQ(f.exit_code, 0) << describe(f);
    return nlohmann::json::parse(f.out, nullptr, false);
  }
  [[nodiscard]] std::size_t blob_count() const {
    std::size_t n = 0;
    std::error_code ec;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(home_ / "blobs/sha256", ec)) {
      ++n;
    }
    return n;
  }
  // The store's file of a blob ("sha256:HEX").
  [[nodiscard]] std::string blob_path(const std::string& digest) const {
    return home_ / ("blobs/sha256/" + digest.substr(digest.find(':') + 1));
  }

  TempDir home_;
};

}  // namespace strata::test
