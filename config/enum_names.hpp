#pragma once

// The YAML spelling of every config enum, in one table per enum: the loader parses with it,
// to_string prints with it, and the error messages list the allowed values from it.

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "config/gateway_config.hpp"

namespace config::detail {

template <typename E, std::size_t N>
using name_table = std::array<std::pair<std::string_view, E>, N>;

inline constexpr name_table<store_kind, 2> store_kind_names{{
    {"sqlite", store_kind::sqlite}, {"redis", store_kind::redis}}};
inline constexpr name_table<bind_mode, 2> bind_mode_names{{
    {"transceiver", bind_mode::transceiver},
    {"transmitter_receiver", bind_mode::transmitter_receiver}}};
inline constexpr name_table<data_coding_zero, 4> data_coding_zero_names{{
    {"gsm7", data_coding_zero::gsm7}, {"gsm7_packed", data_coding_zero::gsm7_packed},
    {"latin1", data_coding_zero::latin1}, {"ia5", data_coding_zero::ia5}}};
inline constexpr name_table<concatenation, 4> concatenation_names{{
    {"udh8", concatenation::udh8}, {"udh16", concatenation::udh16},
    {"sar", concatenation::sar}, {"payload", concatenation::payload}}};
inline constexpr name_table<message_id_format, 3> message_id_format_names{{
    {"text", message_id_format::text}, {"hex", message_id_format::hex},
    {"decimal", message_id_format::decimal}}};
inline constexpr name_table<sender_class, 4> sender_class_names{{
    {"long_code", sender_class::long_code}, {"toll_free", sender_class::toll_free},
    {"short_code", sender_class::short_code}, {"alphanumeric", sender_class::alphanumeric}}};
inline constexpr name_table<opt_out_scope, 2> opt_out_scope_names{{
    {"sender", opt_out_scope::sender}, {"global", opt_out_scope::global}}};
inline constexpr name_table<consent_mode, 2> consent_mode_names{{
    {"none", consent_mode::none}, {"required", consent_mode::required}}};
inline constexpr name_table<quiet_hours_action, 2> quiet_hours_action_names{{
    {"defer", quiet_hours_action::defer}, {"reject", quiet_hours_action::reject}}};
inline constexpr name_table<no_common_window_action, 3> no_common_window_names{{
    {"reject", no_common_window_action::reject}, {"defer", no_common_window_action::defer},
    {"allow", no_common_window_action::allow}}};
inline constexpr name_table<revocation_action, 3> revocation_action_names{{
    {"opt_out", revocation_action::opt_out}, {"clarify", revocation_action::clarify},
    {"ignore", revocation_action::ignore}}};
inline constexpr name_table<incomplete_action, 2> incomplete_action_names{{
    {"deliver", incomplete_action::deliver}, {"drop", incomplete_action::drop}}};
inline constexpr name_table<number_type, 12> number_type_names{{
    {"mobile", number_type::mobile}, {"fixed_line", number_type::fixed_line},
    {"fixed_line_or_mobile", number_type::fixed_line_or_mobile}, {"voip", number_type::voip},
    {"toll_free", number_type::toll_free}, {"premium_rate", number_type::premium_rate},
    {"shared_cost", number_type::shared_cost}, {"personal_number", number_type::personal_number},
    {"pager", number_type::pager}, {"uan", number_type::uan},
    {"voicemail", number_type::voicemail}, {"unknown", number_type::unknown}}};
inline constexpr name_table<log_level, 7> log_level_names{{
    {"trace", log_level::trace}, {"debug", log_level::debug}, {"info", log_level::info},
    {"warn", log_level::warn}, {"error", log_level::error}, {"critical", log_level::critical},
    {"off", log_level::off}}};
inline constexpr name_table<log_format, 2> log_format_names{{
    {"json", log_format::json}, {"text", log_format::text}}};

template <typename E, std::size_t N>
constexpr std::string_view name_of(const name_table<E, N>& table, E value) noexcept {
  for (const auto& [name, v] : table) {
    if (v == value) return name;
  }
  return "?";
}

template <typename E, std::size_t N>
constexpr std::optional<E> value_of(const name_table<E, N>& table, std::string_view name) noexcept {
  for (const auto& [n, v] : table) {
    if (n == name) return v;
  }
  return std::nullopt;
}

// "a, b or c" for error messages.
template <typename E, std::size_t N>
std::string list_names(const name_table<E, N>& table) {
  std::string out;
  for (std::size_t i = 0; i < N; ++i) {
    if (i > 0) out += (i + 1 == N) ? " or " : ", ";
    out += table[i].first;
  }
  return out;
}

}  // namespace config::detail
