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

struct spool {
	int	 fd;		/* -1 while it all fits in mem */
	int	 error;		/* errno of the first failure, sticky */
	off_t	 size;
	size_t	 memlen;
	char	 mem[SPOOL_MEM];
};

void	spool_init(struct spool *);
int	spool_write(struct spool *, const char *, size_t);
ssize_t	spool_read(struct spool *, off_t, char *, size_t);
int	spool_copy(struct spool *, char *, size_t,
	    int (*)(void *, const char *, size_t), void *);
void	spool_reset(struct spool *);

#endif
