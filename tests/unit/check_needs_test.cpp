// The strata.needs/v1 reader: what it takes from a document, and the
// one-line errors (naming the file and the key) for everything it refuses.
#include <gtest/gtest.h>

#include "check/needs.hpp"

namespace strata::check {
namespace {

std::string doc(const std::string& needs, const std::string& extra = "") {
  return R"({"schema": "strata.needs/v1", "generator": "strata 0.1.0", "target": "live", "files": [],)" +
         extra + R"( "needs": )" + needs + "}";
}

// The error's message for `text`, or "" (and a failure) when it was accepted.
std::string refusal(const std::string& text) {
  const auto needs = needs_from_json(text, "app.needs.json");
  EXPECT_FALSE(needs.has_value()) << text;
  return needs ? std::string() : needs.error().message();
}

TEST(CheckNeedsReader, ReadsWhatStrataAnalyzeWrites) {
  const auto needs =
      needs_from_json(doc(R"({"glibc": "2.34", "symbol_versions": {"GLIBC": "2.34", "GLIBCXX": "3.4.29"},
      "isa_level": "x86-64-v3", "min_kernel": "3.2.0", "machines": ["x86-64"],
      "interpreters": ["/lib64/ld-linux-x86-64.so.2"], "libraries": ["libc.so.6", "libfoo.so.1"],
      "hwcaps": {"libfoo.so.1": "x86-64-v3"}, "missing": ["libbar.so"]})"),
                      "n.json");
  ASSERT_TRUE(needs.has_value()) << needs.error().message();
  EXPECT_EQ(needs->origin, "n.json");
  EXPECT_EQ(needs->glibc, "2.34");
  EXPECT_EQ(needs->symbol_versions.at("GLIBCXX"), "3.4.29");
  EXPECT_EQ(needs->isa_level, "x86-64-v3");
  EXPECT_EQ(needs->min_kernel, "3.2.0");
  EXPECT_EQ(needs->machines, std::vector<std::string>{"x86-64"});
  EXPECT_EQ(needs->libraries, (std::vector<std::string>{"libc.so.6", "libfoo.so.1"}));
  EXPECT_EQ(needs->hwcaps.at("libfoo.so.1"), "x86-64-v3");
  EXPECT_EQ(needs->missing, std::vector<std::string>{"libbar.so"});
  EXPECT_TRUE(needs->command.empty());
}

TEST(CheckNeedsReader, NullMeansNoNeed) {
  const auto needs =
      needs_from_json(doc(R"({"glibc": null, "isa_level": null, "min_kernel": null})"), "n.json");
  ASSERT_TRUE(needs.has_value()) << needs.error().message();
  EXPECT_FALSE(needs->glibc.has_value());
  EXPECT_FALSE(needs->isa_level.has_value());
  EXPECT_FALSE(needs->min_kernel.has_value());
}

TEST(CheckNeedsReader, ReadsTheKeysStrataTraceAdds) {
  const auto needs =
      needs_from_json(doc(R"J({"min_kernel": "5.13", "min_kernel_because": "landlock_create_ruleset (5.13)",
      "syscalls": ["io_uring_setup", "read"], "sysctls": ["kernel.osrelease"],
      "kernel_features": [{"feature": "io_uring", "evidence": "io_uring_setup"},
                          {"feature": "landlock", "evidence": "landlock_create_ruleset", "min_kernel": "5.13", "abi": 3}],
      "dlopen": ["libssl.so.3"], "python_packages": {"numpy": "1.26.4", "mystery": null},
      "node_packages": {"left-pad": "1.3.0"}, "a_key_from_the_future": {"x": 1}})J",
                          R"( "command": ["python3", "app.py", "--fast"],)"),
                      "trace.json");
  ASSERT_TRUE(needs.has_value()) << needs.error().message();
  EXPECT_EQ(needs->command, (std::vector<std::string>{"python3", "app.py", "--fast"}));
  EXPECT_EQ(needs->min_kernel_because, "landlock_create_ruleset (5.13)");
  ASSERT_EQ(needs->kernel_features.size(), 2U);
  EXPECT_EQ(needs->kernel_features[0].feature, "io_uring");
  EXPECT_EQ(needs->kernel_features[0].evidence, "io_uring_setup");
  EXPECT_FALSE(needs->kernel_features[0].abi.has_value());
  EXPECT_EQ(needs->kernel_features[1].min_kernel, "5.13");
  EXPECT_EQ(needs->kernel_features[1].abi, 3);
  EXPECT_EQ(needs->dlopen, std::vector<std::string>{"libssl.so.3"});
  EXPECT_EQ(needs->python_packages.at("numpy"), "1.26.4");
  EXPECT_FALSE(needs->python_packages.at("mystery").has_value());
  EXPECT_EQ(needs->node_packages.at("left-pad"), "1.3.0");
  EXPECT_EQ(needs->syscalls.size(), 2U);
}

TEST(CheckNeedsReader, RefusesAManifestNamingTheFileAndWhereItGoes) {
  EXPECT_EQ(
      refusal(R"({"schema": "strata.manifest/v1", "layers": {}})"),
      "read needs 'app.needs.json': schema \"strata.manifest/v1\" is a probe manifest, not a needs document "
      "(strata analyze --json writes one; a manifest goes to --target)");
  EXPECT_EQ(refusal(R"({"schema": "strata.needs/v2", "needs": {}})"),
            "read needs 'app.needs.json': unsupported schema \"strata.needs/v2\" (this strata reads "
            "\"strata.needs/v1\")");
  EXPECT_EQ(refusal(R"({"needs": {}})"),
            "read needs 'app.needs.json': not a strata needs document (no \"schema\" string)");
}

