#!/usr/bin/env python3
# ISC license.
"""Guided lessons (smtpd -L, smtpd.8: LESSONS), typed for real.

usage: SMTPD=./smtpd python3 tests/lessons.py [-u]

-u rewrites tests/lessons/*.err from what smtpd writes now: read
`git diff tests/lessons` before keeping them.

Each lesson runs start to finish with stdin and stderr on
pseudo-terminals, as a learner has them, and stdout on a pipe, in
English (LANG=C) and Japanese (LANG=ja_JP.UTF-8).  Checked:
- stdout holds exactly the replies of reply.h (tests/replies.py), the
  same bytes as the same lines typed without -L;
- stderr holds the coaching: every why, after, note, intro and end
  text of the lesson's file (lessons/NAME.txt), in its order, and the
  key lines of lesson.c (step prompts, "ok", where the mail went, the
  notes on the stored mail);
- every mailbox holds exactly the expected bytes, one per recipient.
Then: a learner who strays and comes back, one who leaves early, the
lesson on pipes (stderr byte for byte against tests/lessons/*.err),
-L list, and an unknown name.  Prints "ok NAME" or "FAIL NAME", then
"N passed, N failed, 0 skipped"; exits 1 on a failure.
"""
import errno
import os
import re
import select
import subprocess
import sys
import tempfile
import time

import ptys
import replies

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
SMTPD = os.path.abspath(os.environ.get('SMTPD', './smtpd'))
WAIT = 15.0
DATE = 'Tue Nov 14 22:13:20 2023'
DATE822 = 'Tue, 14 Nov 2023 22:13:20 +0000'
LANGS = {'C': 'en', 'ja_JP.UTF-8': 'ja'}

failures = 0
passes = 0


def say(ok, name, problems=()):
    global failures, passes
    if ok:
        passes += 1
        print('ok %s' % name)
    else:
        failures += 1
        print('FAIL %s' % name)
        for p in problems:
            print('    ' + p.replace('\n', '\n    '))


# --- what a lesson file says (lessons/README) -------------------------

def lesson_texts(name, lang):
    """The texts of lessons/NAME.txt shown in language lang, in the order
    smtpd shows them: intro, then per step why and after (and a
    message's notes before its after), then end."""
    intro, steps, end = [], [], []
    cur = None
    with open(os.path.join(TOP, 'lessons', name + '.txt'),
              encoding='utf-8') as f:
        for raw in f:
            line = raw.rstrip('\n')
            if not line.strip() or line.startswith('#'):
                continue
            key, _, text = line.partition(' ')
            if key == 'C:':
                cur = {'why': [], 'note': [], 'after': []}
                steps.append(cur)
            elif key == 'intro.' + lang:
                intro.append(text)
            elif key == 'end.' + lang:
                end.append(text)
            elif cur is not None and key in ('why.' + lang, 'note.' + lang,
                                             'after.' + lang):
                cur[key.split('.')[0]].append(text)
    out = list(intro)
    for st in steps:
        out += st['why'] + st['note'] + st['after']
    return out + end


def lesson_about(name, lang):
    with open(os.path.join(TOP, 'lessons', name + '.txt'),
              encoding='utf-8') as f:
        for line in f:
            if line.startswith('about.%s ' % lang):
                return line.rstrip('\n').split(' ', 1)[1]
    raise KeyError(name)


def in_order(text, needles):
    """The needles missing from text, each looked for after the last."""
    at, missing = 0, []
    for n in needles:
        i = text.find(n, at)
        if i < 0:
            missing.append(n)
        else:
            at = i + len(n)
    return missing


# --- the lessons as a learner types them ------------------------------

def mail(sender, helo, host, with_, n, rcpt, body):
    """One message as the mbox holds it (tests/transcripts/*.mbox)."""
    return ('From %s %s\nReturn-Path: <%s>\nReceived: from %s (stdin)\n'
            '\tby %s (smtpd) with %s id %s%s\n\t%s\n%s\n' % (
                sender, DATE, sender, helo, host, with_, replies.msgid(n),
                '\n\tfor <%s>;' % rcpt if rcpt else ';', DATE822,
                ''.join(b + '\n' for b in body)))


