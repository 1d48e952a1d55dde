#!/usr/bin/env python3
# ISC license.
"""Several hosts without a balancer, the DNS MX way: Exim as the sending
MTA spreads its queue over three smtpd hosts of equal preference, and
one host dies under it.

Usage: SMTPD=./smtpd python3 tests/proxy/exim_mx.py   (as root)

Three hosts on 127.0.0.2, 127.0.0.3 and 127.0.0.4, one port, each its
own tcpserver running smtpd (as nobody) with its own -n name and TMPDIR,
all delivering into one Maildir, as tests/proxy/run.py sets them up.
Exim (unpacked in /opt/exim by .ci/run, run in a mount namespace of its
own where its user Debian-exim exists, as tests/exim.sh explains) has a
private configuration: a manualroute router listing the three hosts with
"randomize", which is what Exim does with several MX records of one
preference, and a retry rule F,5m,1m.

  queue      EXIM_MX_MESSAGES (200) numbered messages queued with -odq
  exim_mx    three queue runners (exim -qf) at once; the host on
             127.0.0.3 is killed (SIGKILL to tcpserver and its sessions)
             once a third of the messages are stored, and stays dead.
             Runs of exim -qff follow, at most 5, until the queue is
             empty.  Then: every message is in new/ (none partial, none
             left in tmp/ by the live hosts), each exactly once, except
             where exim's mainlog shows a delivery attempt that failed
             after the message was sent (a 250 that never came); exim
             logged one delivery (=>) for each.
  store_down the shared Maildir made unwritable (mode 000) under the
             three hosts: each answers 451 4.3.0 after the data and
             stores nothing, exim keeps the message queued; the mode
             restored, a queue run delivers it once.

Prints "ok NAME" or "FAIL NAME: why" (skipped without root, exim,
tcpserver or unshare -m), the figures as "# ..." lines, then "N passed,
N failed, K skipped".
"""

import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

SMTPD = os.path.abspath(os.environ.get("SMTPD", "./smtpd"))
EXIM = os.environ.get("EXIM", "/opt/exim/usr/sbin/exim4")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from replies import line, pattern  # noqa: E402
from run import Fail, Host, free_port  # noqa: E402

HOSTS = ("127.0.0.2", "127.0.0.3", "127.0.0.4")
MESSAGES = int(os.environ.get("EXIM_MX_MESSAGES", "200"))
RERUNS = 5
FIGURES = []


CONF = """\
exim_path = {exim}
spool_directory = {top}/spool
log_file_path = {top}/log/%slog
primary_hostname = client.example
qualify_domain = client.example
never_users =
trusted_users = root
keep_environment =
begin routers
mx:
  driver = manualroute
  route_list = * "{hosts}" randomize
  transport = smtp
  self = send
begin transports
smtp:
  driver = smtp
  port = {port}
  hosts_avoid_tls = *
begin retry
* * F,5m,1m
"""

WRAPPER = """\
#!/bin/sh
mount --bind {top}/passwd /etc/passwd &&
mount --bind {top}/group /etc/group &&
exec {exim} "$@"
"""


class Setup:
    def __init__(self):
        self.nobody = pwd.getpwnam("nobody")
        self.top = tempfile.mkdtemp(prefix="smtpd-exim-mx.")
        os.chmod(self.top, 0o755)
        uid, gid = self.nobody.pw_uid, self.nobody.pw_gid
        for d in ("spool", "log", "store"):
            os.mkdir(os.path.join(self.top, d))
            os.chown(os.path.join(self.top, d), uid, gid)
        self.store = os.path.join(self.top, "store", "Maildir")
        self.port = free_port()
        # tcpserver as root on its own address, smtpd in it as nobody
        self.hosts = [Host(self.top, i + 1, a, self.port, self.store,
                           launcher=("-u", str(uid), "-g", str(gid)),
                           options=()) for i, a in enumerate(HOSTS)]
        for h in self.hosts:
            os.chown(h.tmp, uid, gid)
        shutil.copy("/etc/passwd", os.path.join(self.top, "passwd"))
        shutil.copy("/etc/group", os.path.join(self.top, "group"))
        with open(os.path.join(self.top, "passwd"), "a") as f:
            f.write("Debian-exim:x:%d:%d::/nonexistent:/usr/sbin/nologin\n"
                    % (uid, gid))
        with open(os.path.join(self.top, "group"), "a") as f:
            f.write("Debian-exim:x:%d:\n" % gid)
        self.conf = os.path.join(self.top, "conf")
        with open(self.conf, "w") as f:
            f.write(CONF.format(exim=EXIM, top=self.top, port=self.port,
                                hosts=" : ".join(HOSTS)))
        self.wrapper = os.path.join(self.top, "exim")
        with open(self.wrapper, "w") as f:
            f.write(WRAPPER.format(top=self.top, exim=EXIM))
        os.chmod(self.wrapper, 0o755)

    def exim(self, *args, stdin=None, wait=True):
        cmd = ["unshare", "-m", self.wrapper, "-C", self.conf] + list(args)
        if not wait:
            return subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
        p = subprocess.run(cmd, input=stdin, capture_output=True,
                           timeout=120)
        if p.returncode != 0:
            raise Fail("exim %s: exit %d: %r" % (" ".join(args),
                                                 p.returncode, p.stderr))
        return p.stdout.decode()

    def queued(self):
        return int(self.exim("-bpc").strip())

    def mainlog(self):
        path = os.path.join(self.top, "log", "mainlog")
        if not os.path.exists(path):
            return []
        with open(path, errors="replace") as f:
            return f.read().splitlines()

    def new(self):
        d = os.path.join(self.store, "new")
        return os.listdir(d) if os.path.isdir(d) else []

    def stop(self):
        for h in self.hosts:
            h.kill()

    def remove(self):
        shutil.rmtree(self.top, ignore_errors=True)


