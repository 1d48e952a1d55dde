/* ISC license. */
/* Delivering one message into a Maildir (new/), or leaving no trace. */
#ifndef DELIVER_MAILDIR_H
#define DELIVER_MAILDIR_H

#include "deliver.h"

/*
 * What a delivery holds until the transaction is decided: the open
 * new/ directory and the file's name in it, so deliver_maildir_undo()
 * removes exactly that file even if the Maildir has been renamed.
 */
struct maildir_tx {
	int	 dirfd;		/* DIR/new, -1 when nothing is held */
	int	 linked;	/* 1 while new/name is ours to take back */
	char	 name[256];	/* the unique name, in tmp/ and then new/ */
	char	 path[4096];	/* DIR/new/name, for logging */
};

struct deliver_result deliver_maildir(const char *, const struct envelope *,
	    const char *, struct spool *, struct maildir_tx *);
void	deliver_maildir_undo(struct maildir_tx *);
void	deliver_maildir_done(struct maildir_tx *);

#endif
