#!/usr/bin/env python3
# ISC license.
"""Delivery tests through the real binary: mbox, Maildir and pipe with
several recipients and messages, all-or-nothing rollback under a file
size limit, concurrent writers on one mbox, hostile envelopes, and
LMTP per-recipient replies read with Python's smtplib and mailbox.

Usage: SMTPD=./smtpd python3 tests/delivery/run.py
Prints one line per check and "N passed, N failed, 0 skipped"; exits 1
on failure.
"""

import mailbox
import os
import re
import resource
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import time

SMTPD = os.path.abspath(os.environ.get("SMTPD", "./smtpd"))
TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, TESTS)
from replies import (ehlo_lines, line, lmtp_delivered, msgid, pair,  # noqa: E402
                     pattern)

RECORD = os.path.join(TESTS, "helpers", "record.sh")
ENV = {"PATH": "/usr/bin:/bin", "SMTPD_FAKE_TIME": "1700000000",
       "TZ": "UTC"}
for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
    if k in os.environ:
        ENV[k] = os.environ[k]
FROM_DATE = "Tue Nov 14 22:13:20 2023"
HDR_DATE = "Tue, 14 Nov 2023 22:13:20 +0000"

from tally import check, results  # noqa: E402


def sender_ok(a):
    return line("R_SENDER_OK", "<%s>" % a)


def rcpt_ok(a):
    return line("R_RCPT_OK", "<%s>" % a)


def msg_ok(n):
    """The reply to the nth message of a session (SMTPD_FAKE_TIME)."""
    return line("R_DATA_OK", msgid(n))


DATA_GO = line("R_DATA_GO")
NO_SPACE = line("R_NO_SPACE")


def crlf(lines):
    return "".join(line + "\r\n" for line in lines).encode()


def child_setup(limit=None):
    """What smtpd's child side needs before exec: SIGPIPE as smtpd would
    find it from a launcher, and a file size limit (RLIMIT_FSIZE, like a
    quota) of limit octets when one is given."""
    def pre():
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        if limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return pre


def run(args, data, cwd, limit=None, extra_env=None):
    """One session: returns (replies as text, exit status, stderr)."""
    p = subprocess.run([SMTPD, "-n", "mx.example.org"] + args, input=data,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       cwd=cwd, env=dict(ENV, **(extra_env or {})),
                       timeout=120,
                       preexec_fn=child_setup(limit))
    return p.stdout.decode("utf-8", "replace"), p.returncode, p.stderr


def received(helo, with_, n, rcpt):
    s = ("Received: from %s (stdin)\n\tby mx.example.org (smtpd) with %s "
         "id %s" % (helo, with_, msgid(n)))
    if rcpt is not None:
        s += "\n\tfor <%s>" % rcpt
    return s + ";\n\t%s\n" % HDR_DATE


def body(lines):
    return "".join(line + "\n" for line in lines)


def mboxrd(text):
    out = []
    for line in text.split("\n"):
        if line.lstrip(">").startswith("From "):
            line = ">" + line
        out.append(line)
    return "\n".join(out)


def mbox_entry(sender, rec, lines):
    return ("From %s %s\nReturn-Path: <%s>\n" %
            (sender or "MAILER-DAEMON", FROM_DATE, sender) +
            mboxrd(rec + body(lines)) + "\n")


def read(path):
    with open(path, "rb") as f:
        return f.read().decode()


def recorded(out_dir, n):
    """What run n of tests/helpers/record.sh got: (argv, env, stdin)."""
    with open("%s/%d.argv" % (out_dir, n), "rb") as f:
        argv = [a.decode() for a in f.read().split(b"\0")[:-1]]
    with open("%s/%d.env" % (out_dir, n), "rb") as f:
        env = dict(v.decode().split("=", 1) for v in f.read().split(b"\0")
                   if b"=" in v)
    return argv, env, read("%s/%d.msg" % (out_dir, n))


def replies(text):
    return [line for line in text.split("\r\n") if line]


