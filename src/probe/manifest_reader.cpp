// Reading a manifest back. `strata diff` spends most of its time here, so the
// JSON is read with nlohmann's SAX interface straight into Facts: only the
// facts' values become JSON documents, not the wrappers around them (half
// the allocations of a full DOM, and a fresh process pays a page fault for
// every new page of heap).
#include <fmt/format.h>

#include <vector>

#include "base/json_error.hpp"
#include "probe/manifest.hpp"

namespace strata::probe {

namespace {

using nlohmann::json;

class ManifestSax : public nlohmann::json_sax<json> {
 public:
  // Where the parser is: what the next value means.
  enum class At { top, top_field, layers, layer, fact, fact_field, skip };

  bool null() override { return scalar(json()); }
  bool boolean(bool v) override { return scalar(json(v)); }
  bool number_integer(number_integer_t v) override { return scalar(json(v)); }
  bool number_unsigned(number_unsigned_t v) override { return scalar(json(v)); }
  bool number_float(number_float_t v, const string_t& /*text*/) override { return scalar(json(v)); }
  bool string(string_t& v) override { return scalar(json(std::move(v))); }
  bool binary(binary_t& /*v*/) override { return malformed("binary values are not JSON"); }

  bool start_object(std::size_t /*n*/) override { return start(json::object()); }
  bool start_array(std::size_t /*n*/) override { return start(json::array()); }
  bool end_object() override { return end(); }
  bool end_array() override { return end(); }

  bool key(string_t& k) override {
    if (!building_.empty()) {
      key_ = std::move(k);
      return true;
    }
    switch (at_) {
      case At::top:
        top_field_ = std::move(k);
        at_ = At::top_field;
        return true;
      case At::layers:
        return enter_layer(k);
      case At::layer:
        fact_key_ = std::move(k);
        have_value_ = have_source_ = false;
        at_ = At::fact;
        return true;
      case At::fact:
        field_ = std::move(k);
        at_ = At::fact_field;
        return true;
      default:
        return true;
    }
  }

  bool parse_error(std::size_t byte, const std::string& /*token*/,
                   const nlohmann::detail::exception& e) override {
    syntax_error_ = true;
    error_byte_ = byte;
    error_ = json_error_text(e.what());
    return false;
  }

  Manifest manifest;
  std::string schema;
  bool saw_layers = false;
  bool top_is_object = false;
  bool syntax_error_ = false;
  std::size_t error_byte_ = 0;
  std::string error_;  // a syntax or shape problem, in words

 private:
  bool malformed(std::string what) {
    error_ = "malformed manifest (" + std::move(what) + ")";
    return false;
  }

  bool enter_layer(const std::string& name) {
    const auto layer = parse_layer(name);
    if (!layer) {
      return malformed(fmt::format("unknown layer \"{}\"", name));
    }
    layer_ = *layer;
    layer_name_ = name;
    at_ = At::layer;
    expect_object_ = true;
    return true;
  }

  // A value inside a fact's "value", being built as a document.
  bool put(json v) {
    json& parent = *building_.back();
    if (parent.is_object()) {
      parent[key_] = std::move(v);
      return true;
    }
    parent.push_back(std::move(v));
    return true;
  }

  bool scalar(json v) {
    if (!building_.empty()) {
      return put(std::move(v));
    }
    return place(std::move(v));
  }

  // A complete value (scalar, or a container just closed) at the current place.
  bool place(json v) {
    switch (at_) {
      case At::top_field:
        at_ = At::top;
        return top_value(v);
      case At::fact_field:
        at_ = At::fact;
        return fact_value(std::move(v));
      case At::fact:
        return bad_fact();
      case At::layer:
      case At::layers:
        return malformed(fmt::format("layer \"{}\" is not an object", layer_name_));
      default:
        return malformed("unexpected value");
    }
  }

  bool top_value(const json& v) {
    if (top_field_ == "schema" && v.is_string()) {
      schema = v.get<std::string>();
    } else if (top_field_ == "generator" && v.is_string()) {
      manifest.generator = v.get<std::string>();
    } else if (top_field_ == "target" && v.is_string()) {
      manifest.target = v.get<std::string>();
    } else if (top_field_ == "redacted" && v.is_boolean()) {
      manifest.redacted = v.get<bool>();
    } else if (top_field_ == "layers") {
      return malformed("\"layers\" is not an object");
    }
    return true;
  }

