/* ISC license. */
/*
 * The recipient table (smtpd.8: RECIPIENT TABLE).  A plain text file,
 * one entry a line:
 *
 *	KEY [TARGET]
 *
 * KEY is local@domain, a bare local part (matched in every served
 * domain) or @domain (a catch-all); TARGET, when there, is the
 * local@domain whose mailbox receives the key's mail.  Blank lines and
 * lines whose first non-blank is '#' are comments.  Keys and targets
 * are folded to lower case, as %u and %d are.
 *
 * The whole file is read into one buffer, each line cut in place, and
 * an index of its keys sorted once, so each RCPT costs a binary search.
 * An alias is resolved once: a target that is itself an alias (to
 * another address) is refused at load, which refuses every loop too.
 *
 * Reading, checking and sorting cost every session time in proportion
 * to the table (docs/performance.md: the table's cost), so a big table
 * is compiled once, by smtpd -C FILE, into FILE.cdb: D. J. Bernstein's
 * constant database (https://cr.yp.to/cdb/cdb.txt).  Every check runs
 * at compile time, with the text's line numbers; a session only opens
 * the cdb, checks its header and its mark, and reads a few slots with
 * pread(2) at each RCPT.  A cdb that turns out short or inconsistent
 * at a lookup is a table that cannot be read: 451, never accept all.
 *
 * The cdb: 256 (position, length) pairs of 32-bit little-endian
 * numbers, then the records (key length, data length, key, data),
 * then 256 hash tables of (hash, record position) slots, 2 slots for
 * each record in them, probed linearly from (hash >> 8) % length.
 * The hash is h = ((h << 5) + h) ^ c from 5381.  A key's data is empty
 * for its own mailbox and the target for an alias; the empty key, never
 * a valid one, holds CDB_MARK.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rcpt_table.h"
#include "util.h"

#define TABLE_MAX_OCTETS	(256UL * 1024 * 1024)
#define CDB_HEADER		2048
#define CDB_MARK		"smtpd recipient table 1"
#define CDB_SUFFIX		".cdb"

struct entry {
	const char	*key;
	const char	*target;	/* NULL: the key's own mailbox */
	unsigned long	 line;
};

struct rcpt_table {
	char		*text;
	struct entry	*entries;
	size_t		 n;
	int		 fd;		/* a cdb's, else -1 */
	uint64_t	 size;		/* the cdb's octets */
	unsigned char	 header[CDB_HEADER];
};

/* One record of a cdb being written. */
struct slot {
	uint32_t	 hash;
	uint32_t	 pos;
};

static int	read_all(const char *, char **, size_t *);
static int	is_atext(char);
static int	is_local(const char *, size_t);
static int	is_domain(const char *, size_t);
static const char *check_key(const char *);
static const char *check_target(const char *);
static void	fold(char *);
static int	by_key(const void *, const void *);
static const struct entry *find(const struct rcpt_table *, const char *);
static const struct entry *find_exact(const struct rcpt_table *,
		    const char *, const char *);
static int	split(const char *, char *, char *);
static struct rcpt_table *load_text(const char *, int *, char *, size_t);
static struct rcpt_table *load_cdb(const char *, int *, char *, size_t);
static int	is_cdb(const char *);
static uint32_t	cdb_hash(const char *, size_t);
static uint32_t	get32(const unsigned char *);
static void	put32(unsigned char *, uint32_t);
static int	pread_all(int, void *, size_t, uint64_t);
static int	cdb_find(const struct rcpt_table *, const char *, char *,
		    size_t);
static int	find_cdb(const struct rcpt_table *, const char *,
		    const char *, char *, size_t);
static int	write_record(FILE *, const char *, const char *,
		    struct slot *, uint32_t *);
static int	by_table(const void *, const void *);
static int	write_cdb(FILE *, const struct rcpt_table *);

/* The whole file, NUL-terminated; -1 with errno set. */
static int
read_all(const char *path, char **text, size_t *len)
{
	struct stat st;
	size_t o = 0;
	ssize_t n;
	char *buf;
	int fd, saved;

	if ((fd = open(path, O_RDONLY)) == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    (unsigned long long)st.st_size > TABLE_MAX_OCTETS) {
		saved = S_ISREG(st.st_mode) ? EFBIG : EINVAL;
		(void)close(fd);
		errno = saved;
		return -1;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		(void)close(fd);
		errno = ENOMEM;
		return -1;
	}
	while (o < (size_t)st.st_size) {
		n = read(fd, buf + o, (size_t)st.st_size - o);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			saved = n == 0 ? EIO : errno;
			free(buf);
			(void)close(fd);
			errno = saved;
			return -1;
		}
		o += (size_t)n;
	}
	(void)close(fd);
	buf[o] = '\0';
	*text = buf;
	*len = o;
	return 0;
}

