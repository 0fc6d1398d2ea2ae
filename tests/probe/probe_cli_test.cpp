// strata probe and strata diff, the real binary: the host, a busybox tree, a
// Debian minbase tree (debootstrap, a ctest fixture), a Python venv holding a
// locally built package and a node_modules installed by npm. Each diff test
// makes known changes and expects diff to report exactly those.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "harness.hpp"
#include "needs_fixtures.hpp"

namespace strata::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json parse(const Finished& f) {
  auto doc = json::parse(f.out, nullptr, false);
  EXPECT_FALSE(doc.is_discarded()) << "not JSON: " << describe(f);
  return doc;
}

// A fact's value in a parsed manifest; null when the layer or fact is absent.
json fact(const json& manifest, const std::string& layer, const std::string& key) {
  const json layers = manifest.value("layers", json::object());
  const json facts = layers.value(layer, json::object());
  return facts.contains(key) ? facts[key].value("value", json()) : json();
}

// A field of an object value; null when it is not an object or lacks it.
json field(const json& value, const std::string& name) {
  return value.is_object() && value.contains(name) ? value[name] : json();
}

// `strata probe ARGS --json` as a parsed manifest.
json probe_json(std::vector<std::string> args) {
  args.insert(args.begin(), "probe");
  args.emplace_back("--json");
  const Finished f = strata(args);
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  return parse(f);
}

// Writes `strata probe ARGS --json` to `path`.
void probe_to(const std::string& path, std::vector<std::string> args) {
  args.insert(args.begin(), "probe");
  args.insert(args.end(), {"--json", "-o", path});
  const Finished f = strata(args);
  ASSERT_EQ(f.exit_code, 0) << describe(f);
}

// The keys `strata diff --json A B` reports, and its exit code.
std::pair<std::set<std::string>, int> diff_keys(const std::string& a, const std::string& b) {
  const Finished f = strata({"diff", "--json", a, b});
  const json report = parse(f);
  std::set<std::string> keys;
  for (const auto& d : report.value("differences", json::array())) {
    keys.insert(d["layer"].get<std::string>() + ":" + d["key"].get<std::string>());
  }
  return {keys, f.exit_code};
}

TEST(ProbeHost, AllLayersWithSourcesAndDeterministic) {
  utsname uts{};
  ASSERT_EQ(::uname(&uts), 0);
  const json m = probe_json({});
  EXPECT_EQ(m["schema"], "strata.manifest/v1");
  EXPECT_EQ(m["target"], "live");
  for (const char* layer : {"hardware", "kernel", "system", "language"}) {
    ASSERT_TRUE(m["layers"].contains(layer)) << layer;
    for (const auto& [key, fact] : m["layers"][layer].items()) {
      EXPECT_FALSE(fact["source"].get<std::string>().empty()) << layer << "." << key << " has no source";
    }
  }
  EXPECT_EQ(fact(m, "hardware", "arch"), uts.machine);
  EXPECT_EQ(fact(m, "kernel", "release"), uts.release);
  EXPECT_EQ(fact(m, "system", "libc.flavour"), "glibc");
  // The same machine twice: the same bytes.
  const Finished a = strata({"probe", "--json"});
  const Finished b = strata({"probe", "--json"});
  EXPECT_EQ(a.out, b.out) << "probe --json is not deterministic";
  const Finished same = strata({"diff", "live", "live"});
  EXPECT_EQ(same.exit_code, 0) << describe(same);
  EXPECT_NE(same.out.find("verdict: nothing differs"), std::string::npos) << same.out;
}

TEST(ProbeHost, LayerSelectionTextAndHelp) {
  const json m = probe_json({"--layer", "kernel,hardware"});
  EXPECT_EQ(m["layers"].size(), 2U);
  const Finished text = strata({"probe", "--layer", "system"});
  EXPECT_EQ(text.exit_code, 0) << describe(text);
  EXPECT_NE(text.out.find("[system]"), std::string::npos);
  const Finished bad = strata({"probe", "--layer", "firmware"});
  EXPECT_EQ(bad.exit_code, 125);
  EXPECT_NE(bad.err.find("parse --layer 'firmware': not a layer"), std::string::npos) << bad.err;
  const Finished missing = strata({"probe", "--root", "/nonexistent-strata-root"});
  EXPECT_EQ(missing.exit_code, 125);
  EXPECT_NE(missing.err.find("open --root '/nonexistent-strata-root'"), std::string::npos) << missing.err;
  EXPECT_EQ(strata({"probe", "--help"}).exit_code, 0);
  EXPECT_EQ(strata({"diff", "--help"}).exit_code, 0);
}

