#!/usr/bin/env python3
# ISC license.
"""rblsmtpd (ucspi-tcp) in front of smtpd under tcpserver, as in the
recipe of smtpd.8 EXAMPLES: a listed client gets rblsmtpd's refusal and
smtpd never starts; an unlisted one is delivered; a lookup that fails
(SERVFAIL) lets the client through with -C (fail open, the default) and
refuses it with 451 under -c (fail closed).  -B gives 451 to a listed
client, -b 553.

The DNS server is a stand-in, in Python, on UDP 127.0.0.1:53, and
rblsmtpd is told to ask it alone (DNSCACHEIP=127.0.0.1).  The whole
test runs in a network namespace of its own (unshare -n) whose only
interface is the loopback, so no query can leave the machine and port
53 is free whatever the host runs.  That needs root; without root, or
without unshare, tcpserver or rblsmtpd, every case is skipped and
counted so.  Clients connect from 127.0.0.2 (listed), 127.0.0.3 (not
listed) and 127.0.0.4 (its lookup gets SERVFAIL).
Usage: SMTPD=./smtpd python3 tests/mx/rbl.py
"""

import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, TESTS)
SMTPD = os.path.abspath(os.environ.get("SMTPD", "./smtpd"))
ZONE = "rbl.test"
LISTED, CLEAN, BROKEN = "127.0.0.2", "127.0.0.3", "127.0.0.4"
TXT = "listed in rbl.test, see http://rbl.test/"
NAMES = {"listed": LISTED, "not listed": CLEAN, "SERVFAIL": BROKEN}

from tally import check, results  # noqa: E402


# (rblsmtpd options, who, what the reply to RCPT starts with: None for
# smtpd's own 250, and the message delivered)
CASES = [
    (["-B", "-C"], "listed", "451 "),
    (["-B", "-C"], "not listed", None),
    (["-B", "-C"], "SERVFAIL", None),
    (["-b", "-c"], "listed", "553 "),
    (["-b", "-c"], "not listed", None),
    (["-b", "-c"], "SERVFAIL", "451 "),
]


def skip_all(why):
    for opts, who, _ in CASES:
        results["skipped"] += 1
        print("skip rblsmtpd %s, %s: %s" % (" ".join(opts), who, why))


def reverse(ip):
    return ".".join(reversed(ip.split("."))) + "." + ZONE


class FakeDNS(threading.Thread):
    """Answers A and TXT for LISTED under ZONE, SERVFAIL for BROKEN,
    NXDOMAIN for the rest; keeps the names asked."""

    def __init__(self):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 53))
        self.asked = []

    def run(self):
        while True:
            try:
                q, peer = self.sock.recvfrom(512)
            except OSError:
                return
            r = self.answer(q)
            if r is not None:
                self.sock.sendto(r, peer)

    def answer(self, q):
        if len(q) < 17:
            return None
        qid, = struct.unpack("!H", q[:2])
        i, labels = 12, []
        while i < len(q) and q[i] != 0:
            labels.append(q[i + 1:i + 1 + q[i]].decode("ascii", "replace"))
            i += 1 + q[i]
        question = q[12:i + 5]
        if i + 5 > len(q):
            return None
        qtype, = struct.unpack("!H", q[i + 1:i + 3])
        name = ".".join(labels).lower()
        self.asked.append((name, qtype))
        rcode, answers = 3, b""	# NXDOMAIN
        if name == reverse(BROKEN):
            rcode = 2	# SERVFAIL
        elif name == reverse(LISTED):
            rcode = 0
            if qtype == 1:	# A
                data = socket.inet_aton("127.0.0.2")
            else:		# TXT
                data = bytes([len(TXT)]) + TXT.encode()
            if qtype in (1, 16):
                answers = b"\xc0\x0c" + struct.pack(
                    "!HHIH", qtype, 1, 60, len(data)) + data
        flags = 0x8180 | rcode	# a response, recursion available
        return struct.pack("!HHHHHH", qid, flags, 1,
                           1 if answers else 0, 0, 0) + question + answers


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_listen(port):
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def session(src, port, rcpt):
    """The replies to greeting, EHLO, MAIL, RCPT, DATA, the message and
    QUIT (first lines only), from source address src."""
    s = socket.socket()
    s.settimeout(20)
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    f = s.makefile("rb")

    def reply():
        while True:
            ln = f.readline().decode("utf-8", "replace").rstrip("\r\n")
            if not ln or ln[3:4] != "-":
                return ln

    got = [reply()]
    for cmd in ("EHLO client.test", "MAIL FROM:<s@client.test>",
                "RCPT TO:<%s>" % rcpt, "DATA"):
        s.sendall((cmd + "\r\n").encode())
        got.append(reply())
    if got[-1].startswith("354"):
        s.sendall(b"Subject: rbl\r\n\r\nbody\r\n.\r\n")
        got.append(reply())
    s.sendall(b"QUIT\r\n")
    got.append(reply())
    s.close()
    return got


