#!/usr/bin/env python3
# ISC license.
"""Writes the inputs of the transcript corpus: NAME.in and NAME.args.

usage: python3 tests/transcripts/generate.py [--check] [DIR]

This is where every case's input comes from, with why it is what it is:
some are too large or too regular to keep by hand (101 recipients, a
70 KB message whose "From " lines straddle the mbox writer's 16 KiB
chunks, lines of 100000 octets), others hold NUL, bare CR or bare LF.
It never writes what smtpd must answer: NAME.out, NAME.mbox and
NAME.exit come from the real binary (tests/run-transcripts.sh -u NAME)
and are read, against the RFCs, in the git diff before they are kept;
see README.  So a reply text lives in reply.h and the expected files,
and nowhere here.

A new case: add it below, run this script, then
`sh tests/run-transcripts.sh -u NAME`, and read NAME.out (and NAME.mbox).
--check writes nothing and exits 1 when an input here differs from the
file in DIR (default: this script's directory) or a file there belongs
to no case.
"""
import os
import sys

args = sys.argv[1:]
CHECK = bool(args) and args[0] == '--check'
if CHECK:
    args = args[1:]
D = args[0] if args else os.path.dirname(os.path.abspath(__file__))
if not CHECK:
    os.makedirs(D, exist_ok=True)

# run-transcripts.sh runs smtpd -n mx.example.org with SMTPD_FAKE_TIME
# 1700000000 and TZ=UTC: the host name, the first message id and the
# date of the Received header (data-large-spill needs their lengths)
H = 'mx.example.org'
ID1 = '6553F100000000001'
DATE_HDR = 'Tue, 14 Nov 2023 22:13:20 +0000'

CASES = []
problems = []


def crlf(*lines):
    return ''.join(l + '\r\n' for l in lines)


def case(name, inp, args=None):
    """NAME.in holds inp (str: UTF-8; or bytes); NAME.args, when args is
    given, the extra command-line words."""
    CASES.append(name)

    def b(x):
        return x.encode('utf-8') if isinstance(x, str) else x
    for ext, val in (('.in', inp), ('.args', args)):
        p = os.path.join(D, name + ext)
        if CHECK:
            try:
                with open(p, 'rb') as f:
                    have = f.read()
            except FileNotFoundError:
                have = None
            if have != (None if val is None else b(val)):
                problems.append('differs from generate.py: ' + name + ext)
        elif val is None:
            if os.path.exists(p):
                os.unlink(p)
        else:
            with open(p, 'wb') as f:
                f.write(b(val))


# ---------------------------------------------------------------- seeds
# seed 000: mimori's tutorial session, HELO and QUIT as it teaches.
s000_hdr = ['Date: 07 Dec 1998 21:22:23 +0900',
            'From: test1@puni.net',
            'Subject: Test mail',
            'To: test2@puni.net',
            'Message-ID: <19981207212223.mimori@mail.puni.net>',
            '',
            'Konnichiwa.',
            'Ogenki desuka?']

case('seed000-basic',
     crlf('HELO puni.net', 'MAIL From: <mimori@puni.net>',
          'RCPT To: <sakura@puni.net>', 'DATA', *s000_hdr, '.', 'QUIT'))

s000b_hdr = ['Date: 08 Dec 1998 02:15:12 +0900',
             'From: mimori@puni.net',
             'Subject: Test mail',
             'To: mimori@yo.rim.or.jp',
             'Message-ID: <19981208021512.sakura@mail.puni.net>',
             '',
             'Konnichiwa.',
             'Ogenki desuka?']

case('seed000-three-rcpts',
     crlf('HELO puni.net', 'MAIL From: <sakura@puni.net>',
          'RCPT To: <ukito@puni.net>', 'RCPT To: <mimori@puni.net>',
          'RCPT To: <mimori@yo.rim.or.jp>', 'DATA', *s000b_hdr, '.', 'QUIT'))

case('seed000-vrfy-expn',
     crlf('HELO puni.net', 'VRFY mimori', 'EXPN mimori', 'QUIT'))

# seed 001 example 1: the deliberate typo "form", then lower case.
s001_1 = ['from:c1e08@st.seiai.ed.jp', 'to:c1e08@st.seiai.ed.jp',
          'subject:abc', '', 'abcdef', 'konnichiwa.', 'test mail desu.']

case('seed001-typo-then-lowercase',
     crlf('HELO vine42.st.seiai.ed.jp', 'MAIL form:c1e08@st.seiai.ed.jp',
          'mail from:c1e08@st.seiai.ed.jp', 'rcpt to:c1e08@st.seiai.ed.jp',
          'data', *s001_1, '.', 'quit'))

# seed 001 example 2: anything can be forged in the header.
s001_2 = ['from: zz@zzz.jp', 'to: aa@aaa.jp', 'subject:xyz',
          'date: 1980-12-12', '', 'xyzxyz', 'mouichido', 'test mail desu']

case('seed001-forged-header',
     crlf('helo xxx', 'mail from:yy@yyy.jp', 'rcpt to:c1e08@st.seiai.ed.jp',
          'data', *s001_2, '.', 'quit'))

# seed 002: EHLO, a space after "from:", a UTF-8 body.
case('seed002-ehlo-utf8-body',
     crlf('EHLO atmarkit.co.jp', 'mail from: kaji@atmarkit.co.jp',
          'rcpt to:kaji@atmarkit.co.jp', 'data', 'こんにちは', '.', 'quit'))

