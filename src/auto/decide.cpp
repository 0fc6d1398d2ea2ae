// The mapping from unmet layers to a layer stack (docs/auto.md, "How auto
// decides"). The lowest unmet layer decides the outermost layer; the layers
// above it that are unmet too must be provided inside it, by the lock's
// image or its language inputs, or the run is refused with the reason.
#include "auto/decide.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace strata::autolayers {

namespace {

using check::Layer;
using check::Unmet;

// The CPU feature people know a psABI level by.
std::string_view level_feature(std::string_view level) {
  if (level == "x86-64-v2") {
    return "SSE4.2";
  }
  if (level == "x86-64-v3") {
    return "AVX2";
  }
  if (level == "x86-64-v4") {
    return "AVX-512";
  }
  return {};
}

// One unmet need in a few words: "glibc >= 2.38 needed, this machine has 2.36".
std::string phrase(const Unmet& u, bool live) {
  const std::string_view where = live ? "this machine" : "the target";
  if (u.layer == Layer::hardware) {
    const std::string_view cpu = live ? "this CPU" : "the target's CPU";
    if (u.need == "isa_level") {
      const std::string_view feature = level_feature(u.wanted);
      return feature.empty() ? fmt::format("needs {}; {} has {}", u.wanted, cpu, u.target_has)
                             : fmt::format("needs {} ({}); {} has {}", feature, u.wanted, cpu, u.target_has);
    }
    return fmt::format("needs {}; {} is {}", u.provide, cpu, u.target_has);
  }
  if (u.target_has == "absent") {
    return fmt::format("{} needed, {} has none", u.provide, where);
  }
  if (u.need.starts_with("kernel_features ") && u.wanted.starts_with("Linux >= ")) {
    return fmt::format("{} ({}) needed, {} has {}", u.provide, u.wanted, where, u.target_has);
  }
  return fmt::format("{} needed, {} has {}", u.provide.empty() ? u.wanted : u.provide, where, u.target_has);
}

// The first unmet need of `layer` that `pick` accepts; nullptr when none.
template <class Pick>
const Unmet* first(const check::Report& report, Layer layer, Pick pick) {
  const auto it =
      std::ranges::find_if(report.unmet, [&](const Unmet& u) { return u.layer == layer && pick(u); });
  return it == report.unmet.end() ? nullptr : &*it;
}

bool is_wasm(const Unmet& u) {
  return check::isolation_of(u) == "wasm";
}

Decision refuse(std::string why) {
  Decision d;
  d.refusal = std::move(why);
  return d;
}

std::string joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& part : parts) {
    out += (out.empty() ? "" : "; ") + part;
  }
  return out;
}

std::string satisfied_why(const check::Report& report, bool live) {
  std::string why =
      live ? "every need the lock records is met here" : "every need the lock records is met there";
  if (!report.not_checked.empty()) {
    why +=
        fmt::format("; {} not checked: the target manifest has no facts for them", report.not_checked.size());
  }
  return why;
}

}  // namespace

Decision decide(const Lock& lock, const check::Report& report, bool live) {
  const auto any = [](const Unmet&) {
    return true;
  };
  if (const Unmet* u = first(report, Layer::hardware, any)) {
    return refuse(phrase(*u, live) + ": no layer of software provides it");
  }
  if (const Unmet* u = first(report, Layer::language, is_wasm)) {
    return refuse(phrase(*u, live) +
                  ": install one there; no layer strata builds provides a WebAssembly engine");
  }
  const Unmet* kernel = first(report, Layer::kernel, any);
  const Unmet* system = first(report, Layer::system, any);
  const Unmet* language = first(report, Layer::language, [](const Unmet& u) { return !is_wasm(u); });
  if (system && !lock.image) {
    return refuse(
        fmt::format("the system layer differs ({}) and the lock records no image: record with --image REF",
                    phrase(*system, live)));
  }
  if (language && !lock.language && !lock.image) {
    return refuse(fmt::format(
        "the language layer differs ({}) and the lock records no requirements to build a venv from: record "
        "with the requirements (or with --image REF)",
        phrase(*language, live)));
  }
  Decision d;
  d.use_language = language != nullptr && lock.language.has_value();
  // Without language inputs, the image the workload ran in provides its packages.
  d.use_image = system != nullptr || (kernel != nullptr && lock.image) || (language && !d.use_language);
  d.use_kernel = kernel != nullptr;
  d.layers.venv = d.use_language;
  if (d.use_kernel) {
    d.layers.outer = Isolation::vm;
    d.layers.in_vm = d.use_image ? std::optional(Isolation::container) : std::nullopt;
  } else if (d.use_image) {
    d.layers.outer = Isolation::container;
  } else if (lock.needs.wasm && !d.use_language) {
    d.layers.outer = Isolation::wasm;  // a module runs on its engine, as when recorded
  }
  std::vector<std::string> why;
  for (const Unmet* u : {kernel, system, language}) {
    if (u != nullptr) {
      why.push_back(phrase(*u, live));
    }
  }
  d.why = why.empty() ? satisfied_why(report, live) : joined(why);
  return d;
}

std::string stack_text(const Layers& layers) {
  Spec spec;
  apply_layers(spec, layers);
  return layers_text(spec);
}

std::string decision_line(const Decision& decision) {
  return fmt::format("auto: {} ({})", stack_text(decision.layers), decision.why);
}

}  // namespace strata::autolayers