/* RFC 5322 3.2.3 atext. */
static int
is_atext(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~",
	    c) != NULL);
}

/* A dot-atom local part of 1 to 64 octets. */
static int
is_local(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > ADDR_LOCAL_MAX || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++)
		if (!(is_atext(s[i]) || (s[i] == '.' && s[i + 1] != '.')))
			return 0;
	return 1;
}

/* Letters, digits, '-' and dots between non-empty labels. */
static int
is_domain(const char *s, size_t n)
{
	size_t i;
	char c;

	if (n == 0 || n > ADDR_DOMAIN_MAX || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		c = s[i];
		if (c == '.' && s[i + 1] == '.')
			return 0;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.'))
			return 0;
	}
	return 1;
}

/* NULL when k is local@domain, local or @domain, else why not. */
static const char *
check_key(const char *k)
{
	const char *at = strchr(k, '@');

	if (at == NULL)
		return is_local(k, strlen(k)) ? NULL :
		    "not an address, a local part or @domain";
	if (strchr(at + 1, '@') != NULL || !is_domain(at + 1, strlen(at + 1)))
		return "not an address, a local part or @domain";
	if (at != k && !is_local(k, (size_t)(at - k)))
		return "not an address, a local part or @domain";
	if (strlen(k) > ADDR_MAILBOX_MAX)
		return "address longer than 254 octets";
	return NULL;
}

/* NULL when t is a whole local@domain, else why not. */
static const char *
check_target(const char *t)
{
	const char *at = strchr(t, '@');

	if (at == NULL || at == t || check_key(t) != NULL)
		return "the target must be an address, local@domain";
	return NULL;
}

static void
fold(char *s)
{
	for (; *s != '\0'; s++)
		*s = util_ascii_lower(*s);
}

static int
by_key(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->key,
	    ((const struct entry *)b)->key);
}

static const struct entry *
find(const struct rcpt_table *t, const char *key)
{
	struct entry k;

	if (t->n == 0)
		return NULL;
	memset(&k, 0, sizeof(k));
	k.key = key;
	return bsearch(&k, t->entries, t->n, sizeof(*t->entries), by_key);
}

/* local@domain, then the bare local part: never the catch-all. */
static const struct entry *
find_exact(const struct rcpt_table *t, const char *local,
    const char *domain)
{
	char key[ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX + 2];
	const struct entry *e;

	snprintf(key, sizeof(key), "%s@%s", local, domain);
	if ((e = find(t, key)) != NULL)
		return e;
	return find(t, local);
}

/* A checked target into its parts; -1 if it does not fit. */
static int
split(const char *target, char *local, char *domain)
{
	const char *at = strchr(target, '@');
	size_t n;

	if (at == NULL)
		return -1;
	n = (size_t)(at - target);
	if (n > ADDR_LOCAL_MAX ||
	    strlen(at + 1) > ADDR_DOMAIN_MAX)
		return -1;
	memcpy(local, target, n);
	local[n] = '\0';
	memcpy(domain, at + 1, strlen(at + 1) + 1);
	return 0;
}