# seed 003
s003 = ['From:sender@sender.org', 'To:recipient@recipient.com',
        'Subject:Test', '', 'Test Mail']

case('seed003-postfix-tutorial',
     crlf('helo mail.side-7w.org', 'mail from:sender@sender.org',
          'rcpt to:recipient@recipient.com', 'data', *s003, '.', 'quit'))

# ------------------------------------------------------------- protocol
case('proto-ehlo',
     crlf('EHLO client.example.net', 'QUIT'))

case('proto-ehlo-size-arg',
     crlf('EHLO client.example.net', 'QUIT'),
     args='-s 1000\n')

case('proto-noop-rset-vrfy-expn-help',
     crlf('NOOP', 'NOOP any text is allowed', 'RSET', 'VRFY postmaster',
          'VRFY', 'EXPN staff', 'EXPN', 'HELP', 'HELP MAIL', 'RSET now',
          'QUIT'))

case('proto-obsolete-verbs',
     crlf('HELO a.example', 'SEND FROM:<a@a.example>',
          'SOML FROM:<a@a.example>', 'saml FROM:<a@a.example>', 'TURN',
          'QUIT'))

case('proto-not-offered',
     crlf('EHLO a.example', 'STARTTLS', 'AUTH PLAIN AGFAAGI=',
          'starttls', 'QUIT'))

case('proto-unknown-command',
     crlf('HELO a.example', 'FOO', 'MAILFROM:<a@a.example>', '',
          'HELOa.example', 'QUIT'))

case('proto-mixed-case',
     crlf('hElO Mixed.Example', 'MaIl FrOm:<Ann@Mixed.Example>',
          'rCpT tO:<Bob@Mixed.Example>', 'DaTa', 'Subject: case', '',
          'verbs are case-insensitive', '.', 'qUiT'))

# 503: every command out of its place (RFC 5321 4.1.4, 3.3)
case('seq-503-before-helo',
     crlf('MAIL FROM:<a@a.example>', 'RCPT TO:<b@b.example>', 'DATA',
          'QUIT'))

case('seq-503-in-session',
     crlf('EHLO a.example',
          'RCPT TO:<b@b.example>',       # no MAIL yet
          'DATA',                        # no MAIL yet
          'MAIL FROM:<a@a.example>',
          'DATA',                        # no RCPT yet
          'MAIL FROM:<a@a.example>',     # nested
          'RCPT TO:<b@b.example>',
          'MAIL FROM:<c@a.example>',     # nested after RCPT
          'RSET',
          'RCPT TO:<b@b.example>',       # RSET forgot the sender
          'MAIL FROM:<a@a.example>',
          'RCPT TO:<b@b.example>',
          'EHLO a.example',              # EHLO resets the transaction
          'DATA',
          'MAIL FROM:<a@a.example>',
          'RCPT TO:<b@b.example>',
          'HELO a.example',              # so does HELO
          'RCPT TO:<b@b.example>',
          'QUIT'))

case('seq-data-refused-pipelined',
     crlf('EHLO a.example', 'MAIL FROM:<a@a.example>',
          'RCPT TO:<b@b.example>>', 'DATA', 'hello', '.', 'QUIT'))

# 501: syntax
case('syntax-501',
     crlf('HELO', 'EHLO', 'HELO two words', 'HELO a.example',
          'MAIL', 'MAIL TO:<a@a.example>', 'MAIL FROM:', 'MAIL FROM:   ',
          'MAIL FROM:<a@a.example', 'MAIL FROM:<joe>',
          'MAIL FROM:<postmaster>',
          'MAIL FROM:<a@a.example>',
          'RCPT', 'RCPT FROM:<b@b.example>', 'RCPT TO:', 'RCPT TO:<>',
          'RCPT TO:<joe>', 'RCPT TO:<a@-bad-.example>',
          'RCPT TO:<b@b.example>',
          'DATA now', 'QUIT please', 'QUIT'))

# addresses
case('addr-null-sender',
     crlf('EHLO mailer.example', 'MAIL FROM:<>', 'RCPT TO:<user@example.org>',
          'DATA', 'Subject: bounce', '', 'Your message could not be sent.',
          '.', 'QUIT'))

case('addr-postmaster',
     crlf('HELO a.example', 'MAIL FROM:<a@a.example>',
          'RCPT TO:<Postmaster>', 'DATA', 'hi', '.', 'QUIT'),
     args='-d example.org\n')

case('addr-source-route',
     crlf('HELO a.example', 'MAIL FROM:<@relay.example:a@a.example>',
          'RCPT TO:<@one.example,@two.example:joe@example.org>', 'DATA',
          'routed', '.', 'QUIT'))

case('addr-quoted-local-part',
     crlf('HELO a.example', 'MAIL FROM:<"john doe"@a.example>',
          'RCPT TO:<"jane \\"j\\" roe"@example.org>', 'DATA', 'quoted', '.',
          'QUIT'))

case('addr-literals',
     crlf('EHLO [192.0.2.1]', 'MAIL FROM:<a@[192.0.2.1]>',
          'RCPT TO:<root@[127.0.0.1]>', 'RCPT TO:<root@[IPv6:::1]>',
          'RCPT TO:<root@[300.0.0.1]>', 'RCPT TO:<root@[IPv6:zz]>',
          'DATA', 'literal', '.', 'QUIT'))

