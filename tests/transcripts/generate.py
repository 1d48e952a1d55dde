#!/usr/bin/env python3
# ISC license.
# Writes the transcript corpus: every NAME.in with its NAME.out, NAME.mbox,
# NAME.args.  The expectations here are written by hand from RFC 5321,
# 1870, 2033, 2034, 3463, 6531 and the mboxrd format, never captured from
# smtpd, so a case fails when smtpd is wrong.  Some inputs are too large
# or too regular to keep by hand (101 recipients, a 70 KB message whose
# "From " lines straddle the mbox writer's 16 KiB chunks): this is their
# source.  Edit a case here, run `python3 tests/transcripts/generate.py`,
# then tests/run-transcripts.sh, and read the diff of what changed.
import os
import sys

D = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(
    os.path.abspath(__file__))
os.makedirs(D, exist_ok=True)

H = 'mx.example.org'
DATE_FROM = 'Tue Nov 14 22:13:20 2023'
DATE_HDR = 'Tue, 14 Nov 2023 22:13:20 +0000'


def crlf(*lines):
    return ''.join(l + '\r\n' for l in lines)


GREET = '220 %s ESMTP smtpd ready\r\n' % H
QUIT = '221 2.0.0 %s closing connection\r\n' % H
DATA = '354 End data with <CR><LF>.<CR><LF>\r\n'
OK = '250 2.0.0 OK\r\n'
RSET = '250 2.0.0 Reset; start again with MAIL FROM\r\n'
UNKNOWN = '500 5.5.1 Unknown command; type HELP for the list\r\n'
TOOLONG = '500 5.5.2 Line too long: a command has at most 512 octets\r\n'
BADBYTES = '500 5.5.2 Command contains a NUL or a bare CR\r\n'
NEED_HELO = '503 5.5.1 Send HELO or EHLO first\r\n'
NEED_MAIL = '503 5.5.1 Send MAIL FROM first\r\n'
NEED_RCPT = '503 5.5.1 Send RCPT TO first\r\n'
NESTED = '503 5.5.1 Sender already given; send RSET to start over\r\n'
SYN_MAIL = '501 5.5.4 Syntax: MAIL FROM:<you@example.org>\r\n'
SYN_RCPT = '501 5.5.4 Syntax: RCPT TO:<them@example.org>\r\n'
BARE = '554 5.6.0 Message refused: bare CR or LF; end every line with CRLF\r\n'
NUL = '554 5.6.0 Message refused: it contains a NUL octet\r\n'
VRFY = '252 2.5.0 Cannot VRFY users; send the mail and delivery will be tried\r\n'
EXPN = '502 5.5.1 EXPN is disabled: lists are not revealed\r\n'


def multiline(code, esc, lines):
    """A multiline reply: code-esc on every line but the last (RFC 5321
    4.2.1, RFC 2034 4)."""
    return ''.join('%d%s%s %s\r\n' % (code, '-' if i < len(lines) - 1
                                       else ' ', esc, l)
                   for i, l in enumerate(lines))


# HELP (RFC 5321 4.1.1.8): each command with its syntax and meaning, in
# session order, the RFC 821 leftovers last with why they are refused
# (as the table of seed 001 lists them).
HELP_ROWS = [
    ('EHLO your.host.name',
     'start the session, listing the extensions (ESMTP)'),
    ('HELO your.host.name', 'start the session: say who you are'),
    ('MAIL FROM:<you@example.org>',
     'the envelope sender: where bounces go; <> for none'),
    ('RCPT TO:<them@example.org>',
     'a recipient: where the message really goes; repeat for more'),
    ('DATA', 'then the message: headers, blank line, body, and . alone'),
    ('RSET', 'forget the sender and recipients; start again with MAIL'),
    ('NOOP', 'do nothing; the server answers 250'),
    ('QUIT', 'end the session'),
    ('VRFY user@example.org',
     'does the mailbox exist?  252: never told here (privacy)'),
    ('EXPN list', 'who is on a list?  502: never told here (privacy)'),
    ('HELP [command]', 'this list, or more on one command'),
    ('SEND FROM:<you@example.org>',
     'RFC 821: to a terminal; obsolete, refused with 502'),
    ('SOML FROM:<you@example.org>',
     'RFC 821: to a terminal or mailbox; obsolete, refused with 502'),
    ('SAML FROM:<you@example.org>',
     'RFC 821: to a terminal and mailbox; obsolete, refused with 502'),
    ('TURN', 'RFC 821: swap client and server; unsafe, refused with 502'),
]
HELP = multiline(214, '2.0.0', [
    'Commands, in the order a session uses them (any letter case):'] +
    ['  %-28s %s' % row for row in HELP_ROWS] +
    ['HELP MAIL (or another command) shows an example', 'End of HELP'])
HELP_MAIL = multiline(214, '2.0.0', [
    'MAIL FROM:<you@example.org>',
    '  the envelope sender: where bounces go; <> for none',
    '  It need not match the From: header; the header is only text in '
    'the message.',
    'Example: MAIL FROM:<mimori@puni.net>',
    'End of HELP MAIL'])
FROM_TYPO = ('501 5.5.4 Did you mean FROM:?  Syntax: '
             'MAIL FROM:<you@example.org>\r\n')
MAIL_EMPTY = ('501 5.5.4 No address after FROM:; type '
              'MAIL FROM:<you@example.org>, or <> for none\r\n')
RCPT_EMPTY = ('501 5.5.4 No address after TO:; type '
              'RCPT TO:<them@example.org>\r\n')


def guess(what):
    return '500 5.5.1 Unknown command; did you mean %s?\r\n' % what


def helo(name):
    return '250 %s Hello %s\r\n' % (H, name)


