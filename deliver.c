/* ISC license. */
/*
 * Hands an accepted message to the configured delivery method: expands
 * the destination for each recipient (%u, %d, %s, %r, %%), writes one
 * copy per distinct destination, and decides each recipient's outcome.
 *
 * In SMTP one reply covers every recipient, so delivery is all or
 * nothing: every mailbox is written and fsynced while its lock is
 * held, and if any fails, those already written are taken back before
 * the reply.  Mailboxes are locked in the order of their paths, so two
 * smtpd processes with overlapping recipients cannot deadlock.  In
 * LMTP each recipient has a reply of its own (RFC 2033 4.2), so each
 * destination is delivered on its own and nothing is taken back.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "deliver.h"
#include "deliver_maildir.h"
#include "deliver_mbox.h"
#include "deliver_pipe.h"
#include "log.h"
#include "util.h"

#define DEST_MAX	4096	/* octets of an expanded path or argument */
#define PIPE_ARGS_MAX	64	/* of the pipe program, itself included */

/* What %u and %d expand to for one recipient. */
struct rcpt_names {
	char	 local[ADDR_LOCAL_MAX + 1];
	char	 domain[ADDR_DOMAIN_MAX + 1];
};

/* One distinct destination and the state of its copy. */
struct dest {
	char			*path;		/* expanded mbox or Maildir */
	size_t			 first;		/* its first recipient */
	int			 written;	/* a copy is held in tx */
	struct deliver_result	 result;
	union {
		struct mbox_tx		 mbox;
		struct maildir_tx	 maildir;
	} tx;
};

static void	names_of(const struct addr *, const char *,
		    struct rcpt_names *);
static int	is_safe_component(const char *);
static int	expand(char *, size_t, const char *, const struct rcpt_names *,
		    const struct addr *, const struct addr *);
static const char *check_template(const char *, const char *);
static int	uses(const struct config *, char);
static int	makes_option(const struct config *, char, const char *);
static void	qualify(const struct addr *, const char *, struct addr *);
static int	by_path(const void *, const void *);
static struct deliver_result write_copy(const struct config *,
		    const struct envelope *, struct spool *, struct dest *);
static void	undo_copy(const struct config *, const struct envelope *,
		    struct dest *);
static void	release_copy(const struct config *, struct dest *);
static size_t	find_dests(const struct config *, const struct envelope *,
		    struct dest *, size_t *);
static void	deliver_files(const struct config *,
		    const struct envelope *, struct spool *,
		    struct deliver_result *);
static void	deliver_pipes(const struct config *,
		    const struct envelope *, struct spool *,
		    struct deliver_result *);
static struct deliver_result run_pipe(const struct config *,
		    const struct envelope *, const struct addr *,
		    struct spool *);
static struct deliver_result worst_of(const struct deliver_result *,
		    const struct deliver_result *);

/*
 * %u: the local part unquoted, %d: the domain, both with ASCII letters
 * in lower case (smtpd.8: Mailbox names).  <postmaster> without a domain
 * gets the -n name as its domain.
 */
static void
names_of(const struct addr *a, const char *hostname, struct rcpt_names *n)
{
	const char *d = a->postmaster && *addr_domain(a) == '\0' ?
	    hostname : addr_domain(a);
	size_t i;

	addr_local_folded(a, n->local);
	for (i = 0; i < ADDR_DOMAIN_MAX && d[i] != '\0'; i++)
		n->domain[i] = util_ascii_lower(d[i]);
	n->domain[i] = '\0';
}

/*
 * Whether a name can stand as one component of a path without leaving
 * the mailbox directory or surprising a filesystem or a shell script
 * that lists it: not empty, no '/', no leading '.', no "..", no
 * control characters.
 */