case('params-size-body-smtputf8',
     crlf('EHLO a.example',
          'MAIL FROM:<a@a.example> SIZE=1000 BODY=8BITMIME',
          'RSET',
          'MAIL FROM:<dörte@bücher.example> SMTPUTF8 body=8bitmime size=20',
          'RCPT TO:<用户@例子.测试>', 'DATA', 'Subject: ünïcödé', '',
          'grüße', '.', 'QUIT'))

case('params-utf8-needs-smtputf8',
     crlf('EHLO a.example', 'MAIL FROM:<dörte@bücher.example>',
          'MAIL FROM:<a@a.example>', 'RCPT TO:<用户@例子.测试>', 'QUIT'))

case('params-unknown-555',
     crlf('EHLO a.example', 'MAIL FROM:<a@a.example> FOO=bar',
          'MAIL FROM:<a@a.example> SIZE=abc', 'MAIL FROM:<a@a.example> BODY=BINARYMIME',
          'MAIL FROM:<a@a.example> SIZE=1 SIZE=2',
          'MAIL FROM:<a@a.example> SIZE=000000000000000000001',
          'MAIL FROM:<a@a.example>', 'RCPT TO:<b@b.example> NOTIFY=NEVER',
          'QUIT'))

case('params-after-helo-555',
     crlf('HELO a.example', 'MAIL FROM:<a@a.example> SIZE=100',
          'MAIL FROM:<a@a.example>', 'RCPT TO:<b@b.example> NOTIFY=NEVER',
          'QUIT'))

case('size-param-over-limit',
     crlf('EHLO a.example', 'MAIL FROM:<a@a.example> SIZE=1001',
          'MAIL FROM:<a@a.example> SIZE=99999999999999999999',
          'MAIL FROM:<a@a.example> SIZE=1000', 'QUIT'),
     args='-s 1000\n')

# 1000 octets exactly as RFC 1870 counts them: 10 lines of 98 + CR LF
lines1000 = ['%02d' % i + 'x' * 96 for i in range(10)]

case('size-data-at-limit',
     crlf('EHLO a.example', 'MAIL FROM:<a@a.example>',
          'RCPT TO:<b@b.example>', 'DATA', *lines1000, '.', 'QUIT'),
     args='-s 1000\n')

lines1001 = lines1000[:9] + [lines1000[9] + 'y']

case('size-data-over-limit',
     crlf('EHLO a.example', 'MAIL FROM:<a@a.example>',
          'RCPT TO:<b@b.example>', 'DATA', *lines1001, '.',
          'MAIL FROM:<a@a.example>', 'QUIT'),
     args='-s 1000\n')

# dot-stuffed dots are not counted (RFC 1870 3): 1000 octets after unstuffing
lines_dots = ['.' + l[1:] for l in lines1000]

case('size-data-dots-not-counted',
     crlf('EHLO a.example', 'MAIL FROM:<a@a.example>',
          'RCPT TO:<b@b.example>', 'DATA', *['.' + l for l in lines_dots],
          '.', 'QUIT'),
     args='-s 1000\n')

case('domains-served',
     crlf('EHLO a.example', 'MAIL FROM:<a@other.org>',
          'RCPT TO:<one@example.org>', 'RCPT TO:<two@EXAMPLE.ORG>',
          'RCPT TO:<three@other.org>', 'RCPT TO:<four@sub.example.org>',
          'RCPT TO:<five@example.net>', 'DATA', 'served', '.', 'QUIT'),
     args='-d example.org -d example.net\n')

case('rcpt-limit',
     crlf('EHLO a.example', 'MAIL FROM:<a@a.example>',
          'RCPT TO:<one@example.org>', 'RCPT TO:<two@example.org>',
          'RCPT TO:<three@example.org>', 'DATA', 'two of three', '.',
          'MAIL FROM:<a@a.example>', 'RCPT TO:<three@example.org>', 'DATA',
          'the third', '.', 'QUIT'),
     args='-r 2\n')

case('rcpt-duplicate',
     crlf('HELO a.example', 'MAIL FROM:<a@a.example>',
          'RCPT TO:<b@example.org>', 'RCPT TO:<b@example.org>',
          'RCPT TO:<@route.example:b@example.org>', 'DATA', 'once', '.',
          'QUIT'))

case('rset-mid-transaction',
     crlf('HELO a.example', 'MAIL FROM:<first@a.example>',
          'RCPT TO:<dropped@example.org>', 'RSET',
          'MAIL FROM:<second@a.example>', 'RCPT TO:<kept@example.org>',
          'DATA', 'after RSET', '.', 'QUIT'))

case('two-messages',
     crlf('EHLO a.example', 'MAIL FROM:<a@a.example>',
          'RCPT TO:<b@example.org>', 'DATA', 'Subject: one', '', 'first',
          '.', 'MAIL FROM:<c@a.example>', 'RCPT TO:<d@example.org>',
          'RCPT TO:<e@example.org>', 'DATA', 'Subject: two', '', 'second',
          '.', 'QUIT'))

# commands right after the final "." in the same packet; an empty message
case('pipeline-after-dot',
     'EHLO a.example\r\nMAIL FROM:<a@a.example>\r\nRCPT TO:<b@example.org>'
     '\r\nDATA\r\nbody\r\n.\r\nMAIL FROM:<c@a.example>\r\nRCPT TO:'
     '<d@example.org>\r\nDATA\r\n.\r\nNOOP\r\nQUIT\r\n')

