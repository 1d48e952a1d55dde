/* ISC license. */
/*
 * A constant database, D. J. Bernstein's cdb
 * (https://cr.yp.to/cdb/cdb.txt): 256 (position, length) pairs of
 * 32-bit little-endian numbers, then the records (key length, data
 * length, key, data), then 256 hash tables of (hash, record position)
 * slots, 2 slots for each record in them, probed linearly from
 * (hash >> 8) % length.  The hash is h = ((h << 5) + h) ^ c from 5381;
 * its low 8 bits pick the table.  An empty slot has position 0, which
 * no record can have, as the header comes first.
 *
 * The reader keeps only the header in memory and reads the slots and
 * records it probes with pread(2), so it costs the same whatever the
 * size of the file, and checks every position it reads against that
 * size.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cdb.h"

/* One record of a cdb being written. */
struct cdb_slot {
	uint32_t	 hash;
	uint32_t	 pos;
};

static uint32_t	hash(const char *, size_t);
static uint32_t	get32(const unsigned char *);
static void	put32(unsigned char *, uint32_t);
static int	pread_all(int, void *, size_t, uint64_t);
static int	by_table(const void *, const void *);

static uint32_t
hash(const char *s, size_t n)
{
	uint32_t h = 5381;
	size_t i;

	for (i = 0; i < n; i++)
		h = ((h << 5) + h) ^ (unsigned char)s[i];
	return h;
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v & 0xff);
	p[1] = (unsigned char)(v >> 8 & 0xff);
	p[2] = (unsigned char)(v >> 16 & 0xff);
	p[3] = (unsigned char)(v >> 24 & 0xff);
}

/* n octets at off, all of them; -1 with errno set (EIO when short). */
static int
pread_all(int fd, void *buf, size_t n, uint64_t off)
{
	size_t o = 0;
	ssize_t r;

	while (o < n) {
		r = pread(fd, (char *)buf + o, n - o, (off_t)(off + o));
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = EIO;
			return -1;
		}
		o += (size_t)r;
	}
	return 0;
}

