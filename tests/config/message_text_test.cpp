// What the loader's messages say about the file itself: too deep a nesting, and keys or values
// whose bytes are not UTF-8 (echoed escaped, not raw, into messages and logs).
#include <gtest/gtest.h>

#include <string>

#include "config/load.hpp"
#include "config/printable_text.hpp"
#include "test_support.hpp"

namespace {

using config::detail::printable;

TEST(PrintableText, EscapesBytesThatAreNotUtf8AndControlCharacters) {
  EXPECT_EQ(printable("plain"), "plain");
  EXPECT_EQ(printable("ARR\xC3\x8AT \xE2\x82\xAC \xF0\x9F\x98\x80"), "ARR\xC3\x8AT \xE2\x82\xAC \xF0\x9F\x98\x80");
  EXPECT_EQ(printable("\xFF\xFE" "colour"), "\\xFF\\xFEcolour");
  EXPECT_EQ(printable("a\x1B[31mb\nc\x7F"), "a\\x1B[31mb\\x0Ac\\x7F");
  EXPECT_EQ(printable("\xC3"), "\\xC3");                  // truncated sequence
  EXPECT_EQ(printable("\xC0\xAF"), "\\xC0\\xAF");         // overlong '/'
  EXPECT_EQ(printable("\xED\xA0\x80"), "\\xED\\xA0\\x80");  // a surrogate
  EXPECT_EQ(printable("\xF4\x90\x80\x80"), "\\xF4\\x90\\x80\\x80");  // above U+10FFFF
  EXPECT_EQ(printable(std::string("a\0b", 3)), "a\\x00b");
}

std::vector<std::string> errors_of(const std::string& yaml) {
  config_test::temp_dir dir;
  return config_test::lines(config::load_config_from_string(yaml, "t.yaml", dir.str()).errors);
}

TEST(ConfigMessages, AnUnknownKeyThatIsNotUtf8IsEscaped) {
  EXPECT_EQ(errors_of("http:\n  \xFF\xFE" "colour: red\n"),
            std::vector<std::string>{"t.yaml:2:3: http: unknown key \"\\xFF\\xFEcolour\""});
  // In the path of a message about its value, and in a value.
  EXPECT_EQ(errors_of("http:\n  \"a\\eb\": 1\n"), std::vector<std::string>{"t.yaml:2:3: http: unknown key \"a\\x1Bb\""});
  // In the path of a message about the value of such a key.
  const auto paths = errors_of("policy:\n  categories:\n    \"pro\\emo\": {consent: maybe}\n");
  ASSERT_FALSE(paths.empty());
  for (const auto& line : paths) {
    EXPECT_NE(line.find("pro\\x1Bmo"), std::string::npos) << line;
    EXPECT_EQ(line.find('\x1B'), std::string::npos) << line;
  }
  EXPECT_EQ(errors_of("store: {kind: \"my\xC0sql\"}\n"),
            std::vector<std::string>{"t.yaml:1:15: store.kind: must be sqlite or redis, got \"my\\xC0sql\""});
}

TEST(ConfigMessages, FlowNestingTooDeepSaysSoWhereItIsDeepest) {
  // yaml-cpp itself says "bad file" at 1:1.
  const std::string yaml = "http: " + std::string(600, '[') + std::string(600, ']') + "\n";
  const auto errors = errors_of(yaml);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_TRUE(errors[0].starts_with("t.yaml:1:606: the YAML nesting is too deep: lists and mappings nested "))
      << errors[0];
  // Brackets in quotes and comments do not count.
  const std::string quoted = "# [[[[\nx: \"[[{{\"\ny: " + std::string(600, '[') + "1" + std::string(600, ']') + "\n";
  const auto quoted_errors = errors_of(quoted);
  ASSERT_EQ(quoted_errors.size(), 1u);
  EXPECT_TRUE(quoted_errors[0].starts_with("t.yaml:3:603: the YAML nesting is too deep")) << quoted_errors[0];
}

TEST(ConfigMessages, BlockNestingTooDeepSaysSoAtTheLineWhereItGotTooDeep) {
  std::string yaml;
  for (int i = 0; i < 600; ++i) yaml += std::string(static_cast<std::size_t>(i), ' ') + "a:\n";
  const auto errors = errors_of(yaml);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_TRUE(errors[0].starts_with("t.yaml:499:501: the YAML nesting is too deep")) << errors[0];
  EXPECT_EQ(errors[0].find("bad file"), std::string::npos) << errors[0];
}

}  // namespace