def cmd(typed, rid, arg=None, host=None):
    return (typed, [replies.line(rid, arg, host=host)])


def body(lines, n, host):
    """The lines of a message, the last "." with its 250."""
    return [(b, []) for b in lines] + [
        ('.', [replies.line('R_DATA_OK', replies.msgid(n), host=host)])]


def puni():
    h = 'mail.puni.net'
    b1 = ['Date: 07 Dec 1998 21:22:23 +0900', 'From: test1@puni.net',
          'Subject: Test mail', 'To: test2@puni.net',
          'Message-ID: <19981207212223.mimori@mail.puni.net>', '',
          'Konnichiwa.', 'Ogenki desuka?']
    b2 = ['Date: 08 Dec 1998 02:15:12 +0900', 'From: mimori@puni.net',
          'Subject: Test mail', 'To: mimori@yo.rim.or.jp',
          'Message-ID: <19981208021512.sakura@mail.puni.net>', '',
          'Konnichiwa.', 'Ogenki desuka?']
    steps = [cmd('HELO puni.net', 'R_HELO', 'puni.net', h),
             # loosely: case, brackets and spaces do not count
             cmd('mail from:<mimori@puni.net>', 'R_SENDER_OK',
                 '<mimori@puni.net>', h),
             cmd('RCPT To: <sakura@puni.net>', 'R_RCPT_OK',
                 '<sakura@puni.net>', h),
             cmd('DATA', 'R_DATA_GO', None, h)] + body(b1, 1, h) + [
             cmd('MAIL From: <sakura@puni.net>', 'R_SENDER_OK',
                 '<sakura@puni.net>', h)] + [
             cmd('RCPT To: <%s>' % r, 'R_RCPT_OK', '<%s>' % r, h)
             for r in ('ukito@puni.net', 'mimori@puni.net',
                       'mimori@yo.rim.or.jp')] + [
             cmd('DATA', 'R_DATA_GO', None, h)] + body(b2, 2, h) + [
             cmd('VRFY mimori', 'R_VRFY', None, h),
             cmd('EXPN mimori', 'R_EXPN', None, h),
             cmd('QUIT', 'R_QUIT', h, h)]
    m2 = mail('sakura@puni.net', 'puni.net', h, 'SMTP', 2, None, b2)
    boxes = {'sakura@puni.net.mbox': mail('mimori@puni.net', 'puni.net', h,
                                          'SMTP', 1, 'sakura@puni.net', b1),
             'ukito@puni.net.mbox': m2, 'mimori@puni.net.mbox': m2,
             'mimori@yo.rim.or.jp.mbox': m2}
    key = {'en': ['lesson: puni: seed 000',
                  'lesson: step 1 of 14, type:  HELO puni.net',
                  'lesson: ok: step 1 done',
                  'lesson: step 5 of 14, type the message, line by line:',
                  'lesson:     (an empty line)',
                  'lesson: stored in ./sakura@puni.net.mbox',
                  'lesson: stored in ./ukito@puni.net.mbox',
                  'lesson: stored in ./mimori@puni.net.mbox',
                  'lesson: stored in ./mimori@yo.rim.or.jp.mbox',
                  'smtpd answers 252 (RFC 5321 3.5.3)',
                  'lesson: The lesson is over: all 14 steps done.',
                  'lesson: --- mail 1, in ./sakura@puni.net.mbox:',
                  'lesson:   | Return-Path: <mimori@puni.net>',
                  'lesson:   * Return-Path: <mimori@puni.net> is the '
                  'envelope sender, your MAIL FROM; From: test1@puni.net '
                  'is the header you typed after DATA.',
                  'lesson:   * Received: from puni.net: smtpd wrote this '
                  'line itself, with the name you gave HELO',
                  'lesson:   * One copy: the mail had one recipient',
                  'lesson: --- mail 2, in ./ukito@puni.net.mbox:',
                  'lesson:   * 3 copies, one per RCPT TO, whatever the To: '
                  'header says:',
                  'lesson:       ./mimori@yo.rim.or.jp.mbox'],
           'ja': ['レッスン: puni: seed 000',
                  'レッスン: ステップ 1/14 入力:  HELO puni.net',
                  'レッスン: OK: ステップ 1 完了',
                  'レッスン:     (空行)',
                  'レッスン: ./sakura@puni.net.mbox に保存されました',
                  'レッスン: レッスン終了: 14 ステップすべて完了しました。',
                  'レッスン:   * Return-Path: <mimori@puni.net> は'
                  'エンベロープの差出人 (MAIL FROM) です。From: '
                  'test1@puni.net は DATA の後に入力したヘッダです。',
                  'レッスン:   * Received: from puni.net: この行は smtpd '
                  '自身が書きました。',
                  'レッスン:   * 3 通: To: ヘッダに関係なく、RCPT TO 1つに'
                  'つき1通:']}
    return h, steps, boxes, key


