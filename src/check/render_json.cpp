// The report for tools: strata.check/v1 (docs/check.md).
#include <nlohmann/json.hpp>

#include "check/check.hpp"

namespace strata::check {

nlohmann::ordered_json to_json(const Report& report) {
  using nlohmann::ordered_json;
  ordered_json unmet = ordered_json::array();
  for (const Unmet& u : report.unmet) {
    unmet.push_back({{"layer", probe::layer_name(u.layer)},
                     {"need", u.need},
                     {"wanted", u.wanted},
                     {"target_has", u.target_has},
                     {"reason", u.reason},
                     {"isolation", isolation_of(u)},
                     {"requirement", u.provide}});
  }
  ordered_json notes = ordered_json::array();
  for (const Note& n : report.notes) {
    notes.push_back({{"layer", probe::layer_name(n.layer)}, {"need", n.need}, {"text", n.text}});
  }
  ordered_json not_checked = ordered_json::array();
  for (const NotChecked& n : report.not_checked) {
    not_checked.push_back({{"layer", probe::layer_name(n.layer)}, {"need", n.need}, {"reason", n.reason}});
  }
  ordered_json met = ordered_json::object();
  for (const Layer layer : probe::kLayers) {
    const auto it = report.met.find(layer);
    met[std::string(probe::layer_name(layer))] = it == report.met.end() ? 0 : it->second;
  }
  const Verdict& v = report.verdict;
  ordered_json verdict = {
      {"layer", v.layer ? ordered_json(probe::layer_name(*v.layer)) : ordered_json(nullptr)},
      {"isolation", v.layer ? ordered_json(v.isolation) : ordered_json(nullptr)},
      {"requirement", v.layer ? ordered_json(v.requirement) : ordered_json(nullptr)},
      {"steps", v.steps},
      {"summary", v.summary}};
  return {{"schema", kReportSchema},
          {"needs", report.needs},
          {"target", report.target},
          {"target_probed_live", report.target_live},
          {"command", report.command.empty() ? ordered_json(nullptr) : ordered_json(report.command)},
          {"satisfied", report.satisfied()},
          {"met", std::move(met)},
          {"unmet", std::move(unmet)},
          {"notes", std::move(notes)},
          {"not_checked", std::move(not_checked)},
          {"verdict", std::move(verdict)}};
}

}  // namespace strata::check