def ehlo(name, size=10240000):
    return ('250-%s Hello %s\r\n250-PIPELINING\r\n250-SIZE %d\r\n'
            '250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250-SMTPUTF8\r\n'
            '250 HELP\r\n') % (H, name, size)


def mail_ok(a):
    return '250 2.1.0 Sender <%s> OK\r\n' % a


def rcpt_ok(a):
    return '250 2.1.5 Recipient <%s> OK\r\n' % a


def msgid(n):
    return '6553F10000000%04X' % n


def done(n):
    return '250 2.0.0 Message %s delivered\r\n' % msgid(n)


def syntax(verb):
    return '501 5.5.4 Syntax: %s takes no argument\r\n' % verb


def mbox(sender, helo_name, n, rcpts, body, with_='SMTP'):
    """One mboxrd entry; body is the stored text (LF line ends, already
    quoted by hand where a line needs it)."""
    who = sender if sender else 'MAILER-DAEMON'
    who = who.replace(' ', '_')
    s = 'From %s %s\n' % (who, DATE_FROM)
    s += 'Return-Path: <%s>\n' % sender
    s += 'Received: from %s (stdin)\n\tby %s (smtpd) with %s id %s' % (
        helo_name, H, with_, msgid(n))
    if len(rcpts) == 1:
        s += '\n\tfor <%s>' % rcpts[0]
    s += ';\n\t%s\n' % DATE_HDR
    s += body
    s += '\n'
    return s


CASES = []


def case(name, inp, out, mb=None, args=None, exit=0, comment=None):
    CASES.append(name)
    def b(x):
        return x.encode('utf-8') if isinstance(x, str) else x
    with open(os.path.join(D, name + '.in'), 'wb') as f:
        f.write(b(inp))
    with open(os.path.join(D, name + '.out'), 'wb') as f:
        f.write(b(out))
    for ext, val in (('.mbox', mb), ('.args', args),
                     ('.exit', None if exit == 0 else '%d\n' % exit)):
        p = os.path.join(D, name + ext)
        if val is None:
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
          'RCPT To: <sakura@puni.net>', 'DATA', *s000_hdr, '.', 'QUIT'),
     GREET + helo('puni.net') + mail_ok('mimori@puni.net') +
     rcpt_ok('sakura@puni.net') + DATA + done(1) + QUIT,
     mbox('mimori@puni.net', 'puni.net', 1, ['sakura@puni.net'],
          '\n'.join(s000_hdr) + '\n'))

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
          'RCPT To: <mimori@yo.rim.or.jp>', 'DATA', *s000b_hdr, '.', 'QUIT'),
     GREET + helo('puni.net') + mail_ok('sakura@puni.net') +
     rcpt_ok('ukito@puni.net') + rcpt_ok('mimori@puni.net') +
     rcpt_ok('mimori@yo.rim.or.jp') + DATA + done(1) + QUIT,
     mbox('sakura@puni.net', 'puni.net', 1, ['a', 'b', 'c'],
          '\n'.join(s000b_hdr) + '\n'))

case('seed000-vrfy-expn',
     crlf('HELO puni.net', 'VRFY mimori', 'EXPN mimori', 'QUIT'),
     GREET + helo('puni.net') + VRFY + EXPN + QUIT)

# seed 001 example 1: the deliberate typo "form", then lower case.
s001_1 = ['from:c1e08@st.seiai.ed.jp', 'to:c1e08@st.seiai.ed.jp',
          'subject:abc', '', 'abcdef', 'konnichiwa.', 'test mail desu.']
case('seed001-typo-then-lowercase',
     crlf('HELO vine42.st.seiai.ed.jp', 'MAIL form:c1e08@st.seiai.ed.jp',
          'mail from:c1e08@st.seiai.ed.jp', 'rcpt to:c1e08@st.seiai.ed.jp',
          'data', *s001_1, '.', 'quit'),
     GREET + helo('vine42.st.seiai.ed.jp') + FROM_TYPO +
     mail_ok('c1e08@st.seiai.ed.jp') + rcpt_ok('c1e08@st.seiai.ed.jp') +
     DATA + done(1) + QUIT,
     mbox('c1e08@st.seiai.ed.jp', 'vine42.st.seiai.ed.jp', 1,
          ['c1e08@st.seiai.ed.jp'], '\n'.join(s001_1) + '\n'))

# seed 001 example 2: anything can be forged in the header.
s001_2 = ['from: zz@zzz.jp', 'to: aa@aaa.jp', 'subject:xyz',
          'date: 1980-12-12', '', 'xyzxyz', 'mouichido', 'test mail desu']
case('seed001-forged-header',
     crlf('helo xxx', 'mail from:yy@yyy.jp', 'rcpt to:c1e08@st.seiai.ed.jp',
          'data', *s001_2, '.', 'quit'),
     GREET + helo('xxx') + mail_ok('yy@yyy.jp') +
     rcpt_ok('c1e08@st.seiai.ed.jp') + DATA + done(1) + QUIT,
     mbox('yy@yyy.jp', 'xxx', 1, ['c1e08@st.seiai.ed.jp'],
          '\n'.join(s001_2) + '\n'))

# seed 002: EHLO, a space after "from:", a UTF-8 body.
case('seed002-ehlo-utf8-body',
     crlf('EHLO atmarkit.co.jp', 'mail from: kaji@atmarkit.co.jp',
          'rcpt to:kaji@atmarkit.co.jp', 'data', 'こんにちは', '.', 'quit'),
     GREET + ehlo('atmarkit.co.jp') + mail_ok('kaji@atmarkit.co.jp') +
     rcpt_ok('kaji@atmarkit.co.jp') + DATA + done(1) + QUIT,
     mbox('kaji@atmarkit.co.jp', 'atmarkit.co.jp', 1,
          ['kaji@atmarkit.co.jp'], 'こんにちは\n', with_='ESMTP'))

