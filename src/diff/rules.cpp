// How much each difference matters, and why, by the fact's key. The rules
// are a table read top to bottom; the first whose layer and key prefix match
// judges the difference. A is the reference (where the program works), B the
// target, so "B lacks" and "B is older" are what break things.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <functional>
#include <set>

#include "diff/diff.hpp"
#include "diff/version.hpp"

namespace strata::diff {

namespace {

using nlohmann::json;
using probe::Layer;

std::string version(const std::optional<json>& value) {
  return value ? describe_value(value) : "";
}

// The item a collection fact is about: "library.libssl.so.3" -> "libssl.so.3".
std::string item(const Difference& d, std::string_view prefix) {
  return d.key.substr(prefix.size());
}

void set(Difference& d, Severity severity, std::string reason) {
  d.severity = severity;
  d.reason = std::move(reason);
}

// -1 when B's version is older than A's, 0 when equal or not comparable, 1 when newer.
int b_versus_a(const Difference& d) {
  if (!d.a || !d.b) {
    return 0;
  }
  const int c = compare_versions(version(d.b), version(d.a));
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

void isa_level(Difference& d) {
  if (b_versus_a(d) < 0 || !d.b) {
    set(d, Severity::breaks,
        fmt::format(
            "B's CPU reaches only {} where A's reaches {}: code built for A's level stops with SIGILL; a VM "
            "adds no CPU features, only the same hardware or an emulator (QEMU TCG) hides it",
            describe_value(d.b), describe_value(d.a)));
  } else {
    set(d, Severity::cosmetic,
        fmt::format("B's CPU reaches {} (A: {}), so code built for A runs", describe_value(d.b),
                    describe_value(d.a)));
  }
}

std::set<std::string> strings(const std::optional<json>& value) {
  std::set<std::string> out;
  if (value && value->is_array()) {
    for (const auto& v : *value) {
      if (v.is_string()) {
        out.insert(v.get<std::string>());
      }
    }
  }
  return out;
}

std::string first_few(const std::vector<std::string>& names) {
  constexpr std::size_t kShown = 6;
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < kShown; ++i) {
    out += (i == 0 ? "" : ", ") + names[i];
  }
  return names.size() > kShown ? fmt::format("{} and {} more", out, names.size() - kShown) : out;
}

void cpu_flags(Difference& d) {
  const auto a = strings(d.a);
  const auto b = strings(d.b);
  std::vector<std::string> lost;
  std::ranges::set_difference(a, b, std::back_inserter(lost));
  if (lost.empty()) {
    set(d, Severity::cosmetic, "B's CPU has every flag A's has, and more");
    return;
  }
  set(d, Severity::may_matter,
      fmt::format(
          "B's CPU lacks {}: code that checks at run time adapts, code compiled for A's CPU (-march=native) "
          "stops with SIGILL; only the same hardware or an emulator hides it",
          first_few(lost)));
}

void smaller_matters(Difference& d, std::string_view what) {
  const bool smaller = d.a && d.b && d.a->is_number() && d.b->is_number() && *d.b < *d.a;
  set(d, smaller ? Severity::may_matter : Severity::cosmetic,
      fmt::format("{} {} on B vs {} on A{}", what, describe_value(d.b), describe_value(d.a),
                  smaller ? ": thread pools, timeouts and memory limits sized for A may not fit" : ""));
}

void glibc(Difference& d) {
  if (b_versus_a(d) < 0 || !d.b) {
    set(d, Severity::breaks,
        fmt::format(
            "glibc {} on A vs {} on B: binaries built on A may need symbol versions up to {} that B lacks; a "
            "container with A's system layer fixes it, a venv does not",
            describe_value(d.a), describe_value(d.b), describe_value(d.a)));
  } else {
    set(d, Severity::cosmetic,
        fmt::format(
            "glibc {} on B is newer than A's {}; glibc keeps old symbol versions, so A's binaries run",
            describe_value(d.b), describe_value(d.a)));
  }
}

void library(Difference& d) {
  const std::string name = item(d, "library.");
  if (!d.b) {
    set(d, Severity::breaks,
        fmt::format(
            "{} is missing on B: programs linked against it fail to start; a container with A's system "
            "layer hides it",
            name));
  } else if (!d.a) {
    set(d, Severity::cosmetic, fmt::format("{} exists only on B", name));
  } else if (b_versus_a(d) < 0) {
    set(d, Severity::may_matter,
        fmt::format("{} is older on B ({} vs {}): symbols added since are missing", name, describe_value(d.b),
                    describe_value(d.a)));
  } else {
    set(d, Severity::cosmetic,
        fmt::format("{} {} on B vs {} on A (same soname, compatible)", name, describe_value(d.b),
                    describe_value(d.a)));
  }
}

// A package of a language ecosystem: missing breaks imports, another version may.
void language_package(Difference& d, std::string_view prefix, std::string_view hider) {
  const std::string name = item(d, prefix);
  if (!d.b) {
    set(d, Severity::breaks,
        fmt::format("{} is not installed on B: imports of it fail; {} hides it", name, hider));
  } else if (!d.a) {
    set(d, Severity::cosmetic, fmt::format("{} is installed only on B", name));
  } else if (version(d.a) != version(d.b)) {
    set(d, Severity::may_matter,
        fmt::format(
            "{} {} on A vs {} on B: behaviour and APIs change between versions; {} pinned to A's versions "
            "hides it",
            name, describe_value(d.a), describe_value(d.b), hider));
  } else {
    set(d, Severity::cosmetic, fmt::format("{} is the same version, installed elsewhere", name));
  }
}

void system_package(Difference& d) {
  const std::string name = item(d, "package.");
  if (!d.a) {
    set(d, Severity::cosmetic, fmt::format("package {} is installed only on B", name));
  } else if (!d.b) {
    set(d, Severity::may_matter, fmt::format("package {} is not installed on B", name));
  } else {
    set(d, Severity::may_matter,
        fmt::format("package {} {} on A vs {} on B", name, describe_value(d.a), describe_value(d.b)));
  }
}

// A WebAssembly engine: losing one that runs WASI modules may strand the
// modules A runs with it (B may have another engine: each is its own fact).
void wasm_engine(Difference& d) {
  const std::string name = item(d, "wasm.engine.");
  const auto wasi = [](const std::optional<json>& value) {
    if (!value || !value->is_object()) {
      return false;
    }
    const auto it = value->find("wasi_preview1");
    return it != value->end() && it->is_boolean() && it->get<bool>();
  };
  if (!d.b) {
    set(d, wasi(d.a) ? Severity::may_matter : Severity::cosmetic,
        fmt::format("the WebAssembly engine {} is missing on B{}", name,
                    wasi(d.a) ? ": WASI modules run with it on A need another engine on B (installing " +
                                    name + " or wasmtime hides it)"
                              : " (it runs no WASI modules on A)"));
  } else if (!d.a) {
    set(d, Severity::cosmetic, fmt::format("the WebAssembly engine {} exists only on B", name));
  } else if (wasi(d.a) && !wasi(d.b)) {
    set(d, Severity::may_matter,
        fmt::format("{} runs WASI preview1 modules on A but not on B ({}): another engine on B must run them",
                    name,
                    d.b->is_object() ? describe_value(d.b->value("reason", json())) : "no reason given"));
  } else {
    set(d, Severity::cosmetic,
        fmt::format("{} {} on A vs {} on B: WASI preview1 is the same interface on both", name,
                    d.a->is_object() ? describe_value(d.a->value("version", json())) : describe_value(d.a),
                    d.b->is_object() ? describe_value(d.b->value("version", json())) : describe_value(d.b)));
  }
}

struct Rule {
  Layer layer;
  std::string_view prefix;  // a key, or a prefix ending in '.'
  std::function<void(Difference&)> judge;
};

std::function<void(Difference&)> fixed(Severity severity, std::string_view why) {
  return [severity, why](Difference& d) {
    set(d, severity, fmt::format("{} vs {}: {}", describe_value(d.a), describe_value(d.b), why));
  };
}

const std::vector<Rule>& rules() {
  static const std::vector<Rule> table{
      {Layer::hardware, "arch",
       fixed(Severity::breaks,
             "binaries of one do not run on the other; only the same hardware or an emulator hides it")},
      {Layer::hardware, "endianness",
       fixed(Severity::breaks, "binary data and binaries differ in byte order")},
      {Layer::hardware, "cpu.isa_level", isa_level},
      {Layer::hardware, "cpu.isa_level_missing", fixed(Severity::cosmetic, "explained by the ISA level")},
      {Layer::hardware, "cpu.flags", cpu_flags},
      {Layer::hardware, "cpu.logical_cores",
       [](Difference& d) {
         smaller_matters(d, "logical cores");
       }},
      {Layer::hardware, "memory.total_bytes",
       [](Difference& d) {
         smaller_matters(d, "memory bytes");
       }},
      {Layer::hardware, "cpu.",
       fixed(Severity::cosmetic, "another CPU model; its ISA level and flags are what count")},
      {Layer::hardware, "page_size",
       fixed(Severity::may_matter, "allocators and mmap code that assume a page size break")},
      {Layer::hardware, "kvm.usable",
       fixed(Severity::may_matter,
             "a micro-VM needs a usable KVM; without one it runs under emulation, far slower")},
      {Layer::hardware, "device.",
       fixed(Severity::may_matter, "an accelerator on one side only: GPU code falls back or fails")},
      {Layer::hardware, "", fixed(Severity::cosmetic, "no effect on what a program can run")},
      {Layer::kernel, "release",
       fixed(Severity::may_matter,
             "containers share the host's kernel, so syscalls and kernel features follow the host; a VM with "
             "A's "
             "kernel hides it")},
      {Layer::kernel, "version",
       fixed(Severity::cosmetic, "the kernel's build string (the release is what counts)")},
      {Layer::kernel, "hostname", fixed(Severity::cosmetic, "the machine's name")},
      {Layer::kernel, "filesystems", fixed(Severity::cosmetic, "file systems the kernel knows")},
      {Layer::kernel, "",
       fixed(Severity::may_matter, "sandboxes and containers depend on this kernel feature or setting")},
      {Layer::system, "libc.flavour",
       fixed(Severity::breaks,
             "dynamically linked binaries of one C library do not load on the other; a container with A's "
             "system "
             "layer hides it")},
      {Layer::system, "libc.version", glibc},
      {Layer::system, "libc.max_symbol_version", glibc},
      {Layer::system, "ld.path",
       fixed(Severity::breaks,
             "binaries name their dynamic loader by path (PT_INTERP); they fail to start without it")},
      {Layer::system, "ld.", fixed(Severity::may_matter, "the dynamic loader searches other places")},
      {Layer::system, "library.", library},
      {Layer::system, "os.id",
       fixed(Severity::may_matter, "another distribution: versions and defaults differ")},
      {Layer::system, "os.version_id", fixed(Severity::may_matter, "another release of the distribution")},
      {Layer::system, "os.", fixed(Severity::cosmetic, "distribution naming")},
      {Layer::system, "packages.", fixed(Severity::cosmetic, "package database summary")},
      {Layer::system, "package.", system_package},
      {Layer::system, "locale",
       fixed(Severity::may_matter, "sorting, number and date formats follow the locale")},
      {Layer::system, "timezone", fixed(Severity::may_matter, "local times differ")},
      {Layer::system, "tzdata.", fixed(Severity::may_matter, "time zone rules differ")},
      {Layer::system, "ca_bundle.",
       fixed(Severity::may_matter, "TLS connections trust other certificate authorities")},
      {Layer::system, "", fixed(Severity::may_matter, "part of the system layer")},
      {Layer::language, "python.package.",
       [](Difference& d) {
         language_package(d, "python.package.", "a venv built from A's requirements");
       }},
      {Layer::language, "node.package.",
       [](Difference& d) {
         language_package(d, "node.package.", "a node_modules installed from A's lockfile");
       }},
      {Layer::language, "node.global.",
       [](Difference& d) {
         language_package(d, "node.global.", "a node_modules installed from A's lockfile");
       }},
      {Layer::language, "wasm.engines",
       fixed(Severity::cosmetic, "the engines are judged one by one (wasm.engine.<name>)")},
      {Layer::language, "wasm.engine.", wasm_engine},
      {Layer::language, "python.venv", fixed(Severity::cosmetic, "where the virtual environment lives")},
      {Layer::language, "node.project", fixed(Severity::cosmetic, "the project's own name and version")},
      {Layer::language, "node.lockfile", fixed(Severity::cosmetic, "the lockfile itself")},
      {Layer::language, "", fixed(Severity::may_matter, "another interpreter or package manager version")},
  };
  return table;
}

bool applies(const Rule& rule, const Difference& d) {
  if (rule.layer != d.layer) {
    return false;
  }
  if (rule.prefix.empty() || d.key == rule.prefix) {
    return true;
  }
  return rule.prefix.ends_with('.') ? d.key.starts_with(rule.prefix) : false;
}

}  // namespace

void judge(Difference& difference) {
  for (const Rule& rule : rules()) {
    if (applies(rule, difference)) {
      rule.judge(difference);
      return;
    }
  }
}

}  // namespace strata::diff
