/* ISC license. */
/*
 * mbox delivery: the mboxrd format, locked the way mutt, procmail and
 * mailx expect (a PATH.lock dot-lock where the directory allows one,
 * and an fcntl write lock), appended, fsynced, and on any failure cut
 * back to the exact previous size so the mailbox is byte-identical.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "deliver_mbox.h"
#include "log.h"
#include "util.h"

#define LOCK_WAIT_S	30	/* then 451 4.2.0 */
#define DOTLOCK_STALE_S	300	/* an older PATH.lock is a dead locker's */
#define LOCK_POLL_MIN_NS	1000000L	/* first wait for a busy lock */
#define LOCK_POLL_MAX_NS	50000000L	/* doubling up to this */

struct mbox_out {
	int	 fd;
	int	 failed;	/* errno of the first failed write */
	int	 at_bol;	/* next octet starts a line */
	size_t	 gt;		/* '>' seen at the start of this line */
	size_t	 from;		/* octets of "From " matched after them */
	off_t	 written;	/* octets that reached the file */
	size_t	 len;
	char	 buf[MBOX_CHUNK];
};

/*
 * The mailbox kept open and locked after a delivery, while the session
 * has more pipelined input to process (deliver_mbox_keep()): the next
 * message to the same mailbox skips open, both locks and two stats.
 * deliver_mbox_release() lets it go before smtpd writes to the client
 * or waits for it, so no client can keep a mailbox locked.
 */
static int		keep_enabled;
static struct mbox_tx	kept = { -1, 0, 0, -1, 0, 0, "" };

static int	open_mbox(const char *, int *, int *);
static int	dotlock(int, int, const char *, struct mbox_tx *);
static int	break_stale_lock(int, const char *);
static int	is_stale(const struct stat *);
static int	fcntl_lock(int, time_t);
static void	pause_briefly(long *);
static void	out_put(struct mbox_out *, const char *, size_t);
static void	out_flush(struct mbox_out *);
static void	out_quoted(struct mbox_out *, const char *, size_t);
static void	out_pending(struct mbox_out *);
static void	from_line_name(char [ADDR_MAILBOX_MAX + 1], const char *);
static int	write_message(int, off_t, int, const struct envelope *,
		    struct spool *, off_t *);
static int	is_same_file(const char *, int);
static int	take_kept(const char *, struct mbox_tx *);
static void	deliver_mbox_done_now(struct mbox_tx *);

/*
 * Wait for a busy lock, *ns long, and double *ns for next time.  Short
 * first waits matter when many sessions append to one mailbox: the
 * holder keeps it for well under a millisecond, so a fixed 50 ms poll
 * left the mailbox idle most of the time.
 */
static void
pause_briefly(long *ns)
{
	struct timespec ts = { 0, *ns };

	nanosleep(&ts, NULL);
	if (*ns < LOCK_POLL_MAX_NS)
		*ns = *ns * 2 < LOCK_POLL_MAX_NS ? *ns * 2 : LOCK_POLL_MAX_NS;
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
 * such recipients at RCPT; this is the last line of defence).
 */
int
deliver_mbox_is_lock_name(const char *path)
{
	size_t n = strlen(path);

	return n >= 5 && strcasecmp(path + n - 5, ".lock") == 0;
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
 * turns under a non-blocking fcntl lock on the mailbox itself (fd),
 * and the one whose turn it is removes the lock only while the name
 * still leads to the inode it judged stale.  Returns 1 when the lock
 * is gone (try to create it again at once), 0 when it must be waited
 * for.
 */
static int
break_stale_lock(int fd, const char *lockpath)
{
	struct flock fl;
	struct stat seen, now;
	int gone = 0;

	if (lstat(lockpath, &seen) == -1)
		return errno == ENOENT;
	if (!is_stale(&seen))
		return 0;
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_SETLK, &fl) == -1)
		return 0;	/* another holder or breaker: wait */
	if (lstat(lockpath, &now) == 0 && now.st_dev == seen.st_dev &&
	    now.st_ino == seen.st_ino && is_stale(&now)) {
		log_warnx("removing stale lock %s", lockpath);
		gone = unlink(lockpath) == 0 || errno == ENOENT;
	} else
		gone = 1;	/* changed under us: look again */
	fl.l_type = F_UNLCK;
	(void)fcntl(fd, F_SETLK, &fl);
	return gone;
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
			close(lfd);
			tx->lock_dev = st.st_dev;
			tx->lock_ino = st.st_ino;
			return 1;
		}
		if (errno == EACCES || errno == EROFS || errno == EPERM)
			return 0;
		if (errno != EEXIST)
			return -1;
		if (break_stale_lock(fd, tx->lockpath))
			continue;
		if (time(NULL) >= deadline) {
			errno = EAGAIN;
			return -1;
		}
		pause_briefly(&wait_ns);
	}
}

