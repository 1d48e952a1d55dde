/* ISC license. */
/*
 * What the configured store allows, checked before anything is
 * delivered: the templates at start, the sender and each recipient at
 * MAIL and RCPT (a name that would make a path outside the store, an
 * option of a program, or a lock file's name is refused there, not at
 * the end of DATA), whether the store can be written at all (for the
 * learner, before the greeting), and where a recipient's copy goes.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deliver.h"
#include "method.h"
#include "template.h"
#include "util.h"

static int	can_write_dir(const char *, int);
static int	path_uses(const struct config *, char);
static int	args_use(const struct config *, char);
static int	makes_option(const struct config *, char, const char *);

/*
 * The method's own rules for its destination first (mbox: not a lock's
 * name; pipe: an absolute path, no %), then the templates.
 */
const char *
deliver_check_config(const struct config *cfg)
{
	const struct method *m = method_for(cfg);
	const char *why;
	int i;

	if (m->check_config != NULL &&
	    (why = m->check_config(cfg->method_argv[0])) != NULL)
		return why;
	if (cfg->method_argc >= METHOD_ARGS_MAX)
		return "too many pipe arguments";
	for (i = 0; i < cfg->method_argc; i++)
		if ((why = template_check(cfg->method_argv[i],
		    i == 0 ? "ud%" : "udsr%")) != NULL)
			return why;
	return NULL;
}

/*
 * 0 when files can be made in directory dir by this process's user, else
 * why not (an errno).  With make_missing (a Maildir, which is created),
 * a missing dir is judged by the nearest directory above it that exists.
 */
static int
can_write_dir(const char *dir, int make_missing)
{
	char d[METHOD_DEST_MAX];
	char *slash;

	if (util_strlcpy(d, *dir != '\0' ? dir : ".", sizeof(d)) == -1)
		return ENAMETOOLONG;
	for (;;) {
		if (faccessat(AT_FDCWD, d, W_OK | X_OK, AT_EACCESS) == 0)
			return 0;
		if (errno != ENOENT || !make_missing)
			return errno;
		if ((slash = strrchr(d, '/')) == NULL)
			util_strlcpy(d, ".", sizeof(d));
		else if (slash == d)
			d[1] = '\0';
		else
			*slash = '\0';
	}
}

/*
 * Before a terminal session: whether the store can be written, as far
 * as can be told without a recipient.  A fixed mbox must be readable
 * and writable, or made in its directory; a Maildir's tmp/ and new/
 * written, or made; a template's fixed directory part (mail/ in
 * mail/%u@%d) written.  0, or the errno, with the path it is about in
 * path.  A program is not checked: it runs as it can.
 */
int
deliver_check_store(const struct config *cfg, char *path, size_t size)
{
	const char *dest = cfg->method_argv[0], *pct = strchr(dest, '%');
	char sub[METHOD_DEST_MAX];
	size_t fixed = pct != NULL ? (size_t)(pct - dest) : strlen(dest);
	int maildir = cfg->method == METHOD_MAILDIR, err, i;
	static const char *const parts[] = { "tmp", "new" };

	if (cfg->method == METHOD_PIPE)
		return 0;
	while (pct != NULL && fixed > 0 && dest[fixed - 1] != '/')
		fixed--;
	if (pct != NULL || !maildir) {
		/* the directory a mailbox is made in */
		while (pct == NULL && fixed > 0 && dest[fixed - 1] != '/')
			fixed--;
		if (pct == NULL && faccessat(AT_FDCWD, dest, R_OK | W_OK,
		    AT_EACCESS) == 0)
			return 0;
		if (pct == NULL && errno != ENOENT) {
			err = errno;
			util_strlcpy(path, dest, size);
			return err;
		}
		snprintf(sub, sizeof(sub), "%.*s", (int)(fixed > 1 ?
		    fixed - 1 : fixed), fixed > 0 ? dest : ".");
		util_strlcpy(path, sub, size);
		return can_write_dir(sub, maildir);
	}
	for (i = 0; i < 2; i++) {
		snprintf(sub, sizeof(sub), "%s/%s", dest, parts[i]);
		util_strlcpy(path, sub, size);
		if ((err = can_write_dir(sub, 0)) == ENOENT) {
			/* made at delivery, in dest */
			util_strlcpy(path, dest, size);
			err = can_write_dir(dest, 1);
		}
		if (err != 0)
			return err;
	}
	return 0;
}

