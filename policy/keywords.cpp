#include "policy/keywords.hpp"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <array>
#include <span>

namespace policy {
namespace {

bool is_apostrophe(std::uint32_t c) {
  return c == '\'' || c == '`' || c == 0x2018 || c == 0x2019 || c == 0x02BC || c == 0xB4;
}

void append_utf8(std::string& out, UChar32 c) {
  char buf[U8_MAX_LENGTH];
  int32_t len = 0;
  UBool error = false;
  U8_APPEND(reinterpret_cast<std::uint8_t*>(buf), len, U8_MAX_LENGTH, c, error);
  if (!error) out.append(buf, static_cast<std::size_t>(len));
}

// ---- probable-revocation detector -------------------------------------------------------------

using words = std::span<const std::string_view>;

template <std::size_t N>
bool in(std::string_view w, const std::array<std::string_view, N>& set) {
  return std::find(set.begin(), set.end(), w) != set.end();
}

// Words that name the messages or the act of sending them.
constexpr std::array<std::string_view, 34> contact_words{
    "TEXT",          "TEXTS",      "TEXTING",    "TXT",       "TXTS",       "TXTING",
    "MESSAGE",       "MESSAGES",   "MESSAGING",  "MSG",       "MSGS",       "SMS",
    "SEND",          "SENDING",    "CONTACT",    "CONTACTING", "CALL",      "CALLING",
    "SPAM",          "SPAMMING",   "BOTHER",     "BOTHERING", "HARASSING",  "ALERTS",
    "NOTIFICATIONS", "PROMOS",     "PROMOTIONS", "ADS",       "OFFERS",     "MARKETING",
    "EMAILING",      "SUBSCRIPTION", "NEWSLETTER", "UPDATES",
};
bool is_contact(std::string_view w) { return in(w, contact_words); }

constexpr std::array<std::string_view, 8> negations{"DONT", "NOT", "NEVER", "CANT", "WONT",
                                                    "DIDNT", "SHOULDNT", "COULDNT"};

bool negated_before(words t, std::size_t i, std::size_t span) {
  for (std::size_t k = 1; k <= span && k <= i; ++k) {
    if (in(t[i - k], negations)) return true;
  }
  return false;
}

// One-word opt-out requests and the polite words that may surround them.
constexpr std::array<std::string_view, 16> stop_words{
    "STOP", "STOPP", "UNSUBSCRIBE", "UNSUB", "CANCEL", "END", "QUIT", "OPTOUT", "REMOVE",
    "REVOKE", "ARRET", "ARRETEZ", "PARAR", "ALTO", "BAJA", "CANCELAR"};
constexpr std::array<std::string_view, 26> fillers{
    "PLEASE", "PLS", "PLZ", "PLEASEE", "NOW", "IT", "THANKS", "THANK", "YOU", "THX", "TY", "OK",
    "OKAY", "ALREADY", "ME", "THIS", "THESE", "SVP", "MERCI", "POR", "FAVOR", "GRACIAS",
    "JUST", "SERIOUSLY", "RIGHT", "AWAY"};

bool stop_with_fillers(words t) {
  bool any = false;
  for (std::string_view w : t) {
    if (in(w, stop_words)) {
      any = true;
    } else if (!in(w, fillers)) {
      return false;
    }
  }
  return any;
}

// "STOP ALL" / "STOPALL" with politeness only: a global opt-out even when a sender replaced the
// keyword lists.
bool stop_all_with_fillers(words t) {
  bool any = false;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] == "STOPALL") {
      any = true;
    } else if (t[i] == "STOP" && i + 1 < t.size() && t[i + 1] == "ALL") {
      any = true;
      ++i;
    } else if (!in(t[i], fillers)) {
      return false;
    }
  }
  return any;
}

bool stop_contact(words t) {
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] != "STOP" && t[i] != "STOPP" && t[i] != "QUIT") continue;
    if (negated_before(t, i, 2)) continue;
    for (std::size_t k = 1; k <= 3 && i + k < t.size(); ++k) {
      if (is_contact(t[i + k])) return true;
    }
  }
  return false;
}