/* The text form, checked whole. */
static struct rcpt_table *
load_text(const char *path, int *err, char *why, size_t size)
{
	struct rcpt_table *t;
	char *p, *eol, *f[3], local[ADDR_LOCAL_MAX + 1];
	char domain[ADDR_DOMAIN_MAX + 1];
	const struct entry *e;
	const char *bad = NULL;
	unsigned long line = 0, bad_line = 0;
	size_t len, cap = 0, i, nf;

	*err = 0;
	why[0] = '\0';
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		*err = ENOMEM;
		return NULL;
	}
	t->fd = -1;
	if (read_all(path, &t->text, &len) == -1) {
		*err = errno;
		free(t);
		return NULL;
	}
	for (p = t->text; p < t->text + len && bad == NULL; p = eol + 1) {
		line++;
		if ((eol = memchr(p, '\n', len - (size_t)(p - t->text))) ==
		    NULL)
			eol = t->text + len;
		*eol = '\0';
		if (strchr(p, '\r') != NULL)
			*strchr(p, '\r') = ' ';	/* a file from DOS */
		for (nf = 0; nf < 3; nf++) {
			p += strspn(p, " \t");
			if (*p == '\0' || (nf == 0 && *p == '#'))
				break;
			f[nf] = p;
			p += strcspn(p, " \t");
			if (*p != '\0')
				*p++ = '\0';
		}
		if (nf == 0)
			continue;
		if (nf == 3)
			bad = "more than a key and a target";
		else if ((bad = check_key(f[0])) == NULL && nf == 2)
			bad = check_target(f[1]);
		if (bad != NULL)
			break;
		if (t->n == cap) {
			struct entry *grown;

			cap = cap == 0 ? 64 : cap * 2;
			if ((grown = realloc(t->entries, cap *
			    sizeof(*grown))) == NULL) {
				*err = ENOMEM;
				rcpt_table_free(t);
				return NULL;
			}
			t->entries = grown;
		}
		fold(f[0]);
		if (nf == 2)
			fold(f[1]);
		t->entries[t->n].key = f[0];
		t->entries[t->n].target = nf == 2 ? f[1] : NULL;
		t->entries[t->n++].line = line;
	}
	if (bad == NULL) {
		if (t->n > 0)
			qsort(t->entries, t->n, sizeof(*t->entries), by_key);
		for (i = 1; i < t->n && bad == NULL; i++)
			if (strcmp(t->entries[i - 1].key, t->entries[i].key) ==
			    0) {
				bad = "listed twice";
				line = t->entries[i - 1].line >
				    t->entries[i].line ?
				    t->entries[i - 1].line : t->entries[i].line;
			}
		/* no chains, hence no loops: a target is not an alias
		 * to another address */
		for (i = 0; i < t->n && bad == NULL; i++) {
			if (t->entries[i].target == NULL ||
			    split(t->entries[i].target, local, domain) == -1)
				continue;
			e = find_exact(t, local, domain);
			if (e != NULL && e->target != NULL &&
			    strcmp(e->target, t->entries[i].target) != 0) {
				bad = "the target is itself an alias: name "
				    "its final address (no chains)";
				line = t->entries[i].line;
				bad_line = e->line;
			}
		}
	}
	if (bad != NULL) {
		if (bad_line != 0)
			snprintf(why, size, "%s:%lu: %s (line %lu)", path,
			    line, bad, bad_line);
		else
			snprintf(why, size, "%s:%lu: %s", path, line, bad);
		rcpt_table_free(t);
		return NULL;
	}
	return t;
}

static int
is_cdb(const char *path)
{
	size_t n = strlen(path), m = strlen(CDB_SUFFIX);

	return n > m && strcmp(path + n - m, CDB_SUFFIX) == 0;
}

static uint32_t
cdb_hash(const char *s, size_t n)
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

/*
 * Key k's data into data[size] (NUL-terminated): 1 found, 0 not there,
 * -1 when the cdb cannot be read or is inconsistent.
 */
