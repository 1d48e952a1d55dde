/* ISC license. */
/*
 * Mailbox locking: an fcntl write lock on the mailbox, then a PATH.lock
 * dot-lock beside it where the directory allows one, both within
 * LOCK_WAIT_S.  The fcntl lock is waited for in the kernel (F_SETLKW,
 * its wait bounded by SIGALRM), so a waiter wakes the moment the holder
 * lets go: smtpd drops the dot-lock before the fcntl lock, so between
 * smtpd processes the dot-lock is free by then.  Only a dot-lock held
 * by another program (mutt, procmail), which no kernel wait can see,
 * is polled for, with the fcntl lock let go meanwhile: such a program
 * may want it next.
 *
 * The dot-lock records its holder and the mailbox's size before the
 * append ("PID HOST SIZE\n", smtpd.8).  When smtpd is killed in the
 * middle of an append, the next delivery finds the holder dead (same
 * host, no such process), cuts the mailbox back to the recorded size,
 * since nobody can have written under that lock, and takes the lock at
 * once rather than after DOTLOCK_STALE_S.
 *
 * So that no lock of ours is ever seen without its record, the record
 * is written first into ".P.lock.PID.HOST" beside it and then linked
 * to P.lock (link(2) fails if P.lock exists, as O_EXCL does).  A
 * session keeps that file (struct mboxlock_rec) between its locks of
 * one mailbox and rewrites it in place, which it may since it is no
 * lock then.  A process killed with it leaves it behind; it holds up
 * nobody, and the next smtpd to lock a mailbox there removes it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "lockrecord.h"
#include "log.h"
#include "mboxlock.h"
#include "util.h"

#define LOCK_WAIT_S	30	/* then 451 4.2.0 */
#define DOTLOCK_STALE_S	300	/* an older PATH.lock is a dead locker's */
#define LOCK_POLL_MIN_NS	1000000L	/* first wait for a busy lock */
#define LOCK_POLL_MAX_NS	50000000L	/* doubling up to this */

static int	lock_path(char *, size_t, const char *);
static int	break_stale_lock(int, const char *);
static int	is_stale(const struct stat *);
static int	set_lock(int, int);
static int	wait_turn(time_t, long *);
static void	on_lock_timer(int);
static int	wait_fcntl(int, time_t);
static int	take_dot(struct mboxlock *, int, int, const char *,
		    struct mboxlock_rec *);
static int	take_by_link(struct mboxlock *, int, int, const char *,
		    const char *, struct mboxlock_rec *);
static int	reuse_record(struct mboxlock_rec *, int, const char *,
		    const char *, int);
static int	take_by_create(struct mboxlock *, int, int, const char *);
static int	held(struct mboxlock *, int);

/* No dot-lock yet: nothing to remove, no record to write. */
void
mboxlock_init(struct mboxlock *l)
{
	l->dotlocked = 0;
	l->fd = -1;
	l->fd_kept = l->rec_reused = 0;
	l->record_len = 0;
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

/*
 * Whether l, set up by mboxlock_take(), is mailbox path's lock: l->path
 * is path and ".lock" (compared in place, as lock_path() would make it:
 * asked once a message).
 */
int
mboxlock_is_for(const struct mboxlock *l, const char *path)
{
	size_t n = strlen(path);

	return n + 5 < sizeof(l->path) && strncmp(l->path, path, n) == 0 &&
	    strcmp(l->path + n, ".lock") == 0;
}

/*
 * Wait for a dot-lock held by another program, *ns long, and double
 * *ns for next time; or, once deadline has passed, -1 with errno
 * EAGAIN.  Short first waits matter: a holder may keep it for well
 * under a millisecond.
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





/*
 * Remove a stale lockpath, but only the very file found stale: between
 * a look and an unlink another process may have removed the old lock
 * and made a fresh one.  smtpd processes breaking the same lock take
 * turns under the fcntl lock on the mailbox itself (fd), which the
 * caller holds, and the one whose turn it is removes the lock only
 * while the name still leads to the inode it judged stale.  A lock is stale when it
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
	dead = lockrecord_read(lockpath, &seen, &rec) == 0 && lockrecord_is_dead(&rec);
	if (!dead && !is_stale(&seen))
		return 0;
	if (lstat(lockpath, &now) == 0 && now.st_dev == seen.st_dev &&
	    now.st_ino == seen.st_ino && (dead || is_stale(&now))) {
		if (dead && fstat(fd, &box) == 0 && box.st_size > rec.size) {
			log_warnx("cutting %s back to %lld octets, from %lld, "
			    "after its locker %ld died", lockpath,
			    (long long)rec.size, (long long)box.st_size,
			    rec.pid);
			if (ftruncate(fd, rec.size) == -1 || fsync(fd) == -1) {
				log_warn("cannot cut back after %s", lockpath);
				return 0;	/* keep the lock: wait */
			}
		}
		log_warnx("removing %s lock %s", dead ? "a dead locker's" :
		    "stale", lockpath);
		gone = unlink(lockpath) == 0 || errno == ENOENT;
	} else
		gone = 1;	/* changed under us: look again */
	return gone;
}


