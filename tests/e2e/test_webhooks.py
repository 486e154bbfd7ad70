"""Webhooks end to end: smsc-sim -> smsgw -> signed POSTs to a local receiver (docs/webhooks.md).

Inbound (MO) and status events with valid signatures; a receiver that is down for a while gets
them when it is back; a receiver that keeps failing produces dead letters that the admin endpoint
lists and replays. Runs with SQLite and with Redis."""
import calendar
import hashlib
import os
import socket
import sqlite3
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from test_outbound import GatewayFixture  # noqa: E402

SECRET = "whsec_e2e_test"


def status_event_id(message_id, status):
    """gateway::status_event_id: "evt_" + the first 128 bits of SHA-256 over the NUL-ended fields."""
    data = b"".join(f.encode() + b"\0" for f in ("status", message_id, status))
    return "evt_" + hashlib.sha256(data).hexdigest()[:32]


class StoreReader:
    """Reads a message's status and whether an outbox event exists in ONE atomic read of the
    gateway's store (a Lua script on Redis, one read transaction on SQLite)."""

    FINAL = ("submitted", "delivered", "undeliverable", "expired", "rejected", "failed")

    def __init__(self, store, workdir, redis_url):
        self.store = store
        if store == "sqlite":
            self.db = sqlite3.connect("file:%s?mode=ro" % os.path.join(workdir, "var", "smsgw.db"), uri=True,
                                      isolation_level=None, timeout=10)
        else:
            host, port = redis_url.split("//")[1].split("/")[0].split(":")
            self.sock = socket.create_connection((host, int(port)), timeout=5)
            self.buf = b""
            self.command("SELECT", redis_url.rsplit("/", 1)[1])

    def close(self):
        if self.store == "sqlite":
            self.db.close()
        else:
            self.sock.close()

    def command(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = str(a).encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.sock.sendall(out)
        return self.reply()

    def line(self):
        while b"\r\n" not in self.buf:
            self.buf += self.sock.recv(65536)
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def reply(self):
        line = self.line()
        kind, rest = line[:1], line[1:]
        if kind in (b"+", b":"):
            return rest.decode()
        if kind == b"-":
            raise AssertionError(rest.decode())
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self.buf += self.sock.recv(65536)
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data.decode()
        if kind == b"*":
            return [self.reply() for _ in range(int(rest))]
        raise AssertionError("unexpected reply %r" % line)

    def status_and_event(self, message_id, status):
        """(current status, whether the event of `status` is in the outbox), read atomically."""
        event_id = status_event_id(message_id, status)
        if self.store == "sqlite":
            self.db.execute("BEGIN")
            try:
                row = self.db.execute("SELECT status FROM messages WHERE id=?", (message_id,)).fetchone()
                ev = self.db.execute("SELECT 1 FROM webhook_outbox WHERE event_id=?", (event_id,)).fetchone()
            finally:
                self.db.execute("COMMIT")
            return (row[0] if row else None), ev is not None
        st, exists = self.command(
            "EVAL", "return {redis.call('HGET', KEYS[1], 'st'), redis.call('EXISTS', KEYS[2])}", 2,
            "smsgw:msg:{%s}" % message_id, "smsgw:wh:ev:{%s}" % event_id)
        return st, exists == "1"


def metric(text, name):
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name):
            total += float(line.rsplit(" ", 1)[1])
    return total


