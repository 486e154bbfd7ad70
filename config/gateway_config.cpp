#include "config/gateway_config.hpp"

#include <algorithm>

#include "config/enum_names.hpp"

namespace config {

namespace {

bool all_digits(std::string_view s) noexcept {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

const category* policy_settings::find_category(std::string_view name) const {
  for (const auto& c : categories) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

const keyword_settings& policy_settings::keywords_for(std::string_view sender) const {
  for (const auto& o : sender_overrides) {
    if (o.sender == sender) return o.keywords;
  }
  return keywords;
}

const carrier* gateway_config::find_carrier(std::string_view name) const {
  for (const auto& c : carriers) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

double gateway_config::sender_tps(std::string_view sender_id) const {
  for (const auto& s : senders) {
    if (s.id == sender_id) return s.tps;
  }
  switch (classify_sender(sender_id)) {
    case sender_class::long_code: return sender_classes.long_code_tps;
    case sender_class::toll_free: return sender_classes.toll_free_tps;
    case sender_class::short_code: return sender_classes.short_code_tps;
    case sender_class::alphanumeric: return sender_classes.alphanumeric_tps;
  }
  return sender_classes.long_code_tps;
}

sender_class classify_sender(std::string_view id) noexcept {
  if (!id.empty() && id.front() == '+' && all_digits(id.substr(1))) {
    // North American toll-free area codes: 800, 833, 844, 855, 866, 877, 888.
    if (id.size() == 12 && id[1] == '1' && id[2] == '8' && id[3] == id[4] &&
        (id[3] == '0' || (id[3] >= '3' && id[3] <= '8'))) {
      return sender_class::toll_free;
    }
    return sender_class::long_code;
  }
  if (all_digits(id)) return id.size() <= 8 ? sender_class::short_code : sender_class::long_code;
  return sender_class::alphanumeric;
}

keyword_settings default_keywords() {
  keyword_settings k;
  k.opt_out = {"STOP", "STOPALL", "STOP ALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE",
               "OPTOUT", "OPT OUT", "OPT-OUT", "REMOVE", "ARRET", "ARRÊT", "PARAR", "ALTO",
               "CANCELAR", "BAJA"};
  k.opt_in = {"START", "UNSTOP", "YES", "SUBSCRIBE"};
  k.help = {"HELP", "INFO", "AIDE", "AYUDA"};
  k.revocation = revocation_action::opt_out;
  k.replies.opt_out_confirmation =
      "You have been unsubscribed and will receive no further messages. Reply START to resubscribe.";
  k.replies.opt_in_confirmation =
      "You are subscribed again. Msg&data rates may apply. Reply HELP for help, STOP to unsubscribe.";
  k.replies.help_text =
      "Msg&data rates may apply. Msg frequency varies. Reply STOP to unsubscribe, START to resubscribe.";
  k.replies.clarification = "Reply STOP to unsubscribe.";
  return k;
}

std::vector<number_type> default_allowed_number_types() {
  return {number_type::mobile,    number_type::fixed_line_or_mobile, number_type::voip,
          number_type::toll_free, number_type::shared_cost,          number_type::personal_number,
          number_type::uan,       number_type::voicemail,            number_type::unknown};
}

std::vector<jurisdiction_window> default_jurisdictions() {
  return {{"US-FL", {8 * 60, 20 * 60}}, {"US-OK", {8 * 60, 20 * 60}}};
}

std::vector<primary_zone> default_primary_zones() {
  return {{"AU", "Australia/Sydney"}, {"BR", "America/Sao_Paulo"}, {"CA", "America/Toronto"},
          {"MX", "America/Mexico_City"}, {"RU", "Europe/Moscow"},  {"US", "America/New_York"}};
}

std::vector<category> default_categories() {
  category transactional;
  transactional.name = "transactional";
  return {transactional};
}

std::string_view to_string(store_kind v) noexcept { return detail::name_of(detail::store_kind_names, v); }
std::string_view to_string(bind_mode v) noexcept { return detail::name_of(detail::bind_mode_names, v); }
std::string_view to_string(data_coding_zero v) noexcept {
  return detail::name_of(detail::data_coding_zero_names, v);
}
std::string_view to_string(concatenation v) noexcept {
  return detail::name_of(detail::concatenation_names, v);
}
std::string_view to_string(message_id_format v) noexcept {
  return detail::name_of(detail::message_id_format_names, v);
}
std::string_view to_string(sender_class v) noexcept {
  return detail::name_of(detail::sender_class_names, v);
}
std::string_view to_string(opt_out_scope v) noexcept {
  return detail::name_of(detail::opt_out_scope_names, v);
}
std::string_view to_string(number_type v) noexcept {
  return detail::name_of(detail::number_type_names, v);
}
std::string_view to_string(log_level v) noexcept { return detail::name_of(detail::log_level_names, v); }

}  // namespace config