TEST(ProbeHost, RedactRemovesTheHostname) {
  utsname uts{};
  ASSERT_EQ(::uname(&uts), 0);
  const Finished f = strata({"probe", "--json", "--redact"});
  ASSERT_EQ(f.exit_code, 0) << describe(f);
  const json m = parse(f);
  EXPECT_EQ(m["redacted"], true);
  EXPECT_EQ(fact(m, "kernel", "hostname"), "<hostname>");
  const std::string host = uts.nodename;
  EXPECT_EQ(f.out.find("\"" + host + "\""), std::string::npos) << "the hostname is still there";
}

TEST(ProbeHost, CycloneDx) {
  const Finished f = strata({"probe", "--format", "cyclonedx"});
  ASSERT_EQ(f.exit_code, 0) << describe(f);
  const json bom = parse(f);
  EXPECT_EQ(bom["bomFormat"], "CycloneDX");
  EXPECT_EQ(bom["specVersion"], "1.6");
  std::set<std::string> types;
  for (const auto& c : bom["components"]) {
    types.insert(c["type"].get<std::string>());
  }
  EXPECT_EQ(types, (std::set<std::string>{"device", "library", "operating-system", "platform"}));
}

TEST(Diff, BadInputIsExitTwoWithTheFileAndTheProblem) {
  const TempDir dir;
  probe_to(dir / "good.json", {"--layer", "kernel"});
  const std::string good = read_file(dir / "good.json").value_or("");
  write_file(dir / "truncated.json", good.substr(0, good.size() / 2));
  write_file(dir / "text.json", "hello\n");
  write_file(dir / "other.json", R"({"schema": "something/v3", "layers": {}})");
  const auto error_of = [&](const std::string& name) {
    const Finished f = strata({"diff", dir / "good.json", dir / name});
    EXPECT_EQ(f.exit_code, 2) << describe(f);
    return f.err;
  };
  EXPECT_NE(error_of("truncated.json").find("truncated.json': truncated JSON"), std::string::npos);
  EXPECT_NE(error_of("text.json").find("text.json': not JSON"), std::string::npos);
  EXPECT_NE(error_of("other.json").find("unsupported schema \"something/v3\""), std::string::npos);
  EXPECT_NE(error_of("missing.json").find("missing.json': No such file"), std::string::npos);
  const Finished one = strata({"diff", dir / "good.json"});
  EXPECT_EQ(one.exit_code, 2);
  EXPECT_NE(one.err.find("needs exactly two sides"), std::string::npos) << one.err;
}

