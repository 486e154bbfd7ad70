#!/bin/sh
# `smsgw` command-line mistakes exit 2 (as a broken config does) with a message on stderr;
# --help and --version exit 0.
#   usage_errors_cli.sh SMSGW
set -u
smsgw=$1
failed=0
expect() {
  want=$1
  shift
  out=$("$smsgw" "$@" 2>&1)
  got=$?
  if [ "$got" -ne "$want" ]; then
    echo "smsgw $*: exit $got, expected $want; output: $out"
    failed=1
  elif [ "$want" -ne 0 ] && [ -z "$out" ]; then
    echo "smsgw $*: exit $got without a message"
    failed=1
  fi
}
expect 2 --bogus
expect 2 --config
expect 2 --check-config
expect 2 --config a.yaml extra-argument
expect 2
expect 0 --help
expect 0 --version
[ "$failed" -eq 0 ] && echo "ok"
exit "$failed"
