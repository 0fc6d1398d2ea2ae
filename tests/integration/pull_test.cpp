// strata image pull against a real registry (Debian's docker-registry on
// 127.0.0.1, plain HTTP, so every pull says --insecure): images pushed by
// skopeo, anonymous, by digest, Docker schema 2, a multi-platform index,
// htpasswd basic auth and token (Bearer) auth with tests/registry/token_server.py.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "harness.hpp"
#include "image/digest.hpp"
#include "image/oci.hpp"
#include "pull_fixtures.hpp"

namespace strata::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kBuild = R"(
umoci init --layout oci
umoci new --image oci:demo
umoci unpack --rootless --image oci:demo b1 >/dev/null
mkdir -p b1/rootfs/bin && cp /bin/busybox b1/rootfs/bin/
umoci repack --image oci:demo b1
umoci unpack --rootless --image oci:demo b2 >/dev/null && echo one > b2/rootfs/one
umoci repack --image oci:demo b2
umoci unpack --rootless --image oci:demo b3 >/dev/null && echo two > b3/rootfs/two
umoci repack --image oci:demo b3
umoci config --image oci:demo --config.cmd /bin/busybox --config.cmd sh
umoci init --layout multi
for p in host other; do
  umoci new --image multi:$p
  umoci unpack --rootless --image multi:$p u$p >/dev/null && echo $p > u$p/rootfs/which
  umoci repack --image multi:$p u$p
done
)";

std::string registry_yaml(const std::string& storage, int port, const std::string& auth) {
  return "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n"
         "    rootdirectory: " +
         storage + "\nhttp:\n  addr: 127.0.0.1:" + std::to_string(port) + "\n" + auth;
}

class PullTest : public PullStoreTest {
 protected:
  static void SetUpTestSuite() {
    for (const char* tool : {"docker-registry", "skopeo", "umoci", "python3", "openssl", "htpasswd"}) {
      if (!have_tool(tool)) {
        missing_ = tool;
        return;
      }
    }
    dir_ = new TempDir();  // NOLINT: lives for the suite
    sh("cd " + dir_->path() + "\n" + kBuild);
    label_multi();
    registry_ = new Server();  // NOLINT: lives for the suite
    port_ = start_registry(*registry_, "anon", "");
    ASSERT_GT(port_, 0) << "docker-registry did not start";
    const std::string dest = "docker://127.0.0.1:" + std::to_string(port_);
    sh("cd " + dir_->path() + " && skopeo copy -q --dest-tls-verify=false oci:oci:demo " + dest + "/demo:1" +
       " && skopeo copy -q --dest-tls-verify=false --format v2s2 oci:oci:demo " + dest + "/demo:v2s2" +
       " && skopeo copy -q --all --dest-tls-verify=false oci:multi:all " + dest + "/multi:1");
    ready_ = true;
  }
  static void TearDownTestSuite() {
    delete registry_;
    registry_ = nullptr;
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    if (!ready_) {
      GTEST_SKIP() << (missing_.empty() ? "set-up failed" : "needs " + missing_) +
                          " (apt-get install docker-registry skopeo umoci openssl apache2-utils python3)";
    }
  }

  // Makes multi:all an index of multi:host (labelled this machine's
  // platform) and multi:other (labelled another one).
  static void label_multi() {
    const std::string layout = *dir_ / "multi";
    const image::Platform host = image::host_platform();
    const image::Platform other{.os = "linux",
                                .architecture = host.architecture == "s390x" ? "arm64" : "s390x"};
    sh("cd " + dir_->path() + " && umoci config --image multi:other --architecture " + other.architecture);
    json index = json::parse(read_file(layout + "/index.json").value());
    json all = {{"schemaVersion", 2}, {"mediaType", image::media::kOciIndex}, {"manifests", json::array()}};
    for (json entry : index["manifests"]) {
      const image::Platform& p =
          entry["annotations"][std::string(image::kRefNameAnnotation)] == "host" ? host : other;
      (p == host ? host_digest_ : other_digest_) = entry["digest"];
      entry["platform"] = {{"os", p.os}, {"architecture", p.architecture}};
      if (!p.variant.empty()) {
        entry["platform"]["variant"] = p.variant;
      }
      entry.erase("annotations");
      all["manifests"].push_back(entry);
    }
    const std::string text = all.dump();
    const image::Digest digest = image::sha256_of(text);
    write_file(layout + "/blobs/sha256/" + digest.hex, text);
    index["manifests"].push_back({{"mediaType", image::media::kOciIndex},
                                  {"digest", digest.str()},
                                  {"size", text.size()},
                                  {"annotations", {{std::string(image::kRefNameAnnotation), "all"}}}});
    write_file(layout + "/index.json", index.dump());
  }