// A busybox tree: one static binary, no C library, no package database.
void make_busybox_tree(const std::string& root) {
  fs::create_directories(root + "/bin");
  fs::create_directories(root + "/etc");
  fs::copy_file("/bin/busybox", root + "/bin/busybox");
  fs::create_symlink("busybox", root + "/bin/sh");
  write_file(root + "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
}

TEST(ProbeTree, BusyboxAndExactlyTheChangesMade) {
  if (!path_exists("/bin/busybox")) {
    GTEST_SKIP() << "no /bin/busybox (busybox-static)";
  }
  const TempDir dir;
  make_busybox_tree(dir / "a");
  const json a = probe_json({"--root", dir / "a"});
  EXPECT_EQ(a["target"], dir / "a");
  EXPECT_FALSE(a["layers"].contains("hardware")) << "a tree has no hardware layer";
  EXPECT_FALSE(a["layers"].contains("kernel"));
  EXPECT_EQ(fact(a, "system", "libc.flavour"), "none");
  EXPECT_EQ(fact(a, "system", "packages.manager"), "none");

  // B: A plus an os-release and a shared library.
  fs::copy(dir / "a", dir / "b", fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  write_file(dir / "b/etc/os-release", "ID=strata-test\nVERSION_ID=\"1.0\"\n");
  fs::create_directories(dir / "b/lib");
  write_file(dir / "b/lib/libdemo.so.1.2.3", "not really ELF");
  fs::create_symlink("libdemo.so.1.2.3", dir / "b/lib/libdemo.so.1");
  probe_to(dir / "a.json", {"--root", dir / "a"});
  probe_to(dir / "b.json", {"--root", dir / "b"});
  const auto [keys, code] = diff_keys(dir / "a.json", dir / "b.json");
  EXPECT_EQ(keys,
            (std::set<std::string>{"system:os.id", "system:os.version_id", "system:library.libdemo.so.1"}));
  // Only additions on B: nothing that breaks A's programs... but another OS id may matter.
  EXPECT_EQ(code, 1);
  // Directories given straight to diff are probed as trees.
  const auto [direct, direct_code] = diff_keys(dir / "a", dir / "b");
  EXPECT_EQ(direct, keys);
  EXPECT_EQ(direct_code, code);
}

std::string debian_rootfs() {
  return STRATA_DEBIAN_ROOTFS;
}

bool have_debian() {
  return path_exists(debian_rootfs() + "/.strata-complete");
}

TEST(ProbeTree, DebianMinbase) {
  if (!have_debian()) {
    GTEST_SKIP() << "no Debian minbase tree at " << debian_rootfs()
                 << " (the fixture.debian_rootfs test could not debootstrap one; see its output)";
  }
  const json m = probe_json({"--root", debian_rootfs()});
  EXPECT_EQ(fact(m, "system", "os.id"), "debian");
  EXPECT_EQ(fact(m, "system", "os.version_id"), "12");
  EXPECT_EQ(fact(m, "system", "libc.flavour"), "glibc");
  EXPECT_EQ(fact(m, "system", "libc.version"), "2.36");
  EXPECT_FALSE(fact(m, "system", "library.libc.so.6").is_null());
  EXPECT_EQ(fact(m, "system", "packages.manager"), "dpkg");
  EXPECT_GT(fact(m, "system", "packages.count").get<int>(), 50);
  EXPECT_FALSE(fact(m, "system", "package.bash").is_null());
}

// Runs `strata probe --json -o OUT --root MERGED` in a private mount namespace
// where MERGED is an overlay of LOWER and UPPER: B is A with UPPER's changes,
// without copying A.
void probe_overlay(const std::string& lower, const std::string& upper, const std::string& work,
                   const std::string& merged, const std::string& out) {
  const std::string options = "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work;
  Process p = Process::start({strata_bin(), "probe", "--json", "-o", out, "--root", merged}, {}, [&] {
    if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        ::mount("overlay", merged.c_str(), "overlay", 0, options.c_str()) != 0) {
      ::_exit(99);
    }
  });
  const Finished f = p.wait();
  ASSERT_EQ(f.exit_code, 0) << describe(f) << " (99: the overlay could not be mounted)";
}

TEST(ProbeTree, DebianWithAChangedPackageAndTimezone) {
  if (!have_debian()) {
    GTEST_SKIP() << "no Debian minbase tree at " << debian_rootfs();
  }
  if (::geteuid() != 0) {
    GTEST_SKIP() << "mounting an overlay needs root";
  }
  const TempDir dir;
  for (const char* sub : {"upper/etc", "upper/var/lib/dpkg", "work", "merged"}) {
    fs::create_directories(dir / sub);
  }
  // The changes: bash at another version in the package database, and
  // another time zone.
  std::string status = read_file(debian_rootfs() + "/var/lib/dpkg/status").value_or("");
  const auto bash = status.find("Package: bash\n");
  ASSERT_NE(bash, std::string::npos);
  const auto version = status.find("\nVersion: ", bash);
  const auto end = status.find('\n', version + 1);
  status.replace(version, end - version, "\nVersion: 5.2.99-1");
  write_file(dir / "upper/var/lib/dpkg/status", status);
  fs::create_symlink("/usr/share/zoneinfo/Europe/Paris", dir / "upper/etc/localtime");

  probe_to(dir / "a.json", {"--root", debian_rootfs()});
  probe_overlay(debian_rootfs(), dir / "upper", dir / "work", dir / "merged", dir / "b.json");
  const auto [keys, code] = diff_keys(dir / "a.json", dir / "b.json");
  EXPECT_EQ(keys, (std::set<std::string>{"system:package.bash", "system:tool.bash", "system:timezone"}));
  EXPECT_EQ(code, 1);
}

TEST(ProbeTree, HostAgainstDebianNamesTheSystemLayer) {
  if (!have_debian()) {
    GTEST_SKIP() << "no Debian minbase tree at " << debian_rootfs();
  }
  const Finished f = strata({"diff", "--json", "live", "--root", debian_rootfs()});
  EXPECT_EQ(f.exit_code, 1) << describe(f);
  const json report = parse(f);
  EXPECT_EQ(report["lowest_layer"], "system") << report["verdict"];
  EXPECT_EQ(report["skipped"], json::array({"hardware", "kernel"}));
}

TEST(ProbeLanguage, VenvWithALocallyBuiltPackage) {
  ::unsetenv("VIRTUAL_ENV");  // an active venv of the test runner's would win over the project's
  const TempDir dir;
  if (auto why = make_venv(dir / "app/.venv")) {
    GTEST_SKIP() << *why;
  }
  write_python_project(dir / "pkg", "demo-pkg", "demo_pkg", "0.1.2");
  probe_to(dir / "before.json", {"--layer", "language", "--cwd", dir / "app"});
  if (auto why = pip_install_offline(dir / "app/.venv", dir / "pkg")) {
    GTEST_SKIP() << *why;
  }
  probe_to(dir / "after.json", {"--layer", "language", "--cwd", dir / "app"});
  const json after = parse(strata({"probe", "--json", "--layer", "language", "--cwd", dir / "app"}));
  EXPECT_EQ(field(fact(after, "language", "python.package.demo-pkg"), "version"), "0.1.2");
  const auto [keys, code] = diff_keys(dir / "before.json", dir / "after.json");
  EXPECT_EQ(keys, (std::set<std::string>{"language:python.package.demo-pkg"}));
  EXPECT_EQ(code, 0) << "a package only B has is cosmetic";
  const auto [back, back_code] = diff_keys(dir / "after.json", dir / "before.json");
  EXPECT_EQ(back, keys);
  EXPECT_EQ(back_code, 1) << "a package B lacks breaks imports";
}

TEST(ProbeLanguage, NodeModulesInstalledByNpm) {
  ::unsetenv("VIRTUAL_ENV");
  if (!path_exists("/usr/bin/npm")) {
    GTEST_SKIP() << "no /usr/bin/npm";
  }
  const TempDir dir;
  fs::create_directories(dir / "localpkg");
  fs::create_directories(dir / "app");
  write_file(dir / "localpkg/package.json", R"({"name": "localpkg", "version": "1.4.2"})");
  write_file(dir / "localpkg/index.js", "module.exports = 1;\n");
  write_file(dir / "app/package.json", R"({"name": "app", "version": "1.0.0"})");
  probe_to(dir / "before.json", {"--layer", "language", "--cwd", dir / "app"});
  const Finished pack = run({"/bin/sh", "-c",
                             "cd '" + (dir / "app") +
                                 "' && npm pack --silent ../localpkg && "
                                 "npm install --offline --no-audit --no-fund --silent ./localpkg-1.4.2.tgz"});
  if (pack.exit_code != 0) {
    GTEST_SKIP() << "npm could not install a local package offline: " << describe(pack);
  }
  probe_to(dir / "after.json", {"--layer", "language", "--cwd", dir / "app"});
  const json after = parse(strata({"probe", "--json", "--layer", "language", "--cwd", dir / "app"}));
  EXPECT_EQ(field(fact(after, "language", "node.package.localpkg"), "version"), "1.4.2");
  const auto [keys, code] = diff_keys(dir / "before.json", dir / "after.json");
  EXPECT_EQ(keys, (std::set<std::string>{"language:node.package.localpkg", "language:node.lockfile"}));
}

}  // namespace
}  // namespace strata::test
