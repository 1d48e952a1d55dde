/* ISC license. */
/*
 * Mailbox locking: a PATH.lock dot-lock where the directory allows one,
 * made with O_EXCL beside the mailbox, and an fcntl write lock on the
 * mailbox, each waited for at most LOCK_WAIT_S.
 *
 * The dot-lock records its holder and the mailbox's size before the
 * append ("PID HOST SIZE\n", smtpd.8).  When smtpd is killed in the
 * middle of an append, the next delivery finds the holder dead (same
 * host, no such process), cuts the mailbox back to the recorded size,
 * since nobody can have written under that lock, and takes the lock at
 * once rather than after DOTLOCK_STALE_S.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "mboxlock.h"

#define LOCK_WAIT_S	30	/* then 451 4.2.0 */
#define DOTLOCK_STALE_S	300	/* an older PATH.lock is a dead locker's */
#define LOCK_POLL_MIN_NS	1000000L	/* first wait for a busy lock */
#define LOCK_POLL_MAX_NS	50000000L	/* doubling up to this */
#define HOST_MAX	255	/* octets of a host name in a lock record */
#define RECORD_MAX	(20 + 1 + HOST_MAX + 1 + 20 + 1)

/* What a dot-lock made by smtpd says: who holds it, and the size. */
struct lock_record {
	long	 pid;
	char	 host[HOST_MAX + 1];
	off_t	 size;
};

static int	lock_path(char *, size_t, const char *);
static int	break_stale_lock(int, const char *);
static int	is_stale(const struct stat *);
static int	this_host(char *, size_t);
static int	parse_record(const char *, size_t, struct lock_record *);
static int	read_record(const char *, const struct stat *,
		    struct lock_record *);
static int	is_dead_holder(const struct lock_record *);
static int	set_lock(int, int);
static int	wait_turn(time_t, long *);

/* No dot-lock yet: nothing to remove, no record to write. */
void
mboxlock_init(struct mboxlock *l)
{
	l->dotlocked = 0;
	l->fd = -1;
}