MSG = ["From: a@example.org", "Subject: hello", "", "From the start",
       ">From quoted", "..stuffed", "end"]
MSG_STORED = ["From: a@example.org", "Subject: hello", "", "From the start",
              ">From quoted", ".stuffed", "end"]


def test_mbox_per_user(d):
    """%u folds case; recipients landing in one mbox share one copy."""
    data = crlf(["EHLO c.example", "MAIL FROM:<a@example.org>",
                 "RCPT TO:<Sakura@example.org>",
                 "RCPT TO:<sakura@EXAMPLE.org>",
                 "RCPT TO:<ukito@example.org>", "DATA"] + MSG +
                [".", "MAIL FROM:<>", "RCPT TO:<ukito@example.org>", "DATA",
                 "Subject: second", "", "two", ".", "QUIT"])
    out, rc, _ = run(["mbox", d + "/%u"], data, d)
    check("mbox %u: replies", replies(out)[1 + ehlo_lines():], [
        sender_ok("a@example.org"),
        rcpt_ok("Sakura@example.org"),
        rcpt_ok("sakura@EXAMPLE.org"),
        rcpt_ok("ukito@example.org"),
        DATA_GO,
        msg_ok(1),
        sender_ok(""),
        rcpt_ok("ukito@example.org"),
        DATA_GO,
        msg_ok(2),
        line("R_QUIT", "mx.example.org")])
    rec1 = received("c.example", "ESMTP", 1, None)
    check("mbox %u: sakura got one copy",
          read(d + "/sakura"), mbox_entry("a@example.org", rec1, MSG_STORED))
    check("mbox %u: ukito got both",
          read(d + "/ukito"),
          mbox_entry("a@example.org", rec1, MSG_STORED) +
          mbox_entry("", received("c.example", "ESMTP", 2,
                                  "ukito@example.org"),
                     ["Subject: second", "", "two"]))
    box = mailbox.mbox(d + "/ukito", create=False)
    msgs = [box.get_message(k) for k in box.keys()]
    check("mbox %u: python mailbox reads 2 messages", len(msgs), 2)
    check("mbox %u: python sees the From_ quoting undone",
          msgs[0].get_payload().split("\n")[0], ">From the start")
    check("mbox %u: exit", rc, 0)


def test_maildir(d):
    data = crlf(["HELO c.example", "MAIL FROM:<s@example.org>",
                 "RCPT TO:<a@x.example>", "RCPT TO:<b@y.example>", "DATA"] +
                MSG + [".", "QUIT"])
    out, rc, _ = run(["maildir", d + "/%d/%u"], data, d)
    check("maildir: delivered", replies(out)[-2], msg_ok(1))
    for who, dom in (("a", "x.example"), ("b", "y.example")):
        top = os.path.join(d, dom, who)
        names = os.listdir(top + "/new")
        check("maildir %s: one file in new/" % who, len(names), 1)
        check("maildir %s: tmp/ empty" % who, os.listdir(top + "/tmp"), [])
        check("maildir %s: cur/ exists" % who, os.path.isdir(top + "/cur"),
              True)
        check("maildir %s: modes 0700" % who,
              [oct(os.stat(top + "/" + x).st_mode & 0o777)
               for x in ("", "tmp", "new", "cur")], ["0o700"] * 4)
        if names:
            check("maildir %s: content" % who,
                  read(top + "/new/" + names[0]),
                  "Return-Path: <s@example.org>\nDelivered-To: %s@%s\n" %
                  (who, dom) + received("c.example", "SMTP", 1, None) +
                  body(MSG_STORED))
        md = mailbox.Maildir(top, create=False)
        check("maildir %s: python reads it" % who,
              [m["Subject"] for m in md], ["hello"])


