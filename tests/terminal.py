#!/usr/bin/env python3
# ISC license.
"""Terminal mode, driven for real under pseudo-terminals.

usage: SMTPD=./smtpd python3 tests/terminal.py

smtpd runs with its stdin on one pty and its stderr on another (or on
a pipe), and stdout on a pipe, so each stream is checked alone: stdout
must hold exactly the SMTP replies, and stderr exactly the hints, only
when both stdin and stderr are terminals.  A last case puts all three
on one pty, as in a real terminal, and checks that each hint comes
after its reply.  CI has no terminal: the ptys are made here.
Prints "ok NAME" or "FAIL NAME" per case, then "N passed, N failed, 0
skipped"; exits 1 on a failure.
"""
import os
import subprocess
import sys
import tempfile
import time

import ptys
import replies

SMTPD = os.path.abspath(os.environ.get('SMTPD', './smtpd'))
H = 'mx.example.org'
WAIT = 10.0

# the reply lines of reply.h, without CR LF
GREETING = replies.line('R_GREETING', H)
HELLO = replies.line('R_HELO', 'a.example', host=H)
SENDER_OK = replies.line('R_SENDER_OK', '<a@a.example>')
BYE = replies.line('R_QUIT', H)

# what is typed, and the reply smtpd must give
SESSION = [
    ('HLEO a.example', replies.line('R_UNKNOWN_GUESS', 'HELO') + '\r\n'),
    ('helo a.example', HELLO + '\r\n'),
    ('mail from:<a@a.example>', SENDER_OK + '\r\n'),
    ('rcpt to:<b@b.example>',
     replies.line('R_RCPT_OK', '<b@b.example>') + '\r\n'),
    ('data', replies.line('R_DATA_GO') + '\r\n'),
    ('Subject: practice', ''),
    ('', ''),
    ('..one dot', ''),
    ('.', replies.line('R_DATA_OK', replies.msgid(1)) + '\r\n'),
    ('quit', BYE + '\r\n'),
]

MBOX = ('From a@a.example Tue Nov 14 22:13:20 2023\n'
        'Return-Path: <a@a.example>\n'
        'Received: from a.example (stdin)\n'
        '\tby %s (smtpd) with SMTP id 6553F100000000001\n'
        '\tfor <b@b.example>;\n'
        '\tTue, 14 Nov 2023 22:13:20 +0000\n'
        'Subject: practice\n\n.one dot\n\n' % H)

EN = {
    'greet': 'hint: Start with HELO your.host.name (HELP lists the '
             'commands, QUIT leaves)',
    'guess': 'hint: 500 "Syntax error, command unrecognized": not a '
             'command; retype it as the reply shows',
    'helo': 'hint: Hello done.  Next, the sender: MAIL FROM:<you@example.org>',
    'mail': 'hint: Sender set.  Next, a recipient: RCPT TO:<them@example.org>',
    'rcpt': 'hint: Recipient added.  Another RCPT TO:<...>, or DATA to '
            'write the message',
    'data': 'hint: Type the headers, an empty line, the body, then a line '
            'with only . to end',
    'done': 'hint: Accepted.  Another MAIL FROM:<...> for a new message, '
            'or QUIT',
    'stored': 'hint: The message is stored in ./mbox.  Look at it with: '
              'cat ./mbox',
    'quit': 'hint: Session over.  Look at the mailbox to see the message',
    'end': 'hint: smtpd has ended (QUIT): what you type now goes to the '
           'shell',
}
JA = {
    'greet': 'ヒント: HELO your.host.name で始めます (HELP でコマンド一覧、'
             'QUIT で終了)',
    'guess': 'ヒント: 500「文法に間違いがあるため、コマンドが理解できない」: '
             'コマンドではありません。応答が示すとおりに打ち直しましょう',
    'helo': 'ヒント: 挨拶できました。次は差出人: MAIL FROM:<you@example.org>',
    'mail': 'ヒント: 差出人を設定しました。次は宛先: RCPT TO:<them@example.org>',
    'rcpt': 'ヒント: 宛先を追加しました。宛先を増やすなら RCPT TO:<...>、'
            '本文を書くなら DATA',
    'data': 'ヒント: ヘッダ、空行、本文の順に入力し、最後に「.」だけの行で'
            '終わります',
    'done': 'ヒント: 受け付けました。もう1通なら MAIL FROM:<...>、'
            '終わるなら QUIT',
    'stored': 'ヒント: メールは ./mbox に保存されました。見るには: '
              'cat ./mbox',
    'quit': 'ヒント: おしまいです。メールボックスを見て届いたメールを'
            '確かめましょう',
    'end': 'ヒント: smtpd は終了しました (QUIT)。ここから先の入力はシェルに'
           '渡ります',
}
VERBOSE = ['greet', 'guess', 'helo', 'mail', 'rcpt', 'data', 'done',
           'stored', 'quit', 'end']
QUIET = ['greet', 'stored', 'end']

failures = 0
passes = 0


