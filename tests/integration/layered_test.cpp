// Layered environments with a real language layer: a Python venv built inside
// a Debian + python3 container (the fixture.python_image OCI layout), and the
// same inside a container inside a VM. Each run reports, from the innermost
// layer, the kernel, the C library, the Python and the venv it sees.
#include <gtest/gtest.h>
#include <sys/utsname.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "harness.hpp"
#include "python_image.hpp"
#include "vm_fixtures.hpp"
#include "wheel.hpp"

namespace strata::test {
namespace {

// What the innermost layer sees, as one JSON line.
constexpr const char* kReport = R"(
import json, os, platform, sys, stratalayer
with open("/proc/self/status") as status:
    seccomp = [l.split()[1] for l in status if l.startswith("Seccomp:")][0]
print(json.dumps({
    "kernel": platform.release(),
    "libc": list(platform.libc_ver()),
    "python": list(sys.version_info[:2]),
    "prefix": sys.prefix,
    "in_venv": sys.prefix != sys.base_prefix,
    "package": stratalayer.__version__,
    "seccomp": seccomp,
    "debian": open("/etc/debian_version").read().strip(),
}))
)";

class Layered : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = python_image_unavailable(); !why.empty()) {
      GTEST_SKIP() << why;
    }
    std::filesystem::create_directory(work_ / "wheels");
    make_wheel(work_ / "wheels", "stratalayer", "1.0");
    write_file(work_ / "requirements.txt", "stratalayer==1.0\n");
    image_ = import_python_image(home_.path());
    ASSERT_FALSE(image_.empty());
  }

  // strata run --isolation LAYERS --image the python image, the venv inputs, the report.
  // Under TCG, building the venv inside the VM (ensurepip, then pip) takes about a minute.
  [[nodiscard]] Finished report(const std::string& layers,
                                std::chrono::seconds bound = std::chrono::seconds(30)) const {
    return Process::start({"/usr/bin/env", "-C", work_.path(), "STRATA_HOME=" + home_.path(), strata_bin(),
                           "run", "--isolation", layers, "--image", image_, "--requirements",
                           work_ / "requirements.txt", "--find-links", work_ / "wheels", "--", "python3",
                           "-c", kReport})
        .wait(bound);
  }

  // The report's JSON (the last line of stdout), or null.
  static nlohmann::json parsed(const Finished& f) {
    const auto out = lines(f.out);
    return out.empty() ? nlohmann::json() : nlohmann::json::parse(out.back(), nullptr, false);
  }

  TempDir home_;
  TempDir work_;
  std::string image_;
};

TEST_F(Layered, ContainerPlusVenvBuildsTheVenvWithTheImagesPython) {
  utsname host{};
  ::uname(&host);
  const Finished f = report("container+venv");
  ASSERT_EQ(f.exit_code, 0) << describe(f);
  const auto seen = parsed(f);
  ASSERT_TRUE(seen.is_object()) << describe(f);
  EXPECT_EQ(seen["kernel"], host.release) << "a container shares the host's kernel";
  EXPECT_EQ(seen["libc"], nlohmann::json::array({"glibc", "2.36"})) << "the image's glibc";
  EXPECT_EQ(seen["python"], nlohmann::json::array({3, 11})) << "the image's python3";
  EXPECT_TRUE(seen["in_venv"].get<bool>()) << describe(f);
  EXPECT_TRUE(seen["prefix"].get<std::string>().starts_with(home_.path() + "/envs/")) << seen["prefix"];
  EXPECT_EQ(seen["package"], "1.0");
  EXPECT_EQ(seen["seccomp"], "2") << "the container's filter";
  // The second run reuses what the first built.
  const Finished again = report("container+venv");
  ASSERT_EQ(again.exit_code, 0) << describe(again);
  EXPECT_EQ(parsed(again)["prefix"], seen["prefix"]);
}

TEST_F(Layered, VmPlusContainerPlusVenvReportsEachLayerFromInside) {
  SKIP_WITHOUT_VM();
  utsname host{};
  ::uname(&host);
  const Finished f = report("vm+container+venv", std::chrono::seconds(280));
  ASSERT_EQ(f.exit_code, 0) << describe(f);
  const auto seen = parsed(f);
  ASSERT_TRUE(seen.is_object()) << describe(f);
  const std::string kernel = seen["kernel"];
  EXPECT_NE(kernel, host.release) << "the VM's own kernel";
  EXPECT_TRUE(path_exists("/lib/modules/" + kernel)) << "the /boot kernel strata booted: " << kernel;
  EXPECT_EQ(seen["libc"], nlohmann::json::array({"glibc", "2.36"})) << "the image's glibc";
  EXPECT_EQ(seen["python"], nlohmann::json::array({3, 11})) << "the image's python3";
  EXPECT_FALSE(seen["debian"].get<std::string>().empty());
  EXPECT_TRUE(seen["in_venv"].get<bool>()) << describe(f);
  EXPECT_TRUE(seen["prefix"].get<std::string>().starts_with(home_.path() + "/envs/")) << seen["prefix"];
  EXPECT_EQ(seen["package"], "1.0");
  EXPECT_EQ(seen["seccomp"], "2") << "the sandbox inside the guest";
}

TEST_F(Layered, DryRunShowsTheVmTheGuestsLayerAndTheVenv) {
  const Finished f =
      run({"/usr/bin/env", "-C", work_.path(), "STRATA_HOME=" + home_.path(), strata_bin(), "run",
           "--isolation", "vm+container+venv", "--image", image_, "--requirements",
           work_ / "requirements.txt", "--find-links", work_ / "wheels", "--dry-run", "--", "python3", "-V"});
  ASSERT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_NE(f.out.find("venv: python env"), std::string::npos) << f.out;
  EXPECT_NE(f.out.find("isolation: vm"), std::string::npos) << f.out;
  EXPECT_NE(f.out.find("-- the layer inside the guest (container) --"), std::string::npos) << f.out;
  EXPECT_NE(f.out.find("VIRTUAL_ENV="), std::string::npos)
      << "the venv's variables reach the inner run: " << f.out;
}

}  // namespace
}  // namespace strata::test