bool unsubscribe_word(words t) {
  constexpr std::array<std::string_view, 9> unsub{
      "UNSUBSCRIBE", "UNSUB", "UNSUSCRIBE", "UNSUBSCRIBED", "OPTOUT", "DESABONNER", "DESINSCRIRE",
      "DESABONNEZ", "DESUSCRIBIR"};
  for (std::size_t i = 0; i < t.size(); ++i) {
    const bool hit = in(t[i], unsub) || (t[i] == "OPT" && i + 1 < t.size() && t[i + 1] == "OUT") ||
                     (t[i] == "OPT" && i + 2 < t.size() && t[i + 1] == "ME" && t[i + 2] == "OUT");
    if (hit && !negated_before(t, i, 3)) return true;
  }
  return false;
}

bool my_number_at(words t, std::size_t i) {
  if (i >= t.size()) return false;
  if (t[i] == "ME" || t[i] == "US") return true;
  return (t[i] == "MY" || t[i] == "THIS" || t[i] == "OUR") && i + 1 < t.size() &&
         (t[i + 1] == "NUMBER" || t[i + 1] == "NUM" || t[i + 1] == "PHONE" || t[i + 1] == "CELL");
}

bool remove_me(words t) {
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] == "REMOVE" || t[i] == "DELETE" || t[i] == "UNLIST") {
      if (my_number_at(t, i + 1) || my_number_at(t, i + 2)) return true;
    }
    if (t[i] == "TAKE" && (my_number_at(t, i + 1))) {
      for (std::size_t k = 2; k <= 5 && i + k < t.size(); ++k) {
        if (t[i + k] == "OFF") return true;
      }
    }
  }
  return false;
}

bool dont_contact(words t) {
  constexpr std::array<std::string_view, 12> verbs{"TEXT", "TXT", "MESSAGE", "MSG", "CONTACT",
                                                   "CALL", "SEND", "SMS", "EMAIL", "BOTHER",
                                                   "SPAM", "WRITE"};
  for (std::size_t i = 0; i < t.size(); ++i) {
    const bool neg = t[i] == "DONT" || t[i] == "NEVER" ||
                     (t[i] == "DO" && i + 1 < t.size() && t[i + 1] == "NOT");
    if (!neg) continue;
    for (std::size_t k = 1; k <= 3 && i + k < t.size(); ++k) {
      if (!in(t[i + k], verbs)) continue;
      const std::size_t j = i + k + 1;
      if (my_number_at(t, j) || (j < t.size() && (t[j] == "ANYMORE" || t[j] == "AGAIN")) ||
          (j + 1 < t.size() && t[j] == "ANY" && t[j + 1] == "MORE")) {
        return true;
      }
    }
  }
  return false;
}

bool no_more(words t) {
  constexpr std::array<std::string_view, 10> things{"TEXTS", "TEXT", "MESSAGES", "MSGS", "TXTS",
                                                    "SMS", "MENSAJES", "TEXTOS", "ALERTS", "ADS"};
  for (std::size_t i = 0; i + 2 < t.size(); ++i) {
    if (t[i] == "NO" && (t[i + 1] == "MORE" || t[i + 1] == "MAS") &&
        in(t[i + 2], things)) {
      return true;
    }
  }
  return false;
}

bool leave_me_alone(words t) {
  for (std::size_t i = 0; i + 2 < t.size(); ++i) {
    if (t[i] == "LEAVE" && t[i + 1] == "ME" && t[i + 2] == "ALONE") return true;
  }
  return false;
}

bool wrong_number(words t) {
  for (std::size_t i = 0; i + 1 < t.size(); ++i) {
    if (t[i] == "WRONG" && (t[i + 1] == "NUMBER" || t[i + 1] == "PERSON" || t[i + 1] == "NUM")) {
      return true;
    }
  }
  return false;
}

bool cancel_subscription(words t) {
  constexpr std::array<std::string_view, 8> things{"SUBSCRIPTION", "TEXTS", "MESSAGES", "ALERTS",
                                                   "MEMBERSHIP", "SMS", "NOTIFICATIONS", "UPDATES"};
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] != "CANCEL" || negated_before(t, i, 2)) continue;
    for (std::size_t k = 1; k <= 3 && i + k < t.size(); ++k) {
      if (in(t[i + k], things)) return true;
    }
  }
  return false;
}