  // docker-registry on a free port with `auth` (YAML), storage shared with
  // the suite's registry. Returns the port, -1 if it did not come up.
  static int start_registry(Server& server, const std::string& name, const std::string& auth) {
    const int port = free_port();
    const std::string config = *dir_ / (name + ".yml");
    write_file(config, registry_yaml(*dir_ / "storage", port, auth));
    return server.start({"docker-registry", "serve", config}, port) ? port : -1;
  }

  static std::string at(int port, const std::string& repo) {
    return "127.0.0.1:" + std::to_string(port) + "/" + repo;
  }
  static json layout_manifest() {
    const json index = json::parse(read_file(*dir_ / "oci/index.json").value());
    const std::string digest = index["manifests"][0]["digest"];
    return {{"digest", digest},
            {"doc", json::parse(read_file(*dir_ / ("oci/blobs/sha256/" + digest.substr(7))).value())}};
  }

  static inline TempDir* dir_ = nullptr;
  static inline Server* registry_ = nullptr;
  static inline int port_ = -1;
  static inline bool ready_ = false;
  static inline std::string missing_;
  static inline std::string host_digest_;
  static inline std::string other_digest_;
};

TEST_F(PullTest, AnonymousPullThenInspectAndLs) {
  const json pulled = image_json({"pull", "--insecure", "--json", at(port_, "demo:1")});
  const json want = layout_manifest();
  EXPECT_EQ(pulled["tag"], at(port_, "demo:1"));
  EXPECT_EQ(pulled["digest"], want["digest"]);  // the registry's bytes, stored as served
  EXPECT_EQ(pulled["layers"], 3);
  EXPECT_EQ(pulled["platform"], image::host_platform().str());
  EXPECT_EQ(pulled["reused"], 0);
  const json inspect = image_json({"inspect", "--json", at(port_, "demo:1")});
  ASSERT_EQ(inspect["layers"].size(), 3U);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(inspect["layers"][i]["digest"], want["doc"]["layers"][i]["digest"]) << i;
    EXPECT_EQ(inspect["layers"][i]["size"], want["doc"]["layers"][i]["size"]) << i;
  }
  EXPECT_EQ(inspect["config"]["digest"], want["doc"]["config"]["digest"]);
  EXPECT_EQ(inspect["cmd"], json({"/bin/busybox", "sh"}));
  const json ls = image_json({"ls", "--json"});
  ASSERT_EQ(ls.size(), 1U);
  EXPECT_EQ(ls[0]["name"], at(port_, "demo:1"));
  EXPECT_EQ(blob_count(), 5U);  // manifest, config, 3 layers
  EXPECT_TRUE(partials().empty());
  EXPECT_TRUE(path_exists(blob_path(want["doc"]["layers"][0]["digest"])));
  // Again: nothing to download, the blobs are in the store.
  const json again = image_json({"pull", "--insecure", "--json", "--tag", "again", at(port_, "demo:1")});
  EXPECT_EQ(again["digest"], want["digest"]);
  EXPECT_EQ(again["reused"], 4);
  EXPECT_EQ(again["downloaded"], 0);
}

