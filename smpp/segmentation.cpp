#include "smpp/segmentation.hpp"

#include <algorithm>
#include <array>

#include "smpp/gsm7.hpp"
#include "smpp/udh.hpp"
#include "smpp/ucs2.hpp"

namespace smpp {

std::string_view to_string(concatenation c) noexcept {
  switch (c) {
    case concatenation::udh8: return "udh8";
    case concatenation::udh16: return "udh16";
    case concatenation::sar: return "sar";
    case concatenation::message_payload: return "message_payload";
  }
  return "unknown";
}

std::optional<concatenation> concatenation_from_string(std::string_view name) noexcept {
  for (auto c : {concatenation::udh8, concatenation::udh16, concatenation::sar, concatenation::message_payload}) {
    if (name == to_string(c)) {
      return c;
    }
  }
  return std::nullopt;
}

std::string_view to_string(default_alphabet a) noexcept {
  switch (a) {
    case default_alphabet::gsm7_unpacked: return "gsm7_unpacked";
    case default_alphabet::gsm7_packed: return "gsm7_packed";
    case default_alphabet::latin1: return "latin1";
    case default_alphabet::ia5: return "ia5";
  }
  return "unknown";
}

std::optional<default_alphabet> default_alphabet_from_string(std::string_view name) noexcept {
  for (auto a : {default_alphabet::gsm7_unpacked, default_alphabet::gsm7_packed, default_alphabet::latin1,
                 default_alphabet::ia5}) {
    if (name == to_string(a)) {
      return a;
    }
  }
  return std::nullopt;
}

namespace {

struct limits {
  std::size_t single;
  std::size_t per_part;
};

limits limits_for(text_encoding encoding, const segmentation_options& options) noexcept {
  const bool wide_ref = options.mode == concatenation::udh16 ||
                        (options.mode == concatenation::sar && options.sar_assume_16bit_udh);
  switch (encoding) {
    case text_encoding::gsm7: return {160, wide_ref ? 152U : 153U};
    case text_encoding::ucs2: return {70, wide_ref ? 66U : 67U};
    case text_encoding::latin1:
    case text_encoding::ia5: return {140, wide_ref ? 133U : 134U};
  }
  return {160, 153};
}

// Units `cp` takes in `encoding`; 0 when not representable.
inline std::size_t unit_cost(char32_t cp, text_encoding encoding, const text_options& text) noexcept {
  switch (encoding) {
    case text_encoding::gsm7: {
      const unsigned cost = gsm7::septet_cost(cp);
      // On a Latin-1 / ASCII link the octets must also exist there.
      if (text.data_coding_0 == default_alphabet::latin1 && cp > 0xFF) {
        return 0;
      }
      if (text.data_coding_0 == default_alphabet::ia5 && cp > 0x7F) {
        return 0;
      }
      return cost;
    }
    case text_encoding::ucs2: return utf16_units(cp);
    case text_encoding::latin1: return cp <= 0xFF ? 1 : 0;
    case text_encoding::ia5: return cp <= 0x7F ? 1 : 0;
  }
  return 0;
}

std::size_t clamp_max_parts(std::size_t max_parts) noexcept { return std::clamp<std::size_t>(max_parts, 1, 255); }

// Validates the text and sums its units. Without a forced encoding one pass computes
// what choose_encoding() would pick and the units in that encoding.
void measure(std::string_view text, const segmentation_options& options, segment_count& result,
             std::size_t& bad_offset) noexcept {
  const auto fail = [&](text_errc e, std::size_t at) {
    result.error = make_error_code(e);
    bad_offset = at;
  };
  if (options.encoding) {
    result.encoding = *options.encoding;
    std::size_t pos = 0;
    while (pos < text.size()) {
      const std::size_t start = pos;
      auto cp = utf8::next(text, pos);
      if (!cp) {
        return fail(text_errc::invalid_utf8, start);
      }
      const std::size_t cost = unit_cost(*cp, result.encoding, options.text);
      if (cost == 0) {
        return fail(text_errc::not_representable, start);
      }
      result.units += cost;
    }
    return;
  }
  // GSM-7 is possible while every character has a septet (and, on a Latin-1 / ASCII
  // link, an octet there too); UCS-2 units are counted alongside.
  bool gsm7_possible = true;
  std::size_t septets = 0;
  std::size_t utf16 = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t start = pos;
    auto cp = utf8::next(text, pos);
    if (!cp) {
      result.encoding = text_encoding::ucs2;
      return fail(text_errc::invalid_utf8, start);
    }
    utf16 += utf16_units(*cp);
    if (gsm7_possible) {
      const std::size_t cost = unit_cost(*cp, text_encoding::gsm7, options.text);
      gsm7_possible = cost != 0;
      septets += cost;
    }
  }
  result.encoding = gsm7_possible ? text_encoding::gsm7 : text_encoding::ucs2;
  result.units = gsm7_possible ? septets : utf16;
}

// Measures the text and calls on_part(begin_byte, end_byte, units) per part.
// Returns the count (and the error, if any) exactly as segment_text needs them.
template <typename OnPart>
segment_count walk(std::string_view text, const segmentation_options& options, std::size_t& bad_offset,
                   OnPart&& on_part) {
  segment_count result;
  measure(text, options, result, bad_offset);
  if (result.error) {
    result.units = 0;
    return result;
  }
  const limits lim = limits_for(result.encoding, options);
  if (result.units <= lim.single) {
    on_part(std::size_t{0}, text.size(), result.units);
    result.segments = 1;
    return result;
  }
  // Greedy split, never inside an escape sequence or a surrogate pair (a character's
  // units all go to the same part).
  std::size_t part_begin = 0;
  std::size_t part_units = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t start = pos;
    const char32_t cp = *utf8::next(text, pos);
    const std::size_t cost = unit_cost(cp, result.encoding, options.text);
    if (part_units + cost > lim.per_part) {
      on_part(part_begin, start, part_units);
      ++result.segments;
      part_begin = start;
      part_units = 0;
    }
    part_units += cost;
  }
  on_part(part_begin, text.size(), part_units);
  ++result.segments;

