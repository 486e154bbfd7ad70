#!/usr/bin/env python3
# The command floor of one admission on Redis, without the script (docs/performance.md, "Admit
# after slimming"): writes RESP for N admissions of the benchmark's shape (new number, one cap
# rule) as plain pipelined commands, in MULTI/EXEC blocks of 64 like admit.lua's effects:
# HEXISTS (suppression bucket), GET + SET PX (cap key), the message hash (HSET of its 10 fields,
# or RESTORE of the same hash built here), one RPUSH per 64. Feed it to `redis-cli --pipe` and
# compare INFO cpu before and after:
#   bench/redis_admit_floor.py 50000 restore > /tmp/floor.resp
#   redis-cli -p PORT info cpu; redis-cli -p PORT --pipe < /tmp/floor.resp; redis-cli -p PORT info cpu
import os
import sys

POLY = 0x95AC9329AC4BC9B5  # CRC-64 Jones, reflected (the DUMP payload checksum)
TABLE = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ POLY if c & 1 else c >> 1
    TABLE.append(c)


def crc64(data):
    c = 0
    for x in data:
        c = TABLE[(c ^ x) & 0xFF] ^ (c >> 8)
    return c


def dump_len(n):
    if n < 64:
        return bytes([n])
    if n < 16384:
        return bytes([0x40 | (n >> 8), n & 0xFF])
    return b"\x80" + n.to_bytes(4, "big")


def dump_hash(pairs):
    p = b"\x04" + dump_len(len(pairs))
    for f, v in pairs:
        p += dump_len(len(f)) + f + dump_len(len(v)) + v
    p += b"\x09\x00"  # format version 9
    return p + crc64(p).to_bytes(8, "little")


def main():
    n = int(sys.argv[1])
    mode = sys.argv[2]  # hset | restore
    out = sys.stdout.buffer

    def cmd(*args):
        parts = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            parts += [b"$%d\r\n" % len(a), a, b"\r\n"]
        out.write(b"".join(parts))

    now = b"1800000000000"
    for i in range(n):
        nk = os.urandom(32).hex()
        suffix = bytes.fromhex(nk[4:])
        if i % 64 == 0:
            cmd("MULTI")
        cmd("HEXISTS", "floor:sup:" + nk[:4], suffix)
        cap = "floor:{%s}:cap:marketing" % nk
        cmd("GET", cap)
        cmd("SET", cap, now, "PX", "86400000")
        d = (b"17:bench-1234-%06d54:" % i) + os.urandom(27).hex().encode() + \
            b"19:Your code is 1234560:0:1:04:gsm713:18000000000000:0:"
        fields = [(b"d", d), (b"nk", nk.encode()), (b"car", b"bench"), (b"snd", b"12345"),
                  (b"cat", b"marketing"), (b"scope", b"sender"), (b"st", b"queued"), (b"up", now),
                  (b"sa", now), (b"ns", suffix)]
        key = "floor:msg:{bench-%d}" % i
        if mode == "restore":
            cmd("RESTORE", key, "0", dump_hash(fields))
        else:
            cmd("HSET", key, *[x for pair in fields for x in pair])
        if i % 64 == 63 or i == n - 1:
            cmd("RPUSH", "floor:q:{bench}:ready", *["bench-%d" % j for j in range(i - i % 64, i + 1)])
            cmd("EXEC")


if __name__ == "__main__":
    main()
