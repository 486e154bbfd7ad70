#include "smpp/codec.hpp"

#include <cstring>
#include <string>
#include <utility>

namespace smpp {
namespace {

// ---- reading ----------------------------------------------------------------------------------

struct reader {
  const std::uint8_t* p;
  const std::uint8_t* end;

  std::size_t remaining() const noexcept { return static_cast<std::size_t>(end - p); }
};

constexpr decode_error truncated(std::string_view field) noexcept {
  return {errc::truncated, field, command_status::esme_rinvcmdlen, false};
}

bool read_u8(reader& r, std::uint8_t& v, std::string_view name, decode_error& err) noexcept {
  if (r.remaining() < 1) {
    err = truncated(name);
    return false;
  }
  v = *r.p++;
  return true;
}

bool read_u32(reader& r, std::uint32_t& v, std::string_view name, decode_error& err) noexcept {
  if (r.remaining() < 4) {
    err = truncated(name);
    return false;
  }
  v = (std::uint32_t{r.p[0]} << 24) | (std::uint32_t{r.p[1]} << 16) | (std::uint32_t{r.p[2]} << 8) |
      std::uint32_t{r.p[3]};
  r.p += 4;
  return true;
}

bool read_cstring(reader& r, std::string& v, std::string_view name, std::size_t max,
                  command_status status, decode_error& err) {
  // Look for the NUL within the field's maximum only: a peer cannot make us scan further.
  const std::size_t window = std::min(max, r.remaining());
  const auto* nul = static_cast<const std::uint8_t*>(std::memchr(r.p, 0, window));
  if (nul == nullptr) {
    err = {window < max ? errc::missing_nul : errc::string_too_long, name, status, false};
    return false;
  }
  v.assign(reinterpret_cast<const char*>(r.p), static_cast<std::size_t>(nul - r.p));
  r.p = nul + 1;
  return true;
}

bool decode_field(reader& r, std::uint8_t& v, std::string_view name, field::int1, decode_error& err) {
  return read_u8(r, v, name, err);
}

bool decode_field(reader& r, std::string& v, std::string_view name, field::cstring k,
                  decode_error& err) {
  return read_cstring(r, v, name, k.max, k.status, err);
}

bool decode_field(reader& r, std::string& v, std::string_view name, field::time k, decode_error& err) {
  if (!read_cstring(r, v, name, 17, k.status, err)) return false;
  if (!v.empty() && v.size() != 16) {
    err = {errc::invalid_time, name, k.status, false};
    return false;
  }
  return true;
}

bool decode_field(reader& r, std::string& v, std::string_view, field::short_message,
                  decode_error& err) {
  std::uint8_t length = 0;
  if (!read_u8(r, length, "sm_length", err)) return false;
  if (length > 254) {
    err = {errc::message_too_long, "sm_length", command_status::esme_rinvmsglen, false};
    return false;
  }
  if (length > r.remaining()) {
    err = {errc::truncated, "short_message", command_status::esme_rinvmsglen, false};
    return false;
  }
  v.assign(reinterpret_cast<const char*>(r.p), length);
  r.p += length;
  return true;
}

bool decode_field(reader& r, std::vector<dest_address>& v, std::string_view, field::dest_addresses,
                  decode_error& err) {
  std::uint8_t count = 0;
  if (!read_u8(r, count, "number_of_dests", err)) return false;
  if (count > 254) {
    err = {errc::too_many_items, "number_of_dests", command_status::esme_rinvnumdests, false};
    return false;
  }
  v.clear();
  v.reserve(count);
  for (unsigned i = 0; i < count; ++i) {
    dest_address d;
    if (!read_u8(r, d.dest_flag, "dest_flag", err)) return false;
    if (d.dest_flag == dest_flag_sme_address) {
      if (!read_u8(r, d.dest_addr_ton, "dest_addr_ton", err) ||
          !read_u8(r, d.dest_addr_npi, "dest_addr_npi", err) ||
          !read_cstring(r, d.address, "destination_addr", 21, command_status::esme_rinvdstadr, err)) {
        return false;
      }
    } else if (d.dest_flag == dest_flag_distribution_list) {
      if (!read_cstring(r, d.address, "dl_name", 21, command_status::esme_rinvdlname, err)) {
        return false;
      }
    } else {
      err = {errc::invalid_dest_flag, "dest_flag", command_status::esme_rinvdestflag, false};
      return false;
    }
    v.push_back(std::move(d));
  }
  return true;
}

bool decode_field(reader& r, std::vector<unsuccess_sme>& v, std::string_view, field::unsuccess_smes,
                  decode_error& err) {
  std::uint8_t count = 0;
  if (!read_u8(r, count, "no_unsuccess", err)) return false;
  v.clear();
  v.reserve(count);
  for (unsigned i = 0; i < count; ++i) {
    unsuccess_sme u;
    std::uint32_t status = 0;
    if (!read_u8(r, u.dest_addr_ton, "dest_addr_ton", err) ||
        !read_u8(r, u.dest_addr_npi, "dest_addr_npi", err) ||
        !read_cstring(r, u.destination_addr, "destination_addr", 21, command_status::esme_rinvdstadr,
                      err) ||
        !read_u32(r, status, "error_status_code", err)) {
      return false;
    }
    u.error_status_code = static_cast<command_status>(status);
    v.push_back(std::move(u));
  }
  return true;
}

bool decode_field(reader& r, tlv_list& v, std::string_view, field::tlvs, decode_error& err) {
  v.items.clear();
  while (r.remaining() > 0) {
    if (r.remaining() < 4) {
      err = {errc::tlv_truncated, "tlv", command_status::esme_rinvoptparstream, false};
      return false;
    }
    const auto tag = static_cast<std::uint16_t>((r.p[0] << 8) | r.p[1]);
    const auto length = static_cast<std::size_t>((r.p[2] << 8) | r.p[3]);
    r.p += 4;
    if (length > r.remaining()) {
      const tlv_info* info = find_tlv_info(tag);
      err = {errc::tlv_truncated, info != nullptr ? info->name : std::string_view{"tlv"},
             command_status::esme_rinvoptparstream, false};
      return false;
    }
    tlv t{tag, std::string(reinterpret_cast<const char*>(r.p), length)};
    r.p += length;
    if (auto bad = validate(t)) {
      err = bad;
      return false;
    }
    v.items.push_back(std::move(t));
  }
  return true;
}

template <class Pdu>
bool decode_body(reader& r, Pdu& p, decode_error& err) {
  const bool ok = std::apply(
      [&](const auto&... f) { return (decode_field(r, p.*(f.member), f.name, f.kind, err) && ...); },
      Pdu::fields());
  if (!ok) return false;
  if (r.remaining() != 0) {
    err = {errc::trailing_bytes, "command_length", command_status::esme_rinvcmdlen, false};
    return false;
  }
  return true;
}

template <std::size_t... I>
bool decode_by_id(std::uint32_t id, reader& r, pdu& out, decode_error& err, bool& known,
                  std::index_sequence<I...>) {
  bool ok = false;
  known = ((static_cast<std::uint32_t>(std::variant_alternative_t<I, pdu>::id) == id
                ? (ok = [&] {
                     using P = std::variant_alternative_t<I, pdu>;
                     auto& body = out.template emplace<I>();
                     // Header-only responses are common for error statuses: keep the defaults.
                     if (is_response(P::id) && r.remaining() == 0) return true;
                     return decode_body(r, body, err);
                   }(),
                   true)
                : false) ||
           ...);
  return ok;
}

// ---- writing ----------------------------------------------------------------------------------

void put_u32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  const std::uint8_t b[4] = {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
                             static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
  out.insert(out.end(), b, b + 4);
}

bool write_cstring(std::vector<std::uint8_t>& out, const std::string& v, std::string_view name,
                   std::size_t max, encode_error& err) {
  if (v.size() + 1 > max) {
    err = {errc::string_too_long, name};
    return false;
  }
  if (std::memchr(v.data(), 0, v.size()) != nullptr) {
    err = {errc::embedded_nul, name};
    return false;
  }
  out.insert(out.end(), v.begin(), v.end());
  out.push_back(0);
  return true;
}

bool encode_field(std::vector<std::uint8_t>& out, const std::uint8_t& v, std::string_view, field::int1,
                  encode_error&) {
  out.push_back(v);
  return true;
}

bool encode_field(std::vector<std::uint8_t>& out, const std::string& v, std::string_view name,
                  field::cstring k, encode_error& err) {
  return write_cstring(out, v, name, k.max, err);
}

bool encode_field(std::vector<std::uint8_t>& out, const std::string& v, std::string_view name,
                  field::time, encode_error& err) {
  if (!v.empty() && v.size() != 16) {
    err = {errc::invalid_time, name};
    return false;
  }
  return write_cstring(out, v, name, 17, err);
}

bool encode_field(std::vector<std::uint8_t>& out, const std::string& v, std::string_view name,
                  field::short_message, encode_error& err) {
  if (v.size() > 254) {
    err = {errc::message_too_long, name};
    return false;
  }
  out.push_back(static_cast<std::uint8_t>(v.size()));
  out.insert(out.end(), v.begin(), v.end());
  return true;
}

bool encode_field(std::vector<std::uint8_t>& out, const std::vector<dest_address>& v,
                  std::string_view, field::dest_addresses, encode_error& err) {
  if (v.size() > 254) {
    err = {errc::too_many_items, "number_of_dests"};
    return false;
  }
  out.push_back(static_cast<std::uint8_t>(v.size()));
  for (const auto& d : v) {
    out.push_back(d.dest_flag);
    if (d.dest_flag == dest_flag_sme_address) {
      out.push_back(d.dest_addr_ton);
      out.push_back(d.dest_addr_npi);
      if (!write_cstring(out, d.address, "destination_addr", 21, err)) return false;
    } else if (d.dest_flag == dest_flag_distribution_list) {
      if (!write_cstring(out, d.address, "dl_name", 21, err)) return false;
    } else {
      err = {errc::invalid_dest_flag, "dest_flag"};
      return false;
    }
  }
  return true;
}

bool encode_field(std::vector<std::uint8_t>& out, const std::vector<unsuccess_sme>& v,
                  std::string_view, field::unsuccess_smes, encode_error& err) {
  if (v.size() > 255) {
    err = {errc::too_many_items, "no_unsuccess"};
    return false;
  }
  out.push_back(static_cast<std::uint8_t>(v.size()));
  for (const auto& u : v) {
    out.push_back(u.dest_addr_ton);
    out.push_back(u.dest_addr_npi);
    if (!write_cstring(out, u.destination_addr, "destination_addr", 21, err)) return false;
    put_u32(out, static_cast<std::uint32_t>(u.error_status_code));
  }
  return true;
}

bool encode_field(std::vector<std::uint8_t>& out, const tlv_list& v, std::string_view, field::tlvs,
                  encode_error& err) {
  for (const auto& t : v.items) {
    const tlv_info* info = find_tlv_info(t.tag);
    const std::string_view name = info != nullptr ? info->name : std::string_view{"tlv"};
    if (t.value.size() > 0xFFFF) {
      err = {errc::tlv_too_long, name};
      return false;
    }
    if (auto bad = validate(t)) {
      err = {bad.code, bad.field};
      return false;
    }
    const std::uint8_t head[4] = {static_cast<std::uint8_t>(t.tag >> 8),
                                  static_cast<std::uint8_t>(t.tag & 0xFF),
                                  static_cast<std::uint8_t>(t.value.size() >> 8),
                                  static_cast<std::uint8_t>(t.value.size() & 0xFF)};
    out.insert(out.end(), head, head + 4);
    out.insert(out.end(), t.value.begin(), t.value.end());
  }
  return true;
}

template <class Pdu>
bool encode_body(std::vector<std::uint8_t>& out, const Pdu& p, encode_error& err) {
  return std::apply(
      [&](const auto&... f) { return (encode_field(out, p.*(f.member), f.name, f.kind, err) && ...); },
      Pdu::fields());
}

}  // namespace

encode_error encode(const pdu& body, command_status status, std::uint32_t sequence_number,
                    std::vector<std::uint8_t>& out) {
  const std::size_t start = out.size();
  out.resize(start + header_size);
  encode_error err;
  const bool ok = std::visit([&](const auto& p) { return encode_body(out, p, err); }, body);
  if (!ok) {
    out.resize(start);
    return err;
  }
  const std::size_t length = out.size() - start;
  if (length > 0xFFFFFFFFU) {
    out.resize(start);
    return {errc::command_length_too_large, "command_length"};
  }
  write_header(pdu_header{static_cast<std::uint32_t>(length), static_cast<std::uint32_t>(id_of(body)),
                          static_cast<std::uint32_t>(status), sequence_number},
               std::span<std::uint8_t, header_size>(out.data() + start, header_size));
  return {};
}

encode_error encode(const frame& f, std::vector<std::uint8_t>& out) {
  return encode(f.body, f.status, f.sequence_number, out);
}

decode_result decode(std::span<const std::uint8_t> bytes) {
  decode_result result;
  auto header = peek_header(bytes);
  if (!header) {
    result.error = {errc::command_length_too_small, "command_length", command_status::esme_rinvcmdlen,
                    true};
    return result;
  }
  result.header = *header;
  if (header->command_length != bytes.size()) {
    result.error = {header->command_length < header_size ? errc::command_length_too_small
                                                         : errc::command_length_mismatch,
                    "command_length", command_status::esme_rinvcmdlen, true};
    return result;
  }
  result.value.status = static_cast<command_status>(header->command_status);
  result.value.sequence_number = header->sequence_number;

  reader r{bytes.data() + header_size, bytes.data() + bytes.size()};
  bool known = false;
  const bool ok = decode_by_id(header->command_id, r, result.value.body, result.error, known,
                               std::make_index_sequence<std::variant_size_v<pdu>>{});
  if (!known) {
    result.error = {errc::unknown_command_id, "command_id", command_status::esme_rinvcmdid, false};
  } else if (!ok && !result.error) {
    result.error = truncated("command_length");  // unreachable: every failure sets the error
  }
  return result;
}

std::optional<frame> error_response(const pdu_header& header, const decode_error& error) {
  const auto id = static_cast<command_id>(header.command_id);
  if (id == command_id::generic_nack) return std::nullopt;
  frame out;
  out.status = error.status_to_answer;
  out.sequence_number = header.sequence_number;
  if (error.fatal || error.code == errc::unknown_command_id) {
    out.body = generic_nack{};
  } else {
    out.body = response_for(id);
  }
  return out;
}

}  // namespace smpp
