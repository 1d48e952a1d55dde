/* ISC license. */
/*
 * mbox delivery: the mboxrd format, locked the way mutt, procmail and
 * mailx expect (a PATH.lock dot-lock where the directory allows one,
 * and an fcntl write lock), appended, fsynced, and on any failure cut
 * back to the exact previous size so the mailbox is byte-identical.
 *
 * The dot-lock records its holder and the mailbox's size before the
 * append ("PID HOST SIZE\n", smtpd.8).  When smtpd is killed in the
 * middle of an append, the next delivery finds the holder dead (same
 * host, no such process), cuts the mailbox back to the recorded size,
 * since nobody can have written under that lock, and takes the lock at
 * once rather than after DOTLOCK_STALE_S.
 *
 * A mailbox may stay open and locked after a delivery, in the keep
 * state the session's deliver_ctx holds, while the session has more
 * pipelined input to process: the next message to the same mailbox
 * skips open, both locks and two stats.  The session releases it
 * before smtpd writes to the client or waits for it, so no client can
 * keep a mailbox locked.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "mboxrd.h"
#include "method.h"
#include "trace.h"
#include "util.h"

#define MBOX_CHUNK	65536	/* the output buffer, and a spool read */
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

/* One mailbox, open and locked, with what it takes to roll back. */
struct mbox_tx {
	int	 fd;
	int	 dotlocked;	/* 1 when lockpath is ours to remove */
	int	 lock_fd;	/* open on it, for its record; or -1 */
	off_t	 size;		/* before our append */
	off_t	 end;		/* after it; -1 until it succeeded */
	dev_t	 lock_dev;	/* the dot-lock we made, to remove */
	ino_t	 lock_ino;	/* that one only */
	char	 lockpath[4096];
};

/* Kept between messages: zeroed, it holds nothing. */
struct mbox_keep {
	int		 held;	/* tx is open and locked */
	struct mbox_tx	 tx;
};

static int	is_lock_name(const char *);
static const char *check_config(const char *);
static enum reply_id check_rcpt(const char *);
static int	open_mbox(const char *, int *, int *);
static int	dotlock(int, int, const char *, struct mbox_tx *);
static int	break_stale_lock(int, const char *);
static int	is_stale(const struct stat *);
static int	this_host(char *, size_t);
static int	parse_record(const char *, size_t, struct lock_record *);
static int	read_record(const char *, const struct stat *,
		    struct lock_record *);
static int	is_dead_holder(const struct lock_record *);
static void	write_record(struct mbox_tx *);
static int	set_lock(int, int);
static int	fcntl_lock(int, time_t);
static int	wait_turn(time_t, long *);
static int	write_message(int, off_t, int, const struct method_copy *,
		    off_t *);
static int	is_same_file(const char *, int);
static int	take_kept(const char *, struct mbox_keep *, struct mbox_tx *);
static struct deliver_result open_locked(const char *, struct mbox_tx *);
static struct deliver_result mbox_write(const struct method_copy *, void *);
static void	mbox_undo(void *);
static void	mbox_done(void *, void *);
static void	mbox_release(void *);
static void	unlock_and_close(struct mbox_tx *);

const struct method method_mbox = {
	.name = "mbox",
	.tx_size = sizeof(struct mbox_tx),
	.keep_size = sizeof(struct mbox_keep),
	.buf_size = (size_t)2 * MBOX_CHUNK,	/* output, then a spool piece */
	.check_config = check_config,
	.is_reserved = is_lock_name,
	.check_rcpt = check_rcpt,
	.write = mbox_write,
	.undo = mbox_undo,
	.done = mbox_done,
	.release = mbox_release
};

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

/*
 * Open for appending, creating it 0600, and its directory into *dirfd
 * (for the dot-lock beside it).  Never follow a symlink, in the last
 * component or any directory on the way (util_open_dir(), as for a
 * Maildir), and refuse anything but a regular file with one link: a
 * hard link could point the append at a file outside the mail store.
 */
