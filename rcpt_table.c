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
 * an index of its keys sorted once, so each RCPT costs a binary search
 * (docs/performance.md: the table's cost).  An alias is resolved once:
 * a target that is itself an alias (to another address) is refused at
 * load, which refuses every loop too.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rcpt_table.h"
#include "util.h"

#define TABLE_MAX_OCTETS	(256UL * 1024 * 1024)

struct entry {
	const char	*key;
	const char	*target;	/* NULL: the key's own mailbox */
	unsigned long	 line;
};

struct rcpt_table {
	char		*text;
	struct entry	*entries;
	size_t		 n;
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

struct rcpt_table *
rcpt_table_load(const char *path, int *err, char *why, size_t size)
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

void
rcpt_table_free(struct rcpt_table *t)
{
	if (t == NULL)
		return;
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
	char key[ADDR_DOMAIN_MAX + 2];
	const struct entry *e;

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
