/* ISC license. */
/*
 * mbox delivery: the mboxrd format, locked the way mutt, procmail and
 * mailx expect (mboxlock.c: a PATH.lock dot-lock where the directory
 * allows one, and an fcntl write lock), appended, fsynced, and on any
 * failure cut back to the exact previous size so the mailbox is
 * byte-identical.
 *
 * A mailbox may stay open and locked after a delivery, in the keep
 * state the session's deliver_ctx holds, while the session has more
 * pipelined input to process: the next message to the same mailbox
 * skips open, both locks, two stats and the lock's record.  The
 * session releases it before smtpd writes to the client or waits for
 * it, so no client can keep a mailbox locked, and no message appended
 * under it has been answered while it is held.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "log.h"
#include "mboxlock.h"
#include "mboxrd.h"
#include "method.h"
#include "trace.h"
#include "util.h"

#define MBOX_CHUNK	65536	/* the output buffer, and a spool read */

/* One mailbox, open and locked, with what it takes to roll back. */
struct mbox_tx {
	int		 fd;
	off_t		 size;	/* before our append */
	off_t		 end;	/* after it; -1 until it succeeded */
	dev_t		 dev;	/* the file fd is open on, as found */
	ino_t		 ino;	/* once locked */
	struct mboxlock	 lock;	/* its dot-lock, if any */
};

/*
 * Kept between messages: zeroed, it holds nothing.  The directory of
 * the last mailbox stays open for the whole session (till mbox_close),
 * so the next message into it skips walking its path component by
 * component (util_open_dir: two system calls a component).
 */
struct mbox_keep {
	int		 held;	/* tx is open and locked */
	struct mbox_tx	 tx;
	int		 has_dir;	/* dirfd is open on dir */
	int		 dirfd;
	char		 dir[4096];
	struct mboxlock_rec rec;	/* the dot-lock's record file */
};

static const char *check_config(const char *);
static enum reply_id check_rcpt(const char *);
static int	open_dir(const char *, struct mbox_keep *, int);
static int	open_in(int, const char *, struct stat *);
static int	open_mbox(const char *, struct mbox_keep *, int *, int *);
static int	write_message(int, off_t, int, const struct method_copy *,
		    off_t *);
static int	is_same_file(const char *, const struct mbox_tx *);
static int	take_kept(const char *, struct mbox_keep *, struct mbox_tx *);
static struct deliver_result open_locked(const char *, struct mbox_keep *,
		    struct mbox_tx *);
static struct deliver_result mbox_write(const struct method_copy *, void *);
static void	mbox_undo(void *);
static void	mbox_done(void *, void *);
static void	mbox_release(void *);
static void	mbox_close(void *);
static void	unlock_and_close(struct mbox_tx *);

const struct method method_mbox = {
	.name = "mbox",
	.tx_size = sizeof(struct mbox_tx),
	.keep_size = sizeof(struct mbox_keep),
	.buf_size = (size_t)2 * MBOX_CHUNK,	/* output, then a spool piece */
	.check_config = check_config,
	.is_reserved = mboxlock_is_name,
	.check_rcpt = check_rcpt,
	.write = mbox_write,
	.undo = mbox_undo,
	.done = mbox_done,
	.release = mbox_release,
	.close = mbox_close
};

/*
 * The directory dir, open: the kept one when it is dir's (unless
 * fresh), else walked anew and kept (when keep is not NULL: then the
 * keep owns it, the caller closes it only when keep is NULL).  It was
 * walked without following a symlink; a component swapped for one
 * since cannot lead the delivery elsewhere, as the descriptor stays on
 * the directory checked.
 */
static int
open_dir(const char *dir, struct mbox_keep *keep, int fresh)
{
	int fd;

	if (keep != NULL && keep->has_dir && !fresh &&
	    strcmp(keep->dir, dir) == 0)
		return keep->dirfd;
	if ((fd = util_open_dir(dir, 0)) == -1 || keep == NULL)
		return fd;
	mboxlock_rec_drop(&keep->rec);	/* made with the old one */
	if (keep->has_dir)
		close(keep->dirfd);	/* another directory's */
	keep->has_dir = 1;
	keep->dirfd = fd;
	util_strlcpy(keep->dir, dir, sizeof(keep->dir));
	return fd;
}

