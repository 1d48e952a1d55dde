/* ISC license. */
/*
 * The learner's aids after a reply.  Only when stdin and stderr are
 * both a terminal (config.hints): under inetd stderr is the client's
 * socket, and a pipe may be a test comparing bytes.  The caller has
 * flushed the reply, so the hint appears after it.
 */
#include <stddef.h>
#include <unistd.h>

#include "deliver.h"
#include "hint.h"
#include "learner.h"

/*
 * After reply id: with -v what it means and what to type next (the
 * greeting's hint always), and after a delivery, always, where the
 * message for stored (its first recipient) went.
 */
void
learner_after_reply(const struct config *cfg, enum reply_id id,
    const struct addr *stored)
{
	enum hint_lang lang = (enum hint_lang)cfg->hint_lang;
	char path[512], where[2 * sizeof(path) + 160];

	if (!cfg->hints)
		return;
	if (id == R_GREETING || id == R_GREETING_LMTP)
		hint_write(STDERR_FILENO, lang, hint_greeting(lang, cfg->lmtp));
	else if (id != R_NONE && cfg->verbose)
		hint_write(STDERR_FILENO, lang, hint_after(id, lang));
	if (stored != NULL && deliver_destination(cfg, stored, path,
	    sizeof(path)) == 0 && hint_stored(where, sizeof(where),
	    cfg->method, path, lang) == 0)
		hint_write(STDERR_FILENO, lang, where);
}