static int
open_mbox(const char *path, int *fdp, int *dirfd)
{
	char dir[4096];
	const char *slash = strrchr(path, '/'), *base;
	struct stat st;
	int fd, err;

	if (slash == NULL) {
		util_strlcpy(dir, ".", sizeof(dir));
		base = path;
	} else if ((size_t)(slash - path) >= sizeof(dir)) {
		errno = ENAMETOOLONG;
		return -1;
	} else {
		/* "/box": the root directory */
		snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 :
		    (int)(slash - path), path);
		base = slash + 1;
	}
	if ((*dirfd = util_open_dir(dir, 0)) == -1)
		return -1;
	/* read access too: we look at the last byte before appending */
	fd = openat(*dirfd, base, O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0600);
	if (fd != -1 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_nlink == 1) {
		*fdp = fd;
		return 0;
	}
	err = fd == -1 ? errno : ELOOP;	/* ELOOP: a permanent mailbox error */
	if (fd != -1)
		close(fd);
	close(*dirfd);
	*dirfd = -1;
	errno = err;
	return -1;
}

/*
 * Whether path names a dot-lock: its last component ends in ".lock"
 * (mutt, procmail, mailx and smtpd lock mailbox P with P.lock).  No
 * mailbox may have such a name, or a message to it would be appended
 * to another mailbox's lock, and removed with it (deliver.c refuses
 * such recipients at RCPT through is_reserved, and such a template at
 * start; mbox_write() is the last line of defence).
 */
static int
is_lock_name(const char *path)
{
	size_t n = strlen(path);

	return n >= 5 && strcasecmp(path + n - 5, ".lock") == 0;
}

static const char *
check_config(const char *path)
{
	if (is_lock_name(path))
		return "an mbox path may not end in .lock, the name of a lock file";
	return NULL;
}