def test_pipe(d):
    out_dir = os.path.join(d, "rec")
    os.mkdir(out_dir)
    sender = '"$(touch pwned)"@x.example'
    rcpt = '"`touch pwned2`;rm -rf x"@y.example'
    data = crlf(["EHLO c.example", "MAIL FROM:<%s>" % sender,
                 "RCPT TO:<%s>" % rcpt, "RCPT TO:<other@y.example>", "DATA"] +
                MSG + [".", "QUIT"])
    out, rc, _ = run(["pipe", RECORD, out_dir, "%s", "%r", "%u", "%d",
                      "-%%-"], data, d)
    check("pipe: second recipient deferred to a new transaction",
          replies(out)[-4], line("R_TOO_MANY_RCPTS"))
    check("pipe: delivered", replies(out)[-2], msg_ok(1))
    check("pipe: stdout of the program never reaches the client",
          "noise" in out, False)
    check("pipe: no shell ran", [os.path.exists(os.path.join(d, f))
                                 for f in ("pwned", "pwned2")],
          [False, False])
    argv, env, msg = recorded(out_dir, 1)
    check("pipe: argv passed literally", argv,
          [sender, rcpt, "`touch pwned2`;rm -rf x", "y.example", "-%-"])
    check("pipe: stdin is Return-Path and the message", msg,
          "Return-Path: <%s>\n" % sender +
          received("c.example", "ESMTP", 1, rcpt) + body(MSG_STORED))
    # what a shell adds when env stands in for /proc/PID/environ
    for k in ("PWD", "SHLVL", "_", "OLDPWD"):
        env.pop(k, None)
    check("pipe: clean environment", env, {
        "SENDER": sender, "RECIPIENT": rcpt,
        "LOCAL": "`touch pwned2`;rm -rf x", "DOMAIN": "y.example",
        "PATH": "/usr/local/bin:/usr/bin:/bin"})
    # exit statuses and the first stderr line
    for status, want in (("75", line("R_PIPE_TEMPFAIL", "mailbox over quota")),
                         ("67", line("R_PIPE_NOUSER", "mailbox over quota")),
                         ("1", line("R_PIPE_FAILED", "mailbox over quota"))):
        with open(out_dir + "/exit", "w") as f:
            f.write(status)
        with open(out_dir + "/stderr", "w") as f:
            f.write("mailbox over quota\nsecond line\n")
        data = crlf(["HELO c.example", "MAIL FROM:<s@x.example>",
                     "RCPT TO:<u@y.example>", "DATA", "hi", ".", "QUIT"])
        out, rc, _ = run(["pipe", RECORD, out_dir], data, d)
        check("pipe: exit %s" % status, replies(out)[-2], want)
    # the client's address, as tcpserver gave it to smtpd (IPv6 without
    # the "IPv6:" of the Received header); none of smtpd's own variables
    os.remove(out_dir + "/exit")
    os.remove(out_dir + "/stderr")
    for given, want in (("192.0.2.9", "192.0.2.9"),
                        ("2001:db8::9", "2001:db8::9")):
        n = len([f for f in os.listdir(out_dir) if f.endswith(".msg")]) + 1
        data = crlf(["HELO c.example", "MAIL FROM:<s@x.example>",
                     "RCPT TO:<u@y.example>", "DATA", "hi", ".", "QUIT"])
        out, rc, _ = run(["pipe", RECORD, out_dir], data, d,
                         extra_env={"TCPREMOTEIP": given, "TCPLOCALIP":
                                    "192.0.2.1"})
        env = recorded(out_dir, n)[1]
        for k in ("PWD", "SHLVL", "_", "OLDPWD"):
            env.pop(k, None)
        check("pipe: client address %s" % given, env, {
            "SENDER": "s@x.example", "RECIPIENT": "u@y.example",
            "LOCAL": "u", "DOMAIN": "y.example", "TCPREMOTEIP": want,
            "PATH": "/usr/local/bin:/usr/bin:/bin"})


