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
	char			*args;	/* a program's, METHOD_DEST_MAX each */
	/* written once (method.h: spill_open): the first recipient's
	 * destination and the envelope, for the message being received */
	void			*spill;	/* the method's, spill_size */
	char			*spill_path;	/* METHOD_DEST_MAX octets */
	struct envelope		 spill_env;
	struct spool_target	 target;
};

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
	char *argv[METHOD_ARGS_MAX + 1];
	struct method_copy c;
	struct addr full;
	int i;

	qualify(&env->rcpts[d->first], cfg->hostname, &full);
	argv[0] = d->path;
	for (i = 1; i < cfg->method_argc; i++) {
		argv[i] = ctx->args + (size_t)(i - 1) * METHOD_DEST_MAX;
		if (template_expand(argv[i], METHOD_DEST_MAX,
		    cfg->method_argv[i], &d->names, env->sender, &full) >=
		    METHOD_DEST_MAX) {
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
	    METHOD_DEST_MAX) == -1)
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
	const struct method *m = method_for(cfg);
	size_t nargs = cfg->method_argc > 1 ? (size_t)cfg->method_argc - 1 : 0;

	if ((ctx = calloc(1, sizeof(*ctx))) == NULL)
		return NULL;
	ctx->cfg = cfg;
	ctx->m = m;
	ctx->buf = malloc(m->buf_size);
	if (m->keep_size > 0)
		ctx->keep = calloc(1, m->keep_size);
	if (nargs > 0)
		ctx->args = malloc(nargs * METHOD_DEST_MAX);
	if (m->spill_open != NULL) {
		ctx->spill = calloc(1, m->spill_size);
		ctx->spill_path = malloc(METHOD_DEST_MAX);
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

/* deliver_ctx_release() for outbuf's before_write: no reply goes out
 * while a mailbox is kept, which its lock's record relies on. */
void
deliver_ctx_let_go(void *ctx)
{
	deliver_ctx_release(ctx);
}

void
deliver_ctx_free(struct deliver_ctx *ctx)
{
	if (ctx == NULL)
		return;
	deliver_ctx_release(ctx);
	if (ctx->keep != NULL && ctx->m->close != NULL)
		ctx->m->close(ctx->keep);
	free(ctx->spill_path);
	free(ctx->spill);
	free(ctx->args);
	free(ctx->keep);
	free(ctx->buf);
	free(ctx);
}
