#!/usr/bin/env python3
# ISC license.
"""smtpd as a real MX (smtpd.8: RECIPIENT TABLE, -M, -U, LOGGING):
RCPT replies for known, unknown, alias and catch-all recipients in SMTP
and LMTP, from the text table and from the one smtpd -C compiled,
aliases delivered to the target's mailbox by every method, a table that
cannot be read or is wrong (a compiled one too, and one that goes wrong
at a lookup), -C's checks and its cdb read back by tinycdb, -M, the dictionary-attack
throttle measured, every log event through -e and through a /dev/log
stand-in, and a dictionary attack of 10,000 recipients that leaves the
store empty.

Runs as it is started; as root, smtpd gets -u nobody and the temporary
directories belong to nobody, and the /dev/log part runs in a private
mount namespace (unshare -m).  Without root that part is skipped.
Usage: SMTPD=./smtpd python3 tests/mx/run.py
"""

import os
import pwd
import random
import re
import shutil
import socket
import string
import subprocess
import sys
import tempfile
import time

SMTPD = os.path.abspath(os.environ.get("SMTPD", "./smtpd"))
TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, TESTS)
from replies import line  # noqa: E402

RECORD = os.path.join(TESTS, "helpers", "record.sh")
ROOT = os.geteuid() == 0
AS = ["-u", "nobody"] if ROOT else []
ENV = {"PATH": "/usr/bin:/bin", "TZ": "UTC", "TCPREMOTEIP": "192.0.2.7"}
for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
    if k in os.environ:
        ENV[k] = os.environ[k]

TABLE = """# the test table
alice@example.org
bob
postmaster   admin@example.org
abuse@example.org  admin@example.org
admin@example.org
@example.net  catchall@example.org
"""

from tally import check, results  # noqa: E402


def skip(name, why):
    results["skipped"] += 1
    print("skip %s: %s" % (name, why))


def tmpdir():
    d = tempfile.mkdtemp(prefix="smtpd-mx.")
    if ROOT:
        nobody = pwd.getpwnam("nobody")
        os.chown(d, nobody.pw_uid, nobody.pw_gid)
    return d


def give(path):
    """A file or directory made here, to nobody when we are root."""
    if ROOT:
        nobody = pwd.getpwnam("nobody")
        os.chown(path, nobody.pw_uid, nobody.pw_gid)


def crlf(*lines):
    return "".join(x + "\r\n" for x in lines).encode()


def smtpd(args, data, cwd, timeout=60):
    """(replies, exit status, stderr lines): -e puts the log there."""
    p = subprocess.run([SMTPD, "-e", "-n", "mx.example.org"] + AS + args,
                       input=data, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, cwd=cwd, env=ENV,
                       timeout=timeout)
    replies = [x for x in p.stdout.decode("utf-8", "replace").split("\r\n")
               if x and not x.startswith("250-")]
    log = [re.sub(r"^smtpd\[[0-9]+\]: ", "", x)
           for x in p.stderr.decode("utf-8", "replace").splitlines()]
    return replies, p.returncode, log


def table(d, text=TABLE, form="text"):
    """The table in d; form "cdb": compiled by smtpd -C, its name."""
    path = os.path.join(d, "table")
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o644)
    give(path)
    if form == "cdb":
        p = subprocess.run([SMTPD, "-C", path], stderr=subprocess.PIPE,
                           env=ENV, timeout=60)
        if p.returncode != 0:
            raise RuntimeError("smtpd -C: %r" % p.stderr)
        path += ".cdb"
    return path


RCPTS = ["alice@example.org", "nobody@example.org", "postmaster",
         "abuse@example.org", "zz@example.net", "BOB@Example.ORG",
         "postmaster@example.org"]
KNOWN = {"alice@example.org", "postmaster", "abuse@example.org",
         "zz@example.net", "BOB@Example.ORG", "postmaster@example.org"}


def rcpt_reply(a):
    if a in KNOWN:
        return line("R_RCPT_OK", "<%s>" % a)
    return line("R_UNKNOWN_USER", "<%s>" % a)