# seed 003
s003 = ['From:sender@sender.org', 'To:recipient@recipient.com',
        'Subject:Test', '', 'Test Mail']
case('seed003-postfix-tutorial',
     crlf('helo mail.side-7w.org', 'mail from:sender@sender.org',
          'rcpt to:recipient@recipient.com', 'data', *s003, '.', 'quit'),
     GREET + helo('mail.side-7w.org') + mail_ok('sender@sender.org') +
     rcpt_ok('recipient@recipient.com') + DATA + done(1) + QUIT,
     mbox('sender@sender.org', 'mail.side-7w.org', 1,
          ['recipient@recipient.com'], '\n'.join(s003) + '\n'))

# ------------------------------------------------------------- protocol


case('proto-ehlo',
     crlf('EHLO client.example.net', 'QUIT'),
     GREET + ehlo('client.example.net') + QUIT)

case('proto-ehlo-size-arg',
     crlf('EHLO client.example.net', 'QUIT'),
     GREET + ehlo('client.example.net', 1000) + QUIT, args='-s 1000\n')

case('proto-noop-rset-vrfy-expn-help',
     crlf('NOOP', 'NOOP any text is allowed', 'RSET', 'VRFY postmaster',
          'VRFY', 'EXPN staff', 'EXPN', 'HELP', 'HELP MAIL', 'RSET now',
          'QUIT'),
     GREET + OK + OK + RSET + VRFY +
     '501 5.5.4 Syntax: VRFY user@example.org\r\n' + EXPN + EXPN + HELP +
     HELP_MAIL + syntax('RSET') + QUIT)


def obsolete(v):
    return '502 5.5.1 %s is obsolete (RFC 5321) and not supported\r\n' % v


def not_offered(v):
    return '502 5.5.1 %s is not offered by this server\r\n' % v


case('proto-obsolete-verbs',
     crlf('HELO a.example', 'SEND FROM:<a@a.example>',
          'SOML FROM:<a@a.example>', 'saml FROM:<a@a.example>', 'TURN',
          'QUIT'),
     GREET + helo('a.example') + obsolete('SEND') + obsolete('SOML') +
     obsolete('SAML') + obsolete('TURN') + QUIT)

case('proto-not-offered',
     crlf('EHLO a.example', 'STARTTLS', 'AUTH PLAIN AGFAAGI=',
          'starttls', 'QUIT'),
     GREET + ehlo('a.example') + not_offered('STARTTLS') +
     not_offered('AUTH') + not_offered('STARTTLS') + QUIT)

case('proto-unknown-command',
     crlf('HELO a.example', 'FOO', 'MAILFROM:<a@a.example>', '',
          'HELOa.example', 'QUIT'),
     GREET + helo('a.example') + UNKNOWN + guess('MAIL FROM:') + UNKNOWN +
     '500 5.5.1 Unknown command; put a space after HELO\r\n' + QUIT)

case('proto-mixed-case',
     crlf('hElO Mixed.Example', 'MaIl FrOm:<Ann@Mixed.Example>',
          'rCpT tO:<Bob@Mixed.Example>', 'DaTa', 'Subject: case', '',
          'verbs are case-insensitive', '.', 'qUiT'),
     GREET + helo('Mixed.Example') + mail_ok('Ann@Mixed.Example') +
     rcpt_ok('Bob@Mixed.Example') + DATA + done(1) + QUIT,
     mbox('Ann@Mixed.Example', 'Mixed.Example', 1, ['Bob@Mixed.Example'],
          'Subject: case\n\nverbs are case-insensitive\n'))

# 503: every command out of its place (RFC 5321 4.1.4, 3.3)
case('seq-503-before-helo',
     crlf('MAIL FROM:<a@a.example>', 'RCPT TO:<b@b.example>', 'DATA',
          'QUIT'),
     GREET + NEED_HELO * 3 + QUIT)

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
          'QUIT'),
     GREET + ehlo('a.example') + NEED_MAIL + NEED_MAIL +
     mail_ok('a@a.example') + NEED_RCPT + NESTED + rcpt_ok('b@b.example') +
     NESTED + RSET + NEED_MAIL + mail_ok('a@a.example') +
     rcpt_ok('b@b.example') + ehlo('a.example') + NEED_MAIL +
     mail_ok('a@a.example') + rcpt_ok('b@b.example') + helo('a.example') +
     NEED_MAIL + QUIT)

case('seq-data-refused-pipelined',
     crlf('EHLO a.example', 'MAIL FROM:<a@a.example>',
          'RCPT TO:<b@b.example>>', 'DATA', 'hello', '.', 'QUIT'),
     GREET + ehlo('a.example') + mail_ok('a@a.example') +
     '501 5.1.3 Bad recipient address syntax; did you mean '
     'RCPT TO:<b@b.example>?\r\n' + NEED_RCPT +
     guess('HELO') + UNKNOWN + QUIT)

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
          'DATA now', 'QUIT please', 'QUIT'),
     GREET + '501 5.5.4 Syntax: HELO your.host.name\r\n' +
     '501 5.5.4 Syntax: EHLO your.host.name\r\n' +
     '501 5.5.4 Syntax: HELO your.host.name\r\n' + helo('a.example') +
     SYN_MAIL * 2 + MAIL_EMPTY * 2 +
     '501 5.1.7 Bad sender address syntax; did you mean '
     'MAIL FROM:<a@a.example>?\r\n' +
     '501 5.1.7 Sender needs a domain: user@example.org, or <> for none\r\n' * 2 +
     mail_ok('a@a.example') + SYN_RCPT * 2 + RCPT_EMPTY +
     '501 5.1.3 Bad recipient address syntax\r\n' +
     '501 5.1.3 Recipient needs a domain: user@example.org\r\n' +
     '501 5.1.3 Bad recipient address syntax\r\n' +
     rcpt_ok('b@b.example') + syntax('DATA') + syntax('QUIT') + QUIT)

