#include "smpp/framer.hpp"

#include "smpp/command_id.hpp"

namespace smpp {

frame_result next_frame(std::span<const std::uint8_t> received, const framer_options& options) noexcept {
  frame_result result;
  auto header = peek_header(received);
  if (!header) {
    result.needed = header_size;
    return result;
  }
  result.header = *header;
  const std::uint32_t length = header->command_length;
  if (length < header_size || length > options.max_command_length) {
    result.status = frame_status::error;
    result.error = {length < header_size ? errc::command_length_too_small
                                         : errc::command_length_too_large,
                    "command_length", command_status::esme_rinvcmdlen, true};
    return result;
  }
  if (received.size() < length) {
    result.needed = length;
    return result;
  }
  result.length = length;
  if (!is_known_command_id(header->command_id)) {
    result.status = frame_status::error;
    result.error = {errc::unknown_command_id, "command_id", command_status::esme_rinvcmdid, false};
    return result;
  }
  result.status = frame_status::complete;
  return result;
}

}  // namespace smpp
