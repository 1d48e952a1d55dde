/* ISC license. */
/*
 * The body of the message being received.  Small messages never touch
 * the disk here; larger ones go to a temporary file in $TMPDIR (or
 * /tmp) that is unlinked at once, so it vanishes with the process, or
 * to the file their delivery will publish, when deliver.c names one
 * (struct spool_target: written once, not copied).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spool.h"
#include "util.h"

static int	target_file(struct spool *);
static int	spill(struct spool *);

void
spool_init(struct spool *sp)
{
	sp->fd = -1;
	sp->error = 0;
	sp->size = 0;
	sp->base = 0;
	sp->target = NULL;
	sp->in_target = 0;
	sp->memlen = 0;
}

/* For the message about to be received; spool_reset() forgets it. */
void
spool_set_target(struct spool *sp, const struct spool_target *t)
{
	sp->target = t;
}

/* Forget the message and its file (a target's file unless published). */
void
spool_reset(struct spool *sp)
{
	if (sp->in_target)
		sp->target->drop(sp->target->arg);
	if (sp->fd != -1)
		close(sp->fd);
	spool_init(sp);
}

/*
 * The target's file, with its base (where the message starts), or -1
 * when there is none or it could not be had.
 */
static int
target_file(struct spool *sp)
{
	off_t base;
	int fd;

	if (sp->target == NULL || (fd = sp->target->open(sp->target->arg)) ==
	    -1)
		return -1;
	if ((base = lseek(fd, 0, SEEK_CUR)) == -1) {
		sp->target->drop(sp->target->arg);
		close(fd);
		return -1;
	}
	sp->base = base;
	sp->in_target = 1;
	return fd;
}

/*
 * Move what is in memory into a new unlinked file, opened for
 * appending: only spool_write() writes to it, always at its end, and
 * reads name their offset (pread), so the file position never matters.
 */
static int
spill(struct spool *sp)
{
	int fd, flags, err;

	if ((fd = target_file(sp)) == -1 && (fd = util_tmpfile()) == -1)
		return -1;
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags | O_APPEND) == -1 ||
	    util_write_all(fd, sp->mem, sp->memlen) == -1) {
		err = errno;
		if (sp->in_target)
			sp->target->drop(sp->target->arg);
		sp->in_target = 0;
		sp->base = 0;
		close(fd);
		errno = err;
		return -1;
	}
	sp->fd = fd;
	return 0;
}

/* Append; after a failure every later write fails with the same errno. */
int
spool_write(struct spool *sp, const char *p, size_t n)
{
	if (sp->error != 0) {
		errno = sp->error;
		return -1;
	}
	if (sp->fd == -1 && sp->memlen + n <= sizeof(sp->mem)) {
		memcpy(sp->mem + sp->memlen, p, n);
		sp->memlen += n;
		sp->size += (off_t)n;
		return 0;
	}
	if (sp->fd == -1 && spill(sp) == -1)
		goto fail;
	if (util_write_all(sp->fd, p, n) == -1)
		goto fail;
	sp->size += (off_t)n;
	return 0;
fail:
	sp->error = errno;
	return -1;
}

/* Read from offset off; returns 0 at the end, -1 on error. */
ssize_t
spool_read(struct spool *sp, off_t off, char *buf, size_t n)
{
	ssize_t r;

	if (off >= sp->size)
		return 0;
	if ((off_t)n > sp->size - off)
		n = (size_t)(sp->size - off);
	if (sp->fd == -1) {
		memcpy(buf, sp->mem + off, n);
		return (ssize_t)n;
	}
	do
		r = pread(sp->fd, buf, n, sp->base + off);
	while (r == -1 && errno == EINTR);
	return r;
}

/*
 * Hand the whole message to fn, in order, a piece of at most size
 * octets at a time read through the caller's buf.  0 at the end; -1
 * when a read fails or fn returns -1, with errno as they left it.
 */
int
spool_copy(struct spool *sp, char *buf, size_t size,
    int (*fn)(void *, const char *, size_t), void *arg)
{
	ssize_t n;
	off_t off;

	for (off = 0;; off += n) {
		if ((n = spool_read(sp, off, buf, size)) == -1)
			return -1;
		if (n == 0)
			return 0;
		if (fn(arg, buf, (size_t)n) == -1)
			return -1;
	}
}
