/* ISC license. */
/*
 * The learner's aids.  Only when stdin and stderr are both a terminal
 * (config.hints): under inetd stderr is the client's socket, and a pipe
 * may be a test comparing bytes.  A lesson (-L) was asked for on the
 * command line, so its coaching goes to stderr whatever it is, and
 * takes the place of the hints.  The caller has flushed the replies,
 * so a hint appears after them.  Some hints come only with -v (what
 * each reply means); the ones about a message that would be lost, or
 * about what was typed, come always.
 */
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "deliver.h"
#include "hint.h"
#include "learner.h"
#include "lesson.h"

#define HINT_MAX	1400	/* hint_write() cuts at 1024 */

static const char *user_name(void);
static void	say(const struct config *, const char *);
static void	practice_command(const struct config *, char *, size_t);
static const struct deliver_result *result_of(
		    const struct learner_message *, size_t);
static int	stored_before(const struct config *,
		    const struct learner_message *, size_t, const char *);
static void	say_stored(const struct config *,
		    const struct learner_message *);
static void	say_failed(const struct config *,
		    const struct deliver_result *);

static const char *
user_name(void)
{
	struct passwd *pw = getpwuid(geteuid());

	return pw != NULL ? pw->pw_name : "?";
}

static void
say(const struct config *cfg, const char *text)
{
	hint_write(STDERR_FILENO, (enum hint_lang)cfg->hint_lang, text);
}

/* The command that starts a practice session that can store mail. */
static void
practice_command(const struct config *cfg, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s%s mbox /tmp/practice.mbox",
	    cfg->argv0 != NULL ? cfg->argv0 : "smtpd",
	    cfg->user != NULL ? " -u " : "",
	    cfg->user != NULL ? cfg->user : "", cfg->verbose ? " -v" : "");
}

/*
 * Before the greeting, once privileges are dropped: can the store be
 * written?  Else every message would fail after the learner typed it,
 * with a 451 that gives no reason on screen.
 */
void
learner_before_greeting(const struct config *cfg)
{
	char path[1024], where[2 * 1024 + 8], full[1024], cmd[300];
	char text[HINT_MAX];
	int err;

	if (!cfg->hints || (err = deliver_check_store(cfg, path,
	    sizeof(path))) == 0)
		return;
	/* "." means little to someone who did not cd there on purpose */
	if (path[0] != '/' && getcwd(full, sizeof(full)) != NULL)
		snprintf(where, sizeof(where), cfg->hint_lang == HINT_JA ?
		    "%s (場所: %s)" : "%s (in %s)", path, full);
	else
		snprintf(where, sizeof(where), "%s", path);
	practice_command(cfg, cmd, sizeof(cmd));
	snprintf(text, sizeof(text), cfg->hint_lang == HINT_JA ?
	    "smtpd はユーザ %s で動いていますが、%s に書き込めません: %s。"
	    "このままではメールはすべて配送に失敗します。QUIT で終えて、"
	    "書き込める保存先で起動し直しましょう。例: %s" :
	    "smtpd runs as %s, who cannot write %s: %s.  Every message "
	    "would fail.  QUIT, and start it with a store it can write, "
	    "for instance: %s", user_name(), where, strerror(err), cmd);
	say(cfg, text);
}

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
 * After reply id to the command line typed (NULL: none): in a lesson,
 * its coaching, told of the nstored recipients whose copies were just
 * stored (stored[0..nstored)).  Else what was wrong in the typing,
 * always; else with -v what the reply means and what to type next.
 * The greeting's hint comes always.
 */