static int
fcntl_lock(int fd, time_t deadline)
{
	long wait_ns = LOCK_POLL_MIN_NS;
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	for (;;) {
		if (fcntl(fd, F_SETLK, &fl) == 0)
			return 0;
		if (errno != EAGAIN && errno != EACCES && errno != EINTR)
			return -1;
		if (time(NULL) >= deadline) {
			errno = EAGAIN;
			return -1;
		}
		pause_briefly(&wait_ns);
	}
}

static void
out_flush(struct mbox_out *o)
{
	const char *p = o->buf;
	ssize_t w;

	while (o->len > 0 && o->failed == 0) {
		w = write(o->fd, p, o->len);
		if (w == -1) {
			if (errno != EINTR)
				o->failed = errno;
			continue;
		}
		p += w;
		o->len -= (size_t)w;
		o->written += w;
	}
	o->len = 0;
}

static void
out_put(struct mbox_out *o, const char *p, size_t n)
{
	size_t k;

	while (n > 0) {
		if (o->len == sizeof(o->buf))
			out_flush(o);
		k = sizeof(o->buf) - o->len;
		if (k > n)
			k = n;
		memcpy(o->buf + o->len, p, k);
		o->len += k;
		p += k;
		n -= k;
	}
}

/* Emit the '>'s and the part of "From " held back at a line start. */
static void
out_pending(struct mbox_out *o)
{
	for (; o->gt > 0; o->gt--)
		out_put(o, ">", 1);
	out_put(o, "From ", o->from);
	o->from = 0;
}

/*
 * Copy message text, quoting every line that matches ^>*From with one
 * more '>' (mboxrd), so a reader can undo it exactly.  Works across
 * chunk boundaries: the start of a line is held back until decided.
 */
static void
out_quoted(struct mbox_out *o, const char *p, size_t n)
{
	const char *lf;
	size_t run;

	while (n > 0) {
		if (!o->at_bol) {
			lf = memchr(p, '\n', n);
			run = lf == NULL ? n : (size_t)(lf - p) + 1;
			out_put(o, p, run);
			p += run;
			n -= run;
			o->at_bol = lf != NULL;
			continue;
		}
		if (*p == '>' && o->from == 0) {
			o->gt++;
			p++;
			n--;
			continue;
		}
		if (*p == "From "[o->from]) {
			p++;
			n--;
			if (++o->from == 5) {
				out_put(o, ">", 1);
				out_pending(o);
				o->at_bol = 0;
			}
			continue;
		}
		out_pending(o);
		o->at_bol = 0;
	}
}

/*
 * The sender as the From_ line shows it: ASCII, since mail readers
 * parse that line as ASCII (Python's mailbox module raises on anything
 * else), and one word.  A blank becomes '_' (a quoted local part may
 * hold one) and each non-ASCII character one '?'.  The Return-Path
 * header keeps the address as it was given.
 */
static void
from_line_name(char who[ADDR_MAILBOX_MAX + 1], const char *sender)
{
	const unsigned char *p = (const unsigned char *)sender;
	size_t o = 0;

	for (; *p != '\0' && o < ADDR_MAILBOX_MAX; p++) {
		if ((*p & 0xc0) == 0x80)
			continue;	/* a UTF-8 continuation octet */
		who[o++] = *p >= 0x80 ? '?' : *p == ' ' ? '_' : (char)*p;
	}
	who[o] = '\0';
}

/*
 * From_ line, Return-Path, the spooled message, a blank line, appended
 * to a file of size octets (known to end in LF when ends_in_lf) and
 * fsynced; *end is then the new size.
 */
