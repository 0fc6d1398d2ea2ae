// system: what the dynamic loader and the C and C++ runtimes must offer.
// glibc refuses to start a binary that names a symbol version the library
// lacks ("version `GLIBC_2.34' not found"), and a soname missing from the
// target's ld.so cache stops it before main. A container with another system
// layer fixes both; a venv does not.
#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "check/rules.hpp"
#include "diff/version.hpp"

namespace strata::check {

namespace {

// "GLIBC_2.34" -> "2.34"; other forms unchanged.
std::string without_prefix(std::string_view version, std::string_view family) {
  if (version.starts_with(family) && version.size() > family.size() && version[family.size()] == '_') {
    version.remove_prefix(family.size() + 1);
  }
  return std::string(version);
}

std::string base_name(std::string_view path) {
  const auto slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

void check_glibc_version(Context& c, const std::string& need, const std::string& wanted) {
  if (!c.require_layer(Layer::system, need)) {
    return;
  }
  const std::string want = without_prefix(wanted, "GLIBC");
  const auto flavour = c.text(Layer::system, "libc.flavour");
  if (flavour && *flavour != "glibc") {
    c.unmet({.layer = Layer::system,
             .need = need,
             .wanted = "glibc >= " + want,
             .target_has = *flavour == "none" ? "no C library" : *flavour,
             .reason =
                 fmt::format("the binaries are linked against glibc (GLIBC_{} symbol versions); the target's "
                             "C library is {}: a container with glibc >= {} runs them",
                             want, *flavour, want),
             .provide = "glibc >= " + want});
    return;
  }
  auto have = c.text(Layer::system, "libc.max_symbol_version");
  if (!have) {
    have = c.text(Layer::system, "libc.version");
  }
  if (!have) {
    c.not_checked(Layer::system, need, "the target manifest has no libc.max_symbol_version or libc.version");
    return;
  }
  const std::string has = without_prefix(*have, "GLIBC");
  if (diff::compare_versions(has, want) >= 0) {
    c.met(Layer::system);
    return;
  }
  c.unmet(
      {.layer = Layer::system,
       .need = need,
       .wanted = ">= " + want,
       .target_has = has,
       .reason = fmt::format("a binary needs GLIBC_{} symbols and the target's glibc offers up to GLIBC_{}: "
                             "ld.so refuses to start it (\"version `GLIBC_{}' not found\"); a container with "
                             "glibc >= {} runs it",
                             want, has, want, want),
       .provide = "glibc >= " + want});
}

struct AbiRelease {
  std::string_view cxxabi;  // CXXABI_1.3.N
  int minor;                // the first libstdc++.so.6.0.<minor> that has it
};

// CXXABI_1.3.N by the libstdc++ release that introduced it (the libstdc++
// manual's ABI history, "abi.versioning.history").
constexpr std::array<AbiRelease, 16> kCxxAbi{{
    {"1.3", 0},
    {"1.3.1", 4},
    {"1.3.2", 10},
    {"1.3.3", 11},
    {"1.3.4", 14},
    {"1.3.5", 15},
    {"1.3.6", 17},
    {"1.3.7", 18},
    {"1.3.8", 20},
    {"1.3.9", 21},
    {"1.3.10", 22},
    {"1.3.11", 23},
    {"1.3.12", 26},
    {"1.3.13", 29},
    {"1.3.14", 31},
    {"1.3.15", 33},
}};

// The libstdc++.so.6.0.<minor> that first has `family`_`version`, or -1.
// libstdc++.so.6.0.N defines GLIBCXX_3.4.N (identical numbering since GCC
// 3.4.0, so 3.4 is 0); CXXABI follows the table above.
int libstdcxx_minor(std::string_view family, const std::string& version) {
  if (family == "GLIBCXX") {
    if (version == "3.4") {
      return 0;
    }
    if (version.starts_with("3.4.") && version.size() > 4 &&
        version.find_first_not_of("0123456789", 4) == std::string::npos && version.size() < 8) {
      return std::stoi(version.substr(4));
    }
    return -1;
  }
  const auto* known = std::ranges::find(kCxxAbi, version, &AbiRelease::cxxabi);
  return known == kCxxAbi.end() ? -1 : known->minor;
}

void check_libstdcxx(Context& c, const std::string& family, const std::string& version) {
  const std::string need = "symbol_versions " + family;
  const std::string label = family + "_" + version;
  const int minor = libstdcxx_minor(family, version);
  if (minor < 0) {
    c.note(Layer::system, need,
           fmt::format("not checkable: strata does not know which libstdc++ has {}", label));
    return;
  }
  const std::string provide = fmt::format("libstdc++.so.6 >= 6.0.{} ({})", minor, label);
  const nlohmann::json* library = c.fact(Layer::system, "library.libstdc++.so.6");
  if (library == nullptr) {
    c.unmet({.layer = Layer::system,
             .need = need,
             .wanted = label,
             .target_has = "no libstdc++.so.6",
             .reason =
                 "the C++ binaries need libstdc++.so.6 and the target's ld.so cache has none: a container "
                 "with it runs them",
             .provide = provide});
    return;
  }
  const auto so = c.text(Layer::system, "library.libstdc++.so.6");
  if (!so || !so->starts_with("6.0.")) {
    c.not_checked(
        Layer::system, need,
        "the target's libstdc++.so.6 has no 6.0.N file version (a stale cache entry or another naming)");
    return;
  }
  if (diff::compare_versions(*so, fmt::format("6.0.{}", minor)) >= 0) {
    c.met(Layer::system);
    return;
  }
  c.unmet({.layer = Layer::system,
           .need = need,
           .wanted = label,
           .target_has = "libstdc++.so." + *so,
           .reason = fmt::format(
               "{} first came in libstdc++.so.6.0.{}; the target has libstdc++.so.{}: ld.so "
               "refuses to start the binary (\"version `{}' not found\"); a container with a newer "
               "libstdc++ runs it",
               label, minor, *so, label),
           .provide = provide});
}

void check_symbol_versions(Context& c) {
  for (const auto& [family, version] : c.needs().symbol_versions) {
    if (family == "GLIBC") {
      if (!c.needs().glibc) {
        check_glibc_version(c, "symbol_versions GLIBC", version);
      }
      continue;
    }
    if (!c.require_layer(Layer::system, "symbol_versions " + family)) {
      continue;
    }
    if (family == "GLIBCXX" || family == "CXXABI") {
      check_libstdcxx(c, family, version);
    } else {
      c.note(Layer::system, "symbol_versions " + family,
             fmt::format("not checkable: the manifest records no symbol versions of the library that defines "
                         "{}_{}; the library itself is checked under libraries",
                         family, version));
    }
  }
}

// Whether the target offers `soname`: its ld.so cache, or for the loader and
// the C library the facts about them.
bool has_library(const Context& c, const std::string& soname) {
  if (c.fact(Layer::system, "library." + soname) != nullptr) {
    return true;
  }
  const auto is = [&](std::string_view key) {
    const auto path = c.text(Layer::system, key);
    return path && base_name(*path) == soname;
  };
  if (soname.starts_with("ld-")) {
    return is("ld.path") || is("ld.target");
  }
  return soname == "libc.so.6" && c.text(Layer::system, "libc.flavour") == "glibc";
}

// Library facts can be trusted to be complete: a valid cache (or none, when
// the probe lists the library directories).
bool libraries_known(const Context& c) {
  const nlohmann::json* cache = c.fact(Layer::system, "ld.cache");
  return cache == nullptr || !cache->is_object() || cache->value("valid", true);
}

void check_sonames(Context& c, const std::vector<std::string>& names, std::string_view key,
                   std::string_view how) {
  for (const std::string& soname : names) {
    const std::string need = fmt::format("{} {}", key, soname);
    if (!c.require_layer(Layer::system, need)) {
      continue;
    }
    if (has_library(c, soname)) {
      c.met(Layer::system);
    } else if (!libraries_known(c)) {
      c.not_checked(Layer::system, need, "the target's ld.so.cache is corrupt, so it lists no libraries");
    } else {
      c.unmet({.layer = Layer::system,
               .need = need,
               .wanted = "present",
               .target_has = "absent",
               .reason =
                   fmt::format("{} is {} and the target's ld.so cache has no {}: an image must provide it (a "
                               "library the program bundles via $ORIGIN ships with the program instead)",
                               soname, how, soname),
               .provide = soname});
    }
  }
}

void check_interpreter(Context& c, const std::string& path) {
  const std::string need = "interpreters " + path;
  if (!c.require_layer(Layer::system, need)) {
    return;
  }
  const std::string name = base_name(path);
  if (name.starts_with("ld-")) {
    const auto loader = c.text(Layer::system, "ld.path");
    if (!loader) {
      c.not_checked(Layer::system, need, "the target manifest has no ld.path");
    } else if (*loader == path) {
      c.met(Layer::system);
    } else {
      c.unmet(
          {.layer = Layer::system,
           .need = need,
           .wanted = path,
           .target_has = *loader,
           .reason = fmt::format("the binaries name the loader {} (PT_INTERP) and the target's is {}: the "
                                 "kernel cannot start them; a container with {} runs them",
                                 path, *loader, path),
           .provide = path});
    }
    return;
  }
  const auto tool = c.fact(Layer::system, "tool." + name);
  const auto tool_path =
      tool != nullptr && tool->is_object() ? tool->value("path", std::string()) : std::string();
  if (tool_path == path) {
    c.met(Layer::system);
  } else if (!tool_path.empty()) {
    c.note(Layer::system, need,
           fmt::format("may matter: the target has {} at {} (the same file when {} is a link)", name,
                       tool_path, path.substr(0, path.size() - name.size())));
  } else {
    c.note(Layer::system, need, "not checkable: the manifest lists only well-known tools, not every file");
  }
}

void check_missing(Context& c) {
  for (const std::string& soname : c.needs().missing) {
    const std::string need = "missing " + soname;
    if (!c.require_layer(Layer::system, need)) {
      continue;
    }
    if (has_library(c, soname)) {
      c.met(Layer::system);
      c.note(Layer::system, need, "not found where the program was analyzed, but the target's cache has it");
      continue;
    }
    c.unmet({.layer = Layer::system,
             .need = need,
             .wanted = "present",
             .target_has = "absent",
             .reason =
                 fmt::format("{} was not found where the program was analyzed (unmet already) and the target "
                             "lacks it too: an image must provide it",
                             soname),
             .provide = soname});
  }
}

}  // namespace

void check_system(Context& context) {
  const Needs& needs = context.needs();
  if (needs.glibc) {
    check_glibc_version(context, "glibc", *needs.glibc);
  }
  check_symbol_versions(context);
  for (const std::string& path : needs.interpreters) {
    check_interpreter(context, path);
  }
  check_sonames(context, needs.libraries, "libraries", "linked (DT_NEEDED)");
  check_sonames(context, needs.dlopen, "dlopen", "loaded at run time (dlopen)");
  check_missing(context);
}

}  // namespace strata::check