TEST_F(PullTest, ByDigestWithTag) {
  const std::string digest = layout_manifest()["digest"];
  const json pulled =
      image_json({"pull", "--insecure", "--json", "--tag", "mine", at(port_, "demo@" + digest)});
  EXPECT_EQ(pulled["tag"], "mine");
  EXPECT_EQ(pulled["digest"], digest);
  EXPECT_EQ(image_json({"inspect", "--json", "mine"})["digest"], digest);
  const Finished absent = image({"pull", "--insecure", at(port_, "demo@sha256:" + std::string(64, 'e'))});
  expect_pull_failure(absent, "fetch manifest '" + at(port_, "demo@sha256:"));
  EXPECT_NE(absent.err.find("HTTP 404"), std::string::npos) << absent.err;
  expect_pull_failure(image({"pull", "--insecure", at(port_, "nothing:1")}), "HTTP 404");
  EXPECT_EQ(image_json({"ls", "--json"}).size(), 1U);
}

TEST_F(PullTest, DockerSchema2ManifestRuns) {
  const json pulled = image_json({"pull", "--insecure", "--json", at(port_, "demo:v2s2")});
  EXPECT_EQ(pulled["mediaType"], image::media::kDockerManifest);
  EXPECT_EQ(pulled["layers"], 3);
  const json inspect = image_json({"inspect", "--json", at(port_, "demo:v2s2")});
  EXPECT_EQ(inspect["mediaType"], image::media::kDockerManifest);
  EXPECT_EQ(inspect["layers"].size(), 3U);
  EXPECT_EQ(inspect["cmd"], json({"/bin/busybox", "sh"}));
  // What `strata run --image` makes of it (copy: no overlayfs needed here).
  const Finished f =
      run({"/usr/bin/env", "STRATA_HOME=" + home_.path(), strata_bin(), "run", "--image-mount", "copy",
           "--image", at(port_, "demo:v2s2"), "--", "/bin/busybox", "cat", "/one", "/two"});
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_EQ(f.out, "one\ntwo\n");
}

TEST_F(PullTest, IndexSelectsThisPlatformOrTheFlag) {
  const json host = image_json({"pull", "--insecure", "--json", at(port_, "multi:1")});
  EXPECT_EQ(host["digest"], host_digest_);
  EXPECT_EQ(host["platform"], image::host_platform().str());
  const image::Platform other{
      .os = "linux", .architecture = image::host_platform().architecture == "s390x" ? "arm64" : "s390x"};
  const json picked = image_json(
      {"pull", "--insecure", "--json", "--platform", other.str(), "--tag", "other", at(port_, "multi:1")});
  EXPECT_EQ(picked["digest"], other_digest_);
  EXPECT_EQ(picked["platform"], other.str());
  expect_pull_failure(image({"pull", "--insecure", "--platform", "linux/mips64le", at(port_, "multi:1")}),
                      "no image for linux/mips64le");
  expect_pull_failure(image({"pull", "--insecure", "--platform", "linux/mips64le", at(port_, "demo:1")}),
                      "the image is for " + image::host_platform().str() + ", not linux/mips64le");
  expect_pull_failure(image({"pull", "--insecure", "--platform", "nonsense", at(port_, "demo:1")}),
                      "--platform");
  EXPECT_EQ(image_json({"ls", "--json"}).size(), 2U);
}

