"""Inbound end to end: smsc-sim POST /mo -> smsgw -> keyword engine -> store -> HTTP API.

Also delivery receipts moving message statuses. Runs with SQLite and with Redis."""
import os
import shutil
import sys
import time
import unittest

import phonenumbers

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from test_outbound import GatewayFixture  # noqa: E402

OPT_OUT_CONFIRMATION = "You have been unsubscribed and will receive no further messages. Reply START to resubscribe."
HELP_TEXT = "Msg&data rates may apply. Msg frequency varies. Reply STOP to unsubscribe, START to resubscribe."


class InboundBase(GatewayFixture):
    def replies_to(self, number):
        got = self.sim.messages(to=number.lstrip("+"))
        return [m for m in got.get("messages", [])]

    def wait_refused(self, to, sender, code="recipient_opted_out", timeout=10):
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            last = self.gw.send({"to": to, "from": sender, "text": "probe"})
            if last[0] == 422 and last[1]["error"]["code"] == code:
                return
            time.sleep(0.1)
        self.fail("sending to %s from %s was not refused with %s: %s" % (to, sender, code, last))

    def test_stop_then_start(self):
        number = self.unique_number()
        national = phonenumbers.format_number(phonenumbers.parse(number), phonenumbers.PhoneNumberFormat.NATIONAL)
        code, body = self.sim.mo(number, "12345", "STOP")
        self.assertEqual(code, 200, body)
        self.wait_refused(national.replace(" ", " "), "12345")
        # Scope "sender": another sender may still send.
        code, body = self.gw.send({"to": number, "from": "+14155550100", "text": "from another sender"})
        self.assertEqual(code, 202, body)
        # Exactly one confirmation, from the short code.
        deadline = time.time() + 10
        confirmations = []
        while time.time() < deadline and not confirmations:
            confirmations = [m for m in self.replies_to(number) if m["text"] == OPT_OUT_CONFIRMATION]
            time.sleep(0.05)
        time.sleep(0.3)
        confirmations = [m for m in self.replies_to(number) if m["text"] == OPT_OUT_CONFIRMATION]
        self.assertEqual(len(confirmations), 1, self.replies_to(number))
        self.assertEqual(confirmations[0]["from"], "12345")
        # START makes sending possible again.
        code, body = self.sim.mo(number, "12345", "START")
        self.assertEqual(code, 200, body)
        deadline = time.time() + 10
        while time.time() < deadline:
            code, body = self.gw.send({"to": number, "from": "12345", "text": "welcome back"})
            if code == 202:
                break
            time.sleep(0.1)
        self.assertEqual(code, 202, body)

    def test_opt_out_variants(self):
        for text, encoding in [("stop", "gsm7"), (" Stop. ", "gsm7"), ("STOP ALL", "gsm7"), ("Unsubscribe", "gsm7"),
                               ("ARRÊT", "ucs2"), ("please stop texting me", "gsm7")]:
            with self.subTest(text=text):
                number = self.unique_number()
                code, body = self.sim.mo(number, "12345", text, encoding)
                self.assertEqual(code, 200, body)
                self.wait_refused(number, "12345")

    def test_arret_sent_without_ucs2_opts_out(self):
        # A phone sends "ARRÊT" as UCS-2 by itself (GSM-7 has no Ê): so does the simulator when
        # asked for gsm7 or for nothing, instead of refusing the text.
        for text, encoding in [("ARRÊT", "gsm7"), ("Arrêt.", None)]:
            with self.subTest(text=text, encoding=encoding):
                number = self.unique_number()
                body = {"from": number, "to": "12345", "text": text}
                if encoding:
                    body["encoding"] = encoding
                code, sent = harness.request("POST", self.sim.http + "/mo", body)
                self.assertEqual((code, sent), (200, {"parts": 1}))
                self.wait_refused(number, "12345")

    def test_stop_all_is_global(self):
        number = self.unique_number()
        self.assertEqual(self.sim.mo(number, "12345", "STOPALL")[0], 200)
        self.wait_refused(number, "+14155550100")

    def test_help_gets_the_help_text(self):
        number = self.unique_number()
        self.assertEqual(self.sim.mo(number, "12345", "HELP")[0], 200)
        deadline = time.time() + 10
        while time.time() < deadline:
            if any(m["text"] == HELP_TEXT for m in self.replies_to(number)):
                break
            time.sleep(0.05)
        self.assertTrue(any(m["text"] == HELP_TEXT for m in self.replies_to(number)), self.replies_to(number))
        # HELP does not opt out.
        code, body = self.gw.send({"to": number, "from": "12345", "text": "still fine"})
        self.assertEqual(code, 202, body)

    def test_receipt_moves_the_status_to_delivered(self):
        code, body = self.gw.send({"to": self.unique_number(), "from": "12345", "text": "with a receipt"})
        self.assertEqual(code, 202, body)
        self.wait_status(body["id"], "delivered")


    def test_a_late_receipt_does_not_move_the_status_back(self):
        code, body = self.gw.send({"to": self.unique_number(), "from": "12345", "text": "delivered first"})
        self.assertEqual(code, 202, body)
        status = self.wait_status(body["id"], "delivered")
        acked = self.sim.stats()["deliver_sm_resp_ok"]
        for stat in ("ENROUTE", "UNDELIV"):
            code, sent = harness.request("POST", self.sim.http + "/receipt",
                                         {"message_id": status["carrier_message_id"], "stat": stat})
            self.assertEqual(code, 200, sent)
        deadline = time.time() + 10
        while time.time() < deadline and self.sim.stats()["deliver_sm_resp_ok"] < acked + 2:
            time.sleep(0.05)
        self.assertGreaterEqual(self.sim.stats()["deliver_sm_resp_ok"], acked + 2)
        code, after = harness.request("GET", self.gw.api + "/v1/messages/" + body["id"],
                                      headers={"Authorization": "Bearer dev-key"})
        self.assertEqual(after["status"], "delivered", after)
        self.assertIsNone(after["error"])


