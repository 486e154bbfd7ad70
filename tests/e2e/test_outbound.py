"""Outbound end to end: HTTP API -> policy -> store -> carrier worker -> smsc-sim.

Runs once with the embedded SQLite store and once with Redis (SMSGW_TEST_REDIS_URL)."""
import concurrent.futures
import datetime
import math
import os
import sys
import re
import time
import unittest
import uuid
import zoneinfo

import phonenumbers
from phonenumbers import timezone as pn_timezone

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

GOOD = "+14155550123"


def allowed(dt_utc, zones, start=8 * 60, end=21 * 60):
    for z in zones:
        local = dt_utc.astimezone(zoneinfo.ZoneInfo(z))
        minute = local.hour * 60 + local.minute
        if not (start <= minute < end):
            return False
    return True


def first_allowed(now_utc, zones):
    t = now_utc.replace(second=0, microsecond=0)
    if t < now_utc:
        t += datetime.timedelta(minutes=1)
    for _ in range(8 * 24 * 60):
        if allowed(t, zones):
            return t
        t += datetime.timedelta(minutes=1)
    return None


CANDIDATES = ["+12125550123", "+18085550123", "+447911123456", "+819012345678", "+919876543210",
              "+5511987654321", "+61412345678", "+33612345678"]


def number_in_quiet_hours():
    """A number whose local time is in quiet hours now and stays so for a few minutes."""
    now = datetime.datetime.now(datetime.timezone.utc)
    for n in CANDIDATES:
        zones = pn_timezone.time_zones_for_number(phonenumbers.parse(n))
        if all(not allowed(now + datetime.timedelta(minutes=m), zones) for m in range(0, 5)):
            return n, zones
    return None, None


class GatewayFixture:
    """One simulator and one gateway per test class; `store` picks SQLite or Redis."""
    store = "sqlite"
    # The Redis database of the class: flushed at set-up, so each Redis class has its own
    # (ctest runs two test programs at once; a shared database was flushed under the other's feet).
    redis_db = 7
    # Extra YAML for the gateway (e.g. its runtime section).
    extra = ""
    # Extra YAML inside its policy section, indented by two spaces (e.g. keywords).
    policy_extra = ""

    @classmethod
    def setUpClass(cls):
        cls.workdir = harness.Workdir()
        cls.sim = harness.Simulator()
        redis_url = None
        if cls.store == "redis":
            redis_url = os.environ.get("SMSGW_TEST_REDIS_URL")
            if not redis_url:
                if os.environ.get("CI"):
                    raise RuntimeError("SMSGW_TEST_REDIS_URL is not set (tools/test sets it)")
                raise unittest.SkipTest("no Redis: run through tools/test")
            # A database of its own, flushed, so that runs do not see each other's data.
            redis_url = redis_url.rsplit("/", 1)[0] + "/%d" % cls.redis_db
            import socket
            host, port = redis_url.split("//")[1].split("/")[0].split(":")
            with socket.create_connection((host, int(port)), timeout=5) as s:
                s.sendall(b"SELECT %d\r\nFLUSHDB\r\n" % cls.redis_db)
                s.recv(100)
        cls.gw = harness.Gateway(cls.workdir.path, cls.sim, store=cls.store, redis_url=redis_url, extra=cls.extra,
                                 policy_extra=cls.policy_extra)
        cls.gw.wait_ready()

    @classmethod
    def tearDownClass(cls):
        code = cls.gw.stop()
        cls.sim.stop()
        cls.workdir.remove()
        assert code == 0, "smsgw exited with %s after SIGTERM" % code

    def unique_number(self):
        return harness.unique_number()

    def wait_status(self, message_id, status, timeout=20):
        """Waits until the message's status is `status` (a string or a tuple of accepted ones)."""
        wanted = (status,) if isinstance(status, str) else tuple(status)
        deadline = time.time() + timeout
        body = None
        while time.time() < deadline:
            code, body = harness.request("GET", self.gw.api + "/v1/messages/" + message_id,
                                         headers={"Authorization": "Bearer dev-key"})
            self.assertEqual(code, 200, body)
            if body["status"] in wanted:
                return body
            time.sleep(0.05)
        self.fail("message %s stayed %s, expected %s" % (message_id, body and body["status"], status))

    def assert_error(self, result, status, code, field=None):
        got_status, body = result
        self.assertEqual(got_status, status, body)
        self.assertEqual(body["error"]["code"], code, body)
        if field is not None:
            self.assertEqual(body["error"].get("field"), field, body)
        self.assertTrue(body["error"]["message"])