def exim():
    h = 'jonah.st.seiai.ed.jp'
    me = 'c1e08@st.seiai.ed.jp'
    b1 = ['from:' + me, 'to:' + me, 'subject:abc', '', 'abcdef',
          'konnichiwa.', 'test mail desu.']
    b2 = ['from: zz@zzz.jp', 'to: aa@aaa.jp', 'subject:xyz',
          'date: 1980-12-12', '', 'xyzxyz', 'mouichido', 'test mail desu']
    steps = [cmd('HELO vine42.st.seiai.ed.jp', 'R_HELO',
                 'vine42.st.seiai.ed.jp', h),
             cmd('MAIL form:' + me, 'R_FROM_TYPO', None, h),
             cmd('mail from:' + me, 'R_SENDER_OK', '<%s>' % me, h),
             cmd('rcpt to:' + me, 'R_RCPT_OK', '<%s>' % me, h),
             cmd('data', 'R_DATA_GO', None, h)] + body(b1, 1, h) + [
             cmd('helo xxx', 'R_HELO', 'xxx', h),
             cmd('mail from:yy@yyy.jp', 'R_SENDER_OK', '<yy@yyy.jp>', h),
             cmd('rcpt to:' + me, 'R_RCPT_OK', '<%s>' % me, h),
             cmd('data', 'R_DATA_GO', None, h)] + body(b2, 2, h) + [
             cmd('quit', 'R_QUIT', h, h)]
    boxes = {me + '.mbox':
             mail(me, 'vine42.st.seiai.ed.jp', h, 'SMTP', 1, me, b1) +
             mail('yy@yyy.jp', 'xxx', h, 'SMTP', 2, me, b2)}
    key = {'en': ['lesson: step 2 of 12, type:  MAIL form:' + me,
                  'lesson: ok: step 2 done, the lesson\'s line.',
                  'smtpd answers 501',
                  'lesson: --- mail 1, in ./%s.mbox:' % me,
                  'lesson:   | Received: from vine42.st.seiai.ed.jp (stdin)',
                  'lesson: --- mail 2, in ./%s.mbox:' % me,
                  'lesson:   | Return-Path: <yy@yyy.jp>',
                  'lesson:   | from: zz@zzz.jp',
                  'lesson:   * Return-Path: <yy@yyy.jp> is the envelope '
                  'sender, your MAIL FROM; From: zz@zzz.jp is the header',
                  'lesson:   * Received: from xxx: smtpd wrote this line '
                  'itself'],
           'ja': ['レッスン: ステップ 2/12 入力:  MAIL form:' + me,
                  'smtpd は 501 です。',
                  'レッスン: --- メール 2 (./%s.mbox):' % me,
                  'レッスン:   * Received: from xxx: この行は smtpd']}
    return h, steps, boxes, key