class InboundSqlite(InboundBase, unittest.TestCase):
    store = "sqlite"


class InboundRedis(InboundBase, unittest.TestCase):
    store = "redis"
    redis_db = 9


OPT_OUT_REPLY = OPT_OUT_CONFIRMATION


class IncompleteReplies(GatewayFixture, unittest.TestCase):
    """A concatenated reply with parts the network lost (smsc-sim `skip_parts`): once
    policy.reassembly.timeout (1 s here) has passed, the parts that arrived are handled: an opt-out
    in them is stored and confirmed, a START in them is not acted on, and the inbound event says
    "incomplete": true (docs/inbound.md, "Incomplete replies")."""
    policy_extra = "  reassembly: {timeout: 1s}\n"

    @classmethod
    def setUpClass(cls):
        cls.receiver = harness.WebhookReceiver()
        cls.extra = 'webhooks:\n  inbound_url: "%s/inbound"\n  secret: "incomplete-replies-secret-0123456789"\n' % (
            cls.receiver.url)
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.receiver.stop()

    def reply_with_parts_lost(self, number, text, skip):
        code, body = harness.request("POST", self.sim.http + "/mo",
                                     {"from": number, "to": "12345", "text": text, "skip_parts": skip})
        self.assertEqual(code, 200, body)
        return body["parts"]

    def inbound_event(self, number):
        return self.receiver.wait_for(lambda j: j["type"] == "inbound" and j["data"]["from"] == number, timeout=15)[2]

    def texts_to(self, number):
        return [m["text"] for m in self.sim.messages(to=number.lstrip("+")).get("messages", [])]

    def test_an_incomplete_reply_that_asks_to_stop_opts_out(self):
        number = self.unique_number()
        text = "Please stop texting me. " + "I never signed up for any of this and I want no more of it. " * 4
        self.assertEqual(self.reply_with_parts_lost(number, text, [2]), 2)  # the second of two parts is lost
        event = self.inbound_event(number)
        self.assertEqual(event["data"]["text"], text[:153])
        self.assertEqual(event["data"]["keyword"], "opt_out")
        self.assertIs(event["data"]["incomplete"], True)
        InboundBase.wait_refused(self, number, "12345")
        deadline = time.time() + 10
        while time.time() < deadline and OPT_OUT_CONFIRMATION not in self.texts_to(number):
            time.sleep(0.05)
        self.assertEqual(self.texts_to(number), [OPT_OUT_CONFIRMATION])

    def test_a_start_in_an_incomplete_reply_does_not_opt_in(self):
        number = self.unique_number()
        self.assertEqual(self.sim.mo(number, "12345", "STOP")[0], 200)
        InboundBase.wait_refused(self, number, "12345")
        # Three parts of 153, 153 and 5 characters; only the last one, "START", arrives.
        self.assertEqual(self.reply_with_parts_lost(number, "a" * 306 + "START", [1, 2]), 3)
        event = self.receiver.wait_for(
            lambda j: j["type"] == "inbound" and j["data"]["from"] == number and j["data"]["text"] == "START",
            timeout=15)[2]
        self.assertEqual(event["data"]["keyword"], None)
        self.assertIs(event["data"]["incomplete"], True)
        time.sleep(0.5)
        code, body = self.gw.send({"to": number, "from": "12345", "text": "still opted out?"})
        self.assertEqual((code, body["error"]["code"]), (422, "recipient_opted_out"), body)
        self.assertEqual(self.texts_to(number), [OPT_OUT_CONFIRMATION])  # no opt-in confirmation

    def test_a_complete_reply_has_no_incomplete_field(self):
        number = self.unique_number()
        self.assertEqual(self.reply_with_parts_lost(number, "b" * 200, []), 2)
        event = self.inbound_event(number)
        self.assertEqual(event["data"]["text"], "b" * 200)
        self.assertNotIn("incomplete", event["data"])

    def test_the_simulator_refuses_a_part_that_does_not_exist(self):
        code, body = harness.request("POST", self.sim.http + "/mo",
                                     {"from": self.unique_number(), "to": "12345", "text": "hi", "skip_parts": [2]})
        self.assertEqual(code, 400, body)
        self.assertIn("skip_parts", body["error"])


