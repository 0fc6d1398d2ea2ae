// strata image pull against tests/registry/fake_registry.py, which serves an
// OCI layout with the faults a real registry does not make on demand: a
// connection cut mid-blob (resumed with a Range request, in the same process
// or by the next pull), a server that ignores Range, a corrupted blob.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "harness.hpp"
#include "pull_fixtures.hpp"

namespace strata::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kCutBytes = 100000;

class PullFaults : public PullStoreTest {
 protected:
  static void SetUpTestSuite() {
    if (!have_tool("umoci") || !have_tool("python3") || !fs::exists("/bin/busybox")) {
      return;
    }
    layout_ = new TempDir();  // NOLINT: lives for the suite
    sh("cd " + layout_->path() +
       " && umoci init --layout oci && umoci new --image oci:demo"
       " && umoci unpack --rootless --image oci:demo b1 >/dev/null && mkdir -p b1/rootfs/bin"
       " && cp /bin/busybox b1/rootfs/bin/ && umoci repack --image oci:demo b1"
       " && umoci unpack --rootless --image oci:demo b2 >/dev/null && echo one > b2/rootfs/one"
       " && umoci repack --image oci:demo b2");
    ready_ = true;
  }
  static void TearDownTestSuite() {
    delete layout_;
    layout_ = nullptr;
  }
  void SetUp() override {
    if (!ready_) {
      GTEST_SKIP() << "needs umoci, python3 and /bin/busybox (apt-get install umoci busybox-static)";
    }
  }

  // Starts the fake registry in `mode`; returns "127.0.0.1:PORT/demo:1".
  std::string serve(const std::string& mode) {
    const std::string script = std::string(STRATA_REGISTRY_SCRIPTS) + "/fake_registry.py";
    server_.start({"python3", script, "--layout", layout_->path() + "/oci", "--mode", mode, "--cut-bytes",
                   std::to_string(kCutBytes), "--port-file", work_ / "port", "--log", work_ / "log"},
                  -1);
    const int port = wait_for_port_file(work_ / "port");
    EXPECT_GT(port, 0) << "the fake registry did not start";
    return "127.0.0.1:" + std::to_string(port) + "/demo:1";
  }
  // The Range header (or "") of each GET of the layout's largest blob.
  std::vector<std::string> ranges_of_largest() {
    std::string largest;
    std::uintmax_t size = 0;
    for (const auto& e : fs::directory_iterator(layout_->path() + "/oci/blobs/sha256")) {
      if (e.file_size() > size) {
        size = e.file_size();
        largest = e.path().filename();
      }
    }
    std::vector<std::string> out;
    for (const std::string& line : lines(read_file(work_ / "log").value_or(""))) {
      const json r = json::parse(line);
      if (r["path"].get<std::string>().ends_with("/blobs/sha256:" + largest)) {
        out.push_back(r["range"].is_string() ? r["range"].get<std::string>() : "");
      }
    }
    return out;
  }

  static inline TempDir* layout_ = nullptr;
  static inline bool ready_ = false;
  TempDir work_;
  Server server_;
};

TEST_F(PullFaults, CutTransferResumesWithRange) {
  const std::string ref = serve("cut");
  const Finished f = image({"pull", "--insecure", "--json", ref});
  ASSERT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_EQ(ranges_of_largest(), (std::vector<std::string>{"", "bytes=" + std::to_string(kCutBytes) + "-"}));
  const json inspect = image_json({"inspect", "--json", ref});
  ASSERT_EQ(inspect["layers"].size(), 2U);
  // The store verifies the committed blob against its name.
  const Finished verify = run({"/bin/sh", "-c", "sha256sum " + blob_path(inspect["layers"][0]["digest"])});
  EXPECT_EQ(verify.out.substr(0, 64), inspect["layers"][0]["digest"].get<std::string>().substr(7));
  EXPECT_TRUE(partials().empty());
}

