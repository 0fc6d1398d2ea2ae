// What the analyze/trace/check/advise tests share: C programs built here
// with chosen needs, and this machine's manifest with facts lowered.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "harness.hpp"

namespace strata::test {

// gcc SOURCE -> DIR/OUT (the source is kept as DIR/OUT.c).
inline bool cc(const TempDir& dir, const std::string& out, const std::string& source,
               const std::string& flags = "") {
  write_file(dir / (out + ".c"), source);
  return std::system(("gcc -o '" + (dir / out) + "' '" + (dir / (out + ".c")) + "' " + flags).c_str()) == 0;
}

inline nlohmann::json parse_json(const std::string& text) {
  auto doc = nlohmann::json::parse(text, nullptr, false);
  EXPECT_FALSE(doc.is_discarded()) << "not JSON: " << text;
  return doc;
}

// `strata analyze --json FILE` written to `out`; the document.
inline nlohmann::json analyze_to(const std::string& file, const std::string& out) {
  const Finished f = strata({"analyze", "--json", file});
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  write_file(out, f.out);
  return parse_json(f.out);
}

// This machine's manifest (`strata probe --json`), parsed.
inline nlohmann::json live_manifest() {
  const Finished f = strata({"probe", "--json"});
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  return parse_json(f.out);
}

inline void set_fact(nlohmann::json& manifest, const std::string& layer, const std::string& key,
                     nlohmann::json value) {
  manifest["layers"][layer][key] = {{"value", std::move(value)}, {"source", "test"}};
}

// A CPU that reaches x86-64-v2 only: no AVX family.
inline void lower_cpu(nlohmann::json& manifest) {
  set_fact(manifest, "hardware", "cpu.isa_level", "x86-64-v2");
  nlohmann::json flags = nlohmann::json::array();
  for (const auto& flag : manifest["layers"]["hardware"]["cpu.flags"]["value"]) {
    if (!flag.get<std::string>().starts_with("avx")) {
      flags.push_back(flag);
    }
  }
  set_fact(manifest, "hardware", "cpu.flags", flags);
}

// `python3 -m venv VENV`; the reason when this machine cannot make one.
inline std::optional<std::string> make_venv(const std::string& venv) {
  if (!path_exists("/usr/bin/python3")) {
    return "no /usr/bin/python3";
  }
  const Finished f = run({"/usr/bin/python3", "-m", "venv", venv});
  if (f.exit_code != 0) {
    return "python3 -m venv failed (python3-venv missing?): " + describe(f);
  }
  return std::nullopt;
}

// A setuptools project in DIR: distribution NAME at VERSION, one package
// MODULE whose VERSION attribute says the same. Returns DIR.
inline std::string write_python_project(const std::string& dir, const std::string& name,
                                        const std::string& module, const std::string& version) {
  std::filesystem::create_directories(dir + "/" + module);
  write_file(dir + "/" + module + "/__init__.py", "VERSION = '" + version + "'\n");
  write_file(dir + "/setup.py", "from setuptools import setup\nsetup()\n");
  write_file(dir + "/setup.cfg", "[metadata]\nname = " + name + "\nversion = " + version +
                                     "\n[options]\npackages = " + module + "\n");
  return dir;
}

// VENV/bin/pip install PROJECT, offline; the reason when it cannot.
inline std::optional<std::string> pip_install_offline(const std::string& venv, const std::string& project) {
  const Finished f =
      run({venv + "/bin/pip", "install", "--no-index", "--no-build-isolation", "--quiet", project});
  if (f.exit_code != 0) {
    return "pip could not install a local package offline: " + describe(f);
  }
  return std::nullopt;
}

// Needs GLIBC_2.34 (libpthread merged into libc there).
inline constexpr const char* kGlibc234 =
    "#include <pthread.h>\nvoid* f(void* a) { return a; }\n"
    "int main(void) { pthread_t t; return pthread_create(&t, 0, f, 0); }";

// Sets up an io_uring and asks Landlock for its ABI.
inline constexpr const char* kKernelFeatures = R"(#include <linux/io_uring.h>
#include <linux/landlock.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void) {
  struct io_uring_params p;
  memset(&p, 0, sizeof p);
  long ring = syscall(SYS_io_uring_setup, 4, &p);
  long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
  printf("ring %ld abi %ld\n", ring, abi);
  return 0;
}
)";

}  // namespace strata::test