/*
 * Write the lock's record again: our pid, this host, and the mailbox's
 * size now (size), before anything is appended.  Without a record (an
 * unfit host name, or a failed write), the lock is judged by its age
 * alone.
 */
void
mboxlock_record(struct mboxlock *l, off_t size)
{
	char buf[RECORD_MAX + 32];
	int n;

	if (l->fd == -1)
		return;
	if (l->record_len > 0 && l->record_size == size)
		return;		/* it says so already: just taken */
	n = lockrecord_format(buf, sizeof(buf), size, l->record_len);
	if (n == -1) {
		/* no record to trust: an empty lock keeps the age rule */
		if (ftruncate(l->fd, 0) == -1)
			log_warn("lock record %s", l->path);
		l->record_len = 0;
		return;
	}
	l->record_len = n;
	l->record_size = size;
	if (pwrite(l->fd, buf, (size_t)n, 0) != n) {
		log_warn("lock record %s", l->path);
		l->record_size = -1;	/* unknown: write it next time */
	}
}



/*
 * Close the kept record file and remove its name, if there is one; one
 * that is a lock now goes when the lock does.  The caller drops it
 * before the directory descriptor it was made with (its token) closes.
 */
void
mboxlock_rec_drop(struct mboxlock_rec *rec)
{
	if (rec == NULL || !rec->open)
		return;
	if (rec->busy) {
		rec->stale = 1;
		return;
	}
	close(rec->fd);
	if (unlinkat(rec->dirfd, rec->name, 0) == -1 && errno != ENOENT)
		log_warn("cannot remove record file %s", rec->name);
	close(rec->dirfd);
	rec->open = rec->stale = 0;
}

/* Keep rfd, the record file rname in dirfd, for the next lock. */
static void
keep_record(struct mboxlock_rec *rec, int rfd, int dirfd, const char *rname,
    int len)
{
	struct stat st;

	if (fstat(rfd, &st) == -1 ||
	    (rec->dirfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0)) == -1)
		return;
	rec->open = 1;
	rec->busy = rec->stale = 0;
	rec->fd = rfd;
	rec->token = dirfd;
	rec->len = len;
	rec->dev = st.st_dev;
	rec->ino = st.st_ino;
	util_strlcpy(rec->name, rname, sizeof(rec->name));
}

/*
 * The kept record file, with the record rewritten in place (never
 * shorter: lockrecord_format() pads the size with zeros), when it is
 * rname in dirfd: its fd, else -1.  It is no lock now (the last one
 * was removed), so nobody reads it while it changes.
 */
static int
reuse_record(struct mboxlock_rec *rec, int dirfd, const char *rname,
    const char *record, int n)
{
	if (rec == NULL || !rec->open)
		return -1;
	if (rec->stale || rec->token != dirfd ||
	    strcmp(rec->name, rname) != 0 ||
	    pwrite(rec->fd, record, (size_t)n, 0) != n) {
		mboxlock_rec_drop(rec);	/* another mailbox's, or unfit */
		return -1;
	}
	rec->len = n;
	return rec->fd;
}

