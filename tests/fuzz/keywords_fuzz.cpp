// libFuzzer target over the keyword engine (policy/keywords.cpp): any bytes a handset or a carrier
// can send as a reply. Checks, besides crashes and sanitizer reports:
// - normalize_keyword_text() gives upper-case words separated by single spaces: valid UTF-8, no
//   space at either end, no two spaces in a row, no ASCII lower-case letter;
// - whitespace and punctuation around a reply never change how it is read: the reply wrapped in
//   " \t" ... " .!" normalises to the same text and gets the same match (action, rule, keyword).
//
// Input layout: byte 0 picks the sender (one with its own lists extending the defaults, one
// replacing them, one without lists), the rest is the reply. Built by the `fuzz` preset and run
// briefly by tools/fuzz-smoke with corpus/keywords/.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "policy/keywords.hpp"

namespace {

const policy::keyword_matcher& matcher() {
  static const policy::keyword_matcher m([] {
    policy::keyword_config c;
    c.per_sender["12345"] = policy::sender_keywords{{{"HALT", "Ça suffit"}, {}, {"GO"}, {"SOS"}}, false, std::nullopt};
    c.per_sender["+14155550100"] = policy::sender_keywords{{{"ENOUGH"}, {"STOP EVERYTHING"}, {}, {}}, true, std::nullopt};
    return c;
  }());
  return m;
}

// Decodes one UTF-8 sequence at s[i]; returns its length, 0 when invalid (overlong, surrogate,
// beyond U+10FFFF or truncated).
std::size_t utf8_length(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return 1;
  std::size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
  if (n == 0 || c > 0xF4 || i + n > s.size()) return 0;
  std::uint32_t cp = c & (0xFF >> (n + 1));
  for (std::size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF)) {
    return 0;
  }
  return n;
}

[[noreturn]] void fail(std::string_view what, std::string_view reply, std::string_view detail) {
  std::fprintf(stderr, "%.*s for reply (%zu bytes) \"%.*s\": %.*s\n", static_cast<int>(what.size()), what.data(),
               reply.size(), static_cast<int>(reply.size()), reply.data(), static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  static constexpr std::string_view senders[] = {"12345", "+14155550100", "67890"};
  const std::string_view sender = senders[data[0] % 3];
  const std::string_view reply(reinterpret_cast<const char*>(data + 1), size - 1);

  const std::string normalized = policy::normalize_keyword_text(reply);
  if (!normalized.empty() && (normalized.front() == ' ' || normalized.back() == ' ')) {
    fail("space at an end of the normalised text", reply, normalized);
  }
  if (normalized.find("  ") != std::string::npos) fail("two spaces in the normalised text", reply, normalized);
  for (std::size_t i = 0; i < normalized.size();) {
    const std::size_t n = utf8_length(normalized, i);
    if (n == 0) fail("invalid UTF-8 in the normalised text", reply, normalized);
    if (normalized[i] >= 'a' && normalized[i] <= 'z') fail("lower-case letter in the normalised text", reply, normalized);
    i += n;
  }

  const std::string wrapped = " \t" + std::string(reply) + " .!";
  const std::string wrapped_normalized = policy::normalize_keyword_text(wrapped);
  if (wrapped_normalized != normalized) {
    fail("surrounding punctuation changed the normalised text", reply, wrapped_normalized + " vs " + normalized);
  }
  const policy::keyword_match plain = matcher().match(reply, sender);
  const policy::keyword_match around = matcher().match(wrapped, sender);
  if (!(plain == around)) {
    fail("surrounding punctuation changed the match", reply,
         std::string(policy::to_string(plain.action)) + "/" + plain.matched + " vs " +
             std::string(policy::to_string(around.action)) + "/" + around.matched);
  }
  return 0;
}
