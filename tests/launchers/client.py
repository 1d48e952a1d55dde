# ISC license.
# Python's smtplib as the client of tests/launchers.sh.
#
# Usage: client.py smtp HOST PORT HELO FILE     one message, b@example.org
#        client.py lmtp SOCKET FILE RCPT...     one LMTP message
#        client.py many HOST PORT COUNT         COUNT sessions at once
#
# FILE holds the message with LF line ends; it is sent with CR LF.
# Each prints every reply it gets, one per line, as "CODE TEXT", so the
# shell script can compare them byte for byte; exit 1 on an exception.

import smtplib
import sys
import threading

TIMEOUT = 20
SENDER = "a@example.org"


def crlf(path):
    with open(path, "rb") as f:
        return f.read().replace(b"\n", b"\r\n")


def show(reply):
    code, text = reply
    print("%d %s" % (code, text.decode("utf-8", "replace")))


def smtp(host, port, helo, path):
    with smtplib.SMTP(host, int(port), local_hostname=helo,
                      timeout=TIMEOUT) as s:
        show(s.ehlo())
        show(s.mail(SENDER))
        show(s.rcpt("b@example.org"))
        show(s.data(crlf(path)))
        show(s.quit())


def lmtp(sock, path, rcpts):
    """smtplib.LMTP reads one reply after DATA; LMTP (RFC 2033 4.2)
    sends one per recipient, so DATA is driven by hand here."""
    s = smtplib.LMTP(sock, local_hostname="postfix.example",
                     timeout=TIMEOUT)
    code, _ = s.ehlo()
    print("%d LHLO" % code)
    show(s.mail(SENDER))
    for r in rcpts:
        show(s.rcpt(r))
    s.putcmd("data")
    show(s.getreply())
    # the file ends in a line end, so only the dot line follows
    s.send(smtplib.quotedata(crlf(path).decode("utf-8")).encode("utf-8")
           + b".\r\n")
    for _ in rcpts:
        show(s.getreply())
    show(s.quit())


def numbered(n):
    """Message n of a burst: over 64 KiB, so one delivery takes
    several write()s, and an unlocked one would interleave."""
    lines = ["Subject: many %d" % n, ""]
    lines += ["%d:%d the quick brown fox jumps over the lazy dog" % (n, k)
              for k in range(1, 2001)]
    return ("\r\n".join(lines) + "\r\n").encode()


def many(host, port, count):
    """COUNT sessions that all reach the end of their data together."""
    count = int(count)
    barrier = threading.Barrier(count, timeout=TIMEOUT)
    results = [None] * count

    def one(n):
        try:
            s = smtplib.SMTP(host, int(port),
                             local_hostname="many%d.example" % n,
                             timeout=TIMEOUT)
            s.ehlo()
            s.mail(SENDER)
            s.rcpt("b@example.org")
            s.putcmd("data")
            if s.getreply()[0] != 354:
                raise RuntimeError("DATA refused")
            s.send(numbered(n))
            barrier.wait()
            s.send(b".\r\n")
            results[n - 1] = s.getreply()[0]
            s.quit()
        except Exception as e:
            results[n - 1] = repr(e)
            barrier.abort()

    threads = [threading.Thread(target=one, args=(n,))
               for n in range(1, count + 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for n, r in enumerate(results, 1):
        print("%d %s" % (n, r))


def main(argv):
    if len(argv) >= 6 and argv[1] == "smtp":
        smtp(*argv[2:6])
    elif len(argv) >= 5 and argv[1] == "lmtp":
        lmtp(argv[2], argv[3], argv[4:])
    elif len(argv) == 5 and argv[1] == "many":
        many(*argv[2:5])
    else:
        sys.exit("usage: client.py smtp|lmtp|many ...")


if __name__ == "__main__":
    main(sys.argv)
