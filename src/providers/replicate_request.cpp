#include "providers/replicate_request.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "config/provider_catalog.h"
#include "providers/replicate_prompt.h"

namespace kt::providers::replicate {
namespace json = boost::json;

namespace {

constexpr int kMaxChoices = 10;  // OpenAI allows more; each choice is a billed prediction

const json::value* field(const json::object& body, std::string_view name) {
  const json::value* v = body.if_contains(name);
  return v && !v->is_null() ? v : nullptr;
}

std::optional<std::int64_t> as_integer(const json::value& v) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64() && v.get_uint64() <= INT64_MAX) return static_cast<std::int64_t>(v.get_uint64());
  if (v.is_double() && std::trunc(v.get_double()) == v.get_double() &&
      std::fabs(v.get_double()) < 9e15) {
    return static_cast<std::int64_t>(v.get_double());
  }
  return std::nullopt;
}

// Copies a numeric sampling field unchanged. Returns "" or the error.
std::string copy_number(const json::object& body, std::string_view name, json::object& input) {
  const json::value* v = field(body, name);
  if (!v) return {};
  if (!v->is_number()) return "'" + std::string(name) + "' must be a number";
  input[name] = *v;
  return {};
}

std::string read_count(const json::object& body, int& n) {
  const json::value* v = field(body, "n");
  if (!v) return {};
  auto i = as_integer(*v);
  if (!i || *i < 1 || *i > kMaxChoices) {
    return "'n' must be an integer from 1 to " + std::to_string(kMaxChoices);
  }
  n = static_cast<int>(*i);
  return {};
}

// stop: a string or up to four strings → one comma-separated `stop_sequences` (the only form
// the predictors accept, so a stop string that itself contains a comma cannot be sent).
std::string read_stop(const json::object& body, json::object& input) {
  const json::value* v = field(body, "stop");
  if (!v) return {};
  std::vector<std::string_view> stops;
  if (v->is_string()) {
    stops.push_back(v->get_string());
  } else if (const json::array* arr = v->if_array()) {
    if (arr->size() > 4) return "'stop' may hold at most 4 sequences";
    for (const auto& s : *arr) {
      if (!s.is_string()) return "'stop' must be a string or an array of strings";
      stops.push_back(s.get_string());
    }
  } else {
    return "'stop' must be a string or an array of strings";
  }
  std::string joined;
  for (std::string_view s : stops) {
    if (s.empty()) continue;
    if (s.find(',') != std::string_view::npos) {
      return "'stop' sequences containing ',' cannot be sent to Replicate (it splits on commas)";
    }
    if (!joined.empty()) joined += ',';
    joined += s;
  }
  if (!joined.empty()) input["stop_sequences"] = joined;
  return {};
}

// max_completion_tokens (else max_tokens), clamped or filled by the target's cap.
std::string read_length(const json::object& body, const FamilyTraits& traits,
                        std::optional<int> cap, json::object& input, int& limit) {
  std::optional<std::int64_t> asked;
  for (std::string_view name : {"max_completion_tokens", "max_tokens"}) {
    const json::value* v = field(body, name);
    if (!v) continue;
    auto i = as_integer(*v);
    if (!i || *i < 1) return "'" + std::string(name) + "' must be a positive integer";
    asked = *i;
    break;
  }
  if (cap && (!asked || *asked > *cap)) asked = *cap;
  if (asked) {
    limit = static_cast<int>(std::min<std::int64_t>(*asked, INT32_MAX));
    input[traits.length_field] = limit;
  } else {
    limit = traits.default_length;
  }
  return {};
}

// The sampling fields shared by chat and completions.
std::string read_sampling(const json::object& body, json::object& input) {
  for (std::string_view name : {"temperature", "top_p", "presence_penalty", "frequency_penalty"}) {
    if (auto err = copy_number(body, name, input); !err.empty()) return err;
  }
  if (const json::value* seed = field(body, "seed")) {
    auto i = as_integer(*seed);
    if (!i) return "'seed' must be an integer";
    input["seed"] = *i;
  }
  return read_stop(body, input);
}

std::string text_common(const json::object& body, const FamilyTraits& traits,
                        std::optional<int> cap, TextPlan& out) {
  if (auto err = read_length(body, traits, cap, out.input, out.length_limit); !err.empty()) {
    return err;
  }
  if (auto err = read_sampling(body, out.input); !err.empty()) return err;
  return read_count(body, out.n);
}

}  // namespace

std::string create_call(std::string_view base_url, std::string_view model, CreateCall& out) {
  std::string why;
  auto parsed = config::parse_replicate_model(model, &why);
  if (!parsed) return why;
  std::string base(base_url);
  while (!base.empty() && base.back() == '/') base.pop_back();
  using Kind = config::ReplicateModel::Kind;
  switch (parsed->kind) {
    case Kind::official:
      out.url = base + "/models/" + parsed->owner + "/" + parsed->name + "/predictions";
      break;
    case Kind::version:
      out.url = base + "/predictions";
      out.version = parsed->version;
      break;
    case Kind::deployment:
      out.url = base + "/deployments/" + parsed->owner + "/" + parsed->name + "/predictions";
      break;
  }
  return {};
}

std::string create_body(const CreateCall& call, const json::object& input) {
  json::object body;
  if (!call.version.empty()) body["version"] = call.version;
  body["input"] = input;
  return json::serialize(body);
}

