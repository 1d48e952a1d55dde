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

static unsigned long	counter;	/* the Q part of a unique name */

static enum reply_id check_rcpt(const char *);
static void	host_part(char *, size_t);
static int	make_name(char *, size_t);
static int	write_piece(void *, const char *, size_t);
static int	write_message(int, const struct method_copy *);
static int	link_unsupported(int);
static void	clean_tmp(int, const char *);
static int	publish(int, int, const char *);
static int	deliver_as(int, int, const struct method_copy *, char *,
		    size_t);
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
	.done = maildir_done
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

/* Return-Path, Delivered-To, then the spool unchanged; 0 or an errno. */
static int
write_message(int fd, const struct method_copy *c)
{
	char head[2 * ADDR_MAILBOX_MAX + 64];
	int n, m;

	if ((n = trace_return_path(head, sizeof(head),
	    c->env->sender->mailbox)) == -1 ||
	    (m = trace_delivered_to(head + n, sizeof(head) - (size_t)n,
	    c->rcpt->mailbox)) == -1)
		return EINVAL;
	if (util_write_all(fd, head, (size_t)n + (size_t)m) == -1 ||
	    spool_copy(c->sp, c->buf, c->bufsize, write_piece, &fd) == -1)
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
	int md, tmpfd = -1, curfd = -1, err = 0, i;

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
	if (err == 0)
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
