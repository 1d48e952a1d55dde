#!/usr/bin/env python3
# ISC license.
"""A learner at a terminal, round 2 (issue 15), driven for real.

usage: SMTPD=./smtpd python3 tests/terminal_learner.py

smtpd runs with stdin and stderr on pseudo-terminals (stdin without
echo) and stdout on a pipe, as tests/terminal.py does; each case types
its lines one by one, as a person would, and checks stdout byte for
byte (the SMTP replies of reply.h, tests/replies.py) and stderr line for
line (the hints), in English (LANG=C) and in Japanese
(LANG=ja_JP.UTF-8).  Run as root, smtpd gets -u nobody, as a learner in
a root shell must give it; the cases about starting as root are skipped
when not root.  Prints "ok NAME" or "FAIL NAME" per case, then "N
passed, N failed, N skipped"; exits 1 on a failure.
"""
import os
import pwd
import signal
import stat
import subprocess
import sys
import tempfile
import time

import ptys
import replies

SMTPD = os.path.abspath(os.environ.get('SMTPD', './smtpd'))
H = 'mx.example.org'
WAIT = 10.0
ROOT = os.geteuid() == 0
AS = ['-u', 'nobody'] if ROOT else []
USER = 'nobody' if ROOT else pwd.getpwuid(os.geteuid()).pw_name
EOF = b'\x04'      # Ctrl-D at the start of a line: end of input
ESC = '\x1b'

passes = failures = skips = 0


def r(rid, arg=None):
    return replies.line(rid, arg, H)


def ehlo(name):
    """The EHLO reply, its lines in session.c's order."""
    ids = [('R_HELO', name), ('R_EHLO_PIPELINING', None),
           ('R_EHLO_SIZE', '10240000'), ('R_EHLO_8BITMIME', None),
           ('R_EHLO_ENHANCED', None), ('R_EHLO_SMTPUTF8', None),
           ('R_EHLO_HELP', None), ('R_EHLO_CHUNKING', None)]
    out = [r(i, a) for i, a in ids]
    return [ln[:3] + '-' + ln[4:] for ln in out[:-1]] + out[-1:]


def practice(extra=''):
    return '%s%s%s mbox /tmp/practice.mbox' % (
        SMTPD, ' -u nobody' if ROOT else '', extra)


