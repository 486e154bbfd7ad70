#include "smpp/pdu_print.hpp"

#include <cstdio>
#include <string_view>
#include <vector>

namespace smpp {
namespace {

class json_writer {
 public:
  explicit json_writer(bool pretty) : pretty_(pretty) {}

  void begin_object() { open('{'); }
  void end_object() { close('}'); }
  void begin_array() { open('['); }
  void end_array() { close(']'); }

  void key(std::string_view k) {
    separate();
    put_string(k);
    out_ += pretty_ ? ": " : ":";
    after_key_ = true;
  }

  void string(std::string_view v) {
    separate();
    put_string(v);
  }

  void number(std::uint64_t v) {
    separate();
    out_ += std::to_string(v);
  }

  void raw(std::string_view v) {
    separate();
    out_ += v;
  }

  std::string take() { return std::move(out_); }

 private:
  void open(char c) {
    separate();
    out_ += c;
    first_.push_back(true);
  }

  void close(char c) {
    const bool empty = first_.back();
    first_.pop_back();
    if (pretty_ && !empty) newline();
    out_ += c;
  }

  // Comma and indentation before a value or key (not before the value that follows a key).
  void separate() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (first_.empty()) return;
    if (!first_.back()) out_ += ',';
    first_.back() = false;
    if (pretty_) newline();
  }

  void newline() {
    out_ += '\n';
    out_.append(2 * first_.size(), ' ');
  }

  void put_string(std::string_view s) {
    out_ += '"';
    for (char ch : s) {
      const auto c = static_cast<unsigned char>(ch);
      switch (c) {
        case '"': out_ += "\\\""; break;
        case '\\': out_ += "\\\\"; break;
        case '\n': out_ += "\\n"; break;
        case '\r': out_ += "\\r"; break;
        case '\t': out_ += "\\t"; break;
        default:
          if (c < 0x20 || c >= 0x7F) {
            // Bytes, not UTF-8: show non-ASCII octets as \u00XX so the output stays valid JSON.
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out_ += buf;
          } else {
            out_ += ch;
          }
      }
    }
    out_ += '"';
  }

  std::string out_;
  std::vector<bool> first_;
  bool pretty_;
  bool after_key_ = false;
};

std::string hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    out += digits[c >> 4];
    out += digits[c & 0xF];
  }
  return out;
}

bool printable(std::string_view bytes) {
  for (char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 || c >= 0x7F) && c != '\n' && c != '\r') return false;
  }
  return true;
}

std::string tag_hex(std::uint16_t tag) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%04x", tag);
  return buf;
}

void print_field(json_writer& w, std::string_view name, std::uint8_t v, field::int1) {
  w.key(name);
  w.number(v);
}

void print_field(json_writer& w, std::string_view name, const std::string& v, field::cstring) {
  w.key(name);
  w.string(v);
}

void print_field(json_writer& w, std::string_view name, const std::string& v, field::time) {
  w.key(name);
  w.string(v);
}

void print_field(json_writer& w, std::string_view name, const std::string& v, field::short_message) {
  w.key("sm_length");
  w.number(v.size());
  w.key(name);
  w.string(hex(v));
  if (!v.empty() && printable(v)) {
    w.key("short_message_text");
    w.string(v);
  }
}

void print_field(json_writer& w, std::string_view name, const std::vector<dest_address>& v,
                 field::dest_addresses) {
  w.key("number_of_dests");
  w.number(v.size());
  w.key(name);
  w.begin_array();
  for (const auto& d : v) {
    w.begin_object();
    w.key("dest_flag");
    w.number(d.dest_flag);
    if (d.dest_flag == dest_flag_sme_address) {
      w.key("dest_addr_ton");
      w.number(d.dest_addr_ton);
      w.key("dest_addr_npi");
      w.number(d.dest_addr_npi);
      w.key("destination_addr");
    } else {
      w.key("dl_name");
    }
    w.string(d.address);
    w.end_object();
  }
  w.end_array();
}

void print_field(json_writer& w, std::string_view name, const std::vector<unsuccess_sme>& v,
                 field::unsuccess_smes) {
  w.key("no_unsuccess");
  w.number(v.size());
  w.key(name);
  w.begin_array();
  for (const auto& u : v) {
    w.begin_object();
    w.key("dest_addr_ton");
    w.number(u.dest_addr_ton);
    w.key("dest_addr_npi");
    w.number(u.dest_addr_npi);
    w.key("destination_addr");
    w.string(u.destination_addr);
    w.key("error_status_code");
    w.string(to_string(u.error_status_code));
    w.end_object();
  }
  w.end_array();
}

void print_tlv(json_writer& w, const tlv& t) {
  w.begin_object();
  w.key("tag");
  w.string(tag_hex(t.tag));
  const tlv_info* info = find_tlv_info(t.tag);
  if (info == nullptr) {
    w.key("hex");
    w.string(hex(t.value));
    w.end_object();
    return;
  }
  w.key("name");
  w.string(info->name);
  w.key("value");
  switch (info->type) {
    case tlv_type::int1:
    case tlv_type::int2:
    case tlv_type::int4: {
      std::uint64_t v = 0;
      for (char c : t.value) v = (v << 8) | static_cast<unsigned char>(c);
      w.number(v);
      break;
    }
    case tlv_type::cstring:
      w.string(std::string_view(t.value).substr(0, t.value.find('\0')));
      break;
    case tlv_type::octets:
      w.string(hex(t.value));
      if (t.tag == tag::message_payload.value && !t.value.empty() && printable(t.value)) {
        w.key("text");
        w.string(t.value);
      }
      break;
  }
  w.end_object();
}

void print_field(json_writer& w, std::string_view name, const tlv_list& v, field::tlvs) {
  if (v.empty()) return;
  w.key(name);
  w.begin_array();
  for (const auto& t : v.items) print_tlv(w, t);
  w.end_array();
}

void print_body(json_writer& w, const pdu& body) {
  w.begin_object();
  std::visit(
      [&](const auto& p) {
        using P = std::decay_t<decltype(p)>;
        std::apply([&](const auto&... f) { (print_field(w, f.name, p.*(f.member), f.kind), ...); },
                   fields_of<P>);
      },
      body);
  w.end_object();
}

}  // namespace

std::string to_json(const frame& f, bool pretty) {
  json_writer w(pretty);
  w.begin_object();
  w.key("command_id");
  w.string(to_string(id_of(f.body)));
  w.key("command_status");
  const auto status_name = to_string(f.status);
  if (status_name == "unknown" || status_name == "vendor") {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08x", static_cast<unsigned>(f.status));
    w.string(buf);
  } else {
    w.string(status_name);
  }
  w.key("sequence_number");
  w.number(f.sequence_number);
  w.key("body");
  print_body(w, f.body);
  w.end_object();
  return w.take();
}

std::string to_json(const pdu& body, bool pretty) {
  json_writer w(pretty);
  print_body(w, body);
  return w.take();
}

}  // namespace smpp
