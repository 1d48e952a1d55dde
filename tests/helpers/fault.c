/* ISC license. */
/*
 * A fault injector for tests/faults/run.py, loaded into smtpd with
 * LD_PRELOAD.  Test code only: it needs dlsym(RTLD_NEXT), a GNU
 * extension, which smtpd itself never uses.
 *
 *   FAULT_CALL    the wrapped call to fault, such as "write"
 *   FAULT_NTH     its Nth eligible call (1-based) fails; 0: none does
 *   FAULT_ERRNO   the errno it fails with (a number)
 *   FAULT_KILL    when set, the process kills itself with SIGKILL at
 *                 that call instead (a crash point)
 *   FAULT_REPORT  a file: "fired CALL N" is appended when the fault
 *                 fires, and "count CALL N" at a normal exit, so the
 *                 runner knows when N has gone past the last call
 *
 * Eligible: calls made by the process that loaded the shim (not a
 * forked child, except for execve, which only a child makes), and for
 * read and write only descriptors above 2 (not the client's).  The
 * shim removes LD_PRELOAD from the environment, so no program smtpd
 * runs inherits it.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static const char	*call;
static long		 nth, count;
static int		 fault_errno, do_kill;
static pid_t		 main_pid;

static void	start(void) __attribute__((constructor));
static void	finish(void) __attribute__((destructor));
static void	report(const char *, long);
static int	hit(const char *, int);
static void	*next(const char *);

static void
start(void)
{
	const char *s;

	main_pid = getpid();
	call = getenv("FAULT_CALL");
	nth = (s = getenv("FAULT_NTH")) != NULL ? strtol(s, NULL, 10) : 0;
	fault_errno = (s = getenv("FAULT_ERRNO")) != NULL ?
	    (int)strtol(s, NULL, 10) : EIO;
	do_kill = getenv("FAULT_KILL") != NULL;
	unsetenv("LD_PRELOAD");
}

static void
finish(void)
{
	if (call != NULL && getpid() == main_pid)
		report("count", count);
}

/* Append "WHAT CALL N" to FAULT_REPORT, with raw calls only. */
static void
report(const char *what, long n)
{
	static ssize_t (*real_write)(int, const void *, size_t);
	static int (*real_open)(const char *, int, ...);
	const char *path = getenv("FAULT_REPORT");
	char line[128];
	int fd, len;

	if (path == NULL || call == NULL)
		return;
	if (real_write == NULL) {
		real_write = (ssize_t (*)(int, const void *, size_t))
		    next("write");
		real_open = (int (*)(const char *, int, ...))next("open");
	}
	len = snprintf(line, sizeof(line), "%s %s %ld\n", what, call, n);
	if ((fd = real_open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0666)) == -1)
		return;
	(void)real_write(fd, line, (size_t)len);
	close(fd);
}

static void *
next(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);

	if (p == NULL)
		abort();
	return p;
}

/* Whether this call of name fails now (errno set), or kills us. */
static int
hit(const char *name, int eligible)
{
	if (call == NULL || strcmp(call, name) != 0 || !eligible)
		return 0;
	if (getpid() != main_pid && strcmp(name, "execve") != 0)
		return 0;
	if (++count != nth)
		return 0;
	report("fired", count);
	if (do_kill)
		kill(getpid(), SIGKILL);
	errno = fault_errno;
	return 1;
}

#define WRAP(ret, name, params, args, eligible)			\
ret name params							\
{								\
	static ret (*real) params;				\
								\
	if (real == NULL)					\
		real = (ret (*) params)next(#name);		\
	if (hit(#name, eligible))				\
		return (ret)-1;					\
	return real args;					\
}

WRAP(ssize_t, write, (int fd, const void *b, size_t n), (fd, b, n), fd > 2)
WRAP(ssize_t, read, (int fd, void *b, size_t n), (fd, b, n), fd > 2)
WRAP(ssize_t, pwrite, (int fd, const void *b, size_t n, off_t o),
    (fd, b, n, o), 1)
WRAP(ssize_t, pread, (int fd, void *b, size_t n, off_t o), (fd, b, n, o), 1)
WRAP(int, fsync, (int fd), (fd), 1)
WRAP(off_t, lseek, (int fd, off_t o, int w), (fd, o, w), 1)
WRAP(int, ftruncate, (int fd, off_t n), (fd, n), 1)
WRAP(int, linkat, (int a, const char *b, int c, const char *d, int e),
    (a, b, c, d, e), 1)
WRAP(int, renameat, (int a, const char *b, int c, const char *d),
    (a, b, c, d), 1)
WRAP(int, unlinkat, (int a, const char *b, int c), (a, b, c), 1)
WRAP(int, unlink, (const char *a), (a), 1)
WRAP(int, mkdirat, (int a, const char *b, mode_t c), (a, b, c), 1)
WRAP(int, mkstemp, (char *a), (a), 1)
WRAP(pid_t, fork, (void), (), 1)
WRAP(pid_t, waitpid, (pid_t a, int *b, int c), (a, b, c), 1)
WRAP(int, execve, (const char *a, char *const b[], char *const c[]),
    (a, b, c), 1)
WRAP(int, pipe, (int a[2]), (a), 1)
WRAP(int, dup2, (int a, int b), (a, b), 1)
WRAP(int, poll, (struct pollfd *a, nfds_t b, int c), (a, b, c), 1)

int
open(const char *path, int flags, ...)
{
	static int (*real)(const char *, int, ...);
	mode_t mode = 0;
	va_list ap;

	if (real == NULL)
		real = (int (*)(const char *, int, ...))next("open");
	if (flags & O_CREAT) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	if (hit("open", 1))
		return -1;
	return real(path, flags, mode);
}

int
openat(int dirfd, const char *path, int flags, ...)
{
	static int (*real)(int, const char *, int, ...);
	mode_t mode = 0;
	va_list ap;

	if (real == NULL)
		real = (int (*)(int, const char *, int, ...))next("openat");
	if (flags & O_CREAT) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	if (hit("openat", 1))
		return -1;
	return real(dirfd, path, flags, mode);
}

/* fcntl's third argument: a struct flock * for the locks, else int. */
int
fcntl(int fd, int cmd, ...)
{
	static int (*real)(int, int, ...);
	struct flock *fl = NULL;
	int n = 0;
	va_list ap;

	if (real == NULL)
		real = (int (*)(int, int, ...))next("fcntl");
	va_start(ap, cmd);
	if (cmd == F_SETLK || cmd == F_SETLKW || cmd == F_GETLK)
		fl = va_arg(ap, struct flock *);
	else if (cmd != F_GETFD && cmd != F_GETFL)
		n = va_arg(ap, int);
	va_end(ap);
	if (hit("fcntl", 1))
		return -1;
	if (fl != NULL)
		return real(fd, cmd, fl);
	return real(fd, cmd, n);
}
