#include <gtest/gtest.h>

#include "smpp/command_status.hpp"
#include "smpp/error.hpp"
#include "smpp/pdu.hpp"

namespace {

using smpp::command_status;

TEST(CommandStatus, NamesFromTheSpec) {
  EXPECT_EQ(smpp::to_string(command_status::esme_rok), "ESME_ROK");
  EXPECT_EQ(smpp::to_string(command_status::esme_rthrottled), "ESME_RTHROTTLED");
  EXPECT_EQ(smpp::to_string(command_status::esme_rx_t_appn), "ESME_RX_T_APPN");
  EXPECT_EQ(smpp::to_string(smpp::esme_rinvtlvstream), "ESME_RINVOPTPARSTREAM");
  EXPECT_EQ(static_cast<std::uint32_t>(command_status::esme_rinvoptparamval), 0xC4U);
  EXPECT_EQ(smpp::to_string(static_cast<command_status>(0x401)), "vendor");
  EXPECT_EQ(smpp::to_string(static_cast<command_status>(0x09)), "unknown");
  EXPECT_EQ(smpp::describe(command_status::esme_rmsgqful), "Message queue full");
}

TEST(CommandStatus, KannelTemporaryClassification) {
  EXPECT_EQ(smpp::classify(command_status::esme_rok), smpp::status_class::ok);
  for (auto s : {command_status::esme_rmsgqful, command_status::esme_rthrottled,
                 command_status::esme_rx_t_appn, command_status::esme_rsyserr}) {
    EXPECT_EQ(smpp::classify(s), smpp::status_class::temporary) << smpp::to_string(s);
  }
  for (auto s : {command_status::esme_rinvdstadr, command_status::esme_rx_p_appn,
                 command_status::esme_rx_r_appn, command_status::esme_rinvsrcadr,
                 static_cast<command_status>(0x450)}) {
    EXPECT_EQ(smpp::classify(s), smpp::status_class::permanent) << smpp::to_string(s);
  }
}

TEST(CodecError, CategoryMessages) {
  std::error_code ec = smpp::errc::missing_nul;
  EXPECT_EQ(ec.category().name(), std::string("smpp.codec"));
  EXPECT_EQ(ec.message(), "C-octet string is not NUL-terminated");
  EXPECT_FALSE(std::error_code(smpp::errc::ok));
}

TEST(Pdu, IdsAndResponses) {
  EXPECT_EQ(smpp::id_of(smpp::submit_sm{}), smpp::command_id::submit_sm);
  EXPECT_EQ(smpp::id_of(smpp::bind_receiver_resp{}), smpp::command_id::bind_receiver_resp);
  EXPECT_EQ(smpp::response_for(smpp::command_id::submit_sm), smpp::pdu{smpp::submit_sm_resp{}});
  EXPECT_EQ(smpp::response_for(smpp::command_id::bind_transceiver),
            smpp::pdu{smpp::bind_transceiver_resp{}});
  EXPECT_EQ(smpp::response_for(smpp::command_id::enquire_link), smpp::pdu{smpp::enquire_link_resp{}});
  EXPECT_EQ(smpp::response_for(smpp::command_id::alert_notification), smpp::pdu{smpp::generic_nack{}});
  EXPECT_EQ(smpp::response_for(smpp::command_id::submit_sm_resp), smpp::pdu{smpp::generic_nack{}});
  // Every request's response really is the request id with bit 31 set.
  for (auto id : {smpp::command_id::bind_receiver, smpp::command_id::bind_transmitter,
                  smpp::command_id::query_sm, smpp::command_id::submit_sm, smpp::command_id::deliver_sm,
                  smpp::command_id::unbind, smpp::command_id::replace_sm, smpp::command_id::cancel_sm,
                  smpp::command_id::bind_transceiver, smpp::command_id::enquire_link,
                  smpp::command_id::submit_multi, smpp::command_id::data_sm}) {
    EXPECT_EQ(static_cast<std::uint32_t>(smpp::id_of(smpp::response_for(id))),
              static_cast<std::uint32_t>(id) | smpp::response_bit);
  }
}

TEST(Pdu, MakeResponseKeepsTheSequenceNumber) {
  const smpp::frame request{smpp::command_status::esme_rok, 77, smpp::submit_sm{}};
  const auto response = smpp::make_response(request, smpp::command_status::esme_rthrottled);
  EXPECT_EQ(response, (smpp::frame{smpp::command_status::esme_rthrottled, 77, smpp::submit_sm_resp{}}));
  EXPECT_EQ(smpp::make_response({smpp::command_status::esme_rok, 3, smpp::enquire_link{}}),
            (smpp::frame{smpp::command_status::esme_rok, 3, smpp::enquire_link_resp{}}));
}

TEST(Pdu, TlvsOf) {
  smpp::pdu p = smpp::deliver_sm{};
  ASSERT_NE(smpp::tlvs_of(p), nullptr);
  smpp::tlvs_of(p)->set(smpp::tag::message_state, 2);
  EXPECT_EQ(std::get<smpp::deliver_sm>(p).tlvs.get(smpp::tag::message_state), 2);
  EXPECT_EQ(smpp::tlvs_of(smpp::pdu{smpp::enquire_link{}}), nullptr);
}

}  // namespace
