#include "trace/record.hpp"

#include <fmt/format.h>
#include <string.h>  // strerrorname_np (glibc 2.32)

namespace strata::trace {

const char* access_name(Access access) {
  switch (access) {
    case Access::read:
      return "read";
    case Access::write:
      return "write";
    case Access::list:
      return "list";
    case Access::exec:
      return "exec";
    case Access::probe_missing:
      return "probe-missing";
    case Access::failed:
      break;
  }
  return "failed";
}

std::string errno_name(int err) {
  if (const char* name = ::strerrorname_np(err); name != nullptr) {
    return name;
  }
  return fmt::format("errno {}", err);
}

void TraceLog::add_file(const std::string& path, Access access) {
  ++files[{path, access}];
}

void TraceLog::add_feature(const std::string& feature, const std::string& evidence, bool ok, int err,
                           std::optional<int> abi) {
  FeatureUse& use = features[{feature, evidence}];
  ++use.count;
  if (ok) {
    ++use.ok;
  } else if (use.first_error.empty()) {
    use.first_error = errno_name(err);
  }
  if (abi && (!use.abi || *abi > *use.abi)) {
    use.abi = abi;
  }
}

}  // namespace strata::trace
