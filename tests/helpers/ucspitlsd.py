#!/usr/bin/env python3
# ISC license.
"""The server side of UCSPI-TLS (ucspi-tls(2) of ucspi-ssl), for tests.

Usage: ucspitlsd.py [-m MODE] [-T SECONDS] PEMFILE PROG [ARG...]

Run like s6-ucspitlsd or sslserver -n: stdin and stdout are the client's
connection (tcpserver's socket).  PROG runs with SSLCTLFD, SSLREADFD
and SSLWRITEFD naming a control socket and two pipes, on descriptors
10, 12 and 14 (never 6 and 7, so a program that assumes the numbers
fails).  When PROG writes "y" or "Y" on the control socket, this
helper does the TLS handshake on the connection with Python's ssl
module (PEMFILE holds the key and certificate); for "Y" it then writes
"SSL_PROTOCOL=...\\0SSL_CIPHER=...\\0\\0" back, and relays between the
TLS session and the pipes.  A failed handshake closes the control
socket with nothing written.  MODE changes that, for the tests:

  normal   as above (the default)
  fail     after "y" or "Y", close the control socket without a handshake
  closed   close the control socket before PROG can use it

-T bounds the handshake (default 10 s).  Exits with PROG's status.
"""

import getopt
import os
import socket
import ssl
import sys
import threading

CTL_FD, READ_FD, WRITE_FD = 10, 12, 14


def child(prog, ctl, to_r, from_w, others):
    for fd, want in ((ctl, CTL_FD), (to_r, READ_FD), (from_w, WRITE_FD)):
        os.dup2(fd, want)
    for fd in set(others + [ctl, to_r, from_w]) - {CTL_FD, READ_FD,
                                                    WRITE_FD}:
        os.close(fd)
    env = dict(os.environ, SSLCTLFD=str(CTL_FD), SSLREADFD=str(READ_FD),
               SSLWRITEFD=str(WRITE_FD))
    try:
        os.execve(prog[0], prog, env)
    finally:
        os._exit(127)


def wait(pid):
    _, st = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(st) & 0xff


def upward(tls, to_w):
    """Client to PROG: decrypted octets into SSLREADFD."""
    try:
        while True:
            data = tls.recv(65536)
            if not data:
                break
            os.write(to_w, data)
    except (OSError, ssl.SSLError):
        pass
    try:
        os.close(to_w)
    except OSError:
        pass


def main(argv):
    opts, args = getopt.getopt(argv[1:], "m:T:")
    mode, limit = "normal", 10.0
    for k, v in opts:
        if k == "-m":
            mode = v
        else:
            limit = float(v)
    if len(args) < 2 or mode not in ("normal", "fail", "closed"):
        sys.stderr.write(__doc__)
        return 100
    pem, prog = args[0], args[1:]
    ctl, ctl_child = socket.socketpair()
    to_r, to_w = os.pipe()
    from_r, from_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        child(prog, ctl_child.detach(), to_r, from_w,
              [ctl.detach(), to_w, from_r])
    ctl_child.close()
    os.close(to_r)
    os.close(from_w)
    if mode == "closed":
        ctl.close()
        return wait(pid)
    cmd = ctl.recv(1)
    if cmd not in (b"y", b"Y") or mode == "fail":
        ctl.close()
        return wait(pid)
    net = socket.socket(fileno=os.dup(0))
    net.settimeout(limit)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pem)
    try:
        tls = ctx.wrap_socket(net, server_side=True)
    except (OSError, ssl.SSLError):
        ctl.close()
        return wait(pid)
    tls.settimeout(None)
    if cmd == b"Y":
        ctl.sendall(b"SSL_PROTOCOL=%s\0SSL_CIPHER=%s\0\0" % (
            tls.version().encode(), tls.cipher()[0].encode()))
    ctl.close()
    threading.Thread(target=upward, args=(tls, to_w), daemon=True).start()
    try:
        while True:
            data = os.read(from_r, 65536)
            if not data:
                break
            tls.sendall(data)
        tls.unwrap()
    except (OSError, ssl.SSLError):
        pass
    return wait(pid)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