# The hints, English and Japanese; {} fields are filled per case.
T = {
    'greet': ('hint: Start with HELO your.host.name (HELP lists the '
              'commands, QUIT leaves)',
              'ヒント: HELO your.host.name で始めます (HELP でコマンド一覧、'
              'QUIT で終了)'),
    'end-quit': ('hint: smtpd has ended (QUIT): what you type now goes to '
                 'the shell',
                 'ヒント: smtpd は終了しました (QUIT)。ここから先の入力は'
                 'シェルに渡ります'),
    'end-eof': ('hint: the input ended (Ctrl-D), smtpd has ended: what you '
                'type now goes to the shell',
                'ヒント: 入力が終わったので (Ctrl-D)、smtpd は終了しました。'
                'ここから先の入力はシェルに渡ります'),
    'end-421': ('hint: the server closed the session (421), smtpd has '
                'ended: what you type now goes to the shell',
                'ヒント: サーバが接続を閉じ、smtpd は終了しました (421)。'
                'ここから先の入力はシェルに渡ります'),
    'end-501': ('hint: the server closed the session (501), smtpd has '
                'ended: what you type now goes to the shell',
                'ヒント: サーバが接続を閉じ、smtpd は終了しました (501)。'
                'ここから先の入力はシェルに渡ります'),
    'store': ('hint: smtpd runs as {0}, who cannot write {1}: {2}.  Every '
              'message would fail.  QUIT, and start it with a store it can '
              'write, for instance: {3}',
              'ヒント: smtpd はユーザ {0} で動いていますが、{1} に書き込め'
              'ません: {2}。このままではメールはすべて配送に失敗します。'
              'QUIT で終えて、書き込める保存先で起動し直しましょう。例: {3}'),
    'failed': ('hint: not delivered: {0} (smtpd runs as {1}).  Nothing was '
               'stored',
               'ヒント: 配送できませんでした: {0} (smtpd はユーザ {1} で'
               '動いています)。何も保存されていません'),
    'local': ('hint: 451 "Requested action aborted: local error in '
              'processing": a problem on this machine, not in what you '
              'typed; nothing was stored (the next hint says why)',
              'ヒント: 451「処理中にエラーが発生。要求された処理は失敗」: '
              '入力ではなくこのマシンの問題です。何も保存されていません'
              ' (理由は次のヒント)'),
    'ctrl-d': ('hint: the input ended (Ctrl-D) inside the message: it was '
               'NOT delivered',
               'ヒント: メールの途中で入力が終わりました (Ctrl-D)。このメール'
               'は配送されていません'),
    'in-data': ('hint: "{0}" is part of the message, not a command: after '
                'DATA every line is text until the end.  To end the '
                'message, type a line with only "."; then the command',
                'ヒント: 「{0}」はコマンドではなくメールの一部です。DATA の'
                '後は終わりまですべて本文です。終えるには「.」だけの行を打ち、'
                'それから QUIT などを'),
    'dot-space': ('hint: a dot followed by spaces does not end the message: '
                  'the end is a line with only ".", nothing after it.  This '
                  'line is now part of the message',
                  'ヒント: 「.」の後に空白があるので、終わりの合図になりません。'
                  '終わりは「.」1つだけで後ろに何もない行です。この行はメール'
                  'の一部になりました'),
    'no-blank': ('hint: no empty line between the headers and the body: '
                 'line {0} is not a header, and a mail program may take it '
                 'for a broken one.  Next time type an empty line (Enter '
                 'alone) after the headers',
                 'ヒント: ヘッダと本文の間に空行がありません。{0} 行目はヘッダ'
                 'ではないのに前に空行がないので、メールソフトは壊れたヘッダと'
                 '見なすかもしれません。ヘッダの後に空行 (Enter だけ) を'),
    'no-header': ('hint: the message has no header: its first line is not '
                  '"Name: value", so a mail program shows no subject.  Next '
                  'time: headers such as Subject:, an empty line, the body',
                  'ヒント: このメールにはヘッダがありません。1行目が「名前: 値」'
                  'の形でないので、メールソフトでは件名なしに見えます。次は'
                  'まず Subject: などのヘッダ、空行、本文の順に'),
    'stored': ('hint: The message is stored in {0}.  Look at it with: cat {0}',
               'ヒント: メールは {0} に保存されました。見るには: cat {0}'),
    'each': ("hint: where each recipient's copy went:",
             'ヒント: 宛先ごとの行き先:'),
    'copy': ('hint:   <{0}> -> {1}', 'ヒント:   <{0}> -> {1}'),
    'same': ('hint:   <{0}> -> {1} (the same copy as above)',
             'ヒント:   <{0}> -> {1} (上と同じ1通)'),
    'look': ('hint: look at them with: cat {0}', 'ヒント: 見るには: cat {0}'),
    'look-ls': ('hint: look at them with: ls {0}', 'ヒント: 見るには: ls {0}'),
    'one-each': ("hint: for one mailbox per recipient: {0} mbox "
                 "'mail-%u@%d' (see the README)",
                 "ヒント: 宛先ごとに別のメールボックスにするには: {0} mbox "
                 "'mail-%u@%d' (README を参照)"),
    'control': ('hint: the line holds control characters ({0}): arrow keys '
                'and other special keys send them, and they become part of '
                'the line even when unseen.  Type it again, correcting with '
                'Backspace only',
                'ヒント: 制御文字が入っています ({0})。矢印キーなどの特殊キー'
                'が送る文字で、見えなくても行の一部になります。訂正は '
                'Backspace だけにして、打ち直しましょう'),
    'wide-space': ('hint: full-width characters in the line: the full-width '
                   'space (U+3000) after "{0}" must be an ASCII space.  '
                   'Switch the input method to half-width (ASCII) and type it '
                   'again',
                   'ヒント: 全角文字が入っています: 「{0}」の後の全角の空白 '
                   '(U+3000) は半角の空白に。入力モードを半角英数字にして'
                   '打ち直しましょう'),
    'wide': ('hint: full-width characters in the line: the full-width '
             '"{0}" (U+{1}) after "{2}" must be the ASCII "{3}".  Switch the '
             'input method to half-width (ASCII) and type it again',
             'ヒント: 全角文字が入っています: 「{2}」の後の全角の「{0}」'
             '(U+{1}) は半角の「{3}」に。入力モードを半角英数字にして'
             '打ち直しましょう'),
    'wide-start': ('hint: full-width characters in the line: the line begins '
                   'with the full-width "{0}" (U+{1}), which must be the '
                   'ASCII "{2}".  Switch the input method to half-width '
                   '(ASCII) and type it again',
                   'ヒント: 全角文字が入っています: 行頭の「{0}」(U+{1}) は半角の'
                   '「{2}」に。入力モードを半角英数字にして打ち直しましょう'),
    'obsolete': ('hint: 502 "Command not implemented": an RFC 821 command '
                 'that RFC 5321 dropped.  Nothing to fix in what you typed: '
                 'go on with the next command',
                 'ヒント: 502「指示されたコマンドはこのシステムには実装されて'
                 'いない」: RFC 821 にあって RFC 5321 で廃止されたコマンド'
                 'です。入力に直すところはありません。次のコマンドへ進み'
                 'ましょう'),
    'expn': ('hint: 502 "Command not implemented": EXPN is switched off here '
             'on purpose (it would show who is on a list).  Nothing to fix: '
             'go on with the next command',
             'ヒント: 502「指示されたコマンドはこのシステムには実装されて'
             'いない」: EXPN はここでは意図して止めてあります (リストの会員'
             'が見えてしまうため)。直すところはありません。次のコマンドへ'
             '進みましょう'),
    'ehlo': ('hint: Hello done.  The 250- lines name the extensions this '
             'server offers (PIPELINING, SIZE...), not the commands it takes '
             '(HELP lists those).  Next, the sender: '
             'MAIL FROM:<you@example.org>',
             'ヒント: 挨拶できました。250- の行はこのサーバの拡張機能 '
             '(PIPELINING、SIZE など) で、使えるコマンドの一覧ではありません'
             ' (それは HELP)。次は差出人: MAIL FROM:<you@example.org>'),
    'from-typo': ('hint: 501 "Syntax error in parameters or arguments": '
                  'after MAIL comes the word FROM and a colon: '
                  'MAIL FROM:<you@example.org>',
                  'ヒント: 501「引数の文法に間違いがある」: MAIL の後は FROM '
                  'とコロン: MAIL FROM:<you@example.org>'),
    'no-domain': ('hint: 501 "Syntax error in parameters or arguments": a '
                  'sender needs @ and a domain: <mimori@puni.net>, or <> '
                  'for none',
                  'ヒント: 501「引数の文法に間違いがある」: 差出人には @ と'
                  'ドメインが必要: <mimori@puni.net>。なしなら <>'),
    'too-long': ('hint: 500 "Syntax error, command unrecognized": the line '
                 'had more than 512 octets and was thrown away whole: type '
                 'a shorter one',
                 'ヒント: 500「文法に間違いがあるため、コマンドが理解できない」: '
                 '行が 512 オクテットを超えたので、まるごと捨てられました。'
                 '短く打ち直しましょう'),
    'helo': ('hint: Hello done.  Next, the sender: MAIL FROM:<you@example.org>',
             'ヒント: 挨拶できました。次は差出人: MAIL FROM:<you@example.org>'),
    'mail': ('hint: Sender set.  Next, a recipient: RCPT TO:<them@example.org>',
             'ヒント: 差出人を設定しました。次は宛先: '
             'RCPT TO:<them@example.org>'),
    'rcpt': ('hint: Recipient added.  Another RCPT TO:<...>, or DATA to write '
             'the message',
             'ヒント: 宛先を追加しました。宛先を増やすなら RCPT TO:<...>、'
             '本文を書くなら DATA'),
    'data': ('hint: Type the headers, an empty line, the body, then a line '
             'with only . to end',
             'ヒント: ヘッダ、空行、本文の順に入力し、最後に「.」だけの行で'
             '終わります'),
    'done': ('hint: Accepted.  Another MAIL FROM:<...> for a new message, or '
             'QUIT',
             'ヒント: 受け付けました。もう1通なら MAIL FROM:<...>、終わるなら '
             'QUIT'),
    'quit': ('hint: Session over.  Look at the mailbox to see the message',
             'ヒント: おしまいです。メールボックスを見て届いたメールを'
             '確かめましょう'),
}