static int
cdb_find(const struct rcpt_table *t, const char *k, char *data,
    size_t size)
{
	unsigned char b[8];
	char key[ADDR_MAILBOX_MAX + 1];
	size_t klen = strlen(k);
	uint32_t h = cdb_hash(k, klen), pos, len, slot, i, rpos, kl, dl;

	pos = get32(t->header + (size_t)(h & 255) * 8);
	len = get32(t->header + (size_t)(h & 255) * 8 + 4);
	if (len == 0)
		return 0;
	slot = (h >> 8) % len;
	for (i = 0; i < len; i++) {
		if (pread_all(t->fd, b, 8, (uint64_t)pos + (uint64_t)slot * 8)
		    == -1)
			return -1;
		rpos = get32(b + 4);
		if (rpos == 0)
			return 0;
		if (get32(b) == h) {
			if ((uint64_t)rpos + 8 > t->size ||
			    pread_all(t->fd, b, 8, rpos) == -1)
				return -1;
			kl = get32(b);
			dl = get32(b + 4);
			if ((uint64_t)rpos + 8 + kl + dl > t->size ||
			    kl > ADDR_MAILBOX_MAX || dl >= size)
				return -1;
			if (kl == klen && pread_all(t->fd, key, kl,
			    (uint64_t)rpos + 8) == 0 &&
			    memcmp(key, k, kl) == 0) {
				if (pread_all(t->fd, data, dl,
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

/* As find_exact, in a cdb; as cdb_find for what it returns. */
static int
find_cdb(const struct rcpt_table *t, const char *local, const char *domain,
    char *data, size_t size)
{
	char key[ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX + 2];
	int r;

	snprintf(key, sizeof(key), "%s@%s", local, domain);
	if ((r = cdb_find(t, key, data, size)) != 0)
		return r;
	return cdb_find(t, local, data, size);
}

/*
 * The compiled form: open, check that the 256 tables lie inside the
 * file and that it carries the mark.  Kept open for the session
 * (close-on-exec, so no pipe program inherits it).
 */
static struct rcpt_table *
load_cdb(const char *path, int *err, char *why, size_t size)
{
	struct rcpt_table *t;
	struct stat st;
	char mark[sizeof(CDB_MARK) + 1];
	uint64_t pos, len;
	int i, r;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		*err = ENOMEM;
		return NULL;
	}
	if ((t->fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		*err = errno;
		free(t);
		return NULL;
	}
	if (fstat(t->fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		*err = S_ISREG(st.st_mode) ? errno : EINVAL;
		rcpt_table_free(t);
		return NULL;
	}
	t->size = (uint64_t)st.st_size;
	r = t->size < CDB_HEADER || t->size > UINT32_MAX ? 0 :
	    pread_all(t->fd, t->header, CDB_HEADER, 0) == 0 ? 1 : -1;
	for (i = 0; i < 256 && r == 1; i++) {
		pos = get32(t->header + (size_t)i * 8);
		len = get32(t->header + (size_t)i * 8 + 4);
		if (pos < CDB_HEADER || pos + len * 8 > t->size)
			r = 0;
	}
	errno = 0;
	if (r == 1)
		r = cdb_find(t, "", mark, sizeof(mark));
	if (r == -1 && errno == 0)
		r = 0;	/* inconsistent rather than unreadable */
	if (r == -1) {
		*err = errno;
		rcpt_table_free(t);
		return NULL;
	}
	if (r == 0 || strcmp(mark, CDB_MARK) != 0) {
		snprintf(why, size, "%s: not a table made by smtpd -C", path);
		rcpt_table_free(t);
		return NULL;
	}
	return t;
}

struct rcpt_table *
rcpt_table_load(const char *path, int *err, char *why, size_t size)
{
	*err = 0;
	why[0] = '\0';
	return is_cdb(path) ? load_cdb(path, err, why, size) :
	    load_text(path, err, why, size);
}

/* One record at the end of f; its slot into s, *at moved past it. */
static int
write_record(FILE *f, const char *key, const char *data, struct slot *s,
    uint32_t *at)
{
	unsigned char b[8];
	size_t kl = strlen(key), dl = strlen(data);

	put32(b, (uint32_t)kl);
	put32(b + 4, (uint32_t)dl);
	if (fwrite(b, 1, 8, f) != 8 || fwrite(key, 1, kl, f) != kl ||
	    fwrite(data, 1, dl, f) != dl)
		return -1;
	s->hash = cdb_hash(key, kl);
	s->pos = *at;
	*at += (uint32_t)(8 + kl + dl);
	return 0;
}

static int
by_table(const void *a, const void *b)
{
	uint32_t x = ((const struct slot *)a)->hash & 255;
	uint32_t y = ((const struct slot *)b)->hash & 255;

	return x < y ? -1 : x > y;
}

/* The whole cdb of a checked table into f, from its start. */
static int
write_cdb(FILE *f, const struct rcpt_table *t)
{
	unsigned char header[CDB_HEADER], b[8];
	struct slot *slots, *table = NULL;
	size_t n = t->n + 1, i, count[256], start[256], len, j, k;
	uint32_t at = CDB_HEADER;
	int ok = 0;

	if ((slots = calloc(n, sizeof(*slots))) == NULL ||
	    (table = calloc(n * 2, sizeof(*table))) == NULL)
		goto out;
	memset(header, 0, sizeof(header));
	if (fwrite(header, 1, sizeof(header), f) != sizeof(header) ||
	    write_record(f, "", CDB_MARK, &slots[0], &at) == -1)
		goto out;
	for (i = 0; i < t->n; i++)
		if (write_record(f, t->entries[i].key, t->entries[i].target ==
		    NULL ? "" : t->entries[i].target, &slots[i + 1], &at) == -1)
			goto out;
	memset(count, 0, sizeof(count));
	for (i = 0; i < n; i++)
		count[slots[i].hash & 255]++;
	for (i = 0, j = 0; i < 256; i++) {
		start[i] = j;
		j += count[i];
	}
	/* grouped by table: table i's records from slots[start[i]] */
	qsort(slots, n, sizeof(*slots), by_table);
	for (i = 0; i < 256; i++) {
		len = count[i] * 2;
		put32(header + i * 8, at);
		put32(header + i * 8 + 4, (uint32_t)len);
		memset(table, 0, len * sizeof(*table));
		for (j = 0; j < count[i]; j++) {
			k = (slots[start[i] + j].hash >> 8) % len;
			while (table[k].pos != 0)
				k = k + 1 == len ? 0 : k + 1;
			table[k] = slots[start[i] + j];
		}
		for (k = 0; k < len; k++) {
			put32(b, table[k].hash);
			put32(b + 4, table[k].pos);
			if (fwrite(b, 1, 8, f) != 8)
				goto out;
		}
		at += (uint32_t)(len * 8);
	}
	ok = fseek(f, 0, SEEK_SET) == 0 &&
	    fwrite(header, 1, sizeof(header), f) == sizeof(header);
out:
	free(slots);
	free(table);
	return ok ? 0 : -1;
}

/*
 * smtpd -C: the text table at path, checked as a session checks it,
 * into path.cdb, written beside it under a temporary name and renamed
 * over it, so a session opens the old table or the new one, whole.
 */
int
rcpt_table_compile(const char *path, int *err, char *why, size_t size)
{
	struct rcpt_table *t;
	char out[4096], tmp[4096 + 32];
	FILE *f;
	int fd, saved;

	if ((t = load_text(path, err, why, size)) == NULL)
		return -1;
	if (snprintf(out, sizeof(out), "%s%s", path, CDB_SUFFIX) >=
	    (int)sizeof(out) || snprintf(tmp, sizeof(tmp), "%s.%ld.tmp",
	    out, (long)getpid()) >= (int)sizeof(tmp)) {
		rcpt_table_free(t);
		*err = ENAMETOOLONG;
		return -1;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644))
	    == -1 || (f = fdopen(fd, "w")) == NULL) {
		*err = errno;
		if (fd != -1) {
			(void)close(fd);
			(void)unlink(tmp);
		}
		rcpt_table_free(t);
		return -1;
	}
	if (write_cdb(f, t) == -1 || fflush(f) == EOF || fsync(fd) == -1) {
		saved = errno != 0 ? errno : EIO;
		(void)fclose(f);
		(void)unlink(tmp);
		rcpt_table_free(t);
		*err = saved;
		return -1;
	}
	rcpt_table_free(t);
	if (fclose(f) == EOF || rename(tmp, out) == -1) {
		*err = errno;
		(void)unlink(tmp);
		return -1;
	}
	return 0;
}

void
rcpt_table_free(struct rcpt_table *t)
{
	if (t == NULL)
		return;
	if (t->fd != -1)
		(void)close(t->fd);
	free(t->entries);
	free(t->text);
	free(t);
}

size_t
rcpt_table_size(const struct rcpt_table *t)
{
	return t->n;
}

/*
 * local@domain first, then the bare local part, then @domain.  The
 * caller has folded both to lower case.
 */
enum rcpt_found
rcpt_table_find(const struct rcpt_table *t, const char *local,
    const char *domain, char to_local[ADDR_LOCAL_MAX + 1],
    char to_domain[ADDR_DOMAIN_MAX + 1])
{
	char key[ADDR_DOMAIN_MAX + 2], data[ADDR_MAILBOX_MAX + 1];
	const struct entry *e;
	int r;

	if (t->fd != -1) {
		if ((r = find_cdb(t, local, domain, data, sizeof(data))) ==
		    0) {
			snprintf(key, sizeof(key), "@%s", domain);
			r = cdb_find(t, key, data, sizeof(data));
		}
		if (r == -1)
			return RCPT_FAILED;
		if (r == 0)
			return RCPT_UNKNOWN;
		if (data[0] == '\0' || split(data, to_local, to_domain) == -1)
			return RCPT_KNOWN;
		return RCPT_ALIAS;
	}
	if ((e = find_exact(t, local, domain)) == NULL) {
		snprintf(key, sizeof(key), "@%s", domain);
		e = find(t, key);
	}
	if (e == NULL)
		return RCPT_UNKNOWN;
	if (e->target == NULL || split(e->target, to_local, to_domain) == -1)
		return RCPT_KNOWN;
	return RCPT_ALIAS;
}