TEST_F(PullTest, BasicAuthWithHtpasswd) {
  sh("htpasswd -Bbn alice s3cret > " + (*dir_ / "htpasswd"));
  Server server;
  const int port =
      start_registry(server, "basic",
                     "auth:\n  htpasswd:\n    realm: strata-test\n    path: " + (*dir_ / "htpasswd") + "\n");
  ASSERT_GT(port, 0);
  expect_pull_failure(image({"pull", "--insecure", at(port, "demo:1")}), "wants a user name and password");
  expect_pull_failure(
      image_env({}, {"pull", "--insecure", "--username", "alice", "--password-stdin", at(port, "demo:1")},
                "wrong\n"),
      "the registry refused the credentials of 'alice'");
  EXPECT_FALSE(has_tags());
  EXPECT_EQ(blob_count(), 0U);
  const Finished ok = image_env(
      {}, {"pull", "--insecure", "--json", "--username", "alice", "--password-stdin", at(port, "demo:1")},
      "s3cret\n");
  ASSERT_EQ(ok.exit_code, 0) << describe(ok);
  EXPECT_EQ(json::parse(ok.out)["layers"], 3);
  // The same from an auth file ($REGISTRY_AUTH_FILE), as podman and skopeo write it.
  write_file(home_ / "auth.json",
             json{{"auths", {{"127.0.0.1:" + std::to_string(port), {{"auth", "YWxpY2U6czNjcmV0"}}}}}}.dump());
  const Finished file = image_env({"REGISTRY_AUTH_FILE=" + (home_ / "auth.json")},
                                  {"pull", "--insecure", "--tag", "from-file", at(port, "demo:v2s2")});
  EXPECT_EQ(file.exit_code, 0) << describe(file);
  // And from ~/.docker/config.json (HOME is the test's store).
  fs::create_directories(home_ / ".docker");
  fs::copy_file(home_ / "auth.json", home_ / ".docker/config.json");
  const Finished docker = image_env({}, {"pull", "--insecure", "--tag", "from-docker", at(port, "multi:1")});
  EXPECT_EQ(docker.exit_code, 0) << describe(docker);
}

TEST_F(PullTest, BearerTokenAuth) {
  const std::string& d = dir_->path();
  sh("cd " + d +
     " && rm -f tport tlog && openssl req -x509 -newkey rsa:2048 -nodes -keyout tkey.pem -out tcert.pem"
     " -days 1 -subj /CN=strata-test-token 2>/dev/null");
  Server tokens;
  const std::string script = std::string(STRATA_REGISTRY_SCRIPTS) + "/token_server.py";
  tokens.start({"python3", script, "--key", d + "/tkey.pem", "--cert", d + "/tcert.pem", "--issuer",
                "strata-issuer", "--user", "alice:s3cret", "--port-file", d + "/tport", "--log", d + "/tlog"},
               -1);
  const int token_port = wait_for_port_file(d + "/tport");
  ASSERT_GT(token_port, 0) << "the token server did not start";
  Server server;
  const int port = start_registry(
      server, "token",
      "auth:\n  token:\n    realm: http://127.0.0.1:" + std::to_string(token_port) +
          "/token\n    service: strata-service\n    issuer: strata-issuer\n    rootcertbundle: " + d +
          "/tcert.pem\n");
  ASSERT_GT(port, 0);
  expect_pull_failure(image({"pull", "--insecure", at(port, "demo:1")}), "the registry wants credentials");
  expect_pull_failure(
      image_env({}, {"pull", "--insecure", "--username", "alice", "--password-stdin", at(port, "demo:1")},
                "nope\n"),
      "the token service refused the credentials of 'alice'");
  EXPECT_FALSE(has_tags());
  const Finished ok = image_env(
      {}, {"pull", "--insecure", "--json", "--username", "alice", "--password-stdin", at(port, "demo:1")},
      "s3cret\n");
  ASSERT_EQ(ok.exit_code, 0) << describe(ok);
  EXPECT_EQ(json::parse(ok.out)["digest"], layout_manifest()["digest"]);
  const std::string log = read_file(d + "/tlog").value_or("");
  EXPECT_NE(log.find("service=strata-service&scope=repository%3Ademo%3Apull"), std::string::npos) << log;
  EXPECT_NE(log.find("Basic YWxpY2U6czNjcmV0"), std::string::npos) << log;
}

TEST_F(PullTest, PlainHttpNeedsInsecure) {
  expect_pull_failure(image({"pull", at(port_, "demo:1")}), "needs --insecure");
  EXPECT_FALSE(has_tags());
}

}  // namespace
}  // namespace strata::test
