/* ISC license. */
/*
 * What an smtpd dot-lock says, "PID HOST SIZE\n" (smtpd.8): writing
 * it, reading it back, and judging whether its holder is provably
 * dead; and the record files ".BASE.PID.HOST" a record is first
 * written to before it is linked to the lock (mboxlock.c), with the
 * sweep that removes those dead processes left.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "lockrecord.h"
#include "log.h"

#define RECORD_NAME_MAX	(RECORD_NAME_SIZE - 1)	/* NAME_MAX */
#define RECORD_SWEEP_MAX	64	/* dead record files removed at once */

static int	parse_record(const char *, size_t, struct lock_record *);
static int	is_dead_record_name(const char *, const char *);
static int	look_up_host(char *, size_t);
static long	own_pid(void);

/* This host's name, as a lock record gives it: 0, or -1 when unfit. */
static int
look_up_host(char *host, size_t size)
{
	size_t i;

	if (gethostname(host, size) == -1)
		return -1;
	host[size - 1] = '\0';
	for (i = 0; host[i] != '\0'; i++)
		if (host[i] <= ' ' || host[i] > '~')
			return -1;
	return i > 0 ? 0 : -1;
}

/*
 * The host's name and our pid, each asked for once: a record is
 * written for every lock taken, and gethostname(2) and getpid(2) are
 * a system call each (docs/performance.md, case b).  No smtpd process that
 * locks a mailbox was forked after its first lock (the pipe child only
 * execs), so the pid stays its own.
 */
int
lockrecord_host(char *host, size_t size)
{
	static char name[HOST_MAX + 1];
	static int known;	/* 0: not asked, 1: fit, -1: unfit */

	if (known == 0)
		known = look_up_host(name, sizeof(name)) == 0 ? 1 : -1;
	if (known == -1 || strlen(name) >= size)
		return -1;
	memcpy(host, name, strlen(name) + 1);
	return 0;
}

static long
own_pid(void)
{
	static long pid;

	if (pid == 0)
		pid = (long)getpid();
	return pid;
}

/*
 * "PID HOST SIZE\n" and nothing else: decimal PID > 0, HOST of
 * printable octets without spaces, decimal SIZE.  Returns 0 and fills
 * *r, or -1 for anything else (another program's lock, or none).
 */
static int
parse_record(const char *buf, size_t n, struct lock_record *r)
{
	const char *p = buf, *end = buf + n, *h;
	long long v;

	if (n == 0 || buf[n - 1] != '\n')
		return -1;
	for (v = 0; p < end && *p >= '0' && *p <= '9'; p++) {
		if (v > (LONG_MAX - 9) / 10)
			return -1;
		v = v * 10 + (*p - '0');
	}
	if (p == buf || p == end || *p++ != ' ' || v <= 0)
		return -1;
	r->pid = (long)v;
	for (h = p; p < end && *p > ' ' && *p <= '~'; p++)
		;
	if (p == h || (size_t)(p - h) > HOST_MAX || p == end || *p++ != ' ')
		return -1;
	memcpy(r->host, h, (size_t)(p - 1 - h));
	r->host[p - 1 - h] = '\0';
	for (h = p, v = 0; p < end && *p >= '0' && *p <= '9'; p++) {
		if (v > (LLONG_MAX - 9) / 10)
			return -1;
		v = v * 10 + (*p - '0');
	}
	if (p == h || p != end - 1 || (off_t)v != v)
		return -1;
	r->size = (off_t)v;
	return 0;
}

/*
 * The record of the lock at lockpath, while that is still the regular
 * file seen (same inode): 0, or -1 when there is none to trust.
 */
int
lockrecord_read(const char *lockpath, const struct stat *seen,
    struct lock_record *r)
{
	char buf[RECORD_MAX + 1];
	struct stat st;
	ssize_t n;
	int fd;

	if (!S_ISREG(seen->st_mode) || seen->st_size <= 0 ||
	    seen->st_size > RECORD_MAX)
		return -1;
	fd = open(lockpath, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC |
	    O_NOCTTY);
	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == -1 || st.st_dev != seen->st_dev ||
	    st.st_ino != seen->st_ino) {
		close(fd);
		return -1;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n <= 0 || (size_t)n > RECORD_MAX)
		return -1;
	return parse_record(buf, (size_t)n, r);
}

/*
 * Whether the holder a record names is provably gone: this host, and
 * no such process (or our own pid, which a dead holder's can be, since
 * smtpd never meets its own lock).  A live pid may be another
 * program's by now; then the age rule still applies.
 */
int
lockrecord_is_dead(const struct lock_record *r)
{
	char host[HOST_MAX + 1];

	if (lockrecord_host(host, sizeof(host)) == -1 || strcmp(host, r->host) != 0)
		return 0;
	if ((pid_t)r->pid != r->pid)
		return 0;
	if ((pid_t)r->pid == getpid())
		return 1;
	return kill((pid_t)r->pid, 0) == -1 && errno == ESRCH;
}