def env_for(ja):
    return ptys.smtpd_env(LANG='ja_JP.UTF-8' if ja else 'C')


def wait_for(fds, bufs, wants, deadline):
    """Read each fd until its buffer ends with its want; a pty's CR LF
    (its ONLCR) is LF, a pipe's bytes are as they are."""
    for fd, buf, want in zip(fds, bufs, wants):
        while not (bytes(buf) if fd != fds[-1] else bytes(buf).replace(
                b'\r\n', b'\n')).endswith(want):
            if not ptys.read_some(fd, buf, deadline):
                return False
    return True


class Session:
    """One smtpd with stdin and stderr on ptys, stdout on a pipe."""

    def __init__(self, args, ja, cwd, stdin_tty=True):
        self.in_master, in_slave = ptys.stdin_pair(stdin_tty)
        self.err_master, err_slave = ptys.stderr_pair(True)
        self.p = ptys.start([SMTPD] + args, in_slave, err_slave, cwd,
                            env_for(ja))
        self.out = bytearray()
        self.err = bytearray()
        self.want_out = b''
        self.want_err = b''
        self.deadline = time.monotonic() + WAIT
        self.problems = []

    def expect(self, out_lines, hints):
        self.want_out += b''.join(ln.encode() + b'\r\n' for ln in out_lines)
        self.want_err += b''.join(h.encode() + b'\n' for h in hints)
        if not wait_for([self.p.stdout.fileno(), self.err_master],
                        [self.out, self.err], [self.want_out, self.want_err],
                        self.deadline) and not self.problems:
            self.problems.append('waiting for %r / %r' % (
                out_lines, [h[:40] for h in hints]))

    def type(self, line, out_lines=(), hints=()):
        os.write(self.in_master, line if isinstance(line, bytes) else
                 line.encode() + b'\n')
        self.expect(list(out_lines), list(hints))

    def finish(self, status=0):
        deadline = time.monotonic() + WAIT
        while ptys.read_some(self.p.stdout.fileno(), self.out, deadline):
            pass
        while ptys.read_some(self.err_master, self.err, deadline):
            pass
        ptys.wait(self.p, WAIT, self.problems)
        self.p.stdout.close()
        os.close(self.in_master)
        os.close(self.err_master)
        if bytes(self.out) != self.want_out:
            self.problems.append('stdout %r\n expected %r' % (
                bytes(self.out), self.want_out))
        got = bytes(self.err).replace(b'\r\n', b'\n')
        if got != self.want_err:
            self.problems.append('stderr:\n%s\nexpected:\n%s' % (
                got.decode('utf-8', 'replace'),
                self.want_err.decode('utf-8', 'replace')))
        if self.p.returncode != status:
            self.problems.append('exit status %d' % self.p.returncode)
        return self.problems


