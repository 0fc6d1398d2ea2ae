#include "probe/lang_common.hpp"

namespace strata::probe::lang {

void add_with_shadowed(Facts& facts, const std::string& key, std::vector<Installed>& copies) {
  if (copies.empty()) {
    return;
  }
  Installed& winner = copies.front();
  if (copies.size() > 1) {
    nlohmann::json shadowed = nlohmann::json::array();
    for (std::size_t i = 1; i < copies.size(); ++i) {
      const nlohmann::json& value = copies[i].value;
      shadowed.push_back({{"version", value.value("version", nlohmann::json())},
                          {"location", value.value("location", nlohmann::json())}});
    }
    winner.value["shadowed"] = std::move(shadowed);
  }
  add(facts, key, std::move(winner.value), std::move(winner.source));
}

}  // namespace strata::probe::lang