/*
 * The record for this process and a mailbox of size octets into buf:
 * its length, or -1 when it does not fit.  The size is padded with
 * leading zeros to make the line at least min_len octets, so that a
 * record rewritten in place is never shorter than the one before: one
 * pwrite(2) then replaces it whole, with no tail to cut.
 */
int
lockrecord_format(char *buf, size_t bufsize, off_t size, int min_len)
{
	char host[HOST_MAX + 1], digits[32];
	int n, pad;

	if (lockrecord_host(host, sizeof(host)) == -1 || size < 0)
		return -1;
	n = snprintf(digits, sizeof(digits), "%lld", (long long)size);
	if (n < 0 || (size_t)n >= sizeof(digits))
		return -1;
	n = snprintf(buf, bufsize, "%ld %s %s\n", own_pid(), host, digits);
	if (n < 0 || (size_t)n >= bufsize)
		return -1;
	pad = min_len - n;
	if (pad > 0)
		n = snprintf(buf, bufsize, "%ld %s %0*lld\n", own_pid(),
		    host, (int)strlen(digits) + pad, (long long)size);
	return n < 0 || (size_t)n >= bufsize ? -1 : n;
}

/*
 * The name of the file our record is first written to, beside the
 * lock base: ".BASE.PID.HOST".  A mailbox's name never starts with a dot
 * where %u and %d make it, and the pid and host keep two processes,
 * even on two hosts sharing the directory, from ever using one name.
 */
int
lockrecord_name(char *buf, size_t size, const char *base, const char *host)
{
	int n = snprintf(buf, size, ".%s.%ld.%s", base, own_pid(), host);

	if (n < 0 || (size_t)n >= size || n > RECORD_NAME_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/*
 * Create name in dirfd holding the record: the open fd, or -1.  A file
 * already there has our pid in its name, so it is a dead process's
 * (pids are reused) or a trap; its name is removed, never followed or
 * truncated, and the creation tried once more.
 */
int
lockrecord_create(int dirfd, const char *name, const char *record, int len)
{
	int fd, tries;

	for (tries = 0; tries < 2; tries++) {
		fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd != -1)
			break;
		if (errno != EEXIST || unlinkat(dirfd, name, 0) == -1)
			return -1;
	}
	if (fd == -1)
		return -1;
	if (write(fd, record, (size_t)len) != len) {
		if (errno == 0)
			errno = EIO;
		close(fd);
		unlinkat(dirfd, name, 0);
		return -1;
	}
	return fd;
}

/*
 * Whether name, in a directory of mailboxes, is a record file that a
 * dead smtpd on this host left beside some lock: ".BASE.lock.PID.HOST"
 * with PID gone.  Our own pid's is not: we are using it, or about to.
 * Read from the end, since BASE and HOST may hold dots.
 */
static int
is_dead_record_name(const char *name, const char *host)
{
	size_t n = strlen(name), h = strlen(host);
	const char *p, *q, *digits_end;
	long pid = 0;

	if (name[0] != '.' || n < 1 + 1 + 5 + 1 + 1 + 1 + h ||
	    strcmp(name + n - h, host) != 0 || name[n - h - 1] != '.')
		return 0;
	digits_end = name + n - h - 1;
	for (p = digits_end; p > name && p[-1] >= '0' && p[-1] <= '9'; p--)
		;
	if (digits_end - p > 18)
		return 0;	/* no pid is that long */
	for (q = p; q < digits_end; q++)
		pid = pid * 10 + (*q - '0');
	/* ".lock." before the pid, and a name of one octet at least */
	if (p == digits_end || p - name < 1 + 1 + 6 ||
	    strncmp(p - 6, ".lock.", 6) != 0)
		return 0;
	if (pid <= 0 || (pid_t)pid != pid || (pid_t)pid == getpid())
		return 0;
	return kill((pid_t)pid, 0) == -1 && errno == ESRCH;
}

/*
 * Remove the record files dead processes left beside the locks in
 * dirfd (killed between writing one and linking it), at most
 * RECORD_SWEEP_MAX, regular files only.  Once per directory per
 * process: a session delivering many messages reads it once.
 */
void
lockrecord_sweep(int dirfd)
{
	static dev_t swept_dev;
	static ino_t swept_ino;
	static int swept;
	char host[HOST_MAX + 1];
	struct dirent *e;
	struct stat st;
	DIR *dir;
	int fd, removed = 0;

	if (fstat(dirfd, &st) == -1 || (swept && st.st_dev == swept_dev &&
	    st.st_ino == swept_ino) || lockrecord_host(host, sizeof(host)) == -1)
		return;
	swept = 1;
	swept_dev = st.st_dev;
	swept_ino = st.st_ino;
	if ((fd = dup(dirfd)) == -1)
		return;
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while (removed < RECORD_SWEEP_MAX && (e = readdir(dir)) != NULL) {
		if (!is_dead_record_name(e->d_name, host) ||
		    fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (unlinkat(dirfd, e->d_name, 0) == 0) {
			log_warnx("removed %s, left by a dead smtpd", e->d_name);
			removed++;
		}
	}
	closedir(dir);
}