def test_replies():
    for form in ("text", "cdb"):
        replies(form)


def replies(form):
    d = tmpdir()
    t = table(d, form=form)
    for lmtp in (False, True):
        hello = "LHLO c.example" if lmtp else "EHLO c.example"
        cmds = [hello, "MAIL FROM:<s@example.com>"] + \
            ["RCPT TO:<%s>" % a for a in RCPTS] + ["QUIT"]
        r, st, _ = smtpd((["-l"] if lmtp else []) + ["-U", "5,9,0", "-R", t,
                         "-r", "1000", "maildir", d + "/%d/%u"],
                         crlf(*cmds), d)
        proto = ("LMTP" if lmtp else "SMTP") + ", " + form
        check("%s: RCPT replies" % proto, r[3:3 + len(RCPTS)],
              [rcpt_reply(a) for a in RCPTS])
    shutil.rmtree(d)


def deliver_one(d, method, rcpts, lmtp=False, form="text"):
    t = table(d, form=form)
    cmds = ["LHLO c.example" if lmtp else "EHLO c.example",
            "MAIL FROM:<s@example.com>"] + \
        ["RCPT TO:<%s>" % a for a in rcpts] + \
        ["DATA", "Subject: x", "", "body", ".", "QUIT"]
    return smtpd((["-l"] if lmtp else []) + ["-R", t] + method,
                 crlf(*cmds), d)


def test_alias_delivery():
    # mbox: the alias's copy is in the target's mailbox, and keeps the
    # address the client wrote in Received's "for"
    d = tmpdir()
    r, _, _ = deliver_one(d, ["mbox", d + "/%u"], ["abuse@example.org"])
    check("mbox: alias delivered", r[-2].startswith("250 2.0.0"), True)
    check("mbox: in the target's mailbox", sorted(os.listdir(d)),
          ["admin", "table"])
    with open(d + "/admin", encoding="utf-8") as f:
        text = f.read()
    check("mbox: for <as written>", "for <abuse@example.org>" in text, True)
    shutil.rmtree(d)
    # Maildir, catch-all, LMTP: Delivered-To keeps the written address
    d = tmpdir()
    r, _, _ = deliver_one(d, ["maildir", d + "/%d/%u"],
                          ["zz@example.net", "postmaster"], lmtp=True)
    check("maildir: both delivered",
          [x.startswith("250 2.0.0") for x in r[-3:-1]], [True, True])
    got = {}
    for who in ("catchall", "admin"):
        new = os.path.join(d, "example.org", who, "new")
        names = os.listdir(new) if os.path.isdir(new) else []
        with open(os.path.join(new, names[0]), encoding="utf-8") as f:
            got[who] = f.read().split("\n")[1]
    check("maildir: Delivered-To as written", got,
          {"catchall": "Delivered-To: zz@example.net",
           "admin": "Delivered-To: postmaster"})
    check("maildir: nothing for the written names",
          sorted(os.listdir(d)), ["example.org", "table"])
    shutil.rmtree(d)
    # the compiled table: the same mailboxes
    d = tmpdir()
    r, _, _ = deliver_one(d, ["mbox", d + "/%u"], ["abuse@example.org",
                          "zz@example.net", "bob@example.com"], form="cdb")
    check("cdb: three delivered", r[-2].startswith("250 2.0.0"), True)
    check("cdb: in the targets' mailboxes", sorted(os.listdir(d)),
          ["admin", "bob", "catchall", "table", "table.cdb"])
    shutil.rmtree(d)
    # pipe: %u and %d are the target's, %r as written
    d = tmpdir()
    out = os.path.join(d, "out")
    os.mkdir(out)
    give(out)
    r, _, _ = deliver_one(d, ["pipe", "/bin/sh", RECORD, out, "%u", "%d",
                              "%r"], ["abuse@example.org"])
    with open(out + "/1.argv", "rb") as f:
        argv = [a.decode() for a in f.read().split(b"\0")[:-1]]
    check("pipe: %u %d of the target, %r as written", argv,
          ["admin", "example.org", "abuse@example.org"])
    shutil.rmtree(d)


