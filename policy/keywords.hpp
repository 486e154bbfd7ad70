#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "policy/policy_config.hpp"

namespace policy {

enum class keyword_action : std::uint8_t {
  none,
  opt_out,
  opt_in,
  help,
  clarify,  // a probable revocation with revocation_action::clarify: ask the user to reply STOP
};
std::string_view to_string(keyword_action a) noexcept;

enum class keyword_rule : std::uint8_t {
  none,
  keyword,         // a whole-message keyword of the default lists
  sender_keyword,  // a whole-message keyword of the sender's own lists
  revocation,      // the probable-revocation detector (longer replies)
};
std::string_view to_string(keyword_rule r) noexcept;

struct keyword_match {
  keyword_action action = keyword_action::none;
  bool is_global = false;       // STOPALL / STOP ALL: opt out from every sender
  keyword_rule rule = keyword_rule::none;
  std::string matched;          // the normalised keyword, or the detector's pattern name
  bool operator==(const keyword_match&) const = default;
};

// Message normalisation for matching: UTF-8 in, upper-case ASCII-folded words out. Accents are
// removed (canonical decomposition, combining marks dropped: "Arrêt." -> "ARRET"), case is
// folded, apostrophes are dropped ("don't" -> "DONT"), every other punctuation, symbol or space
// run becomes one space, and the ends are trimmed. Invalid UTF-8 bytes count as symbols.
std::string normalize_keyword_text(std::string_view utf8);

// Keyword lists of a configuration, normalised once. Immutable after construction: safe to share
// between threads.
class keyword_matcher {
 public:
  explicit keyword_matcher(const keyword_config& config = keyword_config{});

  // Classifies an inbound message sent to `sender` (our short code or number). Order: the
  // sender's own lists (if any), then the defaults (unless the sender replaces them), opt-out
  // before opt-in before help; then, if nothing matched, the probable-revocation detector.
  keyword_match match(std::string_view text_utf8, std::string_view sender = {}) const;

 private:
  struct compiled_lists {
    std::vector<std::string> opt_out;
    std::vector<std::string> opt_out_global;
    std::vector<std::string> opt_in;
    std::vector<std::string> help;
  };
  struct sender_entry {
    std::string sender;
    compiled_lists lists;
    bool replace_defaults = false;
    revocation_action on_revocation;
  };
  static compiled_lists compile(const keyword_lists& lists);
  static bool match_lists(const compiled_lists& lists, std::string_view text, keyword_rule rule,
                          keyword_match& out);

  compiled_lists defaults_;
  std::vector<sender_entry> senders_;
  bool detect_revocation_;
  revocation_action on_revocation_;
};

// The probable-revocation detector alone, on normalised text: the name of the pattern that
// matched ("stop_contact_verb", "unsubscribe_word", ...) or "" when the reply does not clearly
// ask to stop.
std::string_view detect_revocation(std::string_view normalized);

}  // namespace policy
