"""Contract details of the HTTP API (docs/api.md) that a careful client relies on: strict query
strings, empty senders, unencoded '+' in a query, who may remove a global suppression, what a
removal answers, malformed escapes, long texts, HEAD, and STOP then START.

Runs with SQLite and with Redis, like test_outbound.py (whose fixture it uses)."""
import json
import os
import socket
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from test_outbound import GatewayFixture  # noqa: E402

AUTH = {"Authorization": "Bearer dev-key"}


def quote(s):
    return urllib.parse.quote(s, safe="")


class ContractBase(GatewayFixture):
    redis_db = 11

    def api(self, method, path, body=None, key="dev-key"):
        return harness.request(method, self.gw.api + path, body, {"Authorization": "Bearer " + key})

    def raw(self, request):
        """Sends raw bytes to the API and returns everything it answers until it closes."""
        host, port = self.gw.api[len("http://"):].split(":")
        data = b""
        with socket.create_connection((host, int(port)), timeout=10) as s:
            s.sendall(request)
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        return data

    def facts(self, number):
        code, body = self.api("GET", "/v1/numbers/" + quote(number))
        self.assertEqual(code, 200, body)
        return body

    # --- query strings --------------------------------------------------------------------

    def test_a_misspelt_query_parameter_is_refused_and_changes_nothing(self):
        # `sendr` for `sender`: without the check this removed the GLOBAL suppression.
        to = self.unique_number()
        self.assertEqual(self.api("PUT", "/v1/suppressions/" + quote(to), {})[0], 200)
        self.assertEqual(self.api("PUT", "/v1/suppressions/" + quote(to), {"sender": "12345"})[0], 200)
        self.assert_error(self.api("DELETE", "/v1/suppressions/%s?sendr=12345" % quote(to)), 400, "bad_request",
                          "sendr")
        self.assertEqual(len(self.facts(to)["suppressions"]), 2)
        self.assert_error(self.api("DELETE", "/v1/consents?number=%s&category=marketing&sendr=12345" % quote(to)),
                          400, "bad_request", "sendr")
        self.assert_error(self.api("DELETE", "/v1/suppressions/%s?sender=12345&sender=12345" % quote(to)), 400,
                          "bad_request", "sender")
        self.assert_error(self.api("GET", "/v1/numbers/%s?regoin=US" % quote(to)), 400, "bad_request", "regoin")
        self.assert_error(self.api("POST", "/v1/messages?dry_run=1", {"to": to, "from": "+14155550100", "text": "x"}),
                          400, "bad_request", "dry_run")
        self.assert_error(self.api("POST", "/v1/messages/batch?x=1", {"messages": [{"to": to, "from": "12345",
                                                                                 "text": "x"}]}),
                          400, "bad_request", "x")

    def test_an_empty_sender_or_region_is_refused_instead_of_meaning_every_sender_or_the_default(self):
        for name in ("sender", "region"):
            to = self.unique_number()
            self.assert_error(self.api("PUT", "/v1/suppressions/" + quote(to), {name: ""}), 400, "bad_request", name)
            self.assertEqual(self.facts(to)["suppressions"], [])
            self.assert_error(self.api("PUT", "/v1/consents", {"number": to, "category": "marketing", name: "",
                                                              "source": "web-form"}),
                              400, "bad_request", name)
            self.assertEqual(self.facts(to)["consents"], [])
            self.assertEqual(self.api("PUT", "/v1/suppressions/" + quote(to), {})[0], 200)
            self.assert_error(self.api("DELETE", "/v1/suppressions/%s?%s=" % (quote(to), name)), 400, "bad_request",
                              name)
            self.assertTrue(self.facts(to)["suppressed"])
            self.assert_error(self.api("DELETE", "/v1/consents?number=%s&category=marketing&%s=" % (quote(to), name)),
                              400, "bad_request", name)
        # Left out, the default region applies (a national number, policy.default_region US).
        code, body = self.api("PUT", "/v1/consents", {"number": self.unique_number()[2:], "category": "marketing",
                                                      "source": "web"})
        self.assertEqual(code, 200, body)

    def test_an_unencoded_plus_in_the_number_query_is_the_e164_plus(self):
        # "?number=+447911123456" arrives as " 447911123456" (a '+' in a query is a space).
        uk = "+447911123456"
        code, body = self.api("PUT", "/v1/consents", {"number": uk, "category": "marketing", "source": "web-form"})
        self.assertEqual(code, 200, body)
        code, body = self.api("DELETE", "/v1/consents?number=%s&category=marketing" % uk)
        self.assertEqual(code, 200, body)
        self.assertEqual(body["number"], uk)
        self.assertTrue(body["revoked"])

    def test_bytes_that_are_not_utf8_in_a_query_are_a_4xx_not_a_500(self):
        # The answer quotes the sender or the parameter name; %FF decodes to a byte that is not
        # UTF-8 (the JSON encoder threw on it: 500).
        code, body = self.api("DELETE", "/v1/suppressions/%2B14155550123?sender=%FF")
        self.assertEqual((code, body["error"]["code"]), (403, "sender_not_allowed"), body)
        self.assertIn("\ufffd", body["error"]["message"])
        code, body = self.api("GET", "/v1/numbers/%2B14155550123?%FE=1")
        self.assertEqual((code, body["error"]["code"]), (400, "bad_request"), body)

    def test_a_malformed_escape_in_the_path_is_400(self):
        self.assert_error(self.api("GET", "/v1/numbers/%2G14155550123"), 400, "bad_request")
        self.assert_error(self.api("DELETE", "/v1/suppressions/%zz"), 400, "bad_request")

    def test_an_unknown_region_is_400_naming_region(self):
        # Not "invalid_number: no country code ... or give a region" while a region was given.
        self.assert_error(self.gw.send({"to": "4155550123", "from": "12345", "text": "x", "region": "ZZ"}), 400,
                          "bad_request", "region")
        self.assert_error(self.api("GET", "/v1/numbers/07911123456?region=XX"), 400, "bad_request", "region")
        self.assert_error(self.api("PUT", "/v1/consents", {"number": "07911123456", "region": "QQ",
                                                          "category": "marketing", "source": "web-form"}),
                          400, "bad_request", "region")
        code, body = self.api("GET", "/v1/numbers/07911123456?region=gb")
        self.assertEqual(code, 200, body)
        self.assertEqual(body["e164"], "+447911123456")
        code, body = self.gw.send({"to": "(415) 555-0123", "from": "12345", "text": "x", "region": "us"})
        self.assertEqual(code, 202, body)

    # --- removing suppressions --------------------------------------------------------------

    def test_a_global_opt_out_from_the_phone_cannot_be_removed_by_an_api_key(self):
        to = self.unique_number()
        self.sim.mo(to.lstrip("+"), "12345", "STOP ALL")
        deadline = time.time() + 10
        while not self.facts(to)["suppressed"] and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual(self.facts(to)["suppressions"][0]["source"], "keyword")
        self.assert_error(self.api("DELETE", "/v1/suppressions/" + quote(to)), 403, "sender_not_allowed", "sender")
        self.assert_error(self.gw.send({"to": to, "from": "+14155550100", "text": "x"}), 422, "recipient_opted_out")
        # One the application stored itself it may remove.
        other = self.unique_number()
        self.assertEqual(self.api("PUT", "/v1/suppressions/" + quote(other), {"reason": "asked by phone"})[0], 200)
        code, body = self.api("DELETE", "/v1/suppressions/" + quote(other))
        self.assertEqual(code, 200, body)
        self.assertEqual(body, {"number": other, "sender": None, "removed": True, "suppressed": False})
        self.assertEqual(self.gw.send({"to": other, "from": "12345", "text": "x"})[0], 202)

    def test_removing_a_sender_suppression_says_when_a_global_one_still_refuses(self):
        to = self.unique_number()
        self.assertEqual(self.api("PUT", "/v1/suppressions/" + quote(to), {})[0], 200)
        self.assertEqual(self.api("PUT", "/v1/suppressions/" + quote(to), {"sender": "12345"})[0], 200)
        code, body = self.api("DELETE", "/v1/suppressions/%s?sender=12345" % quote(to))
        self.assertEqual(code, 200, body)
        self.assertEqual(body, {"number": to, "sender": "12345", "removed": True, "suppressed": True})
        self.assert_error(self.gw.send({"to": to, "from": "12345", "text": "x"}), 422, "recipient_opted_out")
        code, body = self.api("DELETE", "/v1/suppressions/" + quote(to))
        self.assertEqual(code, 200, body)
        self.assertFalse(body["suppressed"])
        self.assert_error(self.api("DELETE", "/v1/suppressions/" + quote(to)), 404, "not_found")

    # --- who sees what (tenants share the store) ---------------------------------------------

    def test_a_key_sees_only_global_entries_and_those_of_its_own_senders(self):
        # dev-key sends from 12345 and +14155550100, other-key from 67890. Without the filter
        # GET /v1/numbers showed each key the other's suppressions and consents.
        to = self.unique_number()
        self.assertEqual(self.api("PUT", "/v1/suppressions/" + quote(to), {})[0], 200)
        self.assertEqual(self.api("PUT", "/v1/suppressions/" + quote(to), {"sender": "12345"})[0], 200)
        self.assertEqual(self.api("PUT", "/v1/suppressions/" + quote(to), {"sender": "67890"}, key="other-key")[0],
                         200)
        for key, sender in (("dev-key", "+14155550100"), ("other-key", "67890")):
            code, body = self.api("PUT", "/v1/consents", {"number": to, "category": "marketing", "sender": sender,
                                                          "source": "web-form"}, key=key)
            self.assertEqual(code, 200, body)
        code, body = self.api("PUT", "/v1/consents", {"number": to, "category": "marketing", "source": "web-form"})
        self.assertEqual(code, 200, body)

        seen = self.facts(to)
        self.assertEqual([s["sender"] for s in seen["suppressions"]], [None, "12345"], seen)
        self.assertEqual(sorted(str(c["sender"]) for c in seen["consents"]), ["+14155550100", "None"], seen)
        code, seen = self.api("GET", "/v1/numbers/" + quote(to), key="other-key")
        self.assertEqual(code, 200, seen)
        self.assertEqual([s["sender"] for s in seen["suppressions"]], [None, "67890"], seen)
        self.assertEqual(sorted(str(c["sender"]) for c in seen["consents"]), ["67890", "None"], seen)

    def test_suppressed_says_whether_a_send_from_one_of_the_keys_senders_is_refused(self):
        to = self.unique_number()
        self.assertEqual(self.api("PUT", "/v1/suppressions/" + quote(to), {"sender": "67890"}, key="other-key")[0],
                         200)
        seen = self.facts(to)
        self.assertEqual((seen["suppressed"], seen["suppressions"]), (False, []), seen)
        self.assertEqual(self.gw.send({"to": to, "from": "12345", "text": "x"})[0], 202)
        code, seen = self.api("GET", "/v1/numbers/" + quote(to), key="other-key")
        self.assertTrue(seen["suppressed"], seen)
        # Removing dev's global suppression: another key's entry remains, but dev's sends are no
        # longer refused, and that is what the answer says.
        self.assertEqual(self.api("PUT", "/v1/suppressions/" + quote(to), {})[0], 200)
        self.assertTrue(self.facts(to)["suppressed"])
        code, body = self.api("DELETE", "/v1/suppressions/" + quote(to))
        self.assertEqual(code, 200, body)
        self.assertEqual(body, {"number": to, "sender": None, "removed": True, "suppressed": False})
        # other-key may neither see nor remove dev's per-sender entries.
        self.assertEqual(self.api("PUT", "/v1/suppressions/" + quote(to), {"sender": "12345"})[0], 200)
        self.assert_error(self.api("DELETE", "/v1/suppressions/%s?sender=12345" % quote(to), key="other-key"), 403,
                          "sender_not_allowed", "sender")
        self.assert_error(self.api("DELETE", "/v1/consents?number=%s&category=marketing&sender=12345" % quote(to),
                                   key="other-key"), 403, "sender_not_allowed", "sender")

    def test_a_key_cannot_read_another_keys_message(self):
        code, sent = self.gw.send({"to": self.unique_number(), "from": "12345", "text": "x"})
        self.assertEqual(code, 202, sent)
        self.assert_error(self.api("GET", "/v1/messages/" + sent["id"], key="other-key"), 404, "not_found", "id")
        self.assertEqual(self.api("GET", "/v1/messages/" + sent["id"])[0], 200)

    # --- consent ------------------------------------------------------------------------------

    def test_a_revocation_ends_consent_whichever_sender_it_was_given_through(self):
        # `marketing` is not consent_per_sender: a consent given through 12345 lets every sender
        # send, so a revocation without a sender (or with another one) must end it too.
        for given, revoked_with in (("12345", None), (None, "+14155550100")):
            to = self.unique_number()
            grant = {"number": to, "category": "marketing", "source": "web-form"}
            if given:
                grant["sender"] = given
            self.assertEqual(self.api("PUT", "/v1/consents", grant)[0], 200)
            code, body = self.gw.send({"to": to, "from": "+14155550100", "text": "sale", "category": "marketing"})
            self.assertEqual(code, 202, body)
            query = "number=%s&category=marketing" % quote(to)
            if revoked_with:
                query += "&sender=" + quote(revoked_with)
            code, body = self.api("DELETE", "/v1/consents?" + query)
            self.assertEqual((code, body["revoked"]), (200, True), body)
            for sender in ("12345", "+14155550100"):
                self.assert_error(self.gw.send({"to": to, "from": sender, "text": "sale", "category": "marketing"}),
                                  422, "no_consent", "to")
            self.assertEqual(self.facts(to)["consents"], [])
            code, body = self.api("DELETE", "/v1/consents?" + query)
            self.assertEqual((code, body["revoked"]), (200, False), body)

    # --- bodies -----------------------------------------------------------------------------

    def test_a_text_over_8_kib_is_message_too_long(self):
        self.assert_error(self.gw.send({"to": self.unique_number(), "from": "12345", "text": "a" * 8193}), 422,
                          "message_too_long", "text")

    def test_a_body_that_is_not_json_says_what_is_wrong_and_where(self):
        # Not only "the body is not valid JSON": a client with a text that is not UTF-8 (Latin-1
        # from a database, say) learns which byte is wrong and why.
        raw = b'{"to": "+14155550123", "from": "12345", "text": "caf\xe9"}'
        code, body = harness.request("POST", self.gw.api + "/v1/messages", raw=raw, headers=AUTH)
        self.assert_error((code, body), 400, "bad_request")
        self.assertIn("UTF-8", body["error"]["message"])
        self.assertIn("at byte 54", body["error"]["message"])  # the quote after the lone 0xE9
        code, body = harness.request("POST", self.gw.api + "/v1/messages/batch", raw=b'{"messages": [}',
                                     headers=AUTH)
        self.assert_error((code, body), 400, "bad_request")
        self.assertIn("at byte 15", body["error"]["message"])
        code, body = harness.request("POST", self.gw.api + "/v1/messages", raw=b"", headers=AUTH)
        self.assert_error((code, body), 400, "bad_request")
        self.assertIn("empty", body["error"]["message"])

    def test_a_body_over_the_limit_is_413_naming_the_limit(self):
        data = self.raw(b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer dev-key\r\n"
                        b"Content-Type: application/json\r\nExpect: 100-continue\r\n"
                        b"Content-Length: 2000000\r\n\r\n")
        self.assertTrue(data.startswith(b"HTTP/1.1 413 "), data)
        error = json.loads(data[data.index(b"\r\n\r\n") + 4:])["error"]
        self.assertEqual(error["code"], "payload_too_large")
        self.assertIn("1048576 bytes", error["message"])  # http.max_body_bytes, 1 MiB by default

    def test_an_invalid_number_has_no_e164_and_its_refusal_says_why(self):
        # "123" is read as a US national number; its "+1123" is not an E.164 number.
        for number in ("123", "hello", "+1415555"):
            code, body = self.api("GET", "/v1/numbers/" + quote(number))
            self.assertEqual(code, 200, body)
            self.assertEqual((body["valid"], body["e164"]), (False, None), body)
            self.assertTrue(body["error"])
            self.assertNotIn("region", body)
        # Where an invalid number is refused, the message says why, as for `to`.
        code, body = self.api("PUT", "/v1/suppressions/123", {})
        self.assert_error((code, body), 422, "invalid_number", "number")
        self.assertIn("too short", body["error"]["message"])
        code, body = self.api("PUT", "/v1/consents", {"number": "hello", "category": "marketing", "source": "web"})
        self.assert_error((code, body), 422, "invalid_number", "number")
        self.assertIn("not a phone number", body["error"]["message"])

    def test_a_send_at_after_2262_is_scheduled_not_sent_now(self):
        # No scheduling limit by default (http.max_send_at_ahead is not set).
        code, body = self.gw.send({"to": self.unique_number(), "from": "12345", "text": "x",
                                   "send_at": "2300-01-01T00:00:00Z"})
        self.assertEqual(code, 202, body)
        self.assertEqual(body["status"], "scheduled")
        self.assertEqual(body["send_at"], "2300-01-01T00:00:00Z")
        code, got = self.api("GET", "/v1/messages/" + body["id"])
        self.assertEqual((code, got["status"], got["send_at"]), (200, "scheduled", "2300-01-01T00:00:00Z"))

    def test_a_send_at_beyond_the_scheduling_horizon_is_refused_naming_the_limit(self):
        # With http.max_send_at_ahead set (35d, as config/production.example.yaml), year 9999 and
        # 36 days ahead are refused; 34 days ahead is scheduled as before.
        workdir = os.path.join(self.workdir.path, "horizon-%s" % self.store)
        os.makedirs(workdir, exist_ok=True)
        gw = harness.Gateway(workdir, self.sim, edit=lambda t: t.replace(
            'read_timeout: 2s}', 'read_timeout: 2s, max_send_at_ahead: 35d}', 1))
        try:
            gw.wait_ready()
            for send_at in ("9999-12-31T23:59:59Z", "2300-01-01T00:00:00Z",
                            time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 36 * 86400))):
                code, body = gw.send({"to": self.unique_number(), "from": "12345", "text": "x", "send_at": send_at})
                self.assert_error((code, body), 400, "bad_request", "send_at")
                self.assertIn("more than 35 days ahead (http.max_send_at_ahead)", body["error"]["message"])
            code, body = harness.request("POST", gw.api + "/v1/messages/batch", {"messages": [
                {"to": self.unique_number(), "from": "12345", "text": "x", "send_at": "9999-12-31T23:59:59Z"}]},
                AUTH)
            self.assertEqual(code, 200, body)
            self.assertEqual(body["results"][0]["error"]["field"], "send_at", body)
            send_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 34 * 86400))
            code, body = gw.send({"to": self.unique_number(), "from": "12345", "text": "x", "send_at": send_at})
            self.assertEqual((code, body.get("status"), body.get("send_at")), (202, "scheduled", send_at), body)
        finally:
            self.assertEqual(gw.stop(), 0)

    def test_a_key_given_twice_is_refused(self):
        to = self.unique_number()
        raw = ('{"to": "%s", "from": "12345", "text": "x", "to": "+14155550199"}' % to).encode()
        self.assert_error(harness.request("POST", self.gw.api + "/v1/messages", raw=raw, headers=AUTH), 400,
                          "bad_request", "to")
        raw = ('{"messages": [{"to": "%s", "from": "12345", "text": "x", "from": "+14155550100"}]}' % to).encode()
        self.assert_error(harness.request("POST", self.gw.api + "/v1/messages/batch", raw=raw, headers=AUTH), 400,
                          "bad_request", "from")
        raw = ('{"sender": "12345", "sender": "+14155550100"}').encode()
        self.assert_error(harness.request("PUT", self.gw.api + "/v1/suppressions/" + quote(to), raw=raw,
                                          headers=AUTH), 400, "bad_request", "sender")
        self.assertEqual(self.facts(to)["suppressions"], [])

    def test_an_absolute_form_target_is_served(self):
        # What an HTTP proxy sends (RFC 9112 3.2.2: a server must accept it).
        host, port = self.gw.api[len("http://"):].split(":")
        data = self.raw(b"GET http://%s:%s/v1/numbers/%%2B14155550123 HTTP/1.1\r\nHost: x\r\n"
                        b"Authorization: Bearer dev-key\r\nConnection: close\r\n\r\n" % (host.encode(), port.encode()))
        self.assertTrue(data.startswith(b"HTTP/1.1 200"), data)
        self.assertIn(b'"e164":"+14155550123"', data)

    def test_expect_100_continue_is_answered_before_the_body(self):
        # curl sends "Expect: 100-continue" for large bodies (older versions: over 1 KiB) and waits a
        # second for the go-ahead: `curl -H "Expect: 100-continue"` took 1.005 s without it, 0.006 s with.
        items = [{"to": self.unique_number(), "from": "12345", "text": "x" * 200} for _ in range(8)]
        body = json.dumps({"messages": items}).encode()
        host, port = self.gw.api[len("http://"):].split(":")
        with socket.create_connection((host, int(port)), timeout=10) as s:
            s.sendall(b"POST /v1/messages/batch HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer dev-key\r\n"
                      b"Content-Type: application/json\r\nExpect: 100-continue\r\nConnection: close\r\n"
                      b"Content-Length: %d\r\n\r\n" % len(body))
            s.settimeout(2)
            started = time.time()
            interim = b""
            while not interim.endswith(b"\r\n\r\n"):
                chunk = s.recv(1)  # no 100: times out (socket.timeout)
                self.assertTrue(chunk, interim)
                interim += chunk
            self.assertEqual(interim, b"HTTP/1.1 100 Continue\r\n\r\n")
            self.assertLess(time.time() - started, 1)
            s.settimeout(10)
            s.sendall(body)
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        self.assertTrue(data.startswith(b"HTTP/1.1 200"), data)
        results = json.loads(data.partition(b"\r\n\r\n")[2])["results"]
        self.assertEqual([r.get("status") for r in results], ["queued"] * 8, results)
        # A wrong key is answered at once with the final 401, not with 100 and then 401.
        data = self.raw(b"POST /v1/messages/batch HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer nope\r\n"
                        b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(body))
        self.assertTrue(data.startswith(b"HTTP/1.1 401"), data)
        self.assertIn(b'"code":"unauthorized"', data)
        # A method the path does not answer: the final 405 at once, with Allow.
        data = self.raw(b"PUT /v1/messages/batch HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer dev-key\r\n"
                        b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(body))
        self.assertTrue(data.startswith(b"HTTP/1.1 405"), data)
        self.assertIn(b"Allow: POST", data)
        self.assertIn(b'"code":"method_not_allowed"', data)

    def test_two_idempotency_keys_are_refused(self):
        body = ('{"to": "%s", "from": "12345", "text": "x"}' % self.unique_number()).encode()
        data = self.raw(b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer dev-key\r\n"
                        b"Idempotency-Key: a\r\nIdempotency-Key: b\r\nConnection: close\r\n"
                        b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        self.assertTrue(data.startswith(b"HTTP/1.1 400"), data)
        self.assertIn(b'"field":"Idempotency-Key"', data)

    def idempotency_raw(self, path, body, *values):
        """Sends `body` with one Idempotency-Key header per value (exactly as given) and returns
        the status line and the JSON answer."""
        headers = b"".join(b"Idempotency-Key:" + v + b"\r\n" for v in values)
        data = self.raw(b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer dev-key\r\n" + headers +
                        b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        head, _, rest = data.partition(b"\r\n\r\n")
        return head.split(b"\r\n")[0], json.loads(rest)

    def test_an_empty_idempotency_key_is_refused_not_taken_for_none(self):
        to = self.unique_number()
        body = ('{"to": "%s", "from": "12345", "text": "x"}' % to).encode()
        # Empty, only spaces or a tab, and an empty one before a real one: each silently sent
        # without duplicate protection before.
        for values in ([b""], [b"   "], [b" \t "], [b"", b" abc"]):
            status, answer = self.idempotency_raw(b"/v1/messages", body, *values)
            self.assertEqual(status, b"HTTP/1.1 400 Bad Request", (values, answer))
            self.assertEqual(answer["error"]["code"], "bad_request", answer)
            self.assertEqual(answer["error"]["field"], "Idempotency-Key", answer)
            if len(values) == 1:
                self.assertIn("must not be empty", answer["error"]["message"])
            else:
                self.assertIn("given twice", answer["error"]["message"])
        # Over 255 characters is refused naming the limit; 255 is fine.
        status, answer = self.idempotency_raw(b"/v1/messages", body, b" " + b"k" * 256)
        self.assertEqual(status, b"HTTP/1.1 400 Bad Request", answer)
        self.assertIn("longer than 255 characters", answer["error"]["message"])
        status, answer = self.idempotency_raw(b"/v1/messages", body, b" " + b"k" * 255)
        self.assertEqual(status, b"HTTP/1.1 202 Accepted", answer)
        # A batch refuses the header whatever its value, also empty.
        batch = ('{"messages": [%s]}' % body.decode()).encode()
        for value in (b"", b" key-1"):
            status, answer = self.idempotency_raw(b"/v1/messages/batch", batch, value)
            self.assertEqual(status, b"HTTP/1.1 400 Bad Request", answer)
            self.assertEqual(answer["error"]["field"], "Idempotency-Key", answer)
            self.assertIn("not supported on batches", answer["error"]["message"])

    def test_an_empty_region_or_campaign_is_refused_an_empty_client_ref_is_not(self):
        to = self.unique_number()
        self.assert_error(self.gw.send({"to": to, "from": "12345", "text": "x", "region": ""}), 400,
                          "bad_request", "region")
        code, body = self.gw.send({"to": to, "from": "12345", "text": "x", "campaign": ""})
        self.assert_error((code, body), 400, "bad_request", "campaign")
        self.assertIn("omit the field", body["error"]["message"])
        code, body = self.api("POST", "/v1/messages/batch", {"messages": [
            {"to": to, "from": "12345", "text": "x", "region": ""},
            {"to": to, "from": "12345", "text": "x", "campaign": ""},
            {"to": to, "from": "12345", "text": "x", "client_ref": ""}]})
        self.assertEqual(code, 200, body)
        results = body["results"]
        self.assertEqual([r.get("error", {}).get("field") for r in results], ["region", "campaign", None], results)
        self.assertEqual([r.get("error", {}).get("code") for r in results], ["bad_request", "bad_request", None])
        self.assertEqual(results[2]["status"], "queued", results)
        code, body = self.gw.send({"to": to, "from": "12345", "text": "x", "client_ref": ""})
        self.assertEqual((code, body.get("status")), (202, "queued"), body)

    def test_an_empty_category_is_refused_not_sent_as_transactional(self):
        to = self.unique_number()
        self.assert_error(self.gw.send({"to": to, "from": "12345", "text": "Sale!", "category": ""}), 400,
                          "bad_request", "category")
        self.assert_error(self.gw.send({"to": to, "from": "12345", "text": "x", "send_at": ""}), 400,
                          "bad_request", "send_at")

    def test_a_batch_without_messages_names_the_missing_field(self):
        code, body = self.api("POST", "/v1/messages/batch", {})
        self.assertEqual(code, 400, body)
        self.assertEqual(body["error"]["field"], "messages")
        self.assertIn("missing", body["error"]["message"])

    def test_head_answers_headers_only_and_the_connection_stays_usable(self):
        # Two requests on one connection: the bytes after the HEAD answer's headers must be the
        # next answer, not a body.
        data = self.raw(b"HEAD /v1/numbers/%2B14155550123 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer dev-key\r\n\r\n"
                        b"GET /v1/numbers/%2B14155550123 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer dev-key\r\n"
                        b"Connection: close\r\n\r\n")
        head, _, rest = data.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 200"), data)
        self.assertTrue(rest.startswith(b"HTTP/1.1 200"), data)
        self.assertIn(b'"e164":"+14155550123"', rest)

    def test_help_replies_do_not_use_up_the_stop_confirmation(self):
        # policy.reply_rate_limit is 5 per hour by default: five HELP replies, then a STOP.
        number = self.unique_number()
        for _ in range(5):
            self.assertEqual(self.sim.mo(number.lstrip("+"), "12345", "HELP")[0], 200)
        self.assertEqual(self.sim.mo(number.lstrip("+"), "12345", "STOP")[0], 200)
        deadline = time.time() + 10
        confirmations = []
        while time.time() < deadline and not confirmations:
            texts = [m["text"] for m in self.sim.messages(to=number.lstrip("+")).get("messages", [])]
            confirmations = [t for t in texts if "unsubscribed" in t]
            time.sleep(0.05)
        self.assertEqual(len(confirmations), 1, texts)
        # The loop guard still holds per kind: five more STOPs (an auto-responder answering each
        # confirmation with STOP) get four more confirmations, not five.
        for _ in range(5):
            self.assertEqual(self.sim.mo(number.lstrip("+"), "12345", "STOP")[0], 200)
        deadline = time.time() + 10
        while time.time() < deadline and len(confirmations) < 5:
            texts = [m["text"] for m in self.sim.messages(to=number.lstrip("+")).get("messages", [])]
            confirmations = [t for t in texts if "unsubscribed" in t]
            time.sleep(0.05)
        time.sleep(0.5)
        texts = [m["text"] for m in self.sim.messages(to=number.lstrip("+")).get("messages", [])]
        self.assertEqual(len([t for t in texts if "unsubscribed" in t]), 5, texts)
        self.assertEqual(len([t for t in texts if "Msg&data" in t]), 5, texts)

    # --- STOP, then START -------------------------------------------------------------------

    def test_a_message_after_stop_then_start_is_sent(self):
        to = self.unique_number()
        self.sim.mo(to.lstrip("+"), "12345", "STOP")
        self.sim.mo(to.lstrip("+"), "12345", "START")
        deadline = time.time() + 10
        while self.facts(to)["suppressed"] and time.time() < deadline:
            time.sleep(0.05)
        code, body = self.gw.send({"to": to, "from": "12345", "text": "welcome back"})
        self.assertEqual(code, 202, body)
        final = self.wait_status(body["id"], ("submitted", "delivered", "rejected"))
        self.assertIn(final["status"], ("submitted", "delivered"), final)


class ContractSqlite(ContractBase, unittest.TestCase):
    store = "sqlite"


class ContractRedis(ContractBase, unittest.TestCase):
    store = "redis"


if __name__ == "__main__":
    unittest.main()
