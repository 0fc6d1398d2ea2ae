// The language layer: the interpreters, environments and packages a program
// in `cwd` would use. Python and Node each have their own file; both read
// through the Root only, so an unpacked image gives the same facts as the
// machine it came from. WebAssembly engines come from lang_wasm.
#include "probe/lang_node.hpp"
#include "probe/lang_python.hpp"
#include "probe/lang_wasm.hpp"
#include "probe/layers.hpp"

namespace strata::probe {

Facts probe_language(const Root& root, const std::string& cwd) {
  Facts facts;
  lang::add_python_facts(root, cwd, facts);
  lang::add_node_facts(root, cwd, facts);
  lang::add_wasm_facts(root, facts);
  return facts;
}

}  // namespace strata::probe
