/* ISC license. */
/*
 * Maildir delivery (the qmail convention, see maildir(5)): the message
 * goes to tmp/NAME under a unique name, is fsynced, and is linked to
 * new/NAME; only that link commits it.  new/ is fsynced as well, which
 * qmail-local and OpenSMTPD skip, so a commit survives a crash.
 *
 * A delivery killed between open and link leaves its file in tmp/;
 * as maildir(5) asks, each delivery removes tmp/ files untouched for
 * 36 hours (clean_tmp()), a bounded number at a time.
 *
 * Written once: a message that outgrows the spool's memory during DATA
 * goes straight into the tmp/ file of its first recipient's Maildir
 * (maildir_spill_open(), through spool.c's target), when that Maildir
 * is there already: at the end only the fsync, the link and the fsync
 * of new/ are left, and nothing is read back.  A message not delivered
 * takes its file away (maildir_spill_drop()); one whose smtpd is
 * killed during DATA leaves it in tmp/, for the 36-hour rule.  Other
 * recipients' copies are read from that file, as from the spool.
 *
 * Every directory is reached with openat() one component at a time,
 * with O_NOFOLLOW: a symlink anywhere in DIR, or as tmp, new or cur, is
 * refused and nothing is written through it.  Give the real path.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "method.h"
#include "trace.h"
#include "util.h"

#define MAILDIR_CHUNK	16384	/* octets of the spool read at a time */
#define MAILDIR_TRIES	16	/* names tried before giving up, EEXIST */
#define TMP_STALE_S	129600	/* 36 hours, maildir(5): an orphan in tmp/ */
#define TMP_SCAN_MAX	1024	/* entries of tmp/ looked at per delivery */
#define TMP_REMOVE_MAX	16	/* orphans removed per delivery */
#define FILE_FLAGS	(O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | \
			    O_CLOEXEC | O_NOCTTY)
/* the spool reads it back for other recipients' copies */
#define SPILL_FLAGS	(O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | \
			    O_CLOEXEC | O_NOCTTY)

/*
 * What a copy holds until the transaction is decided: the open new/
 * directory and the file's name in it, so maildir_undo() removes
 * exactly that file even if the Maildir has been renamed.
 */
struct maildir_tx {
	int	 dirfd;		/* DIR/new, -1 when nothing is held */
	int	 linked;	/* 1 while new/name is ours to take back */
	char	 name[256];	/* the unique name, in tmp/ and then new/ */
	char	 path[4096];	/* DIR/new/name, for logging */
};

/*
 * The file a message is being written to during DATA (method.h:
 * spill_open), held from the spill to the end of the message.
 */
struct maildir_spill {
	int	 held;		/* 0: nothing, the rest is stale */
	int	 published;	/* linked into new/: not ours to remove */
	int	 tmpfd;		/* DIR/tmp */
	char	 name[256];	/* the file's name in tmp/ */
};

static unsigned long	counter;	/* the Q part of a unique name */

static enum reply_id check_rcpt(const char *);
static void	host_part(char *, size_t);
static int	make_name(char *, size_t);
static int	write_piece(void *, const char *, size_t);
static int	write_head(int, const struct method_copy *);
static int	write_message(int, const struct method_copy *);
static int	link_unsupported(int);
static void	clean_tmp(int, const char *);
static int	publish(int, int, const char *);
static int	deliver_as(int, int, const struct method_copy *, char *,
		    size_t);
static int	spill_name(struct maildir_spill *, int);
static int	maildir_spill_open(const struct method_copy *, void *);
static void	maildir_spill_drop(void *);
static int	is_spilled(const struct method_copy *);
static int	publish_spill(const struct method_copy *, struct maildir_tx *);
static struct deliver_result maildir_write(const struct method_copy *,
		    void *);
static void	maildir_undo(void *);
static void	maildir_done(void *, void *);

const struct method method_maildir = {
	.name = "maildir",
	.tx_size = sizeof(struct maildir_tx),
	.buf_size = MAILDIR_CHUNK,
	.check_rcpt = check_rcpt,
	.write = maildir_write,
	.undo = maildir_undo,
	.done = maildir_done,
	.spill_size = sizeof(struct maildir_spill),
	.spill_open = maildir_spill_open,
	.spill_drop = maildir_spill_drop
};

static enum reply_id
check_rcpt(const char *dir)
{
	return method_check_kind(dir, 1);
}

