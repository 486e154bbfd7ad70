#include <gtest/gtest.h>

#include "gateway/api_error.hpp"
#include "gateway/api_keys.hpp"

namespace {

gateway::api_key_table table() {
  return gateway::api_key_table({
      {"dev", gateway::sha256("dev-key"), {"12345", "+14155550100"}},
      {"other", gateway::sha256("other-key"), {"67890"}},
  });
}

TEST(ApiKeys, AuthenticatesBearerKeys) {
  auto keys = table();
  const auto* key = keys.authenticate("Bearer dev-key");
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(key->name, "dev");
  ASSERT_NE(keys.authenticate("bearer other-key"), nullptr);
  EXPECT_EQ(keys.authenticate("bearer other-key")->name, "other");
}

TEST(ApiKeys, RefusesWrongMissingOrMalformedCredentials) {
  auto keys = table();
  for (auto header : {"", "Bearer", "Bearer ", "Bearer dev-ke", "Bearer dev-key2", "Basic dev-key",
                      "dev-key", "Bearer DEV-KEY"}) {
    EXPECT_EQ(keys.authenticate(header), nullptr) << header;
  }
}

TEST(ApiKeys, SendersArePerKey) {
  auto keys = table();
  const auto* dev = keys.authenticate("Bearer dev-key");
  ASSERT_NE(dev, nullptr);
  EXPECT_TRUE(dev->may_send_from("12345"));
  EXPECT_TRUE(dev->may_send_from("+14155550100"));
  EXPECT_FALSE(dev->may_send_from("67890"));
}

TEST(ApiError, SerialisesTheContractShape) {
  EXPECT_EQ(gateway::to_json(gateway::bad_request("missing required field 'to'", "to")),
            R"({"error":{"code":"bad_request","field":"to","message":"missing required field 'to'"}})");
  EXPECT_EQ(gateway::to_json({401, "unauthorized", "missing or wrong API key", ""}),
            R"({"error":{"code":"unauthorized","message":"missing or wrong API key"}})");
}

}  // namespace
