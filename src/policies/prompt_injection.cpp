// prompt_injection.cpp — see prompt_injection.h.
//
// The signatures are word-class patterns, not sentences: a verb class ("ignore", "disregard",
// "set aside", ...) followed within a few filler words by an object class ("previous
// instructions", "your rules", ...). They run on normalised text: lower case, single spaces.
// A weak signal (a role-play framing, "from now on, you will") alone stays under the default
// threshold; it takes a strong signal or several weak ones to block.
#include "policies/prompt_injection.h"

#include <hs/hs.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>

#include "scan/db_cache.h"
#include "scan/decode.h"
#include "scan/matcher.h"
#include "scan/normalize.h"

namespace kt::policies {
namespace {

enum Family : unsigned {
  instruction_override,
  persona_hijack,
  system_prompt_exfiltration,
  fake_boundary,
  refusal_suppression,
  tool_hijack,
  markdown_exfiltration,
  jailbreak_framing,
  custom,
  family_count
};

constexpr std::array<const char*, family_count> kFamilyNames = {
    "instruction_override", "persona_hijack",        "system_prompt_exfiltration",
    "fake_boundary",        "refusal_suppression",   "tool_hijack",
    "markdown_exfiltration", "jailbreak_framing",    "custom"};

struct Signature {
  Family family;
  double weight;
  std::string regex;
};

// Filler of about n words (8 characters each) within one sentence between two parts of a
// pattern ("ignore" G(3) "instructions"). A bounded character class, not a bounded repeat of
// words: Hyperscan compiles the former in milliseconds and the latter in seconds.
std::string G(int n) { return "(?: [^.!?]*)? "; }

// ---- English word classes ----
const std::string kIgnore =
    "(?:ignore|ignoring|disregard|disregarding|forget|forgetting|overlook|skip|bypass|override|"
    "overrule|discard|abandon|neglect|set aside|put aside|throw out|toss out|erase|pay no "
    "(?:attention|heed|mind) to|(?:do not|don(?:'|’)?t|stop|quit|cease|no longer) "
    "(?:follow|following|obey|obeying|listen(?:ing)? to|adher(?:e|ing) to|abid(?:e|ing) by))";
const std::string kPrior =
    "(?:previous|previously|prior|preceding|above|earlier|former|foregoing|aforementioned|"
    "original|initial|past|system|developer|given|starting|first)";
const std::string kRules =
    "(?:instructions?|directives?|directions|rules|guidelines|guidance|prompts?|commands|orders|"
    "constraints|restrictions|programming|policies|limitations|training|guardrails|"
    "safeguards)";
const std::string kReveal =
    "(?:reveal|show|print|display|output|repeat|recite|tell me|give me|share|dump|leak|list|"
    "write out|write down|spell out|quote|disclose|expose|paste|echo|provide|send me|"
    "what (?:is|are|were|was))";
const std::string kSecretAdj =
    "(?:system|initial|original|hidden|secret|internal|developer|confidential|pre-?|starting|"
    "first|configuration|setup|underlying|real)";
const std::string kPromptNoun =
    "(?:prompt|prompts|instructions|message|directives|rules|configuration|guidelines)";
const std::string kLimits =
    "(?:restrictions|limits|limitations|filters|filtering|rules|guidelines|morals|ethics|"
    "censorship|boundaries|policies|constraints|safeguards|guardrails)";
const std::string kYou =
    "(?:you are|you(?:'|’)re|you will be|you(?:'|’)ll be|you are going to (?:be|act as|pretend to be))";

std::vector<Signature> builtin_signatures(bool fake_boundaries) {
  std::vector<Signature> s = {
      // ---- instruction override ----
      {instruction_override, 0.9, "\\b" + kIgnore + G(4) + kPrior + G(3) + kRules + "\\b"},
      {instruction_override, 0.85,
       "\\b" + kIgnore + G(2) + "(?:all|any|every|each|the|these|those|your)" + G(2) + kRules +
           G(5) + "(?:before|above|earlier|previously|so far|until now|up to now|you "
                  "(?:got|received|were given|have been given|were told|have))\\b"},
      {instruction_override, 0.8, "\\b" + kIgnore + G(2) + "your" + G(2) + kRules + "\\b"},
      {instruction_override, 0.45, "\\b" + kIgnore + " (?:all|any|every)" + G(2) + kRules + "\\b"},
      {instruction_override, 0.6,
       "\\b" + kIgnore +
           " (?:everything|all|anything|what(?:ever)?)(?: that)? you(?:(?:'|’)ve| have| were| had)? "
           "(?:been )?(?:told|instructed|taught|given|learned|learnt|programmed|know)\\b"},
      {instruction_override, 0.6,
       "\\b" + kIgnore + " (?:everything|all|anything)(?: of)?(?: that| this)?(?: text)? "
                         "(?:above|before|prior|previously|so far)\\b"},
      {instruction_override, 0.7,
       "\\b(?:ignore|disregard|forget) (?:all |everything )?(?:of )?(?:the |that |this )?"
       "(?:above|previous|prior|preceding)(?: text| content| message| input| prompt)?"
       "(?: and| then|,|\\.|;|:) (?:instead )?(?:just )?(?:say|print|output|write|respond|reply|"
       "tell|answer|translate|repeat|act|pretend|reveal|show|list)\\b"},
      {instruction_override, 0.85,
       "\\b(?:(?:above|previous|prior|preceding|earlier|original) " + kRules + "|" + kRules +
           " (?:above|before|so far|given))" + G(3) +
           "(?:no longer apply|do not apply|don(?:'|’)t apply|(?:is|are) (?:now )?(?:void|obsolete|"
           "revoked|cancel+ed|null|invalid|outdated|suspended|lifted|overridden))\\b"},
      {instruction_override, 0.35,
       "\\b(?:new|updated|real|actual|true|revised|override) (?:instructions|rules|directives|"
       "task|orders|objective|system prompt|prompt) ?(?:for you ?)?:"},
      {instruction_override, 0.45,
       "\\b(?:stop|halt|cancel|abort) (?:everything|all (?:previous |prior |other )?(?:tasks|"
       "instructions|actions|work)|what(?:ever)? you(?:(?:'|’)re| are) doing)\\b"},
      {instruction_override, 0.3,
       "\\bjust (?:say|print|output|write|respond with|reply with|answer with|type) [\"“'‘]"},
      {instruction_override, 0.25, "\\bnever ?mind[.,!]? (?:ignore|forget|instead|just)\\b"},
      // ---- persona hijack ----
      {persona_hijack, 0.85, "\\b(?:do anything now|dan mode|jailbreak mode|god mode enabled)\\b"},
      {persona_hijack, 0.45,
       "\\b(?:developer mode (?:enabled|output|on|activated)|(?:enable|activate|enter|switch to)"
       " (?:the )?developer mode)\\b"},
      {persona_hijack, 0.75,
       "\\b(?:" + kYou +
           "|act as|acting as|behave (?:as|like)|pretend (?:to be|you are|you(?:'|’)re)|role-?play "
           "as|play the role of|become|take on the role of|immerse yourself (?:in|into) the role "
           "of|simulate)" + G(5) +
           "(?:unrestricted|unfiltered|uncensored|unlimited|unbound|unchained|limitless|amoral|"
           "jailbroken|(?:without|with no|with zero|free of|free from|have no|has no|having no) "
           "(?:any )?" + kLimits +
           ")\\b"},
      {persona_hijack, 0.6,
       "\\b(?:ai|model|assistant|chatbot|bot|llm|language model|version of yourself|persona) "
       "(?:that|which|who) (?:can|will|does|has|doesn(?:'|’)t|does not|never|ignores|is not bound)" +
           G(4) + "(?:restrictions|rules|filters|refuse|censor|policies|guidelines)\\b"},
      {persona_hijack, 0.55,
       "\\b(?:take on|assume|adopt|play|switch to) the (?:role|persona|identity|character) of" +
           G(6) + "(?:ai|language model|model|assistant|chatbot)\\b"},
      {persona_hijack, 0.4,
       "\\b(?:from (?:now on|this (?:moment|point)(?: on)?|here on)|henceforth|for the rest of "
       "(?:this|our) conversation|starting (?:now|immediately)),? you(?: are| will| must| shall| "
       "should| have to|(?:'|’)re|(?:'|’)ll)\\b"},
      {persona_hijack, 0.55,
       "\\byou are (?:now|going to (?:be|act as|pretend)|about to (?:become|immerse))" + G(3) +
           "(?:called|named|known as|an? (?:new |different |another )?(?:ai|model|assistant|"
           "persona|character|chatbot))\\b"},
      {persona_hijack, 0.5,
       "\\b(?:two|2|both) (?:different |separate )?(?:responses|answers|ways|paragraphs|"
       "outputs)" + G(12) + "(?:normal|classic|standard|censored|filtered|unfiltered|jailbroken|"
       "jailbreak)\\b"},
      {persona_hijack, 0.45,
       "\\b(?:freed|broken free|break free|liberated|released|escaped) (?:[^ ]+ ){0,2}(?:from|"
       "of) (?:the |all )?(?:typical |usual )?(?:confines|constraints|restrictions|rules|limits|"
       "limitations|shackles|chains)\\b"},
      {persona_hijack, 0.35, "\\b(?:can|will|could) do anything(?: and everything)?(?: now)?\\b"},
      {persona_hijack, 0.5,
       "\\b(?:not|no longer|never) (?:bound|restricted|limited|constrained|governed) by" + G(3) +
           "(?:rules|guidelines|policies|polic(?:y|ies)|restrictions|instructions|programming|"
           "openai|ethics|morals)\\b"},
      // ---- system-prompt exfiltration ----
      {system_prompt_exfiltration, 0.85,
       "\\b" + kReveal + G(4) + "your" + G(2) + kSecretAdj + " ?" + kPromptNoun + "\\b"},
      {system_prompt_exfiltration, 0.6,
       "\\b" + kReveal + G(4) + "(?:the|its)" + G(2) +
           "(?:system|initial|original|hidden|secret|developer|confidential|pre-?) ?prompt\\b"},
      {system_prompt_exfiltration, 0.55,
       "\\b(?:repeat|print|output|recite|copy|echo|write out|reproduce|return)" + G(3) +
           "(?:words|text|everything|content|contents|instructions|lines|sentences|messages?) "
           "(?:above|before|preceding|prior|that (?:appears?|came|comes) before|at the "
           "(?:start|beginning))\\b"},
      {system_prompt_exfiltration, 0.6,
       "\\b(?:starting|beginning|start|begin) with [\"“'‘]?you are (?:chatgpt|a helpful|an ai|"
       "an assistant)"},
      // ---- refusal suppression ----
      {refusal_suppression, 0.7,
       "\\bnever (?:say|tell|respond|reply|mention|state|claim|admit|use the (?:words?|phrases?))" +
           G(4) + "(?:can(?:'|’)?t|cannot|can not|unable|not able|won(?:'|’)?t|sorry|apologi[sz]e|as "
                  "an ai|language model|not allowed|inappropriate)"},
      {refusal_suppression, 0.6,
       "\\b(?:never|not|don(?:'|’)t|do not|must not|mustn(?:'|’)t|cannot|can(?:'|’)t|won(?:'|’)t|will "
       "not|shall not|no longer) (?:ever )?(?:refuse[ds]?|decline[ds]?) (?:a |any |to |my |your "
       "|the |direct |human )*(?:request|question|order|prompt|answer|respond|comply|help)"},
      {refusal_suppression, 0.3,
       "\\b(?:never|not|don(?:'|’)t|do not|must not|cannot|can(?:'|’)t|won(?:'|’)t|will not) (?:ever )?"
       "(?:refuse|decline)"},
      {refusal_suppression, 0.35,
       "\\b(?:without|no|skip|omit|don(?:'|’)t (?:add|include|give)|do not (?:add|include|give)) "
       "(?:any )?(?:warnings?|disclaimers?|caveats?|moraliz[a-z]*|moralis[a-z]*|ethical "
       "(?:concerns|considerations|warnings|guidelines)|apolog[a-z]*|censorship)\\b"},
      {refusal_suppression, 0.5,
       "\\b(?:start|begin) (?:your |each |every )?(?:reply|response|answer|output)s? with "
       "[\"“'‘]?(?:sure|absolutely|certainly|of course)"},
      {refusal_suppression, 0.4,
       "\\b(?:doesn(?:'|’)t|does not|don(?:'|’)t|do not|never|not) (?:have to |need to )?(?:follow|"
       "abide by|adhere to|comply with|care about|respect|obey)" + G(3) +
           "(?:content polic(?:y|ies)|openai|guidelines|safety|ethics|ethical|moral)"},
      // ---- tool hijack and indirect injection ----
      {tool_hijack, 0.55,
       "\\b(?:call|invoke|use|execute|trigger|run) (?:the )?[a-z0-9_.-]+ ?(?:tool|function|"
       "plugin)" + G(10) + "(?:send|forward|email|post|upload|transfer|delete|exfiltrate)\\b"},
      {tool_hijack, 0.55,
       "\\b(?:forward|send|email|upload|post|exfiltrate|transfer|leak|copy)" + G(4) +
           "(?:inbox|emails|e-mails|conversation|chat history|history|credentials|passwords?|api "
           "keys?|secrets?|tokens?|private keys?|contacts|ssh keys?)" + G(4) +
           "to (?:[^ ]+@|https?://|the (?:following|address|url|endpoint|server))"},
      {tool_hijack, 0.5,
       "\\b(?:when|if|once|while) (?:you |the (?:ai|assistant|model|bot|agent) )?(?:are )?"
       "(?:summari[sz]e|summari[sz]ing|read|reading|process|processing|parse|parsing|browse|"
       "browsing|encounter) (?:this|these)" + G(6) +
           "(?:call|invoke|send|forward|execute|ignore|must|instead|output)\\b"},
      {tool_hijack, 0.45,
       "\\b(?:(?:note|message|instructions?) (?:to|for) (?:the |any )?(?:ai|assistant|llm|"
       "language model|chatbot|agent|model)s?|(?:ai|assistant|llm|agent|model)s? (?:reading|"
       "processing|summari[sz]ing) this)\\b"},
      // ---- markdown image exfiltration ----
      {markdown_exfiltration, 0.9,
       "!\\[[^\\]]*\\]\\( ?https?://[^ )]+[?&][^ )=]+=[^ )]*(?:\\{|\\[|"
       "%7b|\\$|<|\\.\\.\\.|insert|data|secret|history|conversation|password|token|user|query|"
       "prompt)"},
      {markdown_exfiltration, 0.3, "!\\[[^\\]]*\\]\\( ?https?://[^ )]+\\?"},
      {markdown_exfiltration, 0.45,
       "\\b(?:render|display|include|append|add|embed|output|show|insert)" + G(5) +
           "(?:markdown )?image" + G(8) + "(?:containing|with|including|that (?:contains|"
           "includes)|appending|encod(?:e|ing))" + G(4) +
           "(?:data|conversation|history|secret|password|user|information|details|content|"
           "messages?)\\b"},
      // ---- jailbreak framing ----
      {jailbreak_framing, 0.25,
       "\\b(?:hypothetical(?:ly)?|fictional world|let(?:'|’)?s play a game|thought experiment|for "
       "(?:purely )?(?:educational|research) purposes|purely academic)\\b"},
      {jailbreak_framing, 0.6,
       "\\b(?:bypass|circumvent|evade|get around|disable|turn off|deactivate|remove|override|"
       "break|jailbreak|escape|ignore)" + G(2) +
           "(?:your|its|the ai(?:'|’)?s?|openai(?:'|’)?s?|chatgpt(?:'|’)?s?|the model(?:'|’)?s?)" + G(2) +
           "(?:filters?|guardrails?|restrictions|safeguards|censorship|policies|guidelines|"
           "alignment|moderation|safety|programming|limitations|ethics|training)\\b"},
      {jailbreak_framing, 0.35,
       "\\b(?:if you had no|without (?:any )?|with no |free of (?:any )?)(?:content "
       "polic(?:y|ies)|ethical (?:guidelines|constraints|restrictions)|moral (?:guidelines|"
       "constraints|compass|restrictions)|safety (?:guidelines|filters|restrictions|rules)|"
       "restrictions|filters|censorship)\\b"},
      {jailbreak_framing, 0.35,
       "\\b(?:stay|remain) in (?:character|role)|(?:don(?:'|’)t|never|do not) break character\\b"},
      {jailbreak_framing, 0.3,
       "\\b(?:opposite|evil|dark|shadow|unfiltered|uncensored|alter) (?:ego|twin|mode|persona)\\b"},
      // ---- French ----
      {instruction_override, 0.85,
       "\\b(?:ignore[zr]?|oublie[zr]?|n(?:'|’)?obéis plus|ne tiens? (?:pas|plus) compte de|fais "
       "abstraction de) (?:toutes |tous )?(?:les|vos|tes|ces|des)" + G(2) +
           "(?:instructions|consignes|règles|regles|directives)"},
      {system_prompt_exfiltration, 0.85,
       "\\b(?:révèle|revele|révélez|revelez|montre|montrez|affiche|affichez|donne|donnez|répète|"
       "repete|répétez|repetez|dis-moi|dites-moi)" + G(4) +
           "(?:prompt|invite|instructions|message|consignes) (?:système|systeme|initiale?s?|"
       "d(?:'|’)origine|cachée?s?|secrète?s?)"},
      // ---- German ----
      {instruction_override, 0.85,
       "\\b(?:ignorier(?:e|en|t)?|vergiss|vergessen sie|missachte|missachten sie)" + G(4) +
           "(?:anweisungen|instruktionen|regeln|befehle|vorgaben|richtlinien)"},
      {system_prompt_exfiltration, 0.85,
       "\\b(?:zeig|zeige|zeigen sie|gib|geben sie|nenne|verrate|wiederhole|drucke)" + G(4) +
           "(?:system-?prompt|systemnachricht|systemanweisungen|anfangsanweisungen|"
           "ursprünglichen anweisungen)"},
      // ---- Spanish ----
      {instruction_override, 0.85,
       "\\b(?:ignora|ignore|ignorad|olvida|olvide|olvidad|omite|descarta|haz caso omiso de)" +
           G(4) + "(?:instrucciones|reglas|indicaciones|directrices|órdenes|ordenes)"},
      {system_prompt_exfiltration, 0.85,
       "\\b(?:muestra|muéstrame|muestrame|revela|revélame|dime|repite|imprime|enséñame)" + G(4) +
           "(?:prompt|instrucciones|mensaje) (?:del sistema|de sistema|inicial(?:es)?|"
           "original(?:es)?|ocult[oa]s?)"},
      // ---- Italian ----
      {instruction_override, 0.85,
       "\\b(?:ignora|ignorate|dimentica|dimenticate|trascura|non seguire più)" + G(4) +
           "(?:istruzioni|regole|indicazioni|direttive)"},
      {system_prompt_exfiltration, 0.85,
       "\\b(?:rivela|mostra|mostrami|ripeti|stampa|dimmi|rivelami)" + G(4) +
           "(?:prompt|istruzioni|messaggio) (?:di|del) sistema"},
      // ---- Portuguese ----
      {instruction_override, 0.85,
       "\\b(?:ignore|ignora|esqueça|esqueca|esquece|desconsidere|desconsidera)" + G(4) +
           "(?:instruções|instrucoes|regras|diretrizes|orientações|orientacoes)"},
      {system_prompt_exfiltration, 0.85,
       "\\b(?:mostre|mostra|revele|revela|diga|repita|imprima|exiba)" + G(4) +
           "(?:prompt|instruções|instrucoes|mensagem) (?:do|de) sistema"},
      // ---- Dutch ----
      {instruction_override, 0.85,
       "\\b(?:negeer|vergeet|negeren)" + G(4) + "(?:instructies|regels|aanwijzingen|opdrachten)"},
      {system_prompt_exfiltration, 0.85,
       "\\b(?:toon|laat|geef|herhaal|onthul)" + G(4) +
           "(?:systeemprompt|systeem-prompt|systeeminstructies|systeembericht)"},
      // ---- Russian ----
      {instruction_override, 0.85,
       "(?:игнорируй|игнорируйте|проигнорируй|забудь|забудьте|не обращай внимания на)" + G(4) +
           "(?:инструкци|правил|указани|команд)"},
      {system_prompt_exfiltration, 0.85,
       "(?:покажи|покажите|выведи|раскрой|повтори|скажи|напиши)" + G(4) +
           "(?:системн[^ ]* (?:промпт|подсказк|инструкци|сообщени)|промпт)"},
      // ---- Chinese (simplified and traditional) ----
      {instruction_override, 0.85,
       "(?:忽略|忽视|無視|无视|忘记|忘記|忘掉|不要理会|不要理會)[^。！？]{0,12}(?:指令|指示|说明|說明|规则|規則|提示)"},
      {system_prompt_exfiltration, 0.85,
       "(?:告诉|告訴|显示|顯示|输出|輸出|打印|透露|泄露|洩露|重复|重複|给我看|給我看)[^。！？]{0,10}"
       "(?:系统提示|系統提示|系统指令|系統指令|初始指令|提示词|提示詞)"},
      // ---- Japanese ----
      {instruction_override, 0.85,
       "(?:指示|命令|ルール|指令|プロンプト)[^。！？]{0,12}(?:無視|忘れ)"},
      {system_prompt_exfiltration, 0.85,
       "(?:システムプロンプト|初期指示|システム指示|システムメッセージ)[^。！？]{0,12}(?:表示|教え|見せ|出力|繰り返|開示)"},
  };
  if (fake_boundaries) {
    std::vector<Signature> b = {
        {fake_boundary, 0.95,
         "<\\|(?:im_start|im_end|im_sep|endoftext|end_of_text|begin_of_text|start_header_id|"
         "end_header_id|eot_id|system|user|assistant|fim_prefix)\\|>"},
        {fake_boundary, 0.9, "\\[/?inst\\]|<</?sys>>"},
        {fake_boundary, 0.6,
         "#{2,4} ?(?:system|instructions?|new instructions|admin)(?: prompt| message)? ?:"},
        {fake_boundary, 0.35, "</s>"},
        {fake_boundary, 0.7, "</s> ?<s>|</s> ?<\\|"},
        {fake_boundary, 0.5,
         "\\[(?:system|admin|developer)(?: message| note| prompt)?\\]|\\bnew (?:system|admin|"
         "developer) (?:message|instructions?|prompt|rules)\\b"},
        {fake_boundary, 0.45, "\\bend of (?:user input|user message|prompt|the prompt|context)\\b"},
    };
    s.insert(s.end(), b.begin(), b.end());
  }
  return s;
}

struct DatabaseFree {
  void operator()(hs_database_t* db) const { hs_free_database(db); }
};

// A compiled signature set. Pattern ids index `signatures`.
struct SignatureDb {
  std::vector<Signature> signatures;
  std::unique_ptr<hs_database_t, DatabaseFree> db;
  std::uint64_t serial = scan::new_database_serial();  // its per-thread scratch key
};

// True when a character class holds a non-ASCII character: only then does the pattern need
// Hyperscan's UTF-8 mode (byte mode compiles faster and matches the same otherwise).
bool needs_utf8(const std::string& regex) {
  bool in_class = false;
  for (std::size_t i = 0; i < regex.size(); ++i) {
    char c = regex[i];
    if (c == '\\') {
      ++i;
    } else if (c == '[') {
      in_class = true;
    } else if (c == ']') {
      in_class = false;
    } else if (in_class && static_cast<unsigned char>(c) >= 0x80) {
      return true;
    }
  }
  return false;
}

// Compiles `sigs`; on failure throws with the index of the rejected pattern.
std::unique_ptr<SignatureDb> compile(std::vector<Signature> sigs, bool user_patterns) {
  auto out = std::make_unique<SignatureDb>();
  out->signatures = std::move(sigs);
  std::vector<const char*> exprs;
  std::vector<unsigned> flags, ids;
  for (std::size_t i = 0; i < out->signatures.size(); ++i) {
    const std::string& re = out->signatures[i].regex;
    exprs.push_back(re.c_str());
    unsigned f = HS_FLAG_SINGLEMATCH;
    if (user_patterns) f |= HS_FLAG_CASELESS | HS_FLAG_UTF8;
    if (needs_utf8(re)) f |= HS_FLAG_UTF8;
    flags.push_back(f);
    ids.push_back(static_cast<unsigned>(i));
  }
  hs_database_t* db = nullptr;
  hs_compile_error_t* err = nullptr;
  if (scan::compile_multi_cached(exprs.data(), flags.data(), ids.data(),
                                 static_cast<unsigned>(exprs.size()), HS_MODE_BLOCK, &db,
                                 &err) != HS_SUCCESS) {
    std::string what = err && err->message ? err->message : "unknown error";
    int index = err ? err->expression : -1;
    hs_free_compile_error(err);
    if (user_patterns) {
      throw std::invalid_argument("policy.prompt-injection.attack_patterns[" +
                                  std::to_string(index) + "]: invalid pattern: " + what);
    }
    throw std::logic_error("prompt-injection: built-in signature " + std::to_string(index) +
                           " does not compile: " + what);
  }
  out->db.reset(db);
  return out;
}

// The built-in set compiles once per process (seconds, unless the database cache has it) and is
// shared by every config; each variant only when a config asks for it.
const SignatureDb& builtin_db(bool fake_boundaries) {
  if (fake_boundaries) {
    static const std::unique_ptr<SignatureDb> with = compile(builtin_signatures(true), false);
    return *with;
  }
  static const std::unique_ptr<SignatureDb> without = compile(builtin_signatures(false), false);
  return *without;
}

struct ScanState {
  const std::vector<Signature>* signatures;
  std::array<double, family_count>* family_miss;  // product of (1 - weight) per family
};

// Every signature is HS_FLAG_SINGLEMATCH: Hyperscan reports each id at most once per scan.
int on_match(unsigned id, unsigned long long, unsigned long long, unsigned, void* ctx) {
  auto* st = static_cast<ScanState*>(ctx);
  const Signature& sig = (*st->signatures)[id];
  (*st->family_miss)[sig.family] *= 1.0 - sig.weight;
  return 0;
}

void scan_db(const SignatureDb& sdb, std::string_view text,
             std::array<double, family_count>& miss) {
  ScanState st{&sdb.signatures, &miss};
  hs_error_t err = hs_scan(sdb.db.get(), text.data(), static_cast<unsigned>(text.size()), 0,
                           scan::thread_scratch(sdb.db.get(), sdb.serial), on_match, &st);
  if (err != HS_SUCCESS) throw std::runtime_error("prompt-injection: signature scan failed");
}

}  // namespace

struct PromptInjectionDetector::Impl {
  config::PromptInjectionSettings settings;
  const SignatureDb* builtin = nullptr;
  std::unique_ptr<SignatureDb> custom_db;  // null without attack_patterns

