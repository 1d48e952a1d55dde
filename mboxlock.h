/* ISC license. */
/*
 * Mailbox locking, the way mutt, procmail and mailx expect: a PATH.lock
 * dot-lock beside the mailbox where the directory allows one, holding
 * "PID HOST SIZE\n" (smtpd.8), and an fcntl write lock on the mailbox
 * itself.  The mailbox's fd stays the caller's: closing it drops the
 * fcntl lock.
 */
#ifndef MBOXLOCK_H
#define MBOXLOCK_H

#include <sys/types.h>

#include "lockrecord.h"

/* A mailbox's dot-lock; after mboxlock_init() it holds nothing. */
struct mboxlock {
	int	 dotlocked;	/* 1 when path is ours to remove */
	int	 fd;		/* open on it, for its record; or -1 */
	int	 record_len;	/* octets in the record it holds */
	off_t	 record_size;	/* the size it records, if record_len */
	dev_t	 dev;		/* the dot-lock we made, to remove */
	ino_t	 ino;		/* that one only */
	char	 path[4096];	/* PATH.lock, once mboxlock_take() ran */
	int	 fd_kept;	/* fd is rec's: not closed, rec made free */
	int	 rec_reused;	/* rec was made by an earlier lock */
	struct mboxlock_rec *rec;
};

/*
 * A session's record file, kept between its locks of one mailbox: each
 * lock is then a pwrite(2) of the record and a link(2), not a create,
 * write, link, unlink and close.  Zeroed, it holds none.
 */
struct mboxlock_rec {
	int	 open;		/* fd is open, on name in dirfd */
	int	 busy;		/* linked as a lock now */
	int	 stale;		/* to be dropped once no longer busy */
	int	 fd;
	int	 dirfd;		/* its own (dup), on the directory of */
	int	 token;		/* the caller's dirfd: reused with that one */
	int	 len;		/* octets of the record it holds */
	dev_t	 dev;
	ino_t	 ino;
	char	 name[RECORD_NAME_SIZE];
};

void	mboxlock_init(struct mboxlock *);
int	mboxlock_is_name(const char *);
int	mboxlock_is_for(const struct mboxlock *, const char *);
int	mboxlock_take(struct mboxlock *, int, int, const char *,
	    struct mboxlock_rec *);
void	mboxlock_rec_drop(struct mboxlock_rec *);
void	mboxlock_record(struct mboxlock *, off_t);
void	mboxlock_release(struct mboxlock *, int);

#endif
