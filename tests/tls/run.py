#!/usr/bin/env python3
# ISC license.
"""STARTTLS and SMTPS through TLS wrappers, on 127.0.0.1.

Usage: SMTPD=./smtpd python3 tests/tls/run.py [NAME...]

Each case starts tcpserver on a port the kernel picks, with a wrapper
between it and smtpd:
  ucspi_*       tests/helpers/ucspitlsd.py, the server side of
                UCSPI-TLS written with Python's ssl module (no UCSPI-TLS
                server is packaged in Debian 12);
  tlswrapper_*  the real tlswrapper -n (STARTTLS, smtpd -W), or plain
                tlswrapper (SMTPS, smtpd -I); it needs root for its jail,
                and smtpd runs with -u nobody.
The certificate is self-signed, made here with openssl.  Every delivery
checks, on both sides, that the session really was encrypted: the
client's own report (smtplib's socket, swaks, openssl s_client, curl,
msmtp) and the Received header smtpd wrote ("with ESMTPS").  The attack
cases check that plaintext sent after STARTTLS never runs, that a
failed or stalled handshake ends the session with nothing delivered,
and the RFC 3207 refusals.

Prints "ok NAME", "SKIP NAME: why" or "FAIL NAME: why" per case and
"N passed, N failed, N skipped"; exits 1 on any failure.
"""

import os
import re
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
sys.path.insert(0, TESTS)
from replies import line, reply  # noqa: E402

SMTPD = os.path.abspath(os.environ.get("SMTPD", "./smtpd"))
HELPER = os.path.join(TESTS, "helpers", "ucspitlsd.py")
ROOT = os.geteuid() == 0
TIMEOUT = 20
STARTED = r"TLS started|TLS left to tlswrapper"
ESMTPS = re.compile(rb"\n\tby mx\.test \(smtpd\) with ESMTPS id ")
USING = re.compile(rb"\n\t\(using TLSv1\.[23] with cipher [A-Za-z0-9_-]+\)\n")


class Fail(Exception):
    pass


class Skip(Exception):
    pass


def need(*progs):
    for p in progs:
        if shutil.which(p) is None:
            raise Skip("%s is not installed" % p)


class Server:
    """tcpserver on 127.0.0.1 with WRAPPER... smtpd ARGS; smtpd logs to
    stderr (-e), which tcpserver passes to self.log."""

    def __init__(self, work, wrapper, args, method=None):
        need("tcpserver")
        self.work = work
        self.mbox = os.path.join(work, "mbox")
        self.logpath = os.path.join(work, "log")
        user = ["-u", "nobody"] if ROOT else []
        cmd = (["tcpserver", "-1", "-HRl0", "127.0.0.1", "0"] + wrapper +
               [SMTPD] + user + ["-e", "-t", "3", "-n", "mx.test"] + args +
               (method or ["mbox", self.mbox]))
        self.log = open(self.logpath, "wb")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                     stderr=self.log, cwd=work)
        port = self.proc.stdout.readline().strip()
        if not port.isdigit():
            self.stop()
            raise Fail("tcpserver did not start: %r" % port)
        self.port = int(port)

    def logged(self):
        with open(self.logpath, "rb") as f:
            return f.read().decode("ascii", "replace")

    def wait_log(self, pattern, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if re.search(pattern, self.logged()):
                return True
            time.sleep(0.05)
        return False

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(5)
        self.log.close()

    def delivered(self):
        if not os.path.exists(self.mbox):
            return b""
        with open(self.mbox, "rb") as f:
            return f.read()


def check_encrypted_mbox(srv, with_cipher):
    data = srv.delivered()
    if not ESMTPS.search(data):
        raise Fail("no 'with ESMTPS' in the Received header: %r"
                   % data[:300])
    if with_cipher and not USING.search(data):
        raise Fail("no '(using ... with cipher ...)' comment: %r"
                   % data[:300])
    if not srv.wait_log(STARTED, 5):
        raise Fail("smtpd did not log the handover: %s" % srv.logged())


def client_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


# ------------------------------------------------------------ raw client

class Raw:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), TIMEOUT)
        self.f = self.sock.makefile("rb")

    def reply(self):
        """One whole reply, as octets."""
        out = b""
        while True:
            ln = self.f.readline()
            if not ln:
                raise Fail("connection closed; got %r so far" % out)
            out += ln
            if ln[3:4] != b"-":
                return out

    def send(self, data):
        self.sock.sendall(data)

    def starttls(self):
        self.sock = client_context().wrap_socket(self.sock,
                                                 server_hostname="mx.test")
        self.f = self.sock.makefile("rb")

    def closed(self, seconds):
        """Whether the server closes the connection within seconds."""
        self.sock.settimeout(seconds)
        try:
            while self.sock.recv(4096):
                pass
            return True
        except socket.timeout:
            return False
        except (OSError, ssl.SSLError):
            return True