class WebhooksBase(GatewayFixture):
    @classmethod
    def setUpClass(cls):
        cls.receiver = harness.WebhookReceiver()
        # Patch the config through the fixture: the extra YAML is appended to the base config.
        cls.extra_yaml = """
webhooks:
  inbound_url: "%s/inbound"
  status_url: "%s/status"
  secret: "%s"
  max_attempts: 5
  backoff_min: 200ms
  backoff_max: 400ms
  timeout: 2s
  concurrency: 4
""" % (cls.receiver.url, cls.receiver.url, SECRET)
        original = harness.Gateway.__init__
        extra = cls.extra_yaml

        def with_webhooks(self, *args, **kwargs):
            kwargs["extra"] = kwargs.get("extra", "") + extra
            original(self, *args, **kwargs)
        harness.Gateway.__init__ = with_webhooks
        try:
            super().setUpClass()
        finally:
            harness.Gateway.__init__ = original

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.receiver.stop()

    def assert_signed(self, headers, body):
        self.assertIn("Smsgw-Signature", headers)
        self.assertTrue(harness.verify_signature(SECRET, headers["Smsgw-Signature"], body),
                        "bad signature %s" % headers["Smsgw-Signature"])
        self.assertFalse(harness.verify_signature("another secret", headers["Smsgw-Signature"], body))
        self.assertEqual(headers.get("Content-Type"), "application/json")

    def metrics(self):
        return harness.request("GET", self.gw.admin + "/metrics")[1]

    def test_status_events_are_signed_and_follow_the_message(self):
        to = self.unique_number()
        code, body = self.gw.send({"to": to, "from": "12345", "text": "status please", "client_ref": "order-7"})
        self.assertEqual(code, 202, body)
        mid = body["id"]
        for status in ("submitted", "delivered"):
            headers, raw, event = self.receiver.wait_for(
                lambda j, s=status: j["type"] == "status" and j["data"]["message_id"] == mid and j["data"]["status"] == s)
            self.assert_signed(headers, raw)
            self.assertEqual(headers["Smsgw-Event-Id"], event["event_id"])
            self.assertTrue(event["event_id"].startswith("evt_"))
            self.assertRegex(event["created_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
            self.assertEqual(event["data"]["to"], to)
            self.assertEqual(event["data"]["from"], "12345")
            self.assertEqual(event["data"]["client_ref"], "order-7")
            self.assertEqual(event["data"]["carrier"], "sim")
        got = self.sim.wait_messages(1, to=to.lstrip("+"))
        self.assertEqual(event["data"]["carrier_message_id"], got[0]["message_id"])
        # One event per status: the same event id is never delivered twice for a status.
        time.sleep(0.3)
        ids = [harness.json.loads(b)["event_id"] for _, b in self.receiver.accepted()
               if harness.json.loads(b)["data"].get("message_id") == mid]
        self.assertEqual(len(ids), len(set(ids)), ids)

    def watch_until_final(self, reader, wanted):
        """Polls every message of `wanted` (id -> status the worker gives it) until each has left
        queued/scheduled; at EVERY observation a message that has must have that status's event
        stored (the worker stores both in one atomic step). Returns how many observations."""
        pending = dict(wanted)
        observations = 0
        deadline = time.time() + 30
        while pending and time.time() < deadline:
            for mid, final in list(pending.items()):
                st, stored = reader.status_and_event(mid, final)
                observations += 1
                if st in ("queued", "scheduled"):
                    continue
                self.assertIn(st, StoreReader.FINAL, mid)
                # A receipt may already have moved a submitted message on (it can only find the
                # message through the correlation that the same completion stored).
                if final != "submitted":
                    self.assertEqual(st, final, mid)
                self.assertTrue(stored, "%s is %s but its %s event is not in the outbox" % (mid, st, final))
                del pending[mid]
        self.assertFalse(pending, "still not final: %s" % pending)
        return observations

    def reader(self):
        redis_url = None
        if self.store == "redis":
            redis_url = os.environ["SMSGW_TEST_REDIS_URL"].rsplit("/", 1)[0] + "/%d" % self.redis_db
        return StoreReader(self.store, self.workdir.path, redis_url)

    def test_status_event_is_in_the_outbox_when_the_status_is_final(self):
        numbers = [self.unique_number() for _ in range(20)]
        # The receiver refuses these events: they stay in the outbox (retried, then dead letters)
        # so that their presence can be read from the store.
        self.receiver.fail_if = lambda body: any(n in body for n in numbers)
        reader = self.reader()
        try:
            ids = []
            for n in numbers:
                code, body = self.gw.send({"to": n, "from": "12345", "text": "atomic status"})
                self.assertEqual(code, 202, body)
                ids.append(body["id"])
            self.watch_until_final(reader, {mid: "submitted" for mid in ids})
        finally:
            reader.close()
            self.receiver.fail_if = lambda body: False

    def test_claim_time_opt_out_rejects_with_its_event_in_the_outbox(self):
        # Scheduled a few seconds ahead, then the number opts out: the store's send-time re-check
        # at the claim finds it, and the worker completes it as rejected with its event.
        number = self.unique_number()
        send_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3))
        code, body = self.gw.send({"to": number, "from": "12345", "text": "later", "send_at": send_at})
        self.assertEqual(code, 202, body)
        self.assertEqual(body["status"], "scheduled", body)
        mid = body["id"]
        before = metric(self.metrics(), 'smsgw_messages_rejected_total{reason="recipient_opted_out_at_send"}')
        self.receiver.fail_if = lambda b: mid in b
        reader = self.reader()
        try:
            self.assertEqual(self.sim.mo(number, "12345", "STOP")[0], 200)
            deadline = time.time() + 10
            while time.time() < deadline and self.gw.send({"to": number, "from": "12345", "text": "x"})[0] != 422:
                time.sleep(0.05)
            self.assertLess(time.time(), calendar.timegm(time.strptime(send_at, "%Y-%m-%dT%H:%M:%SZ")),
                            "the STOP was not stored before the message became due; the test proves nothing")
            self.watch_until_final(reader, {mid: "rejected"})
        finally:
            reader.close()
            self.receiver.fail_if = lambda b: False
        self.assertEqual(self.wait_status(mid, "rejected")["error"], "recipient_opted_out")
        got = self.sim.messages(to=number.lstrip("+"))
        sent = [m for m in (got.get("messages", got) if isinstance(got, dict) else got) if m.get("text") == "later"]
        self.assertEqual(sent, [], "the opted-out message was sent")
        after = metric(self.metrics(), 'smsgw_messages_rejected_total{reason="recipient_opted_out_at_send"}')
        self.assertEqual(after, before + 1)

    def test_inbound_events_for_keywords_and_plain_replies(self):
        number = self.unique_number()
        self.assertEqual(self.sim.mo(number, "12345", "Is the shop open on Sunday?")[0], 200)
        headers, raw, event = self.receiver.wait_for(
            lambda j: j["type"] == "inbound" and j["data"]["from"] == number)
        self.assert_signed(headers, raw)
        self.assertEqual(headers["Smsgw-Event-Type"], "inbound")
        self.assertEqual(event["data"], {"from": number, "to": "12345", "text": "Is the shop open on Sunday?",
                                         "keyword": None, "carrier": "sim"})
        self.assertEqual(self.sim.mo(number, "12345", "STOP")[0], 200)
        _, _, stop = self.receiver.wait_for(
            lambda j: j["type"] == "inbound" and j["data"]["from"] == number and j["data"]["text"] == "STOP")
        self.assertEqual(stop["data"]["keyword"], "opt_out")
        self.assertNotEqual(stop["event_id"], event["event_id"])
        # A refused message (the number opted out) has no status event: it was never accepted.
        code, body = self.gw.send({"to": number, "from": "12345", "text": "after stop"})
        self.assertEqual(code, 422, body)

    def test_a_receiver_that_is_down_gets_the_events_when_it_is_back(self):
        before = metric(self.metrics(), 'smsgw_webhook_deliveries_total{result="retry"}')
        self.receiver.stop()
        try:
            number = self.unique_number()
            self.assertEqual(self.sim.mo(number, "12345", "anyone there?")[0], 200)
            deadline = time.time() + 10
            while time.time() < deadline:
                if metric(self.metrics(), 'smsgw_webhook_deliveries_total{result="retry"}') > before:
                    break
                time.sleep(0.05)
            self.assertGreater(metric(self.metrics(), 'smsgw_webhook_deliveries_total{result="retry"}'), before)
        finally:
            self.receiver.start()
        headers, raw, event = self.receiver.wait_for(
            lambda j: j["type"] == "inbound" and j["data"]["from"] == number)
        self.assert_signed(headers, raw)

    def test_a_failing_receiver_yields_dead_letters_that_can_be_replayed(self):
        number = self.unique_number()
        self.receiver.fail_if = lambda body: number in body
        try:
            self.assertEqual(self.sim.mo(number, "12345", "dead letter please")[0], 200)
            deadline = time.time() + 20
            dead = []
            while time.time() < deadline:
                code, listing = harness.request("GET", self.gw.admin + "/admin/dead-letters?limit=1000")
                self.assertEqual(code, 200, listing)
                dead = [d for d in listing["dead_letters"] if d["body"]["data"].get("from") == number]
                if dead:
                    break
                time.sleep(0.1)
            self.assertEqual(len(dead), 1, dead)
            self.assertEqual(dead[0]["attempts"], 5)
            self.assertEqual(dead[0]["type"], "inbound")
            self.assertEqual(dead[0]["last_error"], "http 500")
            tries = [b for h, b, failing in self.receiver.events if failing and number in b.decode()]
            self.assertEqual(len(tries), 5)
            # The gauge is polled from the store every 10 seconds.
            deadline = time.time() + 15
            while time.time() < deadline and metric(self.metrics(), "smsgw_webhook_dead_letters") == 0:
                time.sleep(0.1)
            self.assertGreater(metric(self.metrics(), "smsgw_webhook_dead_letters"), 0)
            self.assertGreaterEqual(metric(self.metrics(), 'smsgw_webhook_deliveries_total{result="dead"}'), 1)
        finally:
            self.receiver.fail_if = lambda body: False
        event_id = dead[0]["event_id"]
        code, body = harness.request("POST", self.gw.admin + "/admin/dead-letters/%s/replay" % event_id)
        self.assertEqual(code, 200, body)
        headers, raw, event = self.receiver.wait_for(lambda j: j["event_id"] == event_id)
        self.assert_signed(headers, raw)
        code, listing = harness.request("GET", self.gw.admin + "/admin/dead-letters?limit=1000")
        self.assertNotIn(event_id, [d["event_id"] for d in listing["dead_letters"]])
        # Replaying it again: it is no longer a dead letter.
        code, body = harness.request("POST", self.gw.admin + "/admin/dead-letters/%s/replay" % event_id)
        self.assertEqual(code, 404, body)
        code, body = harness.request("GET", self.gw.admin + "/admin/dead-letters?limit=0")
        self.assertEqual(code, 400, body)


