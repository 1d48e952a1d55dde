/* ISC license. */
/*
 * The learner's aids.  Hints only when stdin and stderr are both a
 * terminal (config.hints): under inetd stderr is the client's socket,
 * and a pipe may be a test comparing bytes.  A lesson (-L) was asked
 * for on the command line, so its coaching goes to stderr whatever it
 * is, and takes the place of the hints.  The caller has flushed the
 * reply, so what is said here appears after it.
 */
#include <stddef.h>
#include <unistd.h>

#include "deliver.h"
#include "hint.h"
#include "learner.h"
#include "lesson.h"

/* Whether anything may be said: the session flushes its replies first. */
int
learner_wanted(const struct config *cfg)
{
	return cfg->hints || cfg->lesson != NULL;
}

/* Before a command line is read: a lesson's next step. */
void
learner_before_read(const struct config *cfg)
{
	lesson_prompt(cfg->lesson);
}

/* A command line was read (line[0..len), before its reply). */
void
learner_read(const struct config *cfg, const char *line, size_t len)
{
	lesson_typed(cfg->lesson, line, len);
}

/*
 * After reply id: with -v what it means and what to type next (the
 * greeting's hint always), and after a delivery, always, where the
 * message for stored[0] (of nstored recipients) went.
 */
void
learner_after_reply(const struct config *cfg, enum reply_id id,
    const struct addr *stored, size_t nstored)
{
	enum hint_lang lang = (enum hint_lang)cfg->hint_lang;
	char path[512], where[2 * sizeof(path) + 160];

	if (cfg->lesson != NULL) {
		lesson_after_reply(cfg->lesson, cfg, id, stored, nstored);
		return;
	}
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

/* The session is over: a lesson shows how far it went, and the mail. */
void
learner_end(const struct config *cfg)
{
	lesson_end(cfg->lesson, cfg);
}
