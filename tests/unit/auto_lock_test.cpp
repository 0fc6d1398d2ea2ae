// strata.lock/v1 written and read back, its reader's refusals by key, the
// paths it records relative to the lock, and the kernel found again by
// path and hash, else by release.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "auto/files.hpp"
#include "auto/lock.hpp"
#include "base/sha256.hpp"

namespace strata::autolayers {
namespace {

using nlohmann::json;

const json kNeeds = {{"schema", "strata.needs/v1"},
                     {"command", {"python3", "-c", "import six"}},
                     {"needs", {{"glibc", "2.34"}, {"python_packages", {{"six", "1.16.0"}}}}}};
const json kManifest = {
    {"schema", "strata.manifest/v1"},
    {"generator", "strata 0.1.0"},
    {"target", "live"},
    {"redacted", false},
    {"layers", {{"kernel", {{"release", {{"value", "6.1.0"}, {"source", "uname(2)"}}}}}}}};

Lock sample() {
  Lock lock;
  lock.command = {"python3", "-c", "import six"};
  lock.exit_code = 3;
  lock.isolation = "container";
  lock.image = LockImage{.reference = "builtin:busybox", .digest = "sha256:" + std::string(64, 'a')};
  lock.kernel =
      LockKernel{.release = "6.1.0-18-amd64", .path = "/boot/vmlinuz-6.1.0-18-amd64", .sha256 = "ff"};
  lock.language = LockLanguage{.python_requirements = PinnedFile{.path = "requirements.txt", .sha256 = "cd"},
                               .find_links = {"wheels", "/srv/wheels"},
                               .node_lockfile = std::nullopt,
                               .python = "python3.11"};
  lock.needs_document = kNeeds;
  lock.manifest_document = kManifest;
  return lock;
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "strata-lock-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data()) != nullptr ? pattern : "";
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] std::string operator/(const std::string& name) const { return path_ + "/" + name; }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void write(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

TEST(AutoLock, RoundTrips) {
  const Lock lock = sample();
  const json doc = json::parse(to_json(lock, "strata 0.1.0").dump());
  EXPECT_EQ(doc["schema"], "strata.lock/v1");
  EXPECT_EQ(doc["run"]["image"]["reference"], "builtin:busybox");
  EXPECT_EQ(doc["run"]["rootfs"], nullptr);
  EXPECT_EQ(doc["language"]["node_lockfile"], nullptr);
  auto back = lock_from_json(doc.dump(), "strata.lock");
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->command, lock.command);
  EXPECT_EQ(back->exit_code, 3);
  EXPECT_EQ(back->isolation, "container");
  EXPECT_EQ(back->image, lock.image);
  EXPECT_EQ(back->kernel, lock.kernel);
  EXPECT_EQ(back->language, lock.language);
  EXPECT_EQ(back->needs_document, kNeeds);
  EXPECT_EQ(back->needs.glibc, "2.34");
  EXPECT_EQ(back->needs.python_packages.at("six"), "1.16.0");
}

TEST(AutoLock, RefusesOtherDocumentsAndWrongTypesByKey) {
  const auto error = [](const json& doc) {
    auto lock = lock_from_json(doc.dump(), "l.json");
    return lock ? std::string("(read)") : lock.error().message();
  };
  EXPECT_NE(error(kNeeds).find("schema \"strata.needs/v1\" is not strata.lock/v1"), std::string::npos);
  json doc = json::parse(to_json(sample(), "t").dump());
  json bad = doc;
  bad["kernel"]["release"] = 6;
  EXPECT_NE(error(bad).find("key \"kernel.release\" is number, expected a string"), std::string::npos)
      << error(bad);
  bad = doc;
  bad["language"]["python_requirements"].erase("sha256");
  EXPECT_NE(error(bad).find("key \"language.python_requirements.sha256\" is missing"), std::string::npos)
      << error(bad);
  bad = doc;
  bad["command"][1] = false;
  EXPECT_NE(error(bad).find("key \"command[1]\""), std::string::npos) << error(bad);
  bad = doc;
  bad.erase("manifest");
  EXPECT_NE(error(bad).find("key \"manifest\" is missing"), std::string::npos) << error(bad);
  bad = doc;
  bad["needs"]["needs"]["glibc"] = 2;
  EXPECT_NE(error(bad).find("needs.glibc"), std::string::npos) << error(bad);
  auto truncated = lock_from_json(doc.dump().substr(0, 40), "l.json");
  ASSERT_FALSE(truncated);
  EXPECT_EQ(truncated.error().step, "read lock");
}

TEST(AutoLock, PathsInsideTheLocksDirectoryAreRelative) {
  EXPECT_EQ(path_for_lock("/p/app/requirements.txt", "/p/app"), "requirements.txt");
  EXPECT_EQ(path_for_lock("/p/app/sub/../wheels", "/p/app"), "wheels");
  EXPECT_EQ(path_for_lock("/srv/wheels", "/p/app"), "/srv/wheels");
  EXPECT_EQ(path_from_lock("requirements.txt", "/q/app"), "/q/app/requirements.txt");
  EXPECT_EQ(path_from_lock("/srv/wheels", "/q/app"), "/srv/wheels");
}

TEST(AutoLock, TheKernelIsFoundByPathAndHashElseByRelease) {
  const TempDir boot;
  write(boot / "vmlinuz-9.9.9-test", "kernel bytes");
  const LockKernel recorded = record_kernel("9.9.9-test", std::nullopt, boot.path());
  ASSERT_EQ(recorded.path, boot / "vmlinuz-9.9.9-test");
  EXPECT_EQ(recorded.sha256, sha256_hex("kernel bytes"));
  EXPECT_EQ(find_recorded_kernel(recorded, boot.path()).value_or(""), boot / "vmlinuz-9.9.9-test");

  // Elsewhere: the recorded path holds another file, the release is in this /boot.
  LockKernel moved = recorded;
  moved.sha256 = sha256_hex("something else");
  const TempDir other;
  write(other / "vmlinuz-9.9.9-test", "rebuilt kernel");
  EXPECT_EQ(find_recorded_kernel(moved, other.path()).value_or(""), other / "vmlinuz-9.9.9-test");
  const TempDir empty;
  auto none = find_recorded_kernel(moved, empty.path());
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message().find("9.9.9-test"), std::string::npos) << none.error().message();

  const LockKernel absent = record_kernel("9.9.8-none", std::nullopt, empty.path());
  EXPECT_EQ(absent.release, "9.9.8-none");
  EXPECT_FALSE(absent.path);
  EXPECT_FALSE(absent.sha256);
}

TEST(AutoLock, PinnedFilesCarryTheirHash) {
  const TempDir dir;
  write(dir / "requirements.txt", "six==1.16.0\n");
  auto pinned = pin_file(dir / "requirements.txt", dir.path());
  ASSERT_TRUE(pinned) << pinned.error().message();
  EXPECT_EQ(pinned->path, "requirements.txt");
  EXPECT_EQ(pinned->sha256, sha256_hex("six==1.16.0\n"));
  EXPECT_FALSE(pin_file(dir / "missing.txt", dir.path()));
}

}  // namespace
}  // namespace strata::autolayers