/* Whether the destination (a path, where names must be safe) uses %c. */
static int
path_uses(const struct config *cfg, char c)
{
	return template_mentions(cfg->method_argv, cfg->method_argc, 0, 1, c);
}

/* Whether a program's arguments use %c. */
static int
args_use(const struct config *cfg, char c)
{
	return template_mentions(cfg->method_argv, cfg->method_argc, 1,
	    cfg->method_argc, c);
}

/*
 * An argument that begins with '-' is an option to most programs
 * (sendmail -X FILE writes a log wherever it is told), so an address
 * that would expand to one is refused when it is given.
 */
static int
makes_option(const struct config *cfg, char c, const char *value)
{
	return *value == '-' && args_use(cfg, c);
}

enum reply_id
deliver_check_sender(const struct config *cfg, const struct addr *s)
{
	return makes_option(cfg, 's', s->mailbox) ? R_DASH_SENDER : R_NONE;
}

/*
 * Checked at RCPT, so a bad recipient is refused there and not after
 * the data: an argument that would look like an option (550 5.1.3), a
 * name that would be unsafe in a path (550 5.1.3, 5.1.2), a name the
 * method keeps for itself, and a mailbox that exists but is not one (a
 * symlink, a directory where a file belongs: 550 5.2.0).  R_NONE when
 * the recipient is fine.
 */
enum reply_id
deliver_check_rcpt(const struct config *cfg, const struct addr *r)
{
	const struct method *m = method_for(cfg);
	struct template_names n;
	struct stat st;
	char path[METHOD_DEST_MAX];

	template_names(r, cfg->hostname, &n);
	if (makes_option(cfg, 'r', r->mailbox) ||
	    makes_option(cfg, 'u', n.local))
		return R_DASH_RCPT;
	if (m->check_rcpt == NULL)
		return R_NONE;		/* a program: names are argv data */
	if (path_uses(cfg, 'u') && !template_is_safe(n.local))
		return R_BAD_LOCAL_PART;
	if (path_uses(cfg, 'd') && !template_is_safe(n.domain))
		return R_BAD_DOMAIN_PART;
	if (template_expand(path, sizeof(path), cfg->method_argv[0], &n, NULL,
	    NULL) >= sizeof(path))
		return R_MAILBOX_BAD;
	/* such as another mailbox's dot-lock: never a mailbox */
	if (m->is_reserved != NULL && m->is_reserved(path))
		return path_uses(cfg, 'd') && m->is_reserved(n.domain) ?
		    R_BAD_DOMAIN_PART : R_BAD_LOCAL_PART;
	/* -M: only a mailbox that is there; nothing is made for others */
	if (cfg->existing_only && lstat(path, &st) == -1)
		return errno == ENOENT || errno == ENOTDIR ? R_UNKNOWN_USER :
		    R_LOCAL_ERROR;
	return m->check_rcpt(path);
}

/*
 * The recipient's own names, as the table keeps its keys: %u's and
 * %d's folding, <postmaster> in the -n domain.
 */
void
deliver_names(const struct config *cfg, const struct addr *r,
    char local[ADDR_LOCAL_MAX + 1], char domain[ADDR_DOMAIN_MAX + 1])
{
	struct template_names n;
	struct addr plain = *r;

	plain.to_local[0] = '\0';
	template_names(&plain, cfg->hostname, &n);
	memcpy(local, n.local, sizeof(n.local));
	memcpy(domain, n.domain, sizeof(n.domain));
}

/*
 * Where rcpt's copy goes: its mbox or Maildir path, expanded, or the
 * pipe program.  -1 when that does not fit in buf.
 */
int
deliver_destination(const struct config *cfg, const struct addr *rcpt,
    char *buf, size_t size)
{
	struct template_names n;

	template_names(rcpt, cfg->hostname, &n);
	return template_expand(buf, size, cfg->method_argv[0], &n, NULL, NULL) <
	    size ? 0 : -1;
}

/*
 * Whether a pipelined SMTP transaction takes one recipient only: when
 * a copy cannot be taken back, all or nothing cannot hold for two
 * (LMTP answers each recipient on its own).
 */
int
deliver_one_rcpt(const struct config *cfg)
{
	return method_for(cfg)->one_rcpt && !cfg->lmtp;
}
