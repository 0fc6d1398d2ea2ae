#include "probe/layers.hpp"

namespace strata::probe {

Facts probe_language(const Root& /*root*/, const std::string& /*cwd*/) { return {}; }

}  // namespace strata::probe