// French and Spanish: "arrêtez de m'envoyer des messages", "dejen de enviarme mensajes",
// "no me manden mensajes".
bool romance_stop(words t) {
  constexpr std::array<std::string_view, 7> fr_stop{"ARRETEZ", "ARRETE", "ARRETER", "CESSEZ",
                                                    "CESSER", "DEJEN", "DEJA"};
  constexpr std::array<std::string_view, 16> fr_es_send{
      "MENVOYER", "ENVOYER", "MECRIRE", "ECRIRE", "TEXTOS", "SMS", "MESSAGES", "ENVIAR",
      "ENVIARME", "MANDAR", "MANDARME", "ESCRIBIR", "ESCRIBIRME", "MENSAJES", "CONTACTER",
      "MECONTACTER"};
  constexpr std::array<std::string_view, 6> es_verbs{"ENVIEN", "MANDEN", "ESCRIBAN", "MOLESTEN",
                                                     "CONTACTEN", "ENVIES"};
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (in(t[i], fr_stop)) {
      for (std::size_t k = 1; k <= 4 && i + k < t.size(); ++k) {
        if (in(t[i + k], fr_es_send)) return true;
      }
    }
    if (t[i] == "NO" && i + 1 < t.size() &&
        (in(t[i + 1], es_verbs) || (t[i + 1] == "ME" && i + 2 < t.size() && in(t[i + 2], es_verbs)))) {
      return true;
    }
    if (t[i] == "NE" && i + 1 < t.size() && (t[i + 1] == "PLUS" || t[i + 1] == "ME")) {
      for (std::size_t k = 1; k <= 4 && i + k < t.size(); ++k) {
        if (in(t[i + k], fr_es_send)) return true;
      }
    }
  }
  return false;
}

}  // namespace

std::string_view to_string(keyword_action a) noexcept {
  switch (a) {
    case keyword_action::none: return "none";
    case keyword_action::opt_out: return "opt_out";
    case keyword_action::opt_in: return "opt_in";
    case keyword_action::help: return "help";
    case keyword_action::clarify: return "clarify";
  }
  return "none";
}

std::string_view to_string(keyword_rule r) noexcept {
  switch (r) {
    case keyword_rule::none: return "none";
    case keyword_rule::keyword: return "keyword";
    case keyword_rule::sender_keyword: return "sender_keyword";
    case keyword_rule::revocation: return "revocation";
  }
  return "none";
}

std::string normalize_keyword_text(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size());
  bool pending_space = false;
  const auto emit = [&](UChar32 c) {
    if (pending_space && !out.empty()) out.push_back(' ');
    pending_space = false;
    append_utf8(out, c);
  };

  // Fast path: plain ASCII needs no Unicode machinery.
  if (std::all_of(utf8.begin(), utf8.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; })) {
    for (char ch : utf8) {
      const auto c = static_cast<unsigned char>(ch);
      if (is_apostrophe(c)) continue;
      if ((c >= 'a' && c <= 'z')) {
        emit(static_cast<UChar32>(c - 'a' + 'A'));
      } else if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
        emit(static_cast<UChar32>(c));
      } else {
        pending_space = true;
      }
    }
    return out;
  }

  UErrorCode status = U_ZERO_ERROR;
  // NFKD: accents become combining marks (dropped below); full-width and ligature forms fold
  // to their plain letters ("ＳＴＯＰ" -> "STOP").
  const icu::Normalizer2* nfkd = icu::Normalizer2::getNFKDInstance(status);
  const icu::UnicodeString src =
      icu::UnicodeString::fromUTF8(icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())));
  icu::UnicodeString decomposed;
  if (U_SUCCESS(status)) {
    decomposed = nfkd->normalize(src, status);
  }
  if (U_FAILURE(status)) decomposed = src;
  for (int32_t i = 0; i < decomposed.length();) {
    const UChar32 c = decomposed.char32At(i);
    i += U16_LENGTH(c);
    const auto type = static_cast<UCharCategory>(u_charType(c));
    if (type == U_NON_SPACING_MARK || type == U_ENCLOSING_MARK || type == U_COMBINING_SPACING_MARK) {
      continue;
    }
    if (is_apostrophe(static_cast<std::uint32_t>(c))) continue;
    if (u_isalnum(c)) {
      emit(u_toupper(c));
    } else {
      pending_space = true;
    }
  }
  return out;
}

