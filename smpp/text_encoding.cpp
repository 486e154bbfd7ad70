#include "smpp/text_encoding.hpp"

#include "smpp/gsm7.hpp"
#include "smpp/ia5.hpp"
#include "smpp/latin1.hpp"
#include "smpp/ucs2.hpp"

namespace smpp {
namespace {

class text_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "smpp.text"; }
  std::string message(int ev) const override {
    switch (static_cast<text_errc>(ev)) {
      case text_errc::invalid_utf8: return "text is not valid UTF-8";
      case text_errc::not_representable: return "character not representable in the encoding";
      case text_errc::message_too_long: return "message needs more parts than allowed";
      case text_errc::malformed_udh: return "malformed user data header";
      case text_errc::unsupported_data_coding: return "unsupported data_coding";
      case text_errc::invalid_part: return "invalid concatenated part";
      case text_errc::not_a_receipt: return "not a delivery receipt";
    }
    return "unknown smpp.text error";
  }
};

}  // namespace

const std::error_category& text_category() noexcept {
  static const text_category_impl category;
  return category;
}

std::error_code make_error_code(text_errc e) noexcept { return {static_cast<int>(e), text_category()}; }

std::string_view to_string(text_encoding e) noexcept {
  switch (e) {
    case text_encoding::gsm7: return "gsm7";
    case text_encoding::ucs2: return "ucs2";
    case text_encoding::latin1: return "latin1";
    case text_encoding::ia5: return "ia5";
  }
  return "unknown";
}

text_encoding choose_encoding(std::string_view utf8_text, const text_options& options) noexcept {
  if (!fits_gsm7(utf8_text)) {
    return text_encoding::ucs2;
  }
  switch (options.data_coding_0) {
    case default_alphabet::latin1:
      return fits_latin1(utf8_text) ? text_encoding::gsm7 : text_encoding::ucs2;
    case default_alphabet::ia5:
      return fits_ia5(utf8_text) ? text_encoding::gsm7 : text_encoding::ucs2;
    case default_alphabet::gsm7_unpacked:
    case default_alphabet::gsm7_packed:
      break;
  }
  return text_encoding::gsm7;
}

std::uint8_t data_coding_of(text_encoding e) noexcept {
  switch (e) {
    case text_encoding::gsm7: return data_coding_value::smsc_default;
    case text_encoding::ucs2: return data_coding_value::ucs2;
    case text_encoding::latin1: return data_coding_value::latin1;
    case text_encoding::ia5: return data_coding_value::ia5;
  }
  return data_coding_value::smsc_default;
}

namespace {

void fail(encoded_text& out, std::string_view text, std::size_t offset) {
  out.bytes.clear();
  out.units = 0;
  out.bad_offset = offset;
  out.error = utf8::find_invalid(text.substr(offset)) == std::size_t{0}
                  ? make_error_code(text_errc::invalid_utf8)
                  : make_error_code(text_errc::not_representable);
}

}  // namespace

encoded_text encode_text(std::string_view utf8_text, text_encoding encoding, const text_options& options) {
  encoded_text out;
  out.data_coding = data_coding_of(encoding);
  switch (encoding) {
    case text_encoding::gsm7: {
      auto septets = gsm7::utf8_to_septets(utf8_text);
      if (septets.bad_offset) {
        fail(out, utf8_text, *septets.bad_offset);
        return out;
      }
      out.units = septets.septets.size();
      switch (options.data_coding_0) {
        case default_alphabet::gsm7_unpacked:
          out.bytes = std::move(septets.septets);
          break;
        case default_alphabet::gsm7_packed:
          out.bytes = gsm7::pack(septets.septets);
          break;
        case default_alphabet::latin1: {
          auto bytes = utf8_to_latin1(utf8_text);
          if (bytes.bad_offset) {
            fail(out, utf8_text, *bytes.bad_offset);
            return out;
          }
          out.bytes = std::move(bytes.bytes);
          break;
        }
        case default_alphabet::ia5: {
          auto bytes = utf8_to_ia5(utf8_text);
          if (bytes.bad_offset) {
            fail(out, utf8_text, *bytes.bad_offset);
            return out;
          }
          out.bytes = std::move(bytes.bytes);
          break;
        }
      }
      return out;
    }
    case text_encoding::ucs2: {
      auto bytes = utf8_to_utf16be(utf8_text);
      if (bytes.bad_offset) {
        fail(out, utf8_text, *bytes.bad_offset);
        return out;
      }
      out.units = bytes.bytes.size() / 2;
      out.bytes = std::move(bytes.bytes);
      return out;
    }
    case text_encoding::latin1: {
      auto bytes = utf8_to_latin1(utf8_text);
      if (bytes.bad_offset) {
        fail(out, utf8_text, *bytes.bad_offset);
        return out;
      }
      out.units = bytes.bytes.size();
      out.bytes = std::move(bytes.bytes);
      return out;
    }
    case text_encoding::ia5: {
      auto bytes = utf8_to_ia5(utf8_text);
      if (bytes.bad_offset) {
        fail(out, utf8_text, *bytes.bad_offset);
        return out;
      }
      out.units = bytes.bytes.size();
      out.bytes = std::move(bytes.bytes);
      return out;
    }
  }
  return out;
}

