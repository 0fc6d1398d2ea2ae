// builtin:busybox: the layout the build assembles beside the binary
// (tools/make-busybox-image.py), imported by the real binary on first use.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "harness.hpp"
#include "image/digest.hpp"

namespace strata::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

std::string built_layout() {
  return (fs::path(strata_bin()).parent_path() / "images/busybox").string();
}

class BuiltinImageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(built_layout() + "/index.json")) {
      GTEST_SKIP() << "the build made no " << built_layout() << " (needs python3 and busybox-static)";
    }
  }
  // `strata image ARGS` on this test's empty store, finding the layout beside the binary.
  [[nodiscard]] std::vector<std::string> argv(const std::vector<std::string>& args) const {
    std::vector<std::string> out{
        "/usr/bin/env", "-u", "STRATA_BUILTIN_IMAGES", "STRATA_HOME=" + home_.path(), strata_bin(), "image"};
    out.insert(out.end(), args.begin(), args.end());
    return out;
  }
  json image_json(const std::vector<std::string>& args) {
    const Finished f = run(argv(args));
    EXPECT_EQ(f.exit_code, 0) << describe(f);
    return json::parse(f.out, nullptr, false);
  }

  TempDir home_;
};

TEST_F(BuiltinImageTest, InspectOnAnEmptyStore) {
  EXPECT_EQ(image_json({"ls", "--json"}), json::array());  // listed once used, not before
  const json out = image_json({"inspect", "--json", "builtin:busybox"});
  ASSERT_TRUE(out.is_object()) << out;
  EXPECT_EQ(out["name"], "builtin:busybox");
  ASSERT_EQ(out["layers"].size(), 1U) << out;
  EXPECT_EQ(out["layers"][0]["mediaType"], "application/vnd.oci.image.layer.v1.tar+gzip");
  EXPECT_EQ(out["env"], json({kPath}));
  EXPECT_EQ(out["cmd"], json({"sh"}));
  const std::string arch = run({"/bin/sh", "-c", "uname -m"}).out;
  if (arch == "x86_64\n") {
    EXPECT_EQ(out["platform"], "linux/amd64");
  }
  const json ls = image_json({"ls", "--json"});
  ASSERT_EQ(ls.size(), 1U);
  EXPECT_EQ(ls[0]["name"], "builtin:busybox");
  EXPECT_EQ(ls[0]["digest"], out["digest"]);
  // The layout's own manifest, unchanged by the import.
  const json index = json::parse(read_file(built_layout() + "/index.json").value());
  EXPECT_EQ(out["digest"], index["manifests"][0]["digest"]);
}

TEST_F(BuiltinImageTest, LayerHoldsBusyboxItsAppletsAndEtc) {
  const json out = image_json({"inspect", "--json", "builtin:busybox"});
  ASSERT_EQ(out["layers"].size(), 1U) << out;
  const std::string blob =
      home_ / ("blobs/sha256/" + out["layers"][0]["digest"].get<std::string>().substr(7));
  const Finished list = run({"/bin/tar", "-tvzf", blob});
  ASSERT_EQ(list.exit_code, 0) << describe(list);
  for (const char* needle :
       {" bin/busybox\n", " bin/sh -> /bin/busybox\n", " usr/bin/env -> /bin/busybox\n", " etc/passwd\n",
        " etc/group\n", "drwxrwxrwt root/root         0 2000-01-01 00:00 tmp/\n", "drwx------ root/root"}) {
    EXPECT_NE(list.out.find(needle), std::string::npos) << needle << " in\n" << list.out;
  }
  const Finished passwd = run({"/bin/tar", "-xzOf", blob, "etc/passwd"});
  EXPECT_EQ(passwd.out,
            "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
}

TEST_F(BuiltinImageTest, TagAndErrors) {
  ASSERT_EQ(run(argv({"tag", "builtin:busybox", "mine"})).exit_code, 0);
  const json mine = image_json({"inspect", "--json", "mine"});
  EXPECT_EQ(mine["cmd"], json({"sh"}));
  const Finished unknown = run(argv({"inspect", "builtin:alpine"}));
  EXPECT_EQ(unknown.exit_code, 125) << describe(unknown);
  EXPECT_EQ(
      unknown.err,
      "strata: image: find image 'builtin:alpine': no such built-in image (there is builtin:busybox)\n");
  TempDir empty;
  const Finished missing =
      run({"/usr/bin/env", "STRATA_BUILTIN_IMAGES=" + empty.path(), "STRATA_HOME=" + (home_ / "other"),
           strata_bin(), "image", "inspect", "builtin:busybox"});
  EXPECT_EQ(missing.exit_code, 125) << describe(missing);
  EXPECT_EQ(lines(missing.err).size(), 1U) << missing.err;
  EXPECT_NE(missing.err.find("layout is missing (looked in " + (empty / "busybox") + ";"), std::string::npos)
      << missing.err;
}

// Several first uses at once on one empty store: all see the same image.
TEST_F(BuiltinImageTest, ConcurrentFirstUses) {
  constexpr int kProcesses = 4;
  std::vector<Process> running;
  running.reserve(kProcesses);
  for (int i = 0; i < kProcesses; ++i) {
    running.push_back(Process::start(argv({"inspect", "--json", "builtin:busybox"})));
  }
  std::set<std::string> digests;
  for (Process& p : running) {
    const Finished f = p.wait();
    ASSERT_EQ(f.exit_code, 0) << describe(f);
    digests.insert(json::parse(f.out)["digest"].get<std::string>());
  }
  EXPECT_EQ(digests.size(), 1U);
  const json ls = image_json({"ls", "--json"});
  ASSERT_EQ(ls.size(), 1U);
  std::size_t blobs = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(home_ / "blobs/sha256")) {
    ++blobs;
  }
  EXPECT_EQ(blobs, 3U);  // manifest, config, layer
}

// Same busybox in, same bytes out: two runs of the script agree on every digest.
TEST_F(BuiltinImageTest, ScriptIsDeterministic) {
  if (run({"/bin/sh", "-c", "command -v python3"}).exit_code != 0 || !fs::exists("/bin/busybox")) {
    GTEST_SKIP() << "needs python3 and /bin/busybox (apt-get install python3 busybox-static)";
  }
  TempDir out;
  std::vector<std::string> index;
  for (const char* name : {"a", "b"}) {
    const Finished f = run(
        {"/usr/bin/env", "python3", STRATA_BUSYBOX_SCRIPT, "--busybox", "/bin/busybox", "--out", out / name});
    ASSERT_EQ(f.exit_code, 0) << describe(f);
    index.push_back(read_file(out / (std::string(name) + "/index.json")).value());
  }
  EXPECT_EQ(image::sha256_of(index[0]), image::sha256_of(index[1]));
  const Finished diff = run({"/usr/bin/diff", "-r", out / "a", out / "b"});
  EXPECT_EQ(diff.exit_code, 0) << describe(diff);
  // Writing over an existing layout replaces it whole, leaving nothing beside it.
  const Finished again = run(
      {"/usr/bin/env", "python3", STRATA_BUSYBOX_SCRIPT, "--busybox", "/bin/busybox", "--out", out / "a"});
  ASSERT_EQ(again.exit_code, 0) << describe(again);
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(out.path())) {
    ++entries;
  }
  EXPECT_EQ(entries, 2U);
  EXPECT_EQ(read_file(out / "a/index.json").value(), index[0]);
}

}  // namespace
}  // namespace strata::test
