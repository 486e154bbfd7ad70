#include <gtest/gtest.h>

#include <set>

#include "gateway/message_id.hpp"
#include "gateway/router.hpp"

namespace {

gateway::router make_router() {
  return gateway::router({{"+", "default"}, {"+1", "us"}, {"+1415", "sf"}, {"+1", "us-backup"}, {"+44", "uk"}});
}

TEST(Router, LongestPrefixFirstThenFailoverInConfigOrder) {
  auto r = make_router();
  EXPECT_EQ(r.candidates("+14155550123"), (std::vector<std::string>{"sf", "us", "us-backup", "default"}));
  EXPECT_EQ(r.candidates("+447911123456"), (std::vector<std::string>{"uk", "default"}));
  EXPECT_EQ(r.candidates("+33612345678"), (std::vector<std::string>{"default"}));
}

TEST(Router, NoMatchingRouteIsEmpty) {
  gateway::router r(std::vector<gateway::route>{{"+1", "us"}});
  EXPECT_TRUE(r.candidates("+447911123456").empty());
  EXPECT_EQ(r.choose("+447911123456", [](std::string_view) { return true; }), "");
}

TEST(Router, FailsOverToTheNextBoundCarrier) {
  auto r = make_router();
  EXPECT_EQ(r.choose("+14155550123", [](std::string_view c) { return c != "sf"; }), "us");
  EXPECT_EQ(r.choose("+14155550123", [](std::string_view c) { return c == "default"; }), "default");
  // Nothing bound: queue for the best route and wait.
  EXPECT_EQ(r.choose("+14155550123", [](std::string_view) { return false; }), "sf");
}

TEST(MessageId, UniqueSortableAndWellFormed) {
  std::set<std::string> ids;
  std::string previous;
  for (int i = 0; i < 1000; ++i) {
    auto id = gateway::new_message_id(1'700'000'000'000 + i);
    EXPECT_TRUE(gateway::looks_like_message_id(id)) << id;
    EXPECT_GT(id, previous);
    previous = id;
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 1000U);
  EXPECT_FALSE(gateway::looks_like_message_id("msg_../../etc/passwd"));
  EXPECT_FALSE(gateway::looks_like_message_id("msg_0123456789ABCDEFGHJKMNPQRI"));
}

}  // namespace