/*
 * The host name for a unique name, with '/' written as \057 and ':' as
 * \072: the first would make a path, the second starts the flags a
 * reader appends ("NAME:2,S").
 */
static void
host_part(char *buf, size_t size)
{
	char host[256];
	const char *h;
	size_t o = 0;

	if (gethostname(host, sizeof(host)) == -1)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	for (h = *host == '\0' ? "localhost" : host; *h != '\0'; h++) {
		if (o + 5 > size)
			break;
		if (*h == '/' || *h == ':') {
			snprintf(buf + o, size - o, "\\%03o",
			    (unsigned int)(unsigned char)*h);
			o += 4;
		} else
			buf[o++] = *h;
	}
	buf[o] = '\0';
}

/*
 * SECONDS.M<usec>P<pid>Q<counter>.HOST (maildir(5)).  Under
 * SMTPD_FAKE_TIME, util_now() differs from the real clock and usec is
 * 0, so names depend on the pid and the counter only.  (At a second's
 * edge the two clocks may also differ; P and Q keep the name unique.)
 */
static int
make_name(char *buf, size_t size)
{
	struct timespec ts;
	char host[4 * 256];
	time_t now;
	long usec = 0;
	int n;

	now = util_now();
	if (clock_gettime(CLOCK_REALTIME, &ts) == 0 && ts.tv_sec == now)
		usec = ts.tv_nsec / 1000;
	host_part(host, sizeof(host));
	counter++;
	n = snprintf(buf, size, "%lld.M%ldP%ldQ%lu.%s", (long long)now, usec,
	    (long)getpid(), counter, host);
	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* util_write_all() for spool_copy(). */
static int
write_piece(void *fdp, const char *p, size_t n)
{
	return util_write_all(*(int *)fdp, p, n);
}

/* Return-Path and Delivered-To, which come before the spool; 0 or an errno. */
static int
write_head(int fd, const struct method_copy *c)
{
	char head[2 * ADDR_MAILBOX_MAX + 64];
	int n, m;

	if ((n = trace_return_path(head, sizeof(head),
	    c->env->sender->mailbox)) == -1 ||
	    (m = trace_delivered_to(head + n, sizeof(head) - (size_t)n,
	    c->rcpt->mailbox)) == -1)
		return EINVAL;
	if (util_write_all(fd, head, (size_t)n + (size_t)m) == -1)
		return errno;
	return 0;
}

/* The head, then the spool unchanged, fsynced; 0 or an errno. */
static int
write_message(int fd, const struct method_copy *c)
{
	int err;

	if ((err = write_head(fd, c)) != 0)
		return err;
	if (spool_copy(c->sp, c->buf, c->bufsize, write_piece, &fd) == -1)
		return errno;
	if (fsync(fd) == -1)
		return errno;
	return 0;
}

/* linkat() errors that mean "no hard links here", not "failed". */
static int
link_unsupported(int err)
{
	if (err == EPERM || err == ENOTSUP || err == ENOSYS)
		return 1;
	/* POSIX lets EOPNOTSUPP equal ENOTSUP (it does on Linux, and then
	 * clang-tidy calls the test redundant); elsewhere it differs */
#if EOPNOTSUPP != ENOTSUP
	if (err == EOPNOTSUPP)
		return 1;
#endif
	return 0;
}

/*
 * Move tmp/name to new/name: link, then unlink, so an existing
 * new/name is never replaced (EEXIST).  Filesystems without hard links
 * (vfat, some FUSE and network ones) refuse with EPERM or ENOTSUP; then
 * rename, after checking that the name is still free.  Then fsync new/
 * so the commit is durable; if that fails, take the message back.
 */
static int
publish(int tmpfd, int newfd, const char *name)
{
	struct stat st;
	int err;

	if (linkat(tmpfd, name, newfd, name, 0) == 0) {
		if (unlinkat(tmpfd, name, 0) == -1)
			log_warn("maildir: cannot remove tmp/%s", name);
	} else {
		if (!link_unsupported(errno))
			return errno;
		if (fstatat(newfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			return EEXIST;
		if (renameat(tmpfd, name, newfd, name) == -1)
			return errno;
	}
	if (util_sync_dir(newfd) == -1) {
		err = errno;
		unlinkat(newfd, name, 0);
		util_sync_dir(newfd);
		return err;
	}
	if (util_sync_dir(tmpfd) == -1)
		log_warn("maildir: fsync tmp/");
	return 0;
}

/*
 * Remove orphans from tmp/ (open as tmpfd): regular files untouched
 * for TMP_STALE_S by the real clock, at most TMP_REMOVE_MAX of the
 * first TMP_SCAN_MAX entries, so a huge tmp/ cannot slow a delivery
 * much.  lstat semantics and unlinkat() never follow a symlink, and a
 * name that is anything but a regular file is left alone.  Failures
 * are logged, never the delivery's.
 */
static void
clean_tmp(int tmpfd, const char *dir)
{
	struct dirent *de;
	struct stat st;
	time_t now = time(NULL);
	DIR *d;
	int fd, seen = 0, removed = 0;

	if ((fd = dup(tmpfd)) == -1)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while (seen < TMP_SCAN_MAX && removed < TMP_REMOVE_MAX &&
	    (de = readdir(d)) != NULL) {
		seen++;
		if (de->d_name[0] == '.')
			continue;	/* ".", "..", and no Maildir name */
		if (fstatat(tmpfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) ==
		    -1 || !S_ISREG(st.st_mode) || now - st.st_mtime <=
		    TMP_STALE_S)
			continue;
		if (unlinkat(tmpfd, de->d_name, 0) == 0) {
			removed++;
			log_info("maildir %s: removed tmp/%s, untouched for "
			    "36 hours", dir, de->d_name);
		} else
			log_warn("maildir %s: cannot remove tmp/%s", dir,
			    de->d_name);
	}
	closedir(d);	/* closes fd, not tmpfd */
}

/*
 * One attempt under a fresh name: 0 when new/name holds the message,
 * EEXIST when the name is taken (try the next), else an errno.  On
 * failure nothing of ours is left in tmp/ or new/.
 */
static int
deliver_as(int tmpfd, int newfd, const struct method_copy *c, char *name,
    size_t size)
{
	struct stat st;
	int fd, err;

	if (make_name(name, size) == -1)
		return errno;
	if (fstatat(newfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return EEXIST;
	if ((fd = openat(tmpfd, name, FILE_FLAGS, 0600)) == -1)
		return errno;
	err = write_message(fd, c);
	if (close(fd) == -1 && err == 0)
		err = errno;
	if (err == 0)
		err = publish(tmpfd, newfd, name);
	if (err != 0)
		unlinkat(tmpfd, name, 0);
	return err;
}

/*
 * A fresh unique name for the spill file in tmp/ (open as s->tmpfd),
 * free in new/ (newfd) as well; its descriptor, or -1.
 */
static int
spill_name(struct maildir_spill *s, int newfd)
{
	struct stat st;
	int i, fd;

	for (i = 0; i < MAILDIR_TRIES; i++) {
		if (make_name(s->name, sizeof(s->name)) == -1)
			return -1;
		if (fstatat(newfd, s->name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			continue;
		fd = openat(s->tmpfd, s->name, SPILL_FLAGS, 0600);
		if (fd != -1 || errno != EEXIST)
			return fd;
	}
	errno = EEXIST;
	return -1;
}

/*
 * The spool's file for a message to argv[0]: tmp/NAME, with the head
 * written, when DIR, DIR/tmp and DIR/new are there (nothing is made
 * for a message that may yet be refused; else -1, and the spool uses
 * a file of its own).  Failures are only logged: delivery will meet
 * them again, or not, and answer for them.
 */
static int
maildir_spill_open(const struct method_copy *c, void *sp)
{
	struct maildir_spill *s = sp;
	int md, newfd = -1, fd = -1, err = 0;

	s->held = 0;
	s->published = 0;
	s->tmpfd = -1;
	if ((md = util_open_dir(c->argv[0], 0)) == -1)
		return -1;
	if ((s->tmpfd = util_open_dir_at(md, "tmp", 0)) != -1 &&
	    (newfd = util_open_dir_at(md, "new", 0)) != -1 &&
	    (fd = spill_name(s, newfd)) != -1 &&
	    (err = write_head(fd, c)) != 0) {
		unlinkat(s->tmpfd, s->name, 0);
		close(fd);
		fd = -1;
	}
	if (fd == -1 && err == 0 && errno != ENOENT)
		err = errno;
	if (err != 0) {
		errno = err;
		log_warn("maildir %s: writing the message once", c->argv[0]);
	}
	if (newfd != -1)
		close(newfd);
	close(md);
	if (fd == -1) {
		if (s->tmpfd != -1)
			close(s->tmpfd);
		return -1;
	}
	s->held = 1;
	return fd;
}

/* Let go of the spill file, removing it from tmp/ unless published. */
static void
maildir_spill_drop(void *sp)
{
	struct maildir_spill *s = sp;

	if (!s->held)
		return;
	if (!s->published && unlinkat(s->tmpfd, s->name, 0) == -1 &&
	    errno != ENOENT)
		log_warn("maildir: cannot remove tmp/%s", s->name);
	close(s->tmpfd);
	s->held = 0;
	s->published = 0;
}

/* Whether this copy's message is in its spill file already. */
static int
is_spilled(const struct method_copy *c)
{
	const struct maildir_spill *s = c->spill;

	return s != NULL && s->held && !s->published && c->sp->in_target;
}

/*
 * Commit the spill file as the copy: fsync it, then publish() it into
 * new/ (tx->dirfd) under its name.  0 or an errno; on EEXIST (the name
 * taken in new/ since) or EXDEV (tmp/ elsewhere now) it is still in
 * tmp/, and the caller copies it under a new name instead.
 */
static int
publish_spill(const struct method_copy *c, struct maildir_tx *tx)
{
	struct maildir_spill *s = c->spill;
	int err;

	if (fsync(c->sp->fd) == -1)
		return errno;
	if ((err = publish(s->tmpfd, tx->dirfd, s->name)) != 0)
		return err;
	s->published = 1;
	memcpy(tx->name, s->name, sizeof(tx->name));
	return 0;
}

/*
 * Deliver into DIR, argv[0] (created with its parents, tmp, new and
 * cur when missing), with "Return-Path: <sender>" and "Delivered-To:
 * rcpt" first.  On success tx holds the file: maildir_undo() takes it
 * back, maildir_done() lets go.  On failure tx holds nothing and both
 * are no-ops.
 */
static struct deliver_result
maildir_write(const struct method_copy *c, void *txp)
{
	struct maildir_tx *tx = txp;
	const char *dir = c->argv[0];
	int md, tmpfd = -1, curfd = -1, err = 0, i, spilled = 0;

	tx->dirfd = -1;
	tx->linked = 0;
	tx->name[0] = '\0';
	tx->path[0] = '\0';
	if ((md = util_open_dir(dir, 1)) == -1 ||
	    (tmpfd = util_open_dir_at(md, "tmp", 1)) == -1 ||
	    (tx->dirfd = util_open_dir_at(md, "new", 1)) == -1 ||
	    (curfd = util_open_dir_at(md, "cur", 1)) == -1)
		err = errno;
	if (err == 0)
		clean_tmp(tmpfd, dir);
	if (err == 0 && is_spilled(c)) {
		err = publish_spill(c, tx);
		/* its name taken in new/, or tmp/ elsewhere: copy it */
		spilled = err != EEXIST && err != EXDEV;
		if (!spilled)
			err = 0;
	}
	if (err == 0 && !spilled)
		for (i = 0; i < MAILDIR_TRIES; i++)
			if ((err = deliver_as(tmpfd, tx->dirfd, c, tx->name,
			    sizeof(tx->name))) != EEXIST)
				break;	/* else the name is taken: next */
	if (curfd != -1)
		close(curfd);
	if (tmpfd != -1)
		close(tmpfd);
	if (md != -1)
		close(md);
	if (err != 0) {
		errno = err;
		log_warn("maildir %s", dir);
		maildir_done(tx, NULL);
		return method_outcome_errno(err);
	}
	tx->linked = 1;
	if (snprintf(tx->path, sizeof(tx->path), "%s/new/%s", dir,
	    tx->name) >= (int)sizeof(tx->path))
		tx->path[0] = '\0';	/* only for logging */
	return method_outcome(DELIVER_OK, R_DATA_OK);
}

/* Take a delivered message back out of new/. */
static void
maildir_undo(void *txp)
{
	struct maildir_tx *tx = txp;

	if (tx->dirfd == -1 || !tx->linked)
		return;
	if (unlinkat(tx->dirfd, tx->name, 0) == -1 ||
	    util_sync_dir(tx->dirfd) == -1)
		log_warn("cannot roll back %s", tx->path);
	tx->linked = 0;
}

/* Nothing is kept between messages: keep is always NULL here. */
static void
maildir_done(void *txp, void *keep)
{
	struct maildir_tx *tx = txp;

	(void)keep;
	if (tx->dirfd != -1)
		close(tx->dirfd);
	tx->dirfd = -1;
	tx->linked = 0;
}
