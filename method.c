/* ISC license. */
/*
 * What the delivery methods share beyond their table: turning a
 * failure into an outcome, and the RCPT-time look at a mailbox.
 */
#include <errno.h>
#include <sys/stat.h>

#include "method.h"

struct deliver_result
method_outcome(enum deliver_status status, enum reply_id reply)
{
	struct deliver_result r;

	r.status = status;
	r.reply = reply;
	r.detail[0] = '\0';
	r.why[0] = '\0';
	return r;
}

/*
 * Full disks and quotas are temporary (452 4.3.1); a mailbox that is
 * not a regular file (or directory), or a symlink, is permanent;
 * anything else is a local problem an admin can fix, so temporary
 * (RFC 5321 4.2.5).
 */
struct deliver_result
method_outcome_errno(int err)
{
	switch (err) {
	case ENOSPC:
#ifdef EDQUOT
	case EDQUOT:
#endif
	case EFBIG:
		return method_outcome(DELIVER_TEMP, R_NO_SPACE);
	case ELOOP:
	case ENXIO:	/* a FIFO nobody reads */
	case EISDIR:
	case ENOTDIR:
	case EMLINK:	/* O_NOFOLLOW on a symlink, on some systems */
		return method_outcome(DELIVER_PERM, R_MAILBOX_BAD);
	default:
		return method_outcome(DELIVER_TEMP, R_LOCAL_ERROR);
	}
}

/*
 * A mailbox that exists but is not a regular file (an mbox) or, with
 * want_dir, a directory (a Maildir) is refused at RCPT, 550 5.2.0,
 * rather than after the data; a symlink is neither.  R_NONE when it
 * is of that kind or missing: it is made at delivery.
 */
enum reply_id
method_check_kind(const char *path, int want_dir)
{
	struct stat st;

	if (lstat(path, &st) == -1)
		return R_NONE;
	if (want_dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode))
		return R_NONE;
	return R_MAILBOX_BAD;
}

/* The one place that maps the configured method to its table. */
const struct method *
method_for(const struct config *cfg)
{
	static const struct method *const methods[] = {
		[METHOD_MBOX] = &method_mbox,
		[METHOD_MAILDIR] = &method_maildir,
		[METHOD_PIPE] = &method_pipe
	};

	return methods[cfg->method];
}