def test_table_unreadable_and_bad():
    d = tmpdir()
    data = crlf("EHLO c.example", "MAIL FROM:<s@example.com>",
                "RCPT TO:<alice@example.org>", "QUIT")
    r, st, log = smtpd(["-R", d + "/missing", "mbox", d + "/%u"], data, d)
    check("missing table: 451 at RCPT", r[3], line("R_TABLE_UNREADABLE"))
    check("missing table: logged", any(
        "refused cmd=RCPT addr=<alice@example.org> code=451 esc=4.3.0 "
        "reason=table_unreadable" in x for x in log), True)
    t = table(d)
    os.chmod(t, 0)
    if ROOT or os.access(t, os.R_OK) is False:
        r, st, log = smtpd(["-R", t, "mbox", d + "/%u"], data, d)
        check("unreadable table: 451 at RCPT", r[3],
              line("R_TABLE_UNREADABLE"))
    for text, lineno in (("alice@example.org\nbad entry here\n", 2),
                         ("# c\n\nx@@y\n", 3),
                         ("a x@example.org\nx@example.org y@example.org\n",
                          1),
                         ("bob\nbob\n", 2), ("carol notanaddress\n", 1)):
        t = table(d, text)
        r, st, log = smtpd(["-R", t, "mbox", d + "/%u"], data, d)
        check("bad table %r: exit 78, nothing said" % text, (st, r),
              (78, []))
        check("bad table %r: file and line" % text,
              bool(log) and log[-1].startswith(
                  "recipient table: %s:%d: " % (t, lineno)), True)
    shutil.rmtree(d)


def test_compiled():
    """smtpd -C: the same checks with the same FILE:LINE, exit 78 and no
    cdb for a wrong table; a cdb tinycdb reads back; a file that is not
    one exits 78 at start; a record that points outside the file is a
    table that cannot be read at RCPT."""
    d = tmpdir()
    for text, lineno in (("alice@example.org\nbad entry here\n", 2),
                         ("a x@example.org\nx@example.org y@example.org\n",
                          1), ("bob\nbob\n", 2)):
        t = table(d, text)
        p = subprocess.run([SMTPD, "-C", t], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, env=ENV, timeout=60)
        err = p.stderr.decode()
        check("-C %r: exit 78, file and line, no cdb" % text,
              (p.returncode, err.startswith(
                  "smtpd: recipient table: %s:%d: " % (t, lineno)),
               os.path.exists(t + ".cdb")), (78, True, False))
    p = subprocess.run([SMTPD, "-C", d + "/missing"], stderr=subprocess.PIPE,
                       env=ENV, timeout=60)
    check("-C missing file: exit 74", p.returncode, 74)
    t = table(d, form="cdb")
    if shutil.which("cdb"):
        p = subprocess.run(["cdb", "-d", t], stdout=subprocess.PIPE,
                           timeout=60)
        got = sorted(x for x in p.stdout.decode().splitlines() if x)
        want = ["+%d,%d:%s->%s" % (len(k), len(v), k, v) for k, v in (
            ("", "smtpd recipient table 1"), ("alice@example.org", ""),
            ("bob", ""), ("postmaster", "admin@example.org"),
            ("abuse@example.org", "admin@example.org"),
            ("admin@example.org", ""),
            ("@example.net", "catchall@example.org"))]
        check("-C: tinycdb reads the same table", got, sorted(want))
    else:
        skip("-C: tinycdb reads the same table", "no cdb (tinycdb)")
    data = crlf("EHLO c.example", "MAIL FROM:<s@example.com>",
                "RCPT TO:<alice@example.org>", "QUIT")
    with open(t, "rb") as f:
        good = f.read()
    for name, body in (("the text table", TABLE.encode()),
                       ("cut short", good[:2100])):
        bad = os.path.join(d, "bad.cdb")
        with open(bad, "wb") as f:
            f.write(body)
        give(bad)
        r, st, log = smtpd(["-R", bad, "mbox", d + "/%u"], data, d)
        check("-R %s as .cdb: exit 78, nothing said" % name, (st, r),
              (78, []))
        check("-R %s as .cdb: logged" % name, bool(log) and log[-1] ==
              "recipient table: %s: not a table made by smtpd -C" % bad,
              True)
    # every record position past the end: alice cannot be looked up
    raw = bytearray(good)
    for i in range(256):
        pos = int.from_bytes(raw[i * 8:i * 8 + 4], "little")
        n = int.from_bytes(raw[i * 8 + 4:i * 8 + 8], "little")
        for j in range(n):
            at = pos + j * 8 + 4
            if int.from_bytes(raw[at:at + 4], "little") not in (0, 2048):
                raw[at:at + 4] = (len(raw) + 100).to_bytes(4, "little")
    bad = os.path.join(d, "broken.cdb")
    with open(bad, "wb") as f:
        f.write(raw)
    give(bad)
    r, st, log = smtpd(["-R", bad, "mbox", d + "/%u"], data, d)
    check("cdb broken at a lookup: 451 at RCPT", (st, r[3]),
          (0, line("R_TABLE_UNREADABLE")))
    shutil.rmtree(d)


