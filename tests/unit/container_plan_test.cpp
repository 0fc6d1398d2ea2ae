// A container's Plan and process: the image config under the flags, the id
// maps, and the root stacked from layers (no host system dirs, no /tmp tmpfs).
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>

#include "container/process.hpp"
#include "isolate/plan.hpp"

namespace strata {
namespace {

image::ImageConfig config() {
  image::ImageConfig c;
  c.env = {"PATH=/opt/bin:/bin", "LANG=C.UTF-8", "BROKEN", "=nameless"};
  c.entrypoint = {"/entry", "--flag"};
  c.cmd = {"serve", "--port", "80"};
  c.working_dir = "/srv";
  c.user = "app";
  c.stop_signal = "SIGQUIT";
  return c;
}

image::ImageUser app_user() {
  return image::ImageUser{.uid = 1000, .gid = 1000, .groups = {1000, 27}, .home = "/home/app", .name = "app"};
}

Spec image_spec() {
  Spec spec;
  spec.isolation = Isolation::container;
  spec.image = "example";
  return spec;
}

ContainerRoot apply(const Spec& spec, const image::ImageConfig& c = config(),
                    const std::optional<std::string>& term = std::nullopt) {
  ContainerRoot out;
  auto ok = container::apply_image_config(spec, c, app_user(), term, out);
  EXPECT_TRUE(ok) << ok.error().message();
  return out;
}

TEST(ContainerProcess, ImageConfigAsIs) {
  const ContainerRoot root = apply(image_spec());
  EXPECT_EQ(root.argv, (std::vector<std::string>{"/entry", "--flag", "serve", "--port", "80"}));
  EXPECT_EQ(root.env, (std::vector<std::string>{"PATH=/opt/bin:/bin", "LANG=C.UTF-8", "HOME=/home/app"}));
  EXPECT_EQ(root.cwd, "/srv");
  EXPECT_FALSE(root.cwd_required);
  EXPECT_EQ(root.uid, 1000U);
  EXPECT_EQ(root.gid, 1000U);
  EXPECT_EQ(root.groups, (std::vector<std::uint32_t>{1000, 27}));
  EXPECT_EQ(root.stop_signal, SIGQUIT);
}

TEST(ContainerProcess, ArgumentsReplaceCmdAndEntrypointFlagReplacesBoth) {
  Spec spec = image_spec();
  spec.argv = {"status"};
  EXPECT_EQ(apply(spec).argv, (std::vector<std::string>{"/entry", "--flag", "status"}));
  spec.entrypoint = "/bin/sh";
  spec.argv = {"-c", "echo hi"};
  EXPECT_EQ(apply(spec).argv, (std::vector<std::string>{"/bin/sh", "-c", "echo hi"}));
  spec.entrypoint = "";
  spec.argv = {"/bin/true"};
  EXPECT_EQ(apply(spec).argv, (std::vector<std::string>{"/bin/true"}));
  spec.argv.clear();
  spec.entrypoint = "/bin/date";
  EXPECT_EQ(apply(spec).argv, (std::vector<std::string>{"/bin/date"}))
      << "--entrypoint drops the image's Cmd";
}

TEST(ContainerProcess, NoCommandAnywhereIsAnError) {
  image::ImageConfig c = config();
  c.entrypoint.clear();
  c.cmd.clear();
  ContainerRoot out;
  const auto ok = container::apply_image_config(image_spec(), c, app_user(), std::nullopt, out);
  ASSERT_FALSE(ok);
  EXPECT_NE(ok.error().message().find("neither Entrypoint nor Cmd"), std::string::npos)
      << ok.error().message();
}

TEST(ContainerProcess, EnvironmentDefaultsAndOverrides) {
  image::ImageConfig c = config();
  c.env = {"HOME=/root-of-image", "A=1"};
  Spec spec = image_spec();
  spec.env = {{"A", "2"}, {"B", "3"}};
  EXPECT_EQ(apply(spec, c, "screen").env,
            (std::vector<std::string>{"HOME=/root-of-image", "A=2",
                                      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                      "TERM=screen", "B=3"}));
  spec.clear_env = true;
  EXPECT_EQ(apply(spec, c).env, (std::vector<std::string>{"A=2", "B=3"}));
}

TEST(ContainerProcess, WorkdirFlagWinsAndIsRequired) {
  Spec spec = image_spec();
  spec.workdir = "/tmp";
  const ContainerRoot root = apply(spec);
  EXPECT_EQ(root.cwd, "/tmp");
  EXPECT_TRUE(root.cwd_required);
  image::ImageConfig c = config();
  c.working_dir = "";
  EXPECT_EQ(apply(image_spec(), c).cwd, "/");
  c.working_dir = "relative";
  ContainerRoot out;
  EXPECT_FALSE(container::apply_image_config(image_spec(), c, app_user(), std::nullopt, out));
}

TEST(ContainerProcess, BadStopSignalNamesIt) {
  image::ImageConfig c = config();
  c.stop_signal = "SIGNOPE";
  ContainerRoot out;
  const auto ok = container::apply_image_config(image_spec(), c, app_user(), std::nullopt, out);
  ASSERT_FALSE(ok);
  EXPECT_NE(ok.error().message().find("SIGNOPE"), std::string::npos) << ok.error().message();
}

TEST(ContainerProcess, EffectiveUser) {
  Spec spec = image_spec();
  EXPECT_EQ(container::effective_user(spec, config()), "app");
  spec.uid = 5;
  EXPECT_EQ(container::effective_user(spec, config()), "5:0");
  spec.uid = 0;
  spec.user = "nobody";
  EXPECT_EQ(container::effective_user(spec, config()), "nobody");
}

HostFacts host(std::uint32_t uid) {
  HostFacts h;
  h.uid = uid;
  h.gid = uid;
  h.cwd = "/home/me";
  h.top_level = {{"/usr", std::nullopt}, {"/bin", "usr/bin"}};
  return h;
}

ContainerRoot overlay_root() {
  ContainerRoot root = apply(image_spec());
  root.overlay = OverlayRoot{
      .lowers = {"/s/layers/top", "/s/layers/bottom"}, .upper = "/s/c/1/upper", .work = "/s/c/1/work"};
  return root;
}

TEST(ContainerPlan, RootCallerMapsTheFirst65536IdsOntoThemselves) {
  const ContainerRoot root = overlay_root();
  const Plan plan = build_plan(image_spec(), host(0), &root);
  EXPECT_EQ(plan.isolation, Isolation::container);
  EXPECT_EQ(plan.uid_map.inside, 0U);
  EXPECT_EQ(plan.uid_map.outside, 0U);
  EXPECT_EQ(plan.uid_map.count, 65536U);
  EXPECT_EQ(plan.gid_map.count, 65536U);
  EXPECT_FALSE(plan.deny_setgroups);
  EXPECT_EQ(plan.process.uid, 1000U);
  EXPECT_EQ(plan.process.groups, (std::vector<std::uint32_t>{1000, 27}));
}

TEST(ContainerPlan, UnprivilegedCallerMapsItselfToTheImageUser) {
  const ContainerRoot root = overlay_root();
  const Plan plan = build_plan(image_spec(), host(1000), &root);
  EXPECT_EQ(plan.uid_map.inside, 1000U);
  EXPECT_EQ(plan.uid_map.outside, 1000U);
  EXPECT_EQ(plan.uid_map.count, 1U);
  EXPECT_TRUE(plan.deny_setgroups);
  EXPECT_TRUE(plan.process.groups.empty()) << "setgroups is denied without privilege";
}

TEST(ContainerPlan, TheImageIsTheRoot) {
  const ContainerRoot root = overlay_root();
  const Plan plan = build_plan(image_spec(), host(0), &root);
  ASSERT_TRUE(plan.overlay);
  EXPECT_EQ(plan.overlay->lowers.front(), "/s/layers/top");
  EXPECT_FALSE(plan.rootfs);
  EXPECT_FALSE(plan.root_read_only);
  EXPECT_EQ(plan.process.argv.front(), "/entry");
  const auto has = [&plan](const std::string& destination) {
    return std::ranges::find(plan.mounts, destination, &MountStep::destination) != plan.mounts.end();
  };
  EXPECT_FALSE(has("/usr")) << "no host system directories in a container";
  EXPECT_FALSE(has("/tmp")) << "the image's /tmp lives in its writable layer";
  EXPECT_TRUE(has("/proc"));
  EXPECT_TRUE(has("/dev/null"));
  ASSERT_FALSE(plan.landlock_rules.empty());
  EXPECT_EQ(plan.landlock_rules.front().path, "/");
  EXPECT_TRUE(plan.landlock_rules.front().writable);
  EXPECT_EQ(plan.resources.stop_signal, SIGQUIT);
  EXPECT_NE(to_text(plan).find("overlay of 2 layer(s)"), std::string::npos) << to_text(plan);
}

TEST(ContainerPlan, ReadOnlyAndStopSignalFlag) {
  ContainerRoot root = overlay_root();
  root.read_only = true;
  Spec spec = image_spec();
  spec.resources.stop_signal = SIGINT;
  const Plan plan = build_plan(spec, host(0), &root);
  EXPECT_TRUE(plan.root_read_only);
  EXPECT_FALSE(plan.landlock_rules.front().writable);
  EXPECT_EQ(plan.resources.stop_signal, SIGINT) << "--stop-signal wins over the image's";
}

TEST(ContainerSpec, FlagsThatNeedAnImage) {
  Spec spec;
  spec.argv = {"true"};
  for (const auto& set : std::vector<std::function<void(Spec&)>>{
           [](Spec& s) { s.read_only = true; }, [](Spec& s) { s.keep = true; },
           [](Spec& s) { s.entrypoint = "x"; }, [](Spec& s) { s.user = "x"; },
           [](Spec& s) { s.image_mount = ImageMount::copy; },
           [](Spec& s) { s.writable_layer = WritableLayer::disk; },
           [](Spec& s) {
             s.isolation = Isolation::container;
           }}) {
    Spec bad = spec;
    set(bad);
    const auto ok = validate(bad);
    ASSERT_FALSE(ok);
    EXPECT_NE(ok.error().message().find("--image"), std::string::npos) << ok.error().message();
  }
  Spec image = image_spec();
  EXPECT_TRUE(validate(image)) << "the image may give the command";
  image.rootfs = "/";
  EXPECT_FALSE(validate(image));
  image = image_spec();
  image.keep = true;
  image.read_only = true;
  EXPECT_FALSE(validate(image));
  image = image_spec();
  image.keep = true;
  image.writable_layer = WritableLayer::memory;
  EXPECT_FALSE(validate(image)) << "--keep needs the writable layer on disk";
  image = image_spec();
  image.read_only = true;
  image.writable_layer = WritableLayer::disk;
  EXPECT_FALSE(validate(image));
  image = image_spec();
  image.user = "app";
  image.uid = 3;
  EXPECT_FALSE(validate(image));
  image = image_spec();
  image.isolation = Isolation::host;
  EXPECT_FALSE(validate(image));
}

}  // namespace
}  // namespace strata
