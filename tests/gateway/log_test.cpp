#include <gtest/gtest.h>

#include "gateway/log.hpp"

namespace {

using namespace gateway::log;

TEST(Log, RendersStructuredJsonWithMaskedNumbers) {
  auto line = render(level::info, "message_accepted",
                     {{"id", std::string("msg_1")}, number("to", "+14155550123"), {"segments", std::int64_t{2}}},
                     format::json, "2026-11-29T16:00:00.000Z");
  EXPECT_EQ(line,
            R"({"ts":"2026-11-29T16:00:00.000Z","level":"info","event":"message_accepted","id":"msg_1","to":"+1415*****23","segments":2})");
  EXPECT_EQ(line.find("5550123"), std::string::npos);
}

TEST(Log, EscapesHostileValues) {
  auto line = render(level::warn, "bad_input", {{"value", std::string("a\"b\n")}}, format::json, "t");
  EXPECT_EQ(line, R"({"ts":"t","level":"warn","event":"bad_input","value":"a\"b\n"})");
}

TEST(Log, RendersText) {
  auto line = render(level::error, "store_down", {{"retry_ms", std::int64_t{500}}, {"ready", false}},
                     format::text, "t");
  EXPECT_EQ(line, "t error store_down retry_ms=500 ready=false");
}

}  // namespace