class WebhooksHttps(unittest.TestCase):
    """An https:// receiver with a certificate from a private CA: trusted through
    webhooks.ca_file, the status events arrive signed; without ca_file the certificate is refused
    and nothing is delivered."""

    def start(self, workdir, sim, receiver, ca_file):
        yaml = """
webhooks:
  status_url: "%s/status"
  secret: "%s"
  backoff_min: 200ms
  backoff_max: 400ms
  timeout: 2s
""" % (receiver.url, SECRET)
        if ca_file:
            yaml += "  ca_file: \"%s\"\n" % ca_file
        gw = harness.Gateway(workdir.path, sim, extra=yaml)
        gw.wait_ready()
        return gw

    def test_https_receiver_trusted_through_ca_file(self):
        import subprocess
        workdir = harness.Workdir()
        cert, key = os.path.join(workdir.path, "cert.pem"), os.path.join(workdir.path, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
        receiver = harness.WebhookReceiver(tls=(cert, key))
        sim = harness.Simulator()
        gw = None
        try:
            # Not trusted: the delivery fails verification, nothing arrives.
            gw = self.start(workdir, sim, receiver, None)
            code, body = gw.send({"to": harness.unique_number(), "from": "12345", "text": "untrusted"})
            self.assertEqual(code, 202, body)
            deadline = time.time() + 20
            while time.time() < deadline and metric(harness.request("GET", gw.admin + "/metrics")[1],
                                                    "smsgw_webhook_deliveries_total{result=\"retry\"}") == 0:
                time.sleep(0.1)
            self.assertGreater(metric(harness.request("GET", gw.admin + "/metrics")[1],
                                      "smsgw_webhook_deliveries_total{result=\"retry\"}"), 0)
            self.assertEqual(receiver.accepted(), [])
            gw.stop()
            # Trusted through ca_file: the events (the earlier one too, from the outbox) arrive signed.
            gw = self.start(workdir, sim, receiver, cert)
            code, body = gw.send({"to": harness.unique_number(), "from": "12345", "text": "trusted"})
            self.assertEqual(code, 202, body)
            headers, raw, event = receiver.wait_for(
                lambda e: e["type"] == "status" and e["data"]["message_id"] == body["id"])
            self.assertTrue(harness.verify_signature(SECRET, headers["Smsgw-Signature"], raw))
        finally:
            if gw is not None:
                gw.stop()
            sim.stop()
            receiver.stop()
            workdir.remove()


class WebhooksSqlite(WebhooksBase, unittest.TestCase):
    store = "sqlite"


class WebhooksRedis(WebhooksBase, unittest.TestCase):
    store = "redis"
    redis_db = 10