/*
 * Take base (the lock's name in dirfd) for the mailbox open on fd by
 * linking a record file to it, so that the lock has its record from
 * the first instant: the lock's fd, or -1 with errno (EEXIST: held;
 * ENOSYS: the filesystem makes no hard links, take_by_create() must).
 * With rec, the record file is kept (named, open) for the next lock.
 */
static int
take_by_link(struct mboxlock *l, int fd, int dirfd, const char *base,
    const char *rname, struct mboxlock_rec *rec)
{
	char record[RECORD_MAX + 32];
	struct stat st;
	int rfd, n, err, reused;

	if (rec != NULL && rec->busy)
		rec = NULL;	/* another lock of this transaction has it */
	if (fstat(fd, &st) == -1)
		return -1;
	n = lockrecord_format(record, sizeof(record), st.st_size,
	    rec != NULL && rec->open ? rec->len : 0);
	if (n == -1) {
		errno = ENOSYS;
		return -1;
	}
	reused = (rfd = reuse_record(rec, dirfd, rname, record, n)) != -1;
	if (!reused && (rfd = lockrecord_create(dirfd, rname, record, n)) ==
	    -1)
		return -1;
	if (linkat(dirfd, rname, dirfd, base, 0) == -1) {
		err = errno;
		/* EPERM from link(2): no hard links on this filesystem */
		err = err == EPERM || err == EMLINK ? ENOSYS : err;
		if (reused && err == ENOSYS)
			mboxlock_rec_drop(rec);
		else if (!reused) {
			close(rfd);
			unlinkat(dirfd, rname, 0);
		}
		errno = err;
		return -1;
	}
	if (rec != NULL && !reused)
		keep_record(rec, rfd, dirfd, rname, n);
	l->fd_kept = rec != NULL && rec->open && rec->fd == rfd;
	l->rec_reused = reused;
	if (l->fd_kept) {	/* held() need not ask */
		rec->busy = 1;
		l->rec = rec;
		l->dev = rec->dev;
		l->ino = rec->ino;
	} else if (unlinkat(dirfd, rname, 0) == -1)
		log_warn("cannot remove %s's record file", base);
	l->record_len = n;
	l->record_size = st.st_size;
	return rfd;
}

/*
 * Take base in dirfd by creating it with O_EXCL, the way every dot-lock
 * program does; its record follows at once.  For a filesystem without
 * hard links, or a host name no record can hold.
 */
