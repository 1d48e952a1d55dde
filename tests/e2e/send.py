# ISC license.
# A real client for the end-to-end tests: Python's smtplib, as a script
# or a web application would send mail.
# Usage: send.py PORT                      the sessions below
#        send.py PORT burst COUNT LINES    COUNT deliveries at once
#
# It runs two sessions against smtpd on 127.0.0.1:PORT and prints one
# line per check, "pass: NAME" or "FAIL: NAME: why"; tests/e2e.sh counts
# them and compares the mailbox with tests/e2e/expected/python.mbox.
# smtpd runs with -n mx.example.org -d example.org and a fixed clock,
# so message ids are 6553F10000000 plus a counter per session.

import os
import smtplib
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))
from replies import code, msgid, pair  # noqa: E402

HOST = "127.0.0.1"
SERVER = "mx.example.org"
TIMEOUT = 10

failures = 0


def check(name, got, want):
    global failures
    if got == want:
        print("pass: python %s" % name)
    else:
        failures += 1
        print("FAIL: python %s: got %r, want %r" % (name, got, want))


def crlf(lines):
    """A message as smtplib is meant to get it: bytes, CR LF line ends."""
    return b"".join(line.encode("utf-8") + b"\r\n" for line in lines)


# Leading dots (smtplib stuffs them), "From " lines (mboxrd quotes
# them) and an already quoted ">From ".
MSG_TRICKY = crlf([
    "From: a@example.org",
    "To: b@example.org, c@example.org",
    "Subject: dots and froms",
    "",
    ".a line that starts with a dot",
    "..two dots",
    ".",
    "From the start of a line",
    ">From quoted once",
    "end",
])

# The same shape with bare LF: smtplib sends bytes as they are, and
# smtpd takes each bare LF as a line end (unstuff.c: normalized).
MSG_BARE_LF = (b"From: a@example.org\nSubject: bare LF\n\n"
               b"delivered, each line ended by its bare LF\n")

MSG_UTF8 = crlf([
    "From: jürgen@example.org",
    "To: zoë@example.org",
    "Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=",
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: 8bit",
    "",
    "Grüße aus Köln — ½ € ✓",
    "日本語のテキスト",
])

MSG_RELAY = crlf([
    "Subject: one of two recipients is refused",
    "",
    "only b@example.org gets this",
])

MSG_HELO = crlf([
    "Subject: sent after HELO",
    "",
    "plain SMTP, no extensions",
])


def esmtp_session(port):
    s = smtplib.SMTP(HOST, port, local_hostname="py.example",
                     timeout=TIMEOUT)
    got, _ = s.ehlo()
    check("ehlo 250", got, 250)
    for ext in ("pipelining", "size", "8bitmime", "smtputf8",
                "enhancedstatuscodes"):
        check("ehlo offers %s" % ext, s.has_extn(ext), True)
    check("ehlo SIZE value", s.esmtp_features.get("size"), "10240000")

    # 1: two recipients; smtplib adds SIZE=len to MAIL FROM
    refused = s.sendmail("a@example.org", ["b@example.org",
                         "c@example.org"], MSG_TRICKY)
    check("two recipients accepted", refused, {})

    # 2: bare LF lines normalized and delivered, session goes on
    try:
        s.sendmail("a@example.org", ["b@example.org"], MSG_BARE_LF)
        check("bare LF normalized", "delivered", "delivered")
    except smtplib.SMTPDataError as e:
        check("bare LF normalized", (e.smtp_code, e.smtp_error), "250")

    # 3: UTF-8 addresses and an 8-bit body
    refused = s.sendmail("jürgen@example.org", ["zoë@example.org"],
                         MSG_UTF8, mail_options=["SMTPUTF8",
                                                 "BODY=8BITMIME"])
    check("SMTPUTF8 message accepted", refused, {})

    # 4: one recipient outside -d: refused, the other delivered
    refused = s.sendmail("a@example.org", ["b@example.org",
                         "x@elsewhere.test"], MSG_RELAY)
    check("relay refused for one recipient", refused,
          {"x@elsewhere.test": pair("R_RELAY_DENIED", "elsewhere.test")})

    # 5: every recipient refused: nothing to send
    try:
        s.sendmail("a@example.org", ["x@elsewhere.test"], MSG_RELAY)
        check("all recipients refused", "sent", "refused")
    except smtplib.SMTPRecipientsRefused as e:
        check("all recipients refused", list(e.recipients),
              ["x@elsewhere.test"])

    check("noop", s.noop(), pair("R_NOOP"))
    check("quit", s.quit(), pair("R_QUIT", SERVER))


def helo_session(port):
    s = smtplib.SMTP(HOST, port, local_hostname="old.example",
                     timeout=TIMEOUT)
    check("helo", s.helo(), pair("R_HELO", "old.example", host=SERVER))
    refused = s.sendmail("a@example.org", ["b@example.org"], MSG_HELO)
    check("message after HELO accepted", refused, {})
    # an ESMTP parameter after HELO is refused (RFC 5321 4.1.1.11);
    # smtplib's mail() drops parameters after HELO, so send it raw
    check("parameter after HELO refused",
          s.docmd("MAIL", "FROM:<a@example.org> BODY=8BITMIME"),
          pair("R_PARAM_NEED_EHLO"))
    s.quit()


def burst_body(n, lines):
    """Message n of the burst; tests/e2e.sh builds the same text."""
    text = "Subject: burst %d\r\n\r\n" % n
    text += "".join("%d:%d the quick brown fox jumps over the lazy dog\r\n"
                    % (n, k) for k in range(1, lines + 1))
    return text.encode("ascii")


def burst(port, count, lines):
    """
    count sessions that all send their message but the final "." and
    then end them at once: the deliveries into the one mailbox overlap,
    so only its locks keep the messages apart.
    """
    sessions = []
    for n in range(1, count + 1):
        s = smtplib.SMTP(HOST, port, local_hostname="burst%d.example" % n,
                         timeout=30)
        s.ehlo()
        s.mail("a@example.org")
        s.rcpt("b@example.org")
        got, _ = s.docmd("DATA")
        if got != code("R_DATA_GO"):
            check("burst %d DATA" % n, got, code("R_DATA_GO"))
        s.send(burst_body(n, lines))
        sessions.append(s)
    for s in sessions:
        s.send(b".\r\n")
    got = [s.getreply() for s in sessions]
    check("burst of %d simultaneous deliveries" % count, got,
          [pair("R_DATA_OK", msgid(1))] * count)
    for s in sessions:
        s.quit()


def main():
    if len(sys.argv) == 2:
        port = int(sys.argv[1])
        esmtp_session(port)
        helo_session(port)
    elif len(sys.argv) == 5 and sys.argv[2] == "burst":
        burst(int(sys.argv[1]), int(sys.argv[3]), int(sys.argv[4]))
    else:
        sys.stderr.write("usage: send.py PORT [burst COUNT LINES]\n")
        return 64
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