def expect(what, got, want):
    if got != want:
        raise Fail("%s: got %r, want %r" % (what, got, want))


# ------------------------------------------------------------ stacks

def ucspi(work, args, mode="normal"):
    return Server(work, [sys.executable, HELPER, "-m", mode, "-T", "5",
                         PEM], args)


def tlswrapper(work, args, starttls=True):
    need("tlswrapper")
    if not ROOT:
        raise Skip("tlswrapper needs root for its jail")
    return Server(work, ["tlswrapper", "-T", "3"] +
                  (["-n"] if starttls else []) + ["-f", PEM], args)


STACKS = {
    "ucspi": lambda work, args: ucspi(work, args),
    "tlswrapper": lambda work, args: tlswrapper(work, args + ["-W"]),
}


# ------------------------------------------------------------ cases

def smtplib_case(stack, with_cipher):
    def case(work):
        srv = STACKS[stack](work, [])
        try:
            with smtplib.SMTP("127.0.0.1", srv.port, timeout=TIMEOUT) as c:
                c.ehlo("client.test")
                if not c.has_extn("starttls"):
                    raise Fail("STARTTLS not offered in EHLO")
                code, _ = c.starttls(context=client_context())
                expect("reply to STARTTLS", code, 220)
                if not isinstance(c.sock, ssl.SSLSocket) or \
                        c.sock.version() is None:
                    raise Fail("smtplib's socket is not encrypted")
                c.ehlo("client.test")
                if c.has_extn("starttls"):
                    raise Fail("STARTTLS offered again after TLS")
                c.sendmail("a@client.test", ["b@mx.test"],
                           b"Subject: tls\r\n\r\nhello\r\n")
            check_encrypted_mbox(srv, with_cipher)
        finally:
            srv.stop()
    return case


def injection_case(stack, tail, follow, want):
    """EHLO, then "STARTTLS\\r\\n" + tail in one write; after the
    handshake the first reply must be the one to follow, not to tail."""
    def case(work):
        srv = STACKS[stack](work, [])
        try:
            c = Raw(srv.port)
            c.reply()
            c.send(b"EHLO client.test\r\n")
            c.reply()
            c.send(b"STARTTLS\r\n" + tail)
            expect("reply to STARTTLS", c.reply(), reply("R_TLS_GO"))
            c.starttls()
            c.send(follow)
            got = c.reply()
            expect("first reply after TLS", got[:len(want)], want)
            if b"inject" in got:
                raise Fail("the injected command ran: %r" % got)
            c.send(b"QUIT\r\n")
            c.reply()
            if not srv.wait_log(r"discarded %d octets sent after STARTTLS"
                                % len(tail), 5):
                raise Fail("the plaintext tail was not logged: %s"
                           % srv.logged())
            if srv.delivered():
                raise Fail("something was delivered")
        finally:
            srv.stop()
    return case


def refusals_case(stack):
    """RFC 3207 4: 501 with an argument, 503 inside a transaction, 503 a
    second time; after TLS the client must greet again."""
    def case(work):
        srv = STACKS[stack](work, [])
        try:
            c = Raw(srv.port)
            c.reply()
            c.send(b"EHLO client.test\r\n")
            c.reply()
            c.send(b"STARTTLS now\r\n")
            expect("STARTTLS with an argument", c.reply(),
                   reply("R_NO_ARGUMENT", "STARTTLS"))
            c.send(b"MAIL FROM:<a@client.test>\r\n")
            c.reply()
            c.send(b"STARTTLS\r\n")
            expect("STARTTLS in a transaction", c.reply(),
                   reply("R_TLS_IN_TXN"))
            c.send(b"RSET\r\n")
            c.reply()
            c.send(b"STARTTLS\r\n")
            expect("STARTTLS", c.reply(), reply("R_TLS_GO"))
            c.starttls()
            c.send(b"MAIL FROM:<a@client.test>\r\n")
            expect("MAIL before EHLO after TLS", c.reply(),
                   reply("R_NEED_HELO"))
            c.send(b"EHLO client.test\r\n")
            c.reply()
            c.send(b"STARTTLS\r\n")
            expect("STARTTLS twice", c.reply(), reply("R_TLS_ACTIVE"))
            c.send(b"QUIT\r\n")
            c.reply()
        finally:
            srv.stop()
    return case


