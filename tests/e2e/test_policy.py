"""Policy settings that need a gateway of their own: policy.quiet_hours.no_common_window.

A +1 800 number may be anywhere from Guam to Pago Pago (phonenumbers' zones), so a 09:00-17:00
window is never open in all of its zones at once. `defer` sends it at the first allowed minute
of the region's primary zone (US: America/New_York), `reject` (default) refuses it with a message
that says so. The rule is the policy's, the same for both stores: SQLite only."""
import datetime
import os
import random
import sys
import unittest
import zoneinfo

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

WINDOW = 'default: {from: "08:00", to: "21:00"}'
NINE_TO_FIVE = 'default: {from: "09:00", to: "17:00"}'
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def next_nine_am(now_utc):
    """The next 09:00 in New York after `now_utc` (outside 09:00-17:00 the window opens then)."""
    local = now_utc.astimezone(NEW_YORK)
    day = local.date() if local.hour < 9 else local.date() + datetime.timedelta(days=1)
    return datetime.datetime(day.year, day.month, day.day, 9, 0, tzinfo=NEW_YORK).astimezone(datetime.timezone.utc)


def in_window(now_utc):
    local = now_utc.astimezone(NEW_YORK)
    return 9 * 60 <= local.hour * 60 + local.minute < 17 * 60


class NoCommonWindowSqlite(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.workdir = harness.Workdir()
        cls.sim = harness.Simulator()
        cls.gateways = {}
        for action in ("defer", "reject"):
            workdir = os.path.join(cls.workdir.path, action)
            os.makedirs(workdir)
            extra = "\n    no_common_window: defer" if action == "defer" else ""
            gw = harness.Gateway(workdir, cls.sim, edit=lambda t, e=extra: t.replace(WINDOW, NINE_TO_FIVE + e))
            gw.wait_ready()
            cls.gateways[action] = gw

    @classmethod
    def tearDownClass(cls):
        codes = [gw.stop() for gw in cls.gateways.values()]
        cls.sim.stop()
        cls.workdir.remove()
        assert codes == [0, 0], "smsgw exited with %s after SIGTERM" % codes

    def marketing(self, action):
        gw = self.gateways[action]
        number = "+1800555%04d" % random.randrange(10000)
        code, body = harness.request("PUT", gw.api + "/v1/consents",
                                     {"number": number, "category": "marketing", "source": "test"},
                                     {"Authorization": "Bearer dev-key"})
        self.assertEqual(code, 200, body)
        before = datetime.datetime.now(datetime.timezone.utc)
        code, body = gw.send({"to": number, "from": "12345", "text": "sale", "category": "marketing"})
        after = datetime.datetime.now(datetime.timezone.utc)
        return code, body, before, after

    def test_defer_sends_at_the_first_allowed_minute_in_new_york(self):
        code, body, before, after = self.marketing("defer")
        self.assertEqual(code, 202, body)
        if in_window(before) and in_window(after):
            self.assertEqual(body["status"], "queued", body)
            return
        self.assertEqual(body["status"], "scheduled", body)
        self.assertEqual(body["reason"], "quiet_hours", body)
        expected = {next_nine_am(t).strftime("%Y-%m-%dT%H:%M:%SZ") for t in (before, after) if not in_window(t)}
        self.assertIn(body["send_at"], expected, body)

    def test_reject_says_that_the_zones_share_no_window(self):
        code, body, _, _ = self.marketing("reject")
        self.assertEqual(code, 422, body)
        self.assertEqual(body["error"]["code"], "quiet_hours", body)
        self.assertEqual(body["error"]["field"], "to", body)
        self.assertIn("share no allowed sending time", body["error"]["message"], body)


if __name__ == "__main__":
    unittest.main()