def test_rollback(d):
    """A second mailbox over its size limit rolls the first back."""
    first = b"From x Tue Nov 14 22:13:20 2023\n\nold\n\n"
    with open(d + "/a", "wb") as f:
        f.write(first)
    with open(d + "/b", "wb") as f:
        f.write(b"x" * 50000)
    data = crlf(["HELO c.example", "MAIL FROM:<s@x.example>",
                 "RCPT TO:<a@x.example>", "RCPT TO:<b@x.example>", "DATA"] +
                ["line %d of a message that will not fit" % i
                 for i in range(100)] + [".", "QUIT"])
    out, rc, _ = run(["mbox", d + "/%u"], data, d, limit=51200)
    check("rollback: no space (R_NO_SPACE)", replies(out)[-2], NO_SPACE)
    check("rollback: first mailbox byte-identical",
          open(d + "/a", "rb").read(), first)
    check("rollback: second mailbox byte-identical",
          open(d + "/b", "rb").read(), b"x" * 50000)
    check("rollback: no lock files left",
          sorted(os.listdir(d)), ["a", "b"])


def test_concurrency(d):
    """Four writers, 150 pipelined messages each, one mbox."""
    procs = []
    for w in range(4):
        lines = ["EHLO w%d.example" % w]
        for i in range(150):
            lines += ["MAIL FROM:<w%d@x.example>" % w,
                      "RCPT TO:<box@x.example>", "DATA",
                      "Subject: w%d-%d" % (w, i), "",
                      "From writer %d" % w] + \
                     ["message %d line %d" % (i, k) for k in range(20)] + \
                     ["."]
        lines.append("QUIT")
        procs.append(subprocess.Popen(
            [SMTPD, "-n", "mx.example.org", "mbox", d + "/box"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=ENV, cwd=d))
        procs[-1].stdin.write(crlf(lines))
        procs[-1].stdin.close()
    oks = 0
    for p in procs:
        oks += len(re.findall(pattern("R_DATA_OK").encode(),
                              p.stdout.read(), re.M))
        p.wait(timeout=300)
    check("concurrency: 600 replies 250", oks, 600)
    box = mailbox.mbox(d + "/box", create=False)
    seen = {}
    intact = True
    for key in box.keys():
        m = box.get_message(key)
        want = ">From writer %s\n" % m["Subject"][1:].split("-")[0] + \
            "".join("message %s line %d\n" % (m["Subject"].split("-")[1],
                                              k) for k in range(20))
        if m.get_payload() != want:
            intact = False
        seen[m["Subject"]] = seen.get(m["Subject"], 0) + 1
    check("concurrency: 600 distinct messages", len(seen), 600)
    check("concurrency: none twice", max(seen.values()), 1)
    check("concurrency: every body intact", intact, True)


def test_attacks(d):
    os.mkdir(d + "/store")
    with open(d + "/target", "w") as f:
        f.write("precious\n")
    os.symlink(d + "/target", d + "/store/victim")
    data = crlf(["HELO c.example", "MAIL FROM:<s@x.example>",
                 "RCPT TO:<../../etc/x@d.example>",
                 'RCPT TO:<"../../etc/x"@d.example>',
                 'RCPT TO:<".hidden"@d.example>',
                 "RCPT TO:<victim@d.example>", "QUIT"])
    out, rc, _ = run(["mbox", d + "/store/%u"], data, d)
    check("attacks: replies", replies(out)[3:7], [
        line("R_BAD_RCPT"),
        line("R_BAD_LOCAL_PART", '<"../../etc/x"@d.example>'),
        line("R_BAD_LOCAL_PART", '<".hidden"@d.example>'),
        line("R_MAILBOX_BAD")])
    check("attacks: symlink target untouched", read(d + "/target"),
          "precious\n")
    check("attacks: nothing created", sorted(os.listdir(d + "/store")),
          ["victim"])


def test_lmtp(d):
    """smtplib.LMTP over a socketpair: one reply per recipient."""
    with open(d + "/full", "wb") as f:
        f.write(b"x" * 50000)
    ours, theirs = socket.socketpair()
    p = subprocess.Popen([SMTPD, "-l", "-n", "mx.example.org", "mbox",
                          d + "/%u"], stdin=theirs.fileno(),
                         stdout=theirs.fileno(), env=ENV, cwd=d,
                         preexec_fn=child_setup(51200))
    theirs.close()
    lmtp = smtplib.LMTP()
    lmtp.sock = ours
    code, _ = lmtp.getreply()
    check("lmtp: greeting", code, 220)
    check("lmtp: LHLO", lmtp.ehlo("c.example")[0], 250)
    lmtp.mail("s@x.example")
    got = [lmtp.rcpt(r)[0] for r in ("ok@x.example", '".."@x.example',
                                     "full@x.example", "ok2@x.example")]
    check("lmtp: RCPT replies", got, [250, 550, 250, 250])
    msg = crlf(["Subject: lmtp"] + ["padding line %d" % i
                                    for i in range(200)])
    first = lmtp.data(msg)
    rest = [lmtp.getreply() for _ in range(2)]
    check("lmtp: per-recipient replies after DATA",
          [first, rest[0], rest[1]],
          [pair("R_LMTP_DELIVERED", lmtp_delivered("ok@x.example", 1)),
           pair("R_NO_SPACE"),
           pair("R_LMTP_DELIVERED", lmtp_delivered("ok2@x.example", 1))])
    lmtp.quit()
    p.wait(timeout=30)
    check("lmtp: full mailbox unchanged", open(d + "/full", "rb").read(),
          b"x" * 50000)
    box = mailbox.mbox(d + "/ok", create=False)
    check("lmtp: ok got the message", [m["Subject"] for m in box],
          ["lmtp"])


def test_postmaster(d):
    """<postmaster> without a domain has %d = the -n name."""
    data = crlf(["HELO c.example", "MAIL FROM:<>", "RCPT TO:<PostMaster>",
                 "DATA", "Subject: pm", "", "hi", ".", "QUIT"])
    out, rc, _ = run(["mbox", d + "/%u-%d"], data, d)
    check("postmaster: delivered", replies(out)[-2], msg_ok(1))
    check("postmaster: mailbox named by -n", sorted(os.listdir(d)),
          ["postmaster-mx.example.org"])


def test_unsafe_domain(d):
    """A domain literal cannot carry a '/' into a path."""
    data = crlf(["HELO c.example", "MAIL FROM:<s@x.example>",
                 "RCPT TO:<u@[x-tag:/etc]>", "RCPT TO:<u@[1.2.3.4]>",
                 "QUIT"])
    out, rc, _ = run(["maildir", d + "/%d"], data, d)
    check("unsafe domain: replies", replies(out)[3:5], [
        line("R_BAD_DOMAIN_PART", "<u@[x-tag:/etc]>"),
        rcpt_ok("u@[1.2.3.4]")])
    check("unsafe domain: nothing created", os.listdir(d), [])


def test_maildir_rollback(d):
    """A Maildir that fails takes the copy in the other one back."""
    os.makedirs(d + "/b/tmp")
    os.makedirs(d + "/b/cur")
    os.makedirs(d + "/elsewhere")
    os.symlink(d + "/elsewhere", d + "/b/new")
    data = crlf(["HELO c.example", "MAIL FROM:<s@x.example>",
                 "RCPT TO:<a@x.example>", "RCPT TO:<b@x.example>", "DATA",
                 "hi", ".", "QUIT"])
    out, rc, _ = run(["maildir", d + "/%u"], data, d)
    check("maildir rollback: refused", replies(out)[-2],
          line("R_MAILBOX_BAD"))
    check("maildir rollback: a/new empty again", os.listdir(d + "/a/new"),
          [])
    check("maildir rollback: a/tmp empty", os.listdir(d + "/a/tmp"), [])
    check("maildir rollback: nothing through the symlink",
          os.listdir(d + "/elsewhere"), [])


BIG = MSG + ["%05d a line to make the message outgrow the spool's memory"
             % i for i in range(2000)] + ["From the end", "..", "..."]
BIG_STORED = MSG_STORED + BIG[len(MSG):-2] + [".", ".."]


def test_maildir_once(d):
    """A message larger than the spool's memory, to a Maildir that is
    there, is written into its tmp/ file during DATA: no temporary file
    of the spool (TMPDIR names no directory, so none could be made),
    the same bytes as through the spool, nothing left in tmp/.  One
    refused as too large, or in LMTP one not delivered, leaves tmp/ and
    new/ empty."""
    for who in ("a", "c"):
        for sub in ("tmp", "new", "cur"):
            os.makedirs(os.path.join(d, who, sub))
    notmp = {"TMPDIR": os.path.join(d, "no-such-dir")}
    data = crlf(["HELO c.example", "MAIL FROM:<s@example.org>",
                 "RCPT TO:<a@x.example>", "DATA"] + BIG + [".",
                 "MAIL FROM:<s@example.org>", "RCPT TO:<c@x.example>",
                 "RCPT TO:<b@x.example>", "DATA"] + BIG + [".", "QUIT"])
    out, rc, _ = run(["maildir", d + "/%u"], data, d, extra_env=notmp)
    check("maildir once: both delivered without a TMPDIR",
          [x for x in replies(out) if x.startswith("250 2.0.0")],
          [msg_ok(1), msg_ok(2)])
    want = {"a": "Return-Path: <s@example.org>\nDelivered-To: a@x.example\n" +
            received("c.example", "SMTP", 1, "a@x.example") +
            body(BIG_STORED),
            "b": "Return-Path: <s@example.org>\nDelivered-To: b@x.example\n" +
            received("c.example", "SMTP", 2, None) + body(BIG_STORED),
            "c": "Return-Path: <s@example.org>\nDelivered-To: c@x.example\n" +
            received("c.example", "SMTP", 2, None) + body(BIG_STORED)}
    for who in ("a", "b", "c"):
        top = os.path.join(d, who)
        got = [read(top + "/new/" + x) for x in os.listdir(top + "/new")]
        check("maildir once %s: content" % who, got == [want[who]], True)
        check("maildir once %s: tmp/ empty" % who, os.listdir(top + "/tmp"),
              [])
    # a Maildir not there yet is made at delivery only: the spool needs
    # its own file for the first recipient's (here none can be made)
    data = crlf(["HELO c.example", "MAIL FROM:<s@example.org>",
                 "RCPT TO:<e@x.example>", "DATA"] + BIG + [".", "QUIT"])
    out, rc, _ = run(["maildir", d + "/%u"], data, d, extra_env=notmp)
    check("maildir once: a new Maildir needs the spool's file",
          replies(out)[-2], line("R_LOCAL_ERROR"))
    check("maildir once: nothing made for it",
          os.path.exists(d + "/e"), False)
    shutil.rmtree(d + "/a/new")
    os.makedirs(d + "/a/new")
    data = crlf(["HELO c.example", "MAIL FROM:<s@example.org>",
                 "RCPT TO:<a@x.example>", "DATA"] + BIG + [".", "QUIT"])
    out, rc, _ = run(["-s", "80000", "maildir", d + "/%u"], data, d)
    check("maildir once: too big", replies(out)[-2],
          line("R_TOO_BIG", "80000"))
    check("maildir once: too big leaves tmp/ empty", os.listdir(d + "/a/tmp"),
          [])
    check("maildir once: too big leaves new/ empty", os.listdir(d + "/a/new"),
          [])


def test_busy_mailbox(d):
    """A mailbox whose fcntl lock another process holds past the 30
    second wait: smtpd waits in the kernel (F_SETLKW) until its SIGALRM
    ends the wait, answers 451 4.2.0, leaves the mailbox as it was and
    no lock, and goes on with the session (no stray SIGALRM kills it
    afterwards)."""
    import fcntl
    box = os.path.join(d, "box")
    with open(box, "wb") as f:
        f.write(b"From old Tue Nov 14 22:13:20 2023\n\nold\n\n")
    holder = open(box, "r+b")
    fcntl.lockf(holder, fcntl.LOCK_EX)
    data = crlf(["HELO c.example", "MAIL FROM:<s@x.example>",
                 "RCPT TO:<a@x.example>", "DATA", "hi", ".", "NOOP"])
    t0 = time.monotonic()
    p = subprocess.Popen([SMTPD, "-n", "mx.example.org", "mbox", box],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, cwd=d, env=ENV,
                         preexec_fn=child_setup())
    p.stdin.write(data)
    p.stdin.flush()
    got = b""
    busy = (line("R_MAILBOX_BUSY") + "\r\n").encode()
    noop = (line("R_NOOP") + "\r\n").encode()
    while busy not in got or noop not in got.split(busy, 1)[1]:
        b = p.stdout.read1(4096)
        if not b:
            break
        got += b
    waited = time.monotonic() - t0
    holder.close()
    # two seconds after the answer, no alarm of the wait may be left
    time.sleep(2)
    p.stdin.write(crlf(["QUIT"]))
    p.stdin.close()
    got += p.stdout.read()
    rc = p.wait(timeout=60)
    r = replies(got.decode())
    check("busy mailbox: 451 after the data", r[4:6],
          [DATA_GO, line("R_MAILBOX_BUSY")])
    check("busy mailbox: the wait was bounded", 25 <= waited < 60, True)
    check("busy mailbox: the session goes on", r[6:],
          [line("R_NOOP"), line("R_QUIT")])
    check("busy mailbox: exit 0", rc, 0)
    check("busy mailbox: unchanged", read(box),
          "From old Tue Nov 14 22:13:20 2023\n\nold\n\n")
    check("busy mailbox: no lock left", os.path.exists(box + ".lock"), False)


def test_lmtp_pipe(d):
    """LMTP with pipe: one run per distinct recipient, a reply each."""
    out_dir = os.path.join(d, "rec")
    os.mkdir(out_dir)
    data = crlf(["LHLO c.example", "MAIL FROM:<s@x.example>",
                 "RCPT TO:<one@x.example>", "RCPT TO:<two@x.example>",
                 "RCPT TO:<ONE@X.example>", "DATA", "hi", ".", "QUIT"])
    out, rc, _ = run(["-l", "pipe", RECORD, out_dir, "%u"], data, d)
    check("lmtp pipe: a reply per recipient", replies(out)[-4:-1], [
        line("R_LMTP_DELIVERED", lmtp_delivered("one@x.example", 1)),
        line("R_LMTP_DELIVERED", lmtp_delivered("two@x.example", 1)),
        line("R_LMTP_DELIVERED", lmtp_delivered("ONE@X.example", 1))])
    check("lmtp pipe: two runs", sorted(os.listdir(out_dir)),
          ["1.argv", "1.env", "1.msg", "2.argv", "2.env", "2.msg"])
    check("lmtp pipe: arguments", [recorded(out_dir, n)[0]
                                   for n in (1, 2)], [["one"], ["two"]])


def test_pipe_dash(d):
    """An address that would become an option of the program is refused
    where it is given; without %s/%r/%u in the arguments it is fine."""
    out_dir = os.path.join(d, "rec")
    os.mkdir(out_dir)
    data = crlf(["HELO c.example", "MAIL FROM:<-X/tmp/log@x.example>",
                 "MAIL FROM:<s@x.example>", "RCPT TO:<-oQ/tmp@y.example>",
                 'RCPT TO:<"-x"@y.example>', "QUIT"])
    out, rc, _ = run(["pipe", RECORD, out_dir, "%s", "%u"], data, d)
    check("pipe dash: replies", replies(out)[2:6], [
        line("R_DASH_SENDER", "<-X/tmp/log@x.example>"),
        sender_ok("s@x.example"),
        line("R_DASH_RCPT", "<-oQ/tmp@y.example>"),
        line("R_DASH_RCPT", '<"-x"@y.example>')])
    data = crlf(["HELO c.example", "MAIL FROM:<-s@x.example>",
                 "RCPT TO:<-r@y.example>", "QUIT"])
    out, rc, _ = run(["pipe", RECORD, out_dir, "%d"], data, d)
    check("pipe dash: harmless without %s, %r, %u", replies(out)[2:4], [
        sender_ok("-s@x.example"),
        rcpt_ok("-r@y.example")])


def test_kill_mid_append(d):
    """smtpd killed (SIGKILL) half way through a large mbox append: the
    next delivery finds the lock's holder dead, cuts the torn message
    away and delivers at once; Python's mailbox reads both messages."""
    box = d + "/box"
    first = crlf(["HELO c.example", "MAIL FROM:<s@x.example>",
                  "RCPT TO:<box@x.example>", "DATA", "Subject: first", "",
                  "kept", ".", "QUIT"])
    out, rc, _ = run(["mbox", box], first, d)
    before = open(box, "rb").read()
    big = crlf(["HELO c.example", "MAIL FROM:<s@x.example>",
                "RCPT TO:<box@x.example>", "DATA", "Subject: torn", ""] +
               ["%07d a line of a large message to be cut short" % i
                for i in range(1200000)] + ["."])
    torn = False
    for _ in range(5):
        p = subprocess.Popen([SMTPD, "-n", "mx.example.org", "-s",
                              "200000000", "mbox", box],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, env=ENV, cwd=d,
                             preexec_fn=child_setup())
        p.stdin.write(big)
        p.stdin.flush()
        t0 = time.monotonic()
        while p.poll() is None and os.path.getsize(box) <= len(before) \
                and time.monotonic() - t0 < 30:
            time.sleep(0.0002)
        p.kill()
        p.wait()
        p.stdin.close()
        p.stdout.close()
        size = os.path.getsize(box)
        if len(before) < size < len(before) + len(big) // 2 and \
                os.path.exists(box + ".lock"):
            torn = True
            break
    check("kill mid-append: a torn message and its lock left", torn, True)
    t0 = time.monotonic()
    second = crlf(["HELO c.example", "MAIL FROM:<s@x.example>",
                   "RCPT TO:<box@x.example>", "DATA", "Subject: second", "",
                   "whole", ".", "QUIT"])
    out, rc, _ = run(["mbox", box], second, d)
    check("kill mid-append: next delivery at once",
          time.monotonic() - t0 < 10, True)
    check("kill mid-append: next delivery accepted", replies(out)[-2],
          msg_ok(1))
    check("kill mid-append: no lock left", os.path.exists(box + ".lock"),
          False)
    got = open(box, "rb").read()
    check("kill mid-append: torn tail cut, old bytes intact",
          got[:len(before)] == before and b"Subject: torn" not in got, True)
    subjects = [m["Subject"] for m in mailbox.mbox(box, create=False)]
    check("kill mid-append: mailbox reads first and second", subjects,
          ["first", "second"])


def main():
    for test in (test_mbox_per_user, test_maildir, test_pipe,
                 test_rollback, test_concurrency, test_attacks, test_lmtp,
                 test_postmaster, test_unsafe_domain, test_maildir_rollback,
                 test_maildir_once, test_busy_mailbox,
                 test_lmtp_pipe, test_pipe_dash, test_kill_mid_append):
        d = tempfile.mkdtemp(prefix="smtpd-delivery.")
        try:
            test(d)
        except Exception as e:  # a crash in a test is a failure
            results["failed"] += 1
            print("FAIL %s: %r" % (test.__name__, e))
        finally:
            shutil.rmtree(d, ignore_errors=True)
    print("%d passed, %d failed, 0 skipped" % (results["passed"],
                                              results["failed"]))
    sys.exit(1 if results["failed"] else 0)


main()