def broken_handshake_case(stack, garbage):
    """After the 220, garbage (or nothing at all): the session ends
    within the timeouts, with nothing delivered."""
    def case(work):
        srv = STACKS[stack](work, [])
        try:
            c = Raw(srv.port)
            c.reply()
            c.send(b"EHLO client.test\r\n")
            c.reply()
            c.send(b"STARTTLS\r\n")
            expect("reply to STARTTLS", c.reply(), reply("R_TLS_GO"))
            t0 = time.monotonic()
            if garbage:
                c.send(b"MAIL FROM:<a@client.test>\r\nRCPT TO:<b@mx.test>"
                       b"\r\nDATA\r\nSubject: x\r\n\r\nx\r\n.\r\n")
            if not c.closed(15):
                raise Fail("connection still open after 15 s")
            if not srv.wait_log(r"TLS handshake failed|connection from",
                                5):
                raise Fail("no log: %s" % srv.logged())
            if srv.delivered():
                raise Fail("delivered after a failed handshake")
            if stack == "ucspi" and "TLS started" in srv.logged():
                raise Fail("TLS started: %s" % srv.logged())
            if time.monotonic() - t0 > 12:
                raise Fail("took %.1f s" % (time.monotonic() - t0))
        finally:
            srv.stop()
    return case


def required_case(stack):
    def case(work):
        srv = STACKS[stack](work, ["-S"])
        try:
            with smtplib.SMTP("127.0.0.1", srv.port, timeout=TIMEOUT) as c:
                c.ehlo("client.test")
                code, msg = c.mail("a@client.test")
                expect("MAIL before STARTTLS under -S",
                       (code, msg.decode()),
                       (530, line("R_TLS_REQUIRED")[4:]))
                c.starttls(context=client_context())
                c.ehlo("client.test")
                c.sendmail("a@client.test", ["b@mx.test"],
                           b"Subject: tls\r\n\r\nhello\r\n")
            check_encrypted_mbox(srv, stack == "ucspi")
        finally:
            srv.stop()
    return case


def ucspi_mode_case(mode):
    """The wrapper reports a failed handshake (no data on the control
    socket) or closed the control socket: the session ends."""
    def case(work):
        srv = ucspi(work, [], mode)
        try:
            c = Raw(srv.port)
            c.reply()
            c.send(b"EHLO client.test\r\n")
            ehlo = c.reply()
            if b"STARTTLS" not in ehlo:
                raise Fail("STARTTLS not offered")
            c.send(b"STARTTLS\r\n")
            expect("reply to STARTTLS", c.reply(), reply("R_TLS_GO"))
            if not c.closed(10):
                raise Fail("connection still open")
            if not srv.wait_log(r"TLS handshake failed", 5):
                raise Fail("no 'TLS handshake failed': %s" % srv.logged())
        finally:
            srv.stop()
    return case


def lmtp_utf8_case(work):
    """LMTPS and UTF8SMTPS (RFC 3848, RFC 6531) in the Received header."""
    srv = ucspi(work, ["-l"])
    try:
        with smtplib.LMTP("127.0.0.1", srv.port) as c:
            c.ehlo("client.test")
            c.starttls(context=client_context())
            c.ehlo("client.test")
            c.sendmail("a@client.test", ["b@mx.test"],
                       b"Subject: lmtp\r\n\r\nhello\r\n")
        if b" with LMTPS id " not in srv.delivered():
            raise Fail("no 'with LMTPS': %r" % srv.delivered()[:300])
    finally:
        srv.stop()
    os.unlink(srv.mbox)
    srv = ucspi(work, [])
    try:
        with smtplib.SMTP("127.0.0.1", srv.port, timeout=TIMEOUT) as c:
            c.ehlo("client.test")
            c.starttls(context=client_context())
            c.ehlo("client.test")
            c.sendmail("\u00e4@client.test", ["b@mx.test"],
                       b"Subject: utf8\r\n\r\nhello\r\n",
                       mail_options=["SMTPUTF8"])
        if b" with UTF8SMTPS id " not in srv.delivered():
            raise Fail("no 'with UTF8SMTPS': %r" % srv.delivered()[:300])
    finally:
        srv.stop()