static enum reply_id
check_rcpt(const char *path)
{
	return method_check_kind(path, 0);
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
 * now, before anything is appended.  Without a record (an unfit host
 * name, or a failed write), the lock is judged by its age alone.
 */
static void
write_record(struct mbox_tx *tx)
{
	char host[HOST_MAX + 1], buf[RECORD_MAX + 1];
	int n;

	if (tx->lock_fd == -1)
		return;
	if (this_host(host, sizeof(host)) == -1 ||
	    (n = snprintf(buf, sizeof(buf), "%ld %s %lld\n", (long)getpid(),
	    host, (long long)tx->size)) < 0 || (size_t)n >= sizeof(buf)) {
		n = 0;
	}
	/* one write from offset 0; a longer old record is cut off after */
	if (pwrite(tx->lock_fd, buf, (size_t)n, 0) != n ||
	    ftruncate(tx->lock_fd, n) == -1)
		log_warn("lock record %s", tx->lockpath);
}

/*
 * Create PATH.lock with O_EXCL, for the mailbox open on fd.  Returns 1
 * when held (tx->lockpath, tx->lock_dev, tx->lock_ino say which), 0
 * when the directory does not allow one (we rely on fcntl alone), -1
 * on failure or after LOCK_WAIT_S with errno EAGAIN.
 */
static int
dotlock(int fd, int dirfd, const char *path, struct mbox_tx *tx)
{
	const char *base;
	time_t deadline = time(NULL) + LOCK_WAIT_S;
	long wait_ns = LOCK_POLL_MIN_NS;
	struct stat st;
	int lfd;

	if (snprintf(tx->lockpath, sizeof(tx->lockpath), "%s.lock", path) >=
	    (int)sizeof(tx->lockpath)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	base = strrchr(tx->lockpath, '/');
	base = base == NULL ? tx->lockpath : base + 1;
	for (;;) {
		/* beside the mailbox, in the directory open_mbox() reached */
		lfd = openat(dirfd, base, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0600);
		if (lfd != -1) {
			if (fstat(lfd, &st) == -1) {
				close(lfd);
				unlink(tx->lockpath);
				return -1;
			}
			tx->lock_fd = lfd;
			tx->lock_dev = st.st_dev;
			tx->lock_ino = st.st_ino;
			/* a record at once, so a lock of ours is never empty
			 * for long; rewritten once the fcntl lock is held */
			if (fstat(fd, &st) == 0) {
				tx->size = st.st_size;
				write_record(tx);
			}
			return 1;
		}
		if (errno == EACCES || errno == EROFS || errno == EPERM)
			return 0;
		if (errno != EEXIST)
			return -1;
		if (break_stale_lock(fd, tx->lockpath))
			continue;
		if (wait_turn(deadline, &wait_ns) == -1)
			return -1;
	}
}

/* The fcntl write lock on the mailbox, waited for until deadline. */
static int
fcntl_lock(int fd, time_t deadline)
{
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
 * From_ line, Return-Path, the spooled message, a blank line, appended
 * to a file of size octets (known to end in LF when ends_in_lf) and
 * fsynced; *end is then the new size.  The first half of the caller's
 * buffer collects output, the second takes the spool's pieces.
 */
static int
write_message(int fd, off_t size, int ends_in_lf,
    const struct method_copy *c, off_t *end)
{
	struct mboxrd o;
	const char *sender = c->env->sender->mailbox;
	size_t half = c->bufsize / 2;
	char line[600], ch;
	int n;

	mboxrd_init(&o, fd, c->buf, half);
	/* the previous message must end in a newline, or ours joins it */
	if (size > 0 && !ends_in_lf && pread(fd, &ch, 1, size - 1) == 1 &&
	    ch != '\n')
		mboxrd_put(&o, "\n", 1);
	if ((n = trace_from_line(line, sizeof(line), sender,
	    c->env->when)) == -1)
		return EINVAL;
	mboxrd_put(&o, line, (size_t)n);
	if ((n = trace_return_path(line, sizeof(line), sender)) == -1)
		return EINVAL;
	mboxrd_put(&o, line, (size_t)n);
	if (spool_copy(c->sp, c->buf + half, c->bufsize - half,
	    mboxrd_quote, &o) == -1)
		return errno;
	if (mboxrd_finish(&o) != 0)
		return o.failed;
	if (fsync(fd) == -1)
		return errno;
	*end = size + o.written;
	return 0;
}

/*
 * Whether path still names the file open on fd: someone who ignores
 * the locks may have removed or replaced the mailbox since, and a copy
 * appended to the old file would be lost.
 */
static int
is_same_file(const char *path, int fd)
{
	struct stat a, b;

	return lstat(path, &a) == 0 && fstat(fd, &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/*
 * Take over the kept mailbox if it is path's; else let it go, so that
 * smtpd never holds one mailbox while it waits for another (two
 * sessions could otherwise wait for each other).  Returns 1 when tx is
 * the kept mailbox, locked, with tx->end its size.
 */
static int
take_kept(const char *path, struct mbox_keep *keep, struct mbox_tx *tx)
{
	char lockpath[sizeof(tx->lockpath)];

	if (keep == NULL)
		return 0;
	if (keep->held && snprintf(lockpath, sizeof(lockpath), "%s.lock",
	    path) < (int)sizeof(lockpath) &&
	    strcmp(lockpath, keep->tx.lockpath) == 0 &&
	    is_same_file(path, keep->tx.fd)) {
		*tx = keep->tx;
		keep->held = 0;
		return 1;
	}
	mbox_release(keep);
	return 0;
}

/*
 * Open path and take both locks, with tx->size the size found then.
 * On failure tx holds nothing.
 */
static struct deliver_result
open_locked(const char *path, struct mbox_tx *tx)
{
	struct stat st;
	int err, dirfd;

	tx->fd = -1;
	tx->dotlocked = 0;
	tx->lock_fd = -1;
	tx->end = -1;
	if (is_lock_name(path)) {
		log_warnx("mbox %s: a lock file's name, refused", path);
		return method_outcome(DELIVER_PERM, R_MAILBOX_BAD);
	}
	if (open_mbox(path, &tx->fd, &dirfd) == -1) {
		log_warn("mbox %s", path);
		return method_outcome_errno(errno);
	}
	tx->dotlocked = dotlock(tx->fd, dirfd, path, tx);
	err = errno;
	close(dirfd);
	errno = err;
	if (tx->dotlocked == -1 ||
	    fcntl_lock(tx->fd, time(NULL) + LOCK_WAIT_S) == -1) {
		err = errno;
		log_warn("lock %s", path);
		unlock_and_close(tx);
		if (err == EAGAIN)
			return method_outcome(DELIVER_TEMP, R_MAILBOX_BUSY);
		return method_outcome_errno(err);
	}
	if (fstat(tx->fd, &st) == -1) {
		err = errno;
		log_warn("mbox %s", path);
		unlock_and_close(tx);
		return method_outcome_errno(err);
	}
	tx->size = st.st_size;
	write_record(tx);
	return method_outcome(DELIVER_OK, R_DATA_OK);
}

/*
 * Lock, append and fsync, keeping the lock: the message is on disk but
 * can still be cut away by mbox_undo() if another destination of the
 * same transaction fails.  mbox_done() releases it, or keeps it.
 */
static struct deliver_result
mbox_write(const struct method_copy *c, void *txp)
{
	struct mbox_tx *tx = txp;
	const char *path = c->argv[0];
	struct deliver_result r;
	int err;

	if (take_kept(path, c->keep, tx)) {
		tx->size = tx->end;
		tx->end = -1;
		write_record(tx);
		err = write_message(tx->fd, tx->size, 1, c, &tx->end);
	} else {
		r = open_locked(path, tx);
		if (r.status != DELIVER_OK)
			return r;
		err = write_message(tx->fd, tx->size, 0, c, &tx->end);
	}
	if (err != 0) {
		mbox_undo(tx);
		errno = err;
		log_warn("mbox %s", path);
		unlock_and_close(tx);
		return method_outcome_errno(err);
	}
	return method_outcome(DELIVER_OK, R_DATA_OK);
}

/* Cut the mailbox back to its size before our append. */
static void
mbox_undo(void *txp)
{
	struct mbox_tx *tx = txp;

	if (tx->fd == -1)
		return;
	tx->end = -1;	/* not to be kept: the cut may have failed */
	if (ftruncate(tx->fd, tx->size) == -1 || fsync(tx->fd) == -1)
		log_warn("cannot roll back a mailbox");
}

/*
 * Finished with this mailbox: kept locked for the next message when
 * the session keeps one (keep not NULL) and the append succeeded, else
 * released.
 */
static void
mbox_done(void *txp, void *keepp)
{
	struct mbox_tx *tx = txp;
	struct mbox_keep *keep = keepp;

	if (keep != NULL && !keep->held && tx->fd != -1 && tx->end != -1) {
		keep->tx = *tx;
		keep->held = 1;
		tx->fd = -1;
		tx->dotlocked = 0;
		tx->lock_fd = -1;
		return;
	}
	unlock_and_close(tx);
}

/* Unlock and close the kept mailbox, if there is one. */
static void
mbox_release(void *keepp)
{
	struct mbox_keep *keep = keepp;

	if (keep->held)
		unlock_and_close(&keep->tx);
	keep->held = 0;
}

/*
 * Release the locks; closing the file drops the fcntl lock.  The
 * dot-lock is removed only while its name still leads to the file we
 * made: if it was taken for stale and replaced, the new one is not ours.
 */
static void
unlock_and_close(struct mbox_tx *tx)
{
	struct stat st;

	if (tx->dotlocked == 1 && lstat(tx->lockpath, &st) == 0 &&
	    st.st_dev == tx->lock_dev && st.st_ino == tx->lock_ino &&
	    unlink(tx->lockpath) == -1 && errno != ENOENT) {
		/* left behind: its record must not cut what is stored now,
		 * which may have had its 250 */
		log_warn("cannot remove %s", tx->lockpath);
		if (tx->fd != -1 && fstat(tx->fd, &st) == 0) {
			tx->size = st.st_size;
			write_record(tx);
		}
	}
	tx->dotlocked = 0;
	if (tx->lock_fd != -1)
		close(tx->lock_fd);
	tx->lock_fd = -1;
	if (tx->fd != -1)
		close(tx->fd);
	tx->fd = -1;
}