def report(name, problems):
    global passes, failures
    if problems:
        failures += 1
        print('FAIL %s' % name)
        for pr in problems:
            print('    ' + pr.replace('\n', '\n    '))
    else:
        passes += 1
        print('ok %s' % name)


def skip(name, why):
    global skips
    skips += 1
    print('skip %s: %s' % (name, why))


def workdir():
    d = tempfile.mkdtemp(prefix='smtpd-learner.')
    os.chmod(d, 0o777)  # nobody's, when run as root
    return d


def cleanup(d):
    for root, dirs, files in os.walk(d, topdown=False):
        for f in files:
            os.unlink(os.path.join(root, f))
        for x in dirs:
            os.chmod(os.path.join(root, x), 0o700)
            os.rmdir(os.path.join(root, x))
    os.rmdir(d)


def hello(s, t, v=True):
    s.type('helo puni.net', [r('R_HELO', 'puni.net')], [t('helo')] if v
           else [])
    s.type('mail from:<mimori@puni.net>', [r('R_SENDER_OK',
                                            '<mimori@puni.net>')],
           [t('mail')] if v else [])


def greeted(args, ja):
    """tr(ja), a workdir() and a Session of args in it, past its
    greeting and the greeting's hint."""
    t = tr(ja)
    d = workdir()
    s = Session(args, ja, d)
    s.expect([r('R_GREETING')], [t('greet')])
    return t, d, s


