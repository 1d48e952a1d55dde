#!/usr/bin/env python3
# ISC license.
"""The PROXY protocol (proxy.c) and smtpd on several hosts behind HAProxy.

Usage: SMTPD=./smtpd python3 tests/proxy/run.py [NAME...]

Session cases run smtpd on pipes, the launcher's address given as
TCPREMOTEIP as tcpserver gives it: a header from a -P source, refused
headers (nothing is sent, one log line), a header from anywhere else
(an unknown command, never a client address), and the client a pipe
program is told (TCPREMOTEIP, recorded by tests/helpers/record.sh).

The host cases simulate three MX hosts on 127.0.0.2, 127.0.0.3 and
127.0.0.4, each its own tcpserver running smtpd with its own -n name
and TMPDIR, all delivering into one Maildir (standing in for NFS),
behind HAProxy (the Debian package) started here with a private
configuration on 127.0.0.1.  Clients connect from 127.0.0.9, so an
address that is not HAProxy's shows in Received.  No traffic leaves
127.0.0.0/8.

  haproxy_v1, haproxy_v2   the Received line names the client
  haproxy_health           check-send-proxy health checks (v2 LOCAL)
                           keep every host UP
  direct_spoof             a client that skips HAProxy cannot spoof
  throughput               messages a second through 1, 2 and 3 hosts
  failover                 20 clients, 2000 numbered messages; one host
                           killed (SIGKILL, launcher and sessions) at
                           half-way and restarted later: every message
                           that got a 250 is stored, byte-identical;
                           copies beyond one only where a reply was lost

Prints "ok NAME" or "FAIL NAME: why" (skipped without HAProxy or
tcpserver), the figures as "# ..." lines, then "N passed, N failed,
K skipped".
"""

import os
import queue
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

SMTPD = os.path.abspath(os.environ.get("SMTPD", "./smtpd"))
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from replies import line, pattern  # noqa: E402

HOSTS = ("127.0.0.2", "127.0.0.3", "127.0.0.4")
CLIENT = "127.0.0.9"     # where the test's clients connect from
BALANCER = "127.0.0.1"   # HAProxy, listening and connecting
SIG = b"\r\n\r\n\x00\r\nQUIT\n"
FAILOVER_MESSAGES = int(os.environ.get("FAILOVER_MESSAGES", "2000"))
FAILOVER_CLIENTS = 20


class Fail(Exception):
    pass


class Skip(Exception):
    pass


def crlf(*lines):
    return b"".join(l.encode() + b"\r\n" for l in lines)


def v2(cmd, fam, payload):
    return SIG + bytes([0x20 | cmd, fam]) + struct.pack(">H",
                                                        len(payload)) + payload


def v2_tcp4(src, dst, sport, dport):
    return v2(1, 0x11, socket.inet_aton(src) + socket.inet_aton(dst) +
              struct.pack(">HH", sport, dport))


# ---------------------------------------------------------- sessions on pipes

def session(tmp, args, data, peer="127.0.0.1", timeout=20, method=None):
    """One smtpd on pipes, into tmp/Maildir or by method (a list);
    returns (stdout, stderr lines, exit status)."""
    store = os.path.join(tmp, "Maildir")
    spool = os.path.join(tmp, "tmp")
    os.makedirs(spool, exist_ok=True)
    env = {"PATH": "/usr/bin:/bin", "TZ": "UTC", "TMPDIR": spool,
           "SMTPD_FAKE_TIME": "1700000000"}
    if peer is not None:
        env["TCPREMOTEIP"] = peer
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
        if k in os.environ:
            env[k] = os.environ[k]
    p = subprocess.run([SMTPD, "-e", "-n", "mx.example.org"] + args +
                       (method or ["maildir", store]), input=data, env=env,
                       capture_output=True, timeout=timeout)
    return p.stdout, p.stderr.decode().splitlines(), p.returncode


def stored(tmp):
    new = os.path.join(tmp, "Maildir", "new")
    if not os.path.isdir(new):
        return []
    out = []
    for f in sorted(os.listdir(new)):
        with open(os.path.join(new, f), "rb") as fh:
            out.append(fh.read())
    return out


def received_from(msg):
    m = re.search(rb"^Received: from \S+ \(\[?([^)\]]*)\]?\)", msg, re.M)
    return m.group(1).decode() if m else None


