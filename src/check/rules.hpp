// What the per-layer rules share (internal to src/check): the target's facts
// looked up by layer and key, and the report the rules add to.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "check/check.hpp"

namespace strata::check {

class Context {
 public:
  Context(const Needs& needs, const probe::Manifest& target, Report& report)
      : needs_(needs), target_(target), report_(report) {}

  [[nodiscard]] const Needs& needs() const { return needs_; }

  // The layer's facts; nullptr when the manifest has no such layer.
  [[nodiscard]] const probe::Facts* layer(Layer layer) const;
  // A fact's value; nullptr when the layer or the fact is absent.
  [[nodiscard]] const nlohmann::json* fact(Layer layer, std::string_view key) const;
  // A fact's value when it is a string (a "version" member for an object).
  [[nodiscard]] std::optional<std::string> text(Layer layer, std::string_view key) const;

  void met(Layer layer) { ++report_.met[layer]; }
  void unmet(Unmet item) { report_.unmet.push_back(std::move(item)); }
  void note(Layer layer, std::string need, std::string text) {
    report_.notes.push_back({.layer = layer, .need = std::move(need), .text = std::move(text)});
  }
  void not_checked(Layer layer, std::string need, std::string reason) {
    report_.not_checked.push_back({.layer = layer, .need = std::move(need), .reason = std::move(reason)});
  }
  // Records `need` as not checked when the target has no `layer`; true when it has.
  bool require_layer(Layer layer, const std::string& need);

 private:
  const Needs& needs_;
  const probe::Manifest& target_;
  Report& report_;
};

void check_hardware(Context& context);
void check_kernel(Context& context);
void check_system(Context& context);
void check_language(Context& context);
void check_wasm(Context& context);  // language too: the engine a WebAssembly module runs on

// The verdict, from the report's unmet needs (verdict.cpp).
[[nodiscard]] Verdict decide(const Needs& needs, const Report& report);

// The oldest kernel release that has everything `needs` asks for: the
// newest of min_kernel and the kernel features' releases; "" when none.
[[nodiscard]] std::string kernel_floor(const Needs& needs);

// "6.1.0-18-amd64" -> "6.1.0": the numbers a release starts with.
[[nodiscard]] std::string release_numbers(std::string_view release);

// A word quoted for a POSIX shell when it needs it.
[[nodiscard]] std::string shell_quote(std::string_view word);

}  // namespace strata::check