class OutboundBase(GatewayFixture):
    # --- accepted messages reach the simulator ------------------------------------------

    def test_gsm7_message_reaches_the_simulator_and_is_submitted(self):
        to = self.unique_number()
        code, body = self.gw.send({"to": to, "from": "12345", "text": "Your code is 123456"})
        self.assertEqual(code, 202, body)
        self.assertEqual(body["status"], "queued")
        self.assertEqual(body["to"], to)
        self.assertEqual(body["segments"], 1)
        self.assertEqual(body["encoding"], "gsm7")
        got = self.sim.wait_messages(1, to=to.lstrip("+"))
        self.assertEqual(got[0]["text"], "Your code is 123456")
        self.assertEqual(got[0]["from"], "12345")
        # The simulator sends a receipt 50 ms later: submitted, then delivered.
        status = self.wait_status(body["id"], ("submitted", "delivered"))
        self.assertEqual(status["carrier"], "sim")
        self.assertEqual(status["carrier_message_id"], got[0]["message_id"])
        self.assertEqual(status["to"], to)
        self.assertEqual(status["from"], "12345")

    def test_a_key_cannot_read_another_keys_message(self):
        code, body = self.gw.send({"to": self.unique_number(), "from": "12345", "text": "private"})
        self.assertEqual(code, 202, body)
        url = self.gw.api + "/v1/messages/" + body["id"]
        code, mine = harness.request("GET", url, headers={"Authorization": "Bearer dev-key"})
        self.assertEqual(code, 200, mine)
        self.assertEqual(mine["id"], body["id"])
        # Another valid key gets the same answer as for an id that does not exist.
        self.assert_error(harness.request("GET", url, headers={"Authorization": "Bearer other-key"}),
                          404, "not_found", "id")

    def test_national_format_is_normalised(self):
        code, body = self.gw.send({"to": "(415) 555-0199", "from": "12345", "text": "hello"})
        self.assertEqual(code, 202, body)
        self.assertEqual(body["to"], "+14155550199")

    def test_emoji_is_sent_as_ucs2(self):
        to = self.unique_number()
        text = "Merci \U0001F600 à bientôt"
        code, body = self.gw.send({"to": to, "from": "12345", "text": text})
        self.assertEqual(code, 202, body)
        self.assertEqual(body["encoding"], "ucs2")
        got = self.sim.wait_messages(1, to=to.lstrip("+"))
        self.assertEqual(got[0]["text"], text)
        self.assertEqual(got[0]["data_coding"], 8)

    def test_four_part_message_is_reassembled_by_the_simulator(self):
        to = self.unique_number()
        text = "".join(chr(ord("a") + i % 26) for i in range(153 * 3 + 20))
        code, body = self.gw.send({"to": to, "from": "12345", "text": text})
        self.assertEqual(code, 202, body)
        self.assertEqual(body["segments"], 4)
        got = self.sim.wait_messages(1, to=to.lstrip("+"))
        self.assertEqual(got[0]["text"], text)
        self.assertEqual(got[0]["segments"], 4)
        self.wait_status(body["id"], ("submitted", "delivered"))

    # --- every error code of the contract -------------------------------------------------

    def test_error_codes(self):
        api = self.gw.api + "/v1/messages"
        auth = {"Authorization": "Bearer dev-key"}
        self.assert_error(harness.request("POST", api, raw=b"{not json", headers=auth), 400, "bad_request")
        self.assert_error(self.gw.send({"from": "12345", "text": "x"}), 400, "bad_request", "to")
        self.assert_error(self.gw.send({"to": 14155550123, "from": "12345", "text": "x"}), 400, "bad_request", "to")
        self.assert_error(self.gw.send({"to": GOOD, "from": "12345", "text": "x", "sendat": "x"}), 400, "bad_request", "sendat")
        self.assert_error(self.gw.send({"to": GOOD, "from": "12345", "text": "x"}, key="wrong"), 401, "unauthorized")
        self.assert_error(harness.request("POST", api, {"to": GOOD, "from": "12345", "text": "x"}), 401, "unauthorized")
        self.assert_error(self.gw.send({"to": GOOD, "from": "67890", "text": "x"}), 403, "sender_not_allowed", "from")
        self.assert_error(harness.request("POST", api, raw=b'{"text": "' + b"a" * (1024 * 1024 + 10) + b'"}', headers=auth),
                          413, "payload_too_large")
        self.assert_error(self.gw.send({"to": "+1415555", "from": "12345", "text": "x"}), 422, "invalid_number", "to")
        self.assert_error(self.gw.send({"to": "+442079460958", "from": "12345", "text": "x"}), 422, "not_mobile", "to")
        self.assert_error(self.gw.send({"to": GOOD, "from": "12345", "text": "x", "category": "promo"}), 422,
                          "unknown_category", "category")
        self.assert_error(self.gw.send({"to": GOOD, "from": "12345", "text": "a" * 1600}), 422, "message_too_long", "text")
        self.assert_error(self.gw.send({"to": self.unique_number(), "from": "12345", "text": "x", "category": "marketing"}),
                          422, "no_consent")
        self.assert_error(harness.request("GET", self.gw.api + "/v1/messages/msg_nope", headers=auth), 404, "not_found")
        self.assert_error(harness.request("DELETE", api, headers=auth), 405, "method_not_allowed")

    def test_rate_limit_answers_429_with_retry_after(self):
        results = [self.gw.send({"to": self.unique_number(), "from": "12345", "text": "x"}, key="slow-key") for _ in range(3)]
        codes = [r[0] for r in results]
        self.assertEqual(codes[0], 202)
        self.assertIn(429, codes[1:])
        limited = [r for r in results if r[0] == 429][0]
        self.assertEqual(limited[1]["error"]["code"], "rate_limited")

    # --- policy through the API -------------------------------------------------------------

    def test_suppression_through_the_api_refuses_the_next_send(self):
        to = self.unique_number()
        auth = {"Authorization": "Bearer dev-key"}
        code, _ = harness.request("PUT", self.gw.api + "/v1/suppressions/" + urllib_quote(to), {"sender": "12345"}, auth)
        self.assertEqual(code, 200)
        self.assert_error(self.gw.send({"to": to, "from": "12345", "text": "x"}), 422, "recipient_opted_out", "to")
        # Scope "sender": another sender may still send.
        code, body = self.gw.send({"to": to, "from": "+14155550100", "text": "x"})
        self.assertEqual(code, 202, body)
        code, facts = harness.request("GET", self.gw.api + "/v1/numbers/" + urllib_quote(to), headers=auth)
        self.assertEqual(code, 200)
        self.assertTrue(facts["suppressed"])
        self.assertEqual(facts["suppressions"][0]["sender"], "12345")
        self.assertEqual(facts["type"], "fixed_line_or_mobile")
        code, _ = harness.request("DELETE", self.gw.api + "/v1/suppressions/" + urllib_quote(to) + "?sender=12345",
                                  headers=auth)
        self.assertEqual(code, 200)
        code, body = self.gw.send({"to": to, "from": "12345", "text": "x"})
        self.assertEqual(code, 202, body)

    def test_consent_then_cap_of_three(self):
        to = self.unique_number()
        first = time.time()
        for i in range(3):
            code, body = self.gw.send({"to": to, "from": "12345", "text": "x%d" % i, "category": "capped"})
            self.assertEqual(code, 202, body)
        last = time.time()
        refused = self.gw.send({"to": to, "from": "12345", "text": "x", "category": "capped"})
        self.assert_error(refused, 422, "frequency_capped", "to")
        # The refusal names the rule and when the number may get the next message: 24 hours after
        # the first of the three (rounded up to the second).
        message = refused[1]["error"]["message"]
        self.assertIn("3 messages per 24 hours in this category", message)
        match = re.search(r"allowed from (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)", message)
        self.assertTrue(match, message)
        free_at = datetime.datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc).timestamp()
        self.assertGreaterEqual(free_at, math.floor(first) + 24 * 3600, message)
        self.assertLessEqual(free_at, math.ceil(last) + 24 * 3600, message)

    def test_consent_recorded_through_the_api_allows_marketing(self):
        to = "+12125550142"
        auth = {"Authorization": "Bearer dev-key"}
        code, body = harness.request("PUT", self.gw.api + "/v1/consents",
                                     {"number": to, "category": "marketing", "source": "web-form"}, auth)
        self.assertEqual(code, 200, body)
        code, body = self.gw.send({"to": to, "from": "12345", "text": "Sale", "category": "marketing"})
        self.assertEqual(code, 202, body)
        self.assertIn(body["status"], ("queued", "scheduled"))
        code, body = harness.request("DELETE", self.gw.api + "/v1/consents?number=%s&category=marketing" % urllib_quote(to),
                                     headers=auth)
        self.assertEqual(code, 200, body)
        self.assertTrue(body["revoked"])
        self.assert_error(self.gw.send({"to": to, "from": "12345", "text": "Sale", "category": "marketing"}), 422,
                          "no_consent")

    def test_quiet_hours_defer_and_reject(self):
        number, zones = number_in_quiet_hours()
        if number is None:
            self.skipTest("no candidate number is in quiet hours right now")
        now = datetime.datetime.now(datetime.timezone.utc)
        code, body = self.gw.send({"to": number, "from": "12345", "text": "later", "category": "night"})
        self.assertEqual(code, 202, body)
        self.assertEqual(body["status"], "scheduled")
        self.assertEqual(body["reason"], "quiet_hours")
        expected = first_allowed(now, zones)
        self.assertEqual(body["send_at"], expected.strftime("%Y-%m-%dT%H:%M:%SZ"))
        self.assert_error(self.gw.send({"to": number, "from": "12345", "text": "x", "category": "strict"}), 422,
                          "quiet_hours")

    def test_send_at_in_the_future_is_scheduled(self):
        later = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=2)).replace(microsecond=0)
        code, body = self.gw.send({"to": self.unique_number(), "from": "12345", "text": "x",
                                   "send_at": later.strftime("%Y-%m-%dT%H:%M:%SZ")})
        self.assertEqual(code, 202, body)
        self.assertEqual(body["status"], "scheduled")
        self.assertEqual(body["send_at"], later.strftime("%Y-%m-%dT%H:%M:%SZ"))

    # --- idempotency -----------------------------------------------------------------------

    def test_fifty_concurrent_identical_requests_create_one_message(self):
        to = self.unique_number()
        key = str(uuid.uuid4())
        body = {"to": to, "from": "12345", "text": "only once"}
        with concurrent.futures.ThreadPoolExecutor(max_workers=25) as pool:
            results = list(pool.map(lambda _: self.gw.send(body, headers={"Idempotency-Key": key}), range(50)))
        self.assertTrue(all(code == 202 for code, _ in results), results[:3])
        ids = {b["id"] for _, b in results}
        self.assertEqual(len(ids), 1)
        time.sleep(0.5)
        self.sim.wait_messages(1, to=to.lstrip("+"))
        time.sleep(0.5)
        self.assertEqual(len(self.sim.messages(to=to.lstrip("+")).get("messages", [])), 1)
        self.assert_error(self.gw.send({"to": to, "from": "12345", "text": "different"}, headers={"Idempotency-Key": key}),
                          422, "idempotency_mismatch")

    def test_batch_decides_each_item_on_its_own(self):
        items = [{"to": self.unique_number(), "from": "12345", "text": "one"},
                 {"to": "+1415555", "from": "12345", "text": "bad number"},
                 {"to": self.unique_number(), "from": "67890", "text": "wrong sender"},
                 {"to": self.unique_number(), "from": "12345", "text": "two"}]
        code, body = harness.request("POST", self.gw.api + "/v1/messages/batch", {"messages": items},
                                     {"Authorization": "Bearer dev-key"})
        self.assertEqual(code, 200, body)
        results = body["results"]
        self.assertEqual(len(results), 4)
        self.assertEqual(results[0]["status"], "queued")
        self.assertEqual(results[1]["error"]["code"], "invalid_number")
        self.assertEqual(results[2]["error"]["code"], "sender_not_allowed")
        self.assertEqual(results[3]["status"], "queued")

    def handed_off(self):
        code, text = harness.request("GET", self.gw.admin + "/metrics")
        self.assertEqual(code, 200)
        m = re.search(r'^smsgw_messages_handed_off_total\{carrier="sim"\} (\d+)', text, re.M)
        return int(m.group(1)) if m else 0

    def test_an_idle_gateway_hands_the_message_to_its_worker_at_admission(self):
        # The store leases the accepted message to the carrier worker in the admission step (no
        # claim); it is sent and completed once.
        before = self.handed_off()
        to = self.unique_number()
        code, body = self.gw.send({"to": to, "from": "12345", "text": "straight through"})
        self.assertEqual(code, 202, body)
        self.assertEqual(body["status"], "queued")
        self.wait_status(body["id"], ("submitted", "delivered"))
        time.sleep(0.3)
        self.assertEqual(len(self.sim.messages(to=to.lstrip("+")).get("messages", [])), 1)
        self.assertGreaterEqual(self.handed_off(), before + 1)

    def test_metrics_and_readiness(self):
        code, text = harness.request("GET", self.gw.admin + "/metrics")
        self.assertEqual(code, 200)
        self.assertIn('smsgw_smpp_binds_up{carrier="sim"} 1', text)
        self.assertIn("smsgw_http_requests_total", text)
        self.assertNotIn("+1415", text)
        self.assertEqual(harness.request("GET", self.gw.admin + "/readyz")[0], 200)


def urllib_quote(s):
    import urllib.parse
    return urllib.parse.quote(s, safe="")


class OutboundSqlite(OutboundBase, unittest.TestCase):
    store = "sqlite"
    # The whole outbound contract on one I/O thread (runtime.io_threads: 1), with the SQLite
    # store's writer threads completing into it; the Redis class runs with the default threads.
    extra = "runtime: {io_threads: 1}\n"


class OutboundRedis(OutboundBase, unittest.TestCase):
    store = "redis"


if __name__ == "__main__":
    unittest.main()