TEST_F(PullFaults, NextPullResumesAPartialAndPruneCleansOne) {
  const std::string ref = serve("cut-then-fail");
  const Finished first = image({"pull", "--insecure", ref});
  expect_pull_failure(first, "HTTP 500");
  EXPECT_FALSE(has_tags());
  EXPECT_EQ(blob_count(), 0U);
  const std::vector<std::string> kept = partials();
  ASSERT_FALSE(kept.empty());
  bool cut_kept = false;
  for (const std::string& name : kept) {
    cut_kept = cut_kept || fs::file_size(home_ / ("staging/pull/" + name)) == kCutBytes;
  }
  EXPECT_TRUE(cut_kept) << "no partial of " << kCutBytes << " bytes kept";
  const Finished second = image({"pull", "--insecure", ref});
  ASSERT_EQ(second.exit_code, 0) << describe(second);
  const std::string resume = "bytes=" + std::to_string(kCutBytes) + "-";
  EXPECT_EQ(ranges_of_largest(), (std::vector<std::string>{"", resume, resume}));
  EXPECT_TRUE(partials().empty());
  // A failed pull's partial is what prune removes.
  ASSERT_EQ(image({"rm", ref}).exit_code, 0);
  ASSERT_EQ(image({"prune"}).exit_code, 0);
  server_.stop();
  fs::remove(work_ / "port");
  fs::remove(work_ / "log");
  expect_pull_failure(image({"pull", "--insecure", serve("cut-then-fail")}), "HTTP 500");
  EXPECT_FALSE(partials().empty());
  ASSERT_EQ(image({"prune"}).exit_code, 0);
  EXPECT_TRUE(fs::is_empty(home_ / "staging"));
  EXPECT_EQ(blob_count(), 0U);
}

TEST_F(PullFaults, RangeIgnoredStartsOver) {
  const std::string ref = serve("ignore-range");
  const Finished f = image({"pull", "--insecure", ref});
  ASSERT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_EQ(ranges_of_largest().size(), 2U);
  EXPECT_EQ(image_json({"inspect", "--json", ref})["layers"].size(), 2U);
}

TEST_F(PullFaults, DigestMismatchRejectedNothingStored) {
  const std::string ref = serve("corrupt");
  const Finished f = image({"pull", "--insecure", ref});
  expect_pull_failure(f, "verify blob 'sha256:");
  EXPECT_NE(f.err.find("content has digest"), std::string::npos) << f.err;
  EXPECT_FALSE(has_tags());
  EXPECT_EQ(blob_count(), 0U);
  for (const std::string& name : partials()) {
    EXPECT_EQ(f.err.find(name.substr(0, 12)), std::string::npos)
        << "the corrupt blob's partial was kept: " << name;
  }
}

TEST_F(PullFaults, InsecureOnlyForLoopback) {
  expect_pull_failure(
      image({"pull", "--insecure", "registry.example.com/demo:1"}),
      "check --insecure 'registry.example.com': plain HTTP is allowed only for a registry on this machine");
  expect_pull_failure(image({"pull", "--insecure", "10.1.2.3:5000/demo:1"}),
                      "check --insecure '10.1.2.3:5000'");
  EXPECT_FALSE(has_tags());
}

TEST_F(PullFaults, BadInputsAndHelp) {
  expect_pull_failure(image({"pull", "Not A Reference"}), "parse reference 'Not A Reference'");
  expect_pull_failure(image({"pull", "--insecure", "--tag", "-bad", serve("plain")}), "check tag '-bad'");
  expect_pull_failure(image({"pull", "--username", "u", "localhost:1/demo:1"}), "go together");
  const Finished help = image({"pull", "--help"});
  EXPECT_EQ(help.exit_code, 0) << describe(help);
  EXPECT_NE(help.out.find("--platform"), std::string::npos) << help.out;
  EXPECT_NE(image({"--help"}).out.find("pull"), std::string::npos);
}

// strata finds its helper next to itself: a copy alone says so in one line.
TEST_F(PullFaults, MissingHelperIsAClearError) {
  fs::copy_file(strata_bin(), work_ / "strata");
  fs::permissions(work_ / "strata", fs::perms::owner_all);
  const Finished f = run(
      {"/usr/bin/env", "STRATA_HOME=" + home_.path(), work_ / "strata", "image", "pull", "localhost/x:1"});
  expect_pull_failure(f, "find strata-pull '" + (work_ / "strata-pull") + "': not installed");
}

}  // namespace
}  // namespace strata::test