# ------------------------------------------------------------- hostile
case('line-510-accepted',
     crlf('NOOP ' + 'x' * 505, 'HELO ' + 'h' * 255, 'QUIT'))

case('line-511-too-long',
     crlf('NOOP ' + 'x' * 506, 'NOOP', 'QUIT'))

case('line-100000-too-long',
     crlf('HELO a.example', 'NOOP ' + 'x' * 99995,
          'MAIL FROM:<a@a.example> ' + 'x' * 70000, 'NOOP', 'QUIT'))

case('cmd-nul',
     'HELO a.example\r\nNOOP\0\r\nMAIL FROM:<a@a.example>\0 SIZE=1\r\n'
     '\0\r\nQUIT\r\n')

case('cmd-bare-cr',
     'HELO a.example\r\nNOOP\rQUIT\r\nRSET\r\r\nMAIL FROM:<a@a.example>\r'
     'RCPT TO:<b@example.org>\r\nQUIT\r\n')

case('errors-20-then-421',
     crlf(*(['HELO a.example'] + ['BOGUS %d' % i for i in range(19)] +
            ['MAIL FROM:<a@a.example>', 'MAIL FROM:<b@a.example>',
             'NOOP', 'QUIT'])))

SMUGGLE = 'MAIL FROM:<evil@x>\r\nRCPT TO:<victim@y>\r\nDATA\r\nsmuggled\r\n'
variants = {
    'lf-dot-lf': '\n.\n',
    'lf-dot-crlf': '\n.\r\n',
    'cr-dot-cr': '\r.\r',
    'cr-dot-crlf': '\r.\r\n',
    'crlf-dot-cr': '\r\n.\r',
    'crlf-dot-lf': '\r\n.\n',
    'lf-dot-cr': '\n.\r',
}

for vname, seq in sorted(variants.items()):
    case('smuggle-' + vname,
         'EHLO attacker.example\r\nMAIL FROM:<a@attacker.example>\r\n'
         'RCPT TO:<b@example.org>\r\nDATA\r\nSubject: innocent\r\n\r\n'
         'hello' + seq + SMUGGLE + '.\r\nQUIT\r\n')

case('data-nul',
     crlf('HELO a.example', 'MAIL FROM:<a@a.example>',
          'RCPT TO:<b@example.org>', 'DATA', 'nul \0 here', '.',
          'MAIL FROM:<a@a.example>', 'RCPT TO:<b@example.org>', 'DATA',
          'clean', '.', 'QUIT'))

case('mboxrd-from-quoting',
     crlf('HELO a.example', 'MAIL FROM:<a@a.example>',
          'RCPT TO:<b@example.org>', 'DATA', 'Subject: quoting', '',
          'From x', '>From x', '>>From x', 'From', 'Fromage', ' From x',
          '>From', 'from x', '>>Fro', 'From x', '.', 'QUIT'))

case('dot-unstuffing',
     crlf('HELO a.example', 'MAIL FROM:<a@a.example>',
          'RCPT TO:<b@example.org>', 'DATA', '..', '...', '.x', '..x',
          ' .', 'a.', '', '.', 'QUIT'))

# a Unix text file piped in: LF everywhere, "." LF ends the data
case('lf-mode-session',
     'HELO unix.example\nMAIL FROM:<a@unix.example>\nRCPT TO:<b@example.org>'
     '\nDATA\nSubject: lf\n\nline one\n..dot\nwith cr\r\n.\nNOOP\r\nQUIT\n')

case('eof-in-data',
     crlf('HELO a.example', 'MAIL FROM:<a@a.example>',
          'RCPT TO:<b@example.org>', 'DATA', 'Subject: cut', '',
          'the connection drops here'))

case('eof-in-data-after-dot-cr',
     'HELO a.example\r\nMAIL FROM:<a@a.example>\r\nRCPT TO:<b@example.org>'
     '\r\nDATA\r\nalmost\r\n.\r')

case('eof-without-quit',
     crlf('HELO a.example', 'MAIL FROM:<a@a.example>',
          'RCPT TO:<b@example.org>', 'DATA', 'no quit', '.', 'NOOP') +
     'QUIT')

case('talk-before-greeting',
     crlf('EHLO eager.example', 'MAIL FROM:<a@eager.example>',
          'RCPT TO:<b@example.org>', 'DATA', 'sent before the 220', '.',
          'QUIT'))


# ------------------------------------------------------------- more
# RFC 5321 4.5.3.1.1-3: local part 64, mailbox 254 (path 256 with <>)
loc64 = 'l' * 64
dom189 = 'd' * 63 + '.' + 'e' * 63 + '.' + 'f' * 56 + '.test'
assert len(loc64 + '@' + dom189) == 254

case('addr-length-limits',
     crlf('HELO a.example', 'MAIL FROM:<a@a.example>',
          'RCPT TO:<%s@%s>' % (loc64, dom189),
          'RCPT TO:<%s@x%s>' % (loc64, dom189),
          'RCPT TO:<%sl@example.org>' % loc64, 'QUIT'))

# the HELO name goes into Received: only [A-Za-z0-9.:_[]-] survive there
case('helo-name-sanitised',
     crlf('HELO evil(name);by"x', 'MAIL FROM:<a@a.example>',
          'RCPT TO:<b@example.org>', 'DATA', 'hi', '.', 'QUIT'))