MESSAGE = ("EHLO client.example", "MAIL FROM:<a@example.org>",
           "RCPT TO:<b@example.org>", "DATA", "Subject: proxy", "", "body",
           ".", "QUIT")


def expect_client(tmp, args, header, want, peer="127.0.0.1"):
    out, log, st = session(tmp, args, header + crlf(*MESSAGE), peer)
    if st != 0:
        raise Fail("exit %d: %s" % (st, log))
    if not re.search(pattern("R_DATA_OK").encode(), out, re.M):
        raise Fail("not delivered: %r" % out)
    msgs = stored(tmp)
    if len(msgs) != 1 or received_from(msgs[0]) != want:
        raise Fail("Received names %r, want %r" %
                   ([received_from(m) for m in msgs], want))
    return log


def expect_refused(tmp, args, data, why, peer="127.0.0.1"):
    t0 = time.monotonic()
    out, log, st = session(tmp, args, data, peer)
    if out != b"":
        raise Fail("sent %r" % out)
    refused = [l for l in log if "PROXY header" in l and "refused" in l]
    if len(refused) != 1 or why not in refused[0]:
        raise Fail("log %r, want one refusal saying %r" % (log, why))
    if len(log) != 1:
        raise Fail("more than one log line: %r" % log)
    if stored(tmp):
        raise Fail("something was stored")
    return time.monotonic() - t0


SESSION_CASES = []


def session_case(fn):
    SESSION_CASES.append(fn)
    return fn


@session_case
def v1_tcp4(tmp):
    log = expect_client(tmp, ["-P", "127.0.0.0/8"],
                        b"PROXY TCP4 192.0.2.7 198.51.100.1 40000 25\r\n",
                        "192.0.2.7")
    want = ("connection from 192.0.2.7 port 40000 via PROXY v1 from "
            "127.0.0.1")
    if not any(want in l for l in log):
        raise Fail("no log line %r in %r" % (want, log))


@session_case
def v1_tcp6(tmp):
    expect_client(tmp, ["-P", "::1"],
                  b"PROXY TCP6 2001:db8::7 2001:db8::1 40000 25\r\n",
                  "IPv6:2001:db8::7", peer="::1")


@session_case
def v2_tcp4_(tmp):
    expect_client(tmp, ["-P", "127.0.0.1"],
                  v2_tcp4("192.0.2.8", "198.51.100.1", 40001, 25),
                  "192.0.2.8")


@session_case
def v2_tcp6(tmp):
    a = socket.inet_pton(socket.AF_INET6, "2001:db8::8")
    hdr = v2(1, 0x21, a + a + struct.pack(">HH", 1, 25))
    expect_client(tmp, ["-P", "10.0.0.0/8", "-P", "127.0.0.1"], hdr,
                  "IPv6:2001:db8::8")


@session_case
def v2_local(tmp):
    """A health check: LOCAL, then the balancer's own session."""
    log = expect_client(tmp, ["-P", "127.0.0.1"], v2(0, 0, b""),
                        "127.0.0.1")
    if not any("PROXY v2 without a client address" in l for l in log):
        raise Fail("no LOCAL log line: %r" % log)


@session_case
def v2_local_quit(tmp):
    """HAProxy's check-send-proxy without smtpchk: LOCAL and a close."""
    out, log, st = session(tmp, ["-P", "127.0.0.1"], v2(0, 0, b""))
    if st != 0 or not out.startswith(line("R_GREETING").encode()):
        raise Fail("exit %d, out %r" % (st, out))


@session_case
def untrusted_header(tmp):
    """From a source not named by -P a header is just a bad command,
    and the client's own address goes into Received."""
    out, log, st = session(
        tmp, ["-P", "127.0.0.1"],
        b"PROXY TCP4 192.0.2.66 198.51.100.1 1 25\r\n" + crlf(*MESSAGE),
        peer="127.0.0.9")
    if line("R_UNKNOWN").split()[0].encode() + b" " not in out:
        raise Fail("header not refused: %r" % out)
    msgs = stored(tmp)
    if len(msgs) != 1 or received_from(msgs[0]) != "127.0.0.9":
        raise Fail("Received names %r" % [received_from(m) for m in msgs])


