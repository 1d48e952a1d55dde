/* ISC license. */
/*
 * Where a message waits between DATA and delivery: a fixed buffer in
 * memory that spills into an unlinked temporary file, so memory stays
 * the same whatever the message size and nothing is left behind.
 */
#ifndef SPOOL_H
#define SPOOL_H

#include <stddef.h>
#include <sys/types.h>

#define SPOOL_MEM	65536

/*
 * Where a message that outgrows memory may go instead of a temporary
 * file: the very file a delivery will publish (a Maildir's tmp/ file,
 * deliver.c), so that its octets are written once.  open returns a
 * descriptor positioned at the end of what the store puts before the
 * message, or -1 (then the spool's own temporary file is used, as
 * without a target); drop is called when the spool lets go of it, and
 * removes the file unless a delivery has published it.
 */
struct spool_target {
	int	(*open)(void *);
	void	(*drop)(void *);
	void	*arg;
};

struct spool {
	int	 fd;		/* -1 while it all fits in mem */
	int	 error;		/* errno of the first failure, sticky */
	off_t	 size;		/* of the message */
	off_t	 base;		/* octets in fd before the message */
	const struct spool_target *target;	/* NULL: none */
	int	 in_target;	/* fd is the target's file */
	size_t	 memlen;
	char	 mem[SPOOL_MEM];
};

void	spool_init(struct spool *);
void	spool_set_target(struct spool *, const struct spool_target *);
int	spool_write(struct spool *, const char *, size_t);
ssize_t	spool_read(struct spool *, off_t, char *, size_t);
int	spool_copy(struct spool *, char *, size_t,
	    int (*)(void *, const char *, size_t), void *);
void	spool_reset(struct spool *);

#endif