def message(n):
    return ("From: load@client.example\nTo: box@example.org\n"
            "Subject: message %d\nMessage-ID: <%d@load.example>\n\n" %
            (n, n) + "".join("line %d of message %d\n" % (i, n)
                             for i in range(40))).encode()


def queue(s, first, count):
    for n in range(first, first + count):
        s.exim("-odq", "-oi", "-f", "load@client.example",
               "box@example.org", stdin=message(n))


def copies(s):
    """Message number -> copies in new/; a file without its number or
    its whole body is a failure (a partial message)."""
    got = {}
    d = os.path.join(s.store, "new")
    for name in s.new():
        with open(os.path.join(d, name), "rb") as f:
            data = f.read()
        m = re.search(rb"^Message-ID: <(\d+)@load.example>$", data, re.M)
        if not m:
            raise Fail("new/%s: no message number: partial?" % name)
        n = int(m.group(1))
        if not data.endswith(b"line 39 of message %d\n" % n):
            raise Fail("new/%s: message %d cut short" % (name, n))
        got[n] = got.get(n, 0) + 1
    return got


def read_log(lines):
    """From exim's mainlog: exim id -> our number; per number the hosts
    it was delivered to (=>), and the attempts that failed once the
    message had been sent (no reply to the end of the data); the count
    of host errors (a connection refused, then the next host)."""
    number, delivered, after_data = {}, {}, {}
    refused = 0
    for l in lines:
        m = re.search(r" (\S+-\S+-\S+) <= .* id=(\d+)@load.example", l)
        if m:
            number[m.group(1)] = int(m.group(2))
            continue
        m = re.search(r" (\S+-\S+-\S+) => .* H=\S+ \[([\d.]+)\]", l)
        if m:
            delivered.setdefault(m.group(1), []).append(m.group(2))
            continue
        m = re.search(r" (\S+-\S+-\S+) (?:==|\*\*)? ?.*H=\S+ \[([\d.]+)\]"
                      r".*(end of data|BDAT|after pipelined|data block)", l)
        if m:
            after_data.setdefault(m.group(1), []).append(m.group(2))
            continue
        if "Connection refused" in l:
            refused += 1
    by_number = lambda d: {number[k]: v for k, v in d.items() if k in number}
    return by_number(delivered), by_number(after_data), refused


def exim_mx(s):
    queue(s, 1, MESSAGES)
    if s.queued() != MESSAGES:
        raise Fail("%d queued, want %d" % (s.queued(), MESSAGES))
    victim = s.hosts[1]
    t0 = time.monotonic()
    runners = [s.exim("-qf", wait=False) for _ in range(3)]
    killed_at = None
    while any(r.poll() is None for r in runners):
        if killed_at is None and len(s.new()) >= MESSAGES // 3:
            victim.kill()
            killed_at = (len(s.new()), time.monotonic())
        time.sleep(0.005)
    if killed_at is None:
        raise Fail("the queue ran before the kill: make it longer")
    reruns = 0
    while s.queued() and reruns < RERUNS:
        s.exim("-qff")
        reruns += 1
    secs = time.monotonic() - t0
    left = s.queued()
    if left:
        raise Fail("%d messages still queued after %d reruns" % (left,
                                                                 reruns))
    got = copies(s)
    delivered, after_data, refused = read_log(s.mainlog())
    missing = [n for n in range(1, MESSAGES + 1) if n not in got]
    if missing:
        raise Fail("not stored: %s" % missing[:10])
    dup = 0
    for n, k in got.items():
        if k > 1:
            dup += k - 1
            if len(after_data.get(n, [])) < k - 1:
                raise Fail("message %d stored %d times; exim saw only %d "
                           "failures after the data" %
                           (n, k, len(after_data.get(n, []))))
    once = [n for n in range(1, MESSAGES + 1)
            if len(delivered.get(n, [])) == 1]
    if len(once) != MESSAGES:
        raise Fail("exim logged %d messages delivered once, want %d" %
                   (len(once), MESSAGES))
    spread = {a: sum(1 for v in delivered.values() if v[0] == a)
              for a in HOSTS}
    tmp = [f for h in s.hosts
           for f in os.listdir(os.path.join(s.store, "tmp"))
           if h is not victim and h.name in f]
    if tmp:
        raise Fail("left in tmp/ by a live host: %s" % tmp[:5])
    FIGURES.append(
        "exim_mx: %d messages, 3 queue runners then %d -qff run%s, %.1f s; "
        "killed %s at %d stored (%.1f s in); delivered by host %s; "
        "connections refused (then the next host) %d; attempts that "
        "failed after the data %d; stored once %d, extra copies %d, "
        "files of the dead host left in tmp/ %d" %
        (MESSAGES, reruns, "" if reruns == 1 else "s", secs, victim.name,
         killed_at[0], killed_at[1] - t0,
         ", ".join("%s %d" % (a, k) for a, k in spread.items()), refused,
         sum(len(v) for v in after_data.values()),
         sum(1 for k in got.values() if k == 1), dup,
         len(os.listdir(os.path.join(s.store, "tmp")))))