  const std::size_t max_parts = clamp_max_parts(options.max_parts);
  if (result.segments > max_parts) {
    result.error = make_error_code(text_errc::message_too_long);
  }
  return result;
}

// Appends the wire bytes of `text` (valid and representable, checked by walk()).
void append_wire(std::vector<std::uint8_t>& out, std::string_view text, text_encoding encoding,
                 const text_options& options, std::size_t udh_octets) {
  std::size_t pos = 0;
  switch (encoding) {
    case text_encoding::gsm7:
      switch (options.data_coding_0) {
        case default_alphabet::gsm7_unpacked:
          while (pos < text.size()) {
            gsm7::append_septets(out, *utf8::next(text, pos));
          }
          return;
        case default_alphabet::gsm7_packed: {
          std::vector<std::uint8_t> septets;
          septets.reserve(text.size());
          while (pos < text.size()) {
            gsm7::append_septets(septets, *utf8::next(text, pos));
          }
          gsm7::pack_append(septets, gsm7::fill_bits_after_udh(udh_octets), out);
          return;
        }
        case default_alphabet::latin1:
        case default_alphabet::ia5:
          break;  // one octet per character, as below
      }
      [[fallthrough]];
    case text_encoding::latin1:
    case text_encoding::ia5:
      while (pos < text.size()) {
        out.push_back(static_cast<std::uint8_t>(*utf8::next(text, pos)));
      }
      return;
    case text_encoding::ucs2:
      while (pos < text.size()) {
        append_utf16be(out, *utf8::next(text, pos));
      }
      return;
  }
}

}  // namespace

segment_count count_segments(std::string_view utf8_text, const segmentation_options& options) noexcept {
  std::size_t bad_offset = 0;
  return walk(utf8_text, options, bad_offset, [](std::size_t, std::size_t, std::size_t) {});
}

segmentation_result segment_text(std::string_view utf8_text, std::uint16_t reference,
                                 const segmentation_options& options) {
  segmentation_result result;
  struct range {
    std::size_t begin, end, units;
  };
  std::vector<range> ranges;
  std::size_t bad_offset = 0;
  const segment_count count = walk(utf8_text, options, bad_offset, [&](std::size_t b, std::size_t e, std::size_t u) {
    ranges.push_back({b, e, u});
  });
  result.encoding = count.encoding;
  result.segments = count.segments;
  if (count.error) {
    result.error = count.error;
    if (count.error != text_errc::message_too_long) {
      result.bad_offset = bad_offset;
    }
    return result;
  }
  const std::uint8_t data_coding = data_coding_of(result.encoding);

  if (options.mode == concatenation::message_payload) {
    message_part part;
    part.use_message_payload = true;
    part.data_coding = data_coding;
    part.units = count.units;
    append_wire(part.short_message, utf8_text, result.encoding, options.text, 0);
    if (part.short_message.size() > 0xFFFF) {  // the TLV length is 16 bits
      result.error = make_error_code(text_errc::message_too_long);
      return result;
    }
    result.parts.push_back(std::move(part));
    return result;
  }

  const auto total = static_cast<std::uint8_t>(ranges.size());
  result.parts.reserve(ranges.size());
  for (std::size_t i = 0; i < ranges.size(); ++i) {
    const range& r = ranges[i];
    message_part part;
    part.data_coding = data_coding;
    part.units = r.units;
    const auto seq = static_cast<std::uint8_t>(i + 1);
    std::size_t udh_octets = 0;
    if (total > 1) {
      switch (options.mode) {
        case concatenation::udh8:
        case concatenation::udh16: {
          concat_info info{reference, total, seq, options.mode == concatenation::udh16};
          append_concat_udh(part.short_message, info);
          udh_octets = part.short_message.size();
          part.udhi = true;
          break;
        }
        case concatenation::sar:
          part.sar = sar_values{reference, total, seq};
          break;
        case concatenation::message_payload:
          break;
      }
    }
    append_wire(part.short_message, utf8_text.substr(r.begin, r.end - r.begin), result.encoding, options.text,
                udh_octets);
    result.parts.push_back(std::move(part));
  }
  return result;
}

}  // namespace smpp
