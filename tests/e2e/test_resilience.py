"""Failures as an operator meets them: the store goes away, the gateway is killed, the
configuration is reloaded. Each test starts its own redis-server / smsc-sim / smsgw on loopback."""
import concurrent.futures
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest


sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Redis:
    """A throw-away redis-server with persistence on and eviction off (what smsgw requires)."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="smsgw-redis-")
        self.port = free_port()
        self.start()

    def start(self):
        self.proc = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--dir", self.dir, "--appendonly", "yes",
             "--save", "", "--maxmemory-policy", "noeviction"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(10).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def remove(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    @property
    def url(self):
        return "redis://127.0.0.1:%d/0" % self.port


class RedisOutage(unittest.TestCase):
    def test_store_down_answers_503_and_sending_resumes_when_it_is_back(self):
        redis = Redis()
        workdir = harness.Workdir()
        sim = harness.Simulator()
        gw = harness.Gateway(workdir.path, sim, store="redis", redis_url=redis.url)
        try:
            gw.wait_ready()
            code, body = gw.send({"to": harness.unique_number(), "from": "12345", "text": "before"})
            self.assertEqual(code, 202, body)

            redis.stop()
            deadline = time.time() + 10
            code = None
            while time.time() < deadline:
                code, body = gw.send({"to": harness.unique_number(), "from": "12345", "text": "during"})
                if code == 503:
                    break
                time.sleep(0.1)
            self.assertEqual(code, 503, body)
            self.assertEqual(body["error"]["code"], "unavailable")
            deadline = time.time() + 10
            while time.time() < deadline and harness.request("GET", gw.admin + "/readyz")[0] != 503:
                time.sleep(0.1)
            self.assertEqual(harness.request("GET", gw.admin + "/readyz")[0], 503)
            before = sim.stats()["submit_sm"]
            time.sleep(1)
            self.assertEqual(sim.stats()["submit_sm"], before, "something was sent while the store was down")

            redis.start()
            to = harness.unique_number()
            deadline = time.time() + 20
            while time.time() < deadline:
                code, body = gw.send({"to": to, "from": "12345", "text": "after"})
                if code == 202:
                    break
                time.sleep(0.2)
            self.assertEqual(code, 202, body)
            sim.wait_messages(1, to=to.lstrip("+"))
            gw.wait_ready()
        finally:
            gw.stop()
            sim.stop()
            redis.remove()
            workdir.remove()


class CrashRecovery(unittest.TestCase):
    def test_kill_9_while_sending_loses_no_accepted_message(self):
        workdir = harness.Workdir()
        # A slow carrier: every submit waits, so that messages are in flight when smsgw dies.
        sim = harness.Simulator("--resp-delay-ms", "20")
        gw = harness.Gateway(workdir.path, sim, store="sqlite")
        accepted = []
        try:
            gw.wait_ready()
            # Distinct recipients: a number drawn twice would look like a duplicate delivery.
            numbers = set()
            while len(numbers) < 2000:
                numbers.add(harness.unique_number())
            numbers = sorted(numbers)

            def send(n):
                try:
                    code, body = gw.send({"to": n, "from": "12345", "text": "crash test " + n})
                    return (n, body["id"]) if code == 202 else None
                except Exception:  # the gateway was killed mid-request
                    return None

            with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
                futures = [pool.submit(send, n) for n in numbers]
                time.sleep(1.5)
                gw.proc.send_signal(signal.SIGKILL)
                for f in futures:
                    r = f.result()
                    if r:
                        accepted.append(r)
            gw.proc.wait()
            self.assertGreater(len(accepted), 0)

            gw2 = harness.Gateway(workdir.path, sim, store="sqlite")
            try:
                gw2.wait_ready()
                wanted = {n.lstrip("+") for n, _ in accepted}
                deadline = time.time() + 120
                received = set()
                while time.time() < deadline:
                    got = sim.messages(limit=100000)["messages"]
                    received = {m["to"] for m in got}
                    if wanted <= received:
                        break
                    time.sleep(0.5)
                missing = wanted - received
                self.assertFalse(missing, "%d accepted messages never reached the carrier" % len(missing))
                got = sim.messages(limit=100000)["messages"]
                duplicates = len(got) - len({m["to"] for m in got})
                # Duplicates are only those in flight at the crash (bounded by the window).
                self.assertLessEqual(duplicates, 64 * 2)
                code, text = harness.request("GET", gw2.admin + "/metrics")
                # Every duplicate was resent after its lease was lost, and counted as such (the
                # counter may be higher: leased messages the carrier had not received yet).
                resent = sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                             if line.startswith("smsgw_messages_resent_after_crash_total{"))
                self.assertGreaterEqual(resent, duplicates, "resends after the crash were not counted")
            finally:
                gw2.stop()
        finally:
            if gw.proc.poll() is None:
                gw.stop()
            sim.stop()
            workdir.remove()


class Pacing(unittest.TestCase):
    def test_a_slow_sender_waits_its_turn_and_does_not_hold_up_the_others(self):
        workdir = harness.Workdir()
        sim = harness.Simulator()
        gw = harness.Gateway(workdir.path, sim, store="sqlite", long_code_tps=1)
        try:
            gw.wait_ready()
            slow = [harness.unique_number() for _ in range(4)]
            fast = [harness.unique_number() for _ in range(20)]
            started = time.time()
            for n in slow:
                code, body = gw.send({"to": n, "from": "+14155550100", "text": "paced"})
                self.assertEqual(code, 202, body)  # paced messages wait; they are never refused
            for n in fast:
                code, body = gw.send({"to": n, "from": "12345", "text": "short code"})
                self.assertEqual(code, 202, body)
            # The short code's 20 messages all arrive while the long code is still waiting its turn.
            deadline = time.time() + 10
            while time.time() < deadline:
                got = {m["to"] for m in sim.messages(limit=1000)["messages"]}
                if {n.lstrip("+") for n in fast} <= got:
                    break
                time.sleep(0.05)
            got = {m["to"] for m in sim.messages(limit=1000)["messages"]}
            self.assertTrue({n.lstrip("+") for n in fast} <= got, "the fast sender was held up")
            slow_done = len({n.lstrip("+") for n in slow} & got)
            self.assertLess(slow_done, len(slow), "the 1/s sender was not paced")
            # And the paced ones all go out, about one per second.
            deadline = time.time() + 20
            while time.time() < deadline:
                got = {m["to"] for m in sim.messages(limit=1000)["messages"]}
                if {n.lstrip("+") for n in slow} <= got:
                    break
                time.sleep(0.1)
            self.assertTrue({n.lstrip("+") for n in slow} <= got, "paced messages were lost")
            self.assertGreaterEqual(time.time() - started, 2.5, "4 messages at 1/s went out too fast")
        finally:
            gw.stop()
            sim.stop()
            workdir.remove()


class CarrierThrottle(unittest.TestCase):
    """A carrier whose real limit (5/s) is far below the configured tps (1000): the link finds it
    and sends just under it (docs/smpp.md, "Throttling"). Before the adaptive governor it paused
    1 s and restarted at 125/s after every throttle: about 1 message/s and 12 ESME_RTHROTTLED per
    accepted submit."""

    def test_the_link_finds_the_carrier_limit_and_stays_just_under_it(self):
        workdir = harness.Workdir()
        sim = harness.Simulator("--throttle-tps", "5")
        gw = harness.Gateway(workdir.path, sim, store="sqlite")
        try:
            gw.wait_ready()
            n = 40
            for _ in range(n):
                code, body = gw.send({"to": harness.unique_number(), "from": "12345", "text": "throttled"})
                self.assertEqual(code, 202, body)
            half = None
            deadline = time.time() + 30
            while time.time() < deadline:
                stats = sim.stats()
                if half is None and stats["submit_sm_ok"] >= n // 2:
                    half = (time.time(), stats)
                if stats["submit_sm_ok"] >= n:
                    break
                time.sleep(0.05)
            end = (time.time(), sim.stats())
            self.assertEqual(end[1]["submit_sm_ok"], n, end[1])
            self.assertEqual(end[1]["stored_messages"], n, "a message was sent twice")
            # The second half goes out at the rate found (at least 2/s; the limit is 5/s, the old
            # governor managed 1/s), and few of its submits are throttled (the old one: over 90 %).
            rate = (n - half[1]["submit_sm_ok"]) / (end[0] - half[0])
            submits = end[1]["submit_sm"] - half[1]["submit_sm"]
            throttled = end[1]["throttled"] - half[1]["throttled"]
            self.assertGreaterEqual(rate, 2.0, (half, end))
            self.assertLessEqual(throttled, 0.25 * submits, (half, end))
            # The rate the link found is in /metrics (set at every change of the rate: no wait for
            # the poll, after which the idle link probes upwards), and each decrease was logged once.
            code, text = harness.request("GET", gw.admin + "/metrics")
            m = re.search(r'smsgw_smpp_allowed_tps\{carrier="sim"\} ([\d.e+]+)', text)
            self.assertIsNotNone(m, text)
            self.assertTrue(1 <= float(m.group(1)) <= 6, m.group(0))
            lowered = [json.loads(line) for line in list(gw.output) if '"event":"carrier_rate_lowered"' in line]
            self.assertGreaterEqual(len(lowered), 1)
            self.assertLessEqual(len(lowered), end[1]["throttled"])
            self.assertTrue(all(1 <= e["allowed_tps"] < 1000 for e in lowered), lowered)
        finally:
            gw.stop()
            sim.stop()
            workdir.remove()


class Reload(unittest.TestCase):
    def test_broken_config_keeps_the_old_one_and_a_new_tps_keeps_the_bind(self):
        workdir = harness.Workdir()
        sim = harness.Simulator()
        gw = harness.Gateway(workdir.path, sim, store="sqlite")
        try:
            gw.wait_ready()
            binds_before = sim.stats()["binds"]
            original = open(gw.config_path).read()

            with open(gw.config_path, "w") as f:
                f.write(original.replace("tps: 1000, default_region", "tsp: 1000, default_region"))
            code, body = harness.request("POST", gw.admin + "/admin/reload")
            self.assertEqual(code, 422, body)
            self.assertIn("smsgw.yaml:", body["error"]["message"])
            # Every error also as one item of a list, each a FILE:LINE:COL line.
            self.assertEqual(len(body["error"]["errors"]), 1, body)
            self.assertRegex(body["error"]["errors"][0], r"smsgw\.yaml:\d+:\d+: carriers\[0\]: unknown key \"tsp\"")
            self.assertEqual(body["error"]["message"], body["error"]["errors"][0])
            code, body = gw.send({"to": harness.unique_number(), "from": "12345", "text": "still serving"})
            self.assertEqual(code, 202, body)

            # The I/O threads need a restart: such a reload is refused and says so.
            with open(gw.config_path, "w") as f:
                f.write(original + "runtime: {io_threads: 1}\n")
            code, body = harness.request("POST", gw.admin + "/admin/reload")
            self.assertEqual(code, 422, body)
            self.assertIn("restart smsgw", body["error"]["message"])
            # ... naming what changed.
            self.assertIn("smsgw.yaml: runtime changed", body["error"]["message"])
            with open(gw.config_path, "w") as f:
                f.write(original.replace('admin: {listen: "127.0.0.1:0"}', 'admin: {listen: "127.0.0.1:1"}'))
            code, body = harness.request("POST", gw.admin + "/admin/reload")
            self.assertEqual(code, 422, body)
            self.assertIn("smsgw.yaml: admin.listen changed", body["error"]["message"])

            # A new carrier TPS and a new sender TPS apply without dropping the carrier's bind.
            with open(gw.config_path, "w") as f:
                f.write(original.replace('{id: "12345", tps: 1000}', '{id: "12345", tps: 500}')
                        .replace("tps: 1000, default_region", "tps: 200, default_region"))
            code, body = harness.request("POST", gw.admin + "/admin/reload")
            self.assertEqual(code, 200, body)
            gw.proc.send_signal(signal.SIGHUP)
            time.sleep(0.5)
            self.assertEqual(sim.stats()["binds"], binds_before, "a reload without carrier changes rebound")
            code, text = harness.request("GET", gw.admin + "/metrics")
            self.assertIn('smsgw_config_reloads_total{result="failed"} 3', text)
            self.assertIn('smsgw_config_reloads_total{result="ok"} 2', text)
        finally:
            gw.stop()
            sim.stop()
            workdir.remove()


class StartUp(unittest.TestCase):
    """What `smsgw --config FILE` prints before it serves: the log lines of a valid file, the
    --check-config lines of an invalid one."""

    def config(self, workdir, **replace):
        text = harness.BASE_CONFIG.format(store='{kind: sqlite, path: "var/smsgw.db"}', smpp_port=1, scope="sender",
                                          long_code_tps=1000, policy_extra="")
        for old, new in replace.items():
            self.assertIn(old, text)
            text = text.replace(old, new)
        path = os.path.join(workdir, "smsgw.yaml")
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_the_warnings_of_a_valid_config_are_log_events_in_the_log_format(self):
        workdir = harness.Workdir()
        try:
            path = self.config(workdir.path)
            proc = subprocess.Popen([harness.SMSGW, "--config", path], stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True)
            lines = []
            try:
                deadline = time.time() + 20
                while time.time() < deadline:
                    line = proc.stdout.readline()
                    if not line or '"smsgw_started"' in line:
                        break
                    lines.append(line)
            finally:
                proc.terminate()
                proc.wait(timeout=20)
                proc.stdout.close()
            # JSON logs: every line is one JSON object, the plain-text key warning included.
            events = [json.loads(line) for line in lines]
            warnings = [e for e in events if e["event"] == "config_warning"]
            self.assertEqual(len(warnings), 3, lines)
            self.assertEqual(warnings[0]["level"], "warn")
            self.assertRegex(warnings[0]["detail"], r"smsgw\.yaml:\d+:\d+: warning: api_keys\[0\]\.key: plain-text")
        finally:
            workdir.remove()

    def test_an_invalid_config_prints_its_errors_only_as_check_config_does(self):
        workdir = harness.Workdir()
        try:
            path = self.config(workdir.path, **{"tps: 1000, default_region": "tps: -1, default_region",
                                                "US-OK:": "US-XX:"})
            start = subprocess.run([harness.SMSGW, "--config", path], capture_output=True, text=True, timeout=20)
            check = subprocess.run([harness.SMSGW, "--check-config", path], capture_output=True, text=True,
                                   timeout=20)
            self.assertEqual(start.returncode, 2, start.stderr)
            self.assertEqual(check.returncode, 2, check.stderr)
            lines = start.stderr.splitlines()
            self.assertEqual(len(lines), 2, start.stderr)
            self.assertRegex(lines[0], r"^%s:12:55: carriers\[0\]\.tps: must be a number greater than 0" % re.escape(path))
            self.assertRegex(lines[1], r"^%s:33:7: policy\.quiet_hours\.jurisdictions\.US-XX: " % re.escape(path))
            self.assertEqual(start.stderr, check.stderr)
            self.assertEqual(start.stdout + check.stdout, "")
        finally:
            workdir.remove()

    def test_a_port_in_use_names_the_listener(self):
        workdir = harness.Workdir()
        busy = socket.socket()
        try:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            port = busy.getsockname()[1]
            path = self.config(workdir.path, **{'http: {listen: "127.0.0.1:0"': 'http: {listen: "127.0.0.1:%d"' % port})
            start = subprocess.run([harness.SMSGW, "--config", path], capture_output=True, text=True, timeout=30)
            self.assertNotEqual(start.returncode, 0)
            failed = [json.loads(line) for line in start.stderr.splitlines() if '"start_failed"' in line]
            self.assertEqual(len(failed), 1, start.stderr)
            self.assertTrue(failed[0]["error"].startswith("http.listen 127.0.0.1:%d: cannot listen: " % port), failed)
        finally:
            busy.close()
            workdir.remove()


if __name__ == "__main__":
    unittest.main()