# addresses
case('addr-null-sender',
     crlf('EHLO mailer.example', 'MAIL FROM:<>', 'RCPT TO:<user@example.org>',
          'DATA', 'Subject: bounce', '', 'Your message could not be sent.',
          '.', 'QUIT'),
     GREET + ehlo('mailer.example') + mail_ok('') +
     rcpt_ok('user@example.org') + DATA + done(1) + QUIT,
     mbox('', 'mailer.example', 1, ['user@example.org'],
          'Subject: bounce\n\nYour message could not be sent.\n',
          with_='ESMTP'))

case('addr-postmaster',
     crlf('HELO a.example', 'MAIL FROM:<a@a.example>',
          'RCPT TO:<Postmaster>', 'DATA', 'hi', '.', 'QUIT'),
     GREET + helo('a.example') + mail_ok('a@a.example') +
     rcpt_ok('Postmaster') + DATA + done(1) + QUIT,
     mbox('a@a.example', 'a.example', 1, ['Postmaster'], 'hi\n'),
     args='-d example.org\n')

case('addr-source-route',
     crlf('HELO a.example', 'MAIL FROM:<@relay.example:a@a.example>',
          'RCPT TO:<@one.example,@two.example:joe@example.org>', 'DATA',
          'routed', '.', 'QUIT'),
     GREET + helo('a.example') + mail_ok('a@a.example') +
     rcpt_ok('joe@example.org') + DATA + done(1) + QUIT,
     mbox('a@a.example', 'a.example', 1, ['joe@example.org'], 'routed\n'))

case('addr-quoted-local-part',
     crlf('HELO a.example', 'MAIL FROM:<"john doe"@a.example>',
          'RCPT TO:<"jane \\"j\\" roe"@example.org>', 'DATA', 'quoted', '.',
          'QUIT'),
     GREET + helo('a.example') + mail_ok('"john doe"@a.example') +
     rcpt_ok('"jane \\"j\\" roe"@example.org') + DATA + done(1) + QUIT,
     mbox('"john doe"@a.example', 'a.example', 1,
          ['"jane \\"j\\" roe"@example.org'], 'quoted\n'))

case('addr-literals',
     crlf('EHLO [192.0.2.1]', 'MAIL FROM:<a@[192.0.2.1]>',
          'RCPT TO:<root@[127.0.0.1]>', 'RCPT TO:<root@[IPv6:::1]>',
          'RCPT TO:<root@[300.0.0.1]>', 'RCPT TO:<root@[IPv6:zz]>',
          'DATA', 'literal', '.', 'QUIT'),
     GREET + ehlo('[192.0.2.1]') + mail_ok('a@[192.0.2.1]') +
     rcpt_ok('root@[127.0.0.1]') + rcpt_ok('root@[IPv6:::1]') +
     '501 5.1.3 Bad recipient address syntax\r\n' * 2 + DATA + done(1) +
     QUIT,
     mbox('a@[192.0.2.1]', '[192.0.2.1]', 1, [1, 2], 'literal\n',
          with_='ESMTP'))

case('params-size-body-smtputf8',
     crlf('EHLO a.example',
          'MAIL FROM:<a@a.example> SIZE=1000 BODY=8BITMIME',
          'RSET',
          'MAIL FROM:<dörte@bücher.example> SMTPUTF8 body=8bitmime size=20',
          'RCPT TO:<用户@例子.测试>', 'DATA', 'Subject: ünïcödé', '',
          'grüße', '.', 'QUIT'),
     GREET + ehlo('a.example') + mail_ok('a@a.example') + RSET +
     mail_ok('dörte@bücher.example') + rcpt_ok('用户@例子.测试') + DATA +
     done(1) + QUIT,
     mbox('dörte@bücher.example', 'a.example', 1, ['用户@例子.测试'],
          'Subject: ünïcödé\n\ngrüße\n', with_='UTF8SMTP'))

case('params-utf8-needs-smtputf8',
     crlf('EHLO a.example', 'MAIL FROM:<dörte@bücher.example>',
          'MAIL FROM:<a@a.example>', 'RCPT TO:<用户@例子.测试>', 'QUIT'),
     GREET + ehlo('a.example') +
     '553 5.6.7 Non-ASCII address needs MAIL FROM:<...> SMTPUTF8\r\n' +
     mail_ok('a@a.example') +
     '553 5.6.7 Non-ASCII address needs MAIL FROM:<...> SMTPUTF8\r\n' +
     QUIT)

case('params-unknown-555',
     crlf('EHLO a.example', 'MAIL FROM:<a@a.example> FOO=bar',
          'MAIL FROM:<a@a.example> SIZE=abc', 'MAIL FROM:<a@a.example> BODY=BINARYMIME',
          'MAIL FROM:<a@a.example> SIZE=1 SIZE=2',
          'MAIL FROM:<a@a.example> SIZE=000000000000000000001',
          'MAIL FROM:<a@a.example>', 'RCPT TO:<b@b.example> NOTIFY=NEVER',
          'QUIT'),
     GREET + ehlo('a.example') +
     '555 5.5.4 Unsupported parameter FOO\r\n' +
     '501 5.5.4 Bad value or repeated parameter SIZE\r\n' +
     '501 5.5.4 Bad value or repeated parameter BODY\r\n' +
     '501 5.5.4 Bad value or repeated parameter SIZE\r\n' * 2 +
     mail_ok('a@a.example') + '555 5.5.4 Unsupported parameter NOTIFY\r\n' +
     QUIT)

