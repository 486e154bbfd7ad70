#include <gtest/gtest.h>

#include "gateway/number_visibility.hpp"

namespace {

using gateway::api_key;
using policy::opt_out_scope;

api_key dev() { return {"dev", gateway::sha256("dev-key"), {"12345", "+14155550100"}}; }
api_key other() { return {"other", gateway::sha256("other-key"), {"67890"}}; }

policy::suppression_record suppression(std::string sender) {
  policy::suppression_record s;
  s.sender = std::move(sender);
  s.reason = "stop";
  s.source = "keyword";
  return s;
}

policy::consent_record consent(std::string category, std::string sender) {
  policy::consent_record c;
  c.category = std::move(category);
  c.sender = std::move(sender);
  c.source = "web-form";
  return c;
}

TEST(NumberVisibility, AKeySeesGlobalEntriesAndThoseOfItsOwnSenders) {
  policy::number_facts all;
  all.suppressions = {suppression(""), suppression("12345"), suppression("67890")};
  all.consents = {consent("marketing", ""), consent("marketing", "+14155550100"), consent("marketing", "67890")};
  all.ledger = {{true, consent("marketing", "67890")}, {true, consent("marketing", "")}};

  const auto for_dev = gateway::visible_facts(all, dev());
  ASSERT_EQ(for_dev.suppressions.size(), 2u);
  EXPECT_EQ(for_dev.suppressions[0].sender, "");
  EXPECT_EQ(for_dev.suppressions[1].sender, "12345");
  ASSERT_EQ(for_dev.consents.size(), 2u);
  EXPECT_EQ(for_dev.consents[1].sender, "+14155550100");
  ASSERT_EQ(for_dev.ledger.size(), 1u);
  EXPECT_EQ(for_dev.ledger[0].record.sender, "");

  const auto for_other = gateway::visible_facts(all, other());
  ASSERT_EQ(for_other.suppressions.size(), 2u);
  EXPECT_EQ(for_other.suppressions[1].sender, "67890");
  ASSERT_EQ(for_other.consents.size(), 2u);
  EXPECT_EQ(for_other.consents[1].sender, "67890");

  // A key allowed every sender that has entries sees them all.
  api_key all_senders{"ops", gateway::sha256("ops-key"), {"12345", "+14155550100", "67890"}};
  EXPECT_EQ(gateway::visible_facts(all, all_senders).suppressions, all.suppressions);
  EXPECT_EQ(gateway::visible_facts(all, all_senders).consents, all.consents);
}

TEST(NumberVisibility, SuppressedMeansASendFromOneOfTheKeysSendersIsRefused) {
  const std::vector<policy::suppression_record> others_only{suppression("67890")};
  // Scope sender: another key's STOP does not refuse dev's senders, and dev is not told of it.
  EXPECT_FALSE(gateway::refuses_some_sender(others_only, dev(), opt_out_scope::sender));
  EXPECT_TRUE(gateway::refuses_some_sender(others_only, other(), opt_out_scope::sender));
  // Scope global: it refuses every sender, so dev's sends too.
  EXPECT_TRUE(gateway::refuses_some_sender(others_only, dev(), opt_out_scope::global));

  EXPECT_TRUE(gateway::refuses_some_sender({suppression("")}, dev(), opt_out_scope::sender));
  EXPECT_TRUE(gateway::refuses_some_sender({suppression("+14155550100")}, dev(), opt_out_scope::sender));
  EXPECT_FALSE(gateway::refuses_some_sender({}, dev(), opt_out_scope::global));

  EXPECT_TRUE(gateway::refuses_sender({suppression("")}, "12345", opt_out_scope::sender));
  EXPECT_FALSE(gateway::refuses_sender({suppression("67890")}, "12345", opt_out_scope::sender));
  EXPECT_TRUE(gateway::refuses_sender({suppression("67890")}, "12345", opt_out_scope::global));
}

TEST(NumberVisibility, AMessageIsReadByTheKeyThatSentIt) {
  policy::message_record m;
  m.sender = "12345";
  m.api_key = "dev";
  EXPECT_TRUE(gateway::may_read_message(dev(), m));
  EXPECT_FALSE(gateway::may_read_message(other(), m));
  // A key that shares the sender is still another key.
  api_key shares{"slow", gateway::sha256("slow-key"), {"12345"}};
  EXPECT_FALSE(gateway::may_read_message(shares, m));
  // Without a recorded key: the keys that may send from its sender.
  m.api_key.clear();
  EXPECT_TRUE(gateway::may_read_message(dev(), m));
  EXPECT_TRUE(gateway::may_read_message(shares, m));
  EXPECT_FALSE(gateway::may_read_message(other(), m));
}

}  // namespace