def ehlo():
    h = 'mail.atmarkit.co.jp'
    me = 'kaji@atmarkit.co.jp'
    n = replies.ehlo_lines()
    ehlo_reply = [replies.line('R_HELO', 'atmarkit.co.jp', host=h)]
    for rid in [r for r in replies.table() if r.startswith('R_EHLO_') and
                r != 'R_EHLO_STARTTLS']:
        ehlo_reply.append(replies.line(
            rid, '10240000' if rid == 'R_EHLO_SIZE' else None, host=h))
    assert len(ehlo_reply) == n
    ehlo_reply = [r[:3] + '-' + r[4:] for r in ehlo_reply[:-1]] + \
        ehlo_reply[-1:]
    steps = [('EHLO atmarkit.co.jp', ehlo_reply),
             cmd('mail from: ' + me, 'R_SENDER_OK', '<%s>' % me, h),
             cmd('rcpt to:' + me, 'R_RCPT_OK', '<%s>' % me, h),
             cmd('data', 'R_DATA_GO', None, h)] + \
        body(['こんにちは'], 1, h) + [cmd('quit', 'R_QUIT', h, h)]
    boxes = {me + '.mbox': mail(me, 'atmarkit.co.jp', h, 'ESMTP', 1, me,
                                ['こんにちは'])}
    key = {'en': ['lesson: ok: step 1 done',
                  'each 250- line after the first names an extension',
                  'lesson: The lesson is over: all 6 steps done.',
                  'lesson:   * Return-Path: <%s> is the envelope sender, '
                  'your MAIL FROM.  There is no From: header' % me],
           'ja': ['1行目の後の 250- の行はそれぞれ拡張機能',
                  'レッスン: レッスン終了: 6 ステップすべて完了しました。',
                  'From: ヘッダはありません。']}
    return h, steps, boxes, key


POSTFIX_BODY = ['From:sender@sender.org', 'To:recipient@recipient.com',
                'Subject:Test', '', 'Test Mail']


def postfix():
    h = 'smtp.senderserver.org'
    to = 'recipient@recipient.com'
    steps = [cmd('helo mail.side-7w.org', 'R_HELO', 'mail.side-7w.org', h),
             cmd('mail from:sender@sender.org', 'R_SENDER_OK',
                 '<sender@sender.org>', h),
             cmd('rcpt to:' + to, 'R_RCPT_OK', '<%s>' % to, h),
             cmd('data', 'R_DATA_GO', None, h)] + \
        body(POSTFIX_BODY, 1, h) + [cmd('quit', 'R_QUIT', h, h)]
    boxes = {to + '.mbox': mail('sender@sender.org', 'mail.side-7w.org', h,
                                'SMTP', 1, to, POSTFIX_BODY)}
    key = {'en': ['lesson: stored in ./recipient@recipient.com.mbox',
                  'lesson: step 6 of 6, type:  quit',
                  'lesson: The lesson is over: all 6 steps done.'],
           'ja': ['レッスン: ./recipient@recipient.com.mbox に保存されました',
                  'レッスン: ステップ 6/6 入力:  quit']}
    return h, steps, boxes, key


LESSONS = {'puni': puni, 'exim': exim, 'ehlo': ehlo, 'postfix': postfix}


# --- running smtpd ----------------------------------------------------

def pump(fds, bufs, done, deadline):
    """Read every fd of fds into its buf until done() or the deadline
    (both streams at once: a full stderr must not stall smtpd)."""
    while not done():
        left = deadline - time.monotonic()
        live = [fd for fd in fds if fd is not None]
        if left <= 0 or not live:
            return False
        r, _, _ = select.select(live, [], [], left)
        if not r:
            return False
        for fd in r:
            try:
                chunk = os.read(fd, 65536)
            except OSError as e:
                if e.errno != errno.EIO:  # Linux: pty slave closed
                    raise
                chunk = b''
            if not chunk:
                fds[fds.index(fd)] = None
            else:
                bufs[fd] += chunk
    return True


