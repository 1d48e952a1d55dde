#!/usr/bin/env python3
# ISC license.
"""Tests of smtpd -x (session transcripts) against tools/smtpd-replay.

usage: record.py SMTPD REPLAY SESSION.txt...

- Each learner session is fed to smtpd -x DIR: the one file it writes
  must hold exactly the session's C: and S: lines, in order, and must
  replay.
- Five sessions at once into one directory give five files.
- A message over 64 KiB is cut in the record, which says by how much,
  and the replayer refuses that record.
- -x naming a missing directory changes nothing the client sees.
- A session that goes on past 16 MiB stops being recorded there.

Prints "ok NAME" or "FAIL NAME: why" per check, then "N passed, N
failed, 0 skipped"; exits 1 on a failure.
"""
import importlib.machinery
import importlib.util
import os
import re
import subprocess
import sys
import tempfile

import replies

SMTPD, REPLAY = sys.argv[1], sys.argv[2]
H = 'mx.example.org'
# the reply lines of reply.h, as octets without CR LF
GREETING = replies.line('R_GREETING', H).encode()
HELLO = replies.line('R_HELO', 'a.example', host=H).encode()
NOOP_OK = replies.line('R_NOOP').encode()
DELIVERED_1 = replies.line('R_DATA_OK', replies.msgid(1)).encode()
BYE = replies.line('R_QUIT', H).encode()
loader = importlib.machinery.SourceFileLoader('smtpd_replay', REPLAY)
spec = importlib.util.spec_from_loader('smtpd_replay', loader)
rp = importlib.util.module_from_spec(spec)
loader.exec_module(rp)

failures = 0
passes = 0


def report(name, problem):
    global failures, passes
    if problem:
        failures += 1
        print('FAIL %s: %s' % (name, problem))
    else:
        passes += 1
        print('ok %s' % name)


def env():
    e = {'PATH': os.environ.get('PATH', '/usr/bin:/bin'),
         'SMTPD_FAKE_TIME': '1700000000', 'TZ': 'UTC'}
    for v in ('ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS'):
        if v in os.environ:
            e[v] = os.environ[v]
    return e


def body_lines(path):
    """The C: and S: lines of a transcript, as they are in the file."""
    with open(path, 'rb') as f:
        return [l for l in f.read().split(b'\n')
                if l.startswith(b'C:') or l.startswith(b'S:')]


def record(client, args, xdir, cwd):
    return subprocess.run([SMTPD, '-x', xdir] + args, input=client,
                          cwd=cwd, env=env(), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=30)


