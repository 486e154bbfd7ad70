"""End-to-end tests of smsgwctl: the real binary against both stores.

SQLite in a temporary directory; Redis from SMSGW_TEST_REDIS_URL (tools/test) with a unique key
prefix. Binaries come from SMSGW_BUILD_DIR (set by ctest). Python standard library only.
"""
import csv
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import unittest
import uuid

BUILD_DIR = os.environ.get("SMSGW_BUILD_DIR", os.path.join(os.path.dirname(__file__), "../../build/dev"))
SMSGWCTL = os.path.join(BUILD_DIR, "tools", "smsgwctl")
REDIS_URL = os.environ.get("SMSGW_TEST_REDIS_URL", "")

# Valid US mobile-capable numbers (San Francisco), checked with libphonenumber metadata.
GOOD = ["+1415555%04d" % i for i in range(100, 400)]
NOW = "2027-01-15T08:00:00Z"


def redis_cli(*args):
    return subprocess.run(["redis-cli", "-u", REDIS_URL] + list(args), capture_output=True, encoding="latin-1",
                          timeout=60).stdout


class Base:
    """Mixed into unittest.TestCase per store."""

    kind = None

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="smsgwctl-test-")
        self.prefix = "smsgwctl-test:%s:" % uuid.uuid4().hex[:12]
        self.config = self.write_config("smsgw.yaml", self.prefix, "store.db")

    def tearDown(self):
        if self.kind == "redis":
            keys = redis_cli("--scan", "--pattern", self.prefix + "*").split()
            for i in range(0, len(keys), 500):
                redis_cli("DEL", *keys[i:i + 500])
        shutil.rmtree(self.dir, ignore_errors=True)

    def write_config(self, name, prefix, db):
        if self.kind == "redis":
            store = '{kind: redis, url: "%s", key_prefix: "%s"}' % (REDIS_URL, prefix)
        else:
            store = '{kind: sqlite, path: "%s"}' % db
        text = """
store: %s
secrets: {number_key_file: "number.key", generate_number_key: true}
carriers:
  - {name: sim, host: 127.0.0.1, port: 2775, system_id: smsgw, password: secret}
routes:
  - {prefix: "+", carrier: sim}
policy:
  default_region: US
  categories:
    transactional: {consent: none, quiet_hours: none, caps: []}
    marketing: {consent: required, quiet_hours: default, action: defer, caps: [{window: 24h, max: 3}]}
""" % store
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def ctl(self, *args, config=None, now=NOW):
        cmd = [SMSGWCTL, "--config", config or self.config, "--actor", "tester"]
        if now:
            cmd += ["--now", now]
        p = subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=300)
        return p.returncode, p.stdout, p.stderr

    def write(self, name, data):
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())
        return path

    def lookup(self, number, config=None):
        code, out, err = self.ctl("lookup", number, "--json", config=config)
        self.assertEqual(code, 0, err)
        return json.loads(out)

    def rejects(self, path):
        with open(path + ".rejects.csv", newline="") as f:
            return list(csv.DictReader(f))

    # ------------------------------------------------------------------ tests

    def test_malformed_csv_is_read_robustly(self):
        long_line = "+1415555" + "9" * (10 * 1024 * 1024)
        data = (b"\xef\xbb\xbf" + b"number,name\r\n" +
                b"\"+1 (415) 555-0100\",\"Smith, \"\"Jo\"\"\"\r\n" +
                b"\r\n\r\n" +
                b"+14155550101,\"two\r\nlines\"\r\n" +
                long_line.encode() + b",x\r\n" +
                b"   \r\n" +
                b"4155550102,plain\r\n")
        path = self.write("messy.csv", data)
        code, out, err = self.ctl("import", "dnc", path)
        self.assertEqual(code, 1, out + err)  # one rejected row: partial
        self.assertIn("rows read:          4", out)
        self.assertIn("added:              3", out)
        rej = self.rejects(path)
        self.assertEqual(len(rej), 1)
        self.assertEqual(rej[0]["line"], "7")  # the 10 MB line, counted across the quoted newline
        self.assertIn("longer than", rej[0]["reason"])
        for n in ("+14155550100", "+14155550101", "+14155550102"):
            facts = self.lookup(n)
            self.assertTrue(facts["suppressed"], n)
            self.assertEqual(facts["suppressions"][0]["reason"], "dnc")
            self.assertIsNone(facts["suppressions"][0]["sender"])

    def test_thirty_percent_invalid_rows_are_rejected_with_line_and_reason(self):
        lines, bad_lines = [], []
        for i in range(100):
            if i % 10 < 3:
                lines.append("+1415555%03d" % i if i % 2 else "not-a-number-%d" % i)
                bad_lines.append(i + 1)
            else:
                lines.append(GOOD[i])
        path = self.write("list.txt", "\n".join(lines) + "\n")
        code, out, err = self.ctl("import", "suppressions", path, "--reason", "complaint")
        self.assertEqual(code, 1, out + err)
        self.assertIn("rejected:           30", out)
        self.assertIn("added:              70", out)
        rej = self.rejects(path)
        self.assertEqual([int(r["line"]) for r in rej], bad_lines)
        for r in rej:
            self.assertTrue(r["reason"].startswith("invalid number: "), r)
            self.assertEqual(r["value"], lines[int(r["line"]) - 1])
        self.assertEqual(self.lookup(GOOD[5])["suppressions"][0]["reason"], "complaint")

    def test_import_twice_is_idempotent_and_duplicates_count_once(self):
        rows = "phone,region\n" + "".join("%s,US\n" % n[2:] for n in GOOD[:50]) + "%s,US\n" % GOOD[0][2:]
        path = self.write("dnc.csv", rows)
        code, out, err = self.ctl("import", "dnc", path)
        self.assertEqual(code, 0, out + err)
        self.assertIn("duplicates in file: 1", out)
        self.assertIn("added:              50", out)
        code, out, err = self.ctl("import", "dnc", path)
        self.assertEqual(code, 0, out + err)
        self.assertIn("added:              0\n", out)
        self.assertIn("already stored:     50", out)
        self.assertEqual(self.rejects(path), [])

    def test_import_in_many_small_batches_through_a_temp_dir(self):
        # 300 numbers, 20 of them again, one invalid row; --batch 7 makes 43 store batches out of
        # the key-ordered spill files, which must be gone afterwards.
        numbers = GOOD + GOOD[:20]
        path = self.write("many.csv", "\n".join(numbers[:150] + ["not-a-number"] + numbers[150:]) + "\n")
        spill = os.path.join(self.dir, "spill")
        os.mkdir(spill)
        code, out, err = self.ctl("import", "dnc", path, "--batch", "7", "--temp-dir", spill)
        self.assertEqual(code, 1, out + err)
        self.assertIn("rows read:          321", out)
        self.assertIn("rejected:           1 ", out)
        self.assertIn("duplicates in file: 20", out)
        self.assertIn("added:              300", out)
        self.assertIn("already stored:     0", out)
        self.assertEqual(os.listdir(spill), [])
        self.assertEqual([(r["line"], r["value"]) for r in self.rejects(path)], [("151", "not-a-number")])
        code, out, err = self.ctl("import", "dnc", path, "--batch", "7", "--temp-dir", spill)
        self.assertEqual(code, 1, out + err)
        self.assertIn("added:              0\n", out)
        self.assertIn("already stored:     300", out)
        self.assertEqual(os.listdir(spill), [])
        self.assertEqual([(r["line"], r["value"]) for r in self.rejects(path)], [("151", "not-a-number")])
        code, exported, err = self.ctl("export", "suppressions")
        self.assertEqual(code, 0, err)
        rows = list(csv.DictReader(io.StringIO(exported)))
        self.assertEqual(sorted(r["e164"] for r in rows), sorted(GOOD))
        self.assertEqual({r["reason"] for r in rows}, {"dnc"})
        code, out, err = self.ctl("import", "dnc", path, "--temp-dir", os.path.join(self.dir, "missing", "dir"))
        self.assertEqual(code, 2, out + err)
        self.assertIn("--temp-dir", err)

    def test_consents_import_and_ledger(self):
        path = self.write("optins.csv", "e164,category,evidence\n%s,marketing,form 1\n%s,marketing,form 2\n"
                          "%s,nonsense,x\n" % (GOOD[0], GOOD[1], GOOD[2]))
        code, out, err = self.ctl("import", "consents", path)
        self.assertEqual(code, 1, out + err)
        self.assertIn("added:              2", out)
        rej = self.rejects(path)
        self.assertEqual(rej[0]["line"], "4")
        self.assertIn("unknown category", rej[0]["reason"])
        code, out, err = self.ctl("import", "consents", path)
        self.assertIn("already stored:     2", out)
        facts = self.lookup(GOOD[0])
        self.assertEqual(len(facts["consents"]), 1)
        self.assertEqual(len(facts["consent_ledger"]), 1)
        self.assertEqual(facts["consent_ledger"][0]["evidence"], "form 1")

    def test_suppress_unsuppress_and_consent_commands(self):
        code, out, err = self.ctl("suppress", "(415) 555-0150", "--sender", "12345", "--reason", "asked by phone")
        self.assertEqual(code, 0, err)
        facts = self.lookup("+14155550150")
        self.assertEqual(facts["suppressions"], [{"sender": "12345", "reason": "asked by phone",
                                                  "source": "cli:tester", "at": NOW}])
        code, out, err = self.ctl("unsuppress", "+14155550150", "--sender", "12345")
        self.assertEqual(code, 0, err)
        self.assertFalse(self.lookup("+14155550150")["suppressed"])
        code, out, err = self.ctl("consent", "grant", "+14155550150", "--category", "marketing",
                                  "--evidence", "signed form")
        self.assertEqual(code, 0, err)
        code, out, err = self.ctl("consent", "show", "+14155550150")
        self.assertIn("marketing", out)
        self.assertIn("signed form", out)
        code, out, err = self.ctl("consent", "revoke", "+14155550150", "--category", "marketing")
        self.assertEqual(code, 0, err)
        facts = self.lookup("+14155550150")
        self.assertEqual(facts["consents"], [])
        self.assertEqual([e["event"] for e in facts["consent_ledger"]], ["granted", "revoked"])
        code, out, err = self.ctl("consent", "grant", "+14155550150", "--category", "nope")
        self.assertEqual(code, 2)
        self.assertIn("--category", err)

    def test_erase_then_lookup(self):
        n = GOOD[7]
        self.assertEqual(self.ctl("suppress", n, "--sender", "12345")[0], 0)
        self.assertEqual(self.ctl("consent", "grant", n, "--category", "marketing")[0], 0)
        code, out, err = self.ctl("erase", n)
        self.assertEqual(code, 0, err)
        self.assertIn("consents removed:        1", out)
        facts = self.lookup(n)
        self.assertTrue(facts["suppressed"])
        self.assertEqual(len(facts["suppressions"]), 1)
        self.assertEqual(facts["suppressions"][0]["reason"], "erased")
        self.assertIsNone(facts["suppressions"][0]["sender"])
        self.assertEqual(facts["consents"], [])
        self.assertEqual(facts["consent_ledger"], [])
        # The erased number is no longer exported (no readable number is kept).
        code, out, err = self.ctl("export", "suppressions")
        self.assertNotIn(n, out)
        self.assertIn("without a readable number", err)

    def test_import_export_import_gives_the_same_set(self):
        rows = "number,sender,reason\n" + "".join(
            "%s,%s,%s\n" % (n, "12345" if i % 3 == 0 else "", "dnc" if i % 2 else "stop")
            for i, n in enumerate(GOOD[:120]))
        path = self.write("in.csv", rows)
        self.assertEqual(self.ctl("import", "suppressions", path)[0], 0)
        code, exported, err = self.ctl("export", "suppressions")
        self.assertEqual(code, 0, err)
        first = {(r["e164"], r["sender"], r["reason"]) for r in csv.DictReader(io.StringIO(exported))}
        expected = {(n, "12345" if i % 3 == 0 else "", "dnc" if i % 2 else "stop") for i, n in enumerate(GOOD[:120])}
        self.assertEqual(first, expected)
        # Into a fresh store (same number key file), then out again.
        other = self.write_config("other.yaml", self.prefix + "other:", "other.db")
        out_path = self.write("exported.csv", exported)
        code, out, err = self.ctl("import", "suppressions", out_path, config=other)
        self.assertEqual(code, 0, out + err)
        self.assertIn("added:              120", out)
        code, again, err = self.ctl("export", "suppressions", "--format", "jsonl", config=other)
        second = {(j["e164"], j["sender"], j["reason"]) for j in map(json.loads, again.splitlines())}
        self.assertEqual(second, expected)

    def test_export_then_import_keeps_times_sources_and_evidence(self):
        # Recorded on different days, by different means: the copy in another store is the same,
        # not re-dated to the day of the import nor re-sourced as "import".
        self.assertEqual(self.ctl("suppress", GOOD[0], "--sender", "12345", now="2026-03-01T10:00:00Z")[0], 0)
        self.assertEqual(self.ctl("import", "dnc", self.write("dnc.csv", GOOD[1] + "\n"),
                                  now="2026-04-02T11:00:00Z")[0], 0)
        self.assertEqual(self.ctl("consent", "grant", GOOD[2], "--category", "marketing", "--evidence", "form 7, \"x\"",
                                  now="2026-05-03T12:00:00Z")[0], 0)
        other = self.write_config("other.yaml", self.prefix + "other:", "other.db")
        for kind in ("suppressions", "consents"):
            code, exported, err = self.ctl("export", kind)
            self.assertEqual(code, 0, err)
            code, out, err = self.ctl("import", kind, self.write(kind + ".csv", exported), config=other)
            self.assertEqual(code, 0, out + err)
            code, again, err = self.ctl("export", kind, config=other)
            self.assertEqual(sorted(again.splitlines()), sorted(exported.splitlines()))
        rows = {r["e164"]: r for r in csv.DictReader(io.StringIO(self.ctl("export", "suppressions", config=other)[1]))}
        self.assertEqual(rows[GOOD[0]]["at"], "2026-03-01T10:00:00Z")
        self.assertEqual(rows[GOOD[0]]["source"], "cli:tester")
        self.assertEqual(rows[GOOD[1]]["at"], "2026-04-02T11:00:00Z")
        ledger = self.lookup(GOOD[2], config=other)["consent_ledger"]
        self.assertEqual([(e["at"], e["source"]) for e in ledger], [("2026-05-03T12:00:00Z", "cli:tester")])
        # A time that is not RFC 3339, or later than now, is a rejected row naming its line.
        path = self.write("times.csv", "number,at\n%s,2026-01-01T00:00:00Z\n%s,yesterday\n%s,2099-01-01T00:00:00Z\n"
                          % (GOOD[3], GOOD[4], GOOD[5]))
        code, out, err = self.ctl("import", "suppressions", path)
        self.assertEqual(code, 1, out + err)
        self.assertEqual([(r["line"], r["value"]) for r in self.rejects(path)],
                         [("3", "yesterday"), ("4", "2099-01-01T00:00:00Z")])
        self.assertTrue(self.lookup(GOOD[3])["suppressed"])
        self.assertEqual(self.lookup(GOOD[3])["suppressions"][0]["at"], "2026-01-01T00:00:00Z")

    def test_clean_report(self):
        sup = GOOD[60]
        self.assertEqual(self.ctl("suppress", sup)[0], 0)
        rows = ("name,phone\n"
                "Ann,%s\n"
                "Bob,(415) 555-0121\n"
                "Ann again,+1 415 555 0120\n"
                "Landline,+44 20 7946 0958\n"
                "Typo,+1415555\n"
                "Nobody,hello\n"
                "Blocked,%s\n") % ("+14155550120", sup)
        path = self.write("list.csv", rows)
        out_path = os.path.join(self.dir, "clean.csv")
        code, out, err = self.ctl("clean", path, "--out", out_path)
        self.assertEqual(code, 0, out + err)
        self.assertIn("rows read:            7", out)
        self.assertIn("duplicates dropped:   1", out)
        self.assertIn("invalid:              2", out)
        self.assertIn("cannot receive SMS:   1", out)
        self.assertIn("suppressed:           1", out)
        self.assertIn("top invalid reasons:", out)
        with open(out_path, newline="") as f:
            result = list(csv.DictReader(f))
        self.assertEqual([r["name"] for r in result], ["Ann", "Bob", "Landline", "Typo", "Nobody", "Blocked"])
        by = {r["name"]: r for r in result}
        self.assertEqual(by["Ann"]["e164"], "+14155550120")
        self.assertEqual(by["Ann"]["status"], "ok")
        self.assertEqual(by["Ann"]["timezones"], "America/Los_Angeles")
        self.assertEqual(by["Ann"]["region"], "US")
        self.assertEqual(by["Ann"]["suppressed"], "no")
        self.assertEqual(by["Landline"]["status"], "not_sms")
        self.assertEqual(by["Landline"]["type"], "fixed_line")
        self.assertEqual(by["Landline"]["timezones"], "Europe/London")
        self.assertEqual(by["Typo"]["status"], "invalid")
        # An invalid row has no E.164 (not a made-up "+1415555" that looks like one).
        self.assertEqual(by["Typo"]["e164"], "")
        self.assertEqual(by["Nobody"]["e164"], "")
        self.assertEqual(by["Blocked"]["suppressed"], "yes")
        # No store writes: the clean run added nothing.
        self.assertFalse(self.lookup("+14155550120")["suppressed"])

    def test_purge_with_now(self):
        day = 86400 * 1000
        now_ms = 1_800_000_000_000  # 2027-01-15T08:00:00Z
        msgs = [("old", now_ms - 100 * day, "delivered"), ("week", now_ms - 10 * day, "failed"),
                ("fresh", now_ms - 1 * day, "delivered"), ("live", now_ms - 200 * day, "queued")]
        self.insert_messages(msgs)
        code, out, err = self.ctl("purge", "--dry-run")
        self.assertEqual(code, 0, err)
        self.assertIn("nothing removed", out)
        self.assertRegex(out, r"message bodies \(final > 7 d\): +1\n")
        self.assertRegex(out, r"message records \(final > 90 d\): +1\n")
        self.assertEqual(self.message_texts(), {"old": "hello", "week": "hello", "fresh": "hello", "live": "hello"})
        code, out, err = self.ctl("purge")
        self.assertEqual(code, 0, err)
        self.assertEqual(self.message_texts(), {"week": "", "fresh": "hello", "live": "hello"})
        # A month later the fresh message's body goes too.
        code, out, err = self.ctl("purge", now="2027-02-15T08:00:00Z")
        self.assertEqual(self.message_texts(), {"week": "", "fresh": "", "live": "hello"})

    def test_usage_errors_name_the_argument(self):
        code, out, err = self.ctl("lookup", "12")
        self.assertEqual(code, 2)
        self.assertIn('NUMBER "12"', err)
        code, out, err = self.ctl("lookup", GOOD[0], config=os.path.join(self.dir, "missing.yaml"))
        self.assertEqual(code, 2)
        self.assertIn("missing.yaml:1:1", err)
        code, out, err = self.ctl("import", "dnc", os.path.join(self.dir, "nope.csv"))
        self.assertEqual(code, 2)
        self.assertIn("nope.csv", err)
        code, out, err = self.ctl("frobnicate")
        self.assertEqual(code, 2)
        self.assertIn('unknown command "frobnicate"', err)
        # The same for the commands of a command, and a missing one is named as such.
        code, out, err = self.ctl("consent", "frob", GOOD[0])
        self.assertEqual(code, 2)
        self.assertIn('unknown consent command "frob" (consent commands: grant, revoke, show)', err)
        code, out, err = self.ctl("dead-letters", "lsit")
        self.assertEqual(code, 2)
        self.assertIn('unknown dead-letters command "lsit" (dead-letters commands: list, replay)', err)
        code, out, err = self.ctl("queue")
        self.assertEqual(code, 2)
        self.assertIn("queue needs a command: stats", err)
        # An empty --sender (an empty shell variable) is not "every sender": the global
        # suppression stays.
        self.assertEqual(self.ctl("suppress", GOOD[297])[0], 0)
        code, out, err = self.ctl("unsuppress", GOOD[297], "--sender", "")
        self.assertEqual(code, 2, out + err)
        self.assertIn("--sender", err)
        self.assertTrue(self.lookup(GOOD[297])["suppressed"])
        code, out, err = self.ctl("suppress", GOOD[298], "--sender", "")
        self.assertEqual(code, 2, out + err)
        self.assertFalse(self.lookup(GOOD[298])["suppressed"])
        # --region: a country the number library knows, in any case.
        code, out, err = self.ctl("lookup", "07911123456", "--region", "XX")
        self.assertEqual(code, 2, out + err)
        self.assertIn("--region", err)
        code, out, err = self.ctl("lookup", "07911123456", "--region", "gb")
        self.assertEqual(code, 0, out + err)
        self.assertIn("+447911123456", out)
        code, out, err = self.ctl("purge", now="yesterday")
        self.assertEqual(code, 2)
        self.assertIn("--now", err)
        path = self.write("named.csv", "name,city\nx,y\n")
        code, out, err = self.ctl("import", "dnc", path)
        self.assertEqual(code, 2)
        self.assertIn("line 1", err)

    def test_options_a_command_does_not_use_are_refused_and_nothing_is_stored(self):
        # `import dnc --sender X` stored global entries while the operator meant one sender's
        # list: DNC entries are always global, so the option is refused, not ignored.
        path = self.write("dnc.csv", "%s\n%s\n" % (GOOD[290], GOOD[291]))
        cases = [
            (["import", "dnc", path, "--sender", "12345"], "--sender", "DNC entries are always global"),
            (["import", "dnc", path, "--reason", "complaint"], "--reason", "reason dnc"),
            (["import", "dnc", path, "--category", "marketing"], "--category", "only applies to import consents"),
            (["import", "suppressions", path, "--evidence", "form"], "--evidence", "only applies to import consents"),
            (["import", "consents", path, "--category", "marketing", "--reason", "x"], "--reason",
             "only applies to import suppressions"),
        ]
        for args, option, why in cases:
            code, out, err = self.ctl(*args)
            self.assertEqual(code, 2, (args, out, err))
            self.assertIn(option + ": ", err, args)
            self.assertIn(why, err, args)
            self.assertNotIn("rows read", out, args)
        for n in (GOOD[290], GOOD[291]):
            facts = self.lookup(n)
            self.assertEqual((facts["suppressions"], facts["consents"]), ([], []), n)
        code, out, err = self.ctl("consent", "show", GOOD[290], "--source", "web")
        self.assertEqual(code, 2, out + err)
        self.assertIn("--source: only applies to consent grant and revoke", err)
        code, out, err = self.ctl("dead-letters", "replay", "--id", "evt_x", "--max", "5")
        self.assertEqual(code, 2, out + err)
        self.assertIn("--max: only applies without --id", err)
        # The options each kind does use still work.
        self.assertEqual(self.ctl("import", "dnc", path, "--source", "national-dnc")[0], 0)
        self.assertEqual(self.lookup(GOOD[290])["suppressions"][0]["source"], "national-dnc")

    def test_queue_stats_and_dead_letters(self):
        code, out, err = self.ctl("queue", "stats")
        self.assertEqual(code, 0, err)
        self.assertRegex(out, r"sim +0 +0 +0")
        code, out, err = self.ctl("dead-letters", "list")
        self.assertEqual(code, 0, err)
        self.assertIn("no dead letters", out)
        code, out, err = self.ctl("dead-letters", "replay", "--id", "evt_nope")
        self.assertEqual(code, 2)
        self.assertIn("--id evt_nope", err)

    def test_store_dump_holds_no_number_in_clear(self):
        path = self.write("n.txt", "\n".join(GOOD[:30]) + "\n")
        self.assertEqual(self.ctl("import", "dnc", path)[0], 0)
        self.assertEqual(self.ctl("consent", "grant", GOOD[40], "--category", "marketing")[0], 0)
        dump = self.dump()
        self.assertIn("dnc", dump)
        for n in GOOD[:30] + [GOOD[40]]:
            self.assertNotIn(n[2:], dump)


