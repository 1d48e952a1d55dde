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

/* A mailbox's dot-lock; after mboxlock_init() it holds nothing. */
struct mboxlock {
	int	 dotlocked;	/* 1 when path is ours to remove */
	int	 fd;		/* open on it, for its record; or -1 */
	int	 record_len;	/* octets in the record it holds */
	dev_t	 dev;		/* the dot-lock we made, to remove */
	ino_t	 ino;		/* that one only */
	char	 path[4096];	/* PATH.lock, once mboxlock_dot() ran */
};

void	mboxlock_init(struct mboxlock *);
int	mboxlock_is_name(const char *);
int	mboxlock_is_for(const struct mboxlock *, const char *);
int	mboxlock_dot(struct mboxlock *, int, int, const char *);
int	mboxlock_fcntl(int);
void	mboxlock_record(struct mboxlock *, off_t);
void	mboxlock_release(struct mboxlock *, int);

#endif
