#include <gtest/gtest.h>

#include "smpp/codec.hpp"
#include "smpp/pdu_print.hpp"
#include "tests/smpp/pdu_vectors.hpp"

namespace {

TEST(PduPrint, SubmitSmCompactJsonFollowsTheFieldTable) {
  smpp::submit_sm s;
  s.source_addr = "12345";
  s.destination_addr = "14155550123";
  s.short_message = "Hi \"you\"";
  s.tlvs.set(smpp::tag::sar_msg_ref_num, 258);
  s.tlvs.set(smpp::tag::receipted_message_id, "ab");
  s.tlvs.items.push_back({0x1401, "\x01\xff"});
  EXPECT_EQ(smpp::to_json(smpp::frame{smpp::command_status::esme_rthrottled, 9, s}),
            R"({"command_id":"submit_sm","command_status":"ESME_RTHROTTLED","sequence_number":9,)"
            R"("body":{"service_type":"","source_addr_ton":0,"source_addr_npi":0,"source_addr":"12345",)"
            R"("dest_addr_ton":0,"dest_addr_npi":0,"destination_addr":"14155550123","esm_class":0,)"
            R"("protocol_id":0,"priority_flag":0,"schedule_delivery_time":"","validity_period":"",)"
            R"("registered_delivery":0,"replace_if_present_flag":0,"data_coding":0,"sm_default_msg_id":0,)"
            R"("sm_length":8,"short_message":"48692022796f7522","short_message_text":"Hi \"you\"",)"
            R"("tlvs":[{"tag":"0x020c","name":"sar_msg_ref_num","value":258},)"
            R"({"tag":"0x001e","name":"receipted_message_id","value":"ab"},)"
            R"({"tag":"0x1401","hex":"01ff"}]}})");
}

TEST(PduPrint, SubmitMultiListsAndVendorStatus) {
  smpp::submit_multi_resp r{"m1", {{1, 1, "123", smpp::command_status::esme_rinvdstadr}}};
  EXPECT_EQ(smpp::to_json(smpp::frame{static_cast<smpp::command_status>(0x401), 1, r}),
            R"({"command_id":"submit_multi_resp","command_status":"0x00000401","sequence_number":1,)"
            R"("body":{"message_id":"m1","no_unsuccess":1,"unsuccess_smes":[{"dest_addr_ton":1,)"
            R"("dest_addr_npi":1,"destination_addr":"123","error_status_code":"ESME_RINVDSTADR"}]}})");
}

TEST(PduPrint, PrettyOutputIsIndented) {
  EXPECT_EQ(smpp::to_json(smpp::frame{smpp::command_status::esme_rok, 7, smpp::outbind{"a", "b"}}, true),
            "{\n  \"command_id\": \"outbind\",\n  \"command_status\": \"ESME_ROK\",\n"
            "  \"sequence_number\": 7,\n  \"body\": {\n    \"system_id\": \"a\",\n"
            "    \"password\": \"b\"\n  }\n}");
}

TEST(PduPrint, EveryVectorPrintsItsCommandName) {
  for (const auto& c : smpp_test::all_vectors()) {
    const auto text = smpp::to_json(c.frame);
    EXPECT_NE(text.find("\"command_id\":\"" + std::string(smpp::to_string(smpp::id_of(c.frame.body))) +
                        "\""),
              std::string::npos)
        << text;
  }
}

}  // namespace
