"""Several gateway instances sharing one Redis store, end to end (design.md: a STOP "is honoured
by every gateway instance at once", caps are "enforced atomically across every gateway instance
sharing the store"; docs/stores.md, "Several instances").

Two smsgw processes (A and B) on one Redis database and one number key file, each bound to its
own smsc-sim; tests that need another set-up (two instances on one carrier link, a slow or a
missing carrier) start a third instance. Redis only (SMSGW_TEST_REDIS_URL, as test_outbound.py)."""
import collections
import concurrent.futures
import json
import os
import socket
import sys
import time
import unittest
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from test_outbound import GatewayFixture  # noqa: E402

AUTH = {"Authorization": "Bearer dev-key"}
REDIS_DB = 12  # a database of its own, flushed at set-up (test_outbound.py uses 7, ...)


def quote(s):
    return urllib.parse.quote(s, safe="")


def mo_acknowledged(sim, sender, to, text):
    """Sends an MO through the simulator and returns once the gateway acknowledged it (its
    deliver_sm_resp): nothing else is in flight on that simulator when it is sent."""
    deadline = time.time() + 10
    while sim.stats()["pending_deliveries"] and time.time() < deadline:
        time.sleep(0.02)
    before = sim.stats()["deliver_sm_resp_ok"]
    code, body = sim.mo(sender, to, text)
    assert code == 200, body
    while sim.stats()["deliver_sm_resp_ok"] < before + 1:
        assert time.time() < deadline, "the MO was not acknowledged"
        time.sleep(0.002)


def check_held_messages_stop(test, slow, c, suppress):
    """Instance `c` is bound to `slow`, a carrier that answers every submit after 5 s: c sends a
    window of messages and holds the rest (claimed or handed off at admission) in memory;
    `suppress(c, to)` must stop those: none reaches the carrier once it returned, and each ends
    `rejected` / `recipient_opted_out`."""
    to = harness.unique_number()
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda i: c.send({"to": to, "from": "12345", "text": "held %d" % i}), range(200)))
    ids = [body["id"] for code, body in results if code == 202]
    test.assertEqual(len(ids), 200, results[:3])
    suppress(c, to)
    at_ack = len(slow.messages(to=to.lstrip("+"))["messages"])
    test.assertLess(at_ack, 200)
    time.sleep(6.5)  # the first window is answered after 5 s: c sends again
    after = len(slow.messages(to=to.lstrip("+"))["messages"])
    test.assertEqual(after, at_ack, "%d messages went out after the suppression was stored" % (after - at_ack))
    statuses = collections.Counter()
    for mid in ids:
        code, m = harness.request("GET", c.api + "/v1/messages/" + mid, headers=AUTH)
        if m["status"] == "rejected":
            test.assertEqual(m["error"], "recipient_opted_out", m)
        statuses[m["status"]] += 1
    test.assertEqual(statuses["rejected"], 200 - at_ack, statuses)