def no_wrapper_case(work):
    """Without a wrapper nothing changes: no STARTTLS in EHLO, 502."""
    srv = Server(work, [], [])
    try:
        c = Raw(srv.port)
        c.reply()
        c.send(b"EHLO client.test\r\n")
        if b"STARTTLS" in c.reply():
            raise Fail("STARTTLS offered without a wrapper")
        c.send(b"STARTTLS\r\n")
        expect("STARTTLS", c.reply(), reply("R_NOT_OFFERED", "STARTTLS"))
    finally:
        srv.stop()


def smtps_case(work):
    """SMTPS (RFC 8314): plain tlswrapper does the handshake first and
    smtpd -I knows it; no STARTTLS is offered."""
    srv = tlswrapper(work, ["-I"], starttls=False)
    try:
        with smtplib.SMTP_SSL("127.0.0.1", srv.port, timeout=TIMEOUT,
                              context=client_context()) as c:
            c.ehlo("client.test")
            if c.has_extn("starttls"):
                raise Fail("STARTTLS offered under implicit TLS")
            code, _ = c.docmd("STARTTLS")
            expect("STARTTLS under -I", code, 503)
            c.sendmail("a@client.test", ["b@mx.test"],
                       b"Subject: smtps\r\n\r\nhello\r\n")
        if not ESMTPS.search(srv.delivered()):
            raise Fail("no 'with ESMTPS': %r" % srv.delivered()[:300])
    finally:
        srv.stop()


def swaks_case(work):
    need("swaks")
    srv = tlswrapper(work, ["-W"])
    try:
        out = subprocess.run(
            ["swaks", "--tls", "-s", "127.0.0.1", "-p", str(srv.port),
             "-f", "a@client.test", "-t", "b@mx.test", "--timeout", "15"],
            capture_output=True, timeout=30).stdout
        if b"=== TLS started with cipher" not in out:
            raise Fail("swaks did not start TLS: %r" % out[-500:])
        check_encrypted_mbox(srv, False)
    finally:
        srv.stop()


def openssl_case(work):
    need("openssl")
    srv = tlswrapper(work, ["-W"])
    try:
        # -crlf: s_client turns each LF into CR LF
        msg = (b"EHLO client.test\nMAIL FROM:<a@client.test>\n"
               b"RCPT TO:<b@mx.test>\nDATA\n")
        p = subprocess.Popen(
            ["openssl", "s_client", "-starttls", "smtp", "-crlf",
             "-ign_eof", "-connect", "127.0.0.1:%d" % srv.port],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT)
        # the session's commands one by one, each after its reply
        p.stdin.write(msg)
        p.stdin.flush()
        time.sleep(1)
        p.stdin.write(b"Subject: openssl\n\nhello\n.\nQUIT\n")
        p.stdin.flush()
        out, _ = p.communicate(timeout=30)
        if not re.search(rb"Cipher is [A-Z0-9_-]+", out):
            raise Fail("s_client shows no cipher: %r" % out[-500:])
        check_encrypted_mbox(srv, False)
    finally:
        srv.stop()


def curl_case(work):
    need("curl")
    srv = tlswrapper(work, ["-W"])
    try:
        body = os.path.join(work, "body")
        with open(body, "wb") as f:
            f.write(b"Subject: curl\r\n\r\nhello\r\n")
        r = subprocess.run(
            ["curl", "-sS", "-v", "--ssl-reqd", "-k", "--max-time", "20",
             "smtp://127.0.0.1:%d" % srv.port, "--mail-from",
             "a@client.test", "--mail-rcpt", "b@mx.test", "-T", body],
            capture_output=True, timeout=30)
        if r.returncode != 0 or b"SSL connection using" not in r.stderr:
            raise Fail("curl: %d %r" % (r.returncode, r.stderr[-500:]))
        check_encrypted_mbox(srv, False)
    finally:
        srv.stop()


