#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace smpp {

// The 16-byte header every PDU starts with (SMPP 3.4 section 3.2).
struct pdu_header {
  std::uint32_t command_length = 0;
  std::uint32_t command_id = 0;
  std::uint32_t command_status = 0;
  std::uint32_t sequence_number = 0;

  bool operator==(const pdu_header&) const = default;
};

inline constexpr std::size_t header_size = 16;

// Reads the header from the first 16 bytes; std::nullopt when fewer bytes have arrived
// ("not enough bytes yet" is not an error). Validation of the length is the framer's job.
std::optional<pdu_header> peek_header(std::span<const std::uint8_t> bytes) noexcept;

// Writes the header big-endian into the first 16 bytes of `out` (which must hold 16).
void write_header(const pdu_header& header, std::span<std::uint8_t, header_size> out) noexcept;

}  // namespace smpp