@session_case
def no_option(tmp):
    """Without -P nobody is trusted.  (A version 2 header would end
    the session: its signature holds a QUIT line.)"""
    out, log, st = session(tmp, [], b"PROXY TCP4 192.0.2.66 192.0.2.1 1 "
                           b"25\r\n" + crlf(*MESSAGE))
    msgs = stored(tmp)
    if len(msgs) != 1 or received_from(msgs[0]) != "127.0.0.1":
        raise Fail("Received names %r" % [received_from(m) for m in msgs])


@session_case
def pipe_environment(tmp):
    """A pipe program is told the header's client as TCPREMOTEIP, not
    the balancer that tcpserver named."""
    rec = os.path.join(tmp, "rec")
    os.mkdir(rec)
    record = os.path.join(os.path.dirname(HERE), "helpers", "record.sh")
    for n, (hdr, want) in enumerate((
            (b"PROXY TCP4 192.0.2.7 198.51.100.1 40000 25\r\n", "192.0.2.7"),
            (v2(1, 0x21, socket.inet_pton(socket.AF_INET6, "2001:db8::7") * 2
                + struct.pack(">HH", 1, 25)), "2001:db8::7"),
            (v2(0, 0, b""), "127.0.0.1")), 1):
        out, log, st = session(tmp, ["-P", "127.0.0.1"], hdr + crlf(*MESSAGE),
                               method=["pipe", record, rec])
        if not re.search(pattern("R_DATA_OK").encode(), out, re.M):
            raise Fail("not delivered: %r %r" % (out, log))
        with open(os.path.join(rec, "%d.env" % n), "rb") as f:
            env = dict(v.decode().split("=", 1)
                       for v in f.read().split(b"\0") if b"=" in v)
        if env.get("TCPREMOTEIP") != want:
            raise Fail("TCPREMOTEIP %r, want %r" %
                       (env.get("TCPREMOTEIP"), want))


@session_case
def missing_header(tmp):
    expect_refused(tmp, ["-P", "127.0.0.1"], crlf(*MESSAGE),
                   "not a PROXY header")


@session_case
def malformed_v1(tmp):
    expect_refused(tmp, ["-P", "127.0.0.1"],
                   b"PROXY TCP4 192.0.2.7 198.51.100.1 40000 025\r\n" +
                   crlf(*MESSAGE), "bad version 1 port")


@session_case
def oversized_v1(tmp):
    expect_refused(tmp, ["-P", "127.0.0.1"],
                   b"PROXY TCP4 " + b"1" * 200 + b"\r\n",
                   "version 1 line too long")


@session_case
def oversized_v2(tmp):
    expect_refused(tmp, ["-P", "127.0.0.1"],
                   SIG + b"\x21\x11\xff\xff" + b"\0" * 65535,
                   "version 2 header too long")


@session_case
def unknown_family(tmp):
    expect_refused(tmp, ["-P", "127.0.0.1"], v2(1, 0x51, b"\0" * 12),
                   "unknown version 2 family")


@session_case
def unix_family(tmp):
    expect_refused(tmp, ["-P", "127.0.0.1"], v2(1, 0x31, b"\0" * 216),
                   "AF_UNIX")


@session_case
def truncated_v1(tmp):
    expect_refused(tmp, ["-P", "127.0.0.1"], b"PROXY TCP4 192.0.2.7",
                   "header truncated")


@session_case
def truncated_v2(tmp):
    expect_refused(tmp, ["-P", "127.0.0.1"],
                   v2_tcp4("192.0.2.7", "192.0.2.1", 1, 25)[:20],
                   "header truncated")


@session_case
def silent_source(tmp):
    """A trusted source that sends nothing is given up on, after the
    short timeout (-t below 5 s shortens it), with nothing sent."""
    r, w = os.pipe()
    spool = os.path.join(tmp, "tmp")
    os.makedirs(spool, exist_ok=True)
    t0 = time.monotonic()
    p = subprocess.run([SMTPD, "-e", "-t", "1", "-P", "127.0.0.1",
                        "maildir", os.path.join(tmp, "Maildir")], stdin=r,
                       capture_output=True, timeout=20,
                       env={"PATH": "/usr/bin:/bin", "TMPDIR": spool,
                            "TCPREMOTEIP": "127.0.0.1"})
    took = time.monotonic() - t0
    os.close(r)
    os.close(w)
    if p.stdout != b"" or b"timeout" not in p.stderr or took > 5:
        raise Fail("out %r, err %r after %.1f s" % (p.stdout, p.stderr, took))