def test_existing_only():
    d = tmpdir()
    box = os.path.join(d, "alice")
    open(box, "w").close()
    give(box)
    os.makedirs(d + "/md/bob/new")
    for sub in ("md", "md/bob", "md/bob/new"):
        give(os.path.join(d, sub))
    data = crlf("EHLO c.example", "MAIL FROM:<s@example.com>",
                "RCPT TO:<alice@example.org>", "RCPT TO:<carol@example.org>",
                "QUIT")
    r, _, _ = smtpd(["-M", "mbox", d + "/%u"], data, d)
    check("-M mbox: existing accepted, missing 550 5.1.1", r[3:5],
          [line("R_RCPT_OK", "<alice@example.org>"),
           line("R_UNKNOWN_USER", "<carol@example.org>")])
    data = crlf("EHLO c.example", "MAIL FROM:<s@example.com>",
                "RCPT TO:<bob@example.org>", "RCPT TO:<carol@example.org>",
                "QUIT")
    r, _, _ = smtpd(["-M", "maildir", d + "/md/%u"], data, d)
    check("-M maildir: existing accepted, missing 550 5.1.1", r[3:5],
          [line("R_RCPT_OK", "<bob@example.org>"),
           line("R_UNKNOWN_USER", "<carol@example.org>")])
    check("-M: nothing made", sorted(os.listdir(d)), ["alice", "md"])
    shutil.rmtree(d)