std::string_view detect_revocation(std::string_view normalized) {
  std::array<std::string_view, 64> storage;
  std::size_t n = 0;
  std::string_view rest = normalized;
  while (!rest.empty() && n < storage.size()) {
    const auto sp = rest.find(' ');
    storage[n++] = rest.substr(0, sp);
    if (sp == std::string_view::npos) break;
    rest.remove_prefix(sp + 1);
  }
  // Longer replies are conversations, not requests: only the first 64 words are read.
  const words t(storage.data(), n);
  if (t.empty()) return {};
  if (stop_all_with_fillers(t)) return "stop_all";
  if (stop_with_fillers(t)) return "stop_with_fillers";
  if (stop_contact(t)) return "stop_contact";
  if (unsubscribe_word(t)) return "unsubscribe_word";
  if (remove_me(t)) return "remove_me";
  if (dont_contact(t)) return "dont_contact";
  if (no_more(t)) return "no_more";
  if (leave_me_alone(t)) return "leave_me_alone";
  if (wrong_number(t)) return "wrong_number";
  if (cancel_subscription(t)) return "cancel_subscription";
  if (romance_stop(t)) return "romance_stop";
  return {};
}

keyword_matcher::compiled_lists keyword_matcher::compile(const keyword_lists& lists) {
  const auto norm = [](const std::vector<std::string>& in) {
    std::vector<std::string> out;
    for (const std::string& k : in) {
      std::string n = normalize_keyword_text(k);
      if (!n.empty() && std::find(out.begin(), out.end(), n) == out.end()) out.push_back(std::move(n));
    }
    return out;
  };
  return compiled_lists{norm(lists.opt_out), norm(lists.opt_out_global), norm(lists.opt_in),
                        norm(lists.help)};
}

keyword_matcher::keyword_matcher(const keyword_config& config)
    : defaults_(compile(config.defaults)),
      detect_revocation_(config.detect_revocation),
      on_revocation_(config.on_revocation) {
  for (const auto& [sender, entry] : config.per_sender) {
    senders_.push_back(sender_entry{sender, compile(entry.lists), entry.replace_defaults,
                                    entry.on_revocation.value_or(config.on_revocation)});
  }
}

bool keyword_matcher::match_lists(const compiled_lists& lists, std::string_view text,
                                  keyword_rule rule, keyword_match& out) {
  const auto find = [&](const std::vector<std::string>& list, keyword_action action, bool global) {
    const auto it = std::find(list.begin(), list.end(), text);
    if (it == list.end()) return false;
    out = keyword_match{action, global, rule, *it};
    return true;
  };
  return find(lists.opt_out_global, keyword_action::opt_out, true) ||
         find(lists.opt_out, keyword_action::opt_out, false) ||
         find(lists.opt_in, keyword_action::opt_in, false) ||
         find(lists.help, keyword_action::help, false);
}

keyword_match keyword_matcher::match(std::string_view text_utf8, std::string_view sender) const {
  keyword_match out;
  const std::string text = normalize_keyword_text(text_utf8);
  if (text.empty()) return out;

  const sender_entry* own = nullptr;
  for (const sender_entry& s : senders_) {
    if (s.sender == sender) {
      own = &s;
      break;
    }
  }
  if (own != nullptr && match_lists(own->lists, text, keyword_rule::sender_keyword, out)) return out;
  if ((own == nullptr || !own->replace_defaults) &&
      match_lists(defaults_, text, keyword_rule::keyword, out)) {
    return out;
  }
  if (!detect_revocation_) return out;
  const std::string_view pattern = detect_revocation(text);
  if (pattern.empty()) return out;
  out.rule = keyword_rule::revocation;
  out.matched = std::string(pattern);
  switch (own != nullptr ? own->on_revocation : on_revocation_) {
    case revocation_action::opt_out: out.action = keyword_action::opt_out; break;
    case revocation_action::clarify: out.action = keyword_action::clarify; break;
    case revocation_action::ignore: out.action = keyword_action::none; break;
  }
  out.is_global = pattern == "stop_all" && out.action == keyword_action::opt_out;
  return out;
}

}  // namespace policy
