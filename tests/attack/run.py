#!/usr/bin/env python3
# ISC license.
"""Attack corpus: hostile clients against the real smtpd binary.

Usage: SMTPD=./smtpd python3 tests/attack/run.py [NAME...]

Each case runs smtpd in a fresh sandbox directory:
    ROOT/store     the mail store (mbox, Maildir or the pipe recorder's
                   output): the only place that may change
    ROOT/outside   files an attacker would like to reach
    ROOT/cwd       smtpd's working directory, must stay empty
    ROOT/tmp       TMPDIR, must be empty again afterwards (spool unlinked)
and checks, besides its own assertions:
  - smtpd exits 0, never by a signal, and writes nothing on stderr (so
    a sanitizer report fails the case);
  - every reply line is well formed: 3 digits, " " or "-", CR LF, at
    most 512 octets (RFC 5321 4.2, 4.5.3.1.5);
  - nothing outside the store changed (type, size, mtime, content,
    symlink target of every file, and no file added or removed);
  - the store holds exactly the messages the case expects, which each
    case derives from the replies that said 250.

Prints "ok NAME" or "FAIL NAME: why" per case and "N passed, N failed,
0 skipped"; exits 1 on any failure.  Time: about 30 s, most of it the
1 GB streams and the timeouts.
"""

import hashlib
import os
import re
import shutil
import socket
import stat
import sys
import tempfile
import threading
import time

SMTPD = os.path.abspath(os.environ.get("SMTPD", "./smtpd"))
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from replies import (ehlo_lines, head, line, lmtp_delivered, msgid,  # noqa: E402
                     pattern)

HELPERS = os.path.join(os.path.dirname(HERE), "helpers")
RECORD = os.path.join(HELPERS, "record.sh")
SANITIZED = any(k in os.environ for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS"))

GB = 1 << 30
CHUNK = 1 << 20


class Fail(Exception):
    pass


def expect(what, got, want):
    if got != want:
        raise Fail("%s: got %r, want %r" % (what, got, want))


def crlf(*lines):
    return b"".join((l if isinstance(l, bytes) else l.encode()) + b"\r\n"
                    for l in lines)


# ---------------------------------------------------------------- sandbox

class Sandbox:
    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="smtpd-attack.")
        self.store = os.path.join(self.root, "store")
        self.outside = os.path.join(self.root, "outside")
        self.cwd = os.path.join(self.root, "cwd")
        self.tmp = os.path.join(self.root, "tmp")
        for d in (self.store, self.outside, self.cwd, self.tmp,
                  os.path.join(self.outside, "etc"),
                  os.path.join(self.outside, "maildir", "new"),
                  os.path.join(self.outside, "maildir", "cur"),
                  os.path.join(self.outside, "maildir", "tmp")):
            os.makedirs(d, exist_ok=True)
        for name, text in (("precious", "do not touch\n"),
                           ("etc/passwd", "root:x:0:0::/root:/bin/sh\n"),
                           ("mbox", "From x Tue Nov 14 22:13:20 2023\n\n")):
            with open(os.path.join(self.outside, name), "w") as f:
                f.write(text)
        self.before = self.snapshot()

    def snapshot(self):
        """Everything but the store: path -> what it is and holds."""
        seen = {}
        for top, dirs, files in os.walk(self.root):
            rel = os.path.relpath(top, self.root)
            if rel == "store" or rel.startswith("store" + os.sep):
                dirs[:] = []
                continue
            for name in dirs + files:
                p = os.path.join(top, name)
                st = os.lstat(p)
                if stat.S_ISLNK(st.st_mode):
                    what = ("link", os.readlink(p))
                elif stat.S_ISREG(st.st_mode):
                    with open(p, "rb") as f:
                        what = ("file", st.st_size, st.st_mtime_ns,
                                oct(st.st_mode), st.st_nlink,
                                hashlib.sha256(f.read()).hexdigest())
                else:
                    what = ("dir", oct(st.st_mode))
                seen[os.path.relpath(p, self.root)] = what
        return seen

    def check_untouched(self):
        after = self.snapshot()
        if after != self.before:
            changed = sorted(k for k in set(after) | set(self.before)
                             if after.get(k) != self.before.get(k))
            raise Fail("changed outside the store: %s" % changed)
        for d in (self.cwd, self.tmp):
            if os.listdir(d):
                raise Fail("left in %s: %s" % (d, os.listdir(d)))

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def remove(self):
        shutil.rmtree(self.root, ignore_errors=True)


def mbox_count(path):
    """Messages in an mbox: lines that begin with "From "."""
    if not os.path.exists(path):
        return 0
    with open(path, "rb") as f:
        data = f.read()
    return len(re.findall(rb"(?:^|\n)From ", data))


def maildir_count(path):
    new = os.path.join(path, "new")
    return len(os.listdir(new)) if os.path.isdir(new) else 0


def empty_store(sb):
    """Remove everything in the store (Maildirs too), keep the store."""
    for name in os.listdir(sb.store):
        p = os.path.join(sb.store, name)
        if os.path.isdir(p) and not os.path.islink(p):
            shutil.rmtree(p)
        else:
            os.unlink(p)


def store_files(sb):
    """Every file under the store, relative, sorted."""
    out = []
    for top, _, files in os.walk(sb.store):
        out += [os.path.relpath(os.path.join(top, f), sb.store)
                for f in files]
    return sorted(out)


# ---------------------------------------------------------------- running

class Result:
    pass


def smtpd(sb, args, data=b"", chunks=None, timeout=120, delay=None,
          quarantine=True, deaf=False, log=False):
    """Run one session.  data is sent at once; chunks, if given, is an
    iterable of byte strings written one after the other (for streams
    too large to hold).  deaf: the client reads no reply until smtpd
    has exited (the replies may then end mid-line).  log: smtpd logs to
    stderr (-e), and r.log holds the lines, each checked to be one
    printable ASCII line with the smtpd[PID] tag.  Returns a Result
    with out, err, status, maxrss_kb and seconds; checks exit and reply
    format."""
    env = {"PATH": "/usr/bin:/bin", "SMTPD_FAKE_TIME": "1700000000",
           "TZ": "UTC", "TMPDIR": sb.tmp}
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
        if k in os.environ:
            env[k] = os.environ[k]
    if not quarantine and "ASAN_OPTIONS" in env:
        # ASan keeps freed memory in quarantine (256 MB) to catch use
        # after free, which looks like growth; leaks it reports itself
        env["ASAN_OPTIONS"] += ":quarantine_size_mb=0"
    in_r, in_w = os.pipe()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            os.chdir(sb.cwd)
            os.dup2(in_r, 0)
            os.dup2(out_w, 1)
            os.dup2(err_w, 2)
            for fd in (in_r, in_w, out_r, out_w, err_r, err_w):
                os.close(fd)
            os.execve(SMTPD, [SMTPD, "-n", "mx.example.org"] +
                      (["-e"] if log else []) + args, env)
        finally:
            os._exit(127)
    for fd in (in_r, out_w, err_w):
        os.close(fd)
    got = {"out": [], "err": []}

    exited = threading.Event()

    def drain(fd, key):
        if deaf and key == "out":
            exited.wait()
        while True:
            b = os.read(fd, 65536)
            if not b:
                break
            got[key].append(b)
        os.close(fd)

    readers = [threading.Thread(target=drain, args=(out_r, "out")),
               threading.Thread(target=drain, args=(err_r, "err"))]
    for t in readers:
        t.start()

    def feed():
        try:
            if delay is not None:
                for piece in chunks:
                    os.write(in_w, piece)
                    if exited.wait(delay):
                        break   # smtpd is gone: nobody reads the rest
            else:
                if data:
                    view = memoryview(data)
                    while view:
                        view = view[os.write(in_w, view):]
                for piece in chunks or ():
                    view = memoryview(piece)
                    while view:
                        view = view[os.write(in_w, view):]
        except BrokenPipeError:
            pass	# smtpd closed the session first: that is allowed
        finally:
            os.close(in_w)

    writer = threading.Thread(target=feed)
    writer.start()
    deadline = time.monotonic() + timeout
    hwm = 0
    while True:
        hwm = max(hwm, peak_rss_kb(pid))
        wpid, status, usage = os.wait4(pid, os.WNOHANG)
        if wpid == pid:
            break
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.wait4(pid, 0)
            exited.set()
            raise Fail("smtpd still running after %d s" % timeout)
        time.sleep(0.01)
    r = Result()
    r.seconds = time.monotonic() - t0
    exited.set()
    writer.join(timeout=30)
    for t in readers:
        t.join(timeout=30)
    r.out = b"".join(got["out"])
    r.err = b"".join(got["err"])
    r.maxrss_kb = hwm
    if os.WIFSIGNALED(status):
        raise Fail("smtpd killed by signal %d" % os.WTERMSIG(status))
    r.status = os.WEXITSTATUS(status)
    expect("exit status", r.status, 0)
    if log:
        r.log = check_log_lines(r.err, pid)
    else:
        expect("stderr", r.err, b"")
    if deaf and not r.out.endswith(b"\r\n"):
        r.out = r.out[:r.out.rfind(b"\r\n") + 2]
    check_reply_format(r.out)
    r.replies = r.out.decode("utf-8", "replace").split("\r\n")[:-1]
    r.codes = [int(x[:3]) for x in r.replies if x[3:4] == " "]
    return r


