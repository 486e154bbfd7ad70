#include "smpp/error.hpp"

#include <string>

namespace smpp {
namespace {

class codec_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "smpp.codec"; }

  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::ok: return "success";
      case errc::command_length_too_small: return "command_length is below 16";
      case errc::command_length_too_large: return "command_length exceeds the configured maximum";
      case errc::command_length_mismatch: return "command_length does not match the PDU size";
      case errc::unknown_command_id: return "unknown command_id";
      case errc::truncated: return "field runs past the end of the PDU";
      case errc::missing_nul: return "C-octet string is not NUL-terminated";
      case errc::string_too_long: return "C-octet string exceeds its maximum length";
      case errc::embedded_nul: return "C-octet string value contains a NUL";
      case errc::invalid_time: return "time field is neither empty nor 16 characters";
      case errc::message_too_long: return "short message exceeds 254 octets";
      case errc::invalid_dest_flag: return "dest_flag is neither 1 nor 2";
      case errc::too_many_items: return "more than 255 list entries";
      case errc::trailing_bytes: return "unexpected bytes after the last field";
      case errc::tlv_truncated: return "TLV runs past the end of the PDU";
      case errc::tlv_bad_length: return "TLV length does not fit its type";
      case errc::tlv_bad_value: return "TLV value is invalid";
      case errc::tlv_too_long: return "TLV value exceeds 65535 octets";
    }
    return "unknown smpp codec error";
  }
};

}  // namespace

const std::error_category& codec_category() noexcept {
  static const codec_category_impl category;
  return category;
}

std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), codec_category()};
}

}  // namespace smpp
