#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace gateway {

// A new message id: "msg_" + 26 characters of Crockford base32 holding 48 bits of the creation
// time in milliseconds (ids sort by creation time) and 80 random bits from a CSPRNG (ids cannot
// be guessed). Thread-safe.
std::string new_message_id(std::int64_t now_ms);

// The id of 16 bytes (6 of time, big-endian, then 10 random): "msg_" + the 128 bits as 26
// base32 digits, most significant first. new_message_id() is this with fresh bytes.
std::string message_id_from_bytes(const std::array<unsigned char, 16>& bytes);

// True for strings that have the shape of our ids (used to answer 404 early on garbage).
bool looks_like_message_id(std::string_view id);

}  // namespace gateway
