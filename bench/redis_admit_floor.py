#!/usr/bin/env python3
# The command floor of one admission on Redis, without the script (docs/performance.md, "Admit
# after slimming" and "Redis admissions: the floor and WATCH/MULTI"): writes RESP for N
# admissions of the benchmark's shape (new number, one cap rule) as plain pipelined commands, in
# MULTI/EXEC blocks of B (default 64) like admit.lua's effects: HEXISTS (suppression bucket),
# GET + SET PX (cap key), the message hash, one RPUSH per block. The message hash is written
#   hset      HSET of its 10 fields
#   restore   RESTORE of the same hash as a type-4 payload (Redis loads it field by field)
#   listpack  RESTORE of a type-16 payload (the listpack itself, as admit.lua's client sends it)
#   watch     a client-side decision: per block WATCH (bucket and cap key of each admission),
#             HEXISTS + GET each, then MULTI, SET PX + RESTORE (listpack) each, RPUSH, EXEC
# Feed it to `redis-cli --pipe` and compare INFO cpu before and after (or count instructions
# with callgrind around it):
#   bench/redis_admit_floor.py 50000 listpack > /tmp/floor.resp
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


def listpack_entry(s):
    if len(s) < 64:
        head = bytes([0x80 | len(s)])
    else:
        head = bytes([0xE0 | (len(s) >> 8), len(s) & 0xFF])
    body = head + s
    n = len(body)  # back-length: 7 bits per byte, the last byte of the entry holds the low bits
    back = bytes([n]) if n < 128 else bytes([n >> 7, 0x80 | (n & 0x7F)])
    return body + back


def dump_hash_listpack(pairs):
    entries = b"".join(listpack_entry(x) for pair in pairs for x in pair)
    lp = (6 + len(entries) + 1).to_bytes(4, "little") + (2 * len(pairs)).to_bytes(2, "little") + entries + b"\xff"
    p = b"\x10" + dump_len(len(lp)) + lp + b"\x0a\x00"  # type 16, format version 10
    return p + crc64(p).to_bytes(8, "little")


def main():
    n = int(sys.argv[1])
    mode = sys.argv[2]  # hset | restore | listpack | watch
    block = int(sys.argv[3]) if len(sys.argv) > 3 else 64
    out = sys.stdout.buffer

    def cmd(*args):
        parts = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            parts += [b"$%d\r\n" % len(a), a, b"\r\n"]
        out.write(b"".join(parts))

    now = b"1800000000000"
    pending = []  # the block's admissions (watch): bucket, suffix, cap key, message key, payload, id
    for i in range(n):
        nk = os.urandom(32).hex()
        suffix = bytes.fromhex(nk[4:])
        bucket = "floor:sup:" + nk[:4]
        cap = "floor:{%s}:cap:marketing" % nk
        d = (b"17:bench-1234-%06d54:" % i) + os.urandom(27).hex().encode() + \
            b"19:Your code is 1234560:0:1:04:gsm713:18000000000000:0:"
        fields = [(b"st", b"queued"), (b"car", b"bench"), (b"up", now), (b"sa", now), (b"nk", nk.encode()),
                  (b"snd", b"12345"), (b"cat", b"marketing"), (b"scope", b"sender"), (b"ns", suffix), (b"d", d)]
        key = "floor:msg:{bench-%d}" % i
        last = i % block == block - 1 or i == n - 1
        if mode == "watch":
            pending.append((bucket, suffix, cap, key, dump_hash_listpack(fields)))
            if last:
                cmd("WATCH", *[k for p in pending for k in (p[0], p[2])])
                for p in pending:
                    cmd("HEXISTS", p[0], p[1])
                    cmd("GET", p[2])
                cmd("MULTI")
                for p in pending:
                    cmd("SET", p[2], now, "PX", "86400000")
                    cmd("RESTORE", p[3], "0", p[4])
                cmd("RPUSH", "floor:q:{bench}:ready", *["bench-%d" % j for j in range(i - i % block, i + 1)])
                cmd("EXEC")
                pending = []
            continue
        if i % block == 0:
            cmd("MULTI")
        cmd("HEXISTS", bucket, suffix)
        cmd("GET", cap)
        cmd("SET", cap, now, "PX", "86400000")
        if mode == "restore":
            cmd("RESTORE", key, "0", dump_hash(fields))
        elif mode == "listpack":
            cmd("RESTORE", key, "0", dump_hash_listpack(fields))
        else:
            cmd("HSET", key, *[x for pair in fields for x in pair])
        if last:
            cmd("RPUSH", "floor:q:{bench}:ready", *["bench-%d" % j for j in range(i - i % block, i + 1)])
            cmd("EXEC")


if __name__ == "__main__":
    main()