def done(d, name, ja, problems):
    """cleanup(d), then report name with its language."""
    cleanup(d)
    report('%s (%s)' % (name, 'ja' if ja else 'en'), problems)


def tr(ja):
    return lambda key, *a: T[key][1 if ja else 0].format(*a)


def read(path):
    try:
        with open(path, 'rb') as f:
            return f.read()
    except OSError as e:
        return str(e).encode()


# --- the cases; each runs in English and in Japanese -------------------

def case_root_refusal(ja):
    """Root without -u: the usage line, then the command that works; and
    that command, typed as printed, starts a session."""
    name = 'root without -u prints the practice command (%s)' % (
        'ja' if ja else 'en')
    if not ROOT:
        return skip(name, 'not root')
    d = workdir()
    s = Session([], ja, d)
    s.finish(64)
    problems = [p for p in s.problems if p.startswith(('exit', 'smtpd'))]
    err = bytes(s.err).replace(b'\r\n', b'\n').decode('utf-8', 'replace')
    want = ('smtpd: 練習には: %s -u nobody mbox /tmp/practice.mbox' if ja
            else 'smtpd: to practise, type: %s -u nobody mbox '
            '/tmp/practice.mbox') % SMTPD
    lines = err.split('\n')
    if len(lines) != 3 or not lines[0].startswith(
            'smtpd: started as root: name the user to run as with -u user; '
            'usage: smtpd ') or lines[1] != want or s.out:
        problems.append('stderr %r, want the usage line then %r' % (err,
                                                                   want))
    cmd = want.rsplit(': ', 1)[1].split()
    s = Session(cmd[1:], ja, d)
    s.type('QUIT')
    s.finish()
    out = bytes(s.out).decode()
    if not (out.startswith('220 ') and '\r\n221 2.0.0 ' in out and
            s.p.returncode == 0):
        problems.append('the practice command gave %r' % out)
    cleanup(d)
    report(name, problems)


def case_root_refusal_pipe():
    """Stdin a pipe (inetd): the one usage line, nothing more."""
    name = 'root without -u, stdin not a terminal: the usage line alone'
    if not ROOT:
        return skip(name, 'not root')
    p = subprocess.run([SMTPD], stdin=subprocess.DEVNULL,
                       capture_output=True, env=env_for(False))
    err = p.stderr.decode()
    report(name, [] if p.returncode == 64 and err.count('\n') == 1 and
           'practise' not in err and p.stdout == b'' else
           ['status %d stderr %r' % (p.returncode, err)])


def case_store_unwritable(ja):
    """A store smtpd's user cannot write: said before the greeting, and
    the delivery's reason said after the 451."""
    t = tr(ja)
    d = workdir()
    ro = os.path.join(d, 'ro')
    os.mkdir(ro, 0o555)
    box = os.path.join(ro, 'mbox')
    s = Session(['-n', H, '-v'] + AS + ['mbox', box], ja, d)
    s.expect([r('R_GREETING')], [t('store', USER, ro, 'Permission denied',
                                   practice(' -v')), t('greet')])
    hello(s, t)
    s.type('rcpt to:<sakura@puni.net>', [r('R_RCPT_OK', '<sakura@puni.net>')],
           [t('rcpt')])
    s.type('data', [r('R_DATA_GO')], [t('data')])
    s.type('Subject: test')
    s.type('')
    s.type('Konnichiwa.')
    s.type('.', [r('R_LOCAL_ERROR')], [
        t('local'), t('failed', 'mbox %s: Permission denied' % box, USER)])
    s.type('quit', [r('R_QUIT')], [t('quit'), t('end-quit')])
    problems = s.finish()
    if os.path.exists(box):
        problems.append('%s made' % box)
    done(d, 'store not writable: why, and what to type', ja, problems)


