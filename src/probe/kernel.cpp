#include "probe/layers.hpp"

namespace strata::probe {

Facts probe_kernel(const Root& /*root*/) { return {}; }

}  // namespace strata::probe