# the default limit, RFC 5321 4.5.3.1.8: 100 recipients
rcpts = ['r%03d@example.org' % i for i in range(101)]

case('rcpt-101-default-limit',
     crlf('EHLO a.example', 'MAIL FROM:<a@a.example>',
          *['RCPT TO:<%s>' % r for r in rcpts], 'DATA', 'many', '.', 'QUIT'))

# refused messages are not "errors": 21 of them do not end the session
nul_txn = ['MAIL FROM:<a@a.example>', 'RCPT TO:<b@example.org>', 'DATA',
           'nul\0', '.']

case('errors-refused-data-not-counted',
     crlf('HELO a.example', *(nul_txn * 21), 'NOOP', 'QUIT'))

case('eof-right-after-data',
     crlf('HELO a.example', 'MAIL FROM:<a@a.example>',
          'RCPT TO:<b@example.org>', 'DATA'))

# A message larger than the in-memory spool (64 KiB), so it goes through
# the temporary file, with "From " lines straddling the 16 KiB chunks the
# mbox writer reads: the mboxrd quoting must not depend on chunking.  The
# offsets are those of the stored message, which begins with the
# Received header smtpd adds (the From_ and Return-Path lines are written
# apart): the header is spelt out here only to place the lines.
received = ('Received: from a.example (stdin)\n\tby %s (smtpd) with SMTP '
            'id %s\n\tfor <b@example.org>;\n\t%s\n' % (H, ID1, DATE_HDR))
body = []


def at(target, line):
    pos = len(received) + sum(len(l) + 1 for l in body)
    while pos + 80 <= target - 80:
        body.append('%05d ' % len(body) + 'x' * 73)
        pos += 80
    pad = target - pos - 1
    assert 0 <= pad < 200
    body.append('p' * pad)
    body.append(line)


at(16384 - 2, 'From straddles the first chunk boundary')
at(32768 - 1, '>From straddles the second')
at(49152 - 4, 'From  the third, just before it')
at(65536 + 100, 'From past the memory spool')
at(70000, 'the end')
stuffed = ['.' + l if l.startswith('.') else l for l in body]

case('data-large-spill',
     crlf('HELO a.example', 'MAIL FROM:<a@a.example>',
          'RCPT TO:<b@example.org>', 'DATA', *stuffed, '.', 'QUIT'))


# a repeat of an accepted recipient is no new recipient: not refused at -r
case('rcpt-limit-repeat',
     crlf('HELO a.example', 'MAIL FROM:<a@a.example>',
          'RCPT TO:<one@example.org>', 'RCPT TO:<two@example.org>',
          'RCPT TO:<one@example.org>', 'RCPT TO:<three@example.org>',
          'DATA', 'two', '.', 'QUIT'),
     args='-r 2\n')

# LMTP (RFC 2033): LHLO, and one reply per successful RCPT after the dot
case('lmtp-basic',
     crlf('HELO a.example', 'EHLO a.example', 'MAIL FROM:<a@a.example>',
          'LHLO a.example', 'MAIL FROM:<a@a.example>',
          'RCPT TO:<b@example.org>', 'RCPT TO:<c@example.org>', 'DATA',
          'Subject: lmtp', '', 'two replies', '.', 'QUIT'),
     args='-l\n')

# RFC 2033 4.2: "one reply for each previously successful RCPT command",
# so a repeated RCPT that got 250 needs its own reply too, or the client
# waits for it for ever.
case('lmtp-repeated-rcpt',
     crlf('LHLO a.example', 'MAIL FROM:<a@a.example>',
          'RCPT TO:<b@example.org>', 'RCPT TO:<c@example.org>',
          'RCPT TO:<b@example.org>', 'DATA', 'hi', '.', 'QUIT'),
     args='-l\n')

case('lmtp-refused-message',
     crlf('LHLO a.example', 'MAIL FROM:<a@a.example>',
          'RCPT TO:<b@example.org>', 'RCPT TO:<c@example.org>', 'DATA',
          'nul\0', '.', 'QUIT'),
     args='-l\n')

# --------------------------------------------- from check_session.c
# Sessions that were Check unit tests of session.c, with the same input.

# HELO and EHLO without a name, with two words or a control octet; MAIL
# without FROM:, without an address, with the colon missing, a space in
# the address, no closing bracket, no domain, a stray word after it, and
# spaces before and after the address (accepted)
case('syntax-helo-mail',
     crlf('HELO', 'EHLO', 'helo', 'HELO a b', 'EHLO a\x7fb',
          'HELO client.test', 'MAIL', 'MAIL TO:<a@b.example>',
          'MAIL FROM:', 'MAIL FROM:   ', 'MAIL FROM<a@b.example>',
          'MAIL FROM:<a b>', 'MAIL FROM:<a@b.example',
          'MAIL FROM:<user>', 'MAIL FROM:<postmaster>',
          'MAIL FROM:<a@b.example> =x', 'mail from: <a@b.example>   ',
          'QUIT'))

