// strata.toml (src/envfile): each key family into the Spec, relative paths
// against the file's directory, and errors that name the file, line and key.
#include "envfile/envfile.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>

namespace strata {
namespace {

constexpr const char* kPath = "/projects/app/strata.toml";

Spec load_ok(std::string_view text, const std::string& path = kPath) {
  Spec spec;
  auto loaded = envfile::load_text(text, path, spec);
  EXPECT_TRUE(loaded) << (loaded ? "" : loaded.error().message());
  return spec;
}

std::string load_error(std::string_view text) {
  Spec spec;
  auto loaded = envfile::load_text(text, "strata.toml", spec);
  return loaded ? "(loaded)" : loaded.error().message();
}

TEST(EnvFile, EmptyFileChangesNothing) {
  Spec spec = load_ok("");
  EXPECT_EQ(spec.isolation, Isolation::sandbox);
  EXPECT_FALSE(spec.isolation_given);
  EXPECT_TRUE(spec.argv.empty());
  EXPECT_TRUE(spec.mounts.empty());
}

TEST(EnvFile, TopLevelKeys) {
  Spec spec = load_ok(R"(
command = ["python3", "app.py", "--port", "8080"]
isolation = "container"
image = "builtin:busybox"
workdir = "/work"
hostname = "app"
network = "host"
share = ["ipc", "uts"]
uid = 1000
gid = 100
clear_env = true
pty = false
)");
  EXPECT_EQ(spec.argv, (std::vector<std::string>{"python3", "app.py", "--port", "8080"}));
  EXPECT_EQ(spec.isolation, Isolation::container);
  EXPECT_TRUE(spec.isolation_given);
  EXPECT_EQ(spec.image, "builtin:busybox");
  EXPECT_EQ(spec.workdir, "/work");
  EXPECT_EQ(spec.hostname, "app");
  EXPECT_EQ(spec.net, NetMode::host);
  EXPECT_EQ(spec.shared, (std::vector<Namespace>{Namespace::ipc, Namespace::uts}));
  EXPECT_EQ(spec.uid, 1000U);
  EXPECT_EQ(spec.gid, 100U);
  EXPECT_TRUE(spec.clear_env);
  EXPECT_EQ(spec.pty, PtyMode::never);
}

TEST(EnvFile, IsolationStacksAndAutoAreParsedIntoTheSpec) {
  Spec stack = load_ok("isolation = \"vm+container+venv\"\n");
  EXPECT_EQ(stack.isolation, Isolation::vm);
  EXPECT_EQ(stack.in_vm, Isolation::container);
  EXPECT_TRUE(stack.venv);
  Spec automatic = load_ok("isolation = \"auto\"\nlock = \"locks/strata.lock\"\n");
  EXPECT_TRUE(automatic.isolation_auto);
  EXPECT_EQ(automatic.lock_file, "/projects/app/locks/strata.lock");
  EXPECT_NE(load_error("isolation = \"venv+vm\"\n").find("strata.toml:1: key 'isolation'"),
            std::string::npos);
}

TEST(EnvFile, Env) {
  Spec spec = load_ok("[env]\nGREETING = \"hello world\"\nEMPTY = \"\"\n");
  ASSERT_EQ(spec.env.size(), 2U);
  const auto find = [&spec](std::string_view name) {
    return std::ranges::find(spec.env, name, &EnvVar::name)->value;
  };
  EXPECT_EQ(find("GREETING"), "hello world");
  EXPECT_EQ(find("EMPTY"), "");
  EXPECT_EQ(load_error("[env]\nN = 5\n"), "strata.toml:2: key 'env.N': expected a string, not an integer");
}

TEST(EnvFile, MountsInOrderWithRelativeSourcesResolved) {
  Spec spec = load_ok(R"(
[[mounts]]
type = "ro-bind"
source = "data"
destination = "/data//in"

[[mounts]]
type = "bind"
source = "/srv/out:x"

[[mounts]]
type = "tmpfs"
destination = "/scratch"
size = "64m"
)");
  ASSERT_EQ(spec.mounts.size(), 3U);
  EXPECT_EQ(
      spec.mounts[0],
      (MountSpec{.kind = MountKind::ro_bind, .source = "/projects/app/data", .destination = "/data/in"}));
  EXPECT_EQ(spec.mounts[1],
            (MountSpec{.kind = MountKind::bind, .source = "/srv/out:x", .destination = "/srv/out:x"}));
  EXPECT_EQ(
      spec.mounts[2],
      (MountSpec{.kind = MountKind::tmpfs, .source = "", .destination = "/scratch", .size = 64ULL << 20}));
}

TEST(EnvFile, MountErrorsNameTheEntry) {
  EXPECT_EQ(load_error("[[mounts]]\ntype = \"bind\"\nsource = \"/a\"\ndestination = \"/\"\n"),
            "strata.toml:4: key 'mounts[0].destination': cannot bind over '/'; use rootfs");
  EXPECT_EQ(
      load_error("[[mounts]]\ntype = \"tmpfs\"\ndestination = \"/t\"\n\n[[mounts]]\ntype = \"overlay\"\n"),
      "strata.toml:6: key 'mounts[1].type': expected bind, ro-bind or tmpfs, not 'overlay'");
  EXPECT_EQ(
      load_error("[[mounts]]\ntype = \"tmpfs\"\ndestination = \"/t\"\nmode = 1\n"),
      "strata.toml:4: key 'mounts[0].mode': unknown key (a mount has type, source, destination and size)");
  EXPECT_NE(load_error("[[mounts]]\ntype = \"tmpfs\"\ndestination = \"/a/../etc\"\n").find("'/a/../etc'"),
            std::string::npos);
  EXPECT_NE(load_error("[[mounts]]\ntype = \"tmpfs\"\nsource = \"/x\"\ndestination = \"/t\"\n")
                .find("a tmpfs has no source"),
            std::string::npos);
}

TEST(EnvFile, RootfsAndPathsResolveAgainstTheFilesDirectory) {
  Spec spec = load_ok(R"(
rootfs = "../trees/debian"
[security]
seccomp = "profiles/./strict.json"
[python]
requirements = "requirements.txt"
find_links = ["wheels", "/opt/wheels"]
interpreter = "python3.11"
[node]
lockfile = "web/package-lock.json"
[vm]
kernel = "boot/vmlinuz"
initrd = "/boot/initrd.img"
keep_console = "console.log"
)");
  EXPECT_EQ(spec.rootfs, "/projects/trees/debian");
  EXPECT_EQ(spec.seccomp.kind, SeccompChoice::Kind::file);
  EXPECT_EQ(spec.seccomp.path, "/projects/app/profiles/strict.json");
  EXPECT_EQ(spec.lang.python_requirements, "/projects/app/requirements.txt");
  EXPECT_EQ(spec.lang.find_links, (std::vector<std::string>{"/projects/app/wheels", "/opt/wheels"}));
  EXPECT_EQ(spec.lang.python, "python3.11");  // a name inside the layer, not a host path
  EXPECT_EQ(spec.lang.node_lockfile, "/projects/app/web/package-lock.json");
  EXPECT_EQ(spec.vm.kernel, "/projects/app/boot/vmlinuz");
  EXPECT_EQ(spec.vm.initrd, "/boot/initrd.img");
  EXPECT_EQ(spec.vm.keep_console, "/projects/app/console.log");
  EXPECT_EQ(load_ok("[[mounts]]\ntype = \"bind\"\nsource = \".\"\n").mounts.at(0).destination,
            "/projects/app");
}

TEST(EnvFile, RelativeFileNameResolvesAgainstTheWorkingDirectory) {
  Spec spec = load_ok("rootfs = \"tree\"\n", "sub/strata.toml");
  EXPECT_EQ(spec.rootfs, (std::filesystem::current_path() / "sub/tree").lexically_normal().string());
}

TEST(EnvFile, Resources) {
  Spec spec = load_ok(R"(
[resources]
memory = "512m"
cpus = 0.5
pids = 64
timeout = "1m"
kill_after = 5
stop_signal = "INT"
)");
  EXPECT_EQ(spec.resources.memory_bytes, 512ULL << 20);
  EXPECT_EQ(spec.resources.cpus, 0.5);
  EXPECT_EQ(spec.resources.pids, 64U);
  EXPECT_EQ(spec.resources.timeout, std::chrono::minutes(1));
  EXPECT_EQ(spec.resources.kill_after, std::chrono::seconds(5));
  EXPECT_EQ(spec.resources.stop_signal, SIGINT);
  Spec numbers = load_ok("[resources]\nmemory = 1048576\ncpus = 2\nstop_signal = 9\n");
  EXPECT_EQ(numbers.resources.memory_bytes, 1048576U);
  EXPECT_EQ(numbers.resources.cpus, 2.0);
  EXPECT_EQ(numbers.resources.stop_signal, SIGKILL);
}

TEST(EnvFile, ResourceErrorsNameLineAndKey) {
  EXPECT_EQ(load_error("command = [\"true\"]\n\n[resources]\nmemory = \"5x\"\n"),
            "strata.toml:4: key 'resources.memory': expected a size like 512m, not '5x'");
  EXPECT_EQ(load_error("[resources]\ntimeout = true\n"),
            "strata.toml:2: key 'resources.timeout': expected a duration like 30s or 500ms, not a boolean");
  EXPECT_EQ(load_error("[resources]\npids = 0\n"),
            "strata.toml:2: key 'resources.pids': expected a whole number from 1 to 4194304, not '0'");
  EXPECT_NE(load_error("[resources]\ncpus = 0.001\n").find("key 'resources.cpus'"), std::string::npos);
  EXPECT_NE(load_error("[resources]\nstop_signal = \"NOPE\"\n").find("'NOPE'"), std::string::npos);
}

TEST(EnvFile, Security) {
  Spec spec = load_ok(R"(
[security]
seccomp = "unconfined"
landlock = "require"
cap_add = ["NET_BIND_SERVICE", "cap_chown"]
cap_drop = ["CHOWN"]
[security.rlimits]
nofile = 1024
fsize = "10m:20m"
core = "unlimited"
)");
  EXPECT_EQ(spec.seccomp.kind, SeccompChoice::Kind::unconfined);
  EXPECT_EQ(spec.landlock, LandlockMode::require);
  EXPECT_EQ(spec.cap_add.size(), 2U);
  EXPECT_EQ(spec.cap_drop.size(), 1U);
  ASSERT_EQ(spec.rlimits.size(), 3U);
  const auto limit = [&spec](std::string_view name) {
    return *std::ranges::find(spec.rlimits, name, &RlimitSpec::name);
  };
  EXPECT_EQ(limit("nofile").resource, RLIMIT_NOFILE);
  EXPECT_EQ(limit("nofile").soft, 1024U);
  EXPECT_EQ(limit("fsize").hard, 20ULL << 20);
  EXPECT_EQ(limit("core").soft, RLIM_INFINITY);
  EXPECT_EQ(load_ok("[security]\nseccomp = \"default\"\n").seccomp.kind, SeccompChoice::Kind::builtin);
}

TEST(EnvFile, SecurityErrors) {
  EXPECT_EQ(load_error("[security]\ncap_add = [\"NET_ADMINN\"]\n"),
            "strata.toml:2: key 'security.cap_add': 'NET_ADMINN': unknown capability (see capabilities(7))");
  EXPECT_EQ(load_error("[security]\ncap_add = \"NET_ADMIN\"\n"),
            "strata.toml:2: key 'security.cap_add': expected an array of strings, not a string");
  EXPECT_NE(load_error("[security.rlimits]\nnofile = \"9:1\"\n").find("key 'security.rlimits.nofile'"),
            std::string::npos);
  EXPECT_NE(load_error("[security]\nlandlock = \"maybe\"\n").find("expected best-effort, require or off"),
            std::string::npos);
}

TEST(EnvFile, ContainerVmAndWasm) {
  Spec spec = load_ok(R"(
[container]
read_only = true
keep = true
writable_layer = "disk"
image_mount = "copy"
entrypoint = ""
user = "nobody"
[vm]
memory = "1g"
cpus = 2
engine = "qemu"
[wasm]
engine = "wasmtime"
memory = "64m"
no_sandbox = true
allow_weaker = true
)");
  EXPECT_TRUE(spec.read_only);
  EXPECT_TRUE(spec.keep);
  EXPECT_EQ(spec.writable_layer, WritableLayer::disk);
  EXPECT_EQ(spec.image_mount, ImageMount::copy);
  EXPECT_EQ(spec.entrypoint, "");
  EXPECT_EQ(spec.user, "nobody");
  EXPECT_EQ(spec.vm.memory_bytes, 1ULL << 30);
  EXPECT_EQ(spec.vm.cpus, 2U);
  EXPECT_EQ(spec.wasm.engine, "wasmtime");
  EXPECT_EQ(spec.wasm.memory_bytes, 64ULL << 20);
  EXPECT_TRUE(spec.wasm.no_sandbox);
  EXPECT_TRUE(spec.wasm.allow_weaker);
  EXPECT_NE(load_error("[wasm]\nengine = \"v8\"\n").find("key 'wasm.engine'"), std::string::npos);
  EXPECT_NE(load_error("[vm]\ncpus = 65\n").find("key 'vm.cpus'"), std::string::npos);
}

TEST(EnvFile, CommandMustBeAnArrayOfWords) {
  EXPECT_NE(load_error("command = \"python3 app.py\"\n").find("a string is not split"), std::string::npos);
  EXPECT_EQ(load_error("command = []\n"),
            "strata.toml:1: key 'command': expected a program and its arguments, not an empty command");
  EXPECT_EQ(load_error("command = [\"a\", 1]\n"),
            "strata.toml:1: key 'command': expected an array of strings, found an integer in it");
}

TEST(EnvFile, UnknownKeysAndSectionsAreErrors) {
  EXPECT_EQ(load_error("command = [\"true\"]\nmemory = \"1g\"\n"),
            "strata.toml:2: key 'memory': unknown key (see docs/strata-toml.md)");
  EXPECT_EQ(load_error("[resources]\nmemroy = \"1g\"\n"),
            "strata.toml:2: key 'resources.memroy': unknown key (see docs/strata-toml.md)");
  EXPECT_EQ(load_error("[gpu]\ncount = 1\n"),
            "strata.toml:1: key 'gpu': unknown key (see docs/strata-toml.md)");
  EXPECT_EQ(load_error("resources = 5\n"),
            "strata.toml:1: key 'resources': expected a table, not an integer");
  // A flag that is about one invocation, not the workload, has no key.
  EXPECT_NE(load_error("dry_run = true\n").find("unknown key"), std::string::npos);
  EXPECT_NE(load_error("pass_fds = [3]\n").find("unknown key"), std::string::npos);
}

TEST(EnvFile, SyntaxErrorsGiveLineAndColumn) {
  const std::string error = load_error("command = [\"true\"]\nimage = \n");
  EXPECT_EQ(error.rfind("strata.toml:2:", 0), 0U) << error;
  EXPECT_NE(error.find("invalid TOML"), std::string::npos) << error;
  EXPECT_EQ(load_error("a = 1\na = 2\n").rfind("strata.toml:2:", 0), 0U);
  EXPECT_EQ(load_error("a = 1\n[=]\n").rfind("strata.toml:2:2: invalid TOML: ", 0), 0U);  // toml++ asserted
  EXPECT_EQ(load_error("a = 1\r\n[\x0e"
                       "b]\n"),
            "strata.toml:2:2: invalid TOML: control character U+000E (only tab is allowed)");
}

// toml++ 3.3 reaches __builtin_unreachable on non-ASCII text where it looks
// for whitespace; such text is refused before it parses (precheck.cpp).
TEST(EnvFile, NonAsciiInStringsAndCommentsButNotBetweenTokens) {
  Spec spec = load_ok(
      "# caf\u00e9\n[env]\nA = \"h\u00e9llo w\u00f6rld\"\nB = '\u0436'\nC = \"\"\"x\n\u00e9\"\"\"\"\"\n");
  ASSERT_EQ(spec.env.size(), 3U);
  EXPECT_EQ(spec.env[0].value, "h\u00e9llo w\u00f6rld");
  EXPECT_EQ(spec.env[1].value, "\u0436");
  EXPECT_EQ(spec.env[2].value, "x\n\u00e9\"\"");
  EXPECT_EQ(load_ok("\xef\xbb\xbfhostname = \"bom\"\n").hostname, "bom");
  EXPECT_EQ(load_error("\u00e9 = 1\n"),
            "strata.toml:1:1: invalid TOML: a non-ASCII character outside a string or comment");
  EXPECT_EQ(load_error("\xef\xbb\xbb = 1\n").rfind("strata.toml:1:1: invalid TOML: a non-ASCII", 0), 0U);
  EXPECT_EQ(load_error("[env]\nA = \"\"\"\\\n  \u00a7\"\"\"\n"),
            "strata.toml:3:3: invalid TOML: a non-ASCII character right after a line-ending backslash is not "
            "supported (toml++ 3.3)");
  EXPECT_EQ(load_error("[env]\nA = \"\"\"\\\u00a7\"\"\"\n"),
            "strata.toml:2:8: invalid TOML: '\\' before a non-ASCII character is not a TOML escape");
  EXPECT_EQ(load_error("command = [\"a\", 2\"\u048d\"]\n"),
            "strata.toml:1:18: invalid TOML: a quote right after another token");
  EXPECT_EQ(load_error("command = [\"a\", 2=\"\u00e9\"]\n"),
            "strata.toml:1:19: invalid TOML: a quote right after another token");
  EXPECT_EQ(load_ok("[env]\nA=\"\u00e9\"\n").env.at(0).value, "\u00e9");
  EXPECT_EQ(load_ok("[env]\n\"QUOTED\" = 'x'\n[\"security\".'rlimits']\nnofile = 1\n").env.at(0).name,
            "QUOTED");
  EXPECT_EQ(load_ok("command = [ # the program\n  \"a\",\"b\",\n]\n").argv.size(), 2U);
  EXPECT_EQ(load_ok("[env]\nA = \"\"\"\\\n  x\\\"\"\"\"\n").env.at(0).value, "x\"");
}

TEST(EnvFile, LoadFileReadsFromDisk) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "strata-envfile-unit";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "strata.toml").string();
  std::ofstream(path) << "command = [\"true\"]\nrootfs = \"root\"\n";
  Spec spec;
  auto loaded = envfile::load_file(path, spec);
  ASSERT_TRUE(loaded) << loaded.error().message();
  EXPECT_EQ(loaded->keys, (std::vector<std::string>{"command", "rootfs"}));
  EXPECT_EQ(spec.rootfs, (dir / "root").string());
  Spec missing;
  EXPECT_FALSE(envfile::load_file((dir / "absent.toml").string(), missing));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace strata