  bool fact_value(json v) {
    if (field_ == "value") {
      value_ = std::move(v);
      have_value_ = true;
    } else if (field_ == "source") {
      if (!v.is_string()) {
        return bad_fact();
      }
      source_ = v.get<std::string>();
      have_source_ = true;
    }
    return true;
  }

  bool bad_fact() {
    return malformed(fmt::format("fact \"{}.{}\" needs \"value\" and \"source\"", layer_name_, fact_key_));
  }

  bool start(json container) {
    if (!building_.empty()) {
      json& parent = *building_.back();
      json* child = parent.is_object() ? &(parent[key_] = std::move(container))
                                       : &parent.emplace_back(std::move(container));
      building_.push_back(child);
      return true;
    }
    const bool object = container.is_object();
    switch (at_) {
      case At::top:
        if (depth_ == 0 && object) {
          top_is_object = true;
          ++depth_;
          return true;
        }
        return malformed("top level is not an object");
      case At::top_field:
        if (top_field_ == "layers" && object) {
          saw_layers = true;
          at_ = At::layers;
          return true;
        }
        return capture(std::move(container));
      case At::layers:
        return malformed("\"layers\" is not an object");
      case At::layer:
        if (expect_object_ && object) {
          expect_object_ = false;
          return true;
        }
        return malformed(fmt::format("layer \"{}\" is not an object", layer_name_));
      case At::fact:
        if (object) {
          return true;
        }
        return bad_fact();
      case At::fact_field:
        return capture(std::move(container));
      default:
        return malformed("unexpected value");
    }
  }

  // Starts building a document for a top-level field or a fact's field.
  bool capture(json container) {
    root_ = std::move(container);
    building_.push_back(&root_);
    return true;
  }

  bool end() {
    if (building_.size() > 1) {
      building_.pop_back();
      return true;
    }
    if (building_.size() == 1) {
      building_.clear();
      return place(std::move(root_));
    }
    switch (at_) {
      case At::fact:  // the end of one fact's wrapper
        if (!have_value_ || !have_source_) {
          return bad_fact();
        }
        {
          Facts& facts = manifest.layers[layer_];
          facts.insert_or_assign(facts.end(), std::move(fact_key_),
                                 Fact{.value = std::move(value_), .source = std::move(source_)});
        }
        at_ = At::layer;
        return true;
      case At::layer:
        at_ = At::layers;
        manifest.layers[layer_];
        return true;
      case At::layers:
        at_ = At::top;
        return true;
      default:
        return true;
    }
  }

  At at_ = At::top;
  int depth_ = 0;
  std::string top_field_;
  Layer layer_ = Layer::hardware;
  std::string layer_name_;
  bool expect_object_ = false;
  std::string fact_key_;
  std::string field_;
  json value_;
  std::string source_;
  bool have_value_ = false;
  bool have_source_ = false;
  json root_;                    // the value being captured
  std::vector<json*> building_;  // its open containers, innermost last
  std::string key_;              // the key for the next member of an open object
};

}  // namespace

Result<Manifest> manifest_from_json(std::string_view text, const std::string& origin) {
  const std::string step = "read manifest";
  ManifestSax sax;
  const bool ok = json::sax_parse(text.begin(), text.end(), &sax);
  if (sax.syntax_error_) {
    const bool truncated = sax.error_byte_ >= text.size();
    return fail(step, origin,
                truncated ? fmt::format("truncated JSON (ends after {} bytes)", text.size())
                          : fmt::format("not JSON ({})", sax.error_));
  }
  if (!sax.top_is_object) {
    return fail(step, origin, "not a strata manifest (top level is not an object)");
  }
  // The schema is judged before the shape: a newer manifest may be shaped otherwise.
  if (sax.schema.empty()) {
    return fail(step, origin, "not a strata manifest (no \"schema\" field)");
  }
  if (sax.schema != kSchema) {
    return fail(step, origin,
                fmt::format("unsupported schema \"{}\" (this strata reads \"{}\")", sax.schema, kSchema));
  }
  if (!ok) {
    return fail(step, origin, sax.error_);
  }
  if (!sax.saw_layers) {
    return fail(step, origin, "malformed manifest (\"layers\" is missing or not an object)");
  }
  return std::move(sax.manifest);
}

}  // namespace strata::probe
