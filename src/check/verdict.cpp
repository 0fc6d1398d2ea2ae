// The one verdict: the lowest layer with an unmet need, the isolation that
// makes it identical, what that environment must provide, and the command
// that runs the workload there.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "check/rules.hpp"

namespace strata::check {

namespace {

std::string command_text(const std::vector<std::string>& words) {
  if (words.empty()) {
    return "CMD";
  }
  std::vector<std::string> quoted;
  quoted.reserve(words.size());
  for (const std::string& word : words) {
    quoted.push_back(shell_quote(word));
  }
  return fmt::format("{}", fmt::join(quoted, " "));
}

// What the environment must provide at `layer`, in the order found, once each.
std::vector<std::string> provides(const Report& report, Layer layer) {
  std::vector<std::string> out;
  for (const Unmet& u : report.unmet) {
    if (u.layer == layer && !u.provide.empty() && std::ranges::find(out, u.provide) == out.end()) {
      out.push_back(u.provide);
    }
  }
  return out;
}

std::string join(const std::vector<std::string>& items, std::string_view separator = ", ") {
  return fmt::format("{}", fmt::join(items, separator));
}

// What the layers above the verdict's also need from that environment.
std::string above(const Report& report, Layer layer) {
  std::vector<std::string> out;
  for (const Layer upper : probe::kLayers) {
    if (upper > layer) {
      for (std::string& item : provides(report, upper)) {
        out.push_back(std::move(item));
      }
    }
  }
  return out.empty() ? "" : "; it must also provide " + join(out);
}

void kernel_verdict(const Needs& needs, const Report& report, Verdict& v) {
  std::vector<std::string> features;
  for (std::string& item : provides(report, Layer::kernel)) {
    if (!item.starts_with("Linux >= ")) {
      features.push_back(std::move(item));
    }
  }
  const std::string floor = kernel_floor(needs);
  v.requirement = fmt::format("a Linux {}kernel{}", floor.empty() ? "" : ">= " + floor + " ",
                              features.empty() ? "" : " with " + join(features, " and "));
  v.steps = {"strata run --isolation vm --kernel KERNEL -- " + command_text(report.command)};
}

// A WebAssembly module's engine: installed on the target, then the run on it.
void wasm_verdict(const Report& report, Verdict& v) {
  v.isolation = "wasm";
  v.requirement = join(provides(report, Layer::language));
  v.steps = {"strata run --isolation wasm -- " + command_text(report.command)};
}

// The venv (and npm) steps, then the run in it.
void language_verdict(const Needs& needs, const Report& report, Verdict& v) {
  std::vector<std::string> pip;
  std::vector<std::string> npm;
  for (const Unmet& u : report.unmet) {
    if (u.layer != Layer::language || u.isolation == "wasm") {
      continue;
    }
    (u.need.starts_with("python_packages ") ? pip : npm).push_back(shell_quote(u.provide));
  }
  if (pip.empty() && npm.empty()) {
    wasm_verdict(report, v);
    return;
  }
  std::vector<std::string> run = needs.command;
  if (!pip.empty()) {
    v.steps.push_back("python3 -m venv ENV && ENV/bin/pip install " + join(pip, " "));
    const bool python = !run.empty() && run.front().substr(run.front().rfind('/') + 1).starts_with("python");
    if (python || run.empty()) {
      if (python) {
        run.erase(run.begin());
      }
      v.steps.push_back("strata run -- ENV/bin/python " +
                        (run.empty() ? std::string("...") : command_text(run)));
    } else {
      v.steps.push_back("strata run -- env PATH=\"$PWD/ENV/bin:$PATH\" " + command_text(run));
    }
  }
  if (!npm.empty()) {
    v.steps.insert(v.steps.begin(), "npm install " + join(npm, " "));
    if (pip.empty()) {
      v.steps.push_back("strata run -- " + command_text(run));
    }
  }
  std::vector<std::string> env;
  std::vector<std::string> engine;
  for (const Unmet& u : report.unmet) {
    auto& list = u.isolation == "wasm" ? engine : env;
    if (u.layer == Layer::language && std::ranges::find(list, u.provide) == list.end()) {
      list.push_back(u.provide);
    }
  }
  v.requirement = "ENV with " + join(env) + (engine.empty() ? "" : "; the target also needs " + join(engine));
}

}  // namespace

Verdict decide(const Needs& needs, const Report& report) {
  Verdict v;
  if (report.satisfied()) {
    v.summary = report.not_checked.empty()
                    ? "the target meets every need: run the workload there as it is"
                    : fmt::format("the target meets every need checked ({} not checked, listed above)",
                                  report.not_checked.size());
    return v;
  }
  const Layer layer = std::ranges::min(report.unmet, {}, &Unmet::layer).layer;
  v.layer = layer;
  v.isolation = std::string(isolation_name(layer));
  switch (layer) {
    case Layer::hardware:
      v.requirement = join(provides(report, Layer::hardware));
      v.summary = fmt::format(
          "the lowest layer that must be identical is hardware: only matching hardware runs it "
          "(a VM or container adds no CPU features): {}",
          v.requirement);
      return v;
    case Layer::kernel:
      kernel_verdict(needs, report, v);
      v.summary = fmt::format("the lowest layer that must be identical is kernel: a VM with KERNEL = {}",
                              v.requirement);
      break;
    case Layer::system:
      v.requirement = join(provides(report, Layer::system));
      v.steps = {"strata run --image IMAGE -- " + command_text(report.command)};
      v.summary = fmt::format(
          "the lowest layer that must be identical is system: a container with IMAGE = an "
          "image with {}",
          v.requirement);
      break;
    case Layer::language:
      language_verdict(needs, report, v);
      v.summary =
          v.isolation == "wasm"
              ? fmt::format("the lowest layer that must be identical is language: a target with {}",
                            v.requirement)
              : fmt::format("the lowest layer that must be identical is language: a venv, {}", v.requirement);
      break;
  }
  v.summary += above(report, layer);
  return v;
}

}  // namespace strata::check