case('params-after-helo-555',
     crlf('HELO a.example', 'MAIL FROM:<a@a.example> SIZE=100',
          'MAIL FROM:<a@a.example>', 'RCPT TO:<b@b.example> NOTIFY=NEVER',
          'QUIT'),
     GREET + helo('a.example') +
     '555 5.5.4 Parameters need EHLO, not HELO\r\n' +
     mail_ok('a@a.example') +
     '555 5.5.4 Parameters need EHLO, not HELO\r\n' + QUIT)

TOO_BIG = '552 5.3.4 Message too big: the limit is 1000 octets\r\n'
case('size-param-over-limit',
     crlf('EHLO a.example', 'MAIL FROM:<a@a.example> SIZE=1001',
          'MAIL FROM:<a@a.example> SIZE=99999999999999999999',
          'MAIL FROM:<a@a.example> SIZE=1000', 'QUIT'),
     GREET + ehlo('a.example', 1000) + TOO_BIG + TOO_BIG +
     mail_ok('a@a.example') + QUIT, args='-s 1000\n')

# 1000 octets exactly as RFC 1870 counts them: 10 lines of 98 + CR LF
lines1000 = ['%02d' % i + 'x' * 96 for i in range(10)]
case('size-data-at-limit',
     crlf('EHLO a.example', 'MAIL FROM:<a@a.example>',
          'RCPT TO:<b@b.example>', 'DATA', *lines1000, '.', 'QUIT'),
     GREET + ehlo('a.example', 1000) + mail_ok('a@a.example') +
     rcpt_ok('b@b.example') + DATA + done(1) + QUIT,
     mbox('a@a.example', 'a.example', 1, ['b@b.example'],
          '\n'.join(lines1000) + '\n', with_='ESMTP'),
     args='-s 1000\n')

lines1001 = lines1000[:9] + [lines1000[9] + 'y']
case('size-data-over-limit',
     crlf('EHLO a.example', 'MAIL FROM:<a@a.example>',
          'RCPT TO:<b@b.example>', 'DATA', *lines1001, '.',
          'MAIL FROM:<a@a.example>', 'QUIT'),
     GREET + ehlo('a.example', 1000) + mail_ok('a@a.example') +
     rcpt_ok('b@b.example') + DATA + TOO_BIG + mail_ok('a@a.example') +
     QUIT, args='-s 1000\n')

# dot-stuffed dots are not counted (RFC 1870 3): 1000 octets after unstuffing
lines_dots = ['.' + l[1:] for l in lines1000]
case('size-data-dots-not-counted',
     crlf('EHLO a.example', 'MAIL FROM:<a@a.example>',
          'RCPT TO:<b@b.example>', 'DATA', *['.' + l for l in lines_dots],
          '.', 'QUIT'),
     GREET + ehlo('a.example', 1000) + mail_ok('a@a.example') +
     rcpt_ok('b@b.example') + DATA + done(1) + QUIT,
     mbox('a@a.example', 'a.example', 1, ['b@b.example'],
          '\n'.join(lines_dots) + '\n', with_='ESMTP'),
     args='-s 1000\n')

RELAY = '550 5.7.1 Relaying denied: %s is not a domain served here\r\n'
case('domains-served',
     crlf('EHLO a.example', 'MAIL FROM:<a@other.org>',
          'RCPT TO:<one@example.org>', 'RCPT TO:<two@EXAMPLE.ORG>',
          'RCPT TO:<three@other.org>', 'RCPT TO:<four@sub.example.org>',
          'RCPT TO:<five@example.net>', 'DATA', 'served', '.', 'QUIT'),
     GREET + ehlo('a.example') + mail_ok('a@other.org') +
     rcpt_ok('one@example.org') + rcpt_ok('two@EXAMPLE.ORG') +
     RELAY % 'other.org' + RELAY % 'sub.example.org' +
     rcpt_ok('five@example.net') + DATA + done(1) + QUIT,
     mbox('a@other.org', 'a.example', 1, [1, 2, 3], 'served\n',
          with_='ESMTP'),
     args='-d example.org -d example.net\n')

case('rcpt-limit',
     crlf('EHLO a.example', 'MAIL FROM:<a@a.example>',
          'RCPT TO:<one@example.org>', 'RCPT TO:<two@example.org>',
          'RCPT TO:<three@example.org>', 'DATA', 'two of three', '.',
          'MAIL FROM:<a@a.example>', 'RCPT TO:<three@example.org>', 'DATA',
          'the third', '.', 'QUIT'),
     GREET + ehlo('a.example') + mail_ok('a@a.example') +
     rcpt_ok('one@example.org') + rcpt_ok('two@example.org') +
     '452 4.5.3 Too many recipients; send the rest in a new transaction\r\n'
     + DATA + done(1) + mail_ok('a@a.example') +
     rcpt_ok('three@example.org') + DATA + done(2) + QUIT,
     mbox('a@a.example', 'a.example', 1, [1, 2], 'two of three\n',
          with_='ESMTP') +
     mbox('a@a.example', 'a.example', 2, ['three@example.org'],
          'the third\n', with_='ESMTP'),
     args='-r 2\n')

case('rcpt-duplicate',
     crlf('HELO a.example', 'MAIL FROM:<a@a.example>',
          'RCPT TO:<b@example.org>', 'RCPT TO:<b@example.org>',
          'RCPT TO:<@route.example:b@example.org>', 'DATA', 'once', '.',
          'QUIT'),
     GREET + helo('a.example') + mail_ok('a@a.example') +
     rcpt_ok('b@example.org') * 3 + DATA + done(1) + QUIT,
     mbox('a@a.example', 'a.example', 1, ['b@example.org'], 'once\n'))

