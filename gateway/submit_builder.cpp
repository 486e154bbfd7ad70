#include "gateway/submit_builder.hpp"

#include "smpp/codec.hpp"
#include "smpp/pdu_header.hpp"

namespace gateway {

smpp_address sender_address(std::string_view sender) {
  if (!sender.empty() && sender.front() == '+') return {1, 1, std::string(sender.substr(1))};
  bool digits = !sender.empty();
  for (char c : sender) digits = digits && c >= '0' && c <= '9';
  if (digits && sender.size() <= 8) return {3, 0, std::string(sender)};
  if (digits) return {1, 1, std::string(sender)};
  return {5, 0, std::string(sender)};
}

smpp_address recipient_address(std::string_view e164) {
  return {1, 1, std::string(e164.substr(!e164.empty() && e164.front() == '+' ? 1 : 0))};
}

built_submits build_submits(const policy::message_record& m, const carrier_profile& carrier,
                            std::uint16_t reference) {
  built_submits out;
  auto segmented = smpp::segment_text(m.text, reference, carrier.segmentation);
  if (segmented.error) {
    out.error = segmented.error;
    return out;
  }
  const auto source = sender_address(m.sender);
  const auto destination = recipient_address(m.e164);
  for (std::size_t i = 0; i < segmented.parts.size(); ++i) {
    const auto& part = segmented.parts[i];
    smpp::submit_sm s;
    s.source_addr_ton = source.ton;
    s.source_addr_npi = source.npi;
    s.source_addr = source.address;
    s.dest_addr_ton = destination.ton;
    s.dest_addr_npi = destination.npi;
    s.destination_addr = destination.address;
    s.esm_class = part.udhi ? 0x40 : 0x00;
    s.data_coding = part.data_coding;
    const bool last = i + 1 == segmented.parts.size();
    s.registered_delivery = carrier.registered_delivery && last ? 1 : 0;
    std::string bytes(part.short_message.begin(), part.short_message.end());
    if (part.use_message_payload) {
      s.tlvs.set(smpp::tag::message_payload, bytes);
    } else {
      s.short_message = std::move(bytes);
    }
    if (part.sar) {
      s.tlvs.set(smpp::tag::sar_msg_ref_num, part.sar->msg_ref_num);
      s.tlvs.set(smpp::tag::sar_total_segments, part.sar->total_segments);
      s.tlvs.set(smpp::tag::sar_segment_seqnum, part.sar->segment_seqnum);
    }
    out.parts.push_back(std::move(s));
  }
  return out;
}

std::vector<std::uint8_t> encode_submit_body(const smpp::submit_sm& pdu) {
  std::vector<std::uint8_t> bytes;
  smpp::encode(smpp::pdu{pdu}, smpp::command_status::esme_rok, 1, bytes);
  if (bytes.size() < smpp::header_size) return {};
  bytes.erase(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(smpp::header_size));
  return bytes;
}

}  // namespace gateway
