#!/usr/bin/env python3
# ISC license.
"""The reply texts of reply.h, for the tests written in Python and sh.

reply.h's REPLY_TABLE is the one place a reply text is written; the
tests read it from there, so changing a text means changing reply.h and
the expected files (tests/transcripts/*.out and the like), and no test
code.  As a module (the suites put tests/ on sys.path):

    import replies
    replies.line("R_RCPT_OK", "<a@b>")   # "250 2.1.5 Recipient <a@b> OK"
    replies.reply("R_NOOP")              # b"250 2.0.0 OK\\r\\n": the octets
    replies.pair("R_NOOP")               # (250, b"2.0.0 OK"), as smtplib
                                         # returns a reply
    replies.text("R_TOO_BIG", "1000")    # "Message too big: the limit ..."
    replies.head("R_NEED_UTF8")          # "553 5.6.7"

A row's one "%s" takes the argument, as reply_with() in session.c fills
it; a row without "%s" takes none.  A few replies are built in session.c
around a row's "%s" (the HELO/EHLO greeting line, LMTP's per-recipient
line, message ids): lmtp_delivered() and msgid() build those.

From sh (prints the line without CR LF, then a newline):

    python3 tests/replies.py R_RCPT_OK '<a@b>'
    python3 tests/replies.py -E R_DATA_OK   # a grep -E pattern, %s as .*

reply.h is found next to tests/ (the top of the tree), or at $REPLY_H.
"""

import os
import re
import sys

HOST = "mx.example.org"
FAKE_TIME_HEX = "6553F100"     # SMTPD_FAKE_TIME=1700000000 in hex

_ROW = re.compile(r'X\(\s*(R_[A-Z0-9_]+)\s*,\s*([0-9]+)\s*,\s*'
                  r'(NULL|"[^"]*")\s*,\s*"((?:[^"\\]|\\.)*)"\s*\)')
_table = None


def _path():
    if os.environ.get("REPLY_H"):
        return os.environ["REPLY_H"]
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(os.path.dirname(here), "reply.h")


def _unescape(s):
    """The C string literal's escapes that a reply text may use."""
    return re.sub(r'\\(.)', lambda m: {"n": "\n", "r": "\r", "t": "\t"}
                  .get(m.group(1), m.group(1)), s)


def table():
    """{id: (code, esc or None, text)} for every row of REPLY_TABLE."""
    global _table
    if _table is None:
        with open(_path(), encoding="utf-8") as f:
            src = f.read()
        rows = {}
        for m in _ROW.finditer(src):
            esc = None if m.group(3) == "NULL" else m.group(3)[1:-1]
            rows[m.group(1)] = (int(m.group(2)), esc,
                                _unescape(m.group(4)))
        if not rows:
            raise RuntimeError("no REPLY_TABLE rows in %s" % _path())
        _table = rows
    return _table


def _row(rid):
    try:
        return table()[rid]
    except KeyError:
        raise KeyError("%s is not a row of reply.h" % rid) from None


def text(rid, arg=None, host=HOST):
    """The row's text with "%h" replaced by the server's name and its
    "%s" (if any) by arg.  A row that names the server but takes no
    argument (the greeting, the 221 and 421 replies) takes the name as
    arg, so that line("R_QUIT", "mx.test") reads as it should."""
    t = _row(rid)[2]
    if "%h" in t and "%s" not in t and arg is not None:
        host, arg = arg, None
    t = t.replace("%h", host)
    if "%s" in t:
        if arg is None:
            raise ValueError("%s needs an argument for its %%s" % rid)
        return t.replace("%s", arg, 1)
    if arg is not None:
        raise ValueError("%s has no %%s for %r" % (rid, arg))
    return t


def code(rid):
    return _row(rid)[0]


def esc(rid):
    """The enhanced status code (RFC 3463), or None."""
    return _row(rid)[1]


def head(rid):
    """The code and enhanced code the row's lines begin with, such as
    "553 5.6.7" (the code alone for a row without an enhanced code)."""
    c, e, _ = _row(rid)
    return "%d %s" % (c, e) if e else "%d" % c


def line(rid, arg=None, host=HOST):
    """One reply line as smtpd writes it, without the CR LF."""
    c, e, _ = _row(rid)
    return "%d %s%s" % (c, e + " " if e else "", text(rid, arg, host))


def reply(rid, arg=None, host=HOST):
    """The reply as octets on the wire, CR LF included."""
    return (line(rid, arg, host) + "\r\n").encode("utf-8")


def pair(rid, arg=None, host=HOST):
    """(code, b"esc text"): what smtplib's getreply() gives."""
    c, e, _ = _row(rid)
    return c, ("%s%s" % (e + " " if e else "",
                         text(rid, arg, host))).encode("utf-8")


def pattern(rid):
    """A grep -E pattern (ERE) for the line, "%s" matching anything."""
    c, e, t = _row(rid)
    head = "%d %s" % (c, e + " " if e else "")
    return "^" + "".join(".*" if part in ("%s", "%h") else re.sub(
        r'([.[\]()*+?{}|^$\\])', r'\\\1', part)
        for part in re.split(r'(%[sh])', head + t))


def ehlo_lines(starttls=False):
    """How many lines the EHLO (or LHLO) reply has: the R_HELO line and
    one per R_EHLO_* keyword row, so that tests can skip past it.
    STARTTLS is among them only with a TLS wrapper (starttls)."""
    return 1 + sum(1 for rid in table() if rid.startswith("R_EHLO_") and
                   (starttls or rid != "R_EHLO_STARTTLS"))


# Replies that session.c builds around a row's "%s".

def msgid(n):
    """The nth message id of a session under SMTPD_FAKE_TIME=1700000000."""
    return "%s00000%04X" % (FAKE_TIME_HEX, n)


def lmtp_delivered(rcpt, n):
    """R_LMTP_DELIVERED's argument: "<rcpt> as ID" (RFC 2033 4.2)."""
    return "<%s> as %s" % (rcpt, msgid(n))


def main(argv):
    args = argv[1:]
    regex = bool(args) and args[0] == "-E"
    if regex:
        args = args[1:]
    if not 1 <= len(args) <= 2 or (regex and len(args) != 1):
        sys.stderr.write("usage: replies.py R_ID [ARG]\n"
                         "       replies.py -E R_ID\n")
        return 64
    try:
        out = pattern(args[0]) if regex else line(*args)
    except (KeyError, ValueError, OSError, RuntimeError) as e:
        sys.stderr.write("replies.py: %s\n" % (e.args[0] if e.args else e))
        return 1
    sys.stdout.write(out + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