class SqliteMixin:
    kind = "sqlite"

    def db(self):
        return sqlite3.connect(os.path.join(self.dir, "store.db"))

    def insert_messages(self, msgs):
        # The gateway's schema (policy/sqlite_schema.hpp); created by the first smsgwctl run.
        self.assertEqual(self.ctl("queue", "stats")[0], 0)
        with self.db() as c:
            for mid, updated, status in msgs:
                # Named columns: later schema versions add columns with defaults (v2: api_key).
                row = (mid, "nk-" + mid, "", "sim", "12345", "hello", "transactional", "", "", 1, "gsm7",
                       status, "", "", updated, updated, updated, 0, 0, "sender")
                names = [r[1] for r in c.execute("PRAGMA table_info(messages)")][:len(row)]
                c.execute("INSERT INTO messages (%s) VALUES (%s)" % (",".join(names), ",".join("?" * len(row))), row)

    def message_texts(self):
        with self.db() as c:
            return dict(c.execute("SELECT id, text FROM messages"))

    def dump(self):
        data = b""
        for suffix in ("", "-wal"):
            p = os.path.join(self.dir, "store.db" + suffix)
            if os.path.exists(p):
                with open(p, "rb") as f:
                    data += f.read()
        return data.decode("latin-1")


class RedisMixin:
    kind = "redis"

    def setUp(self):
        if not REDIS_URL:
            if os.environ.get("CI") == "true":
                self.fail("SMSGW_TEST_REDIS_URL is not set")
            self.skipTest("SMSGW_TEST_REDIS_URL is not set (tools/test starts a redis-server)")
        super().setUp()

    @staticmethod
    def pack(*fields):
        return "".join("%d:%s" % (len(f.encode()), f) for f in fields)

    def insert_messages(self, msgs):
        for mid, updated, status in msgs:
            d = self.pack(mid, "", "hello", "", "", "1", "gsm7", str(updated), "0")
            redis_cli("HSET", "%smsg:{%s}" % (self.prefix, mid), "d", d, "nk", "nk-" + mid, "car", "sim",
                      "snd", "12345", "cat", "transactional", "scope", "sender", "st", status, "up", str(updated),
                      "sa", str(updated))

    def message_texts(self):
        out = {}
        for key in redis_cli("--scan", "--pattern", self.prefix + "msg:{*").split():
            d = redis_cli("HGET", key, "d").rstrip("\n")
            fields, pos = [], 0
            while pos < len(d):
                colon = d.index(":", pos)
                n = int(d[pos:colon])
                fields.append(d[colon + 1:colon + 1 + n])
                pos = colon + 1 + n
            out[fields[0]] = fields[2]
        return out

    def dump(self):
        text = []
        for key in redis_cli("--scan", "--pattern", self.prefix + "*").split():
            text.append(key)
            t = redis_cli("TYPE", key).strip()
            if t == "hash":
                text.append(redis_cli("HGETALL", key))
            elif t == "list":
                text.append(redis_cli("LRANGE", key, "0", "-1"))
            elif t == "zset":
                text.append(redis_cli("ZRANGE", key, "0", "-1"))
            elif t == "string":
                text.append(redis_cli("GET", key))
        return "\n".join(text)


class SmsgwctlSqlite(SqliteMixin, Base, unittest.TestCase):
    pass


class SmsgwctlRedis(RedisMixin, Base, unittest.TestCase):
    pass


if __name__ == "__main__":
    unittest.main()
