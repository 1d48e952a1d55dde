/* ISC license. */
/*
 * Clock, message ids and checked string helpers.
 *
 * SMTPD_FAKE_TIME=SECONDS (from the environment of the launcher, never
 * from a client) fixes the clock and makes message ids depend only on
 * the clock and a counter, so test output is byte-stable.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define DIR_FLAGS	(O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

/*
 * The tests' fixed clock, SMTPD_FAKE_TIME, read at the first call only:
 * getenv(3) walks the whole environment, and the clock is asked for
 * several times a message (docs/performance.md, case b).
 */
static int
fake_time(time_t *t)
{
	static int known;	/* 0: not read yet, 1: set, -1: not set */
	static long long v;
	const char *s;
	char *end;

	if (known == 0) {
		s = getenv("SMTPD_FAKE_TIME");
		known = -1;
		if (s != NULL && *s != '\0') {
			v = strtoll(s, &end, 10);
			if (*end == '\0' && v >= 0)
				known = 1;
		}
	}
	if (known == -1)
		return 0;
	*t = (time_t)v;
	return 1;
}

time_t
util_now(void)
{
	time_t t;

	if (fake_time(&t))
		return t;
	return time(NULL);
}

/*
 * A message id unique on this host: seconds, process id and a counter,
 * in upper-case hex so it reads back unambiguously over the phone.
 */
void
util_make_id(char *buf, size_t size)
{
	static unsigned int counter;
	static unsigned long own_pid;	/* one getpid(2) per session */
	static const char hex[] = "0123456789ABCDEF";
	char id[16 + 5 + 4 + 1];
	unsigned long pid;
	size_t o = 0;
	time_t t;
	int k;

	if (fake_time(&t))
		pid = 0;
	else {
		t = time(NULL);
		if (own_pid == 0)
			own_pid = (unsigned long)getpid();
		pid = own_pid;
	}
	/* "%llX%05lX%04X" by hand: one a message (docs/performance.md) */
	for (k = 60; k > 0 && ((unsigned long long)t >> k) == 0; k -= 4)
		continue;
	for (; k >= 0; k -= 4)
		id[o++] = hex[((unsigned long long)t >> k) & 15];
	for (k = 16; k >= 0; k -= 4)
		id[o++] = hex[(pid >> k) & 15];
	counter++;
	for (k = 12; k >= 0; k -= 4)
		id[o++] = hex[(counter >> k) & 15];
	id[o] = '\0';
	util_strlcpy(buf, id, size);
}

/*
 * The strings given, up to a NULL, one after another in buf: their
 * length, or -1 when they did not fit (buf then holds what did).  For
 * the lines of every message, where snprintf(3) with only %s costs
 * several times the copying (docs/performance.md, case b).
 */
int
util_concat(char *buf, size_t size, ...)
{
	va_list ap;
	const char *p;
	size_t o = 0, n;
	int cut = 0;

	if (size == 0)
		return -1;
	va_start(ap, size);
	while ((p = va_arg(ap, const char *)) != NULL && !cut) {
		n = strlen(p);
		if (n > size - 1 - o) {
			n = size - 1 - o;
			cut = 1;
		}
		memcpy(buf + o, p, n);
		o += n;
	}
	va_end(ap);
	buf[o] = '\0';
	return cut ? -1 : (int)o;
}

/*
 * Have the kernel bound each wait of a send or receive (SO_SNDTIMEO,
 * SO_RCVTIMEO) on fd to seconds: 0, or -1 when fd is no socket or is
 * non-blocking (whose waits a timeout would not bound but end).
 */
int
util_socket_timeout(int fd, int option, int seconds)
{
	struct timeval tv;
	int fl;

	tv.tv_sec = seconds;
	tv.tv_usec = 0;
	/* setsockopt first: on a pipe or terminal it is the only call */
	if (setsockopt(fd, SOL_SOCKET, option, &tv, sizeof(tv)) == -1 ||
	    (fl = fcntl(fd, F_GETFL)) == -1 || (fl & O_NONBLOCK))
		return -1;
	return 0;
}

/* Copy with truncation; returns -1 if src did not fit. */
int
util_strlcpy(char *dst, const char *src, size_t size)
{
	size_t n = strlen(src);

	if (size == 0)
		return -1;
	if (n >= size) {
		memcpy(dst, src, size - 1);
		dst[size - 1] = '\0';
		return -1;
	}
	memcpy(dst, src, n + 1);
	return 0;
}

/*
 * t in local time, in the RFC 5322 3.3 form ("Mon, 23 Nov 2026
 * 19:29:20 +0000") or the asctime form of an mbox From_ line ("Mon Nov
 * 23 19:29:20 2026"), kept in c: the messages of a pipelined session
 * mostly share one second, and localtime_r(3) with strftime(3) cost
 * some 2,000 instructions (docs/performance.md, case b).  NULL when t
 * cannot be formatted.
 */
const char *
util_date_cached(struct util_date *c, time_t t, enum util_date_form form)
{
	struct tm tm;
	size_t n;

	if (!c->known || t != c->t) {
		c->known = 0;
		if (localtime_r(&t, &tm) == NULL)
			return NULL;
		if (form == UTIL_DATE_RFC5322)
			n = strftime(c->text, sizeof(c->text),
			    "%a, %d %b %Y %H:%M:%S %z", &tm);
		else
			n = strftime(c->text, sizeof(c->text),
			    "%a %b %e %H:%M:%S %Y", &tm);
		if (n == 0)
			return NULL;
		c->t = t;
		c->known = 1;
	}
	return c->text;
}

