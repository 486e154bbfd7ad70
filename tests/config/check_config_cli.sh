#!/bin/sh
# Runs `smsgw --check-config FILE` and compares its exit code and its output (stdout and stderr
# together) with the expected ones. In the expected file, @FILE@ stands for the config path as
# given on the command line.
#   check_config_cli.sh SMSGW CONFIG EXPECTED_EXIT EXPECTED_OUTPUT [with-secrets]
# with-secrets: copy CONFIG into a temporary directory and create there every secret file that
# config/production.example.yaml names, as an operator would before checking it.
set -u
smsgw=$1 config=$2 expected_exit=$3 expected_output=$4 mode=${5:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ "$mode" = with-secrets ]; then
  mkdir -p "$work/secrets" "$work/tls"
  printf 'redis-password\n' > "$work/secrets/redis.password"
  printf 'billing-webhook-secret\n' > "$work/secrets/billing-webhook.secret"
  printf 'marketing-app-key\n' > "$work/secrets/marketing-app.key"
  printf 'global-webhook-secret\n' > "$work/secrets/webhook.secret"
  printf 'pw-a\n' > "$work/secrets/carrier-a.password"
  printf '%064d\n' 0 > "$work/secrets/number.key"
  for f in carrier-a-ca.pem client.pem client.key webhook-ca.pem; do printf 'placeholder\n' > "$work/tls/$f"; done
  cp "$config" "$work/smsgw.yaml"
  config="$work/smsgw.yaml"
fi

"$smsgw" --check-config "$config" > "$work/output" 2>&1
status=$?
sed -e "s|@FILE@|$config|g" -e "s|@DIR@|$(cd "$(dirname "$config")" && pwd)|g" "$expected_output" > "$work/expected"
if [ "$status" -ne "$expected_exit" ]; then
  echo "exit code $status, expected $expected_exit; output:"
  cat "$work/output"
  exit 1
fi
if ! diff -u "$work/expected" "$work/output"; then
  echo "output differs from $expected_output (above: - expected, + actual)"
  exit 1
fi
echo "ok: exit $status, output as expected"