def msmtp_case(work):
    need("msmtp")
    srv = tlswrapper(work, ["-W"])
    try:
        r = subprocess.run(
            ["msmtp", "--debug", "--host=127.0.0.1",
             "--port=%d" % srv.port, "--tls=on", "--tls-starttls=on",
             "--tls-certcheck=off", "--from=a@client.test", "b@mx.test"],
            input=b"Subject: msmtp\n\nhello\n", capture_output=True,
            timeout=30)
        out = r.stdout + r.stderr
        if r.returncode != 0 or b"TLS session parameters" not in out:
            raise Fail("msmtp: %d %r" % (r.returncode, out[-500:]))
        check_encrypted_mbox(srv, False)
    finally:
        srv.stop()


def example_case(service, client):
    """The inetd line of tls.example for service, run under tcpserver
    with the paths, user and port replaced, and a client through it."""
    def case(work):
        need("tlswrapper", "tcpserver")
        if not ROOT:
            raise Skip("tlswrapper needs root for its jail")
        with open(os.path.join(os.path.dirname(TESTS), "tls.example")) as f:
            fields = [ln.split() for ln in f
                      if ln.startswith(service + "\t")][0]
        mbox = os.path.join(work, "mbox")
        argv = [{"/usr/local/sbin/smtpd": SMTPD, "/etc/smtpd/mx.pem": PEM,
                 "/var/mail/incoming": mbox, "smtpd": "nobody"}.get(a, a)
                for a in fields[6:]]
        argv[0] = fields[5]
        srv = Server.__new__(Server)
        srv.work, srv.mbox = work, mbox
        srv.logpath = os.path.join(work, "log")
        srv.log = open(srv.logpath, "wb")
        srv.proc = subprocess.Popen(
            ["tcpserver", "-1", "-HRl0", "127.0.0.1", "0"] + argv,
            stdout=subprocess.PIPE, stderr=srv.log, cwd=work)
        srv.port = int(srv.proc.stdout.readline())
        try:
            with client("127.0.0.1", srv.port, timeout=TIMEOUT) as c:
                c.ehlo("client.test")
                if service == "smtp":
                    c.starttls(context=client_context())
                    c.ehlo("client.test")
                c.sendmail("a@client.test", ["b@example.org"],
                           b"Subject: example\r\n\r\nhello\r\n")
            if b" with ESMTPS id " not in srv.delivered():
                raise Fail("no 'with ESMTPS': %r" % srv.delivered()[:300])
        finally:
            srv.stop()
    return case


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def tlswrapper_p(work, args):
    """tlswrapper -p 1 reads a version 1 header itself and sets
    TCPREMOTEIP and TCPREMOTEPORT from it; smtpd needs no -P then."""
    need("tlswrapper")
    if not ROOT:
        raise Skip("tlswrapper needs root for its jail")
    return Server(work, ["tlswrapper", "-T", "3", "-p", "1", "-n", "-f",
                         PEM], [a for a in args if a not in
                                ("-P", "127.0.0.1")] + ["-W"])


STACKS["tlswrapper_p"] = tlswrapper_p


def haproxy_case(stack, how):
    """Port 25 behind HAProxy: the PROXY header (send-proxy or
    send-proxy-v2) in plaintext first, then the client's own STARTTLS
    through the balancer to the wrapper; Received names the client
    (which connects from 127.0.0.9), not HAProxy (127.0.0.1)."""
    def case(work):
        need("haproxy")
        srv = STACKS[stack](work, ["-P", "127.0.0.1"])
        port = free_port()
        cfg = os.path.join(work, "haproxy.cfg")
        with open(cfg, "w") as f:
            f.write("defaults\n    mode tcp\n    timeout connect 2s\n"
                    "    timeout client 20s\n    timeout server 20s\n"
                    "listen smtp\n    bind 127.0.0.1:%d\n"
                    "    server mx 127.0.0.1:%d %s source 127.0.0.1\n"
                    % (port, srv.port, how))
        hap = subprocess.Popen(["haproxy", "-db", "-f", cfg],
                               stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
        try:
            end = time.monotonic() + 10
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), 1).close()
                    break
                except OSError:
                    if time.monotonic() > end:
                        raise Fail("haproxy did not start")
                    time.sleep(0.05)
            with smtplib.SMTP("127.0.0.1", port, timeout=TIMEOUT,
                              source_address=("127.0.0.9", 0)) as c:
                c.ehlo("client.test")
                code, _ = c.starttls(context=client_context())
                expect("reply to STARTTLS", code, 220)
                c.ehlo("client.test")
                c.sendmail("a@client.test", ["b@mx.test"],
                           b"Subject: proxy tls\r\n\r\nhello\r\n")
            check_encrypted_mbox(srv, stack == "ucspi")
            if b"Received: from client.test ([127.0.0.9])" not in \
                    srv.delivered():
                raise Fail("Received does not name the client: %r"
                           % srv.delivered()[:300])
            via = "via PROXY v%s from 127.0.0.1" % (
                "2" if how.endswith("v2") else "1")
            if stack != "tlswrapper_p" and via not in srv.logged():
                raise Fail("no PROXY log line: %s" % srv.logged())
        finally:
            hap.kill()
            hap.wait()
            srv.stop()
    return case


