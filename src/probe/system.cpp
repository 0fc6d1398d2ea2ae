#include "probe/layers.hpp"

namespace strata::probe {

Facts probe_system(const Root& /*root*/) { return {}; }

}  // namespace strata::probe
