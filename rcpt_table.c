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
 * constant database (cdb.c).  Every check runs at compile time, with
 * the text's line numbers; a session only opens the cdb, checks its
 * header and its mark, and reads a few slots with pread(2) at each
 * RCPT.  A cdb that turns out short or inconsistent at a lookup is a
 * table that cannot be read: 451, never accept all.
 *
 * In the cdb a key's data is empty for its own mailbox and the target
 * for an alias; the empty key, never a valid one, holds TABLE_MARK.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cdb.h"
#include "rcpt_table.h"
#include "util.h"

#define TABLE_MAX_OCTETS	(256UL * 1024 * 1024)
#define TABLE_MARK		"smtpd recipient table 1"
#define TABLE_CDB_SUFFIX	".cdb"

/* every key of a table must fit cdb_find()'s key buffer */
#if ADDR_MAILBOX_MAX > CDB_KEY_MAX
#error "CDB_KEY_MAX is shorter than an address"
#endif

struct entry {
	const char	*key;
	const char	*target;	/* NULL: the key's own mailbox */
	unsigned long	 line;
};

struct rcpt_table {
	char		*text;
	struct entry	*entries;
	size_t		 n;
	struct cdb	 cdb;		/* the compiled form's; fd -1 for text */
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
static int	find_cdb(const struct rcpt_table *, const char *,
		    const char *, char *, size_t);
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
	t->cdb.fd = -1;
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
	size_t n = strlen(path), m = strlen(TABLE_CDB_SUFFIX);

	return n > m && strcmp(path + n - m, TABLE_CDB_SUFFIX) == 0;
}

/* As find_exact, in a cdb; as cdb_find for what it returns. */
static int
find_cdb(const struct rcpt_table *t, const char *local, const char *domain,
    char *data, size_t size)
{
	char key[ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX + 2];
	int r;

	snprintf(key, sizeof(key), "%s@%s", local, domain);
	if ((r = cdb_find(&t->cdb, key, data, size)) != 0)
		return r;
	return cdb_find(&t->cdb, local, data, size);
}

/*
 * The compiled form: a sound cdb (cdb_open()) that carries the mark.
 * Kept open for the session (close-on-exec, so no pipe program
 * inherits it).
 */
static struct rcpt_table *
load_cdb(const char *path, int *err, char *why, size_t size)
{
	struct rcpt_table *t;
	char mark[sizeof(TABLE_MARK) + 1];
	int r;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		*err = ENOMEM;
		return NULL;
	}
	if ((r = cdb_open(&t->cdb, path)) == -1) {
		*err = errno;
		free(t);
		return NULL;
	}
	errno = 0;
	if (r == 1)
		r = cdb_find(&t->cdb, "", mark, sizeof(mark));
	if (r == -1 && errno == 0)
		r = 0;	/* inconsistent rather than unreadable */
	if (r == -1) {
		*err = errno;
		rcpt_table_free(t);
		return NULL;
	}
	if (r == 0 || strcmp(mark, TABLE_MARK) != 0) {
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

/* The whole cdb of a checked table into f: the mark, then each entry. */
static int
write_cdb(FILE *f, const struct rcpt_table *t)
{
	struct cdb_make m;
	size_t i;
	int r;

	if (cdb_make_start(&m, f, t->n + 1) == -1)
		return -1;
	r = cdb_make_add(&m, "", TABLE_MARK);
	for (i = 0; i < t->n && r == 0; i++)
		r = cdb_make_add(&m, t->entries[i].key,
		    t->entries[i].target == NULL ? "" : t->entries[i].target);
	return cdb_make_finish(&m);
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
	if (snprintf(out, sizeof(out), "%s%s", path, TABLE_CDB_SUFFIX) >=
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
	cdb_close(&t->cdb);
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

	if (t->cdb.fd != -1) {
		if ((r = find_cdb(t, local, domain, data, sizeof(data))) ==
		    0) {
			snprintf(key, sizeof(key), "@%s", domain);
			r = cdb_find(&t->cdb, key, data, sizeof(data));
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