def run(args, steps, lang, tty=True, hang_up_after=None, mode=None):
    """Type steps [(line, [reply lines])] at smtpd args, waiting for
    each line's replies.  Returns (problems, stdout, stderr text,
    {file: content} of the directory, exit status).  mode: that of
    the directory smtpd runs in."""
    env = ptys.smtpd_env(LANG=lang)
    problems = []
    with tempfile.TemporaryDirectory() as d:
        in_master, in_slave = ptys.stdin_pair(tty)
        err_master, err_slave = ptys.stderr_pair(tty)
        if mode is not None:
            os.chmod(d, mode)
        p = ptys.start([SMTPD] + args, in_slave, err_slave, d, env)
        out_fd = p.stdout.fileno()
        bufs = {out_fd: bytearray(), err_master: bytearray()}
        fds = [out_fd, err_master]
        deadline = time.monotonic() + WAIT
        expected = b''
        for i, (line, reply) in enumerate(steps):
            if i == hang_up_after:
                break
            if i == 0:   # the greeting first
                expected += bufs_wait_greeting(fds, bufs, out_fd, deadline)
            os.write(in_master, line.encode() + b'\n')
            want = b''.join(r.encode() + b'\r\n' for r in reply)
            expected += want
            if want and not pump(fds, bufs,
                                 lambda: bufs[out_fd].endswith(expected),
                                 deadline):
                problems.append('after %r stdout is %r' % (
                    line, bytes(bufs[out_fd])))
                break
        if hang_up_after is not None:
            os.close(in_master)
            in_master = None
        pump(fds, bufs, lambda: False, deadline)   # to the end
        ptys.wait(p, WAIT, problems)
        p.stdout.close()
        if in_master is not None:
            os.close(in_master)
        os.close(err_master)
        os.chmod(d, 0o700)
        files = {}
        for name in sorted(os.listdir(d)):
            with open(os.path.join(d, name), encoding='utf-8') as f:
                files[name] = f.read()
    err = bytes(bufs[err_master]).replace(b'\r\n', b'\n')
    return (problems, bytes(bufs[out_fd]), err.decode('utf-8', 'replace'),
            files, p.returncode)


def bufs_wait_greeting(fds, bufs, out_fd, deadline):
    """The greeting's octets, once they have come."""
    pump(fds, bufs, lambda: b'\r\n' in bufs[out_fd], deadline)
    return bytes(bufs[out_fd])


def expected_stdout(host, steps):
    return (replies.line('R_GREETING', host) + '\r\n' + ''.join(
        r + '\r\n' for _, reply in steps for r in reply)).encode()


def check_lesson(name, lang):
    host, steps, boxes, key = LESSONS[name]()
    short = LANGS[lang]
    problems, out, err, files, st = run(['-L', name], steps, lang)
    want_out = expected_stdout(host, steps)
    if out != want_out:
        problems.append('stdout %r\nexpected %r' % (out, want_out))
    if files != boxes:
        problems.append('mailboxes %r\nexpected %r' % (files, boxes))
    missing = in_order(err, key[short])
    if missing:
        problems.append('coaching lacks, in order: %r' % missing)
    missing = in_order(err, lesson_texts(name, short))
    if missing:
        problems.append('lesson texts lacking, in order: %r' % missing)
    same = {'en': "lesson: The stored message holds the lesson's lines.\n",
            'ja': 'レッスン: 保存されたメールはレッスンの行のとおりです。\n'}
    messages = sum(1 for line, _ in steps if line == '.')
    if err.count(same[short]) != messages:
        problems.append('%d messages, %d said to hold the lesson\'s lines' %
                        (messages, err.count(same[short])))
    if st != 0:
        problems.append('exit status %d' % st)
    if problems:
        problems.append('stderr:\n' + err)
    say(not problems, 'lesson %s, LANG=%s, start to finish' % (name, lang),
        problems)
    return out


def check_same_stdout(name, lesson_out):
    """The same lines typed without -L: the same octets on stdout."""
    host, steps, boxes, _ = LESSONS[name]()
    problems, out, err, _, _ = run(['-n', host, 'mbox', './%u@%d.mbox'],
                                   steps, 'C')
    say(not problems and out == lesson_out and lesson_out,
        'lesson %s: stdout as without -L' % name,
        problems + ['without -L %r\nwith -L %r' % (out, lesson_out)])


