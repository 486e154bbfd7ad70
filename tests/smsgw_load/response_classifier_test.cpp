#include <gtest/gtest.h>

#include "tools/smsgw_load/response_classifier.hpp"

using namespace smsgw_load;

TEST(ResponseClassifier, Single) {
  outcome_counts c;
  classify_single(202, R"({"id":"msg_01","status":"queued","to":"+14155550123","segments":1,"encoding":"gsm7"})", c);
  classify_single(422, R"({"error":{"code":"recipient_opted_out","message":"the recipient opted out","field":"to"}})", c);
  classify_single(422, R"({"error": {"code": "no_consent", "message": "x"}})", c);
  classify_single(503, R"({"error":{"code":"unavailable","message":"store"}})", c);
  classify_single(502, "Bad gateway", c);
  EXPECT_EQ(c.accepted, 1u);
  EXPECT_EQ(c.rejected["recipient_opted_out"], 1u);
  EXPECT_EQ(c.rejected["no_consent"], 1u);
  EXPECT_EQ(c.rejected["unavailable"], 1u);
  EXPECT_EQ(c.rejected["http_502"], 1u);
  EXPECT_EQ(c.rejected_total(), 4u);
}

TEST(ResponseClassifier, BatchItemsInOrderEachOnItsOwn) {
  outcome_counts c;
  const char* body =
      R"({"results":[{"id":"msg_1","status":"queued","to":"+1","segments":1,"encoding":"gsm7"},)"
      R"({"error":{"code":"frequency_capped","message":"a } brace and \" quote","field":"to"}},)"
      R"({"id":"msg_2","status":"scheduled","send_at":"2026-12-01T08:00:00Z","reason":"quiet_hours"},)"
      R"({"error":{"code":"invalid_number","message":"x [y]"}}]})";
  EXPECT_EQ(classify_batch(200, body, 4, c), 4u);
  EXPECT_EQ(c.accepted, 2u);
  EXPECT_EQ(c.rejected["frequency_capped"], 1u);
  EXPECT_EQ(c.rejected["invalid_number"], 1u);
}

TEST(ResponseClassifier, RefusedBatchCountsEveryMessage) {
  outcome_counts c;
  EXPECT_EQ(classify_batch(503, R"({"error":{"code":"unavailable","message":"store"}})", 100, c), 0u);
  EXPECT_EQ(c.rejected["unavailable"], 100u);
  EXPECT_EQ(c.accepted, 0u);
}

TEST(ResponseClassifier, MergeAdds) {
  outcome_counts a, b;
  a.accepted = 3;
  a.rejected["x"] = 1;
  b.accepted = 2;
  b.rejected["x"] = 2;
  b.rejected["y"] = 5;
  a.merge(b);
  EXPECT_EQ(a.accepted, 5u);
  EXPECT_EQ(a.rejected["x"], 3u);
  EXPECT_EQ(a.rejected_total(), 8u);
}
