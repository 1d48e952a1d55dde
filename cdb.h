/* ISC license. */
/*
 * A constant database: D. J. Bernstein's cdb format
 * (https://cr.yp.to/cdb/cdb.txt), written once, whole, then read by
 * key with pread(2), a few slots a lookup.
 */
#ifndef CDB_H
#define CDB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CDB_HEADER	2048	/* 256 (position, length) pairs */
/*
 * The longest key cdb_find() reads back to compare: a probed record
 * whose key is longer counts as a damaged file.  254, the longest
 * address (addr.h ADDR_MAILBOX_MAX), the longest key smtpd writes.
 */
#define CDB_KEY_MAX	254

/* An open cdb; fd is -1 when none is. */
struct cdb {
	int		 fd;
	uint64_t	 size;		/* the file's octets */
	unsigned char	 header[CDB_HEADER];
};

struct cdb_slot;

/* A cdb being written: the records first, the hash tables at the end. */
struct cdb_make {
	FILE		*f;
	struct cdb_slot	*slots;		/* one a record added */
	struct cdb_slot	*table;		/* room for the largest hash table */
	size_t		 n;
	size_t		 max;
	uint32_t	 at;		/* where the next record goes */
	int		 failed;	/* an add failed: finish fails too */
};

/*
 * Open path (close-on-exec) and check that it is a regular file of
 * CDB_HEADER octets to 4 GiB whose 256 hash tables lie inside it:
 * 1 open; 0 not a cdb (its header unreadable counts so); -1 with errno
 * set when it cannot be opened, EINVAL when it is not a regular file.
 * Only 1 leaves c->fd open.
 */
int	cdb_open(struct cdb *, const char *);
/*
 * Key k's data into data[size], NUL-terminated: 1 found, 0 not there,
 * -1 when the file cannot be read (errno set) or proves inconsistent
 * (errno left as it was).
 */
int	cdb_find(const struct cdb *, const char *, char *, size_t);
void	cdb_close(struct cdb *);

/*
 * Writing to f, which must be at its start, at most max records: start,
 * one add per record, then finish, which writes the hash tables and
 * the header and frees what start took.  -1 with errno set on failure;
 * after a failed start there is nothing to finish, after a failed add
 * finish fails too.  Positions are 32 bits: the caller keeps the whole
 * file under 4 GiB.
 */
int	cdb_make_start(struct cdb_make *, FILE *, size_t);
int	cdb_make_add(struct cdb_make *, const char *, const char *);
int	cdb_make_finish(struct cdb_make *);

#endif
