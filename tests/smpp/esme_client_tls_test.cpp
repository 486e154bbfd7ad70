// The carrier link over TLS against the simulator (loopback, port 0). The certificates are made
// here with OpenSSL: a self-signed one for "localhost" trusted by the client, and another one
// the client does not trust (the link must refuse it: verification is always on).
#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "smpp/codec.hpp"
#include "smpp/net/esme_client.hpp"
#include "tools/smsc_sim/simulator.hpp"

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

struct cert_files {
  std::string cert;
  std::string key;
};

// Writes a self-signed certificate for DNS:localhost (P-256) and its key into `dir`.
cert_files make_cert(const std::filesystem::path& dir, const std::string& stem) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 24 * 3600);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  X509_EXTENSION* san = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, "DNS:localhost");
  X509_add_ext(x, san, -1);
  X509_EXTENSION_free(san);
  X509_sign(x, key, EVP_sha256());
  cert_files f{(dir / (stem + ".crt")).string(), (dir / (stem + ".key")).string()};
  FILE* c = std::fopen(f.cert.c_str(), "w");
  PEM_write_X509(c, x);
  std::fclose(c);
  FILE* k = std::fopen(f.key.c_str(), "w");
  PEM_write_PrivateKey(k, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(k);
  X509_free(x);
  EVP_PKEY_free(key);
  return f;
}

struct CarrierLinkTls : ::testing::Test {
  asio::io_context io{1};
  std::filesystem::path dir;
  std::shared_ptr<smsc_sim::simulator> sim;
  std::shared_ptr<smpp::net::carrier_link> link;
  std::vector<smpp::net::submit_outcome> outcomes;
  std::vector<smpp::net::link_event> events;
  unsigned bound = 0;

  void SetUp() override {
    dir = std::filesystem::temp_directory_path() /
          ("smsgw-tls-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
           std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    std::filesystem::create_directories(dir);
  }
  void TearDown() override {
    bool stopped = false;
    if (link) link->async_stop([&] { stopped = true; });
    run_until([&] { return stopped; });
    link.reset();
    if (sim) sim->stop();
    io.run_for(50ms);
    std::filesystem::remove_all(dir);
  }
  bool run_until(const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!done() && std::chrono::steady_clock::now() < deadline) io.run_for(5ms);
    return done();
  }
  void start(const cert_files& server, const std::string& trusted_ca, const cert_files& client = {},
             const std::string& client_ca = {}) {
    smsc_sim::options o;
    o.tls_cert_file = server.cert;
    o.tls_key_file = server.key;
    o.tls_client_ca_file = client_ca;
    sim = std::make_shared<smsc_sim::simulator>(io.get_executor(), o);
    ASSERT_FALSE(sim->listen({asio::ip::make_address("127.0.0.1"), 0}));
    sim->start();
    smpp::net::carrier_link_config c;
    c.port = sim->local_endpoint().port();
    c.system_id = "smsgw";
    c.reconnect_min = 50ms;
    c.tls.enabled = true;
    c.tls.ca_file = trusted_ca;
    c.tls.server_name = "localhost";
    c.tls.cert_file = client.cert;
    c.tls.key_file = client.key;
    smpp::net::carrier_link_handler h;
    h.on_result = [this](smpp::net::submit_outcome out) { outcomes.push_back(out); };
    h.on_event = [this](const smpp::net::link_event& e) {
      events.push_back(e);
      if (e.kind == smpp::net::link_event_kind::bound) ++bound;
    };
    link = smpp::net::carrier_link::create(io.get_executor(), c, h);
    link->start();
  }
};

