/* ISC license. */
/*
 * The record in an smtpd dot-lock, "PID HOST SIZE\n" (smtpd.8), and
 * the record files it is written to before it becomes the lock.
 */
#ifndef LOCKRECORD_H
#define LOCKRECORD_H

#include <sys/stat.h>
#include <sys/types.h>

#define HOST_MAX	255	/* octets of a host name in a lock record */
#define RECORD_MAX	(20 + 1 + HOST_MAX + 1 + 20 + 1)
#define RECORD_NAME_SIZE	256	/* a record file's name, and its NUL */

/* What a dot-lock made by smtpd says: who holds it, and the size. */
struct lock_record {
	long	 pid;
	char	 host[HOST_MAX + 1];
	off_t	 size;
};

int	lockrecord_host(char *, size_t);
int	lockrecord_format(char *, size_t, off_t, int);
int	lockrecord_read(const char *, const struct stat *,
	    struct lock_record *);
int	lockrecord_is_dead(const struct lock_record *);
int	lockrecord_name(char *, size_t, const char *, const char *);
int	lockrecord_create(int, const char *, const char *, int);
void	lockrecord_sweep(int);

#endif