void
learner_after_reply(const struct config *cfg, enum reply_id id,
    const char *typed, const struct addr *stored, size_t nstored)
{
	enum hint_lang lang = (enum hint_lang)cfg->hint_lang;
	char text[HINT_MAX];

	if (cfg->lesson != NULL) {
		lesson_after_reply(cfg->lesson, cfg, id, stored, nstored);
		return;
	}
	if (!cfg->hints || id == R_NONE)
		return;
	if (id == R_GREETING || id == R_GREETING_LMTP) {
		say(cfg, hint_greeting(lang, cfg->lmtp));
		return;
	}
	if (!hint_typed(text, sizeof(text), typed, lang)) {
		if (!cfg->verbose)
			return;
		/* EHLO's and LHLO's 250- lines: extensions, not commands */
		if (id == R_HELO && typed != NULL &&
		    (strncasecmp(typed, "EHLO", 4) == 0 ||
		    strncasecmp(typed, "LHLO", 4) == 0))
			snprintf(text, sizeof(text), "%s", hint_ehlo(lang));
		else if (hint_reply(text, sizeof(text), id, lang) == -1)
			return;
	}
	say(cfg, text);
}

/* Why a copy failed, as the log has it, and as whom smtpd runs. */
static void
say_failed(const struct config *cfg, const struct deliver_result *r)
{
	char text[HINT_MAX];

	if (r->why[0] == '\0')
		return;
	snprintf(text, sizeof(text), cfg->hint_lang == HINT_JA ?
	    "配送できませんでした: %s (smtpd はユーザ %s で動いています)。"
	    "何も保存されていません" :
	    "not delivered: %s (smtpd runs as %s).  Nothing was stored",
	    r->why, user_name());
	say(cfg, text);
}

static const struct deliver_result *
result_of(const struct learner_message *m, size_t i)
{
	return m->each != NULL ? &m->each[i] : m->all;
}

/* Whether a recipient before i had its copy stored at path too. */
static int
stored_before(const struct config *cfg, const struct learner_message *m,
    size_t i, const char *path)
{
	char other[512];
	size_t k;

	if (cfg->method == METHOD_PIPE)
		return 0;	/* a run each */
	for (k = 0; k < i; k++)
		if (result_of(m, k)->status == DELIVER_OK &&
		    deliver_destination(cfg, &m->rcpts[k], other,
		    sizeof(other)) == 0 && strcmp(other, path) == 0)
			return 1;
	return 0;
}

/*
 * Where each recipient's copy went: for one, the mailbox and how to
 * look; for more, a line each, then how to look at them all, and when
 * one mbox holds the one copy for all, how to have one each.
 */
static void
say_stored(const struct config *cfg, const struct learner_message *m)
{
	enum hint_lang lang = (enum hint_lang)cfg->hint_lang;
	char path[512], text[HINT_MAX], look[HINT_MAX], q[600];
	size_t i, o = 0, copies = 0;
	int same;

	if (m->nrcpts == 1) {
		if (deliver_destination(cfg, &m->rcpts[0], path,
		    sizeof(path)) == 0 && hint_stored(text, sizeof(text),
		    cfg->method, path, lang) == 0)
			say(cfg, text);
		return;
	}
	say(cfg, lang == HINT_JA ? "宛先ごとの行き先:" :
	    "where each recipient's copy went:");
	look[0] = '\0';
	for (i = 0; i < m->nrcpts; i++) {
		if (deliver_destination(cfg, &m->rcpts[i], path,
		    sizeof(path)) == -1)
			continue;
		same = stored_before(cfg, m, i, path);
		if (result_of(m, i)->status != DELIVER_OK)
			snprintf(text, sizeof(text), lang == HINT_JA ?
			    "  <%s>: 配送できませんでした (%d)" :
			    "  <%s>: not delivered (%d)", m->rcpts[i].mailbox,
			    reply_table[result_of(m, i)->reply].code);
		else
			snprintf(text, sizeof(text), "  <%s> -> %s%s",
			    m->rcpts[i].mailbox, path, !same ? "" :
			    lang == HINT_JA ? " (上と同じ1通)" :
			    " (the same copy as above)");
		say(cfg, text);
		if (result_of(m, i)->status != DELIVER_OK || same)
			continue;
		copies++;
		if (cfg->method == METHOD_MAILDIR)	/* where the files are */
			strncat(path, "/new", sizeof(path) - strlen(path) - 1);
		if (hint_shell_word(q, sizeof(q), path) == 0 &&
		    o + strlen(q) + 2 < sizeof(look))
			o += (size_t)snprintf(look + o, sizeof(look) - o,
			    " %s", q);
	}
	if (cfg->method == METHOD_PIPE || copies == 0)
		return;
	snprintf(text, sizeof(text), lang == HINT_JA ? "見るには: %s%s" :
	    "look at them with: %s%s", cfg->method == METHOD_MAILDIR ? "ls" :
	    "cat", look);
	say(cfg, text);
	if (copies > 1 || cfg->method != METHOD_MBOX)
		return;
	snprintf(text, sizeof(text), lang == HINT_JA ?
	    "宛先ごとに別のメールボックスにするには: %s mbox 'mail-%%u@%%d' "
	    "(README を参照)" : "for one mailbox per recipient: %s mbox "
	    "'mail-%%u@%%d' (see the README)", cfg->argv0 != NULL ?
	    cfg->argv0 : "smtpd");
	say(cfg, text);
}

