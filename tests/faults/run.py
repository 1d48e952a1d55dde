#!/usr/bin/env python3
# ISC license.
"""Fault and crash injection over the delivery path, through the real
binary with tests/helpers/fault.c preloaded.

For each scenario (mbox, Maildir, two mboxes in one transaction, two
Maildirs, pipe) a clean run counts the calls of each faulted function;
then every call in turn fails with each errno it can return (faults),
and is a SIGKILL instead (crashes).  After a fault: the reply is 250
only if every copy is stored whole, else 4xx or 5xx and every mailbox
byte-identical; no lock, no tmp/ file, no child left.  After a crash:
a message that got 250 is there; the next delivery (tmp/ files aged
past 36 hours first) gets 250, leaves no lock nor tmp/ file, and every
mailbox holds only whole messages, read by Python's mailbox module and
s-nail.  A copy stored without its 250 (the client retries, so the
message arrives twice) is counted as the duplicate window, not a loss.

Usage: SMTPD=./smtpd FAULT_SO=build/fault.so python3 tests/faults/run.py
Prints the failures, the figures, and "N passed, N failed, 0 skipped".
"""

import errno
import mailbox
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

SMTPD = os.path.abspath(os.environ.get("SMTPD", "./smtpd"))
SHIM = os.path.abspath(os.environ.get("FAULT_SO", "build/fault.so"))
TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COPY = os.path.join(TESTS, "helpers", "pipe-copy.sh")
BASE_ENV = {"PATH": "/usr/bin:/bin", "SMTPD_FAKE_TIME": "1700000000",
            "TZ": "UTC"}
for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
    if k in os.environ:
        BASE_ENV[k] = os.environ[k]

E = errno
CALLS = {
    "open": [E.EIO, E.EINTR],
    "openat": [E.ENOSPC, E.EDQUOT, E.EIO, E.EINTR],
    "mkdirat": [E.ENOSPC, E.EDQUOT, E.EIO],
    "mkstemp": [E.ENOSPC, E.EIO],
    "write": [E.EIO, E.ENOSPC, E.EDQUOT, E.EINTR],
    "pwrite": [E.EIO, E.ENOSPC, E.EDQUOT, E.EINTR],
    "read": [E.EIO, E.EINTR],
    "pread": [E.EIO, E.EINTR],
    "fsync": [E.EIO, E.ENOSPC, E.EDQUOT, E.EINTR],
    "ftruncate": [E.EIO, E.EINTR],
    "fcntl": [E.ENOLCK, E.EINTR],
    "linkat": [E.EIO, E.ENOSPC, E.EDQUOT],
    "renameat": [E.EIO, E.ENOSPC, E.EDQUOT],
    "unlinkat": [E.EIO],
    "unlink": [E.EIO],
    "fork": [E.EAGAIN],
    "pipe": [E.EMFILE],
    "dup2": [E.EINTR],
    "execve": [E.EIO, E.ENOMEM],
    "poll": [E.EINTR],
    "waitpid": [E.EINTR],
}

results = {"passed": 0, "failed": 0}
figures = {"points": 0, "faults": 0, "crashes": 0, "lost": 0, "torn": 0,
           "left": 0, "dup": 0, "lockwin": 0,
           "recovered": 0, "orphans": 0}
failures = []


def fail(what):
    results["failed"] += 1
    failures.append(what)


def session(rcpts, subject, body_lines):
    lines = ["EHLO c.example", "MAIL FROM:<s@x.example>"]
    lines += ["RCPT TO:<%s@x.example>" % r for r in rcpts]
    lines += ["DATA", "Subject: " + subject, ""] + body_lines + [".", "QUIT"]
    return "".join(x + "\r\n" for x in lines).encode()


BODY = ["From the start", "line %d" % 1] + \
    ["%05d filler for more than one write" % i for i in range(3000)]


def final_code(out):
    """The reply to the message's end: the first after 354, or None."""
    lines = [x for x in out.decode("utf-8", "replace").split("\r\n") if x]
    for i, x in enumerate(lines):
        if x.startswith("354"):
            return int(lines[i + 1][:3]) if i + 1 < len(lines) else None
    return None