class RevocationSettings(GatewayFixture, unittest.TestCase):
    """policy.keywords.revocation: clarify: a longer reply that asks to stop ("please stop texting
    me") stores nothing and is answered once with replies.clarification."""
    policy_extra = (
        "  keywords:\n"
        "    revocation: clarify\n"
        "    replies: {clarification: \"Did you mean to unsubscribe? Reply STOP to confirm.\"}\n"
        "    senders:\n"
        "      \"+14155550100\": {revocation: ignore}\n")

    def texts_to(self, number):
        return [m["text"] for m in self.sim.messages(to=number.lstrip("+")).get("messages", [])]

    def test_clarify_asks_once_and_stores_nothing(self):
        number = self.unique_number()
        clarification = "Did you mean to unsubscribe? Reply STOP to confirm."
        self.assertEqual(self.sim.mo(number, "12345", "please stop texting me")[0], 200)
        deadline = time.time() + 10
        while time.time() < deadline and clarification not in self.texts_to(number):
            time.sleep(0.05)
        time.sleep(0.3)
        self.assertEqual(self.texts_to(number), [clarification])
        code, body = self.gw.send({"to": number, "from": "12345", "text": "still subscribed"})
        self.assertEqual(code, 202, body)
        # The keyword itself still opts out.
        self.assertEqual(self.sim.mo(number, "12345", "STOP")[0], 200)
        InboundBase.wait_refused(self, number, "12345")

    def test_a_sender_can_override_the_revocation_action(self):
        # +14155550100 says `revocation: ignore`: the same reply to it is neither answered nor stored.
        number = self.unique_number()
        self.assertEqual(self.sim.mo(number, "+14155550100", "please stop texting me")[0], 200)
        time.sleep(1.5)
        self.assertEqual(self.texts_to(number), [])
        code, body = self.gw.send({"to": number, "from": "+14155550100", "text": "still subscribed"})
        self.assertEqual(code, 202, body)


