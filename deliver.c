/* ISC license. */
/*
 * Hands an accepted message to the configured delivery method: expands
 * the destination for each recipient (%u, %d, %s, %r, %%), writes one
 * copy per distinct destination, and decides each recipient's outcome.
 * It knows a method only through its table (method.h), picked once.
 * The templates: method_argv[0] is the destination (an mbox or a
 * Maildir, with %u, %d and %%; a program, fixed), method_argv[1..] a
 * program's arguments, which may also hold %s and %r.
 *
 * In SMTP one reply covers every recipient, so delivery is all or
 * nothing: every mailbox is written and fsynced while its lock is
 * held, and if any fails, those already written are taken back before
 * the reply.  Mailboxes are locked in the order of their paths, so two
 * smtpd processes with overlapping recipients cannot deadlock.  In
 * LMTP each recipient has a reply of its own (RFC 2033 4.2), so each
 * destination is delivered on its own and nothing is taken back; so
 * is a copy that cannot be taken back (a pipe run, whose SMTP
 * transaction has one recipient: deliver_one_rcpt()).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deliver.h"
#include "log.h"
#include "method.h"
#include "template.h"
#include "util.h"

#define DEST_MAX	4096	/* octets of an expanded path or argument */
#define PIPE_ARGS_MAX	64	/* of the pipe program, itself included */

/* One distinct destination and the state of its copy. */
struct dest {
	char			*path;		/* expanded method_argv[0] */
	struct template_names	 names;		/* of its first recipient */
	size_t			 first;		/* its first recipient */
	int			 written;	/* a copy is held in tx */
	void			*tx;		/* the method's, tx_size */
	struct deliver_result	 result;
};

struct deliver_ctx {
	const struct config	*cfg;
	const struct method	*m;
	void			*keep;	/* the method's, between messages */
	char			*buf;	/* the method's scratch, buf_size */
	char			*args;	/* a program's, DEST_MAX octets each */
	/* written once (method.h: spill_open): the first recipient's
	 * destination and the envelope, for the message being received */
	void			*spill;	/* the method's, spill_size */
	char			*spill_path;	/* DEST_MAX octets */
	struct envelope		 spill_env;
	struct spool_target	 target;
};

static const struct method *method_of(const struct config *);
static int	can_write_dir(const char *, int);
static int	path_uses(const struct config *, char);
static int	args_use(const struct config *, char);
static int	makes_option(const struct config *, char, const char *);
static void	qualify(const struct addr *, const char *, struct addr *);
static int	by_path(const void *, const void *);
static int	is_same_dest(const struct method *, const struct dest *,
		    const struct dest *);
static size_t	find_dests(const struct config *, const struct method *,
		    const struct envelope *, struct dest *, size_t *);
static void	write_copy(struct deliver_ctx *, const struct envelope *,
		    struct spool *, struct dest *);
static void	undo_copy(const struct deliver_ctx *, const struct envelope *,
		    struct dest *);
static void	release_copy(const struct deliver_ctx *, struct dest *);
static struct deliver_result worst_of(const struct deliver_result *,
		    const struct deliver_result *);
static void	write_copies(struct deliver_ctx *, const struct envelope *,
		    struct spool *, struct dest *, size_t);
static int	spill_open(void *);
static void	spill_drop(void *);

/* The one place that maps the configured method to its table. */
static const struct method *
method_of(const struct config *cfg)
{
	static const struct method *const methods[] = {
		[METHOD_MBOX] = &method_mbox,
		[METHOD_MAILDIR] = &method_maildir,
		[METHOD_PIPE] = &method_pipe
	};

	return methods[cfg->method];
}

/*
 * The method's own rules for its destination first (mbox: not a lock's
 * name; pipe: an absolute path, no %), then the templates.
 */