# RCPT's forms as MAIL's, <postmaster> alone accepted; arguments after
# DATA, RSET, QUIT; VRFY without one; unknown, empty and blank lines
case('syntax-rcpt-and-others',
     crlf('HELO client.test', 'MAIL FROM:<a@b.example>', 'RCPT',
          'RCPT FROM:<u@mx.test>', 'RCPT TO:', 'RCPT TO:<a b>', 'RCPT TO:<>',
          'RCPT TO:<user>', 'RCPT TO:<u@mx.test> =x', 'RCPT TO:<postmaster>',
          'DATA now', 'RSET x', 'QUIT now', 'VRFY', 'FOO', '', '   ',
          'QUIT'))

# commands that work before HELO; BDAT before HELO (503, its empty chunk
# read); HELP on a command in
# any case, with a stray word, on an unknown one and on an escape
# sequence (shown as ?); nothing is read after QUIT
case('proto-other-commands',
     crlf('NOOP', 'noop with an argument', 'VRFY someone', 'EXPN list',
          'SEND FROM:<a@b.example>', 'saml', 'starttls', 'AUTH PLAIN',
          'BDAT 0 LAST', 'HELP', 'help quit', 'HELP quit now', 'HELP FOO',
          'HELP \x1b[2J', 'QUIT   ', 'NOOP'))

# mistyped verbs, keywords and brackets: a guess where one fits, and a
# guess never echoes more than a parsed address
case('proto-guesses',
     crlf('HLEO client.test', 'HELOclient.test', 'ehelo client.test',
          'HELO client.test', 'MIAL FROM:<a@b.example>',
          'mailfrom:<a@b.example>', 'MAIL form:a@b.example',
          'MAIL FROM:a@b.example>', 'MAIL FROM:<<a@b.example>> SIZE=1',
          'MAIL FROM:<a@@b.example>', 'MAIL FROM:<postmaster',
          'MAIL FROM:<', 'MAIL FROM:<a@b.example>', 'RCTP TO:<u@mx.test>',
          'RCPTTO:<u@mx.test>', 'RCPT OT:<u@mx.test>',
          'RCPT TO <u@mx.test>', 'RCPT TO:u@mx.test>',
          'RCPT TO:<u@mx.test>', 'DATE', 'SEDN', 'QUIT'))

# unknown, repeated, valueless and bad-valued parameters; an unknown
# keyword is cut to 31 octets in the reply; keywords in lower case
case('params-bad-values',
     crlf('EHLO client.test', 'MAIL FROM:<a@b.example> FOO=1',
          'MAIL FROM:<a@b.example> SIZE=abc',
          'MAIL FROM:<a@b.example> SIZE=10 SIZE=10',
          'MAIL FROM:<a@b.example> SIZE',
          'MAIL FROM:<a@b.example> BODY=9BIT',
          'MAIL FROM:<a@b.example> SMTPUTF8=yes',
          'MAIL FROM:<a@b.example> SMTPUTF8 SMTPUTF8',
          'MAIL FROM:<a@b.example> ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789=1',
          'MAIL FROM:<a@b.example> SIZE=',
          'MAIL FROM:<a@b.example> size=10 body=7bit smtputf8',
          'RCPT TO:<u@mx.test> NOTIFY=NEVER',
          'RCPT TO:<u@mx.test> ORCPT=rfc822;u@mx.test',
          'RCPT TO:<u@mx.test>  ', 'QUIT'))

# after HELO every parameter is refused, with or without a value
case('params-after-helo-keywords',
     crlf('HELO client.test', 'MAIL FROM:<a@b.example> SIZE=10',
          'MAIL FROM:<a@b.example> SMTPUTF8', 'MAIL FROM:<a@b.example> FOO',
          'MAIL FROM:<a@b.example>', 'RCPT TO:<u@mx.test> FOO=1', 'QUIT'))

# -d: served domains in any case; <postmaster> alone is always served
# (RFC 5321 4.5.1), postmaster@ another domain is not; an address
# literal, a subdomain and a longer name are not served
case('domains-postmaster-literals',
     crlf('EHLO client.test', 'MAIL FROM:<a@b.example>',
          'RCPT TO:<u@elsewhere.test>', 'RCPT TO:<u@MX.TEST>',
          'RCPT TO:<v@other.test>', 'RCPT TO:<postmaster>',
          'RCPT TO:<postmaster@elsewhere.test>', 'RCPT TO:<u@[192.0.2.1]>',
          'RCPT TO:<u@sub.mx.test>', 'RCPT TO:<u@mx.test.evil>', 'QUIT'),
     args='-d mx.test -d Other.Test\n')

# -r 2: the count starts again after the message and after RSET
case('rcpt-limit-rset',
     crlf('EHLO client.test', 'MAIL FROM:<a@b.example>',
          'RCPT TO:<a@mx.test>', 'RCPT TO:<b@mx.test>', 'RCPT TO:<c@mx.test>',
          'DATA', 'x', '.', 'MAIL FROM:<a@b.example>', 'RCPT TO:<c@mx.test>',
          'RCPT TO:<d@mx.test>', 'RCPT TO:<e@mx.test>', 'RSET',
          'MAIL FROM:<a@b.example>', 'RCPT TO:<f@mx.test>', 'QUIT'),
     args='-r 2\n')

# one recipient three times, the last without brackets: kept once, so
# the Received header names it ("for")
case('rcpt-duplicate-forms',
     crlf('EHLO client.test', 'MAIL FROM:<a@b.example>',
          'RCPT TO:<u@mx.test>', 'RCPT TO:<u@mx.test>', 'RCPT TO: u@mx.test',
          'DATA', 'x', '.', 'QUIT'))

