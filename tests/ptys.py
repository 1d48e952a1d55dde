"""Pseudo-terminal plumbing shared by tests/terminal.py,
tests/terminal_learner.py and tests/lessons.py: the environment smtpd
runs in, a stdin and a stderr on a pty (or a pipe), smtpd started on
them, reads with a deadline and the wait for its exit."""

import errno
import os
import select
import subprocess
import termios
import time


def smtpd_env(sanitizers=True, **extra):
    """PATH, a fixed clock and TZ; with sanitizers, the sanitizers'
    options of this environment too; then extra (LANG=...)."""
    env = {'PATH': os.environ.get('PATH', '/usr/bin:/bin'),
           'SMTPD_FAKE_TIME': '1700000000', 'TZ': 'UTC'}
    if sanitizers:
        for v in ('ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS'):
            if v in os.environ:
                env[v] = os.environ[v]
    env.update(extra)
    return env


def no_echo(fd):
    attr = termios.tcgetattr(fd)
    attr[3] &= ~termios.ECHO
    termios.tcsetattr(fd, termios.TCSANOW, attr)


def stdin_pair(tty):
    """(our end, smtpd's end) of its stdin: a pty without echo, or a
    pipe."""
    if tty:
        master, slave = os.openpty()
        no_echo(slave)
        return master, slave
    r, w = os.pipe()
    return w, r


def stderr_pair(tty):
    """(our end, smtpd's end) of its stderr: a pty, or a pipe."""
    return os.openpty() if tty else os.pipe()


def start(argv, in_slave, err_slave, cwd, env):
    """smtpd argv on in_slave and err_slave, stdout on a pipe; the
    slaves closed here, as smtpd holds them now."""
    p = subprocess.Popen(argv, stdin=in_slave, stdout=subprocess.PIPE,
                         stderr=err_slave, cwd=cwd, env=env)
    os.close(in_slave)
    os.close(err_slave)
    return p


def read_some(fd, buf, deadline):
    """One read into buf; False at the end, the deadline or EIO."""
    left = deadline - time.monotonic()
    if left <= 0:
        return False
    ready, _, _ = select.select([fd], [], [], left)
    if not ready:
        return False
    try:
        chunk = os.read(fd, 4096)
    except OSError as e:
        if e.errno == errno.EIO:  # Linux: the pty's other side closed
            return False
        raise
    if not chunk:
        return False
    buf += chunk
    return True


def read_until(fd, buf, want, deadline):
    """Read fd into buf until it ends with want (or the deadline)."""
    while not buf.endswith(want):
        if not read_some(fd, buf, deadline):
            return False
    return True


def drain(fd, deadline):
    """Everything left on fd until its other end is closed."""
    out = bytearray()
    while read_some(fd, out, deadline):
        pass
    return bytes(out)


def wait(p, timeout, problems):
    """Wait for smtpd's exit; killed, with a problem, after timeout."""
    try:
        p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        problems.append('smtpd did not exit')
