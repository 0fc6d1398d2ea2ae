// --isolation auto's choice on hand-made check reports: each unmet layer
// mapped onto its stack, the refusals with their reasons, and the one line.
#include <gtest/gtest.h>

#include "auto/decide.hpp"

namespace strata::autolayers {
namespace {

using check::Layer;
using check::Report;
using check::Unmet;

Unmet glibc() {
  return Unmet{.layer = Layer::system,
               .need = "glibc",
               .wanted = ">= 2.38",
               .target_has = "2.36",
               .reason = "...",
               .provide = "glibc >= 2.38",
               .isolation = ""};
}

Unmet kernel() {
  return Unmet{.layer = Layer::kernel,
               .need = "min_kernel",
               .wanted = ">= 6.8",
               .target_has = "6.1.0-18-amd64",
               .reason = "...",
               .provide = "Linux >= 6.8",
               .isolation = ""};
}

Unmet package() {
  return Unmet{.layer = Layer::language,
               .need = "python_packages six",
               .wanted = "== 1.16.0",
               .target_has = "absent",
               .reason = "...",
               .provide = "six==1.16.0",
               .isolation = ""};
}

Unmet avx512() {
  return Unmet{.layer = Layer::hardware,
               .need = "isa_level",
               .wanted = "x86-64-v4",
               .target_has = "x86-64-v3",
               .reason = "...",
               .provide = "an x86-64-v4 CPU (with avx512f)",
               .isolation = ""};
}

Report with(std::vector<Unmet> unmet) {
  Report r;
  r.unmet = std::move(unmet);
  return r;
}

Lock lock(bool image, bool language) {
  Lock l;
  l.command = {"python3", "app.py"};
  l.kernel = LockKernel{.release = "6.8.0-1-amd64", .path = "/boot/vmlinuz-6.8.0-1-amd64", .sha256 = "ab"};
  if (image) {
    l.image = LockImage{.reference = "builtin:busybox", .digest = "sha256:00"};
  }
  if (language) {
    l.language = LockLanguage{.python_requirements = PinnedFile{.path = "requirements.txt", .sha256 = "cd"},
                              .find_links = {"wheels"},
                              .node_lockfile = std::nullopt,
                              .python = std::nullopt};
  }
  return l;
}

TEST(AutoDecide, NothingUnmetIsTheSandbox) {
  const Decision d = decide(lock(true, true), with({}), true);
  ASSERT_FALSE(d.refusal);
  EXPECT_EQ(stack_text(d.layers), "sandbox");
  EXPECT_FALSE(d.use_image || d.use_kernel || d.use_language);
  EXPECT_EQ(decision_line(d), "auto: sandbox (every need the lock records is met here)");
}

TEST(AutoDecide, NotCheckedNeedsAreCountedInTheReason) {
  Report r;
  r.not_checked.push_back({.layer = Layer::kernel, .need = "min_kernel", .reason = "no kernel layer"});
  const Decision d = decide(lock(false, false), r, false);
  EXPECT_EQ(d.why,
            "every need the lock records is met there; 1 not checked: the target manifest has no facts "
            "for them");
}

TEST(AutoDecide, AWasmModuleStaysOnItsEngine) {
  Lock l = lock(false, false);
  l.needs.wasm = check::WasmNeed{};
  EXPECT_EQ(stack_text(decide(l, with({}), true).layers), "wasm");
}

TEST(AutoDecide, ALanguageLayerIsAVenvFromTheLockedInputs) {
  const Decision d = decide(lock(false, true), with({package()}), true);
  ASSERT_FALSE(d.refusal);
  EXPECT_EQ(stack_text(d.layers), "sandbox+venv");
  EXPECT_TRUE(d.use_language);
  EXPECT_EQ(decision_line(d), "auto: sandbox+venv (six==1.16.0 needed, this machine has none)");
}

TEST(AutoDecide, ALanguageLayerWithoutInputsIsTheRecordedImageOrARefusal) {
  const Decision image = decide(lock(true, false), with({package()}), true);
  EXPECT_EQ(stack_text(image.layers), "container");
  EXPECT_TRUE(image.use_image);
  const Decision none = decide(lock(false, false), with({package()}), true);
  ASSERT_TRUE(none.refusal);
  EXPECT_NE(none.refusal->find("the language layer differs (six==1.16.0 needed, this machine has none)"),
            std::string::npos)
      << *none.refusal;
  EXPECT_NE(none.refusal->find("the lock records no requirements"), std::string::npos) << *none.refusal;
}

TEST(AutoDecide, ASystemLayerIsTheRecordedImage) {
  const Decision d = decide(lock(true, true), with({glibc()}), true);
  ASSERT_FALSE(d.refusal);
  EXPECT_EQ(decision_line(d), "auto: container (glibc >= 2.38 needed, this machine has 2.36)");
  EXPECT_TRUE(d.use_image);
  const Decision both = decide(lock(true, true), with({glibc(), package()}), false);
  EXPECT_EQ(decision_line(both),
            "auto: container+venv (glibc >= 2.38 needed, the target has 2.36; six==1.16.0 needed, the target "
            "has none)");
}

TEST(AutoDecide, ASystemLayerWithoutAnImageIsRefused) {
  const Decision d = decide(lock(false, true), with({glibc()}), true);
  ASSERT_TRUE(d.refusal);
  EXPECT_EQ(*d.refusal,
            "the system layer differs (glibc >= 2.38 needed, this machine has 2.36) and the lock records no "
            "image: record with --image REF");
  // A VM boots this machine's system directories: no help either.
  EXPECT_TRUE(decide(lock(false, true), with({kernel(), glibc()}), true).refusal);
}

TEST(AutoDecide, AKernelLayerIsAVmWithTheRecordedKernel) {
  const Decision d = decide(lock(false, false), with({kernel()}), true);
  ASSERT_FALSE(d.refusal);
  EXPECT_EQ(decision_line(d), "auto: vm (Linux >= 6.8 needed, this machine has 6.1.0-18-amd64)");
  EXPECT_TRUE(d.use_kernel);
  EXPECT_FALSE(d.use_image);
  const Decision image = decide(lock(true, false), with({kernel()}), true);
  EXPECT_EQ(stack_text(image.layers), "vm+container");
  EXPECT_TRUE(image.use_image);
  const Decision all = decide(lock(true, true), with({kernel(), glibc(), package()}), true);
  EXPECT_EQ(stack_text(all.layers), "vm+container+venv");
  EXPECT_EQ(all.why,
            "Linux >= 6.8 needed, this machine has 6.1.0-18-amd64; glibc >= 2.38 needed, this machine has "
            "2.36; six==1.16.0 needed, this machine has none");
}

TEST(AutoDecide, AKernelFeaturePhraseNamesTheRelease) {
  const Unmet io_uring{.layer = Layer::kernel,
                       .need = "kernel_features io_uring",
                       .wanted = "Linux >= 5.1",
                       .target_has = "4.19.0",
                       .reason = "...",
                       .provide = "io_uring enabled",
                       .isolation = ""};
  EXPECT_EQ(decide(lock(false, false), with({io_uring}), true).why,
            "io_uring enabled (Linux >= 5.1) needed, this machine has 4.19.0");
}

TEST(AutoDecide, HardwareIsRefusedWhateverElseIsRecorded) {
  const Decision d = decide(lock(true, true), with({avx512(), kernel(), glibc()}), true);
  ASSERT_TRUE(d.refusal);
  EXPECT_EQ(*d.refusal,
            "needs AVX-512 (x86-64-v4); this CPU has x86-64-v3: no layer of software provides it");
  const Unmet arm{.layer = Layer::hardware,
                  .need = "machines aarch64",
                  .wanted = "aarch64",
                  .target_has = "x86_64",
                  .reason = "...",
                  .provide = "an aarch64 CPU",
                  .isolation = ""};
  EXPECT_EQ(*decide(lock(false, false), with({arm}), false).refusal,
            "needs an aarch64 CPU; the target's CPU is x86_64: no layer of software provides it");
}

TEST(AutoDecide, AMissingWebAssemblyEngineIsRefused) {
  const Unmet engine{.layer = Layer::language,
                     .need = "wasm wasi preview1",
                     .wanted = "preview1",
                     .target_has = "absent",
                     .reason = "...",
                     .provide = "a WASI preview1 engine",
                     .isolation = "wasm"};
  const Decision d = decide(lock(true, true), with({engine}), true);
  ASSERT_TRUE(d.refusal);
  EXPECT_NE(d.refusal->find("a WASI preview1 engine needed, this machine has none: install one"),
            std::string::npos)
      << *d.refusal;
}

}  // namespace
}  // namespace strata::autolayers