/* base in dirfd, opened for appending (created 0600), and its status. */
static int
open_in(int dirfd, const char *base, struct stat *st)
{
	int fd, err;

	/* read access too: we look at the last byte before appending */
	fd = openat(dirfd, base, O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0600);
	if (fd != -1 && fstat(fd, st) == -1) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/*
 * Open for appending, creating it 0600, and its directory into *dirfd
 * (for the dot-lock beside it; open_dir() says who closes it).  Never
 * follow a symlink, in the last component or any directory on the way
 * (util_open_dir(), as for a Maildir), and refuse anything but a
 * regular file with one link: a hard link could point the append at a
 * file outside the mail store.  Through a kept directory, path must
 * still lead to the file opened (one lstat(2) instead of the walk);
 * else the directory was removed or renamed, and the path is walked
 * again.
 */
static int
open_mbox(const char *path, struct mbox_keep *keep, int *fdp, int *dirfd)
{
	char dir[4096];
	const char *slash = strrchr(path, '/'), *base;
	struct stat st, named;
	int fd, err, kept;

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
	kept = keep != NULL && keep->has_dir && strcmp(keep->dir, dir) == 0;
	if ((*dirfd = open_dir(dir, keep, 0)) == -1)
		return -1;
	fd = open_in(*dirfd, base, &st);
	if (kept && (fd == -1 ? errno == ENOENT : lstat(path, &named) == -1 ||
	    named.st_dev != st.st_dev || named.st_ino != st.st_ino)) {
		if (fd != -1)
			close(fd);
		if ((*dirfd = open_dir(dir, keep, 1)) == -1)
			return -1;
		fd = open_in(*dirfd, base, &st);
	}
	if (fd != -1 && S_ISREG(st.st_mode) && st.st_nlink == 1) {
		*fdp = fd;
		return 0;
	}
	err = fd == -1 ? errno : ELOOP;	/* ELOOP: a permanent mailbox error */
	if (fd != -1)
		close(fd);
	if (keep == NULL)
		close(*dirfd);
	*dirfd = -1;
	errno = err;
	return -1;
}

static const char *
check_config(const char *path)
{
	if (mboxlock_is_name(path))
		return "an mbox path may not end in .lock, the name of a lock file";
	return NULL;
}

/*
 * The session's keep, while it may hold a mailbox (one session a
 * process): a recipient whose mailbox it holds locked is known to be a
 * regular file, and mbox_write() checks it again.  One lstat(2) less
 * for each pipelined message (docs/performance.md, case b).
 */
static const struct mbox_keep *holder;

static enum reply_id
check_rcpt(const char *path)
{
	if (holder != NULL && holder->held &&
	    mboxlock_is_for(&holder->tx.lock, path))
		return R_NONE;
	return method_check_kind(path, 0);
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
 * Whether path still names the file tx is open on: someone who ignores
 * the locks may have removed or replaced the mailbox since, and a copy
 * appended to the old file would be lost.
 */
static int
is_same_file(const char *path, const struct mbox_tx *tx)
{
	struct stat st;

	/* the file's own identity was noted when it was locked: an
	 * inode does not change under an open descriptor */
	return lstat(path, &st) == 0 && st.st_dev == tx->dev &&
	    st.st_ino == tx->ino;
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
	if (keep == NULL)
		return 0;
	if (keep->held && mboxlock_is_for(&keep->tx.lock, path) &&
	    is_same_file(path, &keep->tx)) {
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
open_locked(const char *path, struct mbox_keep *keep, struct mbox_tx *tx)
{
	struct stat st;
	int err, dirfd, locked;

	tx->fd = -1;
	mboxlock_init(&tx->lock);
	tx->end = -1;
	if (mboxlock_is_name(path)) {
		log_warnx("mbox %s: a lock file's name, refused", path);
		return method_outcome(DELIVER_PERM, R_MAILBOX_BAD);
	}
	if (open_mbox(path, keep, &tx->fd, &dirfd) == -1) {
		log_warn("mbox %s", path);
		return method_outcome_errno(errno);
	}
	locked = mboxlock_take(&tx->lock, tx->fd, dirfd, path,
	    keep != NULL ? &keep->rec : NULL);
	err = errno;
	if (keep == NULL)
		close(dirfd);
	errno = err;
	if (locked == -1) {
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
	tx->dev = st.st_dev;
	tx->ino = st.st_ino;
	mboxlock_record(&tx->lock, tx->size);
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
		/* the lock's record keeps the size it was taken at: no
		 * reply has gone out since (the session lets the lock go
		 * before it writes to the client), so a delivery killed
		 * now is cut back to where the client last knew it */
		tx->size = tx->end;
		tx->end = -1;
		err = write_message(tx->fd, tx->size, 1, c, &tx->end);
	} else {
		r = open_locked(path, c->keep, tx);
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
		holder = keep;
		tx->fd = -1;
		mboxlock_init(&tx->lock);	/* the keep owns it now */
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

/* The end of the session: close the kept directory too. */
static void
mbox_close(void *keepp)
{
	struct mbox_keep *keep = keepp;

	mbox_release(keep);
	if (holder == keep)
		holder = NULL;	/* about to be freed */
	mboxlock_rec_drop(&keep->rec);
	if (keep->has_dir)
		close(keep->dirfd);
	keep->has_dir = 0;
}

/*
 * Release the locks: the dot-lock (mboxlock_release()), then the file,
 * whose closing drops the fcntl lock.
 */
static void
unlock_and_close(struct mbox_tx *tx)
{
	mboxlock_release(&tx->lock, tx->fd);
	if (tx->fd != -1)
		close(tx->fd);
	tx->fd = -1;
}
