// What `strata run` and `strata trace` share: the flags that fill a Spec and
// the run path (Spec -> Plan -> Backend -> Outcome -> exit code).
#include "cli/run_flags.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <variant>

#include "base/log.hpp"
#include "base/parse.hpp"
#include "cli/auto_run.hpp"
#include "container/prepare.hpp"
#include "isolate/backend.hpp"
#include "lang/prepare.hpp"
#include "vm/vm_backend.hpp"
#include "wasm/engine.hpp"
#include "wasm/front.hpp"
#include "wasm/module.hpp"

namespace strata::cli {

namespace {

// Turns a parser's Result into the value, or into CLI11's error so the flag's
// problem is reported the same way as CLI11's own.
template <class T>
T value_or_throw(Result<T> result, const std::string& flag) {
  if (!result) {
    throw CLI::ValidationError(flag, result.error().message());
  }
  return *std::move(result);
}

// A repeatable flag whose every occurrence is handled as it is parsed, so
// --bind, --ro-bind and --tmpfs keep their command-line order.
template <class F>
CLI::Option* each(CLI::App& command, const std::string& name, const F& handle, const std::string& help) {
  return command
      .add_option_function<std::string>(
          name, [handle](const std::string& text) { handle(text); }, help)
      ->trigger_on_parse()
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
}

}  // namespace

void add_filesystem_flags(CLI::App& command, Spec& spec) {
  command.add_option("--rootfs", spec.rootfs, "Use DIR as the root instead of the host's system dirs")
      ->type_name("DIR");
  command.add_flag("--rootfs-writable", spec.rootfs_writable,
                   "With --rootfs: the root is writable and writes go to DIR (default read-only)");
  each(
      command, "--bind",
      [&spec](const std::string& t) {
        spec.mounts.push_back(value_or_throw(parse_bind(t, MountKind::bind), "--bind"));
      },
      "Bind a host path read-write at DST")
      ->type_name("SRC[:DST]");
  each(
      command, "--ro-bind",
      [&spec](const std::string& t) {
        spec.mounts.push_back(value_or_throw(parse_bind(t, MountKind::ro_bind), "--ro-bind"));
      },
      "Bind a host path read-only at DST")
      ->type_name("SRC[:DST]");
  each(
      command, "--tmpfs",
      [&spec](const std::string& t) { spec.mounts.push_back(value_or_throw(parse_tmpfs(t), "--tmpfs")); },
      "Mount a private tmpfs at DST")
      ->type_name("DST[:SIZE]");
  command.add_option("--workdir", spec.workdir, "Working directory inside (default: the caller's, else /)")
      ->type_name("DIR");
}

void add_image_flags(CLI::App& command, Spec& spec) {
  command
      .add_option("--image", spec.image,
                  "Run in a container whose root is this image (a tag, a digest or builtin:busybox)")
      ->type_name("REF");
  command.add_flag("--read-only", spec.read_only, "With --image: no writable layer; the root is read-only");
  command.add_flag("--keep", spec.keep, "With --image: keep the run's writable layer (on disk) afterwards");
  command
      .add_option_function<std::string>(
          "--writable-layer",
          [&spec](const std::string& t) {
            spec.writable_layer = value_or_throw(parse_writable_layer(t), "--writable-layer");
          },
          "With --image: memory (a tmpfs, the default) or disk (a directory in the image store)")
      ->type_name("WHERE");
  command
      .add_option_function<std::string>(
          "--image-mount",
          [&spec](const std::string& t) {
            spec.image_mount = value_or_throw(parse_image_mount(t), "--image-mount");
          },
          "With --image: overlay, copy, or auto (overlay where the kernel has it)")
      ->type_name("MODE");
  command
      .add_option("--entrypoint", spec.entrypoint,
                  "With --image: replace the image's Entrypoint (\"\" clears it)")
      ->type_name("CMD");
  command
      .add_option("--user", spec.user, "With --image: the user inside, resolved in the image's /etc/passwd")
      ->type_name("NAME|UID[:GROUP|GID]");
}

void add_process_flags(CLI::App& command, Spec& spec) {
  each(
      command, "--env",
      [&spec](const std::string& t) { spec.env.push_back(value_or_throw(parse_env(t), "--env")); },
      "Set an environment variable inside")
      ->type_name("NAME=VALUE");
  command.add_flag("--clear-env", spec.clear_env,
                   "Start from an empty environment (default keeps PATH, TERM, LANG and sets HOME)");
  // Decimal only, and never (uid_t)-1, which setresuid reads as "unchanged".
  const auto id = [](const std::string& flag, std::uint32_t& out) {
    return [flag, &out](const std::string& t) {
      out = static_cast<std::uint32_t>(value_or_throw(parse_uint(t, 0, UINT32_MAX - 1), flag));
    };
  };
  command
      .add_option_function<std::string>("--uid", id("--uid", spec.uid),
                                        "User id inside (mapped to the caller)")
      ->type_name("UID");
  command
      .add_option_function<std::string>("--gid", id("--gid", spec.gid),
                                        "Group id inside (mapped to the caller's group)")
      ->type_name("GID");
  each(
      command, "--pass-fd",
      [&spec](const std::string& t) {
        spec.pass_fds.push_back(static_cast<int>(value_or_throw(parse_uint(t, 0, 1U << 30), "--pass-fd")));
      },
      "Keep this open fd in the workload (all others >= 3 are closed)")
      ->type_name("FD");
  command.add_flag_function(
      "--no-pty", [&spec](std::int64_t) { spec.pty = PtyMode::never; },
      "Do not allocate a pseudo-terminal even when stdin is a terminal");
}

void add_namespace_flags(CLI::App& command, Spec& spec) {
  command
      .add_option_function<std::string>(
          "--isolation",
          [&spec](const std::string& t) {
            apply_layers(spec, value_or_throw(parse_layers(t), "--isolation"));
          },
          "Isolation layer: sandbox (default), container (the default with --image), vm, wasm (the default "
          "for a .wasm module), host, venv; layers joined by '+', outermost first (vm+container+venv); or "
          "auto (from strata.lock)")
      ->type_name("LAYER");
  command.add_option("--hostname", spec.hostname, "Hostname inside (default: strata)")->type_name("NAME");
  command
      .add_option_function<std::string>(
          "--net", [&spec](const std::string& t) { spec.net = value_or_throw(parse_net(t), "--net"); },
          "none: a new network namespace with only loopback (default); host: the host's network; "
          "user: QEMU's user-mode network (--isolation vm)")
      ->type_name("MODE");
  each(
      command, "--share",
      [&spec](const std::string& t) { spec.shared.push_back(value_or_throw(parse_namespace(t), "--share")); },
      "Keep one of the host's namespaces: pid, ipc, uts, net or cgroup")
      ->type_name("NS");
}

void add_auto_flags(CLI::App& command, Spec& spec) {
  command
      .add_option("--lock", spec.lock_file,
                  "With --isolation auto: the lock strata record wrote (default ./strata.lock)")
      ->type_name("FILE");
  command
      .add_option("--target", spec.auto_target,
                  "With --isolation auto --dry-run: pick the layers for this manifest (strata probe --json) "
                  "instead of this machine")
      ->type_name("MANIFEST");
}

void add_vm_flags(CLI::App& command, Spec& spec) {
  VmSpec& vm = spec.vm;
  command
      .add_option("--kernel", vm.kernel,
                  "With --isolation vm: the guest kernel (default: the newest /boot/vmlinuz-*)")
      ->type_name("PATH");
  command
      .add_option(
          "--initrd", vm.initrd,
          "With --isolation vm: boot this initramfs instead of strata's (its init must be strata vm-init)")
      ->type_name("PATH");
  command
      .add_option_function<std::string>(
          "--vm-memory",
          [&vm](const std::string& t) { vm.memory_bytes = value_or_throw(parse_size(t), "--vm-memory"); },
          "With --isolation vm: the guest's RAM (default 512m)")
      ->type_name("SIZE");
  command
      .add_option_function<std::string>(
          "--vm-cpus",
          [&vm](const std::string& t) {
            vm.cpus = static_cast<unsigned>(value_or_throw(parse_uint(t, 1, 64), "--vm-cpus"));
          },
          "With --isolation vm: the guest's vCPUs (default 1)")
      ->type_name("N");
  command.add_option("--vm-engine", vm.engine, "With --isolation vm: the VMM (qemu)")->type_name("NAME");
  command
      .add_option("--keep-console", vm.keep_console, "With --isolation vm: save the guest's console to FILE")
      ->type_name("FILE");
}

void add_wasm_flags(CLI::App& command, Spec& spec) {
  WasmSpec& wasm = spec.wasm;
  command
      .add_option_function<std::string>(
          "--wasm-engine",
          [&wasm](const std::string& t) {
            if (!wasm::parse_engine_name(t)) {
              throw CLI::ValidationError(
                  "--wasm-engine",
                  "expected one of wasmtime, wasmer, wasmedge, iwasm, wasm3, node, wasm-interp");
            }
            wasm.engine = t;
          },
          "With --isolation wasm: the engine (default: the first of wasmtime, wasmer, wasmedge, iwasm, "
          "wasm3, node, wasm-interp that runs WASI)")
      ->type_name("NAME");
  command
      .add_option_function<std::string>(
          "--wasm-memory",
          [&wasm](const std::string& t) {
            wasm.memory_bytes = value_or_throw(parse_size(t), "--wasm-memory");
          },
          "With --isolation wasm: cap the module's linear memory (whole 64 KiB pages), e.g. 64m")
      ->type_name("SIZE");
  command.add_flag("--no-sandbox", wasm.no_sandbox,
                   "With --isolation wasm: run the engine on the host, not inside strata's sandbox");
  command.add_flag(
      "--allow-weaker", wasm.allow_weaker,
      "With --isolation wasm: run even where the engine cannot enforce part of the policy (warns)");
}

void add_lang_flags(CLI::App& command, Spec& spec) {
  LangSpec& lang = spec.lang;
  command
      .add_option("--requirements", lang.python_requirements,
                  "With a +venv layer: pip install -r FILE into a cached venv (default ./requirements.txt)")
      ->type_name("FILE");
  each(
      command, "--find-links", [&lang](const std::string& t) { lang.find_links.push_back(t); },
      "With a +venv layer: a directory of wheels or sdists for pip (always --no-index); repeatable")
      ->type_name("DIR");
  command
      .add_option("--npm-lock", lang.node_lockfile,
                  "With a +venv layer: npm ci from this package-lock.json (package.json beside it) into a "
                  "cached node_modules (default ./package-lock.json)")
      ->type_name("FILE");
  command
      .add_option(
          "--python", lang.python,
          "With a +venv layer: the interpreter inside the layer that makes the venv (default python3)")
      ->type_name("PATH");
}

void add_hardening_flags(CLI::App& command, Spec& spec, bool seccomp) {
  const auto caps = [](const std::string& flag, std::vector<int>& out) {
    return [flag, &out](const std::string& t) {
      for (int cap : value_or_throw(parse_capabilities(t), flag)) {
        out.push_back(cap);
      }
    };
  };
  each(command, "--cap-add", caps("--cap-add", spec.cap_add),
       "Keep a capability (name or ALL); none by default")
      ->type_name("CAP");
  each(command, "--cap-drop", caps("--cap-drop", spec.cap_drop), "Drop a capability kept by --cap-add ALL")
      ->type_name("CAP");
  each(
      command, "--rlimit",
      [&spec](const std::string& t) { spec.rlimits.push_back(value_or_throw(parse_rlimit(t), "--rlimit")); },
      "Set a resource limit, e.g. nofile=1024 or fsize=10m:20m")
      ->type_name("NAME=SOFT[:HARD]");
  if (seccomp) {
    command
        .add_option_function<std::string>(
            "--seccomp",
            [&spec](const std::string& t) { spec.seccomp = value_or_throw(parse_seccomp(t), "--seccomp"); },
            "An OCI/Docker seccomp profile (JSON), 'default' or 'unconfined'")
        ->type_name("FILE");
  }
  command
      .add_option_function<std::string>(
          "--landlock",
          [&spec](const std::string& t) { spec.landlock = value_or_throw(parse_landlock(t), "--landlock"); },
          "Landlock filesystem policy: best-effort (default), require or off")
      ->type_name("MODE");
}

void add_resource_flags(CLI::App& command, Spec& spec) {
  Resources& r = spec.resources;
  command
      .add_option_function<std::string>(
          "--memory",
          [&r](const std::string& t) { r.memory_bytes = value_or_throw(parse_size(t), "--memory"); },
          "Memory limit (cgroup), e.g. 512m")
      ->type_name("SIZE");
  command
      .add_option_function<std::string>(
          "--pids",
          [&r](const std::string& t) { r.pids = value_or_throw(parse_uint(t, 1, 4194304), "--pids"); },
          "Limit on the number of processes and threads (cgroup)")
      ->type_name("N");
  command
      .add_option_function<std::string>(
          "--cpus", [&r](const std::string& t) { r.cpus = value_or_throw(parse_cpus(t), "--cpus"); },
          "CPU bandwidth limit in CPUs, e.g. 0.5 (cgroup)")
      ->type_name("FRACTION");
  command
      .add_option_function<std::string>(
          "--timeout",
          [&r](const std::string& t) { r.timeout = value_or_throw(parse_duration(t), "--timeout"); },
          "Kill the whole sandbox after this long, e.g. 30s")
      ->type_name("DURATION");
  command
      .add_option_function<std::string>(
          "--kill-after",
          [&r](const std::string& t) { r.kill_after = value_or_throw(parse_duration(t), "--kill-after"); },
          "Grace period between the stop signal and SIGKILL on timeout (default 2s)")
      ->type_name("DURATION");
  command
      .add_option_function<std::string>(
          "--stop-signal",
          [&r](const std::string& t) { r.stop_signal = value_or_throw(parse_signal(t), "--stop-signal"); },
          "The signal a timeout sends first (default: the image's StopSignal, else SIGTERM)")
      ->type_name("SIGNAL");
}

namespace {

int report(const Spec& spec, const Outcome& outcome, std::string_view verb) {
  if (outcome.error) {
    log::error(verb, *outcome.error);
  }
  if (spec.json_status) {
    if (auto ok = write_json_status(*spec.json_status, outcome); !ok) {
      log::error(verb, ok.error());
      return kExitFailure;
    }
  }
  return outcome.exit_code;
}

// The language environment (+venv), found or built in the run's own layer
// through this same run path, then bound into the Spec (read-only at its
// path). nullopt with the exit code when it could not be prepared.
std::variant<std::optional<lang::Prepared>, int> prepare_venv(Spec& spec, const HostFacts& host,
                                                              std::string_view verb) {
  if (!spec.venv) {
    return std::optional<lang::Prepared>();
  }
  auto env = lang::prepare(spec, host, [verb](Spec& inside) { return run_spec(inside, inside.argv, verb); });
  if (!env) {
    return report(spec, Outcome::from_error(env.error()), verb);
  }
  lang::bind_environment(*env, spec);
  if (spec.dry_run) {
    (void)std::fputs(lang::describe(*env).c_str(), stdout);
  }
  return std::optional(*std::move(env));
}

int execute(const Spec& spec, Plan plan, const std::optional<lang::Prepared>& env, const HostFacts& host,
            std::string_view verb) {
  if (env) {
    lang::use_environment(*env, plan.process.env);
    if (plan.vm && spec.in_vm) {
      plan.vm->inner = inner_layer_words(spec, plan);  // with the environment's variables
    }
  }
  if (spec.dry_run) {
    (void)std::fputs(to_text(plan).c_str(), stdout);
    if (plan.vm) {
      auto command = vm::describe_command(plan);
      if (!command) {
        return report(spec, Outcome::from_error(command.error()), verb);
      }
      (void)std::fputs(command->c_str(), stdout);
    }
    if (plan.vm && spec.in_vm) {
      // Planned here from this host's facts; the guest's strata plans again from its own.
      const std::string inner = to_text(build_plan(inner_layer_spec(spec, plan), host));
      (void)std::fprintf(stdout, "\n-- the layer inside the guest (%s) --\n%s", to_string(*spec.in_vm).data(),
                         inner.c_str());
    }
    return 0;
  }
  auto outcome = make_backend(plan.isolation)->run(plan);
  return report(spec, outcome ? *outcome : Outcome::from_error(outcome.error()), verb);
}

}  // namespace

int run_spec(Spec& spec, std::vector<std::string> command, std::string_view verb) {
  spec.argv = std::move(command);
  if (spec.isolation_auto) {
    if (auto ok = resolve_auto(spec); !ok) {
      return report(spec, Outcome::from_error(ok.error()), verb);
    }
  }
  if (spec.image && spec.isolation == Isolation::sandbox) {
    spec.isolation = Isolation::container;
  }
  if (spec.image && spec.in_vm == Isolation::sandbox) {
    spec.in_vm = Isolation::container;
  }
  const HostFacts host = gather_host_facts();
  // A module as the command picks the wasm layer unless a layer was named
  // (or a root given, whose files the host's cwd says nothing about).
  if (!spec.isolation_given && !spec.image && !spec.rootfs && !spec.argv.empty() &&
      wasm::looks_like_module(spec.argv.front(), host.cwd)) {
    spec.isolation = Isolation::wasm;
  }
  if (auto ok = validate(spec); !ok) {
    return report(spec, Outcome::from_error(ok.error()), verb);
  }
  if (spec.isolation == Isolation::wasm) {
    auto plan = wasm::plan_wasm_run(spec, host, verb);
    return plan ? execute(spec, *plan, std::nullopt, host, verb)
                : report(spec, Outcome::from_error(plan.error()), verb);
  }
  // Holds the environment's lock until the run is over.
  auto venv = prepare_venv(spec, host, verb);
  if (const int* failed = std::get_if<int>(&venv)) {
    return *failed;
  }
  const auto& env = std::get<std::optional<lang::Prepared>>(venv);
  if (!spec.image) {
    return execute(spec, build_plan(spec, host), env, host, verb);
  }
  // Lives until the run is over: it pins the layers and owns the writable one.
  auto container = container::prepare_container(spec, host);
  if (!container) {
    return report(spec, Outcome::from_error(container.error()), verb);
  }
  return execute(spec, build_plan(spec, host, &container->root), env, host, verb);
}

std::optional<std::vector<std::string>> command_words(const CLI::App& command,
                                                      std::vector<std::string> trailing,
                                                      std::string_view verb) {
  std::vector<std::string> argv = command.remaining();
  if (!argv.empty() && argv.front().starts_with('-')) {
    log::line(
        fmt::format("{}: unknown flag '{}' (see --help; put the command after --)", verb, argv.front()));
    return std::nullopt;
  }
  if (!argv.empty() && !trailing.empty()) {
    log::line(fmt::format("{}: unexpected '{}' before '--' (see --help)", verb, argv.front()));
    return std::nullopt;
  }
  return argv.empty() ? std::move(trailing) : std::move(argv);
}

}  // namespace strata::cli