def check_stray():
    """Lines off the lesson run as real SMTP; the lesson's line comes
    again, and the learner can take it up."""
    host, steps, boxes, _ = postfix()
    h = host
    strayed = [cmd('NOOP', 'R_NOOP', None, h), steps[0],
               cmd('MAIL form:sender@sender.org', 'R_FROM_TYPO', None, h),
               cmd('rset', 'R_RSET', None, h)] + steps[1:]
    problems, out, err, files, st = run(['-L', 'postfix'], strayed, 'C')
    if out != expected_stdout(host, strayed):
        problems.append('stdout %r' % out)
    if files != boxes:
        problems.append('mailboxes %r' % files)
    stray = ("lesson: That was not the lesson's line; smtpd answered it as "
             "real SMTP, above.  To come back, type the lesson's line:\n")
    need = ['lesson: step 1 of 6, type:  helo mail.side-7w.org\n',
            stray, 'lesson: step 1 of 6, type:  helo mail.side-7w.org\n',
            'lesson: ok: step 1 done',
            'lesson: step 2 of 6, type:  mail from:sender@sender.org\n',
            stray, 'lesson: step 2 of 6, type:  mail from:sender@sender.org\n',
            stray, 'lesson: step 2 of 6, type:  mail from:sender@sender.org\n',
            'lesson: ok: step 2 done',
            'lesson: The lesson is over: all 6 steps done.',
            'lesson: 3 line(s) were off the lesson, and ran as real SMTP.']
    missing = in_order(err, need)
    if missing:
        problems.append('coaching lacks %r' % missing)
    why = lesson_texts('postfix', 'en')[2]   # step 1's why (after intro)
    if err.count(why) != 1:
        problems.append('the why of step 1 shown %d times, not once' %
                        err.count(why))
    if problems:
        problems.append('stderr:\n' + err)
    say(not problems, 'stray three times, then back to the lesson',
        problems)


def check_early_end():
    """Input ends at step 3: where it stopped, and how to start again."""
    _, steps, _, _ = postfix()
    problems, out, err, files, st = run(['-L', 'postfix'], steps, 'C',
                                        hang_up_after=2)
    need = 'lesson: The session ended at step 3 of 6.  Start the lesson ' \
        'again with: smtpd -L postfix\n'
    if need not in err:
        problems.append('no %r in:\n%s' % (need, err))
    if files:
        problems.append('files %r' % files)
    say(not problems and st == 0, 'input ends at step 3', problems)


def check_pipes(update):
    """Without any terminal the lesson still coaches on stderr: the
    bytes of tests/lessons/postfix-LANG.err, exactly."""
    _, steps, boxes, _ = postfix()
    for lang in LANGS:
        problems, out, err, files, st = run(['-L', 'postfix'], steps, lang,
                                            tty=False)
        path = os.path.join(HERE, 'lessons', 'postfix-%s.err' %
                            LANGS[lang])
        if update:
            with open(path, 'w', encoding='utf-8') as f:
                f.write(err)
        with open(path, encoding='utf-8') as f:
            want = f.read()
        if err != want:
            problems.append('stderr:\n%s\nexpected (%s):\n%s' % (
                err, path, want))
        if files != boxes:
            problems.append('mailboxes %r' % files)
        say(not problems and st == 0,
            'lesson postfix on pipes, LANG=%s: stderr byte for byte' % lang,
            problems)


def check_unwritable():
    """A store that cannot be written is named at the start, not only
    by the 451 after the whole message; the lesson then goes back to
    MAIL."""
    h, steps, _, _ = postfix()
    i = [line for line, _ in steps].index('.')
    typed = steps[:i] + [cmd('.', 'R_LOCAL_ERROR', None, h),
                         cmd('quit', 'R_QUIT', h, h)]
    problems, out, err, files, st = run(['-L', 'postfix'], typed, 'C',
                                        mode=0o555)
    if out != expected_stdout(h, typed):
        problems.append('stdout %r' % out)
    need = ['lesson: But this user cannot write here (Permission denied), '
            'so no mail can be stored.  Name a store that can be written, '
            'as in: smtpd -L postfix mbox /tmp/%u@%d.mbox\n',
            'lesson: step 1 of 6, type:  helo mail.side-7w.org\n',
            'lesson: The message was not stored (reply 451 above).  The '
            'lesson goes back to MAIL.\n',
            'lesson: step 2 of 6, type:  mail from:sender@sender.org\n',
            'lesson: The session ended at step 2 of 6.']
    missing = in_order(err, need)
    if missing:
        problems.append('coaching lacks %r in:\n%s' % (missing, err))
    say(not problems and not files and st == 0,
        'a directory that cannot be written: said at the start', problems)