class StopRaceBase:
    """1,000 messages to one number queued behind a slow carrier (the simulator answers each
    submit after 300 ms, 64 in flight); the STOP arrives while they go out: not one submit reaches
    the simulator after the STOP's deliver_sm_resp, and the rest end `rejected` with
    recipient_opted_out."""
    store = "sqlite"

    def test_no_submit_after_the_stop_is_acknowledged(self):
        workdir = harness.Workdir()
        sim = harness.Simulator("--resp-delay-ms", "300")
        redis_url = None
        if self.store == "redis":
            redis_url = os.environ.get("SMSGW_TEST_REDIS_URL")
            if not redis_url:
                raise unittest.SkipTest("no Redis: run through tools/test")
            redis_url = redis_url.rsplit("/", 1)[0] + "/8"
        gw = None
        try:
            gw = harness.Gateway(workdir.path, sim, store=self.store, redis_url=redis_url)
            gw.wait_ready()
            number = harness.unique_number()
            items = [{"to": number, "from": "12345", "text": "race %d" % i} for i in range(1000)]
            code, body = harness.request("POST", gw.api + "/v1/messages/batch", {"messages": items},
                                         {"Authorization": "Bearer dev-key"})
            self.assertEqual(code, 200, body)
            ids = [r["id"] for r in body["results"]]
            self.assertEqual(len(ids), 1000, body["results"][:3])
            # Some are out (and more queued behind the slow carrier) when the STOP arrives.
            deadline = time.time() + 20
            while time.time() < deadline and sim.stats()["submit_sm"] < 100:
                time.sleep(0.02)
            self.assertGreaterEqual(sim.stats()["submit_sm"], 100)
            self.assertEqual(sim.mo(number, "12345", "STOP")[0], 200)
            deadline = time.time() + 20
            while time.time() < deadline and sim.stats()["submit_sm_at_last_mo_ack"] == 0:
                time.sleep(0.02)
            acked_at = sim.stats()["submit_sm_at_last_mo_ack"]
            self.assertGreater(acked_at, 0)
            # The queue drains: what went out before the STOP, and the rest rejected at claim time.
            deadline = time.time() + 60
            depth = None
            while time.time() < deadline:
                text = harness.request("GET", gw.admin + "/metrics")[1]
                depth = [line for line in text.splitlines() if line.startswith('smsgw_queue_depth{carrier="sim"}')]
                if depth and float(depth[0].rsplit(" ", 1)[1]) == 0:
                    break
                time.sleep(0.2)
            self.assertTrue(depth and float(depth[0].rsplit(" ", 1)[1]) == 0, depth)
            # The last ones handed to the carrier before the STOP get their submit_sm_resp later.
            final = {}
            pending = list(ids)
            deadline = time.time() + 30
            while pending and time.time() < deadline:
                still = []
                for mid in pending:
                    code, m = harness.request("GET", gw.api + "/v1/messages/" + mid,
                                              headers={"Authorization": "Bearer dev-key"})
                    self.assertEqual(code, 200, m)
                    final[mid] = m
                    if m["status"] in ("queued", "scheduled"):
                        still.append(mid)
                pending = still
                if pending:
                    time.sleep(0.2)
            self.assertEqual(len(pending), 0, "messages never left the queue")
            total = sim.stats()["submit_sm_ok"]
            # After the acknowledgement: at most the one opt-out confirmation.
            self.assertLessEqual(total - acked_at, 1, "submits after the STOP was acknowledged")
            sent = [m for m in final.values() if m["status"] in ("submitted", "delivered")]
            rejected = [m for m in final.values() if m["status"] == "rejected"]
            self.assertEqual(len(sent) + len(rejected), 1000, {m["status"] for m in final.values()})
            self.assertGreater(len(rejected), 0)
            self.assertTrue(all(m["error"] == "recipient_opted_out" for m in rejected), rejected[:3])
            received = [m for m in sim.messages(to=number.lstrip("+"), limit=2000)["messages"]
                        if m["text"].startswith("race ")]
            self.assertEqual(len(received), len(sent))
        finally:
            if gw is not None:
                gw.stop()
            sim.stop()
            workdir.remove()


class StopRaceSqlite(StopRaceBase, unittest.TestCase):
    store = "sqlite"


class StopRaceRedis(StopRaceBase, unittest.TestCase):
    store = "redis"