static int
is_safe_component(const char *s)
{
	const unsigned char *p;

	if (*s == '\0' || *s == '.' || strstr(s, "..") != NULL)
		return 0;
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p == '/' || *p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

/*
 * Expand template into dst.  %s and %r (sender, recipient as given)
 * are only offered when sender is not NULL, that is in pipe arguments;
 * check_template() has refused the rest.  -1 when it does not fit.
 */
static int
expand(char *dst, size_t size, const char *template,
    const struct rcpt_names *n, const struct addr *sender,
    const struct addr *rcpt)
{
	const char *p, *add;
	char one[2] = { 0, 0 };
	size_t o = 0, len;

	for (p = template; *p != '\0'; p++) {
		if (*p != '%') {
			one[0] = *p;
			add = one;
		} else switch (*++p) {
		case 'u':
			add = n->local;
			break;
		case 'd':
			add = n->domain;
			break;
		case 's':	/* only NULL where check_template() */
			add = sender != NULL ? sender->mailbox : "";
			break;	/* has refused %s and %r */
		case 'r':
			add = rcpt != NULL ? rcpt->mailbox : "";
			break;
		default:	/* '%' */
			add = "%";
			break;
		}
		len = strlen(add);
		if (len >= size - o)
			return -1;
		memcpy(dst + o, add, len);
		o += len;
	}
	dst[o] = '\0';
	return 0;
}

/* NULL when every % in template is one of allowed, else why not. */
static const char *
check_template(const char *template, const char *allowed)
{
	const char *p;

	for (p = template; *p != '\0'; p++) {
		if (*p != '%')
			continue;
		p++;
		if (*p == '\0' || strchr(allowed, *p) == NULL)
			return *p == 's' || *p == 'r' ?
			    "%s and %r are only for pipe arguments" :
			    "unknown % sequence: use %u, %d, %s, %r or %%";
	}
	return NULL;
}

const char *
deliver_check_config(const struct config *cfg)
{
	const char *why;
	int i;

	if (cfg->method == METHOD_MBOX &&
	    deliver_mbox_is_lock_name(cfg->method_argv[0]))
		return "an mbox path may not end in .lock, the name of a lock file";
	if (cfg->method != METHOD_PIPE)
		return check_template(cfg->method_argv[0], "ud%");
	if (cfg->method_argv[0][0] != '/')
		return "the pipe program needs an absolute path";
	if (strchr(cfg->method_argv[0], '%') != NULL)
		return "the pipe program is a fixed path: no % in it";
	if (cfg->method_argc >= PIPE_ARGS_MAX)
		return "too many pipe arguments";
	for (i = 1; i < cfg->method_argc; i++)
		if ((why = check_template(cfg->method_argv[i], "udsr%")) != NULL)
			return why;
	return NULL;
}

/*
 * Whether the templates mention %c: the mbox or Maildir path, or the
 * pipe program's arguments.
 */
static int
uses(const struct config *cfg, char c)
{
	const char *p;
	int i = cfg->method == METHOD_PIPE ? 1 : 0;

	for (; i < cfg->method_argc && (i == 0 || cfg->method == METHOD_PIPE);
	    i++)
		for (p = cfg->method_argv[i]; (p = strchr(p, '%')) != NULL;
		    p += 2)
			if (p[1] == c)
				return 1;
	return 0;
}

/*
 * An argument that begins with '-' is an option to most programs
 * (sendmail -X FILE writes a log wherever it is told), so an address
 * that would expand to one is refused when it is given.
 */
static int
makes_option(const struct config *cfg, char c, const char *value)
{
	return cfg->method == METHOD_PIPE && *value == '-' && uses(cfg, c);
}

enum reply_id
deliver_check_sender(const struct config *cfg, const struct addr *s)
{
	return makes_option(cfg, 's', s->mailbox) ? R_DASH_SENDER : R_NONE;
}

/*
 * Checked at RCPT, so a bad recipient is refused there and not after
 * the data: a name that would be unsafe in a path (550 5.1.3), and a
 * mailbox that exists but is not one (a symlink, a directory where a
 * file belongs: 550 5.2.0).  R_NONE when the recipient is fine.
 */
enum reply_id
deliver_check_rcpt(const struct config *cfg, const struct addr *r)
{
	struct rcpt_names n;
	struct stat st;
	char path[DEST_MAX];

	names_of(r, cfg->hostname, &n);
	if (makes_option(cfg, 'r', r->mailbox) ||
	    makes_option(cfg, 'u', n.local))
		return R_DASH_RCPT;
	if (cfg->method == METHOD_PIPE)
		return R_NONE;		/* names are argv data, not paths */
	if (uses(cfg, 'u') && !is_safe_component(n.local))
		return R_BAD_LOCAL_PART;
	if (uses(cfg, 'd') && !is_safe_component(n.domain))
		return R_BAD_DOMAIN_PART;
	if (expand(path, sizeof(path), cfg->method_argv[0], &n, NULL,
	    NULL) == -1)
		return R_MAILBOX_BAD;
	/* another mailbox's dot-lock: never a mailbox (deliver_mbox.c) */
	if (cfg->method == METHOD_MBOX && deliver_mbox_is_lock_name(path))
		return uses(cfg, 'd') && deliver_mbox_is_lock_name(n.domain) ?
		    R_BAD_DOMAIN_PART : R_BAD_LOCAL_PART;
	if (lstat(path, &st) == -1)
		return R_NONE;		/* created at delivery */
	if (cfg->method == METHOD_MBOX && !S_ISREG(st.st_mode))
		return R_MAILBOX_BAD;
	if (cfg->method == METHOD_MAILDIR && !S_ISDIR(st.st_mode))
		return R_MAILBOX_BAD;
	return R_NONE;
}

/*
 * Where rcpt's copy goes: its mbox or Maildir path, expanded, or the
 * pipe program.  -1 when that does not fit in buf.
 */
int
deliver_destination(const struct config *cfg, const struct addr *rcpt,
    char *buf, size_t size)
{
	struct rcpt_names n;

	if (cfg->method == METHOD_PIPE)
		return util_strlcpy(buf, cfg->method_argv[0], size);
	names_of(rcpt, cfg->hostname, &n);
	return expand(buf, size, cfg->method_argv[0], &n, NULL, NULL);
}

/* <postmaster> as <postmaster@NAME>, so pipe programs see a domain. */
static void
qualify(const struct addr *a, const char *hostname, struct addr *out)
{
	*out = *a;
	if (!a->postmaster || *addr_domain(a) != '\0')
		return;
	if (snprintf(out->mailbox, sizeof(out->mailbox), "%.*s@%s",
	    (int)a->local_len, a->mailbox, hostname) >=
	    (int)sizeof(out->mailbox))
		*out = *a;	/* too long a name: keep it bare */
}

static int
by_path(const void *a, const void *b)
{
	return strcmp(((const struct dest *)a)->path,
	    ((const struct dest *)b)->path);
}

/*
 * The distinct destinations of the recipients, and for each recipient
 * the index of its destination in dest_of.  Returns how many, or 0
 * when memory or a path ran out (then nothing is allocated).
 */
static size_t
find_dests(const struct config *cfg, const struct envelope *env,
    struct dest *dests, size_t *dest_of)
{
	struct rcpt_names n;
	char path[DEST_MAX];
	size_t i, k, ndests = 0;

	for (i = 0; i < env->nrcpts; i++) {
		names_of(&env->rcpts[i], cfg->hostname, &n);
		if (expand(path, sizeof(path), cfg->method_argv[0], &n,
		    NULL, NULL) == -1)
			goto fail;
		for (k = 0; k < ndests; k++)
			if (strcmp(dests[k].path, path) == 0)
				break;
		if (k == ndests) {
			memset(&dests[k], 0, sizeof(dests[k]));
			if ((dests[k].path = strdup(path)) == NULL)
				goto fail;
			dests[k].first = i;
			ndests++;
		}
		dest_of[i] = k;
	}
	return ndests;
fail:
	log_warnx("%s: cannot expand the mailbox path", env->id);
	while (ndests > 0)
		free(dests[--ndests].path);
	return 0;
}

/* Write and fsync one copy, keeping it (and its lock) in d->tx. */
static struct deliver_result
write_copy(const struct config *cfg, const struct envelope *env,
    struct spool *sp, struct dest *d)
{
	struct deliver_result r;

	if (cfg->method == METHOD_MBOX)
		r = deliver_mbox_write(d->path, env, sp, &d->tx.mbox);
	else
		r = deliver_maildir(d->path, env,
		    env->rcpts[d->first].mailbox, sp, &d->tx.maildir);
	d->written = r.status == DELIVER_OK;
	return r;
}

static void
undo_copy(const struct config *cfg, const struct envelope *env,
    struct dest *d)
{
	if (!d->written)
		return;
	if (cfg->method == METHOD_MBOX)
		deliver_mbox_undo(&d->tx.mbox);
	else
		deliver_maildir_undo(&d->tx.maildir);
	log_info("%s: taken back from %s", env->id, d->path);
}

/* Release locks and descriptors (a copy not undone stays delivered). */
static void
release_copy(const struct config *cfg, struct dest *d)
{
	if (!d->written)
		return;
	if (cfg->method == METHOD_MBOX)
		deliver_mbox_done(&d->tx.mbox);
	else
		deliver_maildir_done(&d->tx.maildir);
	d->written = 0;
}

/*
 * The outcome that speaks for a failed transaction: temporary beats
 * permanent (the client will retry, and the permanent problem will
 * then be answered alone), and the first failure of a kind wins.
 */
static struct deliver_result
worst_of(const struct deliver_result *a, const struct deliver_result *b)
{
	if (a->status == DELIVER_OK)
		return *b;
	if (b->status == DELIVER_TEMP && a->status == DELIVER_PERM)
		return *b;
	return *a;
}

/* mbox and Maildir: one copy per destination. */
static void
deliver_files(const struct config *cfg, const struct envelope *env,
    struct spool *sp, struct deliver_result *each)
{
	struct deliver_result all = deliver_outcome(DELIVER_OK, R_DATA_OK);
	struct dest *dests;
	size_t *dest_of, ndests, i, k;

	dests = calloc(env->nrcpts, sizeof(*dests));
	dest_of = calloc(env->nrcpts, sizeof(*dest_of));
	if (dests == NULL || dest_of == NULL ||
	    (ndests = find_dests(cfg, env, dests, dest_of)) == 0) {
		all = deliver_outcome(DELIVER_TEMP, R_LOCAL_ERROR);
		for (i = 0; i < env->nrcpts; i++)
			each[i] = all;
		goto out;
	}
	/*
	 * LMTP: each copy on its own.  SMTP: all copies held, in path
	 * order, then all kept or all taken back; one outcome for all, so
	 * dest_of is not needed after the sort.
	 */
	if (!cfg->lmtp)
		qsort(dests, ndests, sizeof(*dests), by_path);
	for (k = 0; k < ndests; k++) {
		dests[k].result = write_copy(cfg, env, sp, &dests[k]);
		if (cfg->lmtp)
			release_copy(cfg, &dests[k]);
		else if (dests[k].result.status != DELIVER_OK) {
			all = worst_of(&all, &dests[k].result);
			break;
		}
	}
	for (k = 0; k < ndests; k++) {
		if (all.status != DELIVER_OK)
			undo_copy(cfg, env, &dests[k]);
		release_copy(cfg, &dests[k]);
	}
	for (i = 0; i < env->nrcpts; i++)
		each[i] = cfg->lmtp ? dests[dest_of[i]].result : all;
	for (k = 0; k < ndests; k++)
		free(dests[k].path);
out:
	free(dest_of);
	free(dests);
}

/* One pipe run, for a recipient qualified as the program should see it. */
static struct deliver_result
run_pipe(const struct config *cfg, const struct envelope *env,
    const struct addr *rcpt, struct spool *sp)
{
	static char args[PIPE_ARGS_MAX][DEST_MAX];	/* 256 KiB: not on the stack */
	char *argv[PIPE_ARGS_MAX + 1];
	struct rcpt_names n;
	struct addr full;
	int i;

	qualify(rcpt, cfg->hostname, &full);
	names_of(&full, cfg->hostname, &n);
	argv[0] = cfg->method_argv[0];
	for (i = 1; i < cfg->method_argc; i++) {
		if (expand(args[i], sizeof(args[i]), cfg->method_argv[i], &n,
		    env->sender, &full) == -1) {
			log_warnx("%s: pipe argument %d too long", env->id, i);
			return deliver_outcome(DELIVER_PERM, R_PIPE_ARG_LONG);
		}
		argv[i] = args[i];
	}
	argv[i] = NULL;
	return deliver_pipe(argv, env, &full, sp, cfg->pipe_timeout);
}

/*
 * pipe: one run per distinct recipient (as %u@%d), since a program
 * run per recipient is what the admin configured.  In SMTP the session
 * lets a transaction have one recipient only (smtpd.8: All or nothing).
 */
static void
deliver_pipes(const struct config *cfg, const struct envelope *env,
    struct spool *sp, struct deliver_result *each)
{
	struct rcpt_names a, b;
	size_t i, k;

	for (i = 0; i < env->nrcpts; i++) {
		names_of(&env->rcpts[i], cfg->hostname, &a);
		for (k = 0; k < i; k++) {
			names_of(&env->rcpts[k], cfg->hostname, &b);
			if (strcmp(a.local, b.local) == 0 &&
			    strcmp(a.domain, b.domain) == 0)
				break;
		}
		each[i] = k < i ? each[k] :
		    run_pipe(cfg, env, &env->rcpts[i], sp);
	}
}

struct deliver_ctx {
	const struct config	*cfg;
};

struct deliver_ctx *
deliver_ctx_new(const struct config *cfg)
{
	struct deliver_ctx *ctx;

	if ((ctx = calloc(1, sizeof(*ctx))) == NULL)
		return NULL;
	ctx->cfg = cfg;
	deliver_mbox_keep(1);
	return ctx;
}

void
deliver_ctx_release(struct deliver_ctx *ctx)
{
	if (ctx != NULL)
		deliver_mbox_release();
}

void
deliver_ctx_free(struct deliver_ctx *ctx)
{
	if (ctx == NULL)
		return;
	deliver_mbox_keep(0);
	free(ctx);
}

/*
 * Whether an SMTP transaction takes one recipient only: a pipe run
 * cannot be taken back, so all or nothing cannot hold for two (LMTP
 * answers each recipient on its own).
 */
int
deliver_one_rcpt(const struct config *cfg)
{
	return cfg->method == METHOD_PIPE && !cfg->lmtp;
}

void
deliver(struct deliver_ctx *ctx, const struct envelope *env,
    struct spool *sp, struct deliver_result *each)
{
	const struct config *cfg = ctx->cfg;

	if (env->nrcpts == 0)
		return;
	if (cfg->method == METHOD_PIPE)
		deliver_pipes(cfg, env, sp, each);
	else
		deliver_files(cfg, env, sp, each);
}

struct deliver_result
deliver_outcome(enum deliver_status status, enum reply_id reply)
{
	struct deliver_result r;

	r.status = status;
	r.reply = reply;
	r.detail[0] = '\0';
	return r;
}

/*
 * Full disks and quotas are temporary (452 4.3.1); a mailbox that is
 * not a regular file (or directory), or a symlink, is permanent;
 * anything else is a local problem an admin can fix, so temporary
 * (RFC 5321 4.2.5).
 */
struct deliver_result
deliver_result_errno(int err)
{
	switch (err) {
	case ENOSPC:
#ifdef EDQUOT
	case EDQUOT:
#endif
	case EFBIG:
		return deliver_outcome(DELIVER_TEMP, R_NO_SPACE);
	case ELOOP:
	case ENXIO:	/* a FIFO nobody reads */
	case EISDIR:
	case ENOTDIR:
	case EMLINK:	/* O_NOFOLLOW on a symlink, on some systems */
		return deliver_outcome(DELIVER_PERM, R_MAILBOX_BAD);
	default:
		return deliver_outcome(DELIVER_TEMP, R_LOCAL_ERROR);
	}
}