def round_trip(session):
    client, want, head = rp.parse(session)
    import shlex
    args = shlex.split(head.get('options', ''))
    with tempfile.TemporaryDirectory() as d:
        xdir = os.path.join(d, 'x')
        os.mkdir(xdir)
        p = record(client, args, xdir, d)
        files = os.listdir(xdir)
        if p.stdout != want:
            return 'replies differ from the S: lines'
        if p.stderr:
            return 'stderr: %r' % p.stderr[:200]
        if len(files) != 1:
            return 'expected one transcript, found %r' % files
        rec = os.path.join(xdir, files[0])
        with open(rec, 'rb') as f:
            head_line = f.readline()
        if head_line != b'# smtpd transcript\n':
            return 'first line %r' % head_line
        mine, theirs = body_lines(rec), body_lines(session)
        # "C: " with nothing after is the same as "C:" by hand
        theirs = [l + b' ' if l in (b'C:', b'S:') else l for l in theirs]
        if mine != theirs:
            for i, (a, b) in enumerate(zip(mine, theirs)):
                if a != b:
                    return 'line %d: recorded %r, session has %r' % (
                        i + 1, a, b)
            return 'recorded %d lines, session has %d' % (
                len(mine), len(theirs))
        if os.stat(rec).st_mode & 0o777 != 0o600:
            return 'mode %o' % (os.stat(rec).st_mode & 0o777)
        r = subprocess.run([sys.executable, REPLAY, '-q', '-s', SMTPD, rec],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if r.returncode != 0:
            return 'the record does not replay:\n' + r.stdout.decode()
    return None


def parallel():
    one = b'HELO a.example\r\nNOOP\r\nQUIT\r\n'
    with tempfile.TemporaryDirectory() as d:
        xdir = os.path.join(d, 'x')
        os.mkdir(xdir)
        procs = [subprocess.Popen([SMTPD, '-n', 'mx.example.org', '-x',
                                   xdir], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, cwd=d, env=env())
                 for _ in range(5)]
        for p in procs:
            p.communicate(one, timeout=30)
        files = sorted(os.listdir(xdir))
        if len(files) != 5:
            return 'five sessions wrote %r' % files
        for name in files:
            if body_lines(os.path.join(xdir, name)) != [
                    b'S: ' + GREETING,
                    b'C: HELO a.example',
                    b'S: ' + HELLO,
                    b'C: NOOP', b'S: ' + NOOP_OK,
                    b'C: QUIT', b'S: ' + BYE]:
                return '%s is not one whole session' % name
    return None


def capped():
    line = b'x' * 99 + b'\r\n'                   # 101 octets a line
    body = line * 1000                           # 101000 octets
    client = (b'HELO a.example\r\nMAIL FROM:<a@a.example>\r\n'
              b'RCPT TO:<b@b.example>\r\nDATA\r\n' + body +
              b'.\r\nQUIT\r\n')
    with tempfile.TemporaryDirectory() as d:
        xdir = os.path.join(d, 'x')
        os.mkdir(xdir)
        p = record(client, ['-n', 'mx.example.org'], xdir, d)
        if not re.search(replies.pattern('R_DATA_OK').encode(), p.stdout,
                         re.M):
            return 'message not delivered: %r' % p.stdout[-200:]
        rec = os.path.join(xdir, os.listdir(xdir)[0])
        with open(rec, 'rb') as f:
            text = f.read()
        # 65536 octets are kept: 648 whole lines of 101 and 88 octets,
        # the rest of the data (with ".\r\n") is not
        kept = 65536
        dropped = len(body) + 3 - kept
        want = b'# truncated: %d octets not recorded\n' % dropped
        if want not in text:
            return 'no %r in the record' % want
        cs = [l for l in text.split(b'\n') if l.startswith(b'C: x')]
        if len(cs) != 649 or cs[-1] != b'C: ' + b'x' * 88:
            return '%d data lines recorded, last %r' % (len(cs), cs[-1][:20])
        if not text.endswith(want + b'S: ' + DELIVERED_1 +
                             b'\nC: QUIT\nS: ' + BYE + b'\n'):
            return 'the record does not end as the session did'
        r = subprocess.run([sys.executable, REPLAY, '-q', '-s', SMTPD, rec],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if r.returncode != 2:
            return 'replaying a cut record: exit %d' % r.returncode
    return None


def missing_dir():
    client = b'HELO a.example\r\nQUIT\r\n'
    with tempfile.TemporaryDirectory() as d:
        p = record(client, ['-n', 'mx.example.org'],
                   os.path.join(d, 'no-such-dir'), d)
        want = (GREETING + b'\r\n' +
                HELLO + b'\r\n' +
                BYE + b'\r\n')
        if p.stdout != want or p.stderr or p.returncode != 0:
            return 'stdout %r stderr %r exit %d' % (p.stdout, p.stderr,
                                                    p.returncode)
    return None


def session_budget():
    """3 million NOOPs (18 MB each way): the record stops after 16 MiB
    with a note, the session itself goes on to its QUIT."""
    n = 3000000
    client = b'HELO a.example\r\n' + b'NOOP\r\n' * n + b'QUIT\r\n'
    with tempfile.TemporaryDirectory() as d:
        xdir = os.path.join(d, 'x')
        os.mkdir(xdir)
        p = record(client, ['-n', 'mx.example.org', 'mbox', d + '/mbox'],
                   xdir, d)
        if p.stdout.count(NOOP_OK + b'\r\n') != n or \
                not p.stdout.endswith(BYE + b'\r\n'):
            return 'replies cut short: %d octets' % len(p.stdout)
        names = os.listdir(xdir)
        if len(names) != 1:
            return 'files %r' % names
        path = os.path.join(xdir, names[0])
        size = os.path.getsize(path)
        if size > 24 * 1024 * 1024:
            return 'record of %d octets' % size
        with open(path, 'rb') as f:
            f.seek(-200, os.SEEK_END)
            tail = f.read()
        if not tail.endswith(b'# truncated: the session went on past '
                             b'16777216 octets; recording stopped\n'):
            return 'record ends %r' % tail[-80:]
    return None


for s in sys.argv[3:]:
    report('record ' + os.path.basename(s), round_trip(s))
report('record five sessions in parallel', parallel())
report('record a message over 64 KiB', capped())
report('record into a missing directory', missing_dir())
report('record stops past the session budget', session_budget())
print('%d passed, %d failed, 0 skipped' % (passes, failures))
sys.exit(1 if failures else 0)
