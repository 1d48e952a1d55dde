#!/usr/bin/env python3
# ISC license.
"""make bench, case e: N sequential SMTP sessions, each delivering one
small message, against 127.0.0.1:PORT, with STARTTLS ("tls") or
without ("plain").  Prints the seconds they took.  Every reply is
checked: a session that fails stops the run with exit 1."""

import smtplib
import ssl
import sys
import time


def main(argv):
    port, n, mode = int(argv[1]), int(argv[2]), argv[3]
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    msg = "Subject: bench\r\n\r\n" + "x" * 70 + "\r\n"
    t0 = time.monotonic()
    for _ in range(n):
        with smtplib.SMTP("127.0.0.1", port, timeout=20) as s:
            s.ehlo("bench.example")
            if mode == "tls":
                s.starttls(context=ctx)
                s.ehlo("bench.example")
                if not isinstance(s.sock, ssl.SSLSocket):
                    sys.exit("not encrypted")
            s.sendmail("a@bench.example", ["b@bench.example"], msg)
    print("%.6f" % (time.monotonic() - t0))


if __name__ == "__main__":
    main(sys.argv)