std::string chat_plan(const json::object& body, std::string_view model, std::optional<int> cap,
                      TextPlan& out) {
  const json::value* messages = body.if_contains("messages");
  if (!messages) return "'messages' is required";
  std::vector<ChatMessage> conversation;
  if (auto err = read_messages(*messages, conversation); !err.empty()) return err;
  ModelFamily family = model_family(model);
  const FamilyTraits& traits = family_traits(family);
  out.input["prompt"] = render_prompt(family, conversation);
  if (traits.prompt_template) out.input["prompt_template"] = "{prompt}";
  if (traits.system_prompt) {
    std::string system = first_system(conversation);
    if (!system.empty()) out.input["system_prompt"] = system;
  }
  return text_common(body, traits, cap, out);
}

std::string completion_plan(const json::object& body, std::string_view model,
                            std::optional<int> cap, TextPlan& out) {
  const json::value* prompt = field(body, "prompt");
  std::string_view text;
  if (prompt && prompt->is_string()) {
    text = prompt->get_string();
  } else if (const json::array* arr = prompt ? prompt->if_array() : nullptr;
             arr && arr->size() == 1 && (*arr)[0].is_string()) {
    text = (*arr)[0].get_string();
  } else {
    return "'prompt' must be a string (or an array holding one string) for Replicate models";
  }
  const FamilyTraits& traits = family_traits(model_family(model));
  out.input["prompt"] = text;
  if (traits.prompt_template) out.input["prompt_template"] = "{prompt}";
  return text_common(body, traits, cap, out);
}

ImageFamily image_family(std::string_view model) {
  return model.find("flux") != std::string_view::npos ? ImageFamily::flux
                                                      : ImageFamily::stable_diffusion;
}

std::optional<std::string> aspect_ratio(std::string_view size, ImageFamily family) {
  if (size == "auto") return std::string();
  auto x = size.find('x');
  if (x == std::string_view::npos || x == 0 || x + 1 >= size.size()) return std::nullopt;
  auto number = [](std::string_view s) -> double {
    if (s.size() > 5 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return 0;
    }
    return std::stod(std::string(s));
  };
  double w = number(size.substr(0, x)), h = number(size.substr(x + 1));
  if (w <= 0 || h <= 0) return std::nullopt;
  // The enums of flux-schnell and SD 3.5 (wire-formats §3.5, §3.6); SD has no 3:4 / 4:3.
  static const std::vector<std::pair<std::string, double>> kFlux = {
      {"1:1", 1.0},       {"16:9", 16.0 / 9}, {"21:9", 21.0 / 9}, {"3:2", 1.5},
      {"2:3", 2.0 / 3},   {"4:5", 0.8},       {"5:4", 1.25},      {"3:4", 0.75},
      {"4:3", 4.0 / 3},   {"9:16", 9.0 / 16}, {"9:21", 9.0 / 21}};
  double ratio = std::log(w / h);
  std::string best;
  double best_distance = 1e9;
  for (const auto& [name, value] : kFlux) {
    if (family == ImageFamily::stable_diffusion && (name == "3:4" || name == "4:3")) continue;
    double d = std::fabs(std::log(value) - ratio);
    if (d < best_distance) {
      best_distance = d;
      best = name;
    }
  }
  return best;
}

std::string image_plan(const json::object& body, std::string_view model, ImagePlan& out) {
  const json::value* prompt = field(body, "prompt");
  if (!prompt || !prompt->is_string() || prompt->get_string().empty()) {
    return "'prompt' must be a non-empty string";
  }
  if (auto err = read_count(body, out.n); !err.empty()) return err;
  ImageFamily family = image_family(model);
  json::object input;
  input["prompt"] = prompt->get_string();
  if (const json::value* size = field(body, "size")) {
    std::optional<std::string> ratio;
    if (size->is_string()) ratio = aspect_ratio(size->get_string(), family);
    if (!ratio) return "'size' must be \"auto\" or WIDTHxHEIGHT, e.g. \"1024x1024\"";
    if (!ratio->empty()) input["aspect_ratio"] = *ratio;
  }
  if (const json::value* format = field(body, "output_format")) {
    std::string_view f = format->is_string() ? format->get_string() : std::string_view();
    if (f == "jpeg" || f == "jpg") {
      input["output_format"] = "jpg";
    } else if (f == "png" || f == "webp") {
      input["output_format"] = f;
    } else {
      return "'output_format' must be one of png, jpeg, webp";
    }
  }
  if (const json::value* quality = field(body, "output_compression")) {
    auto q = as_integer(*quality);
    if (!q || *q < 0 || *q > 100) return "'output_compression' must be an integer from 0 to 100";
    input["output_quality"] = *q;
  }
  if (const json::value* format = field(body, "response_format")) {
    std::string_view f = format->is_string() ? format->get_string() : std::string_view();
    if (f != "url" && f != "b64_json") return "'response_format' must be \"url\" or \"b64_json\"";
    out.b64_json = f == "b64_json";
  }
  if (family == ImageFamily::flux) {
    // flux makes up to 4 images per prediction.
    for (int left = out.n; left > 0; left -= 4) {
      json::object one = input;
      one["num_outputs"] = std::min(left, 4);
      out.inputs.push_back(std::move(one));
    }
  } else {
    out.inputs.assign(static_cast<std::size_t>(out.n), input);
  }
  return {};
}

}  // namespace kt::providers::replicate