# ------------------------------------------------------------ hosts and HAProxy

def free_port():
    s = socket.socket()
    s.bind((BALANCER, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(addr, port, up=True, limit=10.0):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        try:
            socket.create_connection((addr, port), timeout=1).close()
            if up:
                return
        except OSError:
            if not up:
                return
        time.sleep(0.05)
    raise Fail("%s:%d never came %s" % (addr, port, "up" if up else "down"))


class Host:
    """One MX host: tcpserver on its own loopback address, smtpd with its
    own name and TMPDIR, into the shared Maildir."""

    def __init__(self, top, n, addr, port, store, launcher=(),
                 options=("-P", BALANCER)):
        """launcher: more tcpserver options (-u, -g); options: smtpd's
        (the balancer it takes a PROXY header from, by default)."""
        self.name = "mx%d.example.org" % n
        self.addr, self.port, self.store = addr, port, store
        self.launcher, self.options = list(launcher), list(options)
        self.tmp = os.path.join(top, self.name + ".tmp")
        self.logfile = os.path.join(top, self.name + ".log")
        os.makedirs(self.tmp, exist_ok=True)
        self.proc = None

    def start(self):
        env = {"PATH": "/usr/bin:/bin", "TMPDIR": self.tmp}
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k in os.environ:
                env[k] = os.environ[k]
        log = open(self.logfile, "ab")
        self.proc = subprocess.Popen(
            ["tcpserver", "-q", "-H", "-R", "-l", "0", "-c", "200"] +
            self.launcher + [self.addr, str(self.port), SMTPD, "-e", "-n",
                             self.name] + self.options +
            ["maildir", self.store],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=log, start_new_session=True)
        log.close()
        wait_port(self.addr, self.port)

    def kill(self):
        """SIGKILL to the launcher and every session under it."""
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
            self.proc = None

    def log(self):
        with open(self.logfile, errors="replace") as f:
            return f.read()


HAPROXY_CFG = """\
global
    maxconn 512
    stats socket {top}/haproxy.sock mode 600 level admin

defaults
    mode tcp
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    retries 3
    option redispatch

frontend v1
    bind {bal}:{p1}
    default_backend v1

frontend v2
    bind {bal}:{p2}
    default_backend v2

backend v1
    balance roundrobin
{v1servers}

backend v2
    balance roundrobin
    option smtpchk EHLO haproxy.example
{v2servers}
"""


class Cluster:
    def __init__(self, nhosts=3):
        self.top = tempfile.mkdtemp(prefix="smtpd-proxy.")
        os.chmod(self.top, 0o755)
        self.store = os.path.join(self.top, "store", "Maildir")
        os.makedirs(os.path.dirname(self.store))
        self.port = free_port()
        self.hosts = [Host(self.top, i + 1, HOSTS[i], self.port, self.store)
                      for i in range(nhosts)]
        self.p1, self.p2 = free_port(), free_port()
        self.haproxy = None

    def start(self):
        for h in self.hosts:
            h.start()
        servers = lambda how: "\n".join(
            "    server %s %s:%d %s" % (h.name, h.addr, h.port, how)
            for h in self.hosts)
        cfg = HAPROXY_CFG.format(
            top=self.top, bal=BALANCER, p1=self.p1, p2=self.p2,
            v1servers=servers("send-proxy source %s" % BALANCER),
            v2servers=servers("send-proxy-v2 source %s check "
                              "check-send-proxy inter 300 fall 2 rise 2" %
                              BALANCER))
        path = os.path.join(self.top, "haproxy.cfg")
        with open(path, "w") as f:
            f.write(cfg)
        self.hlog = open(os.path.join(self.top, "haproxy.log"), "wb")
        self.haproxy = subprocess.Popen(
            ["haproxy", "-db", "-f", path], stdin=subprocess.DEVNULL,
            stdout=self.hlog, stderr=self.hlog, start_new_session=True)
        wait_port(BALANCER, self.p1)
        wait_port(BALANCER, self.p2)

    def stop(self):
        for h in self.hosts:
            h.kill()
        if self.haproxy is not None:
            self.haproxy.kill()
            self.haproxy.wait()
            self.hlog.close()

    def remove(self):
        shutil.rmtree(self.top, ignore_errors=True)

    def stats(self):
        """HAProxy's view of the v2 servers: name -> (status, check)."""
        s = socket.socket(socket.AF_UNIX)
        s.connect(os.path.join(self.top, "haproxy.sock"))
        s.sendall(b"show stat\n")
        data = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
        s.close()
        rows = data.decode().splitlines()
        head = rows[0].lstrip("# ").split(",")
        out = {}
        for r in rows[1:]:
            f = dict(zip(head, r.split(",")))
            if f.get("pxname") == "v2" and f.get("svname") not in (
                    "FRONTEND", "BACKEND"):
                out[f["svname"]] = (f["status"], f.get("check_status"))
        return out

    def files(self):
        """Every file in the store's new/ and tmp/."""
        got = {}
        for sub in ("new", "tmp"):
            d = os.path.join(self.store, sub)
            got[sub] = {}
            if os.path.isdir(d):
                for f in os.listdir(d):
                    with open(os.path.join(d, f), "rb") as fh:
                        got[sub][f] = fh.read()
        return got


# One message per connection, as an MTA sends to an MX.
def message_text(n):
    return ("From: load@example.org\r\nTo: box@example.org\r\n"
            "Subject: message %d\r\nMessage-ID: <%d@load.example>\r\n\r\n"
            % (n, n) + "".join("line %d of message %d\r\n" % (i, n)
                               for i in range(40)))


class Lost(Exception):
    """The connection failed; after_data: once the message was sent,
    so it may have been stored."""

    def __init__(self, why, after_data=False):
        Exception.__init__(self, why)
        self.after_data = after_data


def send(port, n, source=CLIENT, timeout=30):
    """One session through port; returns the reply code to the end of
    data.  Lost: the connection failed before that reply came."""
    try:
        s = socket.create_connection((BALANCER, port), timeout=timeout,
                                     source_address=(source, 0))
    except OSError as e:
        raise Lost("connect: %s" % e)
    f = s.makefile("rb")

    def reply():
        while True:
            l = f.readline()
            if not l:
                raise Lost("closed")
            if l[3:4] != b"-":
                return int(l[:3])

    try:
        code = reply()
        if code != 220:
            return code
        for cmd in ("EHLO load.example", "MAIL FROM:<load@example.org>",
                    "RCPT TO:<box@example.org>", "DATA"):
            s.sendall(cmd.encode() + b"\r\n")
            code = reply()
            if code >= 400:
                return code
        s.sendall(message_text(n).encode() + b".\r\n")
        try:
            code = reply()
        except (OSError, Lost) as e:
            raise Lost(str(e), after_data=True)
        try:
            s.sendall(b"QUIT\r\n")
            reply()
        except (OSError, Lost):
            pass
        return code
    except OSError as e:
        raise Lost(str(e))
    finally:
        f.close()
        s.close()


class Load:
    """FAILOVER_CLIENTS threads deliver messages 1..n, each retried on
    4xx and on lost connections until it gets a 250 or a 5xx."""

    def __init__(self, port, n):
        self.port, self.n = port, n
        self.todo = queue.Queue()
        for i in range(1, n + 1):
            self.todo.put(i)
        self.lock = threading.Lock()
        self.acked = {}       # n -> 250
        self.unknown = {}     # n -> data sent, no reply seen: may be stored
        self.failed = {}      # n -> 5xx code
        self.retries = 0

    def worker(self):
        while True:
            try:
                n = self.todo.get_nowait()
            except queue.Empty:
                return
            for attempt in range(200):
                try:
                    code = send(self.port, n)
                except Lost as e:
                    with self.lock:
                        self.retries += 1
                        if e.after_data:
                            self.unknown[n] = self.unknown.get(n, 0) + 1
                    time.sleep(0.05)
                    continue
                if code == 250:
                    with self.lock:
                        self.acked[n] = True
                    break
                if code >= 500:
                    with self.lock:
                        self.failed[n] = code
                    break
                with self.lock:
                    self.retries += 1
                time.sleep(0.05)

    def run(self, during=None):
        threads = [threading.Thread(target=self.worker)
                   for _ in range(FAILOVER_CLIENTS)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        if during is not None:
            during(self)
        for t in threads:
            t.join()
        return time.monotonic() - t0


def check_store(c, load):
    """Every acknowledged message stored, each copy whole and the same;
    returns (stored once, extra copies, files left in tmp/)."""
    files = c.files()
    want = {i: message_text(i).replace("\r\n", "\n").encode()
            for i in range(1, load.n + 1)}
    copies = {}
    for name, data in files["new"].items():
        m = re.search(rb"^Message-ID: <(\d+)@load.example>$", data, re.M)
        if not m:
            raise Fail("new/%s: no message id: partial? %r" % (name,
                                                               data[:200]))
        n = int(m.group(1))
        if not data.endswith(want[n]):
            raise Fail("new/%s: message %d not byte-identical" % (name, n))
        if received_from(data) != CLIENT:
            raise Fail("new/%s: Received names %r" % (name,
                                                      received_from(data)))
        copies[n] = copies.get(n, 0) + 1
    missing = [n for n in load.acked if n not in copies]
    if missing:
        raise Fail("%d acknowledged messages not stored: %s" %
                   (len(missing), missing[:10]))
    if load.failed:
        raise Fail("5xx replies: %s" % list(load.failed.items())[:5])
    extra = 0
    for n, k in copies.items():
        if k > 1:
            extra += k - 1
            if load.unknown.get(n, 0) < k - 1:
                raise Fail("message %d stored %d times, but only %d "
                           "replies were lost" % (n, k,
                                                  load.unknown.get(n, 0)))
    once = sum(1 for k in copies.values() if k == 1)
    return once, extra, len(files["tmp"])


HOST_CASES = []


def host_case(fn):
    HOST_CASES.append(fn)
    return fn


@host_case
def haproxy_v1(c):
    if send(c.p1, 1) != 250:
        raise Fail("not delivered")
    msgs = list(c.files()["new"].values())
    if len(msgs) != 1 or received_from(msgs[0]) != CLIENT:
        raise Fail("Received names %r" % [received_from(m) for m in msgs])
    if "via PROXY v1 from %s" % BALANCER not in "".join(
            h.log() for h in c.hosts):
        raise Fail("no log line naming the balancer")


@host_case
def haproxy_v2(c):
    time.sleep(1)    # the first health checks
    for i in range(6):
        if send(c.p2, i + 1) != 250:
            raise Fail("not delivered")
    msgs = list(c.files()["new"].values())
    if len(msgs) != 6 or any(received_from(m) != CLIENT for m in msgs):
        raise Fail("Received names %r" % [received_from(m) for m in msgs])
    # round robin: three hosts, three names
    by = {re.search(rb"\tby (\S+)", m).group(1) for m in msgs}
    if len(by) != 3:
        raise Fail("not spread over the hosts: %r" % by)


@host_case
def haproxy_health(c):
    time.sleep(1.5)
    st = c.stats()
    if len(st) != 3 or any(s[0] != "UP" or "L7OK" not in (s[1] or "")
                           for s in st.values()):
        raise Fail("health checks: %r" % st)
    logs = "".join(h.log() for h in c.hosts)
    if "PROXY v2 without a client address" not in logs:
        raise Fail("no LOCAL check seen in the logs")
    # a dead host is marked DOWN, and UP again after its restart
    c.hosts[0].kill()
    time.sleep(1.5)
    if c.stats()[c.hosts[0].name][0] != "DOWN":
        raise Fail("killed host not DOWN: %r" % c.stats())
    c.hosts[0].start()
    time.sleep(1.5)
    if c.stats()[c.hosts[0].name][0] != "UP":
        raise Fail("restarted host not UP: %r" % c.stats())


@host_case
def direct_spoof(c):
    """Straight to a host from 127.0.0.9, which no -P names: the header
    is an unknown command and the real address goes into Received."""
    h = c.hosts[1]
    s = socket.create_connection((h.addr, h.port), timeout=10,
                                 source_address=(CLIENT, 0))
    s.sendall(b"PROXY TCP4 203.0.113.66 198.51.100.1 1 25\r\n" +
              crlf(*MESSAGE))
    f = s.makefile("rb")
    out = f.read()
    s.close()
    if line("R_GREETING", host=h.name).encode() not in out:
        raise Fail("no greeting: %r" % out)
    if b"\r\n500 " not in out:
        raise Fail("header not refused: %r" % out)
    msgs = list(c.files()["new"].values())
    if len(msgs) != 1 or received_from(msgs[0]) != CLIENT:
        raise Fail("Received names %r" % [received_from(m) for m in msgs])
    # a version 2 signature holds "QUIT\n": the session just ends
    s = socket.create_connection((h.addr, h.port), timeout=10,
                                 source_address=(CLIENT, 0))
    s.sendall(v2_tcp4("203.0.113.67", "198.51.100.1", 1, 25) +
              crlf(*MESSAGE))
    out = s.makefile("rb").read()
    s.close()
    if line("R_QUIT", host=h.name).encode() not in out:
        raise Fail("version 2 header did not end the session: %r" % out)
    if len(c.files()["new"]) != 1:
        raise Fail("stored after a version 2 header")


FIGURES = []


@host_case
def throughput(c):
    """The same load through 1, 2 and 3 hosts (the others killed)."""
    n = int(os.environ.get("THROUGHPUT_MESSAGES", "600"))
    for k in (1, 2, 3):
        for i, h in enumerate(c.hosts):
            if i < k and h.proc is None:
                h.start()
            elif i >= k:
                h.kill()
        time.sleep(1.5)    # until the health checks agree
        shutil.rmtree(c.store, ignore_errors=True)
        load = Load(c.p2, n)
        secs = load.run()
        once, extra, tmp = check_store(c, load)
        if once != n:
            raise Fail("%d hosts: %d of %d stored once" % (k, once, n))
        FIGURES.append("throughput with %d host%s: %d messages in %.1f s, "
                       "%.0f messages/s" % (k, "" if k == 1 else "s", n,
                                            secs, n / secs))


@host_case
def failover(c):
    n = FAILOVER_MESSAGES
    victim = c.hosts[1]
    events = []

    def during(load):
        while len(load.acked) < n // 2:
            time.sleep(0.01)
        victim.kill()
        events.append("killed %s at %d acknowledged" % (victim.name,
                                                        len(load.acked)))
        while len(load.acked) < n * 3 // 4:
            time.sleep(0.01)
        victim.start()
        events.append("restarted it at %d" % len(load.acked))

    load = Load(c.p2, n)
    secs = load.run(during)
    once, extra, tmp = check_store(c, load)
    if len(load.acked) != n:
        raise Fail("%d of %d acknowledged" % (len(load.acked), n))
    lost = sum(load.unknown.values())
    FIGURES.append(
        "failover: %d messages, %d clients, %.1f s; %s; %d retries, "
        "%d replies lost after the data; stored once %d, extra copies %d, "
        "partial files left in tmp/ %d (none in new/)" %
        (n, FAILOVER_CLIENTS, secs, ", ".join(events), load.retries, lost,
         once, extra, tmp))


# ---------------------------------------------------------------- runner

def main(argv):
    only = set(argv)
    passed = failed = skipped = 0

    def report(name, fn, *args):
        nonlocal passed, failed, skipped
        try:
            fn(*args)
            print("ok %s" % name)
            passed += 1
        except Skip as e:
            print("skip %s: %s" % (name, e))
            skipped += 1
        except Exception as e:  # a crash in a case is that case's failure
            print("FAIL %s: %s" % (name, e))
            failed += 1
        sys.stdout.flush()

    for fn in SESSION_CASES:
        name = fn.__name__.rstrip("_")
        if only and name not in only:
            continue
        tmp = tempfile.mkdtemp(prefix="smtpd-proxy.")
        try:
            report(name, fn, tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    cases = [fn for fn in HOST_CASES if not only or fn.__name__ in only]
    missing = [p for p in ("haproxy", "tcpserver") if not shutil.which(p)]
    for fn in cases:
        if missing:
            print("skip %s: %s not installed" % (fn.__name__,
                                                 " and ".join(missing)))
            skipped += 1
            continue
        c = Cluster()
        try:
            c.start()
            report(fn.__name__, fn, c)
        except Fail as e:
            print("FAIL %s: %s" % (fn.__name__, e))
            failed += 1
        finally:
            c.stop()
            c.remove()
    for f in FIGURES:
        print("# " + f)
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