def run(name, args, env_extra, stdin_tty, stderr_tty, want_hints,
        mbox_name='mbox'):
    """One typed session; stdout and stderr checked byte for byte."""
    global failures, passes
    env = ptys.smtpd_env(**env_extra)
    problems = []
    with tempfile.TemporaryDirectory() as d:
        in_master, in_slave = ptys.stdin_pair(stdin_tty)
        err_master, err_slave = ptys.stderr_pair(stderr_tty)
        p = ptys.start([SMTPD, '-n', H] + args, in_slave, err_slave, d, env)
        out = bytearray()
        deadline = time.monotonic() + WAIT
        expected = (GREETING + '\r\n').encode()
        if not ptys.read_until(p.stdout.fileno(), out, expected, deadline):
            problems.append('no greeting: %r' % bytes(out))
        for line, reply in SESSION:
            if problems:
                break
            os.write(in_master, line.encode() + b'\n')
            expected += reply.encode()
            if reply and not ptys.read_until(p.stdout.fileno(), out, expected,
                                        deadline):
                problems.append('after %r stdout is %r' % (line,
                                                           bytes(out)))
        err = ptys.drain(err_master, deadline)
        ptys.wait(p, WAIT, problems)
        out += p.stdout.read()
        p.stdout.close()
        os.close(in_master)
        os.close(err_master)
        if bytes(out) != expected:
            problems.append('stdout %r, expected %r' % (bytes(out),
                                                        expected))
        want_err = ''.join(h + '\n' for h in want_hints).encode()
        got_err = err.replace(b'\r\n', b'\n')  # the pty's ONLCR
        if got_err != want_err:
            problems.append('stderr:\n%s\nexpected:\n%s' % (
                got_err.decode('utf-8', 'replace'),
                want_err.decode()))
        try:
            with open(os.path.join(d, mbox_name)) as f:
                mbox = f.read()
        except OSError as e:
            mbox = str(e)
        if not problems and mbox != MBOX:
            problems.append('mbox %r' % mbox)
        if p.returncode != 0:
            problems.append('exit status %d' % p.returncode)
    if problems:
        failures += 1
        print('FAIL %s' % name)
        for pr in problems:
            print('    ' + pr.replace('\n', '\n    '))
    else:
        passes += 1
        print('ok %s' % name)


def one_terminal():
    """stdin, stdout and stderr on one pty, as a person would have it:
    each hint follows its reply, the typed line is echoed before both."""
    global failures, passes
    env = ptys.smtpd_env(sanitizers=False, LANG='C')
    master, slave = os.openpty()
    with tempfile.TemporaryDirectory() as d:
        p = subprocess.Popen([SMTPD, '-v', '-n', H], stdin=slave,
                             stdout=slave, stderr=slave, cwd=d, env=env)
        os.close(slave)
        screen = bytearray()
        deadline = time.monotonic() + WAIT
        ok = ptys.read_until(master, screen, (EN['greet'] + '\r\n').encode(),
                        deadline)
        for line, hint in (('helo a.example', EN['helo']),
                           ('mail from:<a@a.example>', EN['mail']),
                           ('quit', EN['quit'])):
            if not ok:
                break
            os.write(master, line.encode() + b'\n')
            ok = ptys.read_until(master, screen, (hint + '\r\n').encode(),
                            deadline)
        screen += ptys.drain(master, deadline)
        p.wait(timeout=WAIT)
        os.close(master)
    want = ('%s\n%s\n'
            'helo a.example\n%s\n%s\n'
            'mail from:<a@a.example>\n%s\n'
            '%s\nquit\n%s\n%s\n%s\n' % (
                GREETING, EN['greet'], HELLO, EN['helo'], SENDER_OK,
                EN['mail'], BYE, EN['quit'], EN['end']))
    # the tty turns each \n into \r\n, and smtpd's \r\n into \r\r\n
    got = bytes(screen).replace(b'\r', b'').decode('utf-8', 'replace')
    if got != want:
        failures += 1
        print('FAIL one terminal for all three\n    got:\n%s\n    want:\n%s'
              % (got, want))
    else:
        passes += 1
        print('ok one terminal for all three, hints after replies')


def pick(table, keys):
    return [table[k] for k in keys]


run('terminal: greeting and delivery hints', [], {'LANG': 'en_US.UTF-8'},
    True, True, pick(EN, QUIET))
run('terminal -v: a hint after each reply', ['-v'], {}, True, True,
    pick(EN, VERBOSE))
run('terminal -v, LANG=ja_JP.UTF-8: Japanese', ['-v'],
    {'LANG': 'ja_JP.UTF-8'}, True, True, pick(JA, VERBOSE))
run('terminal, LC_MESSAGES=ja over LANG=en', [],
    {'LANG': 'en_US.UTF-8', 'LC_MESSAGES': 'ja_JP'}, True, True,
    pick(JA, QUIET))
run('terminal -v, LC_ALL=C over LANG=ja: English', ['-v'],
    {'LANG': 'ja_JP.UTF-8', 'LC_ALL': 'C'}, True, True, pick(EN, VERBOSE))
run('stderr a pipe: no hints at all', ['-v'], {'LANG': 'ja_JP.UTF-8'},
    True, False, [])
run('stdin a pipe, stderr a terminal: no hints', ['-v'], {}, False, True,
    [])
run('terminal, mbox ./%u: the hint names the mailbox it went to',
    ['mbox', './%u'], {}, True, True,
    [EN['greet'], 'hint: The message is stored in ./b.  Look at it with: '
     'cat ./b', EN['end']], mbox_name='b')
one_terminal()
print('%d passed, %d failed, 0 skipped' % (passes, failures))
sys.exit(1 if failures else 0)