TEST(CheckNeedsReader, RefusesBrokenJson) {
  const std::string whole = doc(R"({"glibc": "2.34"})");
  EXPECT_EQ(refusal(whole.substr(0, whole.size() - 5)),
            "read needs 'app.needs.json': truncated JSON (ends after " + std::to_string(whole.size() - 5) +
                " bytes)");
  const std::string garbage = refusal("glibc = 2.34\n");
  EXPECT_TRUE(garbage.starts_with("read needs 'app.needs.json': not JSON (parse error at line 1")) << garbage;
  EXPECT_EQ(refusal(""), "read needs 'app.needs.json': empty file (not JSON)");
  // nlohmann throws out_of_range, not parse_error, for a number beyond a double (found by needs_fuzz).
  const std::string huge = refusal(doc(R"({"x": 1E640})"));
  EXPECT_TRUE(huge.starts_with("read needs 'app.needs.json': not JSON (number overflow")) << huge;
  EXPECT_EQ(refusal("[1, 2]"),
            "read needs 'app.needs.json': not a strata needs document (top level is not an object)");
}

TEST(CheckNeedsReader, RefusesTheNeedsObjectMissingOrOfTheWrongType) {
  EXPECT_EQ(refusal(R"({"schema": "strata.needs/v1"})"),
            "read needs 'app.needs.json': key \"needs\" is missing");
  EXPECT_EQ(refusal(doc("[]")), "read needs 'app.needs.json': key \"needs\" is an array, expected an object");
  EXPECT_EQ(refusal(doc("{}", R"( "command": "python3 app.py",)")),
            "read needs 'app.needs.json': key \"command\" is a string, expected an array of strings");
}

TEST(CheckNeedsReader, RefusesAKnownKeyOfTheWrongTypeByName) {
  EXPECT_EQ(refusal(doc(R"({"glibc": 2.34})")),
            "read needs 'app.needs.json': key \"needs.glibc\" is a number, expected a string or null");
  EXPECT_EQ(refusal(doc(R"({"libraries": ["libc.so.6", 7]})")),
            "read needs 'app.needs.json': key \"needs.libraries[1]\" is a number, expected a string");
  EXPECT_EQ(refusal(doc(R"({"machines": "x86-64"})")),
            "read needs 'app.needs.json': key \"needs.machines\" is a string, expected an array of strings");
  EXPECT_EQ(
      refusal(doc(R"({"symbol_versions": {"GLIBCXX": 3.4}})")),
      "read needs 'app.needs.json': key \"needs.symbol_versions.GLIBCXX\" is a number, expected a string");
  EXPECT_EQ(refusal(doc(R"({"hwcaps": ["libfoo.so.1"]})")),
            "read needs 'app.needs.json': key \"needs.hwcaps\" is an array, expected an object");
  EXPECT_EQ(
      refusal(doc(R"({"python_packages": {"numpy": 1}})")),
      "read needs 'app.needs.json': key \"needs.python_packages.numpy\" is a number, expected a version "
      "string or null");
  EXPECT_EQ(
      refusal(doc(R"({"kernel_features": [{"feature": "landlock", "abi": "3"}]})")),
      "read needs 'app.needs.json': key \"needs.kernel_features[0].abi\" is a string, expected an integer");
  EXPECT_EQ(refusal(doc(R"({"kernel_features": [{"evidence": "io_uring_setup"}]})")),
            "read needs 'app.needs.json': key \"needs.kernel_features[0].feature\" is missing");
  EXPECT_EQ(refusal(doc(R"({"kernel_features": ["io_uring"]})")),
            "read needs 'app.needs.json': key \"needs.kernel_features[0]\" is a string, expected an object");
}

TEST(CheckNeedsReader, ReadsTheWasmKey) {
  const auto needs = needs_from_json(
      doc(R"({"wasm": {"modules": 1, "wasi": "preview1", "imports": ["wasi_snapshot_preview1.fd_write"],
      "non_wasi_imports": ["env.foo"], "memory_max_pages": 16, "features": ["threads"]}})"),
      "n.json");
  ASSERT_TRUE(needs.has_value()) << needs.error().message();
  ASSERT_TRUE(needs->wasm.has_value());
  EXPECT_EQ(needs->wasm->wasi, "preview1");
  EXPECT_EQ(needs->wasm->imports, std::vector<std::string>{"wasi_snapshot_preview1.fd_write"});
  EXPECT_EQ(needs->wasm->non_wasi_imports, std::vector<std::string>{"env.foo"});
  EXPECT_EQ(needs->wasm->memory_max_pages, 16U);
  EXPECT_EQ(needs->wasm->features, std::vector<std::string>{"threads"});

  const auto none = needs_from_json(doc(R"({"wasm": null})"), "n.json");
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(none->wasm.has_value());

  EXPECT_EQ(refusal(doc(R"({"wasm": {"imports": ["a.b", 1]}})")),
            "read needs 'app.needs.json': key \"needs.wasm.imports[1]\" is a number, expected a string");
  EXPECT_EQ(refusal(doc(R"({"wasm": {"memory_max_pages": -1}})")),
            "read needs 'app.needs.json': key \"needs.wasm.memory_max_pages\" is a number, expected a "
            "non-negative integer or null");
  EXPECT_EQ(refusal(doc(R"({"wasm": "preview1"})")),
            "read needs 'app.needs.json': key \"needs.wasm\" is a string, expected an object");
}

}  // namespace
}  // namespace strata::check
