#!/bin/sh
# smsgwctl end to end on a generated file (docs/performance.md, "Operator tooling"):
#   import dnc into SQLite, import dnc into a throw-away Redis (then again: a refresh into a full
#   store), clean --offline, clean with the SQLite store, and the Redis memory used per imported
#   number.
# Usage: bench/import_bench.sh [ROWS]   (default 1000000; keep runs short on the shared machine)
# Binaries from SMSGW_BUILD_DIR (default build/dev). Needs redis-server and redis-cli.
set -eu
BUILD=${SMSGW_BUILD_DIR:-build/dev}
CTL="$BUILD/tools/smsgwctl"
ROWS=${1:-1000000}
dir=$(mktemp -d /tmp/smsgw-import-bench.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cleanup() {
  redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM PIPE  # also when stopped or piped into head: no redis-server left behind

# Valid US numbers (real area codes, exchange 200-999 without N11), 1% repeated, one a line.
python3 - "$ROWS" "$dir/dnc.csv" <<'PY'
import random, sys
rows, path = int(sys.argv[1]), sys.argv[2]
random.seed(7)
areas = [201, 212, 213, 305, 312, 415, 503, 617, 646, 702, 713, 718, 805, 917]
with open(path, "w") as f:
    prev = []
    for i in range(rows):
        if prev and random.random() < 0.01:
            f.write(random.choice(prev) + "\n")
            continue
        while True:
            ex = random.randint(200, 999)
            if ex % 100 != 11:
                break
        n = "+1%d%d%04d" % (random.choice(areas), ex, random.randint(0, 9999))
        if len(prev) < 1000:
            prev.append(n)
        f.write(n + "\n")
PY

redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly yes --appendfsync everysec \
  --maxmemory-policy noeviction --dir "$dir" --daemonize yes --logfile "$dir/redis.log"
for i in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done

cat > "$dir/sqlite.yaml" <<YAML
store: {kind: sqlite, path: "store.db"}
secrets: {number_key_file: "number.key", generate_number_key: true}
YAML
cat > "$dir/redis.yaml" <<YAML
store: {kind: redis, url: "redis://127.0.0.1:$port/0"}
secrets: {number_key_file: "number.key", generate_number_key: true}
YAML

# Runs a command and prints the CPU it used (user + system, all its threads) per row.
client_cpu() {
  python3 -c '
import resource, subprocess, sys
rows = int(sys.argv[1])
subprocess.run(sys.argv[2:], check=False)
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print("  smsgwctl CPU:       %.2f us/row (user %.2f s, system %.2f s), max RSS %d MiB" % ((r.ru_utime + r.ru_stime) / rows * 1e6, r.ru_utime, r.ru_stime, r.ru_maxrss // 1024))
' "$ROWS" "$@"
}
redis_cpu() { redis-cli -p "$port" info cpu | awk -F: '/^used_cpu_(user|sys):/{s+=$2} END{printf "%.3f", s}'; }

echo "== rows: $ROWS; load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== import dnc -> SQLite"
client_cpu "$CTL" --config "$dir/sqlite.yaml" import dnc "$dir/dnc.csv" | grep -E "rows read|added|time|CPU"
before=$(redis-cli -p "$port" info memory | awk -F: '/^used_memory:/{print $2}' | tr -d '\r')
echo "== import dnc -> Redis"
cpu0=$(redis_cpu)
client_cpu "$CTL" --config "$dir/redis.yaml" import dnc "$dir/dnc.csv" | grep -E "rows read|added|time|CPU"
cpu1=$(redis_cpu)
echo "  redis-server CPU:   $(python3 -c "print('%.2f' % (($cpu1 - $cpu0) / $ROWS * 1e6))") us/row"
after=$(redis-cli -p "$port" info memory | awk -F: '/^used_memory:/{print $2}' | tr -d '\r')
echo "== import dnc -> Redis again (a refresh: every number already stored)"
cpu0=$(redis_cpu)
client_cpu "$CTL" --config "$dir/redis.yaml" import dnc "$dir/dnc.csv" | grep -E "already|time|CPU"
cpu1=$(redis_cpu)
echo "  redis-server CPU:   $(python3 -c "print('%.2f' % (($cpu1 - $cpu0) / $ROWS * 1e6))") us/row"
# Suppressions live in 65,536 bucket hashes smsgw:sup:<4 hex> (docs/stores.md): count their fields.
keys=$(redis-cli -p "$port" eval "local n = 0 for _, k in ipairs(redis.call('KEYS', 'smsgw:sup:[0-9a-f][0-9a-f][0-9a-f][0-9a-f]')) do n = n + redis.call('HLEN', k) end return n" 0)
key=$(redis-cli -p "$port" --scan --pattern 'smsgw:sup:[0-9a-f][0-9a-f][0-9a-f][0-9a-f]' | head -1)
echo "== Redis memory: used_memory +$((after - before)) bytes for $keys suppressions = $(( (after - before) / keys )) bytes/number; MEMORY USAGE of one bucket ($(redis-cli -p "$port" hlen "$key") numbers): $(redis-cli -p "$port" memory usage "$key")"
echo "== clean --offline"
"$CTL" --config "$dir/sqlite.yaml" clean "$dir/dnc.csv" --out "$dir/clean.csv" --offline | grep -E "rows read|time"
echo "== clean (suppressions read from SQLite)"
"$CTL" --config "$dir/sqlite.yaml" clean "$dir/dnc.csv" --out "$dir/clean.csv" | grep -E "rows read|suppressed|time"
