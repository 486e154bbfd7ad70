// smpp-link-probe: drives smsgw's carrier link (ESME client) against an SMSC for the interop
// tests (tests/interop/esme_client_vs_node_smsc.js). Binds as transceiver, submits a GSM-7
// message (with extension characters), a UCS-2 message and a 3-part GSM-7 message (8-bit
// concatenation UDH), answers every inbound deliver_sm with ESME_ROK, prints one JSON line per
// event, then unbinds. Exit code 0 when every submit was accepted and `--expect-inbound`
// deliver_sm arrived within `--timeout-ms`.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdio>
#include <string>

#include "smpp/codec.hpp"
#include "smpp/delivery_receipt.hpp"
#include "smpp/net/esme_client.hpp"
#include "smpp/segmentation.hpp"
#include "smpp/text_encoding.hpp"
#include "smpp/udh.hpp"

namespace asio = boost::asio;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

void emit(const json& j) {
  std::printf("%s\n", j.dump().c_str());
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"carrier-link probe for interop tests"};
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::string system_id = "smsgw", password = "secret";
  unsigned expect_inbound = 0;
  long timeout_ms = 15000;
  long enquire_ms = 200;
  app.add_option("--host", host);
  app.add_option("--port", port)->required();
  app.add_option("--system-id", system_id);
  app.add_option("--password", password);
  app.add_option("--expect-inbound", expect_inbound);
  app.add_option("--timeout-ms", timeout_ms);
  app.add_option("--enquire-ms", enquire_ms);
  CLI11_PARSE(app, argc, argv);

  // The messages: cookie -> (text, encoding); the 3-part one is split with our segmentation.
  struct planned {
    std::string text;
    smpp::text_encoding encoding;
  };
  const std::vector<planned> plan = {
      {"GSM-7 @\xc2\xa3$ {curly} [sq] ~ \xe2\x82\xac end", smpp::text_encoding::gsm7},
      {"UCS-2 \xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 \xe2\x98\x83", smpp::text_encoding::ucs2},
      {std::string(150, 'a') + std::string(150, 'b') + std::string(100, 'c'),
       smpp::text_encoding::gsm7},
  };

  asio::io_context io(1);
  smpp::net::carrier_link_config c;
  c.host = host;
  c.port = port;
  c.system_id = system_id;
  c.password = password;
  c.enquire_link_interval = std::chrono::milliseconds(enquire_ms);
  c.enquire_link_timeout = 2000ms;
  c.reconnect_min = 100ms;
  unsigned results = 0, accepted = 0, inbound = 0, submits = 0;
  bool bound = false;
  smpp::net::carrier_link_handler h;
  h.on_result = [&](smpp::net::submit_outcome o) {
    ++results;
    if (o.accepted()) ++accepted;
    emit({{"event", "result"},
          {"cookie", o.cookie},
          {"command_status", o.command_status},
          {"error", o.error ? o.error.message() : ""},
          {"message_id", o.message_id}});
  };
  h.on_inbound = [&](smpp::net::inbound_message m, smpp::net::inbound_responder r) {
    ++inbound;
    json j{{"event", "inbound"}};
    auto d = smpp::decode(m.pdu);
    if (d.ok() && std::holds_alternative<smpp::deliver_sm>(d.value.body)) {
      const auto& dsm = std::get<smpp::deliver_sm>(d.value.body);
      std::span<const std::uint8_t> ud(reinterpret_cast<const std::uint8_t*>(dsm.short_message.data()),
                                       dsm.short_message.size());
      if (dsm.esm_class & smpp::udhi_esm_class_bit) {
        auto udh = smpp::parse_udh(ud);
        if (!udh.error) {
          ud = ud.subspan(udh.udh.length);
          if (udh.udh.concat) {
            j["part"] = udh.udh.concat->seq;
            j["total"] = udh.udh.concat->total;
          }
        }
      }
      std::string text = smpp::decode_text(dsm.data_coding, ud).text;
      j["from"] = dsm.source_addr;
      j["to"] = dsm.destination_addr;
      j["esm_class"] = dsm.esm_class;
      j["data_coding"] = dsm.data_coding;
      j["text"] = text;
      if ((dsm.esm_class & 0x3C) == 0x04) {
        smpp::receipt_tlvs t;
        t.receipted_message_id = dsm.tlvs.get(smpp::tag::receipted_message_id);
        t.message_state = dsm.tlvs.get(smpp::tag::message_state);
        auto rc = smpp::parse_delivery_receipt(text, t);
        j["receipt"] = {{"ok", !rc.error},
                        {"message_id", rc.receipt.message_id},
                        {"stat", rc.receipt.stat},
                        {"state", std::string(smpp::to_string(rc.receipt.state))}};
      }
    } else {
      j["decode_error"] = true;
    }
    emit(j);
    r.respond(0);
  };
  h.on_event = [&](const smpp::net::link_event& e) {
    if (e.kind == smpp::net::link_event_kind::bound) bound = true;
    emit({{"event", "link"},
          {"kind", static_cast<int>(e.kind)},
          {"error", e.error ? e.error.message() : ""},
          {"command_status", e.command_status}});
  };
  auto link = smpp::net::carrier_link::create(io.get_executor(), c, h);
  link->start();

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  auto run_until = [&](auto done) {
    while (!done() && std::chrono::steady_clock::now() < deadline) io.run_for(10ms);
    return done();
  };
  if (!run_until([&] { return bound; })) {
    emit({{"event", "fatal"}, {"what", "not bound"}});
    return 1;
  }
  std::uint64_t cookie = 1;
  std::uint16_t reference = 0x42;
  for (auto& p : plan) {
    smpp::segmentation_options so;
    so.encoding = p.encoding;
    auto seg = smpp::segment_text(p.text, reference++, so);
    for (auto& part : seg.parts) {
      smpp::submit_sm sm;
      sm.source_addr = "12345";
      sm.dest_addr_ton = 1;
      sm.dest_addr_npi = 1;
      sm.destination_addr = "14155550123";
      sm.registered_delivery = 1;
      sm.esm_class = part.udhi ? smpp::udhi_esm_class_bit : 0;
      sm.data_coding = part.data_coding;
      sm.short_message.assign(part.short_message.begin(), part.short_message.end());
      std::vector<std::uint8_t> body;
      smpp::encode(smpp::pdu{sm}, smpp::command_status::esme_rok, 0, body);
      body.erase(body.begin(), body.begin() + smpp::header_size);
      smpp::net::outbound_message m;
      m.cookie = cookie++;
      m.body = std::move(body);
      link->submit(std::move(m));
      ++submits;
    }
  }
  bool ok = run_until([&] { return results == submits && inbound >= expect_inbound; });
  // Stay bound a little longer so the idle enquire_link goes out at least once.
  io.run_for(std::chrono::milliseconds(enquire_ms * 2 + 100));
  bool stopped = false;
  link->async_stop([&] { stopped = true; });
  while (!stopped && std::chrono::steady_clock::now() < deadline + 3s) io.run_for(10ms);
  emit({{"event", "done"},
        {"submits", submits},
        {"accepted", accepted},
        {"inbound", inbound},
        {"stopped", stopped}});
  return ok && accepted == submits && stopped ? 0 : 1;
}
