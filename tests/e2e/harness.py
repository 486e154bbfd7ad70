"""End-to-end harness: starts smsc-sim and smsgw on loopback (port 0) and talks HTTP to them.

Only the Python standard library. Every process is started with a deadline and killed at the end.
Binaries come from SMSGW_BUILD_DIR (set by ctest); Redis from SMSGW_TEST_REDIS_URL (tools/test).
"""
import ctypes
import json
import os
import re
import select
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid

import phonenumbers

BUILD_DIR = os.environ.get("SMSGW_BUILD_DIR", os.path.join(os.path.dirname(__file__), "../../build/dev"))
SMSGW = os.path.join(BUILD_DIR, "gateway", "smsgw")
SMSC_SIM = os.path.join(BUILD_DIR, "tools", "smsc-sim")


def unique_number():
    """A random valid San Francisco number, checked with python3-phonenumbers' metadata."""
    while True:
        n = "+1415%07d" % (uuid.uuid4().int % 10000000)
        if phonenumbers.is_valid_number(phonenumbers.parse(n)):
            return n


def _read_line_matching(proc, pattern, timeout):
    """Reads the process's output until a line matches; returns the match."""
    deadline = time.time() + timeout
    seen = []
    while time.time() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 0.2)
        if not ready:
            if proc.poll() is not None:
                break
            continue
        line = proc.stdout.readline()
        if not line:
            if proc.poll() is not None:
                break
            continue
        seen.append(line)
        m = re.search(pattern, line)
        if m:
            return m
    raise RuntimeError("no line matching %r within %ss; output:\n%s" % (pattern, timeout, "".join(seen[-40:])))


def _die_with_parent():
    """In the child before exec: SIGKILL when the test process dies, however it dies (a ctest
    timeout, a SIGKILL): a simulator or gateway must not outlive its test and hold its port."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, 9, 0, 0, 0)


class Process:
    def __init__(self, args, pattern, timeout=20, env=None):
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                                     preexec_fn=_die_with_parent)
        self.match = _read_line_matching(self.proc, pattern, timeout)
        # Keep reading the output (the last lines are kept in self.output): a full pipe would block
        # the process's logging, and with it the thread that logs (a test that logs 1,000 lines).
        import collections
        import threading
        self.output = collections.deque(maxlen=5000)

        def drain(stream, lines):
            for line in stream:
                lines.append(line)
        threading.Thread(target=drain, args=(self.proc.stdout, self.output), daemon=True).start()

    def stop(self, sig_kill=False):
        if self.proc.poll() is None:
            if sig_kill:
                self.proc.kill()
            else:
                self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


class Simulator(Process):
    def __init__(self, *extra):
        super().__init__([SMSC_SIM, "--smpp", "127.0.0.1:0", "--http", "127.0.0.1:0", "--dlr-delay-ms", "50", *extra],
                         r"smsc-sim smpp=127\.0\.0\.1:(\d+) http=127\.0\.0\.1:(\d+)")
        self.smpp_port = int(self.match.group(1))
        self.http = "http://127.0.0.1:%s" % self.match.group(2)

    def messages(self, to=None, limit=1000):
        url = self.http + "/messages?limit=%d" % limit
        if to:
            url += "&to=" + urllib.request.quote(to)
        return request("GET", url)[1]

    def mo(self, sender, to, text, encoding="gsm7"):
        return request("POST", self.http + "/mo", {"from": sender, "to": to, "text": text, "encoding": encoding})

    def stats(self):
        return request("GET", self.http + "/stats")[1]

    def wait_messages(self, count, to=None, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            got = self.messages(to=to)
            items = got.get("messages", got) if isinstance(got, dict) else got
            if len(items) >= count:
                return items
            time.sleep(0.05)
        raise AssertionError("the simulator received %d messages, expected %d" % (len(items), count))


BASE_CONFIG = """
http: {{listen: "127.0.0.1:0", read_timeout: 2s}}
admin: {{listen: "127.0.0.1:0"}}
store: {store}
secrets: {{number_key_file: "var/number.key", generate_number_key: true}}
api_keys:
  - {{name: dev, key: "dev-key", senders: ["12345", "+14155550100"]}}
  - {{name: other, key: "other-key", senders: ["67890"]}}
  - {{name: slow, key: "slow-key", senders: ["12345"], rate_limit: {{per_second: 1, burst: 1}}}}
carriers:
  - {{name: sim, host: 127.0.0.1, port: {smpp_port}, system_id: smsgw, password: secret,
     bind: transceiver, sessions: 1, window: 64, tps: 1000, default_region: US}}
routes:
  - {{prefix: "+", carrier: sim}}
senders:
  - {{id: "12345", tps: 1000}}
  - {{id: "+14155550100", tps: {long_code_tps}}}
