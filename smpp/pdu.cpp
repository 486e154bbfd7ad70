#include "smpp/pdu.hpp"

#include <utility>

namespace smpp {

command_id id_of(const pdu& body) noexcept {
  return std::visit([](const auto& p) { return std::decay_t<decltype(p)>::id; }, body);
}

const tlv_list* tlvs_of(const pdu& body) noexcept {
  return std::visit(
      [](const auto& p) -> const tlv_list* {
        if constexpr (has_tlvs<std::decay_t<decltype(p)>>()) {
          return &p.tlvs;
        } else {
          return nullptr;
        }
      },
      body);
}

tlv_list* tlvs_of(pdu& body) noexcept {
  return const_cast<tlv_list*>(tlvs_of(std::as_const(body)));
}

namespace {

template <std::size_t... I>
pdu make_by_id(command_id id, std::index_sequence<I...>) {
  pdu out;
  (void)((std::variant_alternative_t<I, pdu>::id == id ? (out.emplace<I>(), true) : false) || ...);
  return out;
}

}  // namespace

pdu response_for(command_id request) {
  const auto raw = static_cast<std::uint32_t>(request);
  if (is_response(request) || request == command_id::outbind ||
      request == command_id::alert_notification || !is_known_command_id(raw)) {
    return generic_nack{};
  }
  return make_by_id(static_cast<command_id>(raw | response_bit),
                    std::make_index_sequence<std::variant_size_v<pdu>>{});
}

frame make_response(const frame& request, command_status status) {
  return frame{status, request.sequence_number, response_for(id_of(request.body))};
}

}  // namespace smpp
