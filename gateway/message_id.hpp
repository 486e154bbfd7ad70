#pragma once

#include <cstdint>
#include <string>

namespace gateway {

// A new message id: "msg_" + 26 characters of Crockford base32 holding 48 bits of the creation
// time in milliseconds (ids sort by creation time) and 80 random bits from a CSPRNG (ids cannot
// be guessed). Thread-safe.
std::string new_message_id(std::int64_t now_ms);

// True for strings that have the shape of our ids (used to answer 404 early on garbage).
bool looks_like_message_id(std::string_view id);

}  // namespace gateway