/*
 * After the replies that end a message: why nothing was delivered, or
 * where each copy went; then what its lines showed.
 */
void
learner_after_message(const struct config *cfg,
    const struct learner_message *m)
{
	size_t i, ok = 0;

	if (!cfg->hints)
		return;
	if (m->ended != R_NONE) {
		say(cfg, cfg->hint_lang == HINT_JA ? (m->ended == R_SHUTDOWN ?
		    "メールの途中で入力が終わりました (Ctrl-D)。このメールは配送"
		    "されていません" : "このメールは配送されていません") :
		    m->ended == R_SHUTDOWN ? "the input ended (Ctrl-D) inside "
		    "the message: it was NOT delivered" :
		    "the message was NOT delivered");
		return;
	}
	for (i = 0; i < m->nrcpts; i++)
		if (result_of(m, i)->status == DELIVER_OK)
			ok++;
	for (i = 0; i < m->nrcpts; i++)
		if (result_of(m, i)->status != DELIVER_OK) {
			say_failed(cfg, result_of(m, i));
			break;
		}
	if (ok > 0)
		say_stored(cfg, m);
	if (ok > 0 && m->body != NULL)
		learner_body_notes(m->body);
}

/*
 * The session is over: say so, or the next lines typed would go to the
 * shell with no word why.  closing is the reply that ended it (R_QUIT,
 * a 421) or R_NONE; eof: the input ended.
 */
void
learner_session_end(const struct config *cfg, enum reply_id closing,
    int eof)
{
	char text[HINT_MAX];
	int ja = cfg->hint_lang == HINT_JA;

	if (!cfg->hints)
		return;
	if (closing == R_QUIT)
		snprintf(text, sizeof(text), "%s", ja ?
		    "smtpd は終了しました (QUIT)。ここから先の入力はシェルに"
		    "渡ります" : "smtpd has ended (QUIT): what you type now "
		    "goes to the shell");
	else if (closing != R_NONE || !eof)
		snprintf(text, sizeof(text), ja ?
		    "サーバが接続を閉じ、smtpd は終了しました (%d)。ここから先の"
		    "入力はシェルに渡ります" : "the server closed the session "
		    "(%d), smtpd has ended: what you type now goes to the shell",
		    closing != R_NONE ? reply_table[closing].code :
		    reply_table[R_SYNTAX_BDAT].code);
	else
		snprintf(text, sizeof(text), "%s", ja ?
		    "入力が終わったので (Ctrl-D)、smtpd は終了しました。ここから"
		    "先の入力はシェルに渡ります" : "the input ended (Ctrl-D), "
		    "smtpd has ended: what you type now goes to the shell");
	say(cfg, text);
}

/* The session is over: a lesson shows how far it went, and the mail. */
void
learner_end(const struct config *cfg)
{
	lesson_end(cfg->lesson, cfg);
}