static int
write_message(int fd, off_t size, int ends_in_lf,
    const struct envelope *env, struct spool *sp, off_t *end)
{
	static struct mbox_out o;
	char line[600], date[64], who[ADDR_MAILBOX_MAX + 1], c;
	struct tm tm;
	ssize_t n;
	off_t off;
	const char *sender = env->sender->mailbox;

	/* every field but the buffer: clearing 64 KiB per message showed
	 * in the profile of many small messages */
	o.fd = fd;
	o.failed = 0;
	o.at_bol = 0;
	o.gt = o.from = 0;
	o.written = 0;
	o.len = 0;
	/* the previous message must end in a newline, or ours joins it */
	if (size > 0 && !ends_in_lf && pread(fd, &c, 1, size - 1) == 1 &&
	    c != '\n')
		out_put(&o, "\n", 1);
	if (localtime_r(&env->when, &tm) == NULL ||
	    strftime(date, sizeof(date), "%a %b %e %H:%M:%S %Y", &tm) == 0)
		return EINVAL;
	from_line_name(who, *sender == '\0' ? "MAILER-DAEMON" : sender);
	snprintf(line, sizeof(line), "From %s %s\n", who, date);
	out_put(&o, line, strlen(line));
	snprintf(line, sizeof(line), "Return-Path: <%s>\n", sender);
	out_put(&o, line, strlen(line));
	o.at_bol = 1;
	for (off = 0; o.failed == 0; off += n) {
		static char chunk[MBOX_CHUNK];

		n = spool_read(sp, off, chunk, sizeof(chunk));
		if (n == -1)
			return errno;
		if (n == 0)
			break;
		out_quoted(&o, chunk, (size_t)n);
	}
	out_pending(&o);
	out_put(&o, "\n", 1);
	out_flush(&o);
	if (o.failed != 0)
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
take_kept(const char *path, struct mbox_tx *tx)
{
	char lockpath[sizeof(kept.lockpath)];

	if (kept.fd != -1 && snprintf(lockpath, sizeof(lockpath), "%s.lock",
	    path) < (int)sizeof(lockpath) &&
	    strcmp(lockpath, kept.lockpath) == 0 && is_same_file(path, kept.fd)) {
		*tx = kept;
		kept.fd = -1;
		kept.dotlocked = 0;
		return 1;
	}
	deliver_mbox_release();
	return 0;
}

/* Keep a mailbox locked between deliveries (on) or never (off). */
void
deliver_mbox_keep(int on)
{
	keep_enabled = on;
	if (!on)
		deliver_mbox_release();
}

/* Unlock and close the kept mailbox, if there is one. */
void
deliver_mbox_release(void)
{
	deliver_mbox_done_now(&kept);
}

/*
 * Lock, append and fsync, keeping the lock: the message is on disk but
 * can still be cut away by deliver_mbox_undo() if another destination
 * of the same transaction fails.  deliver_mbox_done() releases it.
 */
struct deliver_result
deliver_mbox_write(const char *path, const struct envelope *env,
    struct spool *sp, struct mbox_tx *tx)
{
	struct stat st;
	int err, dirfd;

	if (take_kept(path, tx)) {
		tx->size = tx->end;
		tx->end = -1;
		err = write_message(tx->fd, tx->size, 1, env, sp, &tx->end);
		goto written;
	}
	tx->fd = -1;
	tx->dotlocked = 0;
	tx->end = -1;
	if (deliver_mbox_is_lock_name(path)) {
		log_warnx("mbox %s: a lock file's name, refused", path);
		return deliver_outcome(DELIVER_PERM, R_MAILBOX_BAD);
	}
	if (open_mbox(path, &tx->fd, &dirfd) == -1) {
		log_warn("mbox %s", path);
		return deliver_result_errno(errno);
	}
	tx->dotlocked = dotlock(tx->fd, dirfd, path, tx);
	err = errno;
	close(dirfd);
	errno = err;
	if (tx->dotlocked == -1 ||
	    fcntl_lock(tx->fd, time(NULL) + LOCK_WAIT_S) == -1) {
		err = errno;
		log_warn("lock %s", path);
		deliver_mbox_done(tx);
		if (err == EAGAIN)
			return deliver_outcome(DELIVER_TEMP, R_MAILBOX_BUSY);
		return deliver_result_errno(err);
	}
	if (fstat(tx->fd, &st) == -1) {
		err = errno;
		log_warn("mbox %s", path);
		deliver_mbox_done(tx);
		return deliver_result_errno(err);
	}
	tx->size = st.st_size;
	err = write_message(tx->fd, tx->size, 0, env, sp, &tx->end);
written:
	if (err != 0) {
		deliver_mbox_undo(tx);
		errno = err;
		log_warn("mbox %s", path);
		deliver_mbox_done(tx);
		return deliver_result_errno(err);
	}
	return deliver_outcome(DELIVER_OK, R_DATA_OK);
}

/* Cut the mailbox back to its size before our append. */
void
deliver_mbox_undo(struct mbox_tx *tx)
{
	if (tx->fd == -1)
		return;
	tx->end = -1;	/* not to be kept: the cut may have failed */
	if (ftruncate(tx->fd, tx->size) == -1 || fsync(tx->fd) == -1)
		log_warn("cannot roll back a mailbox");
}

/*
 * Finished with this mailbox: kept locked for the next message when
 * the session asked for that and the append succeeded, else released.
 */
void
deliver_mbox_done(struct mbox_tx *tx)
{
	if (keep_enabled && tx->fd != -1 && tx->end != -1 && kept.fd == -1) {
		kept = *tx;
		tx->fd = -1;
		tx->dotlocked = 0;
		return;
	}
	deliver_mbox_done_now(tx);
}

/*
 * Release the locks; closing the file drops the fcntl lock.  The
 * dot-lock is removed only while its name still leads to the file we
 * made: if it was taken for stale and replaced, the new one is not ours.
 */
static void
deliver_mbox_done_now(struct mbox_tx *tx)
{
	struct stat st;

	if (tx->dotlocked == 1 && lstat(tx->lockpath, &st) == 0 &&
	    st.st_dev == tx->lock_dev && st.st_ino == tx->lock_ino)
		unlink(tx->lockpath);
	tx->dotlocked = 0;
	if (tx->fd != -1)
		close(tx->fd);
	tx->fd = -1;
}

/* The whole delivery to one mbox, for a single destination. */
struct deliver_result
deliver_mbox(const char *path, const struct envelope *env, struct spool *sp)
{
	struct mbox_tx tx;
	struct deliver_result r;

	r = deliver_mbox_write(path, env, sp, &tx);
	deliver_mbox_done(&tx);
	return r;
}
