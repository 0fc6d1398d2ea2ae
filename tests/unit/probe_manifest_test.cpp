// The manifest's JSON form, reading it back (and refusing bad input with a
// message naming the file), --redact and the CycloneDX form.
#include <gtest/gtest.h>

#include "probe/cyclonedx.hpp"
#include "probe/manifest.hpp"
#include "probe/redact.hpp"

namespace strata::probe {
namespace {

Manifest sample() {
  Manifest m{.generator = "strata 0.1.0", .target = "live", .redacted = false, .layers = {}};
  add(m.layers[Layer::kernel], "release", "6.1.0", "uname(2)");
  add(m.layers[Layer::kernel], "hostname", "buildbox", "uname(2)");
  add(m.layers[Layer::hardware], "arch", "x86_64", "uname(2)");
  add(m.layers[Layer::system], "os.id", "debian", "/etc/os-release");
  add(m.layers[Layer::system], "package.bash", {{"version", "5.2.15-2+b2"}, {"arch", "amd64"}},
      "/var/lib/dpkg/status");
  add(m.layers[Layer::language], "python.venv", {{"path", "/home/alice/app/.venv"}}, "VIRTUAL_ENV");
  return m;
}

TEST(ManifestJson, LayersInOrderAndRoundTrip) {
  const Manifest m = sample();
  const auto json = to_json(m);
  EXPECT_EQ(json["schema"], "strata.manifest/v1");
  std::vector<std::string> layers;
  for (const auto& [name, facts] : json["layers"].items()) {
    layers.push_back(name);
  }
  EXPECT_EQ(layers, (std::vector<std::string>{"hardware", "kernel", "system", "language"}));
  EXPECT_EQ(json["layers"]["kernel"]["release"]["source"], "uname(2)");
  auto back = manifest_from_json(json.dump(), "m.json");
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(*back, m);
  EXPECT_EQ(to_json(*back).dump(), json.dump());  // deterministic
}

TEST(ManifestJson, BadInputNamesTheFileAndTheProblem) {
  const std::string text = to_json(sample()).dump();
  const auto error = [](std::string_view input) {
    auto m = manifest_from_json(input, "b.json");
    return m ? std::string("(read)") : m.error().message();
  };
  EXPECT_NE(error(text.substr(0, text.size() / 2)).find("'b.json': truncated JSON"), std::string::npos)
      << error(text.substr(0, text.size() / 2));
  EXPECT_NE(error("hello").find("'b.json': not JSON"), std::string::npos) << error("hello");
  EXPECT_NE(error("[1,2]").find("not a strata manifest"), std::string::npos);
  EXPECT_NE(error(R"({"schema": "strata.manifest/v9", "layers": {}})")
                .find("unsupported schema \"strata.manifest/v9\""),
            std::string::npos);
  EXPECT_NE(error(R"({"schema": "strata.manifest/v1", "layers": {"firmware": {}}})")
                .find("unknown layer \"firmware\""),
            std::string::npos);
  EXPECT_NE(error(R"({"schema": "strata.manifest/v1", "layers": {"kernel": {"release": 5}}})")
                .find("fact \"kernel.release\" needs \"value\" and \"source\""),
            std::string::npos);
}

TEST(ManifestJson, NestedValuesAndUnknownFieldsRead) {
  const auto m = manifest_from_json(R"({"schema": "strata.manifest/v1", "extra": {"a": [1, {"b": null}]},
      "layers": {"system": {"library.x": {"comment": [1, 2], "source": "s",
          "value": {"alternates": [{"arch": "i386", "path": "/lib32/x"}], "n": 1.5, "ok": true}}},
        "kernel": {}}})",
                                    "n.json");
  ASSERT_TRUE(m) << m.error().message();
  const Fact& fact = m->layers.at(Layer::system).at("library.x");
  EXPECT_EQ(fact.source, "s");
  EXPECT_EQ(fact.value["alternates"][0]["path"], "/lib32/x");
  EXPECT_EQ(fact.value["n"], 1.5);
  EXPECT_EQ(fact.value["ok"], true);
  EXPECT_TRUE(m->layers.contains(Layer::kernel));
  EXPECT_TRUE(m->layers.at(Layer::kernel).empty());
  const auto error = [](std::string_view input) {
    auto r = manifest_from_json(input, "x.json");
    return r ? std::string("(read)") : r.error().message();
  };
  EXPECT_NE(error(R"({"schema": "strata.manifest/v1", "layers": [1]})").find("\"layers\" is not an object"),
            std::string::npos);
  EXPECT_NE(error(R"({"schema": "strata.manifest/v1", "layers": {"kernel": 3}})")
                .find("layer \"kernel\" is not an object"),
            std::string::npos);
  EXPECT_NE(error(R"({"schema": "strata.manifest/v1"})").find("\"layers\" is missing"), std::string::npos);
  EXPECT_NE(error(R"({"layers": {}})").find("no \"schema\" field"), std::string::npos);
  EXPECT_NE(error(R"({"schema": "strata.manifest/v1", "layers": {"kernel": {"k": {"value": 1}}}})")
                .find("fact \"kernel.k\" needs"),
            std::string::npos);
}

