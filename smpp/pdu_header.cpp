#include "smpp/pdu_header.hpp"

namespace smpp {
namespace {

std::uint32_t read_u32(const std::uint8_t* p) noexcept {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

void write_u32(std::uint32_t v, std::uint8_t* p) noexcept {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}

}  // namespace

std::optional<pdu_header> peek_header(std::span<const std::uint8_t> bytes) noexcept {
  if (bytes.size() < header_size) return std::nullopt;
  const auto* p = bytes.data();
  return pdu_header{read_u32(p), read_u32(p + 4), read_u32(p + 8), read_u32(p + 12)};
}

void write_header(const pdu_header& header, std::span<std::uint8_t, header_size> out) noexcept {
  auto* p = out.data();
  write_u32(header.command_length, p);
  write_u32(header.command_id, p + 4);
  write_u32(header.command_status, p + 8);
  write_u32(header.sequence_number, p + 12);
}

}  // namespace smpp