namespace {

wire_alphabet gsm7_on_link(const text_options& options) noexcept {
  return options.data_coding_0 == default_alphabet::gsm7_packed ? wire_alphabet::gsm7_packed
                                                                 : wire_alphabet::gsm7_unpacked;
}

// GSM 03.38 alphabet bits (3..2): 00 GSM-7, 01 8-bit, 10 UCS-2, 11 reserved.
wire_alphabet from_alphabet_bits(unsigned bits, const text_options& options) noexcept {
  switch (bits & 0x3) {
    case 0: return gsm7_on_link(options);
    case 1: return wire_alphabet::binary;
    case 2: return wire_alphabet::ucs2;
    default: return wire_alphabet::unsupported;
  }
}

}  // namespace

wire_alphabet wire_alphabet_of(std::uint8_t data_coding, const text_options& options) noexcept {
  switch (data_coding) {
    case data_coding_value::smsc_default:
      switch (options.data_coding_0) {
        case default_alphabet::gsm7_unpacked: return wire_alphabet::gsm7_unpacked;
        case default_alphabet::gsm7_packed: return wire_alphabet::gsm7_packed;
        case default_alphabet::latin1: return wire_alphabet::latin1;
        case default_alphabet::ia5: return wire_alphabet::ia5;
      }
      return wire_alphabet::gsm7_unpacked;
    case data_coding_value::ia5: return wire_alphabet::ia5;
    case data_coding_value::octet_unspecified:
    case data_coding_value::binary: return wire_alphabet::binary;
    case data_coding_value::latin1: return wire_alphabet::latin1;
    case data_coding_value::ucs2: return wire_alphabet::ucs2;
    default: break;
  }
  if (data_coding >= 0xF0) {
    return (data_coding & 0x04) != 0 ? wire_alphabet::binary : gsm7_on_link(options);
  }
  // GSM 03.38 general data coding (0x10..0x3F: values below 0x10 are SMPP's own) and
  // automatic deletion (0x40..0x7F) groups; bit 5 set means compressed.
  if (data_coding >= 0x10 && data_coding <= 0x7F) {
    if ((data_coding & 0x20) != 0) {
      return wire_alphabet::unsupported;
    }
    return from_alphabet_bits(data_coding >> 2, options);
  }
  if (data_coding >= 0xC0 && data_coding <= 0xDF) {  // message waiting, GSM-7
    return gsm7_on_link(options);
  }
  if (data_coding >= 0xE0 && data_coding <= 0xEF) {  // message waiting, UCS-2
    return wire_alphabet::ucs2;
  }
  return wire_alphabet::unsupported;
}

decoded_text decode_text(std::uint8_t data_coding, std::span<const std::uint8_t> bytes,
                         const text_options& options, unsigned fill_bits) {
  decoded_text out;
  switch (wire_alphabet_of(data_coding, options)) {
    case wire_alphabet::gsm7_unpacked:
      out.text = gsm7::septets_to_utf8(bytes);
      break;
    case wire_alphabet::gsm7_packed:
      out.text = gsm7::septets_to_utf8(gsm7::unpack(bytes, fill_bits));
      break;
    case wire_alphabet::ia5:
      out.text = ia5_to_utf8(bytes);
      break;
    case wire_alphabet::latin1:
      out.text = latin1_to_utf8(bytes);
      break;
    case wire_alphabet::ucs2:
      out.text = utf16be_to_utf8(bytes);
      break;
    case wire_alphabet::binary:
      out.text = latin1_to_utf8(bytes);
      out.binary = true;
      break;
    case wire_alphabet::unsupported:
      out.text = ia5_to_utf8(bytes);
      out.error = make_error_code(text_errc::unsupported_data_coding);
      break;
  }
  return out;
}

}  // namespace smpp
