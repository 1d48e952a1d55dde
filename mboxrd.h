/* ISC license. */
/*
 * The mboxrd writer: a message's text in, through the caller's buffer,
 * out to a file with every line that matches ^>*"From " given one more
 * '>', so a reader can undo the quoting exactly.
 */
#ifndef MBOXRD_H
#define MBOXRD_H

#include <stddef.h>
#include <sys/types.h>

struct mboxrd {
	int	 fd;
	int	 failed;	/* errno of the first failed write */
	int	 at_bol;	/* next octet of text starts a line */
	size_t	 gt;		/* '>' seen at the start of this line */
	size_t	 from;		/* octets of "From " matched after them */
	off_t	 written;	/* octets that reached the file */
	size_t	 len;
	size_t	 size;
	char	*buf;
};

void	mboxrd_init(struct mboxrd *, int, char *, size_t);
void	mboxrd_put(struct mboxrd *, const char *, size_t);
int	mboxrd_quote(void *, const char *, size_t);
int	mboxrd_finish(struct mboxrd *);

#endif