def check_body_differs():
    """A message other than the lesson's is stored all the same; the
    coach names the first line that differs."""
    h, steps, _, _ = postfix()
    i = [line for line, _ in steps].index('Test Mail')
    typed = steps[:i] + [('Test Mail!', [])] + steps[i + 1:]
    problems, out, err, files, st = run(['-L', 'postfix'], typed, 'C')
    need = ("lesson: The stored message differs from the lesson's at line "
            "5; the lesson has:\nlesson:     Test Mail\n")
    if need not in err:
        problems.append('no %r in:\n%s' % (need, err))
    box = files.get('recipient@recipient.com.mbox', '')
    if '\nTest Mail!\n' not in box:
        problems.append('mailbox %r' % box)
    good = "lesson: The stored message holds the lesson's lines.\n"
    _, _, err, _, _ = run(['-L', 'postfix'], steps, 'C')
    if good not in err:
        problems.append('typed as the lesson, no %r in:\n%s' % (good, err))
    say(not problems and st == 0,
        'a message unlike the lesson\'s: stored, the first difference named',
        problems)


def check_hostile_display():
    """The stored mail shown at the end cannot drive the terminal: ESC,
    BEL and the C1 CSI (U+009B) in a header and the body come out as
    "?"; Japanese text stays as it is."""
    h, steps, _, _ = postfix()
    i = [line for line, _ in steps].index('From:sender@sender.org')
    j = [line for line, _ in steps].index('Test Mail')
    typed = (steps[:i] + [('From: \x1b]0;owned\x07 x@y', [])] +
             steps[i + 1:j] + [('\u009b31m\x1b[2Jこんにちは', [])] +
             steps[j + 1:])
    problems, out, err, files, st = run(['-L', 'postfix'], typed, 'C',
                                        tty=False)
    for bad in ('\x1b', '\x07', '\u009b'):
        if bad in err:
            problems.append('%r reached the screen' % bad)
    for good in ('lesson:   | From: ?]0;owned? x@y\n',
                 'lesson:   | ?31m?[2Jこんにちは\n',
                 'From: ?]0;owned? x@y is the header you typed'):
        if good not in err:
            problems.append('no %r' % good)
    if '\u009b31m\x1b[2J' not in ''.join(files.values()):
        problems.append('the mailbox does not hold the bytes as typed')
    if problems:
        problems.append('stderr:\n' + err)
    say(not problems and st == 0, 'the stored mail on screen: control '
        'characters as "?"', problems)


def check_one_terminal():
    """stdin, stdout and stderr on one pty with echo, as a learner has
    them: the prompt, then the typed line, its reply, the coach's word
    on it, and the next prompt, in that order."""
    h, steps, boxes, _ = postfix()
    env = ptys.smtpd_env(sanitizers=False, LANG='C')
    master, slave = os.openpty()
    problems, order = [], []
    with tempfile.TemporaryDirectory() as d:
        p = subprocess.Popen([SMTPD, '-L', 'postfix'], stdin=slave,
                             stdout=slave, stderr=slave, cwd=d, env=env)
        os.close(slave)
        screen = {master: bytearray()}
        fds = [master]
        deadline = time.monotonic() + WAIT
        k = 0
        for line, reply in steps:
            if k < 5 or line == 'quit':   # a command: wait for its prompt
                k += 1
                prompt = ('lesson: step %d of 6, type:  %s\r\n' % (
                    k, line)).encode()
                # and the line under it: the why, or the message's end
                under = re.compile(re.escape(prompt) +
                                   rb'lesson:   [^\n]*\n')
                if k == 5:
                    prompt = b'lesson: step 5 of 6, type the message'
                    under = re.compile(rb'lesson:     \.\r\n')
                if not pump(fds, screen,
                            lambda: under.search(screen[master]), deadline):
                    problems.append('no prompt %r' % prompt)
                    break
                order.append(prompt.decode().replace('\r', ''))
                if k == 5:   # the message shown, down to its dot
                    order.append('lesson:     .\n')
            os.write(master, line.encode() + b'\n')
            # the echo (a message line's right after the one before)
            order.append(('%s\n' if k == 5 else '\n%s\n') % line)
            order += [r + '\n' for r in reply]
            if reply and line != 'quit':
                order.append('lesson: ok: step %d done' % k)
        pump(fds, screen, lambda: False, deadline)
        p.wait(timeout=WAIT)
        os.close(master)
        with open(os.path.join(d, 'recipient@recipient.com.mbox')) as f:
            box = f.read()
    # the tty turns \n into \r\n, and smtpd's \r\n into \r\r\n
    got = bytes(screen[master]).replace(b'\r', b'').decode('utf-8',
                                                            'replace')
    missing = in_order(got, order)
    if missing:
        problems.append('out of order or missing: %r\nscreen:\n%s' % (
            missing, got))
    if box != boxes['recipient@recipient.com.mbox']:
        problems.append('mailbox %r' % box)
    say(not problems, 'one terminal for all three: prompt, line, reply, '
        'coaching', problems)