case('rset-mid-transaction',
     crlf('HELO a.example', 'MAIL FROM:<first@a.example>',
          'RCPT TO:<dropped@example.org>', 'RSET',
          'MAIL FROM:<second@a.example>', 'RCPT TO:<kept@example.org>',
          'DATA', 'after RSET', '.', 'QUIT'),
     GREET + helo('a.example') + mail_ok('first@a.example') +
     rcpt_ok('dropped@example.org') + RSET + mail_ok('second@a.example') +
     rcpt_ok('kept@example.org') + DATA + done(1) + QUIT,
     mbox('second@a.example', 'a.example', 1, ['kept@example.org'],
          'after RSET\n'))

case('two-messages',
     crlf('EHLO a.example', 'MAIL FROM:<a@a.example>',
          'RCPT TO:<b@example.org>', 'DATA', 'Subject: one', '', 'first',
          '.', 'MAIL FROM:<c@a.example>', 'RCPT TO:<d@example.org>',
          'RCPT TO:<e@example.org>', 'DATA', 'Subject: two', '', 'second',
          '.', 'QUIT'),
     GREET + ehlo('a.example') + mail_ok('a@a.example') +
     rcpt_ok('b@example.org') + DATA + done(1) + mail_ok('c@a.example') +
     rcpt_ok('d@example.org') + rcpt_ok('e@example.org') + DATA + done(2) +
     QUIT,
     mbox('a@a.example', 'a.example', 1, ['b@example.org'],
          'Subject: one\n\nfirst\n', with_='ESMTP') +
     mbox('c@a.example', 'a.example', 2, [1, 2],
          'Subject: two\n\nsecond\n', with_='ESMTP'))

# commands right after the final "." in the same packet; an empty message
case('pipeline-after-dot',
     'EHLO a.example\r\nMAIL FROM:<a@a.example>\r\nRCPT TO:<b@example.org>'
     '\r\nDATA\r\nbody\r\n.\r\nMAIL FROM:<c@a.example>\r\nRCPT TO:'
     '<d@example.org>\r\nDATA\r\n.\r\nNOOP\r\nQUIT\r\n',
     GREET + ehlo('a.example') + mail_ok('a@a.example') +
     rcpt_ok('b@example.org') + DATA + done(1) + mail_ok('c@a.example') +
     rcpt_ok('d@example.org') + DATA + done(2) + OK + QUIT,
     mbox('a@a.example', 'a.example', 1, ['b@example.org'], 'body\n',
          with_='ESMTP') +
     mbox('c@a.example', 'a.example', 2, ['d@example.org'], '',
          with_='ESMTP'))

# ------------------------------------------------------------- hostile
case('line-510-accepted',
     crlf('NOOP ' + 'x' * 505, 'HELO ' + 'h' * 255, 'QUIT'),
     GREET + OK + helo('h' * 255) + QUIT)

case('line-511-too-long',
     crlf('NOOP ' + 'x' * 506, 'NOOP', 'QUIT'),
     GREET + TOOLONG + OK + QUIT)

case('line-100000-too-long',
     crlf('HELO a.example', 'NOOP ' + 'x' * 99995,
          'MAIL FROM:<a@a.example> ' + 'x' * 70000, 'NOOP', 'QUIT'),
     GREET + helo('a.example') + TOOLONG + TOOLONG + OK + QUIT)

case('cmd-nul',
     'HELO a.example\r\nNOOP\0\r\nMAIL FROM:<a@a.example>\0 SIZE=1\r\n'
     '\0\r\nQUIT\r\n',
     GREET + helo('a.example') + BADBYTES * 3 + QUIT)

case('cmd-bare-cr',
     'HELO a.example\r\nNOOP\rQUIT\r\nRSET\r\r\nMAIL FROM:<a@a.example>\r'
     'RCPT TO:<b@example.org>\r\nQUIT\r\n',
     GREET + helo('a.example') + BADBYTES * 3 + QUIT)

ERR421 = '421 4.7.0 %s too many errors, closing connection\r\n' % H
case('errors-20-then-421',
     crlf(*(['HELO a.example'] + ['BOGUS %d' % i for i in range(19)] +
            ['MAIL FROM:<a@a.example>', 'MAIL FROM:<b@a.example>',
             'NOOP', 'QUIT'])),
     GREET + helo('a.example') + UNKNOWN * 19 + mail_ok('a@a.example') +
     NESTED + ERR421)

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
         'hello' + seq + SMUGGLE + '.\r\nQUIT\r\n',
         GREET + ehlo('attacker.example') + mail_ok('a@attacker.example') +
         rcpt_ok('b@example.org') + DATA + BARE + QUIT)

case('data-nul',
     crlf('HELO a.example', 'MAIL FROM:<a@a.example>',
          'RCPT TO:<b@example.org>', 'DATA', 'nul \0 here', '.',
          'MAIL FROM:<a@a.example>', 'RCPT TO:<b@example.org>', 'DATA',
          'clean', '.', 'QUIT'),
     GREET + helo('a.example') + mail_ok('a@a.example') +
     rcpt_ok('b@example.org') + DATA + NUL + mail_ok('a@a.example') +
     rcpt_ok('b@example.org') + DATA + done(2) + QUIT,
     mbox('a@a.example', 'a.example', 2, ['b@example.org'], 'clean\n'))

