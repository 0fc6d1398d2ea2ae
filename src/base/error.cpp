#include "base/error.hpp"

#include <cstring>

namespace strata {

std::string Error::message() const {
  std::string out = step;
  if (!path.empty()) {
    out += " '" + path + "'";
  }
  if (!detail.empty()) {
    out += ": " + detail;
  }
  if (err != 0) {
    out += ": ";
    out += std::strerror(err);
  }
  return out;
}

}  // namespace strata