SEED_SESSIONS = {'puni': 'seed000', 'exim': 'seed001', 'ehlo': 'seed002',
                 'postfix': 'seed003'}


def check_seed_lines():
    """Every line a lesson has the learner type is a line of its seed's
    sessions in tests/sessions/ (the replayed transcripts), loosely."""
    def fold(line):
        return ''.join(c for c in line.lower() if c not in ' \t<>')
    for name, seed in SEED_SESSIONS.items():
        typed = set()
        for f in os.listdir(os.path.join(HERE, 'sessions')):
            if f.startswith(seed):
                with open(os.path.join(HERE, 'sessions', f),
                          encoding='utf-8') as fh:
                    typed |= {fold(line[3:].rstrip('\n').replace('\\n', ''))
                              for line in fh if line.startswith('C:')}
        with open(os.path.join(TOP, 'lessons', name + '.txt'),
                  encoding='utf-8') as fh:
            lesson = [line[3:].rstrip('\n') for line in fh
                      if line.startswith('C:')]
        stray = [line for line in lesson if fold(line) not in typed]
        say(lesson and not stray, 'lesson %s: its lines are %s\'s' % (
            name, seed), ['not in tests/sessions/%s*: %r' % (seed, stray)])


def check_list():
    for lang, short in LANGS.items():
        p = subprocess.run([SMTPD, '-L', 'list'], capture_output=True,
                           env={'PATH': '/usr/bin:/bin', 'LANG': lang},
                           timeout=WAIT)
        want = ''.join('%-8s %s\n' % (n, lesson_about(n, short))
                       for n in ('puni', 'exim', 'ehlo', 'postfix'))
        say(p.returncode == 0 and p.stdout.decode() == want and
            not p.stderr, '-L list, LANG=%s' % lang,
            ['exit %d, stdout %r, stderr %r, expected %r' % (
                p.returncode, p.stdout, p.stderr, want)])


def check_unknown():
    p = subprocess.run([SMTPD, '-L', 'smtp'], capture_output=True,
                       input=b'QUIT\r\n', env={'PATH': '/usr/bin:/bin'},
                       timeout=WAIT)
    err = p.stderr.decode()
    say(p.returncode == 64 and not p.stdout and err.startswith(
        'smtpd: -L takes list or a lesson: puni, exim, ehlo, postfix; '
        'usage: smtpd ') and err.count('\n') == 1,
        '-L with an unknown name: usage, with the names',
        ['exit %d, stdout %r, stderr %r' % (p.returncode, p.stdout, err)])


def main():
    if os.geteuid() == 0:
        print('FAIL run as root: smtpd needs -u; use tests/as-nobody.sh')
        print('0 passed, 1 failed, 0 skipped')
        return 1
    for name in LESSONS:
        outs = [check_lesson(name, lang) for lang in LANGS]
        check_same_stdout(name, outs[0])
    check_stray()
    check_early_end()
    check_body_differs()
    check_unwritable()
    check_one_terminal()
    check_hostile_display()
    check_pipes('-u' in sys.argv[1:])
    check_seed_lines()
    check_list()
    check_unknown()
    print('%d passed, %d failed, 0 skipped' % (passes, failures))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
