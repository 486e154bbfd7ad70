#pragma once

// Hand-written byte-exact vectors for every SMPP 3.4 PDU (layouts from the spec, section 4).
// Shared by the codec, framer and printer tests.

#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "smpp/pdu.hpp"

namespace smpp_test {

inline std::vector<std::uint8_t> from_hex(std::string_view text) {
  std::vector<std::uint8_t> out;
  int high = -1;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) continue;
    const int v = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                                                               : std::tolower(c) - 'a' + 10;
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<std::uint8_t>(high * 16 + v));
      high = -1;
    }
  }
  return out;
}

inline std::string to_hex(const std::vector<std::uint8_t>& bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (auto b : bytes) {
    out += digits[b >> 4];
    out += digits[b & 0xF];
  }
  return out;
}

inline std::string raw(std::string_view hex) {
  auto bytes = from_hex(hex);
  return {bytes.begin(), bytes.end()};
}

struct vector_case {
  std::string name;
  std::string hex;
  smpp::frame frame;
};

inline std::vector<vector_case> all_vectors() {
  using namespace smpp;
  using enum command_status;
  std::vector<vector_case> v;

  v.push_back({"bind_transmitter",
               "00000022 00000002 00000000 00000001"
               "736d73677700 73656372657400 00 34 00 00 00",
               {esme_rok, 1, bind_transmitter{"smsgw", "secret", "", 0x34, 0, 0, ""}}});
  v.push_back({"bind_receiver",
               "00000022 00000001 00000000 00000002"
               "736d73677700 73656372657400 00 34 00 00 00",
               {esme_rok, 2, bind_receiver{"smsgw", "secret", "", 0x34, 0, 0, ""}}});
  v.push_back({"bind_transceiver",
               "00000025 00000009 00000000 00000003"
               "65736d6500 707700 564d4100 34 01 01 5e3132333400",
               {esme_rok, 3, bind_transceiver{"esme", "pw", "VMA", 0x34, 1, 1, "^1234"}}});
  {
    bind_transmitter_resp r{"SMSC", {}};
    r.tlvs.set(tag::sc_interface_version, 0x34);
    v.push_back({"bind_transmitter_resp",
                 "0000001a 80000002 00000000 00000001"
                 "534d534300 0210 0001 34",
                 {esme_rok, 1, r}});
  }
  v.push_back({"bind_receiver_resp",
               "00000015 80000001 00000000 00000002 534d534300",
               {esme_rok, 2, bind_receiver_resp{"SMSC", {}}}});
  v.push_back({"bind_transceiver_resp",
               "00000011 80000009 0000000e 00000003 00",
               {esme_rinvpaswd, 3, bind_transceiver_resp{}}});
  v.push_back({"outbind",
               "00000018 0000000b 00000000 00000004 736d736300 707700",
               {esme_rok, 4, outbind{"smsc", "pw"}}});
  v.push_back({"unbind", "00000010 00000006 00000000 00000005", {esme_rok, 5, unbind{}}});
  v.push_back({"unbind_resp", "00000010 80000006 00000000 00000005", {esme_rok, 5, unbind_resp{}}});
  v.push_back({"enquire_link", "00000010 00000015 00000000 00000007", {esme_rok, 7, enquire_link{}}});
  v.push_back({"enquire_link_resp", "00000010 80000015 00000000 00000007",
               {esme_rok, 7, enquire_link_resp{}}});
  v.push_back({"generic_nack", "00000010 80000000 00000003 00000009",
               {esme_rinvcmdid, 9, generic_nack{}}});

  submit_sm s;
  s.source_addr_ton = 1;
  s.source_addr_npi = 1;
  s.source_addr = "12345";
  s.dest_addr_ton = 1;
  s.dest_addr_npi = 1;
  s.destination_addr = "14155550123";
  s.registered_delivery = 1;
  s.short_message = "Hello world";
  v.push_back({"submit_sm",
               "0000003c 00000004 00000000 0000000a"
               "00 01 01 313233343500 01 01 313431353535353031323300 00 00 00 00 00 01 00 00 00"
               "0b 48656c6c6f20776f726c64",
               {esme_rok, 10, s}});
  {
    submit_sm t = s;
    t.tlvs.set(tag::sar_msg_ref_num, 0x1234);
    t.tlvs.set(tag::sar_total_segments, 3);
    t.tlvs.set(tag::sar_segment_seqnum, 1);
    t.tlvs.items.push_back({0x1401, "abc"});  // vendor TLV: kept raw, in place
    v.push_back({"submit_sm_with_tlvs",
                 "00000053 00000004 00000000 0000000b"
                 "00 01 01 313233343500 01 01 313431353535353031323300 00 00 00 00 00 01 00 00 00"
                 "0b 48656c6c6f20776f726c64"
                 "020c 0002 1234 020e 0001 03 020f 0001 01 1401 0003 616263",
                 {esme_rok, 11, t}});
  }
  v.push_back({"submit_sm_resp", "00000017 80000004 00000000 0000000a 61626331323300",
               {esme_rok, 10, submit_sm_resp{"abc123"}}});
  {
    deliver_sm d;
    d.source_addr_ton = 1;
    d.source_addr_npi = 1;
    d.source_addr = "14155550123";
    d.dest_addr_ton = 1;
    d.dest_addr_npi = 1;
    d.destination_addr = "12345";
    d.esm_class = 0x04;
    d.short_message = "id:1 stat:DELIVRD";
    d.tlvs.set(tag::receipted_message_id, "1");
    d.tlvs.set(tag::message_state, 2);
    v.push_back({"deliver_sm",
                 "0000004d 00000005 00000000 00000020"
                 "00 01 01 313431353535353031323300 01 01 313233343500 04 00 00 00 00 00 00 00 00"
                 "11 69643a3120737461743a44454c49565244"
                 "001e 0002 3100 0427 0001 02",
                 {esme_rok, 32, d}});
  }
  v.push_back({"deliver_sm_resp", "00000011 80000005 00000000 00000020 00",
               {esme_rok, 32, deliver_sm_resp{}}});
  {
    submit_multi m;
    m.source_addr_ton = 1;
    m.source_addr_npi = 1;
    m.source_addr = "12345";
    m.dest_addresses = {{dest_flag_sme_address, 1, 1, "14155550123"},
                        {dest_flag_distribution_list, 0, 0, "friends"}};
    m.short_message = "hi";
    v.push_back({"submit_multi",
                 "0000003e 00000021 00000000 00000040"
                 "00 01 01 313233343500 02 01 01 01 313431353535353031323300 02 667269656e647300"
                 "00 00 00 00 00 00 00 00 00 02 6869",
                 {esme_rok, 64, m}});
  }
  v.push_back({"submit_multi_resp",
               "00000026 80000021 00000000 00000040"
               "6d3100 01 01 01 313431353535353031323300 0000000b",
               {esme_rok, 64, submit_multi_resp{"m1", {{1, 1, "14155550123", esme_rinvdstadr}}}}});
  {
    data_sm d;
    d.source_addr_ton = 1;
    d.source_addr_npi = 1;
    d.source_addr = "12345";
    d.dest_addr_ton = 1;
    d.dest_addr_npi = 1;
    d.destination_addr = "14155550123";
    d.registered_delivery = 1;
    d.data_coding = 8;
    d.tlvs.set(tag::message_payload, raw("00480069"));
    v.push_back({"data_sm",
                 "00000032 00000103 00000000 00000041"
                 "00 01 01 313233343500 01 01 313431353535353031323300 00 01 08 0424 0004 00480069",
                 {esme_rok, 65, d}});
  }
  {
    data_sm_resp r{"d1", {}};
    r.tlvs.set(tag::additional_status_info_text, "ok");
    v.push_back({"data_sm_resp", "0000001a 80000103 00000000 00000041 643100 001d 0003 6f6b00",
                 {esme_rok, 65, r}});
  }
  v.push_back({"query_sm", "0000001f 00000003 00000000 00000050 61626331323300 01 01 313233343500",
               {esme_rok, 80, query_sm{"abc123", 1, 1, "12345"}}});
  v.push_back({"query_sm_resp",
               "0000002a 80000003 00000000 00000050 61626331323300"
               "3236313132393136333030303030302b00 02 00",
               {esme_rok, 80, query_sm_resp{"abc123", "261129163000000+", 2, 0}}});
  v.push_back({"cancel_sm",
               "0000002e 00000008 00000000 00000051"
               "00 61626331323300 01 01 313233343500 01 01 313431353535353031323300",
               {esme_rok, 81, cancel_sm{"", "abc123", 1, 1, "12345", 1, 1, "14155550123"}}});
  v.push_back({"cancel_sm_resp", "00000010 80000008 00000000 00000051", {esme_rok, 81, cancel_sm_resp{}}});
  v.push_back({"replace_sm",
               "00000037 00000007 00000000 00000052"
               "61626331323300 01 01 313233343500 00 3236313133303030303030303030302b00 01 00 03 6e6577",
               {esme_rok, 82, replace_sm{"abc123", 1, 1, "12345", "", "261130000000000+", 1, 0, "new"}}});
  v.push_back({"replace_sm_resp", "00000010 80000007 00000013 00000052",
               {esme_rreplacefail, 82, replace_sm_resp{}}});
  {
    alert_notification a{1, 1, "14155550123", 1, 1, "12345", {}};
    a.tlvs.set(tag::ms_availability_status, 0);
    v.push_back({"alert_notification",
                 "0000002b 00000102 00000000 00000060"
                 "01 01 313431353535353031323300 01 01 313233343500 0422 0001 00",
                 {esme_rok, 96, a}});
  }
  return v;
}

}  // namespace smpp_test
