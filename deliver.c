/* ISC license. */
/*
 * Hands an accepted message to the configured delivery method and
 * turns system errors into SMTP outcomes.
 */
#include <errno.h>

#include "deliver.h"
#include "deliver_mbox.h"

void
deliver(const struct config *cfg, const struct envelope *env,
    struct spool *sp, struct deliver_result *each)
{
	struct deliver_result r;
	size_t i;

	r = deliver_mbox(cfg->method_argv[0], env, sp);
	for (i = 0; i < env->nrcpts; i++)
		each[i] = r;
}

const char *
deliver_check_config(const struct config *cfg)
{
	(void)cfg;
	return NULL;
}

enum reply_id
deliver_check_rcpt(const struct config *cfg, const struct addr *r)
{
	(void)cfg;
	(void)r;
	return R_COUNT;
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
 * not a regular file, or a symlink, is permanent; anything else is a
 * local problem an admin can fix, so temporary (RFC 5321 4.2.5).
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
		return deliver_outcome(DELIVER_PERM, R_MAILBOX_BAD);
	default:
		return deliver_outcome(DELIVER_TEMP, R_LOCAL_ERROR);
	}
}