case('mboxrd-from-quoting',
     crlf('HELO a.example', 'MAIL FROM:<a@a.example>',
          'RCPT TO:<b@example.org>', 'DATA', 'Subject: quoting', '',
          'From x', '>From x', '>>From x', 'From', 'Fromage', ' From x',
          '>From', 'from x', '>>Fro', 'From x', '.', 'QUIT'),
     GREET + helo('a.example') + mail_ok('a@a.example') +
     rcpt_ok('b@example.org') + DATA + done(1) + QUIT,
     mbox('a@a.example', 'a.example', 1, ['b@example.org'],
          'Subject: quoting\n\n>From x\n>>From x\n>>>From x\nFrom\n'
          'Fromage\n From x\n>From\nfrom x\n>>Fro\n>From x\n'))

case('dot-unstuffing',
     crlf('HELO a.example', 'MAIL FROM:<a@a.example>',
          'RCPT TO:<b@example.org>', 'DATA', '..', '...', '.x', '..x',
          ' .', 'a.', '', '.', 'QUIT'),
     GREET + helo('a.example') + mail_ok('a@a.example') +
     rcpt_ok('b@example.org') + DATA + done(1) + QUIT,
     mbox('a@a.example', 'a.example', 1, ['b@example.org'],
          '.\n..\nx\n.x\n .\na.\n\n'))

# a Unix text file piped in: LF everywhere, "." LF ends the data
case('lf-mode-session',
     'HELO unix.example\nMAIL FROM:<a@unix.example>\nRCPT TO:<b@example.org>'
     '\nDATA\nSubject: lf\n\nline one\n..dot\nwith cr\r\n.\nNOOP\r\nQUIT\n',
     GREET + helo('unix.example') + mail_ok('a@unix.example') +
     rcpt_ok('b@example.org') + DATA + done(1) + OK + QUIT,
     mbox('a@unix.example', 'unix.example', 1, ['b@example.org'],
          'Subject: lf\n\nline one\n.dot\nwith cr\n'))

case('eof-in-data',
     crlf('HELO a.example', 'MAIL FROM:<a@a.example>',
          'RCPT TO:<b@example.org>', 'DATA', 'Subject: cut', '',
          'the connection drops here'),
     GREET + helo('a.example') + mail_ok('a@a.example') +
     rcpt_ok('b@example.org') + DATA)

case('eof-in-data-after-dot-cr',
     'HELO a.example\r\nMAIL FROM:<a@a.example>\r\nRCPT TO:<b@example.org>'
     '\r\nDATA\r\nalmost\r\n.\r',
     GREET + helo('a.example') + mail_ok('a@a.example') +
     rcpt_ok('b@example.org') + DATA)

case('eof-without-quit',
     crlf('HELO a.example', 'MAIL FROM:<a@a.example>',
          'RCPT TO:<b@example.org>', 'DATA', 'no quit', '.', 'NOOP') +
     'QUIT',
     GREET + helo('a.example') + mail_ok('a@a.example') +
     rcpt_ok('b@example.org') + DATA + done(1) + OK,
     mbox('a@a.example', 'a.example', 1, ['b@example.org'], 'no quit\n'))

case('talk-before-greeting',
     crlf('EHLO eager.example', 'MAIL FROM:<a@eager.example>',
          'RCPT TO:<b@example.org>', 'DATA', 'sent before the 220', '.',
          'QUIT'),
     GREET + ehlo('eager.example') + mail_ok('a@eager.example') +
     rcpt_ok('b@example.org') + DATA + done(1) + QUIT,
     mbox('a@eager.example', 'eager.example', 1, ['b@example.org'],
          'sent before the 220\n', with_='ESMTP'))


# ------------------------------------------------------------- more
# RFC 5321 4.5.3.1.1-3: local part 64, mailbox 254 (path 256 with <>)
loc64 = 'l' * 64
dom189 = 'd' * 63 + '.' + 'e' * 63 + '.' + 'f' * 56 + '.test'
assert len(loc64 + '@' + dom189) == 254
case('addr-length-limits',
     crlf('HELO a.example', 'MAIL FROM:<a@a.example>',
          'RCPT TO:<%s@%s>' % (loc64, dom189),
          'RCPT TO:<%s@x%s>' % (loc64, dom189),
          'RCPT TO:<%sl@example.org>' % loc64, 'QUIT'),
     GREET + helo('a.example') + mail_ok('a@a.example') +
     rcpt_ok(loc64 + '@' + dom189) +
     '501 5.1.3 Bad recipient address syntax\r\n' * 2 + QUIT)

# the HELO name goes into Received: only [A-Za-z0-9.:_[]-] survive there
case('helo-name-sanitised',
     crlf('HELO evil(name);by"x', 'MAIL FROM:<a@a.example>',
          'RCPT TO:<b@example.org>', 'DATA', 'hi', '.', 'QUIT'),
     GREET + helo('evil(name);by"x') + mail_ok('a@a.example') +
     rcpt_ok('b@example.org') + DATA + done(1) + QUIT,
     mbox('a@a.example', 'evil?name??by?x', 1, ['b@example.org'], 'hi\n'))

# the default limit, RFC 5321 4.5.3.1.8: 100 recipients
rcpts = ['r%03d@example.org' % i for i in range(101)]
case('rcpt-101-default-limit',
     crlf('EHLO a.example', 'MAIL FROM:<a@a.example>',
          *['RCPT TO:<%s>' % r for r in rcpts], 'DATA', 'many', '.', 'QUIT'),
     GREET + ehlo('a.example') + mail_ok('a@a.example') +
     ''.join(rcpt_ok(r) for r in rcpts[:100]) +
     '452 4.5.3 Too many recipients; send the rest in a new transaction\r\n'
     + DATA + done(1) + QUIT,
     mbox('a@a.example', 'a.example', 1, rcpts, 'many\n', with_='ESMTP'))

