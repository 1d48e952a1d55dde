#!/usr/bin/env python3
# ISC license.
"""Seed corpus for the fuzz targets, cut from the transcript tests.

Usage: python3 fuzz/make-corpus.py tests/transcripts OUTDIR
Writes OUTDIR/TARGET/NAME files; the first octet of each is the
target's option octet (see the comment at the top of fuzz/fuzz_*.c).
"""

import hashlib
import os
import sys


def put(outdir, target, data):
    d = os.path.join(outdir, target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def session_options(args):
    """fuzz_session.c's first option octet for a transcript's .args
    words (the second, 0 or 1, says whether to record with -x)."""
    opts = 0
    if "-l" in args:
        opts |= 0x01
    if "-d" in args:
        opts |= 0x10
    if "maildir" in args:
        opts |= 0x20
    if any("%u" in a for a in args):
        opts |= 0x40
    if "pipe" in args:
        opts |= 0x80
    return opts


def seeds(outdir, name, data, args):
    opts = session_options(args)
    put(outdir, "session", bytes([opts, 0]) + data)
    # the same session delivered one mailbox per recipient, by pipe,
    # and recorded with -x
    put(outdir, "session", bytes([opts | 0x40, 0]) + data)
    put(outdir, "session", bytes([opts | 0x80, 0]) + data)
    put(outdir, "session", bytes([opts, 1]) + data)
    put(outdir, "linebuf", bytes([5]) + data)	# limit 510
    lines = data.split(b"\r\n") if b"\r\n" in data else data.split(b"\n")
    if b"DATA\r\n" in data:
        body = data.split(b"DATA\r\n", 1)[1]
        put(outdir, "data", b"\x00" + body[:65536])
        put(outdir, "data", b"\x0e" + body[:65536])	# chunks of 8
    for line in lines:
        if len(line) > 1000:
            continue
        upper = line.upper()
        if upper.startswith(b"MAIL FROM:") or upper.startswith(b"RCPT TO:"):
            arg = line.split(b":", 1)[1]
            put(outdir, "addr", bytes([upper.startswith(b"MAIL")]) + arg)
            if b">" in arg:
                put(outdir, "params", arg.split(b">", 1)[1])
            put(outdir, "command", b"\x03" + line)	# after MAIL
            put(outdir, "command", b"\x05" + line)	# after RCPT
        elif line[:4].isalpha():
            put(outdir, "command", b"\x02" + line)	# after EHLO
            put(outdir, "command", b"\x00" + line)	# before HELO


def bdat_seeds(outdir):
    """Sessions whose BDAT chunks end just before, at and after the 64
    KiB input buffer and spool boundaries, a CR LF split across them,
    in SMTP and LMTP, to mbox and Maildir."""
    env = (b"EHLO a.example\r\nMAIL FROM:<a@a.example>\r\n"
           b"RCPT TO:<b@example.org>\r\n")
    for sizes in ((65535, 1), (65536, 0), (65537, 3), (1, 131072),
                  (65534, 65536, 2)):
        data = env
        for i, n in enumerate(sizes):
            text = (b"x" * 75 + b"\r\n") * (n // 77)
            text += b"y" * (n - len(text))
            last = i == len(sizes) - 1
            if i > 0 and n > 0:
                text = b"\n" + text[1:]	# the LF of a CR that ended
            if not last and n > 1:		# the chunk before
                text = text[:-1] + b"\r"
            data += b"BDAT %d%s\r\n" % (n, b" LAST" if last else b"")
            data += text
        data += b"QUIT\r\n"
        for opts in (0x00, 0x01, 0x04, 0x20):
            lmtp = data.replace(b"EHLO", b"LHLO") if opts & 1 else data
            put(outdir, "session", bytes([opts, 0]) + lmtp)


def proxy_seeds(outdir):
    """PROXY headers of both versions, some followed by the EHLO a
    balancer passes on right behind them (fuzz_proxy.c)."""
    sig = b"\r\n\r\n\x00\r\nQUIT\n"
    v4 = bytes([192, 0, 2, 7, 198, 51, 100, 1, 0x9c, 0x40, 0, 25])
    v6 = bytes(15) + b"\x01" + bytes(15) + b"\x02" + b"\x01\x02\x00\x19"
    for h in (b"PROXY TCP4 192.0.2.7 198.51.100.1 40000 25\r\n",
              b"PROXY TCP6 2001:db8::7 2001:db8::1 65535 25\r\n",
              b"PROXY UNKNOWN\r\n",
              sig + b"\x21\x11\x00\x0c" + v4,
              sig + b"\x21\x21\x00\x24" + v6,
              sig + b"\x21\x11\x00\x10" + v4 + b"\x04\x00\x01\x00",
              sig + b"\x20\x00\x00\x00",
              sig + b"\x21\x00\x00\x00"):
        put(outdir, "proxy", h)
        put(outdir, "proxy", h + b"EHLO client.example\r\n")


def main():
    src, outdir = sys.argv[1], sys.argv[2]
    bdat_seeds(outdir)
    proxy_seeds(outdir)
    for f in sorted(os.listdir(src)):
        if not f.endswith(".in"):
            continue
        base = os.path.join(src, f[:-3])
        with open(base + ".in", "rb") as fh:
            data = fh.read()
        args = []
        if os.path.exists(base + ".args"):
            with open(base + ".args") as fh:
                args = fh.read().split()
        seeds(outdir, f[:-3], data, args)
    for target in ("session", "command", "addr", "params", "data",
                   "linebuf", "proxy"):
        d = os.path.join(outdir, target)
        os.makedirs(d, exist_ok=True)
        print("%s: %d seeds" % (target, len(os.listdir(d))))


if __name__ == "__main__":
    main()
