/* ISC license. */
/* Appending one message to an mbox file (mboxrd), or nothing at all. */
#ifndef DELIVER_MBOX_H
#define DELIVER_MBOX_H

#include "deliver.h"

#include <sys/types.h>

/* Size of the pieces the spool is read and the mailbox written in. */
#define MBOX_CHUNK	65536

struct mbox_tx {
	int	 fd;
	int	 dotlocked;	/* 1 when lockpath is ours to remove */
	off_t	 size;		/* before our append */
	off_t	 end;		/* after it; -1 until it succeeded */
	dev_t	 lock_dev;	/* the dot-lock we made, to remove */
	ino_t	 lock_ino;	/* that one only */
	char	 lockpath[4096];
};

struct deliver_result deliver_mbox(const char *, const struct envelope *,
	    struct spool *);
struct deliver_result deliver_mbox_write(const char *,
	    const struct envelope *, struct spool *, struct mbox_tx *);
void	deliver_mbox_undo(struct mbox_tx *);
void	deliver_mbox_done(struct mbox_tx *);
void	deliver_mbox_keep(int);
void	deliver_mbox_release(void);
int	deliver_mbox_is_lock_name(const char *);

#endif