def run_smtpd(args, data, cwd, fault=None):
    env = dict(BASE_ENV)
    report = os.path.join(cwd, "fault.report")
    if fault is not None:
        env.update({"LD_PRELOAD": SHIM, "FAULT_CALL": fault[0],
                    "FAULT_NTH": str(fault[1]), "FAULT_ERRNO": str(fault[2]),
                    "FAULT_REPORT": report})
        if fault[3]:
            env["FAULT_KILL"] = "1"
        if os.path.exists(report):
            os.unlink(report)
    p = subprocess.run([SMTPD, "-n", "mx.example.org"] + args, input=data,
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                       cwd=cwd, env=env, timeout=120)
    fired = 0
    count = None
    if fault is not None and os.path.exists(report):
        for x in open(report).read().split("\n"):
            w = x.split()
            if len(w) == 3 and w[0] == "fired":
                fired = 1
            elif len(w) == 3 and w[0] == "count":
                count = int(w[2])
    return p.stdout, p.returncode, fired, count


def snapshot(root):
    """Every file under root (but our own), path -> bytes."""
    snap = {}
    for d, dirs, files in os.walk(root):
        for f in files:
            path = os.path.join(d, f)
            rel = os.path.relpath(path, root)
            if rel in ("fault.report",) or rel.startswith("pipe-out"):
                continue
            with open(path, "rb") as fh:
                snap[rel] = fh.read()
    return snap


