#pragma once

// Delivery receipts (SMPP 3.4 Appendix B and the TLVs receipted_message_id,
// message_state, network_error_code), and carrier message-id normalisation.
//
// The text form is `id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done
// date:YYMMDDhhmm stat:DDDDDDD err:E text:...`. Parsing is tolerant of what carriers
// really send: keys in any case and any order, `submit_date` / `submitdate` /
// `done_date` spellings, `status` / `error` aliases, missing fields, dates with
// seconds (12 digits) or a 4-digit year (14 digits), extra unknown fields, lower-case
// or long stat words (`delivered`, `undeliverable`, `failed`). TLV values, when
// present, win over the text.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace smpp {

// The final (or intermediate) state a receipt reports; SMPP 3.4 5.2.28 message_state.
enum class receipt_state : std::uint8_t {
  enroute,
  delivered,
  expired,
  deleted,
  undeliverable,
  accepted,
  unknown,
  rejected,
};

// "enroute", "delivered", "expired", "deleted", "undeliverable", "accepted", "unknown", "rejected".
std::string_view to_string(receipt_state s) noexcept;
// False only for enroute: every other state ends the message's life at the carrier.
constexpr bool is_final(receipt_state s) noexcept { return s != receipt_state::enroute; }

// stat word -> state: the SMPP 3.4 words (DELIVRD EXPIRED DELETED UNDELIV ACCEPTD
// UNKNOWN REJECTD ENROUTE), any case, and vendor long forms; a digit 0..9 is read as a
// message_state value. std::nullopt for an empty word; unknown words -> unknown.
std::optional<receipt_state> receipt_state_from_stat(std::string_view stat) noexcept;
// message_state TLV -> state (1..8 per SMPP 3.4; 0 "scheduled" -> enroute, 9 "skipped"
// -> undeliverable as in SMPP 5.0; other values -> unknown).
receipt_state receipt_state_from_message_state(std::uint8_t value) noexcept;

struct receipt_date {
  int year = 0;  // four digits (two-digit years are 20YY)
  int month = 0;
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;  // 0 when the date has no seconds

  bool operator==(const receipt_date&) const = default;
};

// "YYMMDDhhmm", "YYMMDDhhmmss" or "YYYYMMDDhhmmss" (digits only, fields range-checked).
std::optional<receipt_date> parse_receipt_date(std::string_view digits) noexcept;

struct receipt_network_error {
  std::uint8_t network_type = 0;  // 1 ANSI-136, 2 IS-95, 3 GSM, 4 ANSI-41 ...
  std::uint16_t error_code = 0;

  bool operator==(const receipt_network_error&) const = default;
};

// TLV values of the deliver_sm, as the codec decoded them.
struct receipt_tlvs {
  std::optional<std::string> receipted_message_id;
  std::optional<std::uint8_t> message_state;
  std::optional<std::array<std::uint8_t, 3>> network_error_code;  // type, code (big-endian)
};

struct delivery_receipt {
  std::string message_id;  // receipted_message_id TLV if present, else the text's id (as sent)
  receipt_state state = receipt_state::unknown;
  std::string stat;  // the text's stat word, upper-cased ("" when absent)
  std::optional<std::uint32_t> submitted;  // sub
  std::optional<std::uint32_t> delivered;  // dlvrd
  std::optional<receipt_date> submit_date;
  std::optional<receipt_date> done_date;
  std::string err;                       // the text's err value as sent ("" when absent)
  std::optional<std::uint32_t> err_code;  // err when it is a decimal number
  std::optional<receipt_network_error> net_error;  // network_error_code TLV
  std::string text;                        // the text: field (start of the original message)
  bool id_from_tlv = false;
  bool state_from_tlv = false;

  bool operator==(const delivery_receipt&) const = default;
};

struct receipt_parse_result {
  std::error_code error;  // text_errc::not_a_receipt when there is neither an id nor a receipted_message_id
  delivery_receipt receipt;
};

// `text` is the decoded short_message (or message_payload) of a deliver_sm whose
// esm_class says "delivery receipt"; pass an empty text for TLV-only receipts.
receipt_parse_result parse_delivery_receipt(std::string_view text, const receipt_tlvs& tlvs = {});

// The SMPP 3.4 Appendix B stat word of a state: DELIVRD, EXPIRED, DELETED, UNDELIV,
// ACCEPTD, UNKNOWN, REJECTD, ENROUTE.
std::string_view stat_word(receipt_state s) noexcept;
// The message_state TLV value of a state (1..8).
std::uint8_t message_state_value(receipt_state s) noexcept;

// What an SMSC (smsc-sim) puts in a receipt.
struct receipt_fields {
  std::string id;
  std::uint32_t submitted = 1;
  std::uint32_t delivered = 1;
  receipt_date submit_date;
  receipt_date done_date;
  receipt_state state = receipt_state::delivered;
  std::uint32_t err = 0;
  std::string text;  // the original message; the first 20 characters are kept
};

// "id:ID sub:001 dlvrd:001 submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DELIVRD
// err:000 text:first twenty chars" (SMPP 3.4 Appendix B layout).
std::string format_delivery_receipt(const receipt_fields& fields);

// Per carrier: how message ids look, to compare submit_sm_resp ids with receipt ids.
enum class message_id_format : std::uint8_t {
  as_is,    // compared exactly (surrounding spaces and NULs trimmed)
  hex,      // hexadecimal number: case and leading zeros do not matter
  decimal,  // decimal number: leading zeros do not matter
};

// "as_is", "hex", "decimal".
std::string_view to_string(message_id_format f) noexcept;
std::optional<message_id_format> message_id_format_from_string(std::string_view name) noexcept;

struct message_id_settings {
  message_id_format submit_response = message_id_format::as_is;  // submit_sm_resp message_id
  message_id_format receipt = message_id_format::as_is;          // receipt id / receipted_message_id
};

// Canonical form: for hex and decimal the number's value as lower-case hex without
// leading zeros ("0" for zero; any length, no overflow), so "1A2B", "00001a2b" (hex) and
// "6699" (decimal) are all "1a2b". A hex id may carry a 0x prefix. An id that does not
// match its declared format is kept as_is (trimmed), so it can still match itself.
std::string normalize_message_id(std::string_view id, message_id_format format);

}  // namespace smpp