TEST_F(CarrierLinkTls, BindsAndSubmitsOverVerifiedTls) {
  auto server = make_cert(dir, "server");
  start(server, server.cert);
  ASSERT_TRUE(run_until([&] { return bound == 1; }));
  smpp::submit_sm sm;
  sm.destination_addr = "14155550123";
  sm.short_message = "over tls";
  std::vector<std::uint8_t> body;
  smpp::encode(smpp::pdu{sm}, smpp::command_status::esme_rok, 0, body);
  body.erase(body.begin(), body.begin() + smpp::header_size);
  link->submit({7, smpp::command_id::submit_sm, body, 1});
  ASSERT_TRUE(run_until([&] { return outcomes.size() == 1; }));
  EXPECT_TRUE(outcomes[0].accepted());
  auto msgs = sim->messages("14155550123", 1);
  ASSERT_EQ(msgs.size(), 1U);
  EXPECT_EQ(msgs[0].text, "over tls");
}

TEST_F(CarrierLinkTls, RefusesACertificateItDoesNotTrust) {
  auto server = make_cert(dir, "server");
  auto other = make_cert(dir, "other");
  start(server, other.cert);  // the client trusts another certificate only
  ASSERT_TRUE(run_until([&] {
    int failures = 0;
    for (auto& e : events) failures += e.kind == smpp::net::link_event_kind::disconnected;
    return failures >= 2;
  }));
  EXPECT_EQ(bound, 0U);
  EXPECT_EQ(sim->stats()["binds"], 0);
}

TEST_F(CarrierLinkTls, PresentsItsClientCertificateWhenTheCarrierRequiresOne) {
  auto server = make_cert(dir, "server");
  auto client = make_cert(dir, "client");
  start(server, server.cert, client, client.cert);
  ASSERT_TRUE(run_until([&] { return bound == 1; }));
  EXPECT_EQ(sim->stats()["binds"], 1);
}

TEST_F(CarrierLinkTls, WithoutAClientCertificateACarrierThatRequiresOneRefusesTheLink) {
  auto server = make_cert(dir, "server");
  auto client = make_cert(dir, "client");
  start(server, server.cert, {}, client.cert);
  // With TLS 1.3 the client finishes its side of the handshake first; the carrier's
  // "certificate required" alert then arrives while binding: the bind fails, the link retries.
  ASSERT_TRUE(run_until([&] {
    int failures = 0;
    for (auto& e : events) {
      failures += e.kind == smpp::net::link_event_kind::bind_failed ||
                  e.kind == smpp::net::link_event_kind::disconnected;
    }
    return failures >= 2;
  }));
  EXPECT_EQ(bound, 0U);
  EXPECT_EQ(sim->stats()["binds"], 0);
}

TEST_F(CarrierLinkTls, AHandshakeThatNeverCompletesIsCutAtTheConnectTimeout) {
  // A peer that accepts TCP and then says nothing: without a bound the link would wait forever.
  asio::ip::tcp::acceptor silent(io, {asio::ip::make_address("127.0.0.1"), 0});
  std::vector<std::shared_ptr<asio::ip::tcp::socket>> held;
  std::function<void()> accept_one = [&] {
    auto sock = std::make_shared<asio::ip::tcp::socket>(io);
    silent.async_accept(*sock, [&, sock](boost::system::error_code ec) {
      if (ec) return;
      held.push_back(sock);
      accept_one();
    });
  };
  accept_one();
  smpp::net::carrier_link_config c;
  c.port = silent.local_endpoint().port();
  c.system_id = "smsgw";
  c.connect_timeout = 200ms;
  c.reconnect_min = 50ms;
  c.reconnect_max = 100ms;
  c.tls.enabled = true;
  c.tls.server_name = "localhost";
  smpp::net::carrier_link_handler h;
  h.on_result = [this](smpp::net::submit_outcome out) { outcomes.push_back(out); };
  h.on_event = [this](const smpp::net::link_event& e) { events.push_back(e); };
  link = smpp::net::carrier_link::create(io.get_executor(), c, h);
  link->start();
  ASSERT_TRUE(run_until([&] {
    int failures = 0;
    for (auto& e : events) failures += e.kind == smpp::net::link_event_kind::disconnected;
    return failures >= 2;
  })) << "the TLS handshake was not bounded";
  EXPECT_GE(held.size(), 2U);  // it gave up and reconnected
  silent.close();
}

}  // namespace
