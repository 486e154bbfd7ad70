"""Inbound end to end: smsc-sim POST /mo -> smsgw -> keyword engine -> store -> HTTP API.

Also delivery receipts moving message statuses. Runs with SQLite and with Redis."""
import os
import sys
import time
import unittest

import phonenumbers

sys.path.insert(0, os.path.dirname(__file__))
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


class InboundSqlite(InboundBase, unittest.TestCase):
    store = "sqlite"


class InboundRedis(InboundBase, unittest.TestCase):
    store = "redis"
