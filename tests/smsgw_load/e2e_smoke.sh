#!/usr/bin/env bash
# A small bench/e2e run (Redis and SQLite) as a test: every message accepted and received by the
# simulator, the policy canaries refused with the right codes, no process left behind.
# Not a timed test: only counts and codes are asserted.
set -euo pipefail
root="$1"
build="$2"
store="$3"
extra=("${@:4}")
# Open loop: also the latency log (one line per answered request, ordered by send time).
log=""
if [[ " ${extra[*]} " == *" --rate "* ]]; then
  log="$(mktemp /tmp/smsgw-latency-log.XXXXXX)"
  trap 'rm -f "$log"' EXIT
  extra+=(--latency-log "$log")
fi
out="$("$root/bench/e2e" --build-dir "$build" --store "$store" --count 300 --suppress 2000 --concurrency 8 \
  --max-seconds 60 "${extra[@]}")"
echo "$out"
/usr/bin/python3 - "$out" "$log" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
if sys.argv[2]:
    rows = [tuple(float(x) for x in line.split()) for line in open(sys.argv[2])]
    assert len(rows) == 300 and all(len(row) == 2 for row in rows), rows[:3]
    sent = [row[0] for row in rows]
    assert sent == sorted(sent) and sent[0] >= 0, sent[:5]
    # Open loop at 300/s: request r is due at r/300 s, so the last one near one second in.
    assert 900 < sent[-1] < 1100 and all(row[1] > 0 for row in rows), rows[-1]
load = r["load"]
assert load["accepted"] == 300, load
assert load["rejected_total"] == 0 and load["http_errors"] == 0, load
assert load["end_to_end"]["complete"] and load["end_to_end"]["submitted"] >= 300, load
assert r["policy_canaries"] == {"suppressed_number": "recipient_opted_out",
                                "number_without_consent": "no_consent"}, r["policy_canaries"]
assert r["preload"]["suppressions"]["count"] == 2000 and r["preload"]["consents"]["count"] == 300
PY
