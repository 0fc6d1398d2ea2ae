#include "probe/layers.hpp"

namespace strata::probe {

Facts probe_hardware(const Root& /*root*/) { return {}; }

}  // namespace strata::probe
