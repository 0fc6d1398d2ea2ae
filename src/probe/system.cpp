// The system layer: what the tree's userland offers a workload (OS release,
// C library and loader, shared libraries, packages and tools, locale, time
// zone, CA bundle). Everything is read from files through the Root, so a
// --root tree and the running machine give the same facts; nothing is run.
#include "probe/layers.hpp"
#include "probe/sys_ca_bundle.hpp"
#include "probe/sys_ld_conf.hpp"
#include "probe/sys_libc.hpp"
#include "probe/sys_libraries.hpp"
#include "probe/sys_locale_tz.hpp"
#include "probe/sys_os_release.hpp"
#include "probe/sys_packages.hpp"
#include "probe/sys_tools.hpp"

namespace strata::probe {

Facts probe_system(const Root& root) {
  Facts facts;
  sys::add_os_facts(root, facts);
  const sys::PackageDb packages = sys::read_packages(root);
  sys::add_package_facts(packages, facts);
  const sys::Loader loader = sys::find_loader(root);
  sys::add_libc_facts(root, loader, packages, facts);
  const sys::SearchPath search = sys::search_path(root, loader);
  sys::add_ld_facts(root, loader, search, facts);
  sys::add_library_facts(root, loader, search, facts);
  sys::add_tool_facts(root, packages, facts);
  sys::add_locale_facts(root, facts);
  sys::add_timezone_facts(root, facts);
  sys::add_ca_bundle_facts(root, facts);
  return facts;
}

}  // namespace strata::probe