class ReceiptMix(unittest.TestCase):
    """The simulator fails about half of its receipts (--dlr-fail-ratio 0.5): every message ends
    `delivered` or `undeliverable`, both occur, and an undeliverable one carries the receipt's
    stat and err."""

    def test_delivered_and_undeliverable_receipts(self):
        workdir = harness.Workdir()
        sim = harness.Simulator("--dlr-fail-ratio", "0.5")
        gw = None
        try:
            gw = harness.Gateway(workdir.path, sim)
            gw.wait_ready()
            ids = []
            for i in range(30):
                code, body = gw.send({"to": harness.unique_number(), "from": "12345", "text": "mix %d" % i})
                self.assertEqual(code, 202, body)
                ids.append(body["id"])
            final = gw.wait_statuses(ids, ("delivered", "undeliverable"))
            self.assertEqual(len(final), len(ids), "messages without a final receipt status")
            delivered = [m for m in final.values() if m["status"] == "delivered"]
            undeliverable = [m for m in final.values() if m["status"] == "undeliverable"]
            # 30 draws at 0.5: all on one side has a probability of 2 in a billion.
            self.assertTrue(delivered and undeliverable, {m["status"] for m in final.values()})
            self.assertTrue(all(m["error"] is None for m in delivered), delivered[:2])
            self.assertTrue(all(m["error"] == "stat:UNDELIV err:001" for m in undeliverable), undeliverable[:2])
        finally:
            if gw is not None:
                gw.stop()
            sim.stop()
            workdir.remove()


class EarlyReceipt(unittest.TestCase):
    """The carrier sends the receipt before the submit_sm_resp (the simulator answers each submit
    after 300 ms and sends the receipt after 50 ms): the receipt waits for its correlation instead
    of being dropped as unknown, and the message ends `delivered`."""

    def test_a_receipt_before_the_submit_sm_resp_is_applied(self):
        workdir = harness.Workdir()
        sim = harness.Simulator("--resp-delay-ms", "300")
        gw = None
        try:
            gw = harness.Gateway(workdir.path, sim)
            gw.wait_ready()
            ids = []
            for i in range(5):
                code, body = gw.send({"to": harness.unique_number(), "from": "12345", "text": "early %d" % i})
                self.assertEqual(code, 202, body)
                ids.append(body["id"])
            delivered = gw.wait_statuses(ids, ("delivered",), timeout=20)
            self.assertEqual(sorted(delivered), sorted(ids), "messages that stayed submitted")
            # Every receipt was answered OK, none was counted as unknown.
            self.assertGreaterEqual(sim.stats()["deliver_sm_resp_ok"], 5)
            metrics = harness.request("GET", gw.admin + "/metrics")[1]
            self.assertFalse([line for line in metrics.splitlines() if "receipt_unknown_id" in line and
                              not line.startswith("#") and float(line.rsplit(" ", 1)[1]) > 0], metrics[:0])
        finally:
            if gw is not None:
                gw.stop()
            sim.stop()
            workdir.remove()


class StoreDownWhileStop(unittest.TestCase):
    """Redis stopped when the STOP arrives: the carrier gets a temporary error (ESME_RX_T_APPN),
    delivers it again, and the STOP is stored once Redis is back (smsc-sim retries a refused
    deliver_sm every second, 5 times)."""

    def test_the_stop_is_stored_after_the_store_is_back(self):
        if not shutil.which("redis-server"):
            raise unittest.SkipTest("no redis-server")
        from test_resilience import Redis
        redis = Redis()
        workdir = harness.Workdir()
        sim = harness.Simulator()
        gw = None
        try:
            gw = harness.Gateway(workdir.path, sim, store="redis", redis_url=redis.url)
            gw.wait_ready()
            number = harness.unique_number()
            redis.stop()
            self.assertEqual(sim.mo(number, "12345", "STOP")[0], 200)
            deadline = time.time() + 10
            while time.time() < deadline and sim.stats()["deliver_sm_resp_errors"] == 0:
                time.sleep(0.02)
            self.assertGreater(sim.stats()["deliver_sm_resp_errors"], 0, sim.stats())
            self.assertEqual(sim.stats()["deliver_sm_resp_ok"], 0)
            redis.start()
            deadline = time.time() + 15
            while time.time() < deadline and sim.stats()["deliver_sm_resp_ok"] == 0:
                time.sleep(0.05)
            stats = sim.stats()
            self.assertEqual(stats["deliver_sm_resp_ok"], 1, stats)
            self.assertGreaterEqual(stats["deliver_sm_retries"], 1, stats)
            code, body = gw.send({"to": number, "from": "12345", "text": "after the outage"})
            self.assertEqual(code, 422, body)
            self.assertEqual(body["error"]["code"], "recipient_opted_out")
        finally:
            if gw is not None:
                gw.stop()
            sim.stop()
            workdir.remove()
            redis.remove()