def peak_rss_kb(pid):
    """VmHWM of pid once it runs smtpd, else 0.  Sampled while it runs:
    getrusage() would count the Python process it was forked from,
    since the kernel keeps the larger of the memories before and after
    exec."""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            if not f.read().startswith(SMTPD.encode() + b"\0"):
                return 0
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def check_reply_format(out):
    if out and not out.endswith(b"\r\n"):
        raise Fail("output does not end with CR LF")
    for line in out.split(b"\r\n")[:-1]:
        if len(line) + 2 > 512 or not re.match(rb"^[2-5][0-9][0-9][ -]",
                                                line):
            raise Fail("malformed reply line %r" % line[:80])
        if b"\r" in line or b"\n" in line or b"\0" in line:
            raise Fail("control octet in reply %r" % line[:80])


def check_log_lines(err, pid):
    """The -e log: every line printable ASCII, tagged smtpd[PID]."""
    if err and not err.endswith(b"\n"):
        raise Fail("log does not end with a newline")
    lines = err.split(b"\n")[:-1]
    for line in lines:
        if not re.match(rb"^smtpd\[%d\]: [\x20-\x7e]+$" % pid, line):
            raise Fail("malformed log line %r" % line[:120])
    return [l.decode()[len("smtpd[%d]: " % pid):] for l in lines]


DELIVERED = re.compile(pattern("R_DATA_OK"))


def delivered(r):
    """How many messages the replies said were delivered (SMTP)."""
    return sum(1 for x in r.replies if DELIVERED.match(x))


# the replies, from reply.h (tests/replies.py)
HOST = "mx.example.org"
GREETING = line("R_GREETING", HOST)
BYE = line("R_QUIT", HOST)
DATA_GO = line("R_DATA_GO")
BAD_NEWLINE = line("R_BARE_NEWLINE")
NUL_REFUSED = line("R_NUL_IN_DATA")
BAD_BYTES = line("R_BAD_BYTES")
TOO_LONG = line("R_LINE_TOO_LONG")
NOOP_OK = line("R_NOOP")
RSET_OK = line("R_RSET")
TIMEOUT = line("R_TIMEOUT", HOST)
EHLO = ehlo_lines()	# lines of the EHLO reply


def msg_ok(n):
    return line("R_DATA_OK", msgid(n))


def sender_ok(a):
    return line("R_SENDER_OK", "<%s>" % a)


def rcpt_ok(a):
    return line("R_RCPT_OK", "<%s>" % a)


# ---------------------------------------------------------------- cases

CASES = []


def case(fn):
    CASES.append(fn)
    return fn


SMUGGLE_ENDS = [b"\n.\n", b"\n.\r\n", b"\r.\r", b"\r.\r\n", b"\r\n.\r",
                b"\r\n.\n", b"\n.\r",
                # with NULs and spaces around the dot
                b"\r\n.\0\r\n", b"\r\n\0.\r\n", b"\0\n.\n", b"\n.\0\n",
                b"\r\n .\r\n", b"\r\n. \r\n", b" \n.\n ", b"\r\n.\t\r\n",
                b"\r\0\n.\r\0\n", b"\n\r.\n\r"]
SMUGGLED = crlf("MAIL FROM:<evil@attacker.example>",
                "RCPT TO:<victim@example.org>", "DATA",
                "Subject: smuggled", "", "evil")


@case
def smuggling(sb):
    """Every end-of-data variant, then a whole second transaction, in
    SMTP to mbox and Maildir and in LMTP: at most one message comes out,
    and never for the smuggled envelope."""
    for method in (["mbox", sb.store + "/%u"],
                   ["maildir", sb.store + "/%u"],
                   ["-l", "mbox", sb.store + "/%u"]):
        lmtp = method[0] == "-l"
        for i, end in enumerate(SMUGGLE_ENDS):
            empty_store(sb)
            data = (crlf("LHLO c.example" if lmtp else "EHLO c.example",
                         "MAIL FROM:<a@example.org>",
                         "RCPT TO:<good@example.org>", "DATA") +
                    b"Subject: s\r\n\r\nbody" + end + SMUGGLED +
                    crlf(".", "QUIT"))
            r = smtpd(sb, method, data)
            # a bare LF ends a content line (normalized); a bare CR or
            # a NUL refuses the message
            clean = b"\0" not in end and re.search(rb"\r(?!\n)",
                                                   end) is None
            want = (msg_ok(1) if clean else
                    NUL_REFUSED if b"\0" in end else BAD_NEWLINE)
            if lmtp and clean:
                want = line("R_LMTP_DELIVERED",
                            lmtp_delivered("good@example.org", 1))
            expect("%s %r: replies" % (method[0], end), r.replies[-5:],
                   [sender_ok("a@example.org"),
                    rcpt_ok("good@example.org"), DATA_GO, want, BYE])
            count = maildir_count if method[0] == "maildir" else mbox_count
            expect("%s %r: good's messages" % (method[0], end),
                   count(os.path.join(sb.store, "good")),
                   1 if want.startswith("250") else 0)
            expect("%s %r: nothing for the smuggled envelope" %
                   (method[0], end),
                   os.path.exists(os.path.join(sb.store, "victim")), False)


@case
def smuggling_lf_mode(sb):
    """A client in LF mode (its first line ended in LF) ends data with
    LF . LF or LF . CR LF, but a bare CR still ends nothing: CR . CR
    and a second envelope after it stay in the body, which is refused."""
    data = (b"EHLO c.example\nMAIL FROM:<a@example.org>\n"
            b"RCPT TO:<good@example.org>\nDATA\nSubject: s\n\nbody\r.\r"
            b"MAIL FROM:<evil@attacker.example>\r"
            b"RCPT TO:<victim@example.org>\rDATA\r\n.\nQUIT\n")
    r = smtpd(sb, ["mbox", sb.store + "/%u"], data)
    expect("lf mode replies", r.replies[-3:], [DATA_GO, BAD_NEWLINE, BYE])
    expect("lf mode: nothing stored", store_files(sb), [])


