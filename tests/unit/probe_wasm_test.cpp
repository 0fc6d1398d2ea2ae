// The language layer's wasm section: engines as facts (from a hand-made list,
// so that the test does not depend on what this machine has installed), read
// back from JSON unchanged, and judged by strata diff when one disappears.
#include <gtest/gtest.h>

#include "diff/diff.hpp"
#include "probe/lang_wasm.hpp"
#include "probe/layers.hpp"
#include "probe_support.hpp"

namespace strata::probe {
namespace {

using nlohmann::json;

std::vector<wasm::Engine> engines() {
  return {{.kind = wasm::EngineKind::node,
           .name = "node",
           .path = "/usr/bin/node",
           .version = "v20.20.2",
           .wasi_preview1 = true,
           .unusable_reason = ""},
          {.kind = wasm::EngineKind::wasm_interp,
           .name = "wasm-interp",
           .path = "/usr/bin/wasm-interp",
           .version = "",
           .wasi_preview1 = false,
           .unusable_reason = "wasi support not compiled in"},
          {.kind = wasm::EngineKind::node,
           .name = "node",
           .path = "/opt/bin/node",
           .version = "v18.0.0",
           .wasi_preview1 = false,
           .unusable_reason = "older than 20"}};
}

TEST(ProbeWasm, OneFactPerEngineTheFirstOfANameWinning) {
  Facts facts;
  lang::add_engine_facts(engines(), "$PATH", facts);
  ASSERT_TRUE(facts.contains("wasm.engines"));
  EXPECT_EQ(facts.at("wasm.engines").value, (json{"node", "wasm-interp"}));
  EXPECT_EQ(facts.at("wasm.engines").source, "$PATH");
  EXPECT_EQ(
      facts.at("wasm.engine.node").value,
      (json{
          {"path", "/usr/bin/node"}, {"version", "v20.20.2"}, {"wasi_preview1", true}, {"reason", nullptr}}));
  EXPECT_EQ(facts.at("wasm.engine.node").source, "/usr/bin/node");
  EXPECT_EQ(facts.at("wasm.engine.wasm-interp").value, (json{{"path", "/usr/bin/wasm-interp"},
                                                             {"version", nullptr},
                                                             {"wasi_preview1", false},
                                                             {"reason", "wasi support not compiled in"}}));
}

TEST(ProbeWasm, NoEngineIsAnEmptyListNotAnAbsentFact) {
  Facts facts;
  lang::add_engine_facts({}, "$PATH", facts);
  ASSERT_TRUE(facts.contains("wasm.engines"));
  EXPECT_EQ(facts.at("wasm.engines").value, json::array());
  EXPECT_EQ(facts.size(), 1U);
}

TEST(ProbeWasm, TheSectionIsInEveryLanguageLayerAndReadsBack) {
  // A tree with nothing in it still says it looked (an empty list).
  const test_support::TempTree tree;
  auto root = Root::open(tree.path().string());
  ASSERT_TRUE(root.has_value());
  const Facts empty = probe_language(*root, "/");
  ASSERT_TRUE(empty.contains("wasm.engines"));
  EXPECT_EQ(empty.at("wasm.engines").value, json::array());

  Manifest m{.generator = "test", .target = "live", .redacted = false, .layers = {}};
  lang::add_engine_facts(engines(), "$PATH", m.layers[Layer::language]);
  const auto back = manifest_from_json(to_json(m).dump(), "m.json");
  ASSERT_TRUE(back.has_value()) << back.error().message();
  EXPECT_EQ(*back, m);
}

TEST(ProbeWasm, DiffJudgesAnEngineThatDisappears) {
  Manifest a{.generator = "test", .target = "live", .redacted = false, .layers = {}};
  lang::add_engine_facts(engines(), "$PATH", a.layers[Layer::language]);
  Manifest b{.generator = "test", .target = "live", .redacted = false, .layers = {}};
  lang::add_engine_facts({engines()[1]}, "$PATH", b.layers[Layer::language]);
  const diff::Report report = diff::compare(a, b);
  const auto node = std::ranges::find(report.differences, "wasm.engine.node", &diff::Difference::key);
  ASSERT_NE(node, report.differences.end());
  EXPECT_EQ(node->severity, diff::Severity::may_matter);
  EXPECT_NE(node->reason.find("the WebAssembly engine node is missing on B: WASI modules"), std::string::npos)
      << node->reason;
  const auto list = std::ranges::find(report.differences, "wasm.engines", &diff::Difference::key);
  ASSERT_NE(list, report.differences.end());
  EXPECT_EQ(list->severity, diff::Severity::cosmetic);
  // The other way round, an engine only B has is cosmetic.
  const diff::Report reverse = diff::compare(b, a);
  const auto added = std::ranges::find(reverse.differences, "wasm.engine.node", &diff::Difference::key);
  ASSERT_NE(added, reverse.differences.end());
  EXPECT_EQ(added->severity, diff::Severity::cosmetic);
}

}  // namespace
}  // namespace strata::probe
