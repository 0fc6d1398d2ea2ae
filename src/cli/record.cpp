// strata record [run flags] [--out FILE] [--json] -- CMD: where the
// workload works, trace it (as strata trace does), probe this machine, and
// write strata.lock/v1 (docs/auto.md): what `strata run --isolation auto`
// needs to rebuild only the layers another machine lacks.
// Exit status: 0 when the lock was written (a workload that failed is a
// warning: the lock records the run that happened); 125 otherwise.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sys/utsname.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <utility>

#include "auto/files.hpp"
#include "auto/lock.hpp"
#include "base/files.hpp"
#include "base/log.hpp"
#include "base/version.hpp"
#include "cli/auto_run.hpp"
#include "cli/manifest_operand.hpp"
#include "cli/run_flags.hpp"
#include "cli/trace_session.hpp"
#include "cli/verbs.hpp"
#include "image/builtin.hpp"
#include "image/store.hpp"
#include "vm/kernel.hpp"

namespace strata::cli {

namespace {

using autolayers::Lock;

struct RecordFlags {
  std::string out = kDefaultLock;
  bool json = false;
};

Result<autolayers::LockImage> record_image(const std::string& reference) {
  auto dir = image::Store::default_path();
  auto store = dir ? image::Store::open(*dir) : std::unexpected(dir.error());
  auto digest = store ? image::resolve_image(*store, reference) : std::unexpected(store.error());
  if (!digest) {
    return std::unexpected(digest.error());
  }
  return autolayers::LockImage{.reference = reference, .digest = digest->str()};
}

// The kernel the workload ran on: the guest's under --isolation vm, else this one.
Result<autolayers::LockKernel> record_kernel(const Spec& spec) {
  if (spec.isolation == Isolation::vm) {
    auto kernel = vm::find_kernel(spec.vm.kernel);
    if (!kernel) {
      return std::unexpected(kernel.error());
    }
    return autolayers::record_kernel(kernel->release, kernel->path);
  }
  struct utsname names = {};
  if (::uname(&names) != 0) {
    return fail_errno("uname");
  }
  return autolayers::record_kernel(names.release, std::nullopt);
}

Result<std::optional<autolayers::LockLanguage>> record_language(const LangSpec& lang,
                                                                const std::string& lock_dir) {
  if (!lang.customized()) {
    return std::nullopt;
  }
  autolayers::LockLanguage out{.python_requirements = std::nullopt,
                               .find_links = {},
                               .node_lockfile = std::nullopt,
                               .python = lang.python};
  for (const auto& [given, into] : {std::pair{&lang.python_requirements, &out.python_requirements},
                                    std::pair{&lang.node_lockfile, &out.node_lockfile}}) {
    if (*given) {
      auto pinned = autolayers::pin_file(**given, lock_dir);
      if (!pinned) {
        return std::unexpected(pinned.error());
      }
      *into = std::move(*pinned);
    }
  }
  for (const std::string& dir : lang.find_links) {
    out.find_links.push_back(autolayers::path_for_lock(dir, lock_dir));
  }
  return out;
}

// Everything but the trace: the run's context, the kernel, the language inputs, this machine.
Result<> record_context(const Spec& spec, const std::string& lock_dir, Lock& lock) {
  lock.isolation = layers_text(spec);
  if (spec.rootfs) {
    lock.rootfs = std::filesystem::absolute(*spec.rootfs).lexically_normal().string();
  }
  if (spec.image) {
    auto image = record_image(*spec.image);
    if (!image) {
      return std::unexpected(image.error());
    }
    lock.image = std::move(*image);
  }
  auto kernel = record_kernel(spec);
  auto lang = kernel ? record_language(spec.lang, lock_dir) : std::unexpected(kernel.error());
  if (!lang) {
    return std::unexpected(lang.error());
  }
  lock.kernel = std::move(*kernel);
  lock.language = std::move(*lang);
  auto manifest = load_manifest_operand("live");
  if (!manifest) {
    return std::unexpected(manifest.error());
  }
  lock.manifest_document = probe::to_json(*manifest);
  return {};
}

// "glibc >= 2.36, x86-64-v2, 4 libraries, 2 Python packages"
std::string needs_summary(const nlohmann::json& needs) {
  std::vector<std::string> parts;
  if (needs.contains("glibc") && needs["glibc"].is_string()) {
    parts.push_back("glibc >= " + needs["glibc"].get<std::string>());
  }
  if (needs.contains("isa_level") && needs["isa_level"].is_string()) {
    parts.push_back(needs["isa_level"].get<std::string>());
  }
  for (const auto& [key, what] :
       {std::pair{"libraries", "libraries"}, std::pair{"kernel_features", "kernel features"},
        std::pair{"python_packages", "Python packages"}, std::pair{"node_packages", "Node packages"}}) {
    if (needs.contains(key) && !needs[key].empty() && !needs[key].is_null()) {
      parts.push_back(fmt::format("{} {}", needs[key].size(), what));
    }
  }
  return parts.empty() ? "nothing the rules check" : fmt::format("{}", fmt::join(parts, ", "));
}

void say_recorded(const RecordFlags& flags, const Lock& lock) {
  const std::string image =
      lock.image ? fmt::format(", image {} ({})", lock.image->reference, lock.image->digest) : "";
  const std::string kernel =
      lock.kernel.path ? fmt::format(" ({})", *lock.kernel.path) : " (no bzImage found)";
  log::line(fmt::format("record: wrote {}: '{}' ran in {}{} on Linux {}{}", flags.out,
                        fmt::join(lock.command, " "), lock.isolation, image, lock.kernel.release, kernel));
  log::line(fmt::format("record: it needs {}{}",
                        needs_summary(lock.needs_document.value("needs", nlohmann::json())),
                        lock.language ? "; the language inputs are pinned" : ""));
}

int run_record(Spec& spec, const RecordFlags& flags, std::vector<std::string> command) {
  if (spec.isolation_auto) {
    log::error("record", fail("check --isolation", "auto",
                              "record runs the workload where it works: name its layers (default sandbox)")
                             .error());
    return kExitFailure;
  }
  spec.argv = std::move(command);
  // --requirements/--find-links/--npm-lock name what `auto` rebuilds a venv
  // from; the traced run itself uses the environment it works in.
  LangSpec lang = spec.venv ? LangSpec{} : std::exchange(spec.lang, {});
  auto traced = trace_workload(spec, trace::TraceMode::baseline, "record");
  if (!spec.venv) {
    spec.lang = std::move(lang);
  }
  if (!traced) {
    log::error("record", traced.error());
    return kExitFailure;
  }
  if (traced->traced.exit_code != 0) {
    log::warn("the command exited with {}: the lock records the needs of the run that happened",
              traced->traced.exit_code);
  }
  Lock lock;
  lock.command = traced->context.command;
  lock.exit_code = traced->traced.exit_code;
  lock.needs_document = traced->document;
  const std::string lock_dir = std::filesystem::absolute(flags.out).parent_path().string();
  if (auto ok = record_context(spec, lock_dir, lock); !ok) {
    log::error("record", ok.error());
    return kExitFailure;
  }
  const std::string text = autolayers::to_json(lock, kVersion).dump(2) + "\n";
  if (auto ok = write_file_atomically(flags.out, text, "write --out"); !ok) {
    log::error("record", ok.error());
    return kExitFailure;
  }
  if (flags.json &&
      (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0)) {
    return kExitFailure;
  }
  say_recorded(flags, lock);
  return 0;
}

}  // namespace

Runner attach_record(CLI::App& command) {
  auto spec = std::make_shared<Spec>();
  auto flags = std::make_shared<RecordFlags>();
  command.add_option("--out", flags->out, "Write the lock to FILE (default ./strata.lock)")
      ->type_name("FILE");
  command.add_flag("--json", flags->json, "Also print the lock (strata.lock/v1, docs/auto.md) on stdout");
  add_traced_run_flags(command, *spec);
  add_lang_flags(command, *spec);
  command.footer(
      "Runs the command as strata trace does (its own output comes first), probes this machine, and writes "
      "the lock: the command, what it needed, this machine's manifest, the image (and its digest), root, "
      "kernel and language inputs it ran with. `strata run --isolation auto` reads it.\n"
      "Exit status: 0 when the lock was written (a command that failed is a warning); 125 otherwise.");
  command.prefix_command();
  return [spec, flags, &command](std::vector<std::string> trailing) {
    auto words = command_words(command, std::move(trailing), "record");
    return words ? run_record(*spec, *flags, std::move(*words)) : static_cast<int>(kExitFailure);
  };
}

}  // namespace strata::cli
