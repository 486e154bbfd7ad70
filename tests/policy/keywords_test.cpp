// Keyword engine: whole-message keywords, per-sender lists, probable-revocation detector.
#include "policy/keywords.hpp"

#include <gtest/gtest.h>

namespace {

using policy::keyword_action;
using policy::keyword_rule;

TEST(KeywordNormalise, TrimsFoldsAndStripsAccents) {
  EXPECT_EQ(policy::normalize_keyword_text("Arrêt."), "ARRET");
  EXPECT_EQ(policy::normalize_keyword_text("  stop!!! "), "STOP");
  EXPECT_EQ(policy::normalize_keyword_text("Opt-Out"), "OPT OUT");
  EXPECT_EQ(policy::normalize_keyword_text("don't  text\nme"), "DONT TEXT ME");
  EXPECT_EQ(policy::normalize_keyword_text("Don\xE2\x80\x99t"), "DONT");  // U+2019
  EXPECT_EQ(policy::normalize_keyword_text("B\xC3\x81JA"), "BAJA");       // BÁJA
  EXPECT_EQ(policy::normalize_keyword_text("\xEF\xBC\xB3\xEF\xBC\xB4\xEF\xBC\xAF\xEF\xBC\xB0"),
            "STOP");  // full-width ＳＴＯＰ
  EXPECT_EQ(policy::normalize_keyword_text("stop \xF0\x9F\x9B\x91"), "STOP");  // emoji
  EXPECT_EQ(policy::normalize_keyword_text("st\xFFop"), "ST OP");              // invalid UTF-8
  EXPECT_EQ(policy::normalize_keyword_text(""), "");
  EXPECT_EQ(policy::normalize_keyword_text("?!. "), "");
}

struct keyword_case {
  const char* text;
  keyword_action action;
  bool global;
  keyword_rule rule;
};

class Keywords : public testing::TestWithParam<keyword_case> {};

TEST_P(Keywords, DefaultConfiguration) {
  static const policy::keyword_matcher matcher{};
  const keyword_case& c = GetParam();
  const policy::keyword_match m = matcher.match(c.text, "12345");
  EXPECT_EQ(m.action, c.action) << '"' << c.text << "\" matched " << m.matched;
  EXPECT_EQ(m.is_global, c.global) << c.text;
  EXPECT_EQ(m.rule, c.rule) << c.text;
}

constexpr auto none = keyword_action::none;
constexpr auto out = keyword_action::opt_out;
constexpr auto in = keyword_action::opt_in;
constexpr auto help = keyword_action::help;
constexpr auto kw = keyword_rule::keyword;
constexpr auto rev = keyword_rule::revocation;
constexpr auto no_rule = keyword_rule::none;

const keyword_case keyword_cases[] = {
    // Opt-out keywords (design.md 5.4), whole message, any case/punctuation/accents.
    {"STOP", out, false, kw},
    {"stop", out, false, kw},
    {"Stop.", out, false, kw},
    {"  STOP!!! ", out, false, kw},
    {"\"stop\"", out, false, kw},
    {"*Stop*", out, false, kw},
    {"UNSUBSCRIBE", out, false, kw},
    {"Cancel", out, false, kw},
    {"end", out, false, kw},
    {"Quit", out, false, kw},
    {"REVOKE", out, false, kw},
    {"optout", out, false, kw},
    {"Opt out", out, false, kw},
    {"OPT-OUT", out, false, kw},
    {"opt-out.", out, false, kw},
    {"Remove", out, false, kw},
    {"ARRET", out, false, kw},
    {"Arrêt.", out, false, kw},
    {"arrêt", out, false, kw},
    {"PARAR", out, false, kw},
    {"Alto", out, false, kw},
    {"cancelar", out, false, kw},
    {"Baja", out, false, kw},
    {"stop \xF0\x9F\x9B\x91", out, false, kw},
    // Global opt-out.
    {"STOPALL", out, true, kw},
    {"Stop all", out, true, kw},
    {"STOP ALL.", out, true, kw},
    {"stop-all", out, true, kw},
    // Opt-in and help.
    {"START", in, false, kw},
    {"Unstop", in, false, kw},
    {"yes", in, false, kw},
    {"Yes!", in, false, kw},
    {"SUBSCRIBE", in, false, kw},
    {"HELP", help, false, kw},
    {"help?", help, false, kw},
    {"Info", help, false, kw},
    {"AIDE", help, false, kw},
    {"Ayuda", help, false, kw},
    // Probable revocations (FCC 2024: any reasonable means).
    {"please stop texting me", out, false, rev},
    {"Stop sending me messages", out, false, rev},
    {"STOP PLEASE", out, false, rev},
    {"Please stop", out, false, rev},
    {"stop it", out, false, rev},
    {"Stop stop stop", out, false, rev},
    {"Stop the spam", out, false, rev},
    {"can you stop all these texts", out, false, rev},
    {"unsubscribe me", out, false, rev},
    {"Please unsubscribe me from this", out, false, rev},
    {"I want to unsubscribe", out, false, rev},
    {"how do I opt out?", out, false, rev},
    {"remove me from this list", out, false, rev},
    {"Please remove my number", out, false, rev},
    {"take me off your list", out, false, rev},
    {"don't text me anymore", out, false, rev},
    {"Do not contact me again", out, false, rev},
    {"never text me again", out, false, rev},
    {"no more texts please", out, false, rev},
    {"Leave me alone", out, false, rev},
    {"wrong number", out, false, rev},
    {"cancel my subscription", out, false, rev},
    {"Arrêtez de m'envoyer des messages", out, false, rev},
    {"Arret svp", out, false, rev},
    {"no me manden mensajes", out, false, rev},
    {"dejen de enviarme mensajes", out, false, rev},
    {"quit texting me", out, false, rev},
    {"STOP ALL please", out, true, rev},
    {"please stopall", out, true, rev},
    // Must NOT match.
    {"stop by the store tomorrow?", none, false, no_rule},
    {"Don't stop me now", none, false, no_rule},
    {"Where is the bus stop?", none, false, no_rule},
    {"I can't stop laughing", none, false, no_rule},
    {"I will stop by at 5", none, false, no_rule},
    {"Please don't stop sending deals!", none, false, no_rule},
    {"Cancel my appointment", none, false, no_rule},
    {"the end", none, false, no_rule},
    {"yes please", none, false, no_rule},
    {"help me find my order", none, false, no_rule},
    {"Please remove the item from my cart", none, false, no_rule},
    {"take me to the airport", none, false, no_rule},
    {"I don't text much", none, false, no_rule},
    {"I do not want to unsubscribe", none, false, no_rule},
    {"Thanks!", none, false, no_rule},
    {"Who is this?", none, false, no_rule},
    {"S T O P", none, false, no_rule},
    {"STOPS", none, false, no_rule},
    {"", none, false, no_rule},
    {"   ", none, false, no_rule},
    {"Information", none, false, no_rule},
    {"Stop this car", none, false, no_rule},
};
INSTANTIATE_TEST_SUITE_P(Table, Keywords, testing::ValuesIn(keyword_cases));

TEST(Keywords, TableHasAtLeastSixtyCases) {
  EXPECT_GE(std::size(keyword_cases), 60u);
}

TEST(Keywords, ReportsTheMatchedRule) {
  const policy::keyword_matcher matcher{};
  EXPECT_EQ(matcher.match("Opt-Out!", "").matched, "OPT OUT");
  EXPECT_EQ(matcher.match("Arrêt", "").matched, "ARRET");
  EXPECT_EQ(matcher.match("please stop texting me", "").matched, "stop_contact");
  EXPECT_EQ(matcher.match("remove me from this list", "").matched, "remove_me");
}

TEST(Keywords, PerSenderListsExtendTheDefaults) {
  policy::keyword_config config;
  config.per_sender["12345"].lists.opt_out = {"BASTA"};
  config.per_sender["12345"].lists.opt_in = {"JOIN"};
  const policy::keyword_matcher matcher(config);
  const auto basta = matcher.match("Basta!", "12345");
  EXPECT_EQ(basta.action, keyword_action::opt_out);
  EXPECT_EQ(basta.rule, keyword_rule::sender_keyword);
  EXPECT_EQ(matcher.match("join", "12345").action, keyword_action::opt_in);
  // The defaults still apply to that sender, and the sender's words not to others.
  EXPECT_EQ(matcher.match("STOP", "12345").rule, keyword_rule::keyword);
  EXPECT_EQ(matcher.match("BASTA", "+14155550100").action, keyword_action::none);
}

TEST(Keywords, ReplacedDefaultsStillHonourAPlainStop) {
  policy::keyword_config config;
  config.per_sender["777"].lists.opt_in = {"GO"};
  config.per_sender["777"].replace_defaults = true;
  const policy::keyword_matcher matcher(config);
  EXPECT_EQ(matcher.match("GO", "777").action, keyword_action::opt_in);
  EXPECT_EQ(matcher.match("YES", "777").action, keyword_action::none);
  // STOP is no longer a keyword for 777, but the revocation detector still hears it.
  const auto stop = matcher.match("STOP", "777");
  EXPECT_EQ(stop.action, keyword_action::opt_out);
  EXPECT_EQ(stop.rule, keyword_rule::revocation);
  const auto stop_all = matcher.match("Stop all!", "777");
  EXPECT_EQ(stop_all.action, keyword_action::opt_out);
  EXPECT_TRUE(stop_all.is_global);
  EXPECT_EQ(stop_all.matched, "stop_all");
}

TEST(Keywords, RevocationActionIsConfigurable) {
  policy::keyword_config config;
  config.on_revocation = policy::revocation_action::clarify;
  const auto clarify = policy::keyword_matcher(config).match("please stop texting me", "");
  EXPECT_EQ(clarify.action, keyword_action::clarify);
  EXPECT_EQ(clarify.rule, keyword_rule::revocation);
  config.on_revocation = policy::revocation_action::ignore;
  EXPECT_EQ(policy::keyword_matcher(config).match("please stop texting me", "").action,
            keyword_action::none);
  // Whole-message keywords are not affected.
  EXPECT_EQ(policy::keyword_matcher(config).match("STOP", "").action, keyword_action::opt_out);
  config.detect_revocation = false;
  config.on_revocation = policy::revocation_action::opt_out;
  EXPECT_EQ(policy::keyword_matcher(config).match("please stop texting me", "").rule,
            keyword_rule::none);
}

TEST(Keywords, RevocationActionCanBeSetPerSender) {
  policy::keyword_config config;
  config.on_revocation = policy::revocation_action::clarify;
  config.per_sender["12345"] = policy::sender_keywords{{}, false, policy::revocation_action::ignore};
  config.per_sender["777"] = policy::sender_keywords{{{"HALT"}, {}, {}, {}}, false, std::nullopt};
  const policy::keyword_matcher matcher(config);
  EXPECT_EQ(matcher.match("please stop texting me", "12345").action, keyword_action::none);
  // A sender without its own action, and any other sender, use the global one.
  EXPECT_EQ(matcher.match("please stop texting me", "777").action, keyword_action::clarify);
  EXPECT_EQ(matcher.match("please stop texting me", "999").action, keyword_action::clarify);
  // The sender's keywords are unaffected.
  EXPECT_EQ(matcher.match("STOP", "12345").action, keyword_action::opt_out);
}

TEST(Keywords, LongMessagesAreHandled) {
  const policy::keyword_matcher matcher{};
  std::string text;
  for (int i = 0; i < 300; ++i) text += "blah ";
  EXPECT_EQ(matcher.match(text, "").action, keyword_action::none);
  EXPECT_EQ(matcher.match("stop texting me " + text, "").action, keyword_action::opt_out);
}

}  // namespace
