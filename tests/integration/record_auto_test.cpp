// The real `strata record` and `strata run --isolation auto`: workloads
// recorded on this machine, then the stack auto picks for copies of this
// machine's manifest with one layer changed (--target, --dry-run): a venv
// for a missing package, the recorded image for an older glibc, a VM with
// the recorded kernel for an older kernel, a refusal for a CPU without the
// ISA level; and a real auto run here (nothing unmet: the sandbox).
#include <gtest/gtest.h>
#include <sys/utsname.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "harness.hpp"
#include "needs_fixtures.hpp"
#include "wheel.hpp"

namespace strata::test {
namespace {

using nlohmann::json;

struct Recorded {
  Finished run;
  json lock;
  std::string path;
};

Recorded record(const TempDir& dir, const std::vector<std::string>& flags,
                const std::vector<std::string>& command, const std::string& name = "strata.lock") {
  std::vector<std::string> args{"record", "--out", dir / name};
  args.insert(args.end(), flags.begin(), flags.end());
  args.emplace_back("--");
  args.insert(args.end(), command.begin(), command.end());
  Recorded r{.run = strata(args), .lock = json(), .path = dir / name};
  EXPECT_EQ(r.run.exit_code, 0) << describe(r.run);
  r.lock = parse_json(read_file(r.path).value_or(""));
  return r;
}

void save(const std::string& path, const json& doc) {
  write_file(path, doc.dump(2));
}

// This machine's manifest, changed, as a --target file.
template <typename Change>
std::string target(const TempDir& dir, const std::string& name, Change change) {
  json manifest = live_manifest();
  change(manifest);
  save(dir / name, manifest);
  return dir / name;
}

Finished auto_dry_run(const std::string& lock, const std::string& manifest) {
  return strata({"run", "--isolation", "auto", "--lock", lock, "--target", manifest, "--dry-run"});
}

// The one "strata: auto: ..." line; fails the test unless there is exactly one.
std::string auto_line(const Finished& f) {
  std::vector<std::string> found;
  for (const std::string& line : lines(f.err)) {
    if (line.starts_with("strata: auto: ")) {
      found.push_back(line);
    }
  }
  EXPECT_EQ(found.size(), 1U) << describe(f);
  return found.empty() ? "" : found.front();
}

std::string sha256_of(const std::string& path) {
  const Finished f = run({"/usr/bin/sha256sum", path});
  return f.out.substr(0, 64);
}

std::string release() {
  struct utsname names = {};
  ::uname(&names);
  return names.release;
}

TEST(Record, WritesTheLockOfAWorkloadThatWorksHere) {
  const TempDir dir;
  const Recorded r = record(dir, {}, {"/bin/true"});
  const json& lock = r.lock;
  EXPECT_EQ(lock["schema"], "strata.lock/v1");
  EXPECT_EQ(lock["command"], json::array({"/bin/true"}));
  EXPECT_EQ(lock["exit_code"], 0);
  EXPECT_EQ(lock["run"]["isolation"], "sandbox");
  EXPECT_EQ(lock["run"]["image"], nullptr);
  EXPECT_EQ(lock["run"]["rootfs"], nullptr);
  EXPECT_EQ(lock["language"], nullptr);
  EXPECT_EQ(lock["needs"]["schema"], "strata.needs/v1");
  EXPECT_NE(lock["needs"]["needs"]["libraries"].dump().find("libc.so.6"), std::string::npos)
      << lock["needs"]["needs"].dump();
  EXPECT_EQ(lock["manifest"]["schema"], "strata.manifest/v1");
  EXPECT_EQ(lock["manifest"]["layers"]["kernel"]["release"]["value"], release());
  EXPECT_EQ(lock["kernel"]["release"], release());
  const std::string vmlinuz = "/boot/vmlinuz-" + release();
  if (path_exists(vmlinuz)) {
    EXPECT_EQ(lock["kernel"]["path"], vmlinuz);
    EXPECT_EQ(lock["kernel"]["sha256"], sha256_of(vmlinuz));
  } else {
    EXPECT_EQ(lock["kernel"]["path"], nullptr);
    EXPECT_EQ(lock["kernel"]["sha256"], nullptr);
  }
  EXPECT_NE(r.run.err.find("strata: record: wrote " + r.path), std::string::npos) << r.run.err;
  EXPECT_LE(lines(r.run.err).size(), 2U) << r.run.err;
}

TEST(Record, AFailingWorkloadIsRecordedWithAWarning) {
  const TempDir dir;
  const Recorded r = record(dir, {}, {"/bin/sh", "-c", "exit 3"});
  EXPECT_EQ(r.lock["exit_code"], 3);
  EXPECT_NE(r.run.err.find("warning: the command exited with 3"), std::string::npos) << r.run.err;
  const Finished bad = strata({"record", "--out", dir / "x.lock", "--isolation", "auto", "--", "/bin/true"});
  EXPECT_EQ(bad.exit_code, 125) << describe(bad);
  EXPECT_FALSE(path_exists(dir / "x.lock"));
}

TEST(Auto, NothingUnmetRunsTheRecordedCommandInTheSandbox) {
  const TempDir dir;
  const std::string token = unique_token();
  const Recorded r = record(dir, {}, {"/bin/echo", token});
  const Finished f = strata({"run", "--isolation", "auto", "--lock", r.path});
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_EQ(f.out, token + "\n");
  EXPECT_EQ(auto_line(f), "strata: auto: sandbox (every need the lock records is met here)");
  // A command given replaces the recorded one.
  const Finished other = strata({"run", "--isolation", "auto", "--lock", r.path, "--", "/bin/echo", "other"});
  EXPECT_EQ(other.out, "other\n") << describe(other);
}

TEST(Auto, AMissingPackageIsAVenvFromTheRecordedRequirements) {
  const TempDir dir;
  Recorded r = record(dir, {}, {"/usr/bin/python3", "-c", "import yaml"});
  const json packages = r.lock["needs"]["needs"]["python_packages"];
  if (!packages.is_object() || packages.empty()) {
    GTEST_SKIP() << "python3 imported no package with metadata here: " << r.lock["needs"]["needs"].dump();
  }
  const std::string without = target(dir, "nopkg.json", [](json& m) {
    for (auto it = m["layers"]["language"].begin(); it != m["layers"]["language"].end();) {
      it = it.key().starts_with("python.package.") ? m["layers"]["language"].erase(it) : std::next(it);
    }
  });
  // Recorded without requirements: nothing to build the venv from.
  const Finished refused = auto_dry_run(r.path, without);
  EXPECT_EQ(refused.exit_code, 125) << describe(refused);
  EXPECT_NE(refused.err.find("the lock records no requirements"), std::string::npos) << refused.err;

  write_file(dir / "requirements.txt", "PyYAML==6.0\n");
  r.lock["language"] = {{"python_requirements",
                         {{"path", "requirements.txt"}, {"sha256", sha256_of(dir / "requirements.txt")}}},
                        {"find_links", json::array()},
                        {"node_lockfile", nullptr},
                        {"python", nullptr}};
  save(r.path, r.lock);
  const Finished f = auto_dry_run(r.path, without);
  const std::string line = auto_line(f);
  EXPECT_TRUE(line.starts_with("strata: auto: sandbox+venv (")) << line;
  EXPECT_NE(line.find("needed, the target has none)"), std::string::npos) << line;
  // A requirements file changed since the recording is not the recorded one.
  write_file(dir / "requirements.txt", "PyYAML==5.4\n");
  const Finished changed = auto_dry_run(r.path, without);
  EXPECT_EQ(changed.exit_code, 125);
  EXPECT_NE(changed.err.find("changed since strata record"), std::string::npos) << changed.err;
}

// The whole way on this machine: a lock whose workload needed a Python
// package this machine lacks, with the requirements and wheels it came from.
// auto picks sandbox+venv, builds the venv and the command runs in it.
TEST(Auto, AMissingPackageRunsForRealInTheVenvAutoBuilds) {
  if (run({"/bin/sh", "-c", "python3 -c 'import ensurepip, venv'"}).exit_code != 0) {
    GTEST_SKIP() << "needs python3 with venv and ensurepip (apt-get install python3-venv)";
  }
  const TempDir dir;
  const TempDir home;
  std::filesystem::create_directory(dir / "wheels");
  make_wheel(dir / "wheels", "stratalocked", "1.0");
  write_file(dir / "requirements.txt", "stratalocked==1.0\n");
  Recorded r = record(dir, {}, {"/usr/bin/python3", "-c", "pass"});
  r.lock["needs"]["needs"]["python_packages"] = {{"stratalocked", "1.0"}};
  r.lock["language"] = {{"python_requirements",
                         {{"path", "requirements.txt"}, {"sha256", sha256_of(dir / "requirements.txt")}}},
                        {"find_links", json::array({dir / "wheels"})},
                        {"node_lockfile", nullptr},
                        {"python", nullptr}};
  save(r.path, r.lock);
  const Finished f = run({"/usr/bin/env", "STRATA_HOME=" + home.path(), strata_bin(), "run", "--isolation",
                          "auto", "--lock", r.path, "--", "python3", "-c",
                          "import stratalocked, sys; print(stratalocked.__version__, sys.prefix)"});
  ASSERT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_TRUE(auto_line(f).starts_with("strata: auto: sandbox+venv (")) << f.err;
  EXPECT_TRUE(f.out.starts_with("1.0 " + home.path() + "/envs/")) << describe(f);
}

// A glibc this machine has, recorded once on the host and once in busybox
// (whose image and digest the host's lock then takes).
TEST(Auto, AnOlderGlibcIsTheRecordedImage) {
  const TempDir dir;
  Recorded r = record(dir, {}, {"/bin/true"});
  const std::string glibc = r.lock["needs"]["needs"].value("glibc", "");
  ASSERT_FALSE(glibc.empty()) << r.lock["needs"]["needs"].dump();
  const std::string old = target(dir, "old.json", [](json& m) {
    set_fact(m, "system", "libc.max_symbol_version", "GLIBC_2.17");
    set_fact(m, "system", "libc.version", "2.17");
  });
  const Finished refused = auto_dry_run(r.path, old);
  EXPECT_EQ(refused.exit_code, 125) << describe(refused);
  EXPECT_NE(refused.err.find("strata: run: choose layers '" + r.path +
                             "': the system layer differs (glibc >= " + glibc +
                             " needed, the target has 2.17) and the lock records no image: record with "
                             "--image REF"),
            std::string::npos)
      << refused.err;
  EXPECT_EQ(refused.err.find("strata: auto: "), std::string::npos);

  const Recorded busybox = record(dir, {"--image", "builtin:busybox"}, {"/bin/true"}, "busybox.lock");
  EXPECT_EQ(busybox.lock["run"]["isolation"], "container");
  EXPECT_EQ(busybox.lock["run"]["image"]["reference"], "builtin:busybox");
  const std::string digest = busybox.lock["run"]["image"]["digest"];
  EXPECT_TRUE(digest.starts_with("sha256:")) << busybox.lock["run"].dump();
  r.lock["run"]["image"] = busybox.lock["run"]["image"];
  save(r.path, r.lock);
  const Finished f = auto_dry_run(r.path, old);
  EXPECT_EQ(auto_line(f), "strata: auto: container (glibc >= " + glibc + " needed, the target has 2.17)");
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_NE(f.out.find("isolation: container"), std::string::npos) << f.out;

  // The kernel too: a VM around that container.
  const std::string older = target(dir, "older.json", [](json& m) {
    set_fact(m, "system", "libc.max_symbol_version", "GLIBC_2.17");
    set_fact(m, "kernel", "release", "2.6.32-754");
  });
  r.lock["kernel"] = {{"release", release()}, {"path", nullptr}, {"sha256", nullptr}};
  save(r.path, r.lock);
  const Finished vm = auto_dry_run(r.path, older);
  if (path_exists("/boot/vmlinuz-" + release())) {
    EXPECT_TRUE(auto_line(vm).starts_with("strata: auto: vm+container (Linux >= ")) << describe(vm);
  } else {
    EXPECT_EQ(vm.exit_code, 125);
    EXPECT_NE(vm.err.find("/boot/vmlinuz-" + release()), std::string::npos) << vm.err;
  }
}

std::optional<std::string> a_boot_kernel() {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/boot", ec)) {
    if (entry.path().filename().string().starts_with("vmlinuz-")) {
      return entry.path().string();
    }
  }
  return std::nullopt;
}

TEST(Auto, AnOlderKernelIsAVmWithTheRecordedKernel) {
  const auto vmlinuz = a_boot_kernel();
  if (!vmlinuz) {
    GTEST_SKIP() << "no /boot/vmlinuz-* here to record";
  }
  const TempDir dir;
  ASSERT_TRUE(cc(dir, "features", kKernelFeatures));
  Recorded r = record(dir, {"--ro-bind", dir.path() + ":/t"}, {"/t/features"});
  ASSERT_EQ(r.lock["needs"]["needs"]["min_kernel"], "5.13.0") << r.lock["needs"]["needs"].dump();
  // The kernel it ran on, as if this machine had booted the one in /boot.
  const std::string kernel_release = std::filesystem::path(*vmlinuz).filename().string().substr(8);
  r.lock["kernel"] = {{"release", kernel_release}, {"path", *vmlinuz}, {"sha256", sha256_of(*vmlinuz)}};
  save(r.path, r.lock);
  const std::string old =
      target(dir, "old.json", [](json& m) { set_fact(m, "kernel", "release", "5.10.0-28-amd64"); });
  const Finished f = auto_dry_run(r.path, old);
  EXPECT_EQ(auto_line(f), "strata: auto: vm (Linux >= 5.13.0 needed, the target has 5.10.0-28-amd64)");
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_NE(f.out.find("kernel: " + *vmlinuz), std::string::npos) << f.out;
  // No such kernel here: refused, naming the release.
  r.lock["kernel"] = {{"release", "0.0.1-nowhere"}, {"path", nullptr}, {"sha256", nullptr}};
  save(r.path, r.lock);
  const Finished missing = auto_dry_run(r.path, old);
  EXPECT_EQ(missing.exit_code, 125) << describe(missing);
  EXPECT_NE(missing.err.find("/boot/vmlinuz-0.0.1-nowhere"), std::string::npos) << missing.err;
}

TEST(Auto, AnIsaLevelTheCpuLacksIsRefused) {
  const TempDir dir;
  Recorded r = record(dir, {}, {"/bin/true"});
  r.lock["needs"]["needs"]["isa_level"] = "x86-64-v4";
  save(r.path, r.lock);
  const std::string v3 = target(dir, "v3.json", [](json& m) {
    set_fact(m, "hardware", "cpu.isa_level", "x86-64-v3");
    json flags = json::array();
    for (const auto& flag : m["layers"]["hardware"]["cpu.flags"]["value"]) {
      if (!flag.get<std::string>().starts_with("avx512")) {
        flags.push_back(flag);
      }
    }
    set_fact(m, "hardware", "cpu.flags", flags);
  });
  const Finished f = auto_dry_run(r.path, v3);
  EXPECT_EQ(f.exit_code, 125) << describe(f);
  EXPECT_NE(f.err.find("choose layers '" + r.path +
                       "': needs AVX-512 (x86-64-v4); the target's CPU has x86-64-v3: no layer of software "
                       "provides it"),
            std::string::npos)
      << f.err;
  EXPECT_EQ(f.out, "");
}

TEST(Auto, RefusesWhatItCannotUse) {
  const TempDir dir;
  const Finished missing = strata({"run", "--isolation", "auto", "--lock", dir / "none.lock"});
  EXPECT_EQ(missing.exit_code, 125);
  EXPECT_NE(missing.err.find("none.lock"), std::string::npos) << missing.err;
  const Recorded r = record(dir, {}, {"/bin/true"});
  const Finished live_target = strata({"run", "--isolation", "auto", "--lock", r.path, "--target", r.path});
  EXPECT_EQ(live_target.exit_code, 125);
  EXPECT_NE(live_target.err.find("--dry-run"), std::string::npos) << live_target.err;
  const Finished image =
      strata({"run", "--isolation", "auto", "--lock", r.path, "--image", "builtin:busybox"});
  EXPECT_EQ(image.exit_code, 125);
  EXPECT_NE(image.err.find("takes the image from the lock"), std::string::npos) << image.err;
  write_file(dir / "needs.lock", r.lock["needs"].dump());
  const Finished other = strata({"run", "--isolation", "auto", "--lock", dir / "needs.lock"});
  EXPECT_EQ(other.exit_code, 125);
  EXPECT_NE(other.err.find("is not strata.lock/v1"), std::string::npos) << other.err;
}

}  // namespace
}  // namespace strata::test