def case_store_template(ja):
    """mbox 'mail/%u@%d' without mail/: the fixed part is checked."""
    t = tr(ja)
    d = workdir()
    s = Session(['-n', H] + AS + ['mbox', 'mail/%u@%d'], ja, d)
    where = ('mail (場所: %s)' if ja else 'mail (in %s)') % d
    s.expect([r('R_GREETING')], [t('store', USER, where,
                                   'No such file or directory',
                                   practice()), t('greet')])
    s.type(EOF, [], [t('end-eof')])
    problems = s.finish()
    done(d, 'store mail/%u@%d without mail/', ja, problems)


def case_ctrl_d_in_data(ja):
    """Ctrl-D inside DATA: not delivered, said; then the end."""
    t, d, s = greeted(['-n', H] + AS, ja)
    hello(s, t, False)
    s.type('rcpt to:<sakura@puni.net>', [r('R_RCPT_OK', '<sakura@puni.net>')])
    s.type('data', [r('R_DATA_GO')])
    s.type('Subject: lost')
    s.type(EOF, [], [t('ctrl-d'), t('end-eof')])
    problems = s.finish()
    if os.path.exists(os.path.join(d, 'mbox')):
        problems.append('./mbox made')
    done(d, 'Ctrl-D inside DATA: not delivered, said', ja, problems)


def case_data_lines(ja):
    """Lines in DATA that look like commands or like the end: a hint at
    once, and they stay in the mail; no blank line after the headers and
    no header at all: said after the 250."""
    t, d, s = greeted(['-n', H] + AS, ja)
    hello(s, t, False)
    s.type('rcpt to:<sakura@puni.net>', [r('R_RCPT_OK', '<sakura@puni.net>')])
    s.type('data', [r('R_DATA_GO')])
    s.type('Subject: first')
    s.type('quit', [], [t('in-data', 'quit')])
    s.type('RSET', [], [t('in-data', 'RSET')])
    s.type('MAIL FROM:<a@b.example>', [], [t('in-data',
                                             'MAIL FROM:<a@b.example>')])
    s.type('. ', [], [t('dot-space')])
    s.type('.', [r('R_DATA_OK', replies.msgid(1))], [
        t('stored', './mbox'), t('no-blank', 2)])
    s.type('mail from:<mimori@puni.net>', [r('R_SENDER_OK',
                                            '<mimori@puni.net>')])
    s.type('rcpt to:<sakura@puni.net>', [r('R_RCPT_OK', '<sakura@puni.net>')])
    s.type('data', [r('R_DATA_GO')])
    s.type('Konnichiwa.')
    s.type('.', [r('R_DATA_OK', replies.msgid(2))], [
        t('stored', './mbox'), t('no-header')])
    s.type('quit', [r('R_QUIT')], [t('end-quit')])
    problems = s.finish()
    mbox = read(os.path.join(d, 'mbox'))
    if b'Subject: first\nquit\nRSET\nMAIL FROM:<a@b.example>\n \n\n' \
            not in mbox:
        problems.append('mbox %r' % mbox)
    done(d, 'DATA: command-like lines, ". ", missing blank line', ja,
         problems)


def case_typed(ja):
    """Arrow keys and the full-width input mode: the hint names them."""
    t, d, s = greeted(['-n', H] + AS, ja)
    s.type('\uff28\uff25\uff2c\uff2f puni.net', [r('R_UNKNOWN')],
           [t('wide-start', '\uff28', 'FF28', 'H')])
    s.type('HELO\u3000puni.net', [r('R_UNKNOWN_GLUED', 'HELO')],
           [t('wide-space', 'HELO')])
    s.type('helo puni.net', [r('R_HELO', 'puni.net')])
    s.type('MAIL FROM\uff1a<mimori@puni.net>', [r('R_SYNTAX_MAIL')],
           [t('wide', '\uff1a', 'FF1A', 'MAIL FROM', ':')])
    s.type('MAIL FROM:\uff1cmimori@puni.net\uff1e', [r('R_NEED_UTF8')],
           [t('wide', '\uff1c', 'FF1C', 'MAIL FROM:', '<')])
    s.type('MAIL FROM:<mimori\uff20puni.net>', [r('R_SENDER_NO_DOMAIN')],
           [t('wide', '\uff20', 'FF20', 'MAIL FROM:<mimori', '@')])
    s.type('mail from:<mimori@puni.net>', [r('R_SENDER_OK',
                                            '<mimori@puni.net>')])
    s.type('RCPT TO:<sak' + ESC + '[D' + ESC + '[Dura@puni.net>',
           [r('R_BAD_RCPT')], [t('control', '^[[D^[[D')])
    s.type('quit', [r('R_QUIT')], [t('end-quit')])
    problems = s.finish()
    done(d, 'arrow keys and full-width characters named', ja, problems)


