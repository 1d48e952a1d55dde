#!/usr/bin/python3
# ISC license.
"""aiosmtpd as a peer column of make bench (bench/run.sh), doing the
work smtpd does per message: append it to an mbox with a From_ line,
its lines ending in LF, fsync, and log one syslog line.  No quoting of
"From " lines: bench/run.sh counts the messages, it does not compare
them.

  peer-aiosmtpd.py session IN OUT MBOX
      a server on a free port of 127.0.0.1, then one client connection
      that writes IN (a whole pipelined session, as bench-gen makes it)
      while it reads the replies into OUT; prints the wall time from
      the connection to the server's last reply
  peer-aiosmtpd.py serve PORT MBOX
      the server on 127.0.0.1:PORT until SIGTERM (case d)
"""

import asyncio
import os
import signal
import socket
import sys
import syslog
import threading
import time

from aiosmtpd.controller import Controller


class Store:
    def __init__(self, path):
        self.path = path
        self.n = 0

    async def handle_DATA(self, server, session, envelope):
        text = envelope.original_content.replace(b"\r\n", b"\n")
        head = ("From %s %s\n" % (envelope.mail_from or "MAILER-DAEMON",
                                  time.asctime())).encode()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, head + text + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)
        self.n += 1
        syslog.syslog(syslog.LOG_INFO, "id=%d from=<%s> to=<%s> size=%d: "
                      "delivered" % (self.n, envelope.mail_from,
                                     ",".join(envelope.rcpt_tos), len(text)))
        return "250 2.0.0 delivered"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start(port, mbox):
    syslog.openlog("bench-aiosmtpd", 0, syslog.LOG_MAIL)
    c = Controller(Store(mbox), hostname="127.0.0.1", port=port,
                   data_size_limit=0)
    c.start()
    return c


def session(inpath, outpath, mbox):
    c = start(free_port(), mbox)
    data = open(inpath, "rb").read()
    t0 = time.monotonic()
    s = socket.create_connection(("127.0.0.1", c.port))

    def send():
        s.sendall(data)

    w = threading.Thread(target=send)
    w.start()
    with open(outpath, "wb") as out:
        while True:
            b = s.recv(65536)
            if not b:
                break
            out.write(b)
    t = time.monotonic() - t0
    w.join()
    s.close()
    c.stop()
    print("%.6f 0" % t)


def serve(port, mbox):
    c = start(port, mbox)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: done.set())
    done.wait()
    c.stop()


if len(sys.argv) == 5 and sys.argv[1] == "session":
    session(sys.argv[2], sys.argv[3], sys.argv[4])
elif len(sys.argv) == 4 and sys.argv[1] == "serve":
    serve(int(sys.argv[2]), sys.argv[3])
else:
    sys.exit(__doc__)
