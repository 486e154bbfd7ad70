#!/bin/sh
# Command-line mistakes exit 2 (as a broken config does) with a message on stderr, for smsgw,
# smsc-sim and smsgw-load; --help (and smsgw --version) exit 0.
#   usage_errors_cli.sh SMSGW SMSC_SIM SMSGW_LOAD
set -u
failed=0
expect() {
  want=$1
  shift
  out=$(timeout 10 "$@" 2>&1 < /dev/null)
  got=$?
  if [ "$got" -ne "$want" ]; then
    echo "$*: exit $got, expected $want; output: $out"
    failed=1
  elif [ "$want" -ne 0 ] && [ -z "$out" ]; then
    echo "$*: exit $got without a message"
    failed=1
  fi
}
smsgw=$1 sim=$2 load=$3
expect 2 "$smsgw" --bogus
expect 2 "$smsgw" --config
expect 2 "$smsgw" --check-config
expect 2 "$smsgw" --config a.yaml extra-argument
expect 2 "$smsgw"
expect 0 "$smsgw" --help
expect 0 "$smsgw" --version
expect 2 "$sim" --bogus
expect 2 "$sim" --dlr-fail-ratio 2
expect 2 "$sim" --smpp nowhere
expect 0 "$sim" --help
expect 2 "$load" --bogus
expect 2 "$load"
expect 2 "$load" --url http://127.0.0.1:1 --key k --count x
expect 0 "$load" --help
[ "$failed" -eq 0 ] && echo "ok"
exit "$failed"