def case_specific(ja):
    """-v: RFC 821 verbs (nothing to fix), EHLO's lines, and the specific
    replies each with its own hint and its code's meaning; more than 20
    refusals do not end a terminal session."""
    t, d, s = greeted(['-n', H, '-v'] + AS, ja)
    s.type('EHLO puni.net', ehlo('puni.net'), [t('ehlo')])
    for verb in ('SEND FROM:<a@b.example>', 'SOML FROM:<a@b.example>',
                 'SAML FROM:<a@b.example>', 'TURN'):
        s.type(verb, [r('R_OBSOLETE', verb[:4])], [t('obsolete')])
    s.type('EXPN staff', [r('R_EXPN')], [t('expn')])
    s.type('MAIL form:<mimori@puni.net>', [r('R_FROM_TYPO')],
           [t('from-typo')])
    s.type('MAIL FROM:<mimori>', [r('R_SENDER_NO_DOMAIN')], [t('no-domain')])
    s.type('NOOP ' + 'x' * 600, [r('R_LINE_TOO_LONG')], [t('too-long')])
    # 8 refusals so far; 15 more: a pipe's session would have ended
    for _ in range(15):
        s.type('TURN', [r('R_OBSOLETE', 'TURN')], [t('obsolete')])
    s.type('quit', [r('R_QUIT')], [t('quit'), t('end-quit')])
    problems = s.finish()
    done(d, '-v: obsolete verbs, EHLO lines, specific replies, no hang-up',
         ja, problems)


def case_envelope(ja, template):
    """Three recipients: where each copy went, in one mbox or in one
    mailbox each (the README's command)."""
    rcpts = ['ukito@puni.net', 'mimori@puni.net', 'mimori@yo.rim.or.jp']
    t, d, s = greeted(['-n', H] + AS + (['mbox', template] if template
                                        else []), ja)
    hello(s, t, False)
    for rc in rcpts:
        s.type('rcpt to:<%s>' % rc, [r('R_RCPT_OK', '<%s>' % rc)])
    s.type('data', [r('R_DATA_GO')])
    s.type('To: mimori@yo.rim.or.jp')
    s.type('')
    s.type('Konnichiwa.')
    if template:
        paths = [template.replace('%u@%d', rc) for rc in rcpts]
        hints = [t('each')] + [t('copy', rc, p) for rc, p in
                               zip(rcpts, paths)] + [t('look', ' '.join(
                                   paths))]
    else:
        hints = [t('each'), t('copy', rcpts[0], './mbox'),
                 t('same', rcpts[1], './mbox'), t('same', rcpts[2], './mbox'),
                 t('look', './mbox'), t('one-each', SMTPD)]
    s.type('.', [r('R_DATA_OK', replies.msgid(1))], hints)
    s.type(EOF, [], [t('end-eof')])
    problems = s.finish()
    for p in (paths if template else ['mbox']):
        if b'Konnichiwa.' not in read(os.path.join(d, p)):
            problems.append('%s: %r' % (p, read(os.path.join(d, p))))
    done(d, 'three recipients, %s: every copy listed' % (
        template or './mbox'), ja, problems)