def end_of_data(h):
    """One message straight to host h: the reply to its end of data."""
    with socket.create_connection((h.addr, h.port), timeout=10) as c:
        f = c.makefile("rb")

        def reply():
            while True:
                l = f.readline().decode()
                if l[3:4] != "-":
                    return l.rstrip("\r\n")

        reply()
        for cmd in ("EHLO c.example", "MAIL FROM:<a@c.example>",
                    "RCPT TO:<box@example.org>", "DATA"):
            c.sendall(cmd.encode() + b"\r\n")
            r = reply()
            if not r.startswith(("2", "3")):
                return r
        c.sendall(b"Subject: store down\r\n\r\nbody\r\n.\r\n")
        r = reply()
        c.sendall(b"QUIT\r\n")
        return r


def store_down(s):
    """The shared store fails: every host defers, exim queues."""
    queue(s, 1, 1)
    s.exim("-qf")     # creates the Maildir, delivers message 1
    if len(s.new()) != 1:
        raise Fail("first message not delivered")
    os.chmod(s.store, 0)
    try:
        queue(s, 2, 1)
        for h in s.hosts:
            code = end_of_data(h)
            if not re.match(pattern("R_LOCAL_ERROR"), code):
                raise Fail("%s: %r after the data, want 451 4.3.0" %
                           (h.name, code))
        s.exim("-qf")
        left = s.queued()
        deferred = set(re.findall(
            r"H=\S+ \[([\d.]+)\]: SMTP error from remote mail server "
            r"after (?:pipelined )?end of data: " +
            re.escape(line("R_LOCAL_ERROR")), "\n".join(s.mainlog())))
        stored_down = (len(s.new()),
                       len(os.listdir(os.path.join(s.store, "tmp"))))
    finally:
        os.chmod(s.store, 0o700)
    if left != 1:
        raise Fail("%d queued with the store down, want 1" % left)
    if stored_down != (1, 0):
        raise Fail("with the store down: %d in new/, %d in tmp/" %
                   stored_down)
    if deferred != set(HOSTS):
        raise Fail("exim saw 451 after the data from %s only" %
                   sorted(deferred))
    code = " ".join(line("R_LOCAL_ERROR").split()[:2])
    for h in s.hosts:
        if "not delivered: " + code not in h.log():
            raise Fail("%s logged no deferral" % h.name)
    s.exim("-qff")
    if s.queued() != 0 or len(s.new()) != 2:
        raise Fail("after the store came back: %d queued, %d stored" %
                   (s.queued(), len(s.new())))
    if sorted(copies(s)) != [1, 2]:
        raise Fail("stored %r" % copies(s))
    FIGURES.append("store_down: Maildir mode 000: each of 3 hosts answered "
                   "%s after the data (a session by hand, and exim trying "
                   "all %d in one run), nothing stored; exim kept the "
                   "message queued and delivered it once when the mode came "
                   "back" % (code, len(deferred)))


def main(argv):
    why = None
    if os.geteuid() != 0:
        why = "not root (exim runs in a mount namespace of its own)"
    elif not os.access(EXIM, os.X_OK):
        why = "no %s (.ci/run unpacks exim4-daemon-light there)" % EXIM
    elif not shutil.which("tcpserver"):
        why = "no tcpserver (apt-get install ucspi-tcp)"
    elif subprocess.run(["unshare", "-m", "true"],
                        capture_output=True).returncode != 0:
        why = "unshare -m is not allowed here"
    cases = [c for c in (exim_mx, store_down)
             if not argv or c.__name__ in argv]
    passed = failed = skipped = 0
    for fn in cases:
        if why:
            print("skip %s: %s" % (fn.__name__, why))
            skipped += 1
            continue
        s = Setup()
        try:
            for h in s.hosts:
                h.start()
            fn(s)
            print("ok %s" % fn.__name__)
            passed += 1
        except Exception as e:  # a crash in a case is that case's failure
            print("FAIL %s: %s" % (fn.__name__, e))
            for l in s.mainlog()[-15:]:
                print("\t| " + l)
            failed += 1
        finally:
            s.stop()
            if os.environ.get("KEEP"):
                print("# kept %s" % s.top)
            else:
                s.remove()
        sys.stdout.flush()
    for f in FIGURES:
        print("# " + f)
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