def run_cases(d):
    dns = FakeDNS()
    dns.start()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
           "DNSCACHEIP": "127.0.0.1"}
    for opts, who, refused in CASES:
        name = "rblsmtpd %s, %s" % (" ".join(opts), who)
        box = os.path.join(d, "box.%d" % len(dns.asked))
        log = os.path.join(d, "tcpserver.log")
        port = free_port()
        with open(log, "wb") as lf:
            p = subprocess.Popen(
                ["tcpserver", "-v", "-R", "-H", "-l", "0", "127.0.0.1",
                 str(port), "rblsmtpd"] + opts + ["-r", ZONE, SMTPD, "-e",
                 "-u", "nobody", "-n", "mx.test", "mbox", box],
                stdout=lf, stderr=subprocess.STDOUT, env=env)
        try:
            if not wait_listen(port):
                check(name + ": tcpserver listens", False, True)
                continue
            asked = len(dns.asked)
            got = session(NAMES[who], port, "u@example.org")
            time.sleep(0.2)	# for the logs of the session's end
        finally:
            p.terminate()
            p.wait()
        with open(log, encoding="utf-8", errors="replace") as f:
            text = f.read()
        check(name + ": asked the stand-in for the client's TXT",
              (reverse(NAMES[who]), 16) in dns.asked[asked:], True)
        # the probe of wait_listen started one smtpd from 127.0.0.1
        ran = "connection from %s" % NAMES[who] in text
        if refused is None:
            check(name + ": delivered", (got[-2][:3], ran,
                  os.path.exists(box)), ("250", True, True))
        else:
            # rblsmtpd's own SMTP: 250 to MAIL, the refusal at RCPT
            check(name + ": refused before smtpd", (got[3][:4], ran,
                  os.path.exists(box)), (refused, False, False))
    names = {n for n, _ in dns.asked}
    check("every query was for the zone", all(
        n.endswith("." + ZONE) for n in names), True)
    dns.sock.close()


def main():
    if os.environ.get("RBL_NETNS") != "1":
        missing = [x for x in ("unshare", "tcpserver", "rblsmtpd", "ip")
                   if shutil.which(x) is None]
        if os.geteuid() != 0:
            skip_all("needs root for a network namespace and port 53")
        elif missing:
            skip_all("no " + ", ".join(missing))
        elif subprocess.run(["unshare", "-n", "true"]).returncode != 0:
            skip_all("unshare -n failed")
        else:
            env = dict(os.environ, RBL_NETNS="1")
            return subprocess.run(["unshare", "-n", sys.executable,
                                   os.path.abspath(__file__)],
                                  env=env).returncode
        print("%d passed, %d failed, %d skipped" % (
            results["passed"], results["failed"], results["skipped"]))
        return 0
    # inside the namespace: the loopback is down until brought up
    if subprocess.run(["ip", "link", "set", "lo", "up"]).returncode != 0:
        print("FAIL the namespace's loopback would not come up")
        return 1
    d = tempfile.mkdtemp(prefix="smtpd-rbl.")
    os.chmod(d, 0o777)
    try:
        run_cases(d)
    except Exception as e:  # one broken case must not hide the count
        results["failed"] += 1
        print("FAIL rblsmtpd: %r" % e)
    shutil.rmtree(d)
    print("%d passed, %d failed, %d skipped" % (
        results["passed"], results["failed"], results["skipped"]))
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