def case_maildirs(ja):
    """Two recipients, a Maildir each: the files are listed in new/."""
    rcpts = ['sakura@puni.net', 'ukito@puni.net']
    t, d, s = greeted(['-n', H] + AS + ['maildir', 'md/%u'], ja)
    hello(s, t, False)
    for rc in rcpts:
        s.type('rcpt to:<%s>' % rc, [r('R_RCPT_OK', '<%s>' % rc)])
    s.type('data', [r('R_DATA_GO')])
    s.type('Subject: two')
    s.type('')
    s.type('.', [r('R_DATA_OK', replies.msgid(1))], [
        t('each'), t('copy', rcpts[0], 'md/sakura'),
        t('copy', rcpts[1], 'md/ukito'),
        t('look-ls', 'md/sakura/new md/ukito/new')])
    s.type('quit', [r('R_QUIT')], [t('end-quit')])
    problems = s.finish()
    for u in ('sakura', 'ukito'):
        if len(os.listdir(os.path.join(d, 'md', u, 'new'))) != 1:
            problems.append('md/%s/new' % u)
    done(d, 'two recipients, a Maildir each: ls their new/', ja, problems)


def case_forgiving(ja):
    """-t 1 in a terminal: a pause of 2 s between commands and inside
    DATA ends nothing (no idle timeout, no rate floor)."""
    t, d, s = greeted(['-n', H, '-t', '1'] + AS, ja)
    time.sleep(2.2)
    hello(s, t, False)
    s.type('rcpt to:<sakura@puni.net>', [r('R_RCPT_OK', '<sakura@puni.net>')])
    s.type('data', [r('R_DATA_GO')])
    s.type('Subject: slow')
    time.sleep(2.2)
    s.type('')
    s.type('typed slowly')
    s.deadline += 5
    s.type('.', [r('R_DATA_OK', replies.msgid(1))], [t('stored', './mbox')])
    s.type('quit', [r('R_QUIT')], [t('end-quit')])
    problems = s.finish()
    done(d, 'terminal, -t 1: no idle timeout, no rate floor', ja, problems)


def case_pipe_keeps_timeout():
    """The same -t 1 with stdin a pipe still times out (stdout checked,
    no hints: stdin is no terminal)."""
    d = workdir()
    s = Session(['-n', H, '-t', '1'] + AS, False, d, stdin_tty=False)
    s.expect([r('R_GREETING'), r('R_TIMEOUT')], [])
    problems = s.finish()
    cleanup(d)
    report('stdin a pipe, -t 1: the idle timeout stays', problems)


def case_sigterm(ja):
    """A 421 ends the session: said on stderr."""
    t, d, s = greeted(['-n', H] + AS, ja)
    s.p.send_signal(signal.SIGTERM)
    s.expect([r('R_STOPPING')], [t('end-421')])
    problems = s.finish()
    done(d, 'a 421 (SIGTERM) ends the session, said', ja, problems)


def case_bdat_end(ja):
    """A session the server ends without a 421 (a BDAT size that cannot
    be read): said too."""
    t, d, s = greeted(['-n', H] + AS, ja)
    s.type('BDAT x', [r('R_SYNTAX_BDAT')], [t('end-501')])
    problems = s.finish()
    done(d, 'a session ended by the server after 501 BDAT, said', ja,
         problems)


def case_unknown_limit(ja):
    """-U's limit of unknown recipients ends no terminal session."""
    t, d, s = greeted(['-n', H, '-M', '-U', '0,2,0'] + AS + ['mbox', '%u'],
                      ja)
    hello(s, t, False)
    for who in ('nobody1', 'nobody2', 'nobody3'):
        s.type('rcpt to:<%s@puni.net>' % who,
               [r('R_UNKNOWN_USER', '<%s@puni.net>' % who)])
    s.type('quit', [r('R_QUIT')], [t('end-quit')])
    problems = s.finish()
    done(d, '-U: unknown recipients end no terminal session', ja, problems)


case_root_refusal_pipe()
case_pipe_keeps_timeout()
for JA in (False, True):
    case_root_refusal(JA)
    case_store_unwritable(JA)
    case_store_template(JA)
    case_ctrl_d_in_data(JA)
    case_data_lines(JA)
    case_typed(JA)
    case_specific(JA)
    case_envelope(JA, None)
    case_envelope(JA, 'mail-%u@%d')
    case_maildirs(JA)
    case_forgiving(JA)
    case_sigterm(JA)
    case_bdat_end(JA)
    case_unknown_limit(JA)
print('%d passed, %d failed, %d skipped' % (passes, failures, skips))
sys.exit(1 if failures else 0)
