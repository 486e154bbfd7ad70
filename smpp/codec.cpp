#include "smpp/codec.hpp"

#include <array>
#include <cstring>
#include <string>
#include <utility>

namespace smpp {
namespace {

// ---- reading ----------------------------------------------------------------------------------

struct reader {
  const std::uint8_t* p;
  const std::uint8_t* end;
  bool repair_tlv_strings = false;

  std::size_t remaining() const noexcept { return static_cast<std::size_t>(end - p); }
};

constexpr decode_error truncated(std::string_view field) noexcept {
  return {errc::truncated, field, command_status::esme_rinvcmdlen, false};
}

[[gnu::always_inline]] inline bool read_u8(reader& r, std::uint8_t& v, std::string_view name, decode_error& err) noexcept {
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

[[gnu::always_inline]] inline bool read_cstring(reader& r, std::string& v, std::string_view name, std::size_t max,
                  command_status status, decode_error& err) {
  // Look for the NUL within the field's maximum only: a peer cannot make us scan further.
  // SMPP strings are short (at most 65 octets): a plain loop beats a memchr call here.
  const std::size_t window = std::min(max, r.remaining());
  const std::uint8_t* nul = r.p;
  const std::uint8_t* const stop = r.p + window;
  while (nul != stop && *nul != 0) ++nul;
  if (nul == stop) {
    err = {window < max ? errc::missing_nul : errc::string_too_long, name, status, false};
    return false;
  }
  v.assign(reinterpret_cast<const char*>(r.p), static_cast<std::size_t>(nul - r.p));
  r.p = nul + 1;
  return true;
}

[[gnu::always_inline]] inline bool decode_field(reader& r, std::uint8_t& v, std::string_view name, field::int1, decode_error& err) {
  return read_u8(r, v, name, err);
}

[[gnu::always_inline]] inline bool decode_field(reader& r, std::string& v, std::string_view name, field::cstring k,
                  decode_error& err) {
  return read_cstring(r, v, name, k.max, k.status, err);
}

bool decode_field(reader& r, std::string& v, std::string_view name, field::time_string k, decode_error& err) {
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

// decode_options::repair_unterminated_tlv_strings: a C-octet-string TLV with no NUL at all gets
// one appended when the result still fits the parameter's maximum.
bool repair_unterminated(tlv& t) {
  const tlv_info* info = find_tlv_info(t.tag);
  if (info == nullptr || info->type != tlv_type::cstring) return false;
  if (t.value.find('\0') != std::string::npos || t.value.size() + 1 > info->max_length) return false;
  t.value.push_back('\0');
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
      if (!(r.repair_tlv_strings && repair_unterminated(t))) {
        err = bad;
        return false;
      }
    }
    v.items.push_back(std::move(t));
  }
  return true;
}

template <class Pdu>
bool decode_body(reader& r, Pdu& p, decode_error& err) {
  const bool ok = std::apply(
      [&](const auto&... f) { return (decode_field(r, p.*(f.member), f.name, f.kind, err) && ...); },
      fields_of<Pdu>);
  if (!ok) return false;
  if (r.remaining() != 0) {
    err = {errc::trailing_bytes, "command_length", command_status::esme_rinvcmdlen, false};
    return false;
  }
  return true;
}

template <std::size_t I>
bool decode_alternative(reader& r, pdu& out, decode_error& err) {
  using P = std::variant_alternative_t<I, pdu>;
  auto& body = out.template emplace<I>();
  // Header-only responses are common for error statuses: keep the defaults.
  if (is_response(P::id) && r.remaining() == 0) return true;
  return decode_body(r, body, err);
}

// Dispatch from command_id to the variant alternative in O(1): every SMPP 3.4 id maps to a
// distinct slot below 128 (the 0x0102/0x0103 ids are folded down to 0x32/0x33); the table is
// built from the variant's own `id`s, and the decoder re-checks the full id.
constexpr std::size_t no_slot = 128;

constexpr std::size_t slot_of(std::uint32_t id) noexcept {
  std::uint32_t low = id & ~response_bit;
  if (low >= 0x100 && low < 0x130) low = low - 0x100 + 0x30;
  if (low >= 64) return no_slot;
  return ((id & response_bit) != 0 ? 64 : 0) + low;
}

using decode_fn = bool (*)(reader&, pdu&, decode_error&);

struct dispatch_entry {
  std::uint32_t id = 0;
  decode_fn fn = nullptr;
};

template <std::size_t... I>
constexpr std::array<dispatch_entry, no_slot> make_dispatch(std::index_sequence<I...>) {
  std::array<dispatch_entry, no_slot> table{};
  (..., (table[slot_of(static_cast<std::uint32_t>(std::variant_alternative_t<I, pdu>::id))] = {
             static_cast<std::uint32_t>(std::variant_alternative_t<I, pdu>::id),
             &decode_alternative<I>}));
  return table;
}

constexpr auto dispatch = make_dispatch(std::make_index_sequence<std::variant_size_v<pdu>>{});

constexpr bool dispatch_is_complete() {
  std::size_t filled = 0;
  // Indexed (not range-for): GCC 12 with -fsanitize=undefined rejects the iterator form in a
  // constant expression.
  for (std::size_t i = 0; i < dispatch.size(); ++i) filled += dispatch[i].id != 0 ? 1 : 0;
  return filled == std::variant_size_v<pdu>;  // no two ids share a slot
}
static_assert(dispatch_is_complete());

// ---- writing ----------------------------------------------------------------------------------
// Two passes over the field table: `measure` validates every value and sums the wire size, then
// `write` fills the buffer resized once, with no further checks.

bool measure_cstring(std::size_t& n, const std::string& v, std::string_view name, std::size_t max,
                     encode_error& err) noexcept {
  if (v.size() + 1 > max) {
    err = {errc::string_too_long, name};
    return false;
  }
  if (std::memchr(v.data(), 0, v.size()) != nullptr) {
    err = {errc::embedded_nul, name};
    return false;
  }
  n += v.size() + 1;
  return true;
}

bool measure(std::size_t& n, std::uint8_t, std::string_view, field::int1, encode_error&) noexcept {
  n += 1;
  return true;
}

bool measure(std::size_t& n, const std::string& v, std::string_view name, field::cstring k,
             encode_error& err) noexcept {
  return measure_cstring(n, v, name, k.max, err);
}

bool measure(std::size_t& n, const std::string& v, std::string_view name, field::time_string,
             encode_error& err) noexcept {
  if (!v.empty() && v.size() != 16) {
    err = {errc::invalid_time, name};
    return false;
  }
  return measure_cstring(n, v, name, 17, err);
}

bool measure(std::size_t& n, const std::string& v, std::string_view name, field::short_message,
             encode_error& err) noexcept {
  if (v.size() > 254) {
    err = {errc::message_too_long, name};
    return false;
  }
  n += 1 + v.size();
  return true;
}

bool measure(std::size_t& n, const std::vector<dest_address>& v, std::string_view,
             field::dest_addresses, encode_error& err) noexcept {
  if (v.size() > 254) {
    err = {errc::too_many_items, "number_of_dests"};
    return false;
  }
  n += 1;
  for (const auto& d : v) {
    if (d.dest_flag == dest_flag_sme_address) {
      n += 3;
      if (!measure_cstring(n, d.address, "destination_addr", 21, err)) return false;
    } else if (d.dest_flag == dest_flag_distribution_list) {
      n += 1;
      if (!measure_cstring(n, d.address, "dl_name", 21, err)) return false;
    } else {
      err = {errc::invalid_dest_flag, "dest_flag"};
      return false;
    }
  }
  return true;
}

bool measure(std::size_t& n, const std::vector<unsuccess_sme>& v, std::string_view,
             field::unsuccess_smes, encode_error& err) noexcept {
  if (v.size() > 255) {
    err = {errc::too_many_items, "no_unsuccess"};
    return false;
  }
  n += 1;
  for (const auto& u : v) {
    n += 2 + 4;
    if (!measure_cstring(n, u.destination_addr, "destination_addr", 21, err)) return false;
  }
  return true;
}

bool measure(std::size_t& n, const tlv_list& v, std::string_view, field::tlvs,
             encode_error& err) noexcept {
  for (const auto& t : v.items) {
    if (t.value.size() > 0xFFFF) {
      const tlv_info* info = find_tlv_info(t.tag);
      err = {errc::tlv_too_long, info != nullptr ? info->name : std::string_view{"tlv"}};
      return false;
    }
    if (auto bad = validate(t)) {
      err = {bad.code, bad.field};
      return false;
    }
    n += 4 + t.value.size();
  }
  return true;
}

std::uint8_t* put_u8(std::uint8_t* p, std::uint8_t v) noexcept {
  *p = v;
  return p + 1;
}

std::uint8_t* put_u16(std::uint8_t* p, std::size_t v) noexcept {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v & 0xFF);
  return p + 2;
}

std::uint8_t* put_u32(std::uint8_t* p, std::uint32_t v) noexcept {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
  return p + 4;
}

std::uint8_t* put_bytes(std::uint8_t* p, const std::string& v) noexcept {
  if (!v.empty()) std::memcpy(p, v.data(), v.size());
  return p + v.size();
}

std::uint8_t* put_cstring(std::uint8_t* p, const std::string& v) noexcept {
  p = put_bytes(p, v);
  *p = 0;
  return p + 1;
}

std::uint8_t* write(std::uint8_t* p, std::uint8_t v, field::int1) noexcept { return put_u8(p, v); }

std::uint8_t* write(std::uint8_t* p, const std::string& v, field::cstring) noexcept {
  return put_cstring(p, v);
}

std::uint8_t* write(std::uint8_t* p, const std::string& v, field::time_string) noexcept {
  return put_cstring(p, v);
}

std::uint8_t* write(std::uint8_t* p, const std::string& v, field::short_message) noexcept {
  p = put_u8(p, static_cast<std::uint8_t>(v.size()));
  return put_bytes(p, v);
}

std::uint8_t* write(std::uint8_t* p, const std::vector<dest_address>& v,
                    field::dest_addresses) noexcept {
  p = put_u8(p, static_cast<std::uint8_t>(v.size()));
  for (const auto& d : v) {
    p = put_u8(p, d.dest_flag);
    if (d.dest_flag == dest_flag_sme_address) {
      p = put_u8(p, d.dest_addr_ton);
      p = put_u8(p, d.dest_addr_npi);
    }
    p = put_cstring(p, d.address);
  }
  return p;
}

std::uint8_t* write(std::uint8_t* p, const std::vector<unsuccess_sme>& v,
                    field::unsuccess_smes) noexcept {
  p = put_u8(p, static_cast<std::uint8_t>(v.size()));
  for (const auto& u : v) {
    p = put_u8(p, u.dest_addr_ton);
    p = put_u8(p, u.dest_addr_npi);
    p = put_cstring(p, u.destination_addr);
    p = put_u32(p, static_cast<std::uint32_t>(u.error_status_code));
  }
  return p;
}

std::uint8_t* write(std::uint8_t* p, const tlv_list& v, field::tlvs) noexcept {
  for (const auto& t : v.items) {
    p = put_u16(p, t.tag);
    p = put_u16(p, t.value.size());
    p = put_bytes(p, t.value);
  }
  return p;
}

template <class Pdu>
encode_error encode_pdu(const Pdu& body, command_status status, std::uint32_t sequence_number,
                        std::vector<std::uint8_t>& out) {
  constexpr const auto& fields = fields_of<Pdu>;
  std::size_t length = header_size;
  encode_error err;
  const bool ok = std::apply(
      [&](const auto&... f) { return (measure(length, body.*(f.member), f.name, f.kind, err) && ...); },
      fields);
  if (!ok) return err;
  if (length > 0xFFFFFFFFU) return {errc::command_length_too_large, "command_length"};

  const std::size_t start = out.size();
  out.resize(start + length);
  std::uint8_t* p = out.data() + start;
  p = put_u32(p, static_cast<std::uint32_t>(length));
  p = put_u32(p, static_cast<std::uint32_t>(Pdu::id));
  p = put_u32(p, static_cast<std::uint32_t>(status));
  p = put_u32(p, sequence_number);
  std::apply([&](const auto&... f) { ((p = write(p, body.*(f.member), f.kind)), ...); }, fields);
  return {};
}

}  // namespace

encode_error encode(const pdu& body, command_status status, std::uint32_t sequence_number,
                    std::vector<std::uint8_t>& out) {
  return std::visit([&](const auto& p) { return encode_pdu(p, status, sequence_number, out); }, body);
}

encode_error encode(const frame& f, std::vector<std::uint8_t>& out) {
  return encode(f.body, f.status, f.sequence_number, out);
}

decode_result decode(std::span<const std::uint8_t> bytes, const decode_options& options) {
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

  reader r{bytes.data() + header_size, bytes.data() + bytes.size(),
           options.repair_unterminated_tlv_strings};
  const std::size_t slot = slot_of(header->command_id);
  if (slot == no_slot || dispatch[slot].fn == nullptr || dispatch[slot].id != header->command_id) {
    result.error = {errc::unknown_command_id, "command_id", command_status::esme_rinvcmdid, false};
    return result;
  }
  if (!dispatch[slot].fn(r, result.value.body, result.error) && !result.error) {
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
