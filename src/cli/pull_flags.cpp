#include "cli/pull_flags.hpp"

#include <unistd.h>

#include <filesystem>

namespace strata::cli {

void declare_pull_flags(CLI::App& command, PullFlags& flags) {
  command
      .add_option("REF", flags.ref, "[HOST[:PORT]/]REPOSITORY[:TAG][@sha256:HEX] (default host: docker.io)")
      ->required();
  command.add_option("--tag", flags.tag, "Tag the image NAME (default: the reference, normalised)")
      ->type_name("NAME");
  command
      .add_option("--platform", flags.platform,
                  "From a multi-platform index, take this one (default: this machine's)")
      ->type_name("OS/ARCH[/VARIANT]");
  command.add_option("--username", flags.username, "Log in as USER (with --password-stdin)")
      ->type_name("USER");
  command.add_flag("--password-stdin", flags.password_stdin, "Read the password from standard input");
  command.add_flag("--insecure", flags.insecure,
                   "Plain HTTP; allowed only for a registry on this machine (localhost, 127.0.0.0/8, [::1])");
  command.add_flag("--json", flags.json, "Print the result as JSON");
}

std::vector<std::string> pull_args(const PullFlags& flags) {
  std::vector<std::string> out{flags.ref};
  for (const auto& [name, value] : {std::pair{"--tag", &flags.tag}, std::pair{"--platform", &flags.platform},
                                    std::pair{"--username", &flags.username}}) {
    if (!value->empty()) {
      out.insert(out.end(), {name, *value});
    }
  }
  for (const auto& [name, on] : {std::pair{"--password-stdin", flags.password_stdin},
                                 std::pair{"--insecure", flags.insecure}, std::pair{"--json", flags.json}}) {
    if (on) {
      out.emplace_back(name);
    }
  }
  return out;
}

Result<std::string> find_pull_helper() {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path dir = fs::read_symlink("/proc/self/exe", ec).parent_path();
  if (ec) {
    return fail_errno("find strata-pull", "/proc/self/exe", ec.value());
  }
  const fs::path beside = dir / "strata-pull";
  const fs::path libexec = dir.parent_path() / "libexec/strata/strata-pull";
  for (const fs::path& candidate : {beside, libexec}) {
    if (::access(candidate.c_str(), X_OK) == 0) {
      return candidate.string();
    }
  }
  return fail("find strata-pull", beside.string(),
              "not installed (nor " + libexec.string() +
                  "): `strata image pull` runs this helper, which holds the registry client");
}

}  // namespace strata::cli