def pipe_children(marker):
    """Processes whose command line holds marker."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                if marker.encode() in f.read():
                    found.append(int(pid))
        except OSError:
            pass
    return found


class Scenario:
    """One delivery layout: how to prepare it, run it, and judge it."""

    def __init__(self, name, method, rcpts):
        self.name, self.method, self.rcpts = name, method, rcpts

    def prepare(self, d):
        self.d = d
        if self.method == "mbox":
            for r in self.rcpts:
                with open(os.path.join(d, r), "wb") as f:
                    f.write(b"From old Tue Nov 14 22:13:20 2023\n\nold\n\n")
            return ["mbox", d + "/%u"]
        if self.method == "maildir":
            return ["maildir", d + "/%u"]
        self.marker = os.path.join(d, "pipe-out")
        return ["pipe", COPY, self.marker]

    def stores(self):
        """What each mailbox holds: name -> list of whole messages."""
        out = {}
        for r in self.rcpts:
            if self.method == "mbox":
                p = os.path.join(self.d, r)
                out[r] = [bytes(m) for m in mailbox.mbox(p, create=False)]
            elif self.method == "maildir":
                p = os.path.join(self.d, r)
                if not os.path.isdir(p):
                    out[r] = []
                    continue
                if all(os.path.isdir(os.path.join(p, x))
                       for x in ("tmp", "new", "cur")):
                    md = mailbox.Maildir(p, factory=None, create=False)
                    out[r] = sorted(bytes(md.get_message(k))
                                    for k in md.keys())
                    continue
                # killed while making it: read what there is
                out[r] = sorted(open(os.path.join(p, x, f), "rb").read()
                                for x in ("new", "cur")
                                if os.path.isdir(os.path.join(p, x))
                                for f in os.listdir(os.path.join(p, x)))
            else:
                p = self.marker
                out[r] = [open(p, "rb").read()] if os.path.exists(p) else []
        return out

    def leftovers(self):
        """Locks, lock record files, tmp/ files and children left
        behind."""
        left = []
        for d, dirs, files in os.walk(self.d):
            for f in files:
                if f.endswith(".lock") or is_record_file(f):
                    left.append(os.path.join(d, f))
                if os.path.basename(d) == "tmp":
                    left.append(os.path.join(d, f))
        if self.method == "pipe":
            left += ["pid %d" % p for p in pipe_children(self.marker)]
        return left


def clean_reference(sc, args_of):
    """One run without faults: the stores after a whole delivery."""
    d = tempfile.mkdtemp(prefix="smtpd-faults.")
    try:
        args = sc.prepare(d)
        out, rc, _, _ = run_smtpd(args, session(sc.rcpts, "one", BODY), d)
        if final_code(out) != 250:
            fail("%s: the clean run got %r" % (sc.name, out[-200:]))
        return sc.stores()
    finally:
        shutil.rmtree(d, ignore_errors=True)


def count_calls(sc, call):
    d = tempfile.mkdtemp(prefix="smtpd-faults.")
    try:
        args = sc.prepare(d)
        _, _, _, count = run_smtpd(args, session(sc.rcpts, "one", BODY), d,
                                   (call, 0, 0, False))
        return count or 0
    finally:
        shutil.rmtree(d, ignore_errors=True)


def try_fault(sc, call, n, err, whole):
    d = tempfile.mkdtemp(prefix="smtpd-faults.")
    try:
        args = sc.prepare(d)
        before = sc.stores()
        snap = snapshot(d)
        out, rc, fired, _ = run_smtpd(args, session(sc.rcpts, "one", BODY),
                                      d, (call, n, err, False))
        if not fired:
            return
        figures["faults"] += 1
        what = "%s: %s #%d %s" % (sc.name, call, n, errno.errorcode[err])
        code = final_code(out)
        time.sleep(0.01) if sc.method == "pipe" else None
        ok = True
        if code == 250:
            if sc.stores() != whole:
                fail(what + ": 250 but not stored whole")
                figures["torn"] += 1
                ok = False
        else:
            if code is not None and not 400 <= code < 600:
                fail(what + ": reply %r" % code)
                ok = False
            if snapshot(d) != snap and sc.method != "pipe":
                fail(what + ": refused (%r) but a mailbox changed" % code)
                figures["torn"] += 1
                ok = False
            if sc.method == "pipe" and sc.stores() != before:
                # a pipe run cannot be taken back: stored without 250
                figures["dup"] += 1
        left = sc.leftovers()
        if left and call in ("unlink", "unlinkat") and \
                all(x.endswith(".lock") or "/tmp/" in x or
                    is_record_file(os.path.basename(x)) for x in left):
            # the removal itself failed: the next delivery must take
            # the lock over (its holder is gone) and cut nothing, or
            # remove the tmp/ file once it is 36 hours old
            kept = sc.stores()
            age_tmp(d)
            out2, _, _, _ = run_smtpd(args, session(sc.rcpts, "two",
                                                    ["next"]), d)
            after = sc.stores()
            if final_code(out2) != 250 or sc.leftovers() or any(
                    m not in after[r] for r in sc.rcpts for m in kept[r]):
                fail(what + ": the next delivery did not recover")
                ok = False
            else:
                figures["recovered"] += 1
            left = []
        if left:
            fail(what + ": left behind %r" % left)
            figures["left"] += 1
            ok = False
        if ok:
            results["passed"] += 1
    finally:
        shutil.rmtree(d, ignore_errors=True)


def is_record_file(name):
    """A lock's record before it is linked to the lock: .P.lock.PID.HOST
    (lockrecord.c)."""
    return re.match(r"^\..+\.lock\.[0-9]+\.[^/]+$", name) is not None


def age_tmp(root):
    old = time.time() - 37 * 3600
    for d, dirs, files in os.walk(root):
        if os.path.basename(d) == "tmp":
            for f in files:
                os.utime(os.path.join(d, f), (old, old))


def snail_reads(path, n):
    """Whether s-nail reads path as an mbox of n messages."""
    if shutil.which("s-nail") is None:
        return True
    p = subprocess.run(["s-nail", "-:/", "-H", "-f", path],
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT,
                       env={"PATH": BASE_ENV["PATH"], "HOME": "/nonexistent",
                            "LC_ALL": "C"}, timeout=60)
    return p.returncode == 0 and len(p.stdout.splitlines()) == n


def empty_locks(root):
    """Locks without a record.  smtpd links a lock to its record
    (lockrecord.c), so none may be empty, even killed at any point:
    an empty one would hold every delivery up for 5 minutes."""
    return [f for f in os.listdir(root)
            if f.endswith(".lock") and
            os.path.getsize(os.path.join(root, f)) == 0]


def try_crash(sc, call, n, whole, nexts):
    d = tempfile.mkdtemp(prefix="smtpd-faults.")
    try:
        args = sc.prepare(d)
        before = sc.stores()
        out, rc, fired, _ = run_smtpd(args, session(sc.rcpts, "one", BODY),
                                      d, (call, n, 0, True))
        if not fired:
            return
        figures["crashes"] += 1
        what = "%s: SIGKILL at %s #%d" % (sc.name, call, n)
        got250 = final_code(out) == 250
        time.sleep(0.05) if sc.method == "pipe" else None
        for pid in (pipe_children(sc.marker) if sc.method == "pipe" else []):
            figures["orphans"] += 1   # the known pipe window: see docs
            os.kill(pid, 9)
        stored = sc.stores()
        if got250 and stored != whole:
            fail(what + ": 250 but the message is not whole")
            figures["lost"] += 1
            return
        age_tmp(d)
        empty = empty_locks(d)
        if empty:
            fail(what + ": an empty lock %r" % empty)
            figures["lockwin"] += len(empty)
            return
        if sc.method == "pipe":
            results["passed"] += 1
            if stored != before:
                figures["dup"] += 1
            return
        out2, _, _, _ = run_smtpd(args, session(sc.rcpts, "two", ["next"]),
                                  d)
        ok = True
        if final_code(out2) != 250:
            fail(what + ": the next delivery got %r" % out2[-120:])
            ok = False
        left = sc.leftovers()
        if left:
            fail(what + ": the next delivery left %r" % left)
            figures["left"] += 1
            ok = False
        after = sc.stores()
        for r in sc.rcpts:
            want_no = sorted(before[r] + nexts[r])
            want_yes = sorted(whole[r] + [m for m in nexts[r]])
            # whole[r] already holds before[r]
            got = sorted(after[r])
            if got == want_no:
                if got250:
                    fail(what + ": %s lost a message that got 250" % r)
                    figures["lost"] += 1
                    ok = False
            elif got == sorted(want_yes):
                if not got250:
                    figures["dup"] += 1
            else:
                fail(what + ": %s holds a torn or extra message" % r)
                figures["torn"] += 1
                ok = False
            if sc.method == "mbox" and not snail_reads(
                    os.path.join(d, r), len(got)):
                fail(what + ": s-nail cannot read %s" % r)
                ok = False
        if ok:
            results["passed"] += 1
    finally:
        shutil.rmtree(d, ignore_errors=True)


def next_only(sc):
    """What the next delivery alone adds to each mailbox."""
    d = tempfile.mkdtemp(prefix="smtpd-faults.")
    try:
        args = sc.prepare(d)
        before = sc.stores()
        run_smtpd(args, session(sc.rcpts, "two", ["next"]), d)
        after = sc.stores()
        return {r: [m for m in after[r] if m not in before[r]]
                for r in sc.rcpts}
    finally:
        shutil.rmtree(d, ignore_errors=True)


def main():
    if "ASAN_OPTIONS" in os.environ:
        # LD_PRELOAD before the ASan runtime: not under make sanitize
        print("SKIP: the fault shim under the sanitizers (LD_PRELOAD "
              "before the ASan runtime)")
        print("0 passed, 0 failed, 1 skipped")
        return
    if not os.path.exists(SHIM):
        print("SKIP: no %s (make %s)" % (SHIM, SHIM))
        print("0 passed, 0 failed, 1 skipped")
        return
    only = os.environ.get("FAULT_SCENARIOS", "").split()
    scenarios = [Scenario("mbox", "mbox", ["a"]),
                 Scenario("maildir", "maildir", ["a"]),
                 Scenario("mbox x2", "mbox", ["a", "b"]),
                 Scenario("maildir x2", "maildir", ["a", "b"]),
                 Scenario("pipe", "pipe", ["a"])]
    t0 = time.monotonic()
    for sc in scenarios:
        if only and sc.method not in only:
            continue
        whole = clean_reference(sc, None)
        nexts = next_only(sc)
        for call, errs in CALLS.items():
            total = count_calls(sc, call)
            figures["points"] += total
            for n in range(1, total + 1):
                for err in errs:
                    try_fault(sc, call, n, err, whole)
                try_crash(sc, call, n, whole, nexts)
    for f in failures:
        print("FAIL " + f)
    print("faults: %(points)d points, %(faults)d faults, %(crashes)d "
          "crashes; lost %(lost)d, torn %(torn)d, left behind %(left)d; "
          "stored without a 250 (duplicate window) %(dup)d; empty locks "
          "(age rule) %(lockwin)d; a lock or tmp/ file whose removal failed, "
          "removed by the next delivery %(recovered)d; pipe programs running "
          "on after smtpd's SIGKILL %(orphans)d" % figures)
    print("took %.0f s" % (time.monotonic() - t0))
    print("%d passed, %d failed, 0 skipped" % (results["passed"],
                                              results["failed"]))
    sys.exit(1 if results["failed"] else 0)


main()