CASES = {}
for _stack in ("ucspi", "tlswrapper"):
    CASES[_stack + "_haproxy_v1"] = haproxy_case(_stack, "send-proxy")
    CASES[_stack + "_haproxy_v2"] = haproxy_case(_stack, "send-proxy-v2")
    CASES[_stack + "_smtplib"] = smtplib_case(_stack, _stack == "ucspi")
    CASES[_stack + "_inject_mail"] = injection_case(
        _stack, b"MAIL FROM:<inject@evil.example>\r\n",
        b"EHLO client.test\r\n", b"250-" +
        reply("R_HELO", "client.test", host="mx.test")[4:])
    CASES[_stack + "_inject_rset"] = injection_case(
        _stack, b"RSET\r\n", b"NOOP\r\n", reply("R_NOOP"))
    CASES[_stack + "_refusals"] = refusals_case(_stack)
    CASES[_stack + "_garbage"] = broken_handshake_case(_stack, True)
    CASES[_stack + "_stall"] = broken_handshake_case(_stack, False)
    CASES[_stack + "_required"] = required_case(_stack)
CASES["tlswrapper_p_haproxy_v1"] = haproxy_case("tlswrapper_p",
                                                "send-proxy")
CASES["ucspi_wrapper_fails"] = ucspi_mode_case("fail")
CASES["ucspi_control_closed"] = ucspi_mode_case("closed")
CASES["ucspi_lmtp_utf8"] = lmtp_utf8_case
CASES["no_wrapper"] = no_wrapper_case
CASES["tlswrapper_smtps"] = smtps_case
CASES["tlswrapper_swaks"] = swaks_case
CASES["tlswrapper_openssl"] = openssl_case
CASES["tlswrapper_curl"] = curl_case
CASES["tlswrapper_msmtp"] = msmtp_case
CASES["example_starttls"] = example_case("smtp", smtplib.SMTP)
CASES["example_smtps"] = example_case(
    "submissions", lambda h, p, timeout: smtplib.SMTP_SSL(
        h, p, timeout=timeout, context=client_context()))

PEM = None


def make_pem(top):
    """A self-signed key and certificate in one PEM file."""
    global PEM
    need("openssl")
    key, crt = os.path.join(top, "key.pem"), os.path.join(top, "crt.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                    "-nodes", "-keyout", key, "-out", crt, "-days", "2",
                    "-subj", "/CN=mx.test"], check=True,
                   capture_output=True, timeout=60)
    PEM = os.path.join(top, "mx.test.pem")
    with open(PEM, "wb") as out:
        for p in (key, crt):
            with open(p, "rb") as f:
                out.write(f.read())
    os.chmod(PEM, 0o644)


def main(argv):
    names = argv[1:] or list(CASES)
    passed = failed = skipped = 0
    top = tempfile.mkdtemp(prefix="smtpd-tls.")
    os.chmod(top, 0o755)
    try:
        try:
            make_pem(top)
        except Skip as e:
            print("SKIP all: %s" % e)
            print("0 passed, 0 failed, %d skipped" % len(names))
            return 0
        for name in names:
            work = os.path.join(top, name)
            os.mkdir(work)
            os.chmod(work, 0o777)
            try:
                CASES[name](work)
                print("ok %s" % name)
                passed += 1
            except Skip as e:
                print("SKIP %s: %s" % (name, e))
                skipped += 1
            except (Fail, OSError, smtplib.SMTPException, ssl.SSLError,
                    subprocess.SubprocessError) as e:
                print("FAIL %s: %s" % (name, e))
                failed += 1
            sys.stdout.flush()
    finally:
        shutil.rmtree(top, ignore_errors=True)
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