def test_throttle():
    """-U 2,6,100: unknowns 1 and 2 at once, 3 after 100 ms, 4 after
    200, 5 after 400, the 6th gets 421 and the session ends."""
    d = tmpdir()
    t = table(d)
    cmds = ["EHLO c.example", "MAIL FROM:<s@example.com>"] + \
        ["RCPT TO:<u%d@example.org>" % i for i in range(8)] + ["QUIT"]
    p = subprocess.Popen([SMTPD, "-n", "mx.example.org"] + AS +
                         ["-U", "2,6,100", "-R", t, "mbox", d + "/%u"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, cwd=d, env=ENV)
    p.stdin.write(crlf(*cmds))
    p.stdin.close()
    stamps = []
    start = time.monotonic()
    for raw in p.stdout:
        text = raw.decode().rstrip("\r\n")
        if text.startswith(("550", "421")):
            stamps.append((text[:9], time.monotonic() - start))
    p.wait()
    codes = [c for c, _ in stamps]
    check("throttle: five 550 then 421", codes,
          ["550 5.1.1"] * 5 + ["421 4.7.0"])
    gaps = [round(b[1] - a[1], 3) for a, b in zip(stamps, stamps[1:])]
    print("     throttle gaps (s): %s" % gaps)
    want = [0, 0.1, 0.2, 0.4]
    ok = len(gaps) >= 4 and all(
        w - 0.02 <= g <= w + 0.5 for g, w in zip(gaps[:4], want))
    check("throttle: delays 100, 200, 400 ms", ok, True)
    shutil.rmtree(d)


EVENTS = [
    ("refused MAIL", re.compile(
        r"^refused cmd=MAIL addr=<bad> code=501 esc=5\.1\.7 "
        r"reason=sender_no_domain$")),
    ("refused RCPT", re.compile(
        r"^refused cmd=RCPT addr=<nobody@example\.org> code=550 "
        r"esc=5\.1\.1 reason=unknown_user$")),
    ("refused RCPT relay", re.compile(
        r"^refused cmd=RCPT addr=<x@elsewhere\.com> code=550 esc=5\.7\.1 "
        r"reason=relay_denied$")),
    ("message too big: octets received", re.compile(
        r"^id=\S+ from=<s@example\.org> to=<alice@example\.org> nrcpt=1 "
        r"size=(2[0-9]{4}): not delivered: 552 5\.3\.4$")),
    ("session line: peer, helo, 421 why", re.compile(
        r"^session peer=192\.0\.2\.7 helo=c\.example messages=1 unknown=2 "
        r"end=too_many_unknown code=421 esc=4\.7\.0$")),
]


def events_session(d, t):
    return crlf("EHLO c.example", "MAIL FROM:<bad>",
                "MAIL FROM:<s@example.org>", "RCPT TO:<x@elsewhere.com>",
                "RCPT TO:<alice@example.org>", "DATA",
                *(["x" * 998] * 21), ".",
                "MAIL FROM:<s@example.org>", "RCPT TO:<nobody@example.org>",
                "RCPT TO:<nobody@example.org>", "QUIT")


EVENT_ARGS = ["-d", "example.org", "-s", "10000", "-U", "0,2,0"]


def check_events(where, log):
    for name, rx in EVENTS:
        check("%s: %s" % (where, name), any(rx.match(x) for x in log), True)


def test_log_stderr():
    d = tmpdir()
    t = table(d)
    _, _, log = smtpd(EVENT_ARGS + ["-R", t, "mbox", d + "/%u"],
                      events_session(d, t), d)
    check_events("-e", log)
    # the idle timeout, and too many errors
    p = subprocess.Popen([SMTPD, "-e", "-t", "1", "-n", "mx.example.org"] +
                         AS + ["mbox", d + "/%u"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         cwd=d, env=ENV)
    p.stdin.write(crlf("HELO idle.example"))
    p.stdin.flush()
    p.wait(timeout=10)     # stdin stays open: the client says nothing
    err = p.stderr.read()
    p.stdout.close()
    p.stderr.close()
    p.stdin.close()
    check("-e: idle timeout logged", any(re.search(
        r"session peer=192\.0\.2\.7 helo=idle\.example .*end=timeout "
        r"code=421 esc=4\.4\.2$", x) for x in err.decode().splitlines()),
        True)
    _, _, log = smtpd(["mbox", d + "/%u"],
                      crlf("HELO e.example", *(["BOGUS"] * 25)), d)
    check("-e: too many errors logged", any(re.search(
        r"^session .*helo=e\.example .*end=too_many_errors code=421 "
        r"esc=4\.7\.0$", x) for x in log), True)
    _, _, log = smtpd(["mbox", d + "/%u"], crlf("HELO q.example", "QUIT"), d)
    check("-e: quit logged", log[-1],
          "session peer=192.0.2.7 helo=q.example messages=0 unknown=0 "
          "end=quit")
    shutil.rmtree(d)


STANDIN = r"""
set -e
sock=$1; shift
if [ -e /dev/log ] || [ -L /dev/log ]; then
	mount --bind "$sock" /dev/log
else
	# no /dev/log to cover: a private /dev with what smtpd opens
	real=$(mktemp -d)
	mount --bind /dev "$real"
	mount -t tmpfs none /dev
	for n in null zero urandom random tty; do
		touch "/dev/$n"
		mount --bind "$real/$n" "/dev/$n"
	done
	ln -s /proc/self/fd /dev/fd
	ln -s "$sock" /dev/log
fi
exec "$@"
"""


def test_log_devlog():
    name = "/dev/log stand-in"
    if not ROOT:
        skip(name, "needs root for unshare -m")
        return
    if shutil.which("unshare") is None:
        skip(name, "no unshare")
        return
    d = tmpdir()
    t = table(d)
    sock_path = os.path.join(d, "log.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(sock_path)
    os.chmod(sock_path, 0o666)
    sock.settimeout(0.5)
    p = subprocess.run(["unshare", "-m", "--propagation", "private", "sh",
                        "-c", STANDIN, "sh", sock_path, SMTPD, "-n",
                        "mx.example.org"] + AS + EVENT_ARGS +
                       ["-R", t, "mbox", d + "/%u"],
                       input=events_session(d, t), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=ENV, cwd=d, timeout=60)
    if p.returncode != 0 and not p.stdout:
        skip(name, "unshare failed: %s" % p.stderr.decode().strip())
        sock.close()
        shutil.rmtree(d)
        return
    log = []
    while True:
        try:
            msg = sock.recv(4096).decode("utf-8", "replace")
        except socket.timeout:
            break
        # <22>Nov 14 22:13:20 smtpd[123]: text: LOG_MAIL is facility 2
        m = re.match(r"^<([0-9]+)>.*?smtpd\[[0-9]+\]: (.*)$", msg)
        if m:
            log.append(m.group(2))
            check("syslog: facility mail", int(m.group(1)) >> 3, 2) \
                if len(log) == 1 else None
    sock.close()
    check("syslog: nothing on stderr", p.stderr, b"")
    check_events("syslog", log)
    shutil.rmtree(d)


def test_dictionary_attack():
    """10,000 random recipients, in sessions that end at the throttle's
    limit: not one file or directory appears in the store."""
    d = tmpdir()
    store = os.path.join(d, "store")
    os.mkdir(store)
    give(store)
    t = table(d)
    rnd = random.Random(13)
    names = ["".join(rnd.choice(string.ascii_lowercase + string.digits)
                     for _ in range(rnd.randint(1, 12))) + "@example.org"
             for _ in range(10000)]
    sent = sessions = 0
    unknown = line("R_UNKNOWN_USER", "")[:9]
    # 20 refusals end a session (session.c: MAX_REJECTED); the table
    # with mbox, -M with Maildir
    for method in (["-R", t, "mbox", store + "/%u"],
                   ["-M", "maildir", store + "/%d/%u"]):
        for i in range(0, 5000, 19):
            batch = names[sent:sent + min(19, 5000 - i)]
            cmds = ["EHLO c.example", "MAIL FROM:<s@example.com>"] + \
                ["RCPT TO:<%s>" % a for a in batch] + ["QUIT"]
            r, _, _ = smtpd(["-U", "100,101,0"] + method, crlf(*cmds), d)
            sent += sum(1 for x in r if x.startswith(unknown))
            sessions += 1
    check("10,000 RCPTs in %d sessions: store empty" % sessions,
          (sent, os.listdir(store)), (10000, []))
    shutil.rmtree(d)


def main():
    for test in (test_replies, test_alias_delivery,
                 test_table_unreadable_and_bad, test_compiled,
                 test_existing_only,
                 test_throttle, test_log_stderr, test_log_devlog,
                 test_dictionary_attack):
        try:
            test()
        except Exception as e:  # one broken test must not hide the rest
            results["failed"] += 1
            print("FAIL %s: %r" % (test.__name__, e))
    print("%d passed, %d failed, %d skipped" % (
        results["passed"], results["failed"], results["skipped"]))
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