queue: {{retry: {{max_attempts: 3, backoff_min: 100ms, backoff_max: 1s}}}}
policy:
  default_region: US
  default_category: transactional
  opt_out_scope: {scope}
  categories:
    transactional: {{consent: none, quiet_hours: none, caps: []}}
    marketing: {{consent: required, quiet_hours: default, action: defer, caps: [{{window: 24h, max: 3}}]}}
    capped: {{consent: none, quiet_hours: none, caps: [{{window: 24h, max: 3}}]}}
    strict: {{consent: none, quiet_hours: default, action: reject, caps: []}}
    night: {{consent: none, quiet_hours: default, action: defer, caps: []}}
  quiet_hours:
    default: {{from: "08:00", to: "21:00"}}
    jurisdictions:
      US-FL: {{from: "08:00", to: "20:00"}}
      US-OK: {{from: "08:00", to: "20:00"}}
{policy_extra}logging: {{level: info, format: json}}
"""


class Gateway(Process):
    def __init__(self, workdir, sim, store="sqlite", scope="sender", redis_url=None, extra="", long_code_tps=1000,
                 policy_extra="", edit=None):
        if store == "sqlite":
            store_yaml = '{kind: sqlite, path: "var/smsgw.db"}'
        else:
            store_yaml = '{kind: redis, url: "%s"}' % redis_url
        text = BASE_CONFIG.format(store=store_yaml, smpp_port=sim.smpp_port, scope=scope,
                                  long_code_tps=long_code_tps, policy_extra=policy_extra) + extra
        if edit is not None:
            text = edit(text)  # e.g. change one policy setting of BASE_CONFIG
        self.config_path = os.path.join(workdir, "smsgw.yaml")
        with open(self.config_path, "w") as f:
            f.write(text)
        super().__init__([SMSGW, "--config", self.config_path], r'"event":"smsgw_started".*"api":"([\d.]+:\d+)","admin":"([\d.]+:\d+)"')
        self.api = "http://" + self.match.group(1)
        self.admin = "http://" + self.match.group(2)

    def wait_ready(self, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            status, _ = request("GET", self.admin + "/readyz")
            if status == 200:
                return
            time.sleep(0.05)
        raise AssertionError("smsgw did not become ready")

    def send(self, body, key="dev-key", headers=None):
        h = {"Authorization": "Bearer " + key}
        h.update(headers or {})
        return request("POST", self.api + "/v1/messages", body, h)

    def wait_statuses(self, ids, wanted, timeout=30):
        """Polls GET /v1/messages/{id} until every message has a status in `wanted` (a tuple) or
        the timeout passes; returns {id: last record seen} for those that reached it."""
        final = {}
        deadline = time.time() + timeout
        while len(final) < len(ids) and time.time() < deadline:
            for mid in ids:
                if mid not in final:
                    code, m = request("GET", self.api + "/v1/messages/" + mid,
                                      headers={"Authorization": "Bearer dev-key"})
                    if code == 200 and m["status"] in wanted:
                        final[mid] = m
            if len(final) < len(ids):
                time.sleep(0.05)
        return final


def request(method, url, body=None, headers=None, raw=None, timeout=10):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            text = resp.read().decode()
            return resp.status, (json.loads(text) if text and text[0] in "[{" else text)
    except urllib.error.HTTPError as e:
        text = e.read().decode()
        try:
            return e.code, json.loads(text)
        except ValueError:
            return e.code, text


class Workdir:
    def __init__(self):
        self.path = tempfile.mkdtemp(prefix="smsgw-e2e-")

    def remove(self):
        shutil.rmtree(self.path, ignore_errors=True)


class WebhookReceiver:
    """A local webhook receiver (http.server on 127.0.0.1, port 0) that records what it gets.

    `fail_if(body_text) -> bool` makes it answer 500 to matching events; stop()/start() take it
    down and bring it back on the same port. With `tls=(cert_file, key_file)` it speaks https."""

    def __init__(self, tls=None):
        import threading
        self.tls = tls
        self.lock = threading.Lock()
        self.events = []  # (headers dict, raw body bytes)
        self.fail_if = lambda body: False
        self.port = 0
        self.server = None
        self.start()

    def start(self):
        import http.server
        import threading
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                failing = receiver.fail_if(body.decode("utf-8", "replace"))
                with receiver.lock:
                    receiver.events.append((dict(self.headers), body, failing))
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        http.server.ThreadingHTTPServer.allow_reuse_address = True
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        if self.tls:
            import ssl
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*self.tls)
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    @property
    def url(self):
        return "%s://127.0.0.1:%d" % ("https" if self.tls else "http", self.port)

    def accepted(self):
        """The events answered 200: list of (headers, body bytes)."""
        with self.lock:
            return [(h, b) for h, b, failing in self.events if not failing]

    def wait_for(self, predicate, timeout=20):
        """Waits for an accepted event whose parsed JSON satisfies predicate; returns (headers, body, json)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            for h, b in self.accepted():
                j = json.loads(b)
                if predicate(j):
                    return h, b, j
            time.sleep(0.05)
        raise AssertionError("no webhook matched within %ss; got %d" % (timeout, len(self.accepted())))


def verify_signature(secret, header, body, tolerance=300):
    """Smsgw-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>, as docs/webhooks.md shows."""
    import hashlib
    import hmac
    parts = dict(p.split("=", 1) for p in header.split(","))
    expected = hmac.new(secret.encode(), parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"]) and abs(time.time() - int(parts["t"])) <= tolerance
