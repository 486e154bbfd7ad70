#pragma once

// Turning a stored message into the submit_sm PDUs of its parts. Pure.

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "gateway/settings.hpp"
#include "policy/store.hpp"
#include "smpp/pdu.hpp"

namespace gateway {

// SMPP address of a sender id: short codes and other digit strings up to 8 digits are
// TON 3 (network specific) NPI 0; "+" E.164 numbers TON 1 NPI 1 without the '+'; anything with
// letters TON 5 (alphanumeric) NPI 0.
struct smpp_address {
  std::uint8_t ton = 0;
  std::uint8_t npi = 0;
  std::string address;
  bool operator==(const smpp_address&) const = default;
};
smpp_address sender_address(std::string_view sender);
smpp_address recipient_address(std::string_view e164);

struct built_submits {
  std::error_code error;  // a text that cannot be encoded for this carrier (permanent)
  std::vector<smpp::submit_sm> parts;
};

// One submit_sm per part. Delivery receipts are requested on the last part only, whose carrier
// message id is the one correlated with our message. `reference` is the concatenation reference.
built_submits build_submits(const policy::message_record& m, const carrier_profile& carrier,
                            std::uint16_t reference);

// The body bytes (no header) of a submit_sm, as smpp::net::outbound_message carries them.
std::vector<std::uint8_t> encode_submit_body(const smpp::submit_sm& pdu);

}  // namespace gateway