class InstancesRedis(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        url = os.environ.get("SMSGW_TEST_REDIS_URL")
        if not url:
            if os.environ.get("CI"):
                raise RuntimeError("SMSGW_TEST_REDIS_URL is not set (tools/test sets it)")
            raise unittest.SkipTest("no Redis: run through tools/test")
        cls.redis_url = url.rsplit("/", 1)[0] + "/%d" % REDIS_DB
        host, port = cls.redis_url.split("//")[1].split("/")[0].split(":")
        with socket.create_connection((host, int(port)), timeout=5) as s:
            s.sendall(b"SELECT %d\r\nFLUSHDB\r\n" % REDIS_DB)
            s.recv(100)
        cls.workdir = harness.Workdir()
        cls.key_file = os.path.join(cls.workdir.path, "number.key")  # one key for every instance
        cls.extra_procs = []
        cls.sim_a = harness.Simulator()
        cls.sim_b = harness.Simulator()
        cls.a = cls.instance(cls.sim_a, "a")  # creates the key file (generate_number_key)
        cls.b = cls.instance(cls.sim_b, "b")

    @classmethod
    def instance(cls, sim, name):
        d = os.path.join(cls.workdir.path, name + uuid.uuid4().hex[:6])
        os.makedirs(d)
        gw = harness.Gateway(d, sim, store="redis", redis_url=cls.redis_url,
                             edit=lambda t: t.replace('"var/number.key"', json.dumps(cls.key_file)))
        gw.wait_ready()
        return gw

    @classmethod
    def tearDownClass(cls):
        codes = [cls.a.stop(), cls.b.stop()]
        cls.sim_a.stop()
        cls.sim_b.stop()
        cls.workdir.remove()
        assert codes == [0, 0], "smsgw exited with %s after SIGTERM" % codes

    def extra(self, proc):
        """A process of one test: stopped at its end."""
        self.addCleanup(proc.stop)
        return proc

    def api(self, gw, method, path, body=None, headers=None):
        h = dict(AUTH)
        h.update(headers or {})
        return harness.request(method, gw.api + path, body, h)

    assert_error = GatewayFixture.assert_error  # status, code, field and a message

    def facts(self, gw, number):
        code, body = self.api(gw, "GET", "/v1/numbers/" + quote(number))
        self.assertEqual(code, 200, body)
        return body

    def wait_status(self, gw, message_id, wanted, timeout=20):
        deadline = time.time() + timeout
        seen = []
        while time.time() < deadline:
            code, body = self.api(gw, "GET", "/v1/messages/" + message_id)
            self.assertEqual(code, 200, body)
            if not seen or seen[-1] != body["status"]:
                seen.append(body["status"])
            if body["status"] == wanted:
                return seen
            time.sleep(0.02)
        self.fail("message %s went through %s, expected %s" % (message_id, seen, wanted))

    # --- 1. caps ------------------------------------------------------------------------

    def test_a_cap_holds_across_instances(self):
        to = harness.unique_number()
        self.assertEqual(self.api(self.a, "PUT", "/v1/consents", {"number": to, "category": "marketing",
                                                                  "source": "web"})[0], 200)
        body = {"to": to, "from": "12345", "text": "promo", "category": "marketing"}
        with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
            results = list(pool.map(lambda i: (self.a, self.b)[i % 2].send(body), range(24)))
        accepted = [r for r in results if r[0] == 202]
        self.assertEqual(len(accepted), 3, results)
        for r in results:
            if r[0] != 202:
                self.assert_error(r, 422, "frequency_capped", "to")
                self.assertIn("3 messages per 24 hours", r[1]["error"]["message"])
        # Both instances refuse the 4th afterwards.
        for gw in (self.a, self.b):
            self.assert_error(gw.send(body), 422, "frequency_capped", "to")

    # --- 2. STOP and START ------------------------------------------------------------------

    def test_a_stop_through_one_instance_is_honoured_by_the_other_at_once(self):
        to = harness.unique_number()
        self.assertEqual(self.b.send({"to": to, "from": "12345", "text": "before"})[0], 202)
        mo_acknowledged(self.sim_a, to, "12345", "STOP")  # A's carrier link
        self.assert_error(self.b.send({"to": to, "from": "12345", "text": "after"}), 422, "recipient_opted_out", "to")
        facts = self.facts(self.b, to)
        self.assertTrue(facts["suppressed"], facts)
        self.assertEqual([(s["sender"], s["reason"]) for s in facts["suppressions"]], [("12345", "stop")])
        # START through B's link lifts it for A as well.
        mo_acknowledged(self.sim_b, to, "12345", "START")
        code, body = self.a.send({"to": to, "from": "12345", "text": "welcome back"})
        self.assertEqual(code, 202, body)
        self.assertFalse(self.facts(self.a, to)["suppressed"])

    def test_a_stop_through_one_instance_stops_what_the_other_holds_in_memory(self):
        # A STOP through B's carrier link: none of C's messages reaches the carrier after B
        # acknowledged it.
        self.check_held_messages_stop(lambda c, to: mo_acknowledged(self.sim_b, to, "12345", "STOP"))

    def test_a_suppression_put_through_the_api_stops_what_the_instance_holds_in_memory(self):
        # PUT /v1/suppressions on C itself (its workers heard only of keyword STOPs before).
        self.check_held_messages_stop(lambda c, to: self.assertEqual(
            self.api(c, "PUT", "/v1/suppressions/" + quote(to), {"sender": "12345"})[0], 200))

    def check_held_messages_stop(self, suppress):
        slow = self.extra(harness.Simulator("--resp-delay-ms", "5000"))
        check_held_messages_stop(self, slow, self.extra(self.instance(slow, "c")), suppress)

    # --- 3. consents, suppressions, messages --------------------------------------------------

    def test_consents_suppressions_and_messages_are_shared(self):
        to = harness.unique_number()
        marketing = {"to": to, "from": "12345", "text": "promo", "category": "marketing"}
        self.assert_error(self.b.send(marketing), 422, "no_consent", "to")
        self.assertEqual(self.api(self.a, "PUT", "/v1/consents", {"number": to, "category": "marketing",
                                                                  "source": "web", "evidence": "form 7"})[0], 200)
        self.assertEqual([(c["category"], c["source"]) for c in self.facts(self.b, to)["consents"]],
                         [("marketing", "web")])
        self.assertEqual(self.b.send(marketing)[0], 202)
        code, body = self.api(self.b, "DELETE", "/v1/consents?number=%s&category=marketing" % quote(to))
        self.assertEqual((code, body.get("revoked")), (200, True), body)
        self.assert_error(self.a.send(marketing), 422, "no_consent", "to")

        plain = {"to": to, "from": "12345", "text": "hello"}
        self.assertEqual(self.api(self.b, "PUT", "/v1/suppressions/" + quote(to), {"sender": "12345"})[0], 200)
        self.assert_error(self.a.send(plain), 422, "recipient_opted_out", "to")
        self.assertTrue(self.facts(self.a, to)["suppressed"])
        self.assertEqual(self.api(self.b, "DELETE", "/v1/suppressions/%s?sender=12345" % quote(to))[0], 200)
        code, body = self.a.send(plain)
        self.assertEqual(code, 202, body)

        # The message accepted by A, read on B, moves on to delivered (sent by either instance).
        seen = self.wait_status(self.b, body["id"], "delivered")
        self.assertTrue(set(seen) <= {"queued", "submitted", "delivered"}, seen)
        _, on_b = self.api(self.b, "GET", "/v1/messages/" + body["id"])
        _, on_a = self.api(self.a, "GET", "/v1/messages/" + body["id"])
        self.assertEqual(on_a, on_b)
        self.assertEqual((on_b["to"], on_b["from"], on_b["carrier"]), (to, "12345", "sim"))
        self.assertTrue(on_b["carrier_message_id"])

    # --- 4. the queue ---------------------------------------------------------------------

    def received(self, sims, tag):
        got = []
        for sim in sims:
            got += [m for m in sim.messages(limit=100000)["messages"] if tag in m["text"]]
        return got

    def test_messages_accepted_on_both_instances_are_sent_once(self):
        tag = uuid.uuid4().hex[:8]
        n = 200
        with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
            results = list(pool.map(lambda i: (self.a, self.b)[i % 2].send(
                {"to": harness.unique_number(), "from": "12345", "text": "q %s %d" % (tag, i)}), range(n)))
        ids = [body["id"] for code, body in results if code == 202]
        self.assertEqual(len(ids), n)
        deadline = time.time() + 30
        while time.time() < deadline and len(self.received((self.sim_a, self.sim_b), tag)) < n:
            time.sleep(0.1)
        time.sleep(0.5)
        texts = collections.Counter(m["text"] for m in self.received((self.sim_a, self.sim_b), tag))
        self.assertEqual(len(texts), n)
        self.assertEqual([t for t, k in texts.items() if k > 1], [])
        for i, mid in enumerate(ids):
            self.wait_status((self.b, self.a)[i % 2], mid, "delivered")

    def test_an_instance_without_a_carrier_link_leaves_its_messages_to_the_others(self):
        gone = harness.Simulator()
        c = self.extra(self.instance(gone, "c"))
        gone.stop()  # C loses its only bind
        deadline = time.time() + 10
        while time.time() < deadline and harness.request("GET", c.admin + "/readyz")[0] == 200:
            time.sleep(0.05)
        tag = uuid.uuid4().hex[:8]
        ids = []
        for i in range(20):
            code, body = c.send({"to": harness.unique_number(), "from": "12345", "text": "via c %s %d" % (tag, i)})
            self.assertEqual(code, 202, body)
            ids.append(body["id"])
        for mid in ids:
            self.wait_status(c, mid, "delivered")
        texts = collections.Counter(m["text"] for m in self.received((self.sim_a, self.sim_b), tag))
        self.assertEqual((len(texts), sum(texts.values())), (20, 20))

    def test_receipts_arriving_on_the_other_instance_s_link_are_correlated(self):
        # C binds to A's simulator too: the simulator hands receipts to its bound sessions in
        # turn, so about half of each instance's receipts arrive on the other's link.
        c = self.extra(self.instance(self.sim_a, "c"))
        tag = uuid.uuid4().hex[:8]
        with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
            results = list(pool.map(lambda i: (self.a, c)[i % 2].send(
                {"to": harness.unique_number(), "from": "12345", "text": "r %s %d" % (tag, i)}), range(100)))
        ids = [body["id"] for code, body in results if code == 202]
        self.assertEqual(len(ids), 100)
        for mid in ids:
            self.wait_status(self.b, mid, "delivered")
        texts = collections.Counter(m["text"] for m in self.received((self.sim_a,), tag))
        self.assertEqual((len(texts), sum(texts.values())), (100, 100))
        for gw in (self.a, c):
            _, metrics = harness.request("GET", gw.admin + "/metrics")
            self.assertNotIn('reason="receipt_unknown_id"', metrics)

    # --- 5. idempotency ---------------------------------------------------------------------

    def test_an_idempotency_key_is_shared(self):
        key = {"Idempotency-Key": "multi-" + uuid.uuid4().hex}
        body = {"to": harness.unique_number(), "from": "12345", "text": "once"}
        first = self.a.send(body, headers=key)
        self.assertEqual(first[0], 202, first)
        self.assertEqual(self.b.send(body, headers=key), first)
        self.assert_error(self.b.send(dict(body, text="other"), headers=key), 422, "idempotency_mismatch",
                          "Idempotency-Key")
        self.assert_error(self.a.send(dict(body, text="other"), headers=key), 422, "idempotency_mismatch",
                          "Idempotency-Key")
        # Concurrent requests with one key on both instances: one message.
        key = {"Idempotency-Key": "multi-" + uuid.uuid4().hex}
        body = {"to": harness.unique_number(), "from": "12345", "text": "concurrent"}
        with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
            results = list(pool.map(lambda i: (self.a, self.b)[i % 2].send(body, headers=key), range(32)))
        self.assertEqual({(code, r["id"]) for code, r in results}, {(202, results[0][1]["id"])})
        self.wait_status(self.b, results[0][1]["id"], "delivered")
        time.sleep(0.3)
        got = self.sim_a.messages(to=body["to"].lstrip("+"))["messages"] + \
            self.sim_b.messages(to=body["to"].lstrip("+"))["messages"]
        self.assertEqual(len(got), 1, got)

    # --- 7. reload ----------------------------------------------------------------------------

    def test_a_reload_of_one_instance_leaves_the_other_serving(self):
        code, body = harness.request("POST", self.a.admin + "/admin/reload")
        self.assertEqual(code, 200, body)
        for gw in (self.a, self.b):
            self.assertEqual(harness.request("GET", gw.admin + "/readyz")[0], 200)
            code, sent = gw.send({"to": harness.unique_number(), "from": "12345", "text": "after reload"})
            self.assertEqual(code, 202, sent)
            self.wait_status(gw, sent["id"], "delivered")



class HeldMessagesSqlite(unittest.TestCase):
    """One instance with the embedded store (no feed): a PUT /v1/suppressions on its API stops
    what its carrier workers hold in memory, as a STOP through its carrier link does."""

    def test_a_suppression_put_through_the_api_stops_what_the_instance_holds_in_memory(self):
        workdir = harness.Workdir()
        self.addCleanup(workdir.remove)
        slow = harness.Simulator("--resp-delay-ms", "5000")
        self.addCleanup(slow.stop)
        gw = harness.Gateway(workdir.path, slow, store="sqlite")
        self.addCleanup(gw.stop)
        gw.wait_ready()
        check_held_messages_stop(self, slow, gw, lambda c, to: self.assertEqual(harness.request(
            "PUT", c.api + "/v1/suppressions/" + quote(to), {"sender": "12345"}, AUTH)[0], 200))


if __name__ == "__main__":
    unittest.main()