INJECT = [b"\0", b"\r", b"\r\0", b"\x80", b"\xff", b"\xc0\xaf",
          b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc3\xa9", b"\x1b[2J"]
TEMPLATES = [  # (state, template): {} is replaced by the hostile octets
    ("start", b"HELO a{}b.example"), ("start", b"EHLO a{}b.example"),
    ("start", b"{}HELO a.example"), ("start", b"HE{}LO a.example"),
    ("greeted", b"MAIL FROM:<a{}b@example.org>"),
    ("greeted", b"MAIL FROM:<ab@exa{}mple.org>"),
    ("greeted", b"MAIL FROM:<ab@example.org> SIZE=1{}0"),
    ("greeted", b"MAIL FROM:<ab@example.org> BODY=8BIT{}MIME"),
    ("greeted", b"MAIL FROM:<ab@example.org> X{}=1"),
    ("greeted", b"MAIL FROM:<\"a{}b\"@example.org>"),
    ("greeted", b"MAIL {}FROM:<ab@example.org>"),
    ("mail", b"RCPT TO:<a{}b@example.org>"),
    ("mail", b"RCPT TO:<ab@example.org> NOTIFY={}"),
    ("mail", b"RCPT TO:<@r{}.example:ab@example.org>"),
    ("greeted", b"VRFY a{}b"), ("greeted", b"RSET{}"),
    ("greeted", b"QUIT{}"), ("greeted", b"DATA{}"),
]
PREAMBLE = {"start": [], "greeted": ["EHLO c.example"],
            "mail": ["EHLO c.example", "MAIL FROM:<a@example.org>"]}


@case
def hostile_octets(sb):
    """NUL, bare CR, 8-bit and invalid UTF-8 in every command and
    parameter: never accepted, never a change of state, and the session
    goes on to deliver a normal message afterwards."""
    for state, tmpl in TEMPLATES:
        for bad in INJECT:
            line = tmpl.replace(b"{}", bad)
            data = (crlf(*PREAMBLE[state]) + line + b"\r\n" +
                    crlf("RSET", "EHLO c.example", "MAIL FROM:<a@example.org>",
                         "RCPT TO:<b@example.org>", "RSET", "QUIT"))
            r = smtpd(sb, ["mbox", sb.store + "/%u"], data)
            reply = r.replies[1 + len(PREAMBLE[state]) +
                              (EHLO - 1 if state != "start" else 0)]
            what = "%r" % line
            if b"\0" in bad or b"\r" in bad:
                expect(what, reply, BAD_BYTES)
            elif bad == b"\xc3\xa9" and b"@r{}" in tmpl:
                # a source route is accepted and ignored (smtpd.8), so
                # valid UTF-8 in it changes nothing
                expect(what, reply, rcpt_ok("ab@example.org"))
            elif bad == b"\xc3\xa9" and b"@" in tmpl and b"NOTIFY" not in \
                    tmpl and b"SIZE" not in tmpl and b"X{}" not in tmpl:
                # valid UTF-8 in an address wants SMTPUTF8 (RFC 6531 3.4)
                if not reply.startswith((head("R_NEED_UTF8"), "501 ")):
                    raise Fail("%s: %s" % (what, reply))
            elif tmpl.startswith(b"VRFY"):
                # 252 says nothing about any mailbox (RFC 5321 3.5.3)
                expect(what, reply[:9], head("R_VRFY"))
            elif not reply.startswith("5"):
                raise Fail("%s accepted: %s" % (what, reply))
            expect(what + ": then a normal transaction", r.replies[-4:],
                   [sender_ok("a@example.org"), rcpt_ok("b@example.org"),
                    RSET_OK, BYE])
            expect(what + ": nothing stored", store_files(sb), [])


@case
def line_lengths(sb):
    """Command lines of 511, 512, 513 and 100000 octets with CR LF: the
    limit is 512 (RFC 5321 4.5.3.1.4); longer is refused and the
    session goes on.  A 100000-octet text line in DATA is stored."""
    def noop(total):
        return b"NOOP " + b"x" * (total - 7) + b"\r\n"
    long_text = b"y" * 100000
    data = (crlf("EHLO c.example") + noop(511) + noop(512) + noop(513) +
            noop(100000) + crlf("MAIL FROM:<a@example.org>",
                                "RCPT TO:<b@example.org>", "DATA") +
            long_text + b"\r\n.\r\n" + crlf("QUIT"))
    r = smtpd(sb, ["mbox", sb.store + "/%u"], data)
    expect("replies", r.replies[1 + EHLO:], [
        NOOP_OK, NOOP_OK, TOO_LONG, TOO_LONG, sender_ok("a@example.org"),
        rcpt_ok("b@example.org"), DATA_GO, msg_ok(1), BYE])
    with open(sb.store + "/b", "rb") as f:
        expect("long text line stored whole",
               f.read().count(b"\n" + long_text + b"\n"), 1)


def stream(prefix, n, suffix, fill=b"a"):
    yield prefix
    block = fill * CHUNK
    left = n
    while left > 0:
        yield block[:min(left, CHUNK)]
        left -= CHUNK
    yield suffix


# RSS bound for one session: about 330 KiB of buffers on top of libc
# (smtpd.8: LIMITS); sanitizers add their shadow memory and quarantine.
RSS_BOUND_KB = 96 * 1024 if SANITIZED else 8 * 1024


@case
def gigabyte_without_newline(sb):
    """1 GiB of command line without LF, then 1 GiB of message data
    without LF: read through, refused, and memory stays bounded."""
    r = smtpd(sb, ["mbox", sb.store + "/%u"], chunks=stream(
        crlf("EHLO c.example") + b"NOOP ", GB, crlf("", "QUIT")))
    expect("command: replies", r.replies[-2:], [TOO_LONG, BYE])
    if r.maxrss_kb > RSS_BOUND_KB:
        raise Fail("command: max RSS %d KiB" % r.maxrss_kb)
    first = r.maxrss_kb
    r = smtpd(sb, ["-s", "1000000", "mbox", sb.store + "/%u"],
              chunks=stream(crlf("EHLO c.example",
                                 "MAIL FROM:<a@example.org>",
                                 "RCPT TO:<b@example.org>", "DATA"),
                            GB, crlf("", ".", "QUIT")))
    expect("data: replies", r.replies[-2:],
           [line("R_TOO_BIG", "1000000"), BYE])
    expect("data: nothing stored", store_files(sb), [])
    if r.maxrss_kb > RSS_BOUND_KB:
        raise Fail("data: max RSS %d KiB" % r.maxrss_kb)
    print("    max RSS for 1 GiB: command %d KiB, data %d KiB" %
          (first, r.maxrss_kb))


@case
def slow_client(sb):
    """One octet a second: a command line must arrive whole within -t,
    so 421 comes after about 2 s however steadily bytes trickle in; in
    DATA each read must arrive within -t, so silence ends it too, and
    the data must keep to 512 octets a second after its first -t."""
    r = smtpd(sb, ["-t", "2", "mbox", sb.store + "/%u"],
              chunks=[b"EHLO c.example\r\n"] + [bytes([c]) for c in
                                                  b"NOOP trickle\r\n"],
              delay=1.0)
    expect("command: replies", r.replies[-1], TIMEOUT)
    if not 1.9 < r.seconds < 6:
        raise Fail("command: timeout after %.1f s" % r.seconds)
    r = smtpd(sb, ["-t", "2", "mbox", sb.store + "/%u"],
              chunks=[crlf("EHLO c.example", "MAIL FROM:<a@example.org>",
                           "RCPT TO:<b@example.org>", "DATA") + b"partial",
                      b""], delay=4.0)
    expect("data: replies", r.replies[-2:], [DATA_GO, TIMEOUT])
    expect("data: nothing stored", store_files(sb), [])
    # each octet comes well within -t, but far below the rate floor
    r = smtpd(sb, ["-t", "2", "mbox", sb.store + "/%u"],
              chunks=[crlf("EHLO c.example", "MAIL FROM:<a@example.org>",
                           "RCPT TO:<b@example.org>", "DATA")] +
              [b"x"] * 12, delay=1.0)
    expect("data trickle: replies", r.replies[-2:], [
        DATA_GO, line("R_TOO_SLOW", HOST)])
    if not 1.9 < r.seconds < 6:
        raise Fail("data trickle: cut off after %.1f s" % r.seconds)
    expect("data trickle: nothing stored", store_files(sb), [])
    # a fast 3 MB, over -s, buys no more than one -t of credit: the
    # octets after it must keep to the floor again at once
    r = smtpd(sb, ["-t", "2", "-s", "1000000", "mbox", sb.store + "/%u"],
              chunks=[crlf("EHLO c.example", "MAIL FROM:<a@example.org>",
                           "RCPT TO:<b@example.org>", "DATA") +
                      b"y" * 3000000] + [b"x"] * 20, delay=1.0)
    expect("credit: replies", r.replies[-2:], [
        DATA_GO, line("R_TOO_SLOW", HOST)])
    if r.seconds > 10:
        raise Fail("credit: cut off after %.1f s" % r.seconds)
    print("    3 MB, then an octet a second: cut off after %.1f s" %
          r.seconds)
    expect("credit: nothing stored", store_files(sb), [])


@case
def many_recipients(sb):
    """100000 RCPTs pipelined: the first 100 (-r) are taken, the rest
    get 452 4.5.3, memory stays bounded, one message is delivered."""
    rcpts = b"".join(b"RCPT TO:<u%d@example.org>\r\n" % i
                     for i in range(100000))
    data = (crlf("EHLO c.example", "MAIL FROM:<a@example.org>") + rcpts +
            crlf("DATA", "Subject: many", "", "x", ".", "QUIT"))
    r = smtpd(sb, ["mbox", sb.store + "/box"], data)
    accepted = re.compile(pattern("R_RCPT_OK"))
    expect("accepted", sum(1 for x in r.replies if accepted.match(x)), 100)
    expect("deferred", sum(1 for x in r.replies
                           if x.startswith(head("R_TOO_MANY_RCPTS"))), 99900)
    expect("end", r.replies[-3:], [DATA_GO, msg_ok(1), BYE])
    expect("one message", mbox_count(sb.store + "/box"), 1)
    if r.maxrss_kb > RSS_BOUND_KB:
        raise Fail("max RSS %d KiB" % r.maxrss_kb)
    print("    100000 RCPTs in %.1f s; max RSS %d KiB" %
          (r.seconds, r.maxrss_kb))


def transactions(n):
    one = crlf("MAIL FROM:<a@example.org>", "RCPT TO:<b@example.org>",
               "RCPT TO:<c@example.org>", "DATA", "Subject: loop", "",
               "line", ".")
    return crlf("EHLO c.example") + one * n + crlf("QUIT")


@case
def lmtp_repeated_recipient(sb):
    """LMTP stores every accepted RCPT, repeats too, since each gets its
    own reply after the data (RFC 2033 4.2): so a repeat counts toward
    -r like any other.  100000 repeats of one address with -r 2: two
    taken, the rest 452 4.5.3, memory bounded, two replies at the end."""
    data = (crlf("LHLO c.example", "MAIL FROM:<a@example.org>") +
            b"RCPT TO:<u@example.org>\r\n" * 100000 +
            crlf("DATA", "Subject: repeats", "", "x", ".", "QUIT"))
    r = smtpd(sb, ["-l", "-r", "2", "mbox", sb.store + "/%u"], data)
    expect("accepted", sum(1 for x in r.replies if
                           x.startswith(head("R_RCPT_OK"))), 2)
    expect("deferred", r.replies.count(line("R_TOO_MANY_RCPTS")), 99998)
    expect("end", r.replies[-4:], [
        DATA_GO,
        line("R_LMTP_DELIVERED", lmtp_delivered("u@example.org", 1)),
        line("R_LMTP_DELIVERED", lmtp_delivered("u@example.org", 1)),
        BYE])
    expect("one copy", mbox_count(sb.store + "/u"), 1)
    if r.maxrss_kb > RSS_BOUND_KB:
        raise Fail("max RSS %d KiB" % r.maxrss_kb)


@case
def deaf_client(sb):
    """A client that sends HELP after HELP and never reads a reply: once
    the replies fill the pipe, smtpd waits at most -t for the client to
    take more, then ends the session, instead of sitting in write(2)
    for ever (a zero TCP window costs a client nothing)."""
    r = smtpd(sb, ["-t", "2", "mbox", sb.store + "/%u"],
              crlf("EHLO c.example") + b"HELP\r\n" * 200000, deaf=True,
              timeout=30)
    if not 1.9 < r.seconds < 8:
        raise Fail("ended after %.1f s" % r.seconds)
    if len(r.out) > 1 << 20:
        raise Fail("%d octets of replies through a full pipe" % len(r.out))
    expect("stored", store_files(sb), [])


def smtpd_on_socket(sb):
    """smtpd -t 2 with stdin and stdout one end of a socket pair, as
    under inetd or tcpserver, stderr /dev/null: our end, its pid and
    the time it started."""
    ours, theirs = socket.socketpair()
    env = {"PATH": "/usr/bin:/bin", "TZ": "UTC", "TMPDIR": sb.tmp}
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            os.chdir(sb.cwd)
            fd = theirs.fileno()
            os.dup2(fd, 0)
            os.dup2(fd, 1)
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 2)
            os.execve(SMTPD, [SMTPD, "-n", "mx.example.org", "-t", "2",
                              "mbox", sb.store + "/%u"], env)
        finally:
            os._exit(127)
    theirs.close()
    return ours, pid, t0


@case
def deaf_socket_client(sb):
    """deaf_client on a socket, as under inetd or tcpserver: there the
    kernel bounds each send (SO_SNDTIMEO, linebuf.c) instead of poll(2),
    and smtpd still ends the session after -t once the socket is full."""
    ours, pid, t0 = smtpd_on_socket(sb)
    ours.settimeout(1)
    sent = 0
    try:   # fill both ways: our send buffer and smtpd's replies
        while sent < 100 << 20 and time.monotonic() - t0 < 25:
            try:
                sent += ours.send(b"HELP\r\n" * 1000)
            except socket.timeout:
                if os.waitpid(pid, os.WNOHANG)[0] == pid:
                    pid = 0
                    break
    except OSError:
        pass   # smtpd gone: the socket is closed
    while pid and os.waitpid(pid, os.WNOHANG)[0] != pid:
        if time.monotonic() - t0 > 20:
            os.kill(pid, 9)   # stuck in write(2): the failure looked for
            os.waitpid(pid, 0)
            break
        time.sleep(0.1)
    seconds = time.monotonic() - t0
    ours.close()
    if not 1.9 < seconds < 10:
        raise Fail("ended after %.1f s" % seconds)
    expect("stored", store_files(sb), [])


@case
def silent_socket_client(sb):
    """A client on a socket that connects and says nothing, then one that
    stops half way through a command: a socket's reads are bounded by
    the kernel (SO_RCVTIMEO, linebuf.c) instead of poll(2), and smtpd
    still answers 421 and ends after -t."""
    for said in (b"", b"EHLO c.exa"):
        ours, pid, t0 = smtpd_on_socket(sb)
        ours.sendall(said)
        ours.settimeout(20)
        got = b""
        try:
            while True:
                b = ours.recv(65536)
                if not b:
                    break
                got += b
        except socket.timeout:
            os.kill(pid, 9)   # still waiting: the failure looked for
        os.waitpid(pid, 0)
        seconds = time.monotonic() - t0
        ours.close()
        if not 1.9 < seconds < 10:
            raise Fail("%r: ended after %.1f s" % (said, seconds))
        expect("%r: the last reply" % said, got.splitlines()[-1][:4],
               b"421 ")


@case
def many_transactions(sb):
    """10000 transactions in one session: each is delivered, and the
    peak memory is the same as for 1000, once the allocator has warmed
    up (no growth per transaction; the sanitizer build also checks for
    leaks at exit)."""
    few = smtpd(sb, ["mbox", sb.store + "/box"], transactions(1000),
                quarantine=False)
    os.unlink(sb.store + "/box")
    r = smtpd(sb, ["mbox", sb.store + "/box"], transactions(10000),
              timeout=600, quarantine=False)
    expect("delivered", delivered(r), 10000)
    expect("stored", mbox_count(sb.store + "/box"), 10000)
    growth = r.maxrss_kb - few.maxrss_kb
    # under ASan RSS moves by megabytes with shadow pages and allocator
    # caches whatever the program does; there LeakSanitizer is the check
    if growth > 512 and not SANITIZED:
        raise Fail("RSS grew by %d KiB from 1000 to 10000 transactions" %
                   growth)
    print("    10000 transactions in %.1f s; max RSS %d KiB (1000: %d KiB)" %
          (r.seconds, r.maxrss_kb, few.maxrss_kb))


@case
def talking_before_greeting(sb):
    """A client that sends everything before the greeting gets the very
    same bytes as one that waits (smtpd reads only after greeting)."""
    data = crlf("EHLO c.example", "MAIL FROM:<a@example.org>",
                "RCPT TO:<b@example.org>", "DATA", "x", ".", "QUIT")
    early = smtpd(sb, ["mbox", sb.store + "/%u"], data)
    os.unlink(sb.store + "/b")
    polite = smtpd(sb, ["mbox", sb.store + "/%u"],
                   chunks=[b""] + [crlf(l) for l in (
                       "EHLO c.example", "MAIL FROM:<a@example.org>",
                       "RCPT TO:<b@example.org>", "DATA")] +
                   [crlf("x", ".", "QUIT")], delay=0.2)
    expect("same replies", early.out, polite.out)
    expect("starts with the greeting", early.replies[0], GREETING)
    expect("one message", mbox_count(sb.store + "/b"), 1)


@case
def header_injection(sb):
    """HELO, MAIL and RCPT text cannot add a header line: the stored
    headers are Return-Path, Received (with tab continuations) and the
    client's own, whatever the envelope held."""
    sessions = [
        crlf("HELO evil.example\rX-Injected: helo", "HELO a(b);X-Injected:c",
             "MAIL FROM:<a@example.org>", "RCPT TO:<b@example.org>",
             "DATA", "Subject: t", "", "x", ".", "QUIT"),
        crlf("EHLO c.example", "MAIL FROM:<\"a\rX-Injected: 1\"@example.org>",
             "MAIL FROM:<\"a\\\r\nX-Injected: 2\"@example.org>",
             "MAIL FROM:<\"x;X-Injected: 3\"@example.org>",
             "RCPT TO:<\"b\\\nX-Injected: 4\"@example.org>",
             "RCPT TO:<b@example.org>", "DATA", "Subject: t", "", "x", ".",
             "QUIT"),
    ]
    for n, data in enumerate(sessions):
        empty_store(sb)
        r = smtpd(sb, ["mbox", sb.store + "/%u"], data)
        expect("session %d delivered" % n, delivered(r), 1)
        expect("session %d one mailbox" % n, store_files(sb), ["b"])
        with open(sb.store + "/b", "rb") as f:
            head = f.read().split(b"\n\n", 1)[0].split(b"\n")
        names = [l.split(b":", 1)[0] for l in head[1:]
                 if not l.startswith(b"\t")]
        expect("session %d header names" % n, names,
               [b"Return-Path", b"Received", b"Subject"])
        if any(b"\r" in l for l in head):
            raise Fail("CR in a stored header")


@case
def mbox_from_splitting(sb):
    """Body lines that look like mbox separators stay in one message
    (mboxrd quoting), read back by Python's mailbox module."""
    import mailbox
    body = ["From evil@attacker.example Tue Nov 14 22:13:20 2023",
            "From: forged@example.org", "", ">From quoted", ">>From more",
            "From", "From  two spaces", ".From dotted", "From"]
    data = crlf("EHLO c.example", "MAIL FROM:<a@example.org>",
                "RCPT TO:<b@example.org>", "DATA", "Subject: split", "",
                *(("." + l) if l.startswith(".") else l for l in body),
                ".", "QUIT")
    r = smtpd(sb, ["mbox", sb.store + "/%u"], data)
    expect("delivered", delivered(r), 1)
    expect("one message", mbox_count(sb.store + "/b"), 1)
    box = mailbox.mbox(sb.store + "/b", create=False)
    msgs = [box.get_message(k) for k in box.keys()]
    expect("python sees one message", len(msgs), 1)
    expect("its subject", msgs[0]["Subject"], "split")

LOCK_NAMES = [("%u", "bob.lock"), ("%u", "BOB.LOCK"), ("%u", '"bob.lock"'),
              ("%u", "bob.Lock"), ("%uk", "bobk.loc"),
              ("%d/%u", "bob.lock"), ("%u@%d", "bob@ex.lock")]


@case
def lock_names(sb):
    """A recipient whose mailbox path would be another mailbox's dot-lock
    (P.lock) is refused at RCPT, in SMTP and LMTP and whatever the
    template: otherwise its copy lands in bob's lock file and is removed
    with it after a 250, and a fresh file there locks bob out."""
    for template, bad in LOCK_NAMES:
        empty_store(sb)
        if template.startswith("%d/"):
            os.mkdir(os.path.join(sb.store, "example.org"))
        method = ["mbox", sb.store + "/" + template]
        good = "bob@example.org" if "@" in bad else None
        rcpt_bad = bad if "@" in bad else bad + "@example.org"
        for lmtp in ([], ["-l"]):
            hello = "LHLO c.example" if lmtp else "EHLO c.example"
            data = crlf(hello, "MAIL FROM:<a@example.org>",
                        "RCPT TO:<%s>" % (good or "bob@example.org"),
                        "RCPT TO:<%s>" % rcpt_bad, "DATA", "Subject: x",
                        "", "x", ".", "QUIT")
            r = smtpd(sb, lmtp + method, data)
            refused = [x for x in r.replies if x.startswith((
                head("R_BAD_LOCAL_PART"), head("R_BAD_DOMAIN_PART")))]
            if len(refused) != 1:
                raise Fail("%s %r %s: %s" % (template, bad, lmtp,
                                               r.replies))
            expect("%s %r %s: delivered" % (template, bad, lmtp),
                   sum(1 for x in r.replies if x.startswith(head("R_DATA_OK"))),
                   1)
        files = store_files(sb)
        locks = [f for f in files if f.lower().endswith(".lock")]
        expect("%s %r: no lock left" % (template, bad), locks, [])
        expect("%s %r: one mailbox" % (template, bad), len(files), 1)
        expect("%s %r: both copies in it" % (template, bad),
               mbox_count(os.path.join(sb.store, files[0])), 2)


# a transaction's log line: each address a field with no blank, no
# bracket inside (smtpd.8: DIAGNOSTICS)
TXN_LINE = re.compile(r"^id=[0-9A-F]+ from=<[^ <>]*> "
                      r"to=(<[^ <>]*>(,<[^ <>]*>)*)? nrcpt=[0-9]+ "
                      r"size=[0-9]+: [^<>]*$")
FORGERS = ['"x> to=<ceo@example.org> nrcpt=1 size=9: delivered id=FAKE"',
           '"a b"', '"back\\\\slash"', '"<>"', "caf\u00e9", '"\\"x"']


@case
def log_forgery(sb):
    """Quoted local parts with blanks, brackets and backslashes, and
    UTF-8 ones, in sender and recipient: each transaction is one log
    line whose fields parse one way, whatever the addresses hold."""
    for who in FORGERS:
        addr = who + "@example.org"
        data = crlf("EHLO c.example",
                    "MAIL FROM:<%s> SMTPUTF8" % addr,
                    "RCPT TO:<%s>" % addr, "RCPT TO:<plain@example.org>",
                    "DATA", "x", ".", "QUIT")
        r = smtpd(sb, ["mbox", sb.store + "/box"], data, log=True)
        expect("%s: delivered" % who, delivered(r), 1)
        txn = [l for l in r.log if l.startswith("id=")]
        expect("%s: one transaction line" % who, len(txn), 1)
        if not TXN_LINE.match(txn[0]):
            raise Fail("%s: ambiguous line %r" % (who, txn[0]))
        m = re.match(r"^id=\S+ from=<([^>]*)> to=<([^>]*)>,<plain@", txn[0])
        if m is None or m.group(1) != m.group(2):
            raise Fail("%s: fields %r" % (who, txn[0]))
        back = m.group(1).encode().decode("unicode_escape").encode(
            "latin-1").decode()
        expect("%s: the field unescaped" % who, back, addr)


UNICODE_CONTROLS = ["\u009b31mRED\u009b0m", "a\u0085b", "a\u2028b",
                    "a\u2029b", "a\u202eb", "a\u2066b", "\u200f"]


@case
def unicode_controls(sb):
    """C1 controls, line and paragraph separators and bidi controls are
    control characters in Unicode: refused in a local part, quoted or
    not, and in a domain, as sender or recipient, even after SMTPUTF8;
    no mailbox is made with one in its name."""
    for ctl in UNICODE_CONTROLS:
        for local in (ctl, '"%s"' % ctl):
            for rcpt in (local + "@example.org", "u@ex" + ctl + ".org"):
                data = crlf("EHLO c.example",
                            "MAIL FROM:<a@example.org> SMTPUTF8",
                            "RCPT TO:<%s>" % rcpt, "RSET",
                            "MAIL FROM:<%s> SMTPUTF8" % rcpt, "QUIT")
                r = smtpd(sb, ["mbox", sb.store + "/%u"], data)
                got = [r.replies[EHLO + 2], r.replies[EHLO + 4]]
                if not (got[0] == line("R_BAD_RCPT") and
                        got[1] == line("R_BAD_SENDER")):
                    raise Fail("%r: %s" % (rcpt, got))
    expect("stored", store_files(sb), [])


@case
def utf8_sender_mbox(sb):
    """After SMTPUTF8 the sender may be UTF-8, but the mbox From_ line
    stays ASCII (one '?' a character), so Python's mailbox module can
    still read the mailbox; Return-Path keeps the real address."""
    import mailbox
    sender = '"d\u00e9j\u00e0 vu"@\u00e9xample.org'
    data = crlf("EHLO c.example", "MAIL FROM:<%s> SMTPUTF8" % sender,
                "RCPT TO:<b@example.org>", "DATA", "Subject: utf8", "",
                "x", ".", "QUIT")
    r = smtpd(sb, ["mbox", sb.store + "/%u"], data)
    expect("delivered", delivered(r), 1)
    with open(sb.store + "/b", "rb") as f:
        first = f.readline()
    expect("From_ line", first[:27], b'From "d?j?_vu"@?xample.org ')
    box = mailbox.mbox(sb.store + "/b", create=False)
    msgs = [box.get_message(k) for k in box.keys()]
    expect("python reads it", len(msgs), 1)
    expect("its From_", msgs[0].get_from()[:21], '"d?j?_vu"@?xample.org')
    with open(sb.store + "/b", "rb") as f:
        f.readline()
        expect("Return-Path", f.readline(),
               ("Return-Path: <%s>\n" % sender).encode())


TRAVERSALS = ["../x", "../../outside/precious", "..", ".", ".hidden",
              "a/../../b", "/etc/passwd", "a/b", "x/..", "..\\x", "a\\/b",
              "~root", "-rf"]


@case
def path_traversal(sb):
    """Local parts that would leave the store under %u, with mbox and
    Maildir, with and without %d: refused at RCPT (550 5.1.3) or by the
    address syntax (501); nothing outside the store is touched, and the
    harmless ones ("~root", "-rf") are plain mailbox names."""
    for method in (["mbox", sb.store + "/%u"],
                   ["maildir", sb.store + "/%d/%u"],
                   ["mbox", sb.store + "/%u.mbox"]):
        empty_store(sb)
        for t in TRAVERSALS:
            q = t.replace("\\", "\\\\")
            rcpts = ["RCPT TO:<\"%s\"@example.org>" % q,
                     "RCPT TO:<%s@example.org>" % t,
                     "RCPT TO:<%s@EXAMPLE.org>" % t.upper()]
            data = crlf("EHLO c.example", "MAIL FROM:<a@example.org>",
                        *rcpts, "DATA", "x", ".", "QUIT")
            r = smtpd(sb, method, data)
            took = [rc for rc, reply in zip(rcpts, r.replies[EHLO + 2:])
                    if reply.startswith("250")]
            for rc, reply in zip(rcpts, r.replies[EHLO + 2:]):
                if not reply.startswith(("250", head("R_BAD_LOCAL_PART"),
                                         head("R_BAD_RCPT"))):
                    raise Fail("%s: %s" % (rc, reply))
            harmless = t in ("~root", "-rf")
            expect("%s %r: taken" % (method[0], t), len(took) > 0,
                   harmless)
            expect("%s %r: delivered" % (method[0], t),
                   r.replies[-2].startswith(head("R_DATA_OK")), harmless)
        files = store_files(sb)
        for f in files:
            if not re.match(r"^(example\.org/)?(~root|-rf)(\.mbox)?"
                            r"(/(new|tmp|cur)/.*)?$", f):
                raise Fail("%s: unexpected file %s" % (method[0], f))


@case
def symlinked_mailboxes(sb):
    """A mailbox, a Maildir or a Maildir subfolder that is a symlink to
    somewhere else is not followed: 550 5.2.0 (or 451) and the target is
    unchanged."""
    os.symlink(sb.path("outside", "mbox"), sb.store + "/victim")
    os.symlink(sb.path("outside", "etc", "passwd"), sb.store + "/passwd")
    os.symlink(sb.path("outside", "maildir"), sb.store + "/mdlink")
    os.makedirs(sb.store + "/sub/cur")
    os.makedirs(sb.store + "/sub/tmp")
    os.symlink(sb.path("outside", "maildir", "new"), sb.store + "/sub/new")
    os.makedirs(sb.store + "/sub2/cur")
    os.makedirs(sb.store + "/sub2/new")
    os.symlink(sb.path("outside", "maildir", "tmp"), sb.store + "/sub2/tmp")
    for method, who in ((["mbox", sb.store + "/%u"], "victim"),
                        (["mbox", sb.store + "/%u"], "passwd"),
                        (["maildir", sb.store + "/%u"], "mdlink"),
                        (["maildir", sb.store + "/%u"], "sub"),
                        (["maildir", sb.store + "/%u"], "sub2")):
        data = crlf("HELO c.example", "MAIL FROM:<a@example.org>",
                    "RCPT TO:<%s@example.org>" % who, "DATA", "x", ".",
                    "QUIT")
        r = smtpd(sb, method, data)
        # refused at RCPT, or accepted there and refused after DATA
        reply = r.replies[3] if r.replies[3][0] == "5" else r.replies[5]
        if not reply.startswith((head("R_MAILBOX_BAD"),
                                 head("R_LOCAL_ERROR"))):
            raise Fail("%s %s: %s" % (method[0], who, reply))
        expect("%s %s: nothing delivered" % (method[0], who),
               delivered(r), 0)
    # a directory on the way is a symlink: mbox as for Maildir, since
    # O_NOFOLLOW alone covers only the last component
    os.symlink(sb.path("outside"), sb.store + "/example.net")
    for method in (["mbox", sb.store + "/%d/%u"],
                   ["maildir", sb.store + "/%d/%u"]):
        data = crlf("HELO c.example", "MAIL FROM:<a@example.org>",
                    "RCPT TO:<mbox@example.net>", "RCPT TO:<maildir@example.net>",
                    "DATA", "x", ".", "QUIT")
        r = smtpd(sb, method, data)
        if r.replies[-2] != line("R_MAILBOX_BAD"):
            raise Fail("%s through a directory symlink: %s" %
                       (method[0], r.replies[-2]))


SHELL = ["$(touch pwned)", "`touch pwned`", "a;touch${IFS}pwned",
         "a|touch${IFS}pwned", "a&touch${IFS}pwned", "'\"", "*", "?",
         "{a,b}", "a=b", "$IFS", "!!", "~"]


def atom(s):
    """s as a local part: an atom when RFC 5321 allows it, else quoted."""
    if re.match(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+$", s):
        return s
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


@case
def shell_metacharacters(sb):
    """CVE-2020-7247 class: shell syntax in every envelope field reaches
    the pipe program as literal argv and environment, never a shell."""
    rec = sb.store
    for n, meta in enumerate(SHELL, 1):
        sender = atom("s" + meta) + "@example.org"
        rcpt = atom("r" + meta) + "@example.org"
        helo = "h" + re.sub(r"[^\x21-\x7e]", "", meta)
        data = crlf("EHLO " + helo, "MAIL FROM:<%s>" % sender,
                    "RCPT TO:<%s>" % rcpt, "DATA", "Subject: " + meta, "",
                    meta, ".", "QUIT")
        r = smtpd(sb, ["pipe", RECORD, rec, "%s", "%r", "%u", "%d",
                       "lit%%" + meta], data)
        if r.replies[-2] != msg_ok(1):
            # a local part unfit for %u is refused at RCPT: fine, but
            # then nothing may have run
            expect("%r refused at RCPT" % meta,
                   r.replies[-4][:9] in (head("R_BAD_LOCAL_PART"),
                                         head("R_BAD_RCPT")), True)
            expect("%r: nothing ran" % meta,
                   os.path.exists("%s/%d.argv" % (rec, n)), False)
            continue
        with open("%s/%d.argv" % (rec, n), "rb") as f:
            argv = f.read().split(b"\0")[:-1]
        local = rcpt.rsplit("@", 1)[0]
        if local.startswith('"'):
            local = local[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        expect("%r: argv" % meta, [a.decode() for a in argv],
               [sender, rcpt, local.lower(), "example.org",
                "lit%" + meta])
        with open("%s/%d.env" % (rec, n)) as f:
            env = dict(v.split("=", 1) for v in f.read().split("\0")
                       if "=" in v)
        expect("%r: SENDER" % meta, env.get("SENDER"), sender)
        expect("%r: RECIPIENT" % meta, env.get("RECIPIENT"), rcpt)
    for top, dirs, files in os.walk(sb.root):
        if "pwned" in files:
            raise Fail("a shell ran: %s/pwned" % top)


def running(pid):
    """Is pid alive?  A zombie is not: in a container nobody may reap
    the children smtpd killed after it exited itself."""
    try:
        with open("/proc/%d/status" % pid) as f:
            return "\nState:\tZ" not in f.read()
    except OSError:
        return False


def terminated(sb, args, first, after=b"", wait=0.3):
    """smtpd with args: send first, SIGTERM it wait seconds later, then
    send after (what the client still had to say).  Returns its replies
    (the lines) and its exit status."""
    import signal
    import subprocess
    env = {"PATH": "/usr/bin:/bin", "SMTPD_FAKE_TIME": "1700000000",
           "TZ": "UTC", "TMPDIR": sb.tmp}
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
        if k in os.environ:
            env[k] = os.environ[k]
    p = subprocess.Popen([SMTPD, "-n", "mx.example.org"] + args,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, cwd=sb.cwd, env=env)
    p.stdin.write(first)
    p.stdin.flush()
    time.sleep(wait)
    p.send_signal(signal.SIGTERM)
    time.sleep(0.2)	# a close at the same moment could win the race
    try:
        p.stdin.write(after)
        p.stdin.close()
    except BrokenPipeError:
        pass
    p.stdin = None	# closed: communicate() must not flush it
    try:
        out, err = p.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        raise Fail("still running 20 s after SIGTERM")
    expect("stderr", err, b"")
    check_reply_format(out)
    return out.decode("utf-8", "replace").split("\r\n")[:-1], p.returncode


@case
def sigterm(sb):
    """SIGTERM (systemd stopping the unit, inetd restarting): idle, the
    session answers 421 4.3.2 and exits; inside DATA the message is not
    delivered; during a delivery the delivery is finished and answered
    first, then 421 4.3.2."""
    stopping = line("R_STOPPING", HOST)
    replies, st = terminated(sb, ["mbox", sb.store + "/%u"],
                             crlf("EHLO c.example"))
    expect("idle: last reply", replies[-1], stopping)
    expect("idle: exit", st, 0)
    replies, st = terminated(sb, ["mbox", sb.store + "/%u"],
                             crlf("EHLO c.example", "MAIL FROM:<a@example.org>",
                                  "RCPT TO:<b@example.org>", "DATA") +
                             b"Subject: half\r\n")
    expect("in DATA: last replies", replies[-2:], [DATA_GO, stopping])
    expect("in DATA: nothing stored", store_files(sb), [])
    slow = os.path.join(sb.store, "slow.sh")
    with open(slow, "w") as f:
        f.write("#!/bin/sh\nsleep 1\nexec cat >\"$1\"\n")
    os.chmod(slow, 0o755)
    replies, st = terminated(sb, ["pipe", slow, sb.store + "/out"],
                             crlf("HELO c.example", "MAIL FROM:<a@example.org>",
                                  "RCPT TO:<b@example.org>", "DATA",
                                  "Subject: slow", "", "body", "."),
                             crlf("MAIL FROM:<a@example.org>"))
    expect("in delivery: last replies", replies[-2:],
           [msg_ok(1), stopping])
    with open(sb.store + "/out", "rb") as f:
        if not f.read().endswith(b"Subject: slow\n\nbody\n"):
            raise Fail("in delivery: the message is not whole")


@case
def pipe_outlives_smtpd(sb):
    """smtpd killed (SIGKILL) while its pipe program has not yet read
    the message: the program still gets the whole message, never an
    early end of file, so nothing truncated is delivered (what is left
    is SMTP's duplicate window: smtpd.8, CAVEATS)."""
    import signal
    import subprocess
    slow = os.path.join(sb.store, "slow.sh")
    with open(slow, "w") as f:
        f.write("#!/bin/sh\nsleep 1\nexec cat >\"$1\"\n")
    os.chmod(slow, 0o755)
    body = ["%06d " % i + "y" * 70 for i in range(15000)]	# 1.1 MB
    env = {"PATH": "/usr/bin:/bin", "SMTPD_FAKE_TIME": "1700000000",
           "TZ": "UTC", "TMPDIR": sb.tmp}
    p = subprocess.Popen([SMTPD, "-n", "mx.example.org", "-s", "9000000",
                          "pipe", slow, sb.store + "/out"],
                         stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, cwd=sb.cwd, env=env)
    p.stdin.write(crlf("HELO c.example", "MAIL FROM:<a@example.org>",
                       "RCPT TO:<b@example.org>", "DATA", "Subject: big",
                       "", *body, "."))
    p.stdin.flush()
    time.sleep(0.5)	# smtpd is waiting for the program now
    p.send_signal(signal.SIGKILL)
    p.wait()
    p.stdin.close()
    deadline = time.monotonic() + 20
    want = ("\n".join(["Subject: big", ""] + body) + "\n").encode()
    got = b""
    while time.monotonic() < deadline:
        time.sleep(0.2)
        try:
            with open(sb.store + "/out", "rb") as f:
                got = f.read()
        except FileNotFoundError:
            continue
        if len(got) >= len(want) and got.endswith(want):
            break
    if not got.endswith(want):
        raise Fail("the program got %d octets, not the whole message" %
                   len(got))
    # the temporary file was unlinked at once: nothing left in TMPDIR
    expect("TMPDIR", os.listdir(sb.tmp), [])


def pipe_session(sb, prog, extra=(), body=("x",)):
    data = crlf("HELO c.example", "MAIL FROM:<a@example.org>",
                "RCPT TO:<b@example.org>", "DATA", *body, ".", "QUIT")
    return smtpd(sb, list(extra) + ["pipe", os.path.join(HELPERS, prog),
                                    sb.store + "/out"], data)


@case
def pipe_programs(sb):
    """Programs that misbehave: flood stdout (never reaches the client),
    close stdin early on a 1 MB message (its exit status decides),
    never exit (killed after -T, 451), fork a child that holds the pipe
    (the reply comes when the program exits)."""
    r = pipe_session(sb, "pipe-stdout.sh")
    expect("stdout flood: replies", r.replies[-2:], [msg_ok(1), BYE])
    expect("stdout flood: nothing extra", len(r.replies), 7)
    r = pipe_session(sb, "pipe-close-stdin.sh",
                     body=["z" * 998] * 1100)
    expect("stdin closed: replies", r.replies[-2:], [msg_ok(1), BYE])
    r = pipe_session(sb, "pipe-hang.sh", extra=["-T", "2"])
    expect("never exits: replies", r.replies[-2:], [
        line("R_PIPE_TIMEOUT"), BYE])
    if r.seconds > 8:
        raise Fail("never exits: took %.1f s" % r.seconds)
    with open(sb.store + "/out") as f:
        pids = [int(x) for x in f.read().split()]
    time.sleep(0.2)
    for pid in pids:
        if running(pid):
            raise Fail("never exits: process %d left running" % pid)
    r = pipe_session(sb, "pipe-grandchild.sh")
    with open(sb.store + "/out") as f:
        child = int(f.read().split()[0])
    try:
        os.kill(child, 9)
    except ProcessLookupError:
        pass
    expect("grandchild: replies", r.replies[-2:], [msg_ok(1), BYE])
    if r.seconds > 8:
        raise Fail("grandchild: took %.1f s" % r.seconds)


# ---------------------------------------------------------------- BDAT
# RFC 3030 chunks are framed by their declared size alone: every BDAT
# consumes its chunk, whatever its reply, or a message's text would be
# read as commands (the attack go-smtp fixed).

def bdat(data, last=False):
    return b"BDAT %d%s\r\n" % (len(data), b" LAST" if last else b"") + data


HIDDEN = crlf("RSET", "MAIL FROM:<evil@attacker.example>",
              "RCPT TO:<victim@example.org>", "DATA", "Subject: hidden", "",
              "evil", ".") + bdat(b"evil\r\n", True)
METHODS = (["mbox", "%u"], ["maildir", "%u"], ["-l", "mbox", "%u"])


def method_args(sb, method):
    return method[:-1] + [sb.store + "/" + method[-1]]


def nothing_for_victim(sb, what):
    if os.path.exists(os.path.join(sb.store, "victim")):
        raise Fail("%s: the hidden commands delivered to victim" % what)


@case
def bdat_hidden_commands(sb):
    """A whole transaction hidden in the chunk of a BDAT refused for
    every reason (before EHLO, before MAIL, before RCPT, a NUL earlier
    in the message, a total over -s, after a refused DATA) in SMTP to
    mbox and Maildir and in LMTP: it is never run."""
    for method in METHODS:
        lmtp = method[0] == "-l"
        hello = "LHLO c.example" if lmtp else "EHLO c.example"
        env = crlf(hello, "MAIL FROM:<a@example.org>",
                   "RCPT TO:<good@example.org>")
        sessions = {
            "before hello": bdat(HIDDEN) + crlf(hello),
            "before MAIL": crlf(hello) + bdat(HIDDEN),
            "before RCPT": crlf(hello, "MAIL FROM:<a@example.org>") +
            bdat(HIDDEN, True),
            "after a NUL": env + bdat(b"nul\0\r\n") + bdat(HIDDEN, True),
            "over -s": env + bdat(b"x" * 900) + bdat(HIDDEN),
            "after DATA": env + bdat(b"Subject: x\r\n\r\n") +
            crlf("DATA") + bdat(HIDDEN, True),
        }
        for what, data in sessions.items():
            empty_store(sb)
            r = smtpd(sb, ["-s", "1000"] + method_args(sb, method),
                      data + crlf("QUIT"))
            what = "%s %s" % (method[0], what)
            expect(what + ": last reply", r.replies[-1], BYE)
            if any(x.startswith("250 2.1.0 Sender <evil@")
                   for x in r.replies):
                raise Fail(what + ": the hidden MAIL was run")
            nothing_for_victim(sb, what)
            if what.endswith("after DATA"):
                # the message itself goes on, hidden text and all
                stored = b""
                for rel in store_files(sb):
                    with open(os.path.join(sb.store, rel), "rb") as f:
                        stored += f.read()
                if b"\nMAIL FROM:<evil@attacker.example>\n" not in stored:
                    raise Fail(what + ": the chunk is not the message")


@case
def bdat_sizes(sb):
    """Chunk sizes 2^64 - 1 (a number, over -s: 552, then cut off after
    -s octets), -1, 2^64 and 20 nines (501, the session ends): no
    command after them runs, nothing is stored, in SMTP and LMTP."""
    for method in METHODS:
        lmtp = method[0] == "-l"
        env = crlf("LHLO c.example" if lmtp else "EHLO c.example",
                   "MAIL FROM:<a@example.org>", "RCPT TO:<good@example.org>")
        for size, want in ((b"18446744073709551615", [
                line("R_TOO_BIG", "1000"),
                line("R_CHUNK_ABANDONED", HOST)]),
                (b"-1", [line("R_SYNTAX_BDAT")]),
                (b"18446744073709551616", [line("R_SYNTAX_BDAT")]),
                (b"99999999999999999999 LAST", [line("R_SYNTAX_BDAT")]),
                (b"+5", [line("R_SYNTAX_BDAT")]),
                (b"0x10", [line("R_SYNTAX_BDAT")])):
            empty_store(sb)
            r = smtpd(sb, ["-s", "1000"] + method_args(sb, method),
                      env + b"BDAT " + size + b"\r\n" + HIDDEN * 20 +
                      crlf("QUIT"))
            expect("%s BDAT %r: replies" % (method[0], size),
                   r.replies[-len(want):], want)
            expect("%s BDAT %r: nothing stored" % (method[0], size),
                   store_files(sb), [])


@case
def bdat_short_chunk(sb):
    """A chunk shorter than declared, then the end of input, after
    accepted chunks and as the first: nothing is delivered, and no
    stray spool or lock file stays behind."""
    for method in METHODS:
        lmtp = method[0] == "-l"
        env = crlf("LHLO c.example" if lmtp else "EHLO c.example",
                   "MAIL FROM:<a@example.org>", "RCPT TO:<good@example.org>")
        for data in (env + b"BDAT 100 LAST\r\nshort\r\n",
                     env + bdat(b"Subject: x\r\n\r\n" + b"y" * 70000) +
                     b"BDAT 1000000 LAST\r\n" + b"z" * 999999):
            empty_store(sb)
            r = smtpd(sb, method_args(sb, method), data)
            expect("%s: nothing stored" % method[0], store_files(sb), [])
            if any(x.startswith("250 2.0.0 Message") or
                   x.startswith("250 2.0.0 Delivered") for x in r.replies):
                raise Fail("%s: a short chunk was delivered" % method[0])


@case
def bdat_data_interleaved(sb):
    """BDAT then DATA: 503, and the chunked message goes on and is
    delivered whole.  DATA then BDAT: the BDAT line and its "chunk" are
    text of the message, which ends at the dot."""
    data = (crlf("EHLO c.example", "MAIL FROM:<a@example.org>",
                 "RCPT TO:<b@example.org>") + bdat(b"Subject: one\r\n\r\n") +
            crlf("DATA") + bdat(b"chunked\r\n", True) +
            crlf("MAIL FROM:<a@example.org>", "RCPT TO:<c@example.org>",
                 "DATA", "Subject: two", "") + bdat(b"in the body\r\n", True) +
            crlf(".", "QUIT"))
    r = smtpd(sb, ["mbox", sb.store + "/%u"], data)
    want = [line("R_CHUNK_OK", "16"), line("R_DATA_AFTER_BDAT"), msg_ok(1),
            sender_ok("a@example.org"), rcpt_ok("c@example.org"), DATA_GO,
            msg_ok(2), BYE]
    expect("replies", r.replies[-len(want):], want)
    with open(sb.store + "/b", "rb") as f:
        expect("b: the chunks", f.read().split(b"\n")[-4:],
               [b"", b"chunked", b"", b""])
    with open(sb.store + "/c", "rb") as f:
        expect("c: BDAT as text", f.read().split(b"\n")[-5:],
               [b"", b"BDAT 13 LAST", b"in the body", b"", b""])


@case
def bdat_slow_client(sb):
    """A huge chunk declared and nothing sent: 421 after -t.  Octets
    within -t but below the rate floor: 421 too.  Nothing stored."""
    env = crlf("EHLO c.example", "MAIL FROM:<a@example.org>",
               "RCPT TO:<b@example.org>")
    r = smtpd(sb, ["-t", "2", "mbox", sb.store + "/%u"],
              chunks=[env + b"BDAT 10000000 LAST\r\npartial", b""],
              delay=4.0)
    expect("silent: replies", r.replies[-1], TIMEOUT)
    if not 1.9 < r.seconds < 6:
        raise Fail("silent: timeout after %.1f s" % r.seconds)
    r = smtpd(sb, ["-t", "2", "mbox", sb.store + "/%u"],
              chunks=[env + b"BDAT 10000000 LAST\r\n"] + [b"x"] * 12,
              delay=1.0)
    expect("trickle: replies", r.replies[-1], line("R_TOO_SLOW", HOST))
    if not 1.9 < r.seconds < 6:
        raise Fail("trickle: cut off after %.1f s" % r.seconds)
    # one octet per chunk, each chunk in time: like NOOPs, it is a
    # session, and -t still ends it when the client stops
    expect("nothing stored", store_files(sb), [])


@case
def bdat_gigabyte_chunk(sb):
    """A chunk of 1 GiB over -s is skipped for -s octets, then the
    session ends; one of 1 GiB within -s is stored whole (1 GiB of
    76-octet lines, memory bounded, the mailbox checked by size)."""
    env = crlf("EHLO c.example", "MAIL FROM:<a@example.org>",
               "RCPT TO:<b@example.org>")
    r = smtpd(sb, ["-s", "1000000", "mbox", sb.store + "/%u"],
              chunks=stream(env + b"BDAT %d LAST\r\n" % GB, GB,
                            crlf("QUIT")))
    expect("over -s: replies", r.replies[-2:],
           [line("R_TOO_BIG", "1000000"), line("R_CHUNK_ABANDONED", HOST)])
    expect("over -s: nothing stored", store_files(sb), [])
    if r.maxrss_kb > RSS_BOUND_KB:
        raise Fail("over -s: max RSS %d KiB" % r.maxrss_kb)
    rows = GB // 76
    r = smtpd(sb, ["-s", str(2 * GB), "mbox", sb.store + "/%u"],
              chunks=stream(env + b"BDAT %d LAST\r\n" % (rows * 76),
                            rows * 76, crlf("QUIT"),
                            fill=b"b" * 74 + b"\r\n"))
    expect("1 GiB: replies", r.replies[-2:], [msg_ok(1), BYE])
    if r.maxrss_kb > RSS_BOUND_KB:
        raise Fail("1 GiB: max RSS %d KiB" % r.maxrss_kb)
    st = os.stat(sb.store + "/b")
    if st.st_size < rows * 75 or st.st_size > rows * 75 + 1000:
        raise Fail("1 GiB: mailbox of %d octets for %d lines" %
                   (st.st_size, rows))
    print("    max RSS for a 1 GiB chunk: %d KiB" % r.maxrss_kb)


def transcript_pieces(data):
    """Split a transcript's input where a client in lockstep would wait
    for a reply: after each command line, and after each BDAT chunk."""
    pieces = []
    while data:
        lf = data.find(b"\n")
        if lf == -1:
            pieces.append((data, False))
            break
        cmd, data = data[:lf + 1], data[lf + 1:]
        m = re.match(rb"(?i)BDAT (\d+)( +LAST)?\r?\n$", cmd)
        whole = True
        if m:
            n = int(m.group(1))
            whole = len(data) >= n	# else the input ends inside it
            cmd, data = cmd + data[:n], data[n:]
        pieces.append((cmd, whole))
    return pieces


@case
def bdat_lockstep(sb):
    """The BDAT transcripts once more, the client waiting for each
    reply before it sends the next command or chunk: the replies and
    the mailbox are byte for byte those of the pipelined run."""
    tdir = os.path.join(os.path.dirname(HERE), "transcripts")
    names = sorted(f[:-3] for f in os.listdir(tdir)
                   if f.endswith(".in") and "bdat" in f)
    import subprocess
    import select
    for name in names:
        with open(os.path.join(tdir, name + ".in"), "rb") as f:
            pieces = transcript_pieces(f.read())
        args = []
        if os.path.exists(os.path.join(tdir, name + ".args")):
            with open(os.path.join(tdir, name + ".args")) as f:
                args = f.read().split()
        empty_store(sb)
        env = {"PATH": "/usr/bin:/bin", "SMTPD_FAKE_TIME": "1700000000",
               "TZ": "UTC", "TMPDIR": sb.tmp}
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k in os.environ:
                env[k] = os.environ[k]
        p = subprocess.Popen([SMTPD, "-n", HOST] + args, cwd=sb.store,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=env)
        out = b""

        def read_reply(out, need_final):
            """Read until a final reply line has come (need_final), then
            until the output is quiet for 50 ms or ends."""
            fd = p.stdout.fileno()
            got_final = not need_final
            while True:
                ready, _, _ = select.select([fd], [], [],
                                            0.05 if got_final else 10)
                if not ready:
                    if got_final:
                        return out, True
                    raise Fail("%s: no reply in lockstep" % name)
                b = os.read(fd, 65536)
                if not b:
                    return out, False
                out += b
                if re.search(rb"(^|\n)\d{3} [^\n]*\n$", out):
                    got_final = True
        out, alive = read_reply(out, True)	# the greeting
        for piece, whole in pieces:
            if not alive:
                break
            try:
                p.stdin.write(piece)
                p.stdin.flush()
            except BrokenPipeError:
                break
            out, alive = read_reply(out, whole)
        try:
            p.stdin.close()
        except BrokenPipeError:
            pass
        rest = p.stdout.read()
        p.stderr.read()
        p.wait(30)
        out += rest
        with open(os.path.join(tdir, name + ".out"), "rb") as f:
            expect(name + ": lockstep replies", out, f.read())
        mbox = os.path.join(sb.store, "mbox")
        want = os.path.join(tdir, name + ".mbox")
        if os.path.exists(want):
            with open(want, "rb") as f, open(mbox, "rb") as g:
                expect(name + ": lockstep mbox", g.read(), f.read())
        else:
            expect(name + ": no mbox", os.path.exists(mbox), False)


def main():
    names = sys.argv[1:]
    passed = failed = 0
    for fn in CASES:
        if names and fn.__name__ not in names:
            continue
        sb = Sandbox()
        t0 = time.monotonic()
        try:
            fn(sb)
            sb.check_untouched()
            print("ok %s (%.1f s)" % (fn.__name__, time.monotonic() - t0))
            passed += 1
        except Fail as e:
            print("FAIL %s: %s" % (fn.__name__, e))
            failed += 1
        finally:
            sb.remove()
    print("%d passed, %d failed, 0 skipped" % (passed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