/* RFC 5322 3.3 date-time in local time, into buf. */
int
util_rfc5322_date(char *buf, size_t size, time_t t)
{
	static struct util_date last;
	const char *text = util_date_cached(&last, t, UTIL_DATE_RFC5322);

	return text == NULL ? -1 : util_strlcpy(buf, text, size);
}

/* Case folding that no locale can change: A-Z only. */
char
util_ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* write(2) until all of p[0..n) is out, through EINTR; 0 or -1 (errno). */
int
util_write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Milliseconds of the monotonic clock, for deadlines. */
long long
util_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* fsync a directory; EINVAL means the filesystem cannot, and is no error. */
int
util_sync_dir(int fd)
{
	if (fsync(fd) == -1 && errno != EINVAL)
		return -1;
	return 0;
}

/*
 * Open directory name under at, without following a symlink, creating
 * it 0700 when missing and create is set (and fsyncing at, so the new
 * entry lasts).  A symlink there is ELOOP and
 * any other non-directory ENOTDIR, both permanent for
 * method_outcome_errno(): O_NOFOLLOW alone says ELOOP, ENOTDIR or
 * EMLINK depending on the system.
 */
int
util_open_dir_at(int at, const char *name, int create)
{
	struct stat st;
	int fd, err;

	if ((fd = openat(at, name, DIR_FLAGS)) != -1)
		return fd;
	if (errno == ENOENT && create) {
		if (mkdirat(at, name, 0700) == 0) {
			if (util_sync_dir(at) == -1)
				return -1;
		} else if (errno != EEXIST)	/* EEXIST: lost a race */
			return -1;
		if ((fd = openat(at, name, DIR_FLAGS)) != -1)
			return fd;
	}
	err = errno;
	if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    !S_ISDIR(st.st_mode))
		err = S_ISLNK(st.st_mode) ? ELOOP : ENOTDIR;
	errno = err;
	return -1;
}

/*
 * Open dir one component at a time with O_NOFOLLOW, so that a symlink
 * anywhere in it is refused (ELOOP) and nothing is written through
 * one; with create, missing directories are made.  A descriptor or -1.
 */
int
util_open_dir(const char *dir, int create)
{
	char buf[4096], *p, *next;
	int at, fd, err;

	if (*dir == '\0') {
		errno = ENOENT;
		return -1;
	}
	if (util_strlcpy(buf, dir, sizeof(buf)) == -1) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((at = open(*buf == '/' ? "/" : ".", DIR_FLAGS)) == -1)
		return -1;
	for (p = buf;; p = next) {
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		if ((next = strchr(p, '/')) != NULL)
			*next++ = '\0';
		else
			next = p + strlen(p);
		fd = util_open_dir_at(at, p, create);
		err = errno;
		close(at);
		if (fd == -1) {
			errno = err;
			return -1;
		}
		at = fd;
	}
	return at;
}

/*
 * One word of printable ASCII, 1 to max octets: a host or domain name
 * for a reply or a header, a HELO name (nothing that could break the
 * Received header).
 */
int
util_is_word(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 127)
			return 0;
	return 1;
}

/*
 * src for showing in a reply: printable ASCII other than the blank as
 * it is, anything else as '?', cut to fit size.
 */
void
util_printable(char *dst, size_t size, const char *src)
{
	size_t i;

	if (size == 0)
		return;
	for (i = 0; src[i] != '\0' && i + 1 < size; i++)
		dst[i] = src[i] > ' ' && src[i] < 127 ? src[i] : '?';
	dst[i] = '\0';
}

/*
 * A temporary file in $TMPDIR (or /tmp), unlinked at once so nothing
 * is ever left behind, close-on-exec.  A descriptor, or -1 with errno.
 */
int
util_tmpfile(void)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	int fd, err;

	if (dir == NULL || *dir != '/')
		dir = "/tmp";
	if (snprintf(path, sizeof(path), "%s/smtpd.XXXXXX", dir) >=
	    (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = mkstemp(path)) == -1)
		return -1;
	unlink(path);
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/*
 * Wait until fd can be read or the util_now_ms() deadline passes,
 * through EINTR and spurious wakeups: 1 when readable (or at its end),
 * 0 at the deadline, -1 on a poll(2) error.
 */
int
util_wait_readable(int fd, long long deadline)
{
	struct pollfd pfd;
	long long left;

	for (;;) {
		if ((left = deadline - util_now_ms()) <= 0)
			return 0;
		pfd.fd = fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (pfd.revents != 0)
			return 1;
	}
}

/*
 * src for a header line: ASCII letters, digits and the octets in also
 * as they are, anything else as '?', cut to fit size.
 */
void
util_header_word(char *dst, size_t size, const char *src, const char *also)
{
	size_t i;
	char c;

	if (size == 0)
		return;
	for (i = 0; src[i] != '\0' && i + 1 < size; i++) {
		c = src[i];
		dst[i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr(also, c) != NULL ? c : '?';
	}
	dst[i] = '\0';
}

/*
 * The decimal number at *p, which is left after its last digit: 1 with
 * it in *v, 0 when *p is no digit, -1 when it does not fit in an
 * unsigned long long (a size from a client must never wrap).
 */
int
util_decimal(const char **p, unsigned long long *v)
{
	const char *s = *p;
	unsigned d;

	if (*s < '0' || *s > '9')
		return 0;
	for (*v = 0; *s >= '0' && *s <= '9'; s++) {
		d = (unsigned)(*s - '0');
		if (*v > (~0ULL - d) / 10)
			return -1;
		*v = *v * 10 + d;
	}
	*p = s;
	return 1;
}