  // Scans one view; returns per-family weights of this view (noisy-OR within a family).
  std::array<double, family_count> scan(std::string_view text) const {
    std::array<double, family_count> miss;
    miss.fill(1.0);
    scan_db(*builtin, text, miss);
    if (custom_db) scan_db(*custom_db, text, miss);
    std::array<double, family_count> hit;
    for (unsigned f = 0; f < family_count; ++f) hit[f] = 1.0 - miss[f];
    return hit;
  }
};

PromptInjectionDetector::PromptInjectionDetector(const config::PromptInjectionSettings& settings)
    : impl_(std::make_unique<Impl>()) {
  impl_->settings = settings;
  if (!settings.attack_patterns.empty()) {
    std::vector<Signature> sigs;
    for (const auto& p : settings.attack_patterns) sigs.push_back({custom, 1.0, p});
    impl_->custom_db = compile(std::move(sigs), true);
  }
  impl_->builtin = &builtin_db(settings.reject_fake_boundaries);
}

PromptInjectionDetector::~PromptInjectionDetector() = default;

InjectionAssessment PromptInjectionDetector::assess(std::string_view text) const {
  const auto& s = impl_->settings;
  scan::NormalizeOptions options{s.normalize_unicode, s.detect_homoglyphs, false};
  scan::Normalized plain = scan::normalize(text, options);

  std::array<double, family_count> clear{}, hidden{};
  auto merge = [](std::array<double, family_count>& into, const std::array<double, family_count>& v) {
    for (unsigned f = 0; f < family_count; ++f) into[f] = std::max(into[f], v[f]);
  };
  merge(plain.obfuscated ? hidden : clear, impl_->scan(plain.text));
  if (s.normalize_unicode) {
    std::string leet = plain.text;
    if (scan::fold_leetspeak(leet)) merge(hidden, impl_->scan(leet));
  }
  if (s.decode_base64) {
    for (const auto& seg : scan::decode_embedded(text)) {
      merge(hidden, impl_->scan(scan::normalize(seg.text, options).text));
    }
  }

  InjectionAssessment out;
  double miss = 1.0;
  int strong_families = 0;
  for (unsigned f = 0; f < family_count; ++f) {
    double w = std::max(clear[f], hidden[f]);
    if (w <= 0) continue;
    out.families.emplace_back(kFamilyNames[f]);
    if (hidden[f] > clear[f]) out.obfuscated = true;
    if (w >= 0.3) ++strong_families;
    miss *= 1.0 - w;
  }
  double score = 1.0 - miss;
  if (strong_families >= 2) score += 0.1;  // independent signals agree
  if (out.obfuscated && score >= 0.3) score += 0.1;  // benign text rarely hides itself
  out.score = std::min(1.0, std::round(score * 100.0) / 100.0);
  return out;
}

namespace {

void append_content_text(const boost::json::value& content, std::string& out) {
  if (const auto* str = content.if_string()) {
    out.append(str->data(), str->size());
    out.push_back('\n');
  } else if (const auto* parts = content.if_array()) {
    for (const auto& part : *parts) {
      const auto* obj = part.if_object();
      if (!obj) continue;
      if (const auto* t = obj->if_contains("text"); t && t->is_string()) {
        out.append(t->get_string().data(), t->get_string().size());
        out.push_back('\n');
      }
    }
  }
}

// The scanned text of a request: chat messages of the scanned roles in order, or a prompt.
std::string scanned_text(const boost::json::value& body, bool scan_system) {
  std::string text;
  const auto* obj = body.if_object();
  if (!obj) return text;
  if (const auto* msgs = obj->if_contains("messages"); msgs && msgs->is_array()) {
    for (const auto& m : msgs->get_array()) {
      const auto* mo = m.if_object();
      if (!mo) continue;
      const auto* role = mo->if_contains("role");
      std::string_view r = role && role->is_string() ? std::string_view(role->get_string()) : "";
      bool system_like = r == "system" || r == "developer";
      bool scanned = r == "user" || r == "tool" || r == "function" || (scan_system && system_like);
      if (!scanned) continue;
      if (const auto* c = mo->if_contains("content")) append_content_text(*c, text);
    }
  }
  if (const auto* prompt = obj->if_contains("prompt")) {
    if (prompt->is_string()) {
      append_content_text(*prompt, text);
    } else if (const auto* arr = prompt->if_array()) {
      for (const auto& p : *arr) append_content_text(p, text);
    }
  }
  return text;
}

class PromptInjectionPolicy : public Policy {
 public:
  explicit PromptInjectionPolicy(const config::PromptInjectionSettings& s)
      : settings_(s), detector_(s) {}

  std::string_view kind() const override { return "prompt-injection"; }

  Decision on_request(Exchange& ex) override {
    Decision d;
    std::string text = scanned_text(ex.body, settings_.scan_system);
    if (text.empty()) return d;
    InjectionAssessment a = detector_.assess(text);
    if (a.families.empty()) return d;
    d.findings["score"] = a.score;
    boost::json::array fams;
    for (const auto& f : a.families) fams.emplace_back(f);
    d.findings["families"] = std::move(fams);
    if (a.obfuscated) d.findings["obfuscated"] = true;
    if (a.score < settings_.threshold) return d;
    d.reason_code = "prompt_injection.detected";
    d.message = settings_.message;
    // action "log" records the detection and lets the request through.
    if (settings_.action == "block") d.verdict = Verdict::block;
    return d;
  }

 private:
  config::PromptInjectionSettings settings_;
  PromptInjectionDetector detector_;
};

}  // namespace

std::unique_ptr<Policy> make_prompt_injection(const config::PromptInjectionSettings& settings) {
  return std::make_unique<PromptInjectionPolicy>(settings);
}

}  // namespace kt::policies
