// The Debian 12 + python3-venv OCI layout that the `fixture.python_image`
// ctest fixture (tests/layers/make-python-image.sh) makes once in the build
// directory, for the tests of layered environments (PythonImage.*, Layered*.*,
// which tests/CMakeLists.txt makes require that fixture).
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "harness.hpp"

namespace strata::test {

// Where the fixture writes the layout (an OCI image layout directory).
inline std::string python_image_layout() {
  return STRATA_PYTHON_IMAGE_LAYOUT;
}

// The tag the helper gives the image in the test's store.
inline constexpr const char* kPythonImageTag = "debian-python:12";

// Why the layout cannot be used, or "" when it is complete.
inline std::string python_image_unavailable() {
  if (!path_exists(python_image_layout() + "/.strata-complete")) {
    return "no Debian python3-venv image at " + python_image_layout() +
           " (the fixture.python_image ctest fixture makes it: needs root, debootstrap, umoci and the "
           "Debian mirror)";
  }
  return {};
}

// Imports the layout into the store at strata_home (what STRATA_HOME names)
// and returns the reference to give `strata run --image`; fails the test and
// returns "" when the import fails.
inline std::string import_python_image(const std::string& strata_home) {
  const Finished f = run({"/usr/bin/env", "STRATA_HOME=" + strata_home, strata_bin(), "image", "import",
                          "--json", "--tag", kPythonImageTag, python_image_layout()});
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  if (f.exit_code != 0) {
    return {};
  }
  const auto done = nlohmann::json::parse(f.out, nullptr, false);
  EXPECT_TRUE(done.is_object() && done.contains("tag")) << f.out;
  return done.is_object() ? done.value("tag", std::string{}) : std::string{};
}

}  // namespace strata::test