const char *
deliver_check_config(const struct config *cfg)
{
	const struct method *m = method_of(cfg);
	const char *why;
	int i;

	if (m->check_config != NULL &&
	    (why = m->check_config(cfg->method_argv[0])) != NULL)
		return why;
	if (cfg->method_argc >= PIPE_ARGS_MAX)
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
	char d[DEST_MAX];
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
	char sub[DEST_MAX];
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
	const struct method *m = method_of(cfg);
	struct template_names n;
	struct stat st;
	char path[DEST_MAX];

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
	return method_of(cfg)->one_rcpt && !cfg->lmtp;
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
 * Whether two recipients share one copy: the same destination, and,
 * for a method whose program is told whom a copy is for (per_rcpt),
 * the same %u@%d.
 */
static int
is_same_dest(const struct method *m, const struct dest *a,
    const struct dest *b)
{
	if (strcmp(a->path, b->path) != 0)
		return 0;
	return !m->per_rcpt || (strcmp(a->names.local, b->names.local) == 0 &&
	    strcmp(a->names.domain, b->names.domain) == 0);
}

/*
 * The distinct destinations of the recipients (a slot each; the next
 * free one holds the candidate), and for each recipient the index of
 * its destination in dest_of.  Returns how many, or 0 when memory ran
 * out (then no path is left allocated).
 */
static size_t
find_dests(const struct config *cfg, const struct method *m,
    const struct envelope *env, struct dest *dests, size_t *dest_of)
{
	struct dest *cand;
	size_t i, k, ndests = 0;

	for (i = 0; i < env->nrcpts; i++) {
		cand = &dests[ndests];
		template_names(&env->rcpts[i], cfg->hostname, &cand->names);
		if ((cand->path = template_expand_path(cfg->method_argv[0],
		    &cand->names)) == NULL)
			goto fail;
		for (k = 0; k < ndests; k++)
			if (is_same_dest(m, &dests[k], cand))
				break;
		if (k == ndests) {
			cand->first = i;
			ndests++;
		} else {
			free(cand->path);
			cand->path = NULL;
		}
		dest_of[i] = k;
	}
	return ndests;
fail:
	log_warnx("%s: no memory for the destinations", env->id);
	while (ndests > 0)
		free(dests[--ndests].path);
	return 0;
}

/*
 * Write and fsync one copy, holding it (and its lock) in d->tx, its
 * outcome in d->result.  A program's arguments are expanded here, for
 * the recipient qualified as the program should see it, into the
 * session's argument buffer.
 */
static void
write_copy(struct deliver_ctx *ctx, const struct envelope *env,
    struct spool *sp, struct dest *d)
{
	const struct config *cfg = ctx->cfg;
	char *argv[PIPE_ARGS_MAX + 1];
	struct method_copy c;
	struct addr full;
	int i;

	qualify(&env->rcpts[d->first], cfg->hostname, &full);
	argv[0] = d->path;
	for (i = 1; i < cfg->method_argc; i++) {
		argv[i] = ctx->args + (size_t)(i - 1) * DEST_MAX;
		if (template_expand(argv[i], DEST_MAX, cfg->method_argv[i],
		    &d->names, env->sender, &full) >= DEST_MAX) {
			log_warnx("%s: pipe argument %d too long", env->id, i);
			d->result = method_outcome(DELIVER_PERM,
			    R_PIPE_ARG_LONG);
			return;
		}
	}
	argv[i] = NULL;
	c.env = env;
	c.sp = sp;
	c.argv = argv;
	c.rcpt = &env->rcpts[d->first];
	c.full = &full;
	c.peer = cfg->peer;
	c.timeout_s = cfg->pipe_timeout;
	/* the first recipient's copy may be the spool's file already */
	c.spill = ctx->spill != NULL && d->first == 0 &&
	    strcmp(d->path, ctx->spill_path) == 0 ? ctx->spill : NULL;
	c.keep = ctx->keep;
	c.buf = ctx->buf;
	c.bufsize = ctx->m->buf_size;
	log_last_clear();
	d->result = ctx->m->write(&c, d->tx);
	d->written = d->result.status == DELIVER_OK;
	if (!d->written)
		log_last(d->result.why, sizeof(d->result.why));
}

static void
undo_copy(const struct deliver_ctx *ctx, const struct envelope *env,
    struct dest *d)
{
	if (!d->written || ctx->m->undo == NULL)
		return;
	ctx->m->undo(d->tx);
	log_info("%s: taken back from %s", env->id, d->path);
}

/* Let go of locks and descriptors, or keep the mailbox for later. */
static void
release_copy(const struct deliver_ctx *ctx, struct dest *d)
{
	if (!d->written)
		return;
	if (ctx->m->done != NULL)
		ctx->m->done(d->tx, ctx->keep);
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

/*
 * Each copy on its own (LMTP, or copies that cannot be taken back), or
 * all held, in path order, then all kept or all taken back; then every
 * destination's result says what happened to its recipients.
 */
static void
write_copies(struct deliver_ctx *ctx, const struct envelope *env,
    struct spool *sp, struct dest *dests, size_t ndests)
{
	struct deliver_result all = method_outcome(DELIVER_OK, R_DATA_OK);
	int together = !ctx->cfg->lmtp && ctx->m->undo != NULL;
	size_t k;

	if (together)
		qsort(dests, ndests, sizeof(*dests), by_path);
	for (k = 0; k < ndests; k++) {
		write_copy(ctx, env, sp, &dests[k]);
		if (!together)
			release_copy(ctx, &dests[k]);
		else if (dests[k].result.status != DELIVER_OK) {
			all = worst_of(&all, &dests[k].result);
			break;
		}
	}
	for (k = 0; k < ndests; k++) {
		if (all.status != DELIVER_OK)
			undo_copy(ctx, env, &dests[k]);
		release_copy(ctx, &dests[k]);
		if (together)
			dests[k].result = all;
	}
}

void
deliver(struct deliver_ctx *ctx, const struct envelope *env,
    struct spool *sp, struct deliver_result *each)
{
	const struct method *m = ctx->m;
	struct dest *dests;
	size_t *dest_of, ndests = 0, i, k;
	char *txs;

	if (env->nrcpts == 0)
		return;
	dests = calloc(env->nrcpts, sizeof(*dests));
	dest_of = calloc(env->nrcpts, sizeof(*dest_of));
	txs = calloc(env->nrcpts, m->tx_size > 0 ? m->tx_size : 1);
	if (dests == NULL || dest_of == NULL || txs == NULL ||
	    (ndests = find_dests(ctx->cfg, m, env, dests, dest_of)) == 0) {
		for (i = 0; i < env->nrcpts; i++)
			each[i] = method_outcome(DELIVER_TEMP, R_LOCAL_ERROR);
		goto out;
	}
	for (k = 0; k < ndests; k++)
		dests[k].tx = txs + k * m->tx_size;
	write_copies(ctx, env, sp, dests, ndests);
	/* after a sort dest_of is stale, but then all results are one */
	for (i = 0; i < env->nrcpts; i++)
		each[i] = dests[dest_of[i]].result;
	for (k = 0; k < ndests; k++)
		free(dests[k].path);
out:
	free(txs);
	free(dest_of);
	free(dests);
}

/*
 * Before a message is received: with a method that writes once, a
 * spool that outgrows memory goes to the file the first recipient's
 * copy will be (spool_target), so that copy is not written twice.
 * The envelope must stay as it is until the spool is reset.
 */
void
deliver_prepare(struct deliver_ctx *ctx, const struct envelope *env,
    struct spool *sp)
{
	if (ctx->spill == NULL || env->nrcpts == 0 ||
	    deliver_destination(ctx->cfg, &env->rcpts[0], ctx->spill_path,
	    DEST_MAX) == -1)
		return;
	ctx->spill_env = *env;
	ctx->target.open = spill_open;
	ctx->target.drop = spill_drop;
	ctx->target.arg = ctx;
	spool_set_target(sp, &ctx->target);
}

static int
spill_open(void *arg)
{
	struct deliver_ctx *ctx = arg;
	struct method_copy c;
	char *argv[2];

	argv[0] = ctx->spill_path;
	argv[1] = NULL;
	memset(&c, 0, sizeof(c));
	c.env = &ctx->spill_env;
	c.argv = argv;
	c.rcpt = &ctx->spill_env.rcpts[0];
	return ctx->m->spill_open(&c, ctx->spill);
}

static void
spill_drop(void *arg)
{
	struct deliver_ctx *ctx = arg;

	ctx->m->spill_drop(ctx->spill);
}

/* One per session: scratch, keep state (zeroed) and argument room. */
struct deliver_ctx *
deliver_ctx_new(const struct config *cfg)
{
	struct deliver_ctx *ctx;
	const struct method *m = method_of(cfg);
	size_t nargs = cfg->method_argc > 1 ? (size_t)cfg->method_argc - 1 : 0;

	if ((ctx = calloc(1, sizeof(*ctx))) == NULL)
		return NULL;
	ctx->cfg = cfg;
	ctx->m = m;
	ctx->buf = malloc(m->buf_size);
	if (m->keep_size > 0)
		ctx->keep = calloc(1, m->keep_size);
	if (nargs > 0)
		ctx->args = malloc(nargs * DEST_MAX);
	if (m->spill_open != NULL) {
		ctx->spill = calloc(1, m->spill_size);
		ctx->spill_path = malloc(DEST_MAX);
	}
	if (ctx->buf == NULL || (m->keep_size > 0 && ctx->keep == NULL) ||
	    (nargs > 0 && ctx->args == NULL) || (m->spill_open != NULL &&
	    (ctx->spill == NULL || ctx->spill_path == NULL))) {
		deliver_ctx_free(ctx);
		return NULL;
	}
	return ctx;
}

/* Let go of whatever the method keeps (a locked mailbox). */
void
deliver_ctx_release(struct deliver_ctx *ctx)
{
	if (ctx != NULL && ctx->keep != NULL && ctx->m->release != NULL)
		ctx->m->release(ctx->keep);
}

void
deliver_ctx_free(struct deliver_ctx *ctx)
{
	if (ctx == NULL)
		return;
	deliver_ctx_release(ctx);
	free(ctx->spill_path);
	free(ctx->spill);
	free(ctx->args);
	free(ctx->keep);
	free(ctx->buf);
	free(ctx);
}
