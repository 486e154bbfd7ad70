#!/usr/bin/env bash
# A small bench/e2e run (Redis and SQLite) as a test: every message accepted and received by the
# simulator, the policy canaries refused with the right codes, no process left behind.
# Not a timed test: only counts and codes are asserted.
set -euo pipefail
root="$1"
build="$2"
store="$3"
extra=("${@:4}")
out="$("$root/bench/e2e" --build-dir "$build" --store "$store" --count 300 --suppress 2000 --concurrency 8 \
  --max-seconds 60 "${extra[@]}")"
echo "$out"
/usr/bin/python3 - "$out" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
load = r["load"]
assert load["accepted"] == 300, load
assert load["rejected_total"] == 0 and load["http_errors"] == 0, load
assert load["end_to_end"]["complete"] and load["end_to_end"]["submitted"] >= 300, load
assert r["policy_canaries"] == {"suppressed_number": "recipient_opted_out",
                                "number_without_consent": "no_consent"}, r["policy_canaries"]
assert r["preload"]["suppressions"]["count"] == 2000 and r["preload"]["consents"]["count"] == 300
PY