# refused messages are not "errors": 21 of them do not end the session
nul_txn = ['MAIL FROM:<a@a.example>', 'RCPT TO:<b@example.org>', 'DATA',
           'nul\0', '.']
case('errors-refused-data-not-counted',
     crlf('HELO a.example', *(nul_txn * 21), 'NOOP', 'QUIT'),
     GREET + helo('a.example') +
     (mail_ok('a@a.example') + rcpt_ok('b@example.org') + DATA + NUL) * 21
     + OK + QUIT)

case('eof-right-after-data',
     crlf('HELO a.example', 'MAIL FROM:<a@a.example>',
          'RCPT TO:<b@example.org>', 'DATA'),
     GREET + helo('a.example') + mail_ok('a@a.example') +
     rcpt_ok('b@example.org') + DATA)

# A message larger than the in-memory spool (64 KiB), so it goes through
# the temporary file, with "From " lines straddling the 16 KiB chunks the
# mbox writer reads: the mboxrd quoting must not depend on chunking.
received = ('Received: from a.example (stdin)\n\tby %s (smtpd) with SMTP '
            'id %s\n\tfor <b@example.org>;\n\t%s\n' % (H, msgid(1), DATE_HDR))
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
quoted = ['>' + l if l.lstrip('>').startswith('From ') else l for l in body]
case('data-large-spill',
     crlf('HELO a.example', 'MAIL FROM:<a@a.example>',
          'RCPT TO:<b@example.org>', 'DATA', *stuffed, '.', 'QUIT'),
     GREET + helo('a.example') + mail_ok('a@a.example') +
     rcpt_ok('b@example.org') + DATA + done(1) + QUIT,
     mbox('a@a.example', 'a.example', 1, ['b@example.org'],
          '\n'.join(quoted) + '\n'))


# a repeat of an accepted recipient is no new recipient: not refused at -r
case('rcpt-limit-repeat',
     crlf('HELO a.example', 'MAIL FROM:<a@a.example>',
          'RCPT TO:<one@example.org>', 'RCPT TO:<two@example.org>',
          'RCPT TO:<one@example.org>', 'RCPT TO:<three@example.org>',
          'DATA', 'two', '.', 'QUIT'),
     GREET + helo('a.example') + mail_ok('a@a.example') +
     rcpt_ok('one@example.org') + rcpt_ok('two@example.org') +
     rcpt_ok('one@example.org') +
     '452 4.5.3 Too many recipients; send the rest in a new transaction\r\n'
     + DATA + done(1) + QUIT,
     mbox('a@a.example', 'a.example', 1, [1, 2], 'two\n'),
     args='-r 2\n')

# LMTP (RFC 2033): LHLO, and one reply per successful RCPT after the dot
LGREET = '220 %s LMTP smtpd ready\r\n' % H
LHLO_ONLY = '500 5.5.1 This is an LMTP server: say LHLO your.host.name\r\n'


def lmtp_ok(rcpt, n):
    return '250 2.0.0 Delivered to <%s> as %s\r\n' % (rcpt, msgid(n))


case('lmtp-basic',
     crlf('HELO a.example', 'EHLO a.example', 'MAIL FROM:<a@a.example>',
          'LHLO a.example', 'MAIL FROM:<a@a.example>',
          'RCPT TO:<b@example.org>', 'RCPT TO:<c@example.org>', 'DATA',
          'Subject: lmtp', '', 'two replies', '.', 'QUIT'),
     LGREET + LHLO_ONLY * 2 + '503 5.5.1 Send LHLO first\r\n' +
     ehlo('a.example') + mail_ok('a@a.example') + rcpt_ok('b@example.org') +
     rcpt_ok('c@example.org') + DATA + lmtp_ok('b@example.org', 1) +
     lmtp_ok('c@example.org', 1) + QUIT,
     mbox('a@a.example', 'a.example', 1, [1, 2],
          'Subject: lmtp\n\ntwo replies\n', with_='LMTP'),
     args='-l\n')

# RFC 2033 4.2: "one reply for each previously successful RCPT command",
# so a repeated RCPT that got 250 needs its own reply too, or the client
# waits for it for ever.
case('lmtp-repeated-rcpt',
     crlf('LHLO a.example', 'MAIL FROM:<a@a.example>',
          'RCPT TO:<b@example.org>', 'RCPT TO:<c@example.org>',
          'RCPT TO:<b@example.org>', 'DATA', 'hi', '.', 'QUIT'),
     LGREET + ehlo('a.example') + mail_ok('a@a.example') +
     rcpt_ok('b@example.org') + rcpt_ok('c@example.org') +
     rcpt_ok('b@example.org') + DATA + lmtp_ok('b@example.org', 1) +
     lmtp_ok('c@example.org', 1) + lmtp_ok('b@example.org', 1) + QUIT,
     mbox('a@a.example', 'a.example', 1, [1, 2], 'hi\n', with_='LMTP'),
     args='-l\n')

case('lmtp-refused-message',
     crlf('LHLO a.example', 'MAIL FROM:<a@a.example>',
          'RCPT TO:<b@example.org>', 'RCPT TO:<c@example.org>', 'DATA',
          'nul\0', '.', 'QUIT'),
     LGREET + ehlo('a.example') + mail_ok('a@a.example') +
     rcpt_ok('b@example.org') + rcpt_ok('c@example.org') + DATA + NUL * 2 +
     QUIT, args='-l\n')

# ---------------------------------------------------------------------
known = set(CASES)
for f in os.listdir(D):
    base, ext = os.path.splitext(f)
    if ext in ('.in', '.out', '.mbox', '.args', '.exit') and \
            base not in known:
        print('stale:', f)
print(len(CASES), 'cases')