int
cdb_open(struct cdb *c, const char *path)
{
	struct stat st;
	uint64_t pos, len;
	int i, r, saved;

	if ((c->fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(c->fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		saved = S_ISREG(st.st_mode) ? errno : EINVAL;
		cdb_close(c);
		errno = saved;
		return -1;
	}
	c->size = (uint64_t)st.st_size;
	r = c->size < CDB_HEADER || c->size > UINT32_MAX ? 0 :
	    pread_all(c->fd, c->header, CDB_HEADER, 0) == 0;
	for (i = 0; i < 256 && r == 1; i++) {
		pos = get32(c->header + (size_t)i * 8);
		len = get32(c->header + (size_t)i * 8 + 4);
		if (pos < CDB_HEADER || pos + len * 8 > c->size)
			r = 0;
	}
	if (r == 0)
		cdb_close(c);
	return r;
}

int
cdb_find(const struct cdb *c, const char *k, char *data, size_t size)
{
	unsigned char b[8];
	char key[CDB_KEY_MAX + 1];
	size_t klen = strlen(k);
	uint32_t h = hash(k, klen), pos, len, slot, i, rpos, kl, dl;

	pos = get32(c->header + (size_t)(h & 255) * 8);
	len = get32(c->header + (size_t)(h & 255) * 8 + 4);
	if (len == 0)
		return 0;
	slot = (h >> 8) % len;
	for (i = 0; i < len; i++) {
		if (pread_all(c->fd, b, 8, (uint64_t)pos + (uint64_t)slot * 8)
		    == -1)
			return -1;
		rpos = get32(b + 4);
		if (rpos == 0)
			return 0;
		if (get32(b) == h) {
			if ((uint64_t)rpos + 8 > c->size ||
			    pread_all(c->fd, b, 8, rpos) == -1)
				return -1;
			kl = get32(b);
			dl = get32(b + 4);
			if ((uint64_t)rpos + 8 + kl + dl > c->size ||
			    kl > CDB_KEY_MAX || dl >= size)
				return -1;
			if (kl == klen && pread_all(c->fd, key, kl,
			    (uint64_t)rpos + 8) == 0 &&
			    memcmp(key, k, kl) == 0) {
				if (pread_all(c->fd, data, dl,
				    (uint64_t)rpos + 8 + kl) == -1)
					return -1;
				data[dl] = '\0';
				return 1;
			}
		}
		if (++slot == len)
			slot = 0;
	}
	return 0;
}

void
cdb_close(struct cdb *c)
{
	if (c->fd != -1)
		(void)close(c->fd);
	c->fd = -1;
}

int
cdb_make_start(struct cdb_make *m, FILE *f, size_t max)
{
	unsigned char header[CDB_HEADER];

	memset(m, 0, sizeof(*m));
	m->f = f;
	m->max = max;
	m->at = CDB_HEADER;
	/*
	 * a table holds 2 slots a record, and may hold them all; one at
	 * least, as calloc(0) may return NULL
	 */
	if ((m->slots = calloc(max + 1, sizeof(*m->slots))) == NULL ||
	    (m->table = calloc(max * 2 + 1, sizeof(*m->table))) == NULL)
		goto fail;
	/* the header's place, filled in by cdb_make_finish() */
	memset(header, 0, sizeof(header));
	if (fwrite(header, 1, sizeof(header), f) != sizeof(header))
		goto fail;
	return 0;
fail:
	free(m->slots);
	free(m->table);
	return -1;
}

/* One record at the end of the file, and its slot kept for the tables. */
int
cdb_make_add(struct cdb_make *m, const char *key, const char *data)
{
	unsigned char b[8];
	size_t kl = strlen(key), dl = strlen(data);

	if (m->failed)
		return -1;
	if (m->n == m->max) {
		m->failed = 1;
		errno = EINVAL;
		return -1;
	}
	put32(b, (uint32_t)kl);
	put32(b + 4, (uint32_t)dl);
	if (fwrite(b, 1, 8, m->f) != 8 || fwrite(key, 1, kl, m->f) != kl ||
	    fwrite(data, 1, dl, m->f) != dl) {
		m->failed = 1;
		return -1;
	}
	m->slots[m->n].hash = hash(key, kl);
	m->slots[m->n++].pos = m->at;
	m->at += (uint32_t)(8 + kl + dl);
	return 0;
}

static int
by_table(const void *a, const void *b)
{
	uint32_t x = ((const struct cdb_slot *)a)->hash & 255;
	uint32_t y = ((const struct cdb_slot *)b)->hash & 255;

	return x < y ? -1 : x > y;
}

/* The 256 hash tables after the records, then the header over its place. */
int
cdb_make_finish(struct cdb_make *m)
{
	unsigned char header[CDB_HEADER], b[8];
	struct cdb_slot *table = m->table;
	size_t count[256], start[256], len, i, j, k;
	uint32_t at = m->at;
	int ok = 0;

	if (m->failed)
		goto out;
	memset(header, 0, sizeof(header));
	memset(count, 0, sizeof(count));
	for (i = 0; i < m->n; i++)
		count[m->slots[i].hash & 255]++;
	for (i = 0, j = 0; i < 256; i++) {
		start[i] = j;
		j += count[i];
	}
	/* grouped by table: table i's records from slots[start[i]] */
	if (m->n > 0)
		qsort(m->slots, m->n, sizeof(*m->slots), by_table);
	for (i = 0; i < 256; i++) {
		len = count[i] * 2;
		put32(header + i * 8, at);
		put32(header + i * 8 + 4, (uint32_t)len);
		memset(table, 0, len * sizeof(*table));
		for (j = 0; j < count[i]; j++) {
			k = (m->slots[start[i] + j].hash >> 8) % len;
			while (table[k].pos != 0)
				k = k + 1 == len ? 0 : k + 1;
			table[k] = m->slots[start[i] + j];
		}
		for (k = 0; k < len; k++) {
			put32(b, table[k].hash);
			put32(b + 4, table[k].pos);
			if (fwrite(b, 1, 8, m->f) != 8)
				goto out;
		}
		at += (uint32_t)(len * 8);
	}
	ok = fseek(m->f, 0, SEEK_SET) == 0 &&
	    fwrite(header, 1, sizeof(header), m->f) == sizeof(header);
out:
	free(m->slots);
	free(m->table);
	return ok ? 0 : -1;
}
