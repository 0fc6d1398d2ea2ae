// The fixture image of the layered-environment tests (python_image.hpp) works
// as a container: Debian 12's python3 runs, and `python3 -m venv` makes a
// venv (pip from Debian's bundled wheels) whose python runs.
#include "python_image.hpp"

#include <gtest/gtest.h>

#include <string>

#include "harness.hpp"

namespace strata::test {
namespace {

TEST(PythonImage, RunsPython3AndVenvInAContainer) {
  if (const std::string why = python_image_unavailable(); !why.empty()) {
    GTEST_SKIP() << why;
  }
  const TempDir home;
  const std::string ref = import_python_image(home.path());
  ASSERT_FALSE(ref.empty());
  const auto in_container = [&](const std::string& script) {
    return run({"/usr/bin/env", "STRATA_HOME=" + home.path(), strata_bin(), "run", "--image", ref, "--",
                "/bin/sh", "-c", script});
  };

  const Finished version = in_container("python3 -c 'import sys, venv; print(sys.version_info[:2])'");
  ASSERT_EQ(version.exit_code, 0) << describe(version);
  EXPECT_EQ(version.out, "(3, 11)\n");

  const Finished venv = in_container(
      "python3 -m venv /tmp/v && /tmp/v/bin/python -c 'import sys; print(sys.prefix)'"
      " && /tmp/v/bin/python -m pip --version");
  ASSERT_EQ(venv.exit_code, 0) << describe(venv);
  const auto out = lines(venv.out);
  ASSERT_EQ(out.size(), 2U) << venv.out;
  EXPECT_EQ(out[0], "/tmp/v");
  EXPECT_TRUE(out[1].starts_with("pip ") && out[1].contains("/tmp/v/lib/python3.11/site-packages/pip"))
      << out[1];
}

}  // namespace
}  // namespace strata::test
