#include "smpp/udh.hpp"

#include "smpp/text_encoding.hpp"

namespace smpp {

udh_parse_result parse_udh(std::span<const std::uint8_t> user_data) {
  udh_parse_result result;
  const auto malformed = [&] {
    result.error = make_error_code(text_errc::malformed_udh);
    result.udh = {};
    return result;
  };
  if (user_data.empty()) {
    return malformed();
  }
  const std::size_t udhl = user_data[0];
  if (udhl + 1 > user_data.size()) {
    return malformed();
  }
  result.udh.length = udhl + 1;
  std::size_t pos = 1;
  while (pos < result.udh.length) {
    if (pos + 2 > result.udh.length) {
      return malformed();  // IEI without its length octet
    }
    const std::uint8_t iei = user_data[pos];
    const std::size_t len = user_data[pos + 1];
    const std::size_t data = pos + 2;
    if (data + len > result.udh.length) {
      return malformed();
    }
    if (iei == iei_concat_8bit || iei == iei_concat_16bit) {
      const bool wide = iei == iei_concat_16bit;
      if (len != (wide ? 4U : 3U)) {
        return malformed();
      }
      if (!result.udh.concat) {
        concat_info info;
        info.reference_16bit = wide;
        info.reference = wide ? static_cast<std::uint16_t>((user_data[data] << 8) | user_data[data + 1])
                              : user_data[data];
        info.total = user_data[data + (wide ? 2 : 1)];
        info.seq = user_data[data + (wide ? 3 : 2)];
        result.udh.concat = info;
      } else {
        ++result.udh.other_elements;
      }
    } else {
      ++result.udh.other_elements;
    }
    pos = data + len;
  }
  return result;
}

void append_concat_udh(std::vector<std::uint8_t>& out, const concat_info& info) {
  if (info.reference_16bit) {
    out.insert(out.end(), {0x06, iei_concat_16bit, 0x04, static_cast<std::uint8_t>(info.reference >> 8),
                           static_cast<std::uint8_t>(info.reference & 0xFF), info.total, info.seq});
  } else {
    out.insert(out.end(), {0x05, iei_concat_8bit, 0x03, static_cast<std::uint8_t>(info.reference & 0xFF),
                           info.total, info.seq});
  }
}

}  // namespace smpp