# RFC 6531 3.4: non-ASCII addresses need SMTPUTF8 on MAIL, so after
# HELO (no parameters) never; a message with it is received UTF8SMTP
case('params-utf8-after-helo',
     crlf('EHLO client.test', 'MAIL FROM:<pel\u00e9@x.test>',
          'MAIL FROM:<a@b.example>', 'RCPT TO:<\u00fc@mx.test>', 'RSET',
          'MAIL FROM:<pel\u00e9@x.test> SMTPUTF8', 'RCPT TO:<\u00fc@mx.test>',
          'DATA', 'Subject: caf\u00e9', '.', 'HELO client.test',
          'MAIL FROM:<pel\u00e9@x.test>', 'MAIL FROM:<a@b.example>',
          'RCPT TO:<\u00fc@mx.test>', 'QUIT'))

# a NUL refuses the message, also with a bare LF in it (the NUL is
# named); the next message goes through
case('data-nul-and-bare-lf',
     crlf('HELO client.test', 'MAIL FROM:<a@b.example>',
          'RCPT TO:<u@mx.test>', 'DATA', 'a\0b', '.',
          'MAIL FROM:<a@b.example>', 'RCPT TO:<u@mx.test>', 'DATA',
          'NUL and bare LF: NUL wins\0', 'c\nd', '.',
          'MAIL FROM:<a@b.example>', 'RCPT TO:<u@mx.test>', 'DATA', 'ok',
          '.', 'QUIT'))

# a mailbox that is no file (here the root directory) is refused at
# RCPT, so DATA has no recipient; the session goes on
case('mbox-is-a-directory',
     crlf('HELO client.test', 'MAIL FROM:<a@b.example>',
          'RCPT TO:<u@mx.test>', 'DATA', 'NOOP', 'QUIT'),
     args='mbox /\n')

# ------------------------------------------------------------ CHUNKING
# BDAT (RFC 3030): exactly SIZE octets follow the command line, with no
# dot-stuffing and no end line.  Each input is bytes, since a chunk is
# counted in octets.


def bdat(data, last=False):
    """One BDAT command and its chunk."""
    data = data.encode('utf-8') if isinstance(data, str) else data
    return b'BDAT %d%s\r\n' % (len(data), b' LAST' if last else b'') + data


def cmds(*lines):
    return crlf(*lines).encode('utf-8')


ENV = cmds('EHLO a.example', 'MAIL FROM:<a@a.example>',
           'RCPT TO:<b@example.org>')

# chunks split a CR LF, a "From " line and a line that is one dot; a
# dot at the start of a line is data (no unstuffing), and ".\r\n" ends
# nothing; a second message in one chunk; BODY=BINARYMIME is refused
case('bdat-basic',
     ENV + bdat('Subject: chunks\r\n\r\nfirst chunk ends in CR\r') +
     bdat('\nFrom the second chunk\r\n.\r\n..two dots\r\n.') +
     bdat('\r\nQUIT\r\nMAIL FROM:<evil@x.example>\r\nend\r\n', True) +
     cmds('MAIL FROM:<a@a.example> BODY=BINARYMIME',
          'MAIL FROM:<a@a.example> BODY=8BITMIME', 'RCPT TO:<c@example.org>') +
     bdat('Subject: one chunk\r\n\r\nall at once\r\n', True) +
     cmds('QUIT'))

# BDAT 0 LAST ends a message; a message may be empty; "last" in lower
# case and blanks before it
case('bdat-zero-last',
     ENV + bdat('Subject: zero\r\n\r\nended by BDAT 0 LAST\r\n') +
     bdat('', True) + cmds('MAIL FROM:<a@a.example>',
                           'RCPT TO:<c@example.org>') +
     b'BDAT 0 last\r\n' + cmds('MAIL FROM:<a@a.example>',
                               'RCPT TO:<d@example.org>') +
     b'BDAT 4  LAST\r\nhi\r\n' + cmds('QUIT'))

# line ends as BDAT brings them: a bare LF is a line end (Microsoft
# sends such messages this way); a bare CR stays, also when it ends a
# chunk and the next begins with something else; a message whose last
# chunk has no line end gets one, and a CR at its very end becomes it
case('bdat-bare-lf',
     ENV + bdat('Subject: bare LF\n\nline one\nline two\r\nbare\rCR\r') +
     bdat('CR at a chunk end\nFrom bare LF\n') +
     bdat('no line end', True) +
     cmds('MAIL FROM:<a@a.example>', 'RCPT TO:<c@example.org>') +
     bdat('ends in CR\r', True) + cmds('QUIT'))

# 503 for BDAT before EHLO, before MAIL and before RCPT, each chunk
# still read (its commands never run); DATA and RCPT after a BDAT get
# 503, MAIL too; the message then goes on and is delivered
case('bdat-sequence',
     bdat('MAIL FROM:<evil@x.example>\r\n') +
     cmds('EHLO a.example') +
     bdat('MAIL FROM:<evil@x.example>\r\nRCPT TO:<victim@example.org>\r\n') +
     cmds('MAIL FROM:<a@a.example>') +
     bdat('RCPT TO:<victim@example.org>\r\nDATA\r\nevil\r\n.\r\n', True) +
     cmds('RCPT TO:<b@example.org>') +
     bdat('Subject: sequence\r\n\r\n') +
     cmds('DATA', 'RCPT TO:<c@example.org>', 'MAIL FROM:<a@a.example>',
          'NOOP') +
     bdat('after the refused commands\r\n', True) + cmds('QUIT'))