/* The dot-lock's name for mailbox path: 0, or -1 when too long. */
static int
lock_path(char *buf, size_t size, const char *path)
{
	if (snprintf(buf, size, "%s.lock", path) >= (int)size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/*
 * Whether path names a dot-lock: its last component ends in ".lock"
 * (mutt, procmail, mailx and smtpd lock mailbox P with P.lock).  No
 * mailbox may have such a name, or a message to it would be appended
 * to another mailbox's lock, and removed with it (deliver.c refuses
 * such recipients at RCPT through is_reserved, and such a template at
 * start; deliver_mbox.c's mbox_write() is the last line of defence).
 */
int
mboxlock_is_name(const char *path)
{
	size_t n = strlen(path);

	return n >= 5 && strcasecmp(path + n - 5, ".lock") == 0;
}

/* Whether l, set up by mboxlock_dot(), is mailbox path's lock. */
int
mboxlock_is_for(const struct mboxlock *l, const char *path)
{
	char buf[sizeof(l->path)];

	return lock_path(buf, sizeof(buf), path) == 0 &&
	    strcmp(buf, l->path) == 0;
}

/*
 * Wait for a busy lock, *ns long, and double *ns for next time; or,
 * once deadline has passed, -1 with errno EAGAIN.  Short first waits
 * matter when many sessions append to one mailbox: the holder keeps it
 * for well under a millisecond, so a fixed 50 ms poll left the mailbox
 * idle most of the time.
 */
static int
wait_turn(time_t deadline, long *ns)
{
	struct timespec ts = { 0, *ns };

	if (time(NULL) >= deadline) {
		errno = EAGAIN;
		return -1;
	}
	nanosleep(&ts, NULL);
	if (*ns < LOCK_POLL_MAX_NS)
		*ns = *ns * 2 < LOCK_POLL_MAX_NS ? *ns * 2 : LOCK_POLL_MAX_NS;
	return 0;
}

/* A non-blocking fcntl lock, F_WRLCK or F_UNLCK, on the whole file. */
static int
set_lock(int fd, int type)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = (short)type;
	fl.l_whence = SEEK_SET;
	return fcntl(fd, F_SETLK, &fl);
}

/* A dot-lock untouched for DOTLOCK_STALE_S is a dead locker's. */
static int
is_stale(const struct stat *st)
{
	return S_ISREG(st->st_mode) &&
	    time(NULL) - st->st_mtime > DOTLOCK_STALE_S;
}

/* This host's name, as a lock record gives it: 0, or -1 when unfit. */
static int
this_host(char *host, size_t size)
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
static int
read_record(const char *lockpath, const struct stat *seen,
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
static int
is_dead_holder(const struct lock_record *r)
{
	char host[HOST_MAX + 1];

	if (this_host(host, sizeof(host)) == -1 || strcmp(host, r->host) != 0)
		return 0;
	if ((pid_t)r->pid != r->pid)
		return 0;
	if ((pid_t)r->pid == getpid())
		return 1;
	return kill((pid_t)r->pid, 0) == -1 && errno == ESRCH;
}

/*
 * Remove a stale lockpath, but only the very file found stale: between
 * a look and an unlink another process may have removed the old lock
 * and made a fresh one.  smtpd processes breaking the same lock take
 * turns under a non-blocking fcntl lock on the mailbox itself (fd),
 * and the one whose turn it is removes the lock only while the name
 * still leads to the inode it judged stale.  A lock is stale when it
 * is older than DOTLOCK_STALE_S or its record names a dead holder;
 * then the mailbox is first cut back to the recorded size, since the
 * holder may have died half way through an append and nobody else can
 * have written under its lock.  Returns 1 when the lock is gone (try
 * to create it again at once), 0 when it must be waited for.
 */
static int
break_stale_lock(int fd, const char *lockpath)
{
	struct lock_record rec;
	struct stat seen, now, box;
	int gone = 0, dead;

	if (lstat(lockpath, &seen) == -1)
		return errno == ENOENT;
	dead = read_record(lockpath, &seen, &rec) == 0 && is_dead_holder(&rec);
	if (!dead && !is_stale(&seen))
		return 0;
	if (set_lock(fd, F_WRLCK) == -1)
		return 0;	/* another holder or breaker: wait */
	if (lstat(lockpath, &now) == 0 && now.st_dev == seen.st_dev &&
	    now.st_ino == seen.st_ino && (dead || is_stale(&now))) {
		if (dead && fstat(fd, &box) == 0 && box.st_size > rec.size) {
			log_warnx("cutting %s back to %lld octets, from %lld, "
			    "after its locker %ld died", lockpath,
			    (long long)rec.size, (long long)box.st_size,
			    rec.pid);
			if (ftruncate(fd, rec.size) == -1 || fsync(fd) == -1) {
				log_warn("cannot cut back after %s", lockpath);
				(void)set_lock(fd, F_UNLCK);
				return 0;	/* keep the lock: wait */
			}
		}
		log_warnx("removing %s lock %s", dead ? "a dead locker's" :
		    "stale", lockpath);
		gone = unlink(lockpath) == 0 || errno == ENOENT;
	} else
		gone = 1;	/* changed under us: look again */
	(void)set_lock(fd, F_UNLCK);
	return gone;
}

/*
 * Write the lock's record: our pid, this host, and the mailbox's size
 * now (size), before anything is appended.  Without a record (an unfit
 * host name, or a failed write), the lock is judged by its age alone.
 */
void
mboxlock_record(struct mboxlock *l, off_t size)
{
	char host[HOST_MAX + 1], buf[RECORD_MAX + 1];
	int n;

	if (l->fd == -1)
		return;
	if (this_host(host, sizeof(host)) == -1 ||
	    (n = snprintf(buf, sizeof(buf), "%ld %s %lld\n", (long)getpid(),
	    host, (long long)size)) < 0 || (size_t)n >= sizeof(buf)) {
		n = 0;
	}
	/* one write from offset 0; a longer old record is cut off after */
	if (pwrite(l->fd, buf, (size_t)n, 0) != n || ftruncate(l->fd, n) == -1)
		log_warn("lock record %s", l->path);
}

/*
 * Create PATH.lock with O_EXCL, for the mailbox path open on fd, in
 * its directory open on dirfd.  Returns 0 when held (l->dotlocked is 1,
 * l->path, l->dev and l->ino say which) or when the directory does not
 * allow one (we rely on fcntl alone), -1 on failure or after
 * LOCK_WAIT_S with errno EAGAIN.
 */
int
mboxlock_dot(struct mboxlock *l, int fd, int dirfd, const char *path)
{
	const char *base;
	time_t deadline = time(NULL) + LOCK_WAIT_S;
	long wait_ns = LOCK_POLL_MIN_NS;
	struct stat st;
	int lfd;

	if (lock_path(l->path, sizeof(l->path), path) == -1)
		return -1;
	base = strrchr(l->path, '/');
	base = base == NULL ? l->path : base + 1;
	for (;;) {
		/* beside the mailbox, in the directory the caller reached */
		lfd = openat(dirfd, base, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0600);
		if (lfd != -1) {
			if (fstat(lfd, &st) == -1) {
				close(lfd);
				unlink(l->path);
				return -1;
			}
			l->dotlocked = 1;
			l->fd = lfd;
			l->dev = st.st_dev;
			l->ino = st.st_ino;
			/* a record at once, so a lock of ours is never empty
			 * for long; rewritten once the fcntl lock is held */
			if (fstat(fd, &st) == 0)
				mboxlock_record(l, st.st_size);
			return 0;
		}
		if (errno == EACCES || errno == EROFS || errno == EPERM)
			return 0;
		if (errno != EEXIST)
			return -1;
		if (break_stale_lock(fd, l->path))
			continue;
		if (wait_turn(deadline, &wait_ns) == -1)
			return -1;
	}
}

/*
 * The fcntl write lock on the mailbox open on fd, waited for at most
 * LOCK_WAIT_S: 0, or -1 (errno EAGAIN when the wait ran out).
 */
int
mboxlock_fcntl(int fd)
{
	time_t deadline = time(NULL) + LOCK_WAIT_S;
	long wait_ns = LOCK_POLL_MIN_NS;

	for (;;) {
		if (set_lock(fd, F_WRLCK) == 0)
			return 0;
		if (errno != EAGAIN && errno != EACCES && errno != EINTR)
			return -1;
		if (wait_turn(deadline, &wait_ns) == -1)
			return -1;
	}
}

/*
 * Let the dot-lock go, for the mailbox open on fd (or -1); the caller's
 * close of fd drops the fcntl lock.  The dot-lock is removed only while
 * its name still leads to the file we made: if it was taken for stale
 * and replaced, the new one is not ours.
 */
void
mboxlock_release(struct mboxlock *l, int fd)
{
	struct stat st;

	if (l->dotlocked == 1 && lstat(l->path, &st) == 0 &&
	    st.st_dev == l->dev && st.st_ino == l->ino &&
	    unlink(l->path) == -1 && errno != ENOENT) {
		/* left behind: its record must not cut what is stored now,
		 * which may have had its 250 */
		log_warn("cannot remove %s", l->path);
		if (fd != -1 && fstat(fd, &st) == 0)
			mboxlock_record(l, st.st_size);
	}
	l->dotlocked = 0;
	if (l->fd != -1)
		close(l->fd);
	l->fd = -1;
}
