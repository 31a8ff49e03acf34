#include "providers/replicate_prompt.h"

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>

namespace kt::providers::replicate {
namespace json = boost::json;

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool contains(std::string_view hay, std::string_view needle) {
  return hay.find(needle) != std::string_view::npos;
}

// Meta's chat template trims every message (as the Hugging Face template does).
std::string_view trim(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

std::string normalise_role(std::string_view role) {
  if (role == "developer" || role == "system") return "system";
  if (role == "assistant") return "assistant";
  return "user";  // user, tool, function: text the model should read as input
}

std::string render_llama3(const std::vector<ChatMessage>& messages) {
  std::string out = "<|begin_of_text|>";
  for (const auto& m : messages) {
    out += "<|start_header_id|>";
    out += m.role;
    out += "<|end_header_id|>\n\n";
    out += trim(m.content);
    out += "<|eot_id|>";
  }
  out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
  return out;
}

// Mistral has no system role: system text opens the first user turn. Consecutive user turns
// share one [INST] block.
std::string render_mistral(const std::vector<ChatMessage>& messages) {
  std::string out = "<s>";
  std::string pending;  // user text of the open [INST] block
  bool open = false;
  auto close_inst = [&] {
    if (!open) return;
    out += "[INST] " + pending + " [/INST]";
    pending.clear();
    open = false;
  };
  for (const auto& m : messages) {
    if (m.role == "assistant") {
      close_inst();
      out += " " + m.content + "</s>";
      continue;
    }
    if (open) pending += "\n\n";
    pending += m.content;
    open = true;
  }
  close_inst();
  return out;
}

std::string render_plain(const std::vector<ChatMessage>& messages) {
  if (messages.size() == 1 && messages[0].role == "user") return messages[0].content;
  std::string out;
  for (const auto& m : messages) {
    std::string label = m.role == "system" ? "System" : m.role == "assistant" ? "Assistant" : "User";
    out += label + ": " + m.content + "\n\n";
  }
  out += "Assistant:";
  return out;
}

}  // namespace

ModelFamily model_family(std::string_view model) {
  std::string m = lower(model);
  if (contains(m, "llama-3") || contains(m, "llama3")) return ModelFamily::llama3;
  if (contains(m, "mistral") || contains(m, "mixtral")) return ModelFamily::mistral;
  return ModelFamily::plain;
}

const FamilyTraits& family_traits(ModelFamily family) {
  // Defaults from the model schemas in wire-formats §3 (cog-vllm 512, Mixtral 1024).
  static const FamilyTraits kLlama3{"max_tokens", 512, true, true};
  static const FamilyTraits kMistral{"max_new_tokens", 1024, true, false};
  static const FamilyTraits kPlain{"max_tokens", 512, false, false};
  switch (family) {
    case ModelFamily::llama3: return kLlama3;
    case ModelFamily::mistral: return kMistral;
    case ModelFamily::plain: return kPlain;
  }
  return kPlain;
}

std::string read_messages(const json::value& messages, std::vector<ChatMessage>& out) {
  const json::array* arr = messages.if_array();
  if (!arr || arr->empty()) return "'messages' must be a non-empty array";
  for (std::size_t i = 0; i < arr->size(); ++i) {
    std::string where = "messages[" + std::to_string(i) + "]";
    const json::object* msg = (*arr)[i].if_object();
    if (!msg) return where + " must be an object";
    const json::value* role = msg->if_contains("role");
    if (!role || !role->is_string()) return where + ".role must be a string";
    ChatMessage m{normalise_role(role->get_string()), {}};
    const json::value* content = msg->if_contains("content");
    if (!content || content->is_null()) {
      // An assistant turn that only called tools carries no text.
      out.push_back(std::move(m));
      continue;
    }
    if (content->is_string()) {
      m.content = std::string(content->get_string());
    } else if (const json::array* parts = content->if_array()) {
      for (std::size_t p = 0; p < parts->size(); ++p) {
        const json::object* part = (*parts)[p].if_object();
        const json::value* type = part ? part->if_contains("type") : nullptr;
        const json::value* text = part ? part->if_contains("text") : nullptr;
        if (!type || !type->is_string() || type->get_string() != "text" || !text ||
            !text->is_string()) {
          return where + ".content[" + std::to_string(p) +
                 "] is not a text part; the Replicate provider sends text only";
        }
        if (!m.content.empty()) m.content += "\n";
        m.content += text->get_string();
      }
    } else {
      return where + ".content must be a string or an array of parts";
    }
    out.push_back(std::move(m));
  }
  return {};
}

std::string render_prompt(ModelFamily family, const std::vector<ChatMessage>& messages) {
  switch (family) {
    case ModelFamily::llama3: return render_llama3(messages);
    case ModelFamily::mistral: return render_mistral(messages);
    case ModelFamily::plain: return render_plain(messages);
  }
  return {};
}

std::string first_system(const std::vector<ChatMessage>& messages) {
  for (const auto& m : messages) {
    if (m.role == "system") return m.content;
  }
  return {};
}

}  // namespace kt::providers::replicate