# RSET throws the chunks away; so does EHLO; the next message is whole
case('bdat-rset',
     ENV + bdat('Subject: dropped\r\n\r\nthrown away by RSET\r\n') +
     cmds('RSET', 'MAIL FROM:<a@a.example>', 'RCPT TO:<b@example.org>') +
     bdat('thrown away by EHLO\r\n') + ENV +
     bdat('Subject: kept\r\n\r\nthe only message\r\n', True) + cmds('QUIT'))

# -s 1000: a declared total over it is refused at once (552) and its
# chunk skipped unread as commands; the message stays refused through
# LAST; 1000 octets exactly are fine; a chunk over -s alone is skipped
# for 1000 octets, then the session ends (421), since a client that
# goes on sending has no message smtpd could take
case('bdat-size-limit',
     ENV + bdat('x' * 598 + '\r\n') +
     bdat('MAIL FROM:<evil@x.example>\r\n' + 'y' * 570 + '\r\n') +
     bdat('QUIT\r\n', True) +
     cmds('MAIL FROM:<a@a.example> SIZE=1000', 'RCPT TO:<c@example.org>') +
     bdat(''.join('%02d' % i + 'z' * 96 + '\r\n' for i in range(10)), True) +
     cmds('MAIL FROM:<a@a.example>', 'RCPT TO:<d@example.org>') +
     b'BDAT 2000 LAST\r\n' + b'NOOP\r\n' * 200 + cmds('QUIT'),
     args='-s 1000\n')

# 2^64 - 1 is a number: over -s, refused, and the client that goes on
# sending is cut off after -s octets
case('bdat-size-2e64-1',
     ENV + b'BDAT 18446744073709551615\r\n' + b'NOOP\r\n' * 200 +
     cmds('QUIT'),
     args='-s 1000\n')

# sizes that frame nothing: 501 and the end of the session, whatever
# follows (-1, 2^64, no size, a word after it, a NUL in the line)
case('bdat-size-minus-one',
     ENV + b'BDAT -1\r\n' + cmds('NOOP', 'QUIT'))

case('bdat-size-overflow',
     ENV + b'BDAT 18446744073709551616 LAST\r\n' + cmds('NOOP', 'QUIT'))

case('bdat-size-missing',
     ENV + cmds('BDAT', 'NOOP', 'QUIT'))

case('bdat-size-bad-keyword',
     ENV + cmds('BDAT 6 NOTLAST', 'NOOP', 'QUIT'))

case('bdat-size-nul',
     ENV + b'BDAT 6\0\r\nNOOP\r\n' + cmds('QUIT'))

# a chunk shorter than declared, then the end of input: nothing stored
case('bdat-eof-in-chunk',
     ENV + bdat('Subject: cut\r\n\r\nfirst chunk\r\n') +
     b'BDAT 100 LAST\r\nonly this arrives\r\n')

# a NUL refuses the message at its chunk, and every later chunk of it;
# the next message goes through
case('bdat-nul',
     ENV + bdat('nul \0 here\r\n') + bdat('more\r\n') + bdat('end\r\n', True) +
     cmds('MAIL FROM:<a@a.example>', 'RCPT TO:<c@example.org>') +
     bdat('clean\r\n', True) + cmds('QUIT'))

# LMTP (RFC 2033 4.2 with RFC 3030): after BDAT ... LAST one reply per
# accepted recipient, a repeat included; a refused message gets the
# same refusal for each; BDAT without a recipient one 503
LENV = cmds('LHLO a.example', 'MAIL FROM:<a@a.example>',
            'RCPT TO:<b@example.org>', 'RCPT TO:<c@example.org>',
            'RCPT TO:<b@example.org>')

case('lmtp-bdat',
     cmds('LHLO a.example', 'MAIL FROM:<a@a.example>') +
     bdat('RCPT TO:<evil@x.example>\r\n') +
     LENV[len(cmds('LHLO a.example', 'MAIL FROM:<a@a.example>')):] +
     bdat('Subject: lmtp chunks\r\n\r\nfirst\r') + bdat('\nsecond\r\n') +
     cmds('DATA') + bdat('', True) +
     cmds('MAIL FROM:<a@a.example>', 'RCPT TO:<d@example.org>') +
     bdat('one recipient\r\n', True) + cmds('QUIT'),
     args='-l\n')

case('lmtp-bdat-refused',
     LENV + bdat('x' * 500 + '\r\n') + bdat('y' * 600 + '\r\n', True) +
     cmds('MAIL FROM:<a@a.example>', 'RCPT TO:<b@example.org>',
          'RCPT TO:<c@example.org>') +
     bdat('nul\0\r\n') + bdat('', True) + cmds('QUIT'),
     args='-l -s 1000\n')

# ---------------------------------------------------------------------
known = set(CASES)
for f in sorted(os.listdir(D)):
    base, ext = os.path.splitext(f)
    if ext in ('.in', '.out', '.mbox', '.args', '.exit', '.err') and \
            base not in known:
        problems.append('stale: ' + f)
for p in problems:
    print(p)
print('%d cases%s' % (len(CASES), ', %d problems' % len(problems)
                      if problems else ''))
sys.exit(1 if CHECK and problems else 0)