TEST(Redact, ReplacesWholeNamesOnly) {
  const RedactTerms terms{.hostname = "buildbox", .user = "alice", .home = "/home/alice"};
  EXPECT_EQ(redact_text("/home/alice/app", terms), "~/app");
  EXPECT_EQ(redact_text("/home/alice2/app", terms), "/home/alice2/app");
  EXPECT_EQ(redact_text("alice@buildbox", terms), "<user>@<hostname>");
  EXPECT_EQ(redact_text("malice buildboxes", terms), "malice buildboxes");
  const RedactTerms root{.hostname = "h", .user = "root", .home = "/root"};
  EXPECT_EQ(redact_text("/root/x /rootfs/y root", root), "~/x /rootfs/y <user>");

  Manifest m = sample();
  redact(m, terms);
  EXPECT_TRUE(m.redacted);
  EXPECT_EQ(m.layers[Layer::kernel]["hostname"].value, "<hostname>");
  EXPECT_EQ(m.layers[Layer::language]["python.venv"].value["path"], "~/app/.venv");
  EXPECT_EQ(to_json(m).dump().find("alice"), std::string::npos);
}

TEST(CycloneDx, ComponentsAndDeterministicSerial) {
  const auto bom = to_cyclonedx(sample());
  EXPECT_EQ(bom["bomFormat"], "CycloneDX");
  EXPECT_EQ(bom["specVersion"], "1.6");
  EXPECT_EQ(bom["serialNumber"], to_cyclonedx(sample())["serialNumber"]);
  EXPECT_TRUE(bom["serialNumber"].get<std::string>().starts_with("urn:uuid:"));
  std::map<std::string, nlohmann::ordered_json> by_ref;
  for (const auto& c : bom["components"]) {
    by_ref[c["bom-ref"].get<std::string>()] = c;
  }
  ASSERT_TRUE(by_ref.contains("operating-system"));
  EXPECT_EQ(by_ref["operating-system"]["type"], "operating-system");
  EXPECT_EQ(by_ref["operating-system"]["name"], "debian");
  ASSERT_TRUE(by_ref.contains("kernel"));
  EXPECT_EQ(by_ref["kernel"]["type"], "platform");
  EXPECT_EQ(by_ref["kernel"]["version"], "6.1.0");
  ASSERT_TRUE(by_ref.contains("package.bash"));
  EXPECT_EQ(by_ref["package.bash"]["type"], "library");
  EXPECT_EQ(by_ref["package.bash"]["purl"], "pkg:deb/debian/bash@5.2.15-2+b2");
  EXPECT_EQ(by_ref["cpu"]["type"], "device");
}

}  // namespace
}  // namespace strata::probe