static int
take_by_create(struct mboxlock *l, int fd, int dirfd, const char *base)
{
	struct stat st;
	int lfd;

	l->fd_kept = l->rec_reused = 0;
	lfd = openat(dirfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (lfd == -1)
		return -1;
	l->fd = lfd;
	l->record_len = 0;
	if (fstat(fd, &st) == 0)
		mboxlock_record(l, st.st_size);
	return lfd;
}



/*
 * The lock is ours, open on lfd: note which file it is, so that only
 * it is ever removed.  0, or -1 (removed again) when it cannot be.
 */
static int
held(struct mboxlock *l, int lfd)
{
	struct stat st;

	if (l->fd_kept) {	/* its dev and ino are known */
		l->dotlocked = 1;
		l->fd = lfd;
		return 0;
	}
	if (fstat(lfd, &st) == -1) {
		close(lfd);
		unlink(l->path);
		l->fd = -1;
		return -1;
	}
	l->dotlocked = 1;
	l->fd = lfd;
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	return 0;
}

/*
 * Take PATH.lock for the mailbox path open on fd, in its directory
 * open on dirfd, once, the caller holding the fcntl lock: 0 when held
 * (l->dotlocked is 1, l->path, l->dev and l->ino say which) or when
 * the directory does not allow one (we rely on fcntl alone), 1 when
 * another holds it, -1 on failure.
 */
static int
take_dot(struct mboxlock *l, int fd, int dirfd, const char *path,
    struct mboxlock_rec *rec)
{
	char host[HOST_MAX + 1], rname[RECORD_NAME_SIZE];
	const char *base;
	int lfd, by_link;

	if (lock_path(l->path, sizeof(l->path), path) == -1)
		return -1;
	base = strrchr(l->path, '/');
	base = base == NULL ? l->path : base + 1;
	by_link = lockrecord_host(host, sizeof(host)) == 0 &&
	    lockrecord_name(rname, sizeof(rname), base, host) == 0;
	for (;;) {
		/* beside the mailbox, in the directory the caller reached */
		lfd = by_link ? take_by_link(l, fd, dirfd, base, rname, rec) :
		    take_by_create(l, fd, dirfd, base);
		if (lfd != -1) {
			if (held(l, lfd) == -1)
				return -1;
			/* a kept record file was made after a sweep here */
			if (!l->rec_reused)
				lockrecord_sweep(dirfd);
			return 0;
		}
		if (by_link && errno == ENOSYS) {
			by_link = 0;
			continue;
		}
		if (errno == EACCES || errno == EROFS || errno == EPERM)
			return 0;
		if (errno != EEXIST)
			return -1;
		if (!break_stale_lock(fd, l->path))
			return 1;
	}
}

static volatile sig_atomic_t	lock_timer_fired;

/*
 * The wait's deadline has come.  Again in a second, in case the first
 * came just before F_SETLKW began to wait (alarm(2) is
 * async-signal-safe).
 */
static void
on_lock_timer(int sig)
{
	(void)sig;
	lock_timer_fired = 1;
	alarm(1);
}

/*
 * The fcntl write lock on the mailbox open on fd.  When it is busy,
 * F_SETLKW waits for it in the kernel, which wakes us as soon as the
 * holder lets go; SIGALRM, set for deadline and caught without
 * SA_RESTART, ends the wait there.  0, or -1 (errno EAGAIN when the
 * wait ran out).  A wait the kernel calls a deadlock (EDEADLK: the
 * holder waits for a lock of ours) is polled instead.
 */
static int
wait_fcntl(int fd, time_t deadline)
{
	struct sigaction sa, old;
	struct flock fl;
	long wait_ns = LOCK_POLL_MIN_NS;
	time_t left;
	int r, err;

	if (set_lock(fd, F_WRLCK) == 0)
		return 0;
	if (errno != EAGAIN && errno != EACCES && errno != EINTR)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_lock_timer;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, &old) == -1)
		return -1;
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	lock_timer_fired = 0;
	for (;;) {
		if ((left = deadline - time(NULL)) <= 0 || lock_timer_fired) {
			r = -1;
			err = EAGAIN;
			break;
		}
		alarm((unsigned int)left);
		r = fcntl(fd, F_SETLKW, &fl);
		err = errno;
		alarm(0);
		if (r == 0 || (err != EINTR && err != EDEADLK))
			break;
		if (err == EDEADLK && wait_turn(deadline, &wait_ns) == -1) {
			err = errno;
			break;
		}
	}
	(void)sigaction(SIGALRM, &old, NULL);
	/* the handler may have run just before the alarm(0) in the loop,
	 * and armed another for a second later: not to come now */
	alarm(0);
	errno = err;
	return r;
}

/*
 * Both locks on the mailbox path open on fd, in its directory open on
 * dirfd: the fcntl lock (wait_fcntl), then the dot-lock (take_dot).
 * While another program holds the dot-lock, the fcntl lock is let go
 * between looks, so one that takes the dot-lock first and the fcntl
 * lock next (procmail) is never stuck behind us.  0 when held, -1 on
 * failure or after LOCK_WAIT_S with errno EAGAIN; the caller's close
 * of fd drops the fcntl lock, mboxlock_release() the dot-lock.
 */
int
mboxlock_take(struct mboxlock *l, int fd, int dirfd, const char *path,
    struct mboxlock_rec *rec)
{
	time_t deadline = time(NULL) + LOCK_WAIT_S;
	long wait_ns = LOCK_POLL_MIN_NS;
	int r;

	for (;;) {
		if (wait_fcntl(fd, deadline) == -1)
			return -1;
		if ((r = take_dot(l, fd, dirfd, path, rec)) != 1)
			return r;
		(void)set_lock(fd, F_UNLCK);
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
	if (l->fd != -1 && !l->fd_kept)
		close(l->fd);
	if (l->fd_kept) {	/* free for the next lock */
		l->rec->busy = 0;
		if (l->rec->stale)
			mboxlock_rec_drop(l->rec);
	}
	l->fd = -1;
	l->fd_kept = 0;
}
