#include "spec/spec.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

namespace strata {
namespace {

TEST(NormalizeDestination, CollapsesSlashesAndDots) {
  EXPECT_EQ(normalize_destination("/a//b/./c/").value(), "/a/b/c");
  EXPECT_EQ(normalize_destination("/").value(), "/");
  EXPECT_EQ(normalize_destination("//").value(), "/");
}

TEST(NormalizeDestination, RefusesClimbingAndRelativePaths) {
  EXPECT_FALSE(normalize_destination("/a/../etc"));
  EXPECT_FALSE(normalize_destination("/.."));
  EXPECT_FALSE(normalize_destination("relative"));
  EXPECT_FALSE(normalize_destination(""));
  EXPECT_FALSE(normalize_destination(std::string_view("/a\0b", 4)));
}

TEST(ParseBind, SourceAndDestination) {
  auto bind = parse_bind("/host/data:/data", MountKind::ro_bind).value();
  EXPECT_EQ(bind.kind, MountKind::ro_bind);
  EXPECT_EQ(bind.source, "/host/data");
  EXPECT_EQ(bind.destination, "/data");
}

TEST(ParseBind, DestinationDefaultsToSource) {
  auto bind = parse_bind("/srv/x", MountKind::bind).value();
  EXPECT_EQ(bind.destination, "/srv/x");
}

TEST(ParseBind, RefusesEmptyPartsRootAndDotDot) {
  EXPECT_FALSE(parse_bind("", MountKind::bind));
  EXPECT_FALSE(parse_bind(":/x", MountKind::bind));
  EXPECT_FALSE(parse_bind("/x:", MountKind::bind));
  EXPECT_FALSE(parse_bind("/x:/", MountKind::bind));
  EXPECT_FALSE(parse_bind("/x:/a/../../etc", MountKind::bind));
  EXPECT_FALSE(parse_bind("/x:rel", MountKind::bind));
}

TEST(ParseTmpfs, DestinationAndOptionalSize) {
  auto plain = parse_tmpfs("/scratch").value();
  EXPECT_EQ(plain.destination, "/scratch");
  EXPECT_EQ(plain.size, 0U);
  auto sized = parse_tmpfs("/scratch:16m").value();
  EXPECT_EQ(sized.size, 16U << 20);
  EXPECT_FALSE(parse_tmpfs("/scratch:lots"));
  EXPECT_FALSE(parse_tmpfs("scratch"));
}

TEST(ParseEnv, SplitsAtFirstEquals) {
  auto var = parse_env("A=b=c").value();
  EXPECT_EQ(var.name, "A");
  EXPECT_EQ(var.value, "b=c");
  EXPECT_EQ(parse_env("EMPTY=").value().value, "");
  EXPECT_FALSE(parse_env("=x"));
  EXPECT_FALSE(parse_env("NOVALUE"));
}

TEST(ParseNamespace, KnowsShareableOnes) {
  EXPECT_EQ(parse_namespace("net").value(), Namespace::net);
  EXPECT_EQ(parse_namespace("cgroup").value(), Namespace::cgroup);
  EXPECT_FALSE(parse_namespace("user"));
  EXPECT_FALSE(parse_namespace("mount"));
  EXPECT_FALSE(parse_namespace("time"));
}

TEST(ParseModes, NetAndIsolation) {
  EXPECT_EQ(parse_net("host").value(), NetMode::host);
  EXPECT_EQ(parse_net("none").value(), NetMode::none);
  EXPECT_EQ(parse_net("user").value(), NetMode::user);
  EXPECT_FALSE(parse_net("bridge"));
  EXPECT_EQ(parse_isolation("host").value(), Isolation::host);
  EXPECT_EQ(parse_isolation("sandbox").value(), Isolation::sandbox);
  EXPECT_EQ(parse_isolation("vm").value(), Isolation::vm);
  EXPECT_FALSE(parse_isolation("jail"));
}

Spec command(std::vector<std::string> argv) {
  Spec spec;
  spec.argv = std::move(argv);
  return spec;
}

TEST(Validate, NeedsACommand) {
  EXPECT_FALSE(validate(Spec{}));
  EXPECT_FALSE(validate(command({""})));
  EXPECT_TRUE(validate(command({"true"})));
}

TEST(Validate, ChecksInputsExist) {
  Spec spec = command({"true"});
  spec.rootfs = "/nonexistent/rootfs";
  EXPECT_NE(validate(spec).error().message().find("/nonexistent/rootfs"), std::string::npos);
  spec.rootfs = "/etc/passwd";
  EXPECT_NE(validate(spec).error().message().find("not a directory"), std::string::npos);
  spec = command({"true"});
  spec.mounts.push_back(parse_bind("/nonexistent/src:/x", MountKind::bind).value());
  EXPECT_FALSE(validate(spec));
}

TEST(Validate, RefusesContradictions) {
  Spec spec = command({"true"});
  spec.hostname = "box";
  spec.shared = {Namespace::uts};
  EXPECT_FALSE(validate(spec));

  spec = command({"true"});
  spec.isolation = Isolation::host;
  spec.rootfs = "/";
  EXPECT_FALSE(validate(spec));

  spec = command({"true"});
  spec.hostname = std::string(65, 'x');
  EXPECT_FALSE(validate(spec));
}

TEST(Validate, PassFdMustBeOpenAndAbove2) {
  Spec spec = command({"true"});
  spec.pass_fds = {1};
  EXPECT_FALSE(validate(spec));
  spec.pass_fds = {987};
  EXPECT_FALSE(validate(spec));
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  spec.pass_fds = {fds[0]};
  EXPECT_TRUE(validate(spec));
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(Layers, ParsesStacksOutermostFirst) {
  const Layers full = parse_layers("vm+container+venv").value();
  EXPECT_EQ(full.outer, Isolation::vm);
  EXPECT_EQ(full.in_vm, Isolation::container);
  EXPECT_TRUE(full.venv);
  const Layers venv = parse_layers("venv").value();
  EXPECT_EQ(venv.outer, Isolation::host);
  EXPECT_TRUE(venv.venv);
  EXPECT_FALSE(venv.in_vm);
  EXPECT_EQ(parse_layers("sandbox").value(), Layers{.outer = Isolation::sandbox});
  EXPECT_TRUE(parse_layers("auto").value().automatic);
  EXPECT_EQ(parse_layers("vm+sandbox").value().in_vm, Isolation::sandbox);
  EXPECT_TRUE(parse_layers("container+venv").value().venv);
}

TEST(Layers, RefusesWhatDoesNotNestWithAReason) {
  for (const char* text : {"venv+vm", "container+vm", "sandbox+container", "vm+vm", "wasm+venv", "vm+wasm",
                           "host+sandbox", "auto+venv", "vm+container+sandbox", "", "vm+", "jail"}) {
    auto layers = parse_layers(text);
    ASSERT_FALSE(layers) << text;
    EXPECT_NE(layers.error().message().find("--isolation"), std::string::npos) << text;
  }
  EXPECT_NE(parse_layers("venv+vm").error().message().find("innermost"), std::string::npos);
  EXPECT_NE(parse_layers("container+vm").error().message().find("hypervisor"), std::string::npos);
}

TEST(Layers, TextRoundTrips) {
  for (const char* text : {"vm+container+venv", "venv", "sandbox", "vm+sandbox", "container+venv", "auto"}) {
    Spec spec;
    apply_layers(spec, parse_layers(text).value());
    EXPECT_EQ(layers_text(spec), text);
  }
}

}  // namespace
}  // namespace strata
