/* ISC license. */
/*
 * Guided lessons (-L NAME, smtpd.8: LESSONS): the coach that walks a
 * learner through one seed tutorial of lesson_table.  Before each
 * command line it shows the next line to type and why; after the
 * reply it says whether the line was the lesson's (compared loosely:
 * case, angle brackets and spaces do not count) and how the seed's
 * server answered it.  A line off the lesson still runs as real SMTP:
 * the coach only says so and shows the lesson's line again.  Every
 * word goes to stderr; stdout is the session's and stays as it would
 * be without -L.  The message after DATA is one step: its lines are
 * shown together, since smtpd does not answer them one by one.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deliver.h"
#include "lesson.h"
#include "lesson_priv.h"
#include "session.h"
#include "util.h"

struct lesson_run {
	const struct lesson	*l;
	enum hint_lang		 lang;
	size_t			 step;		/* the next to do */
	int			 shown;		/* its why is on screen */
	int			 answered;	/* typed got its first reply */
	int			 in_message;	/* after the lesson's DATA */
	unsigned		 strays;	/* lines off the lesson */
	unsigned		 messages;	/* stored, lesson's or not */
	char			 typed[COMMAND_LINE_MAX + 1];
	struct lesson_copy	 copies[LESSON_COPIES_MAX];
	size_t			 ncopies;
};

static void	loose(char *, size_t, const char *);
static void	show_message(const struct lesson_run *,
		    const struct lesson_step *);
static void	show_store(const struct lesson_run *, const struct config *);
static void	message_done(struct lesson_run *, const struct config *,
		    enum reply_id, const struct addr *, size_t);
static void	remember(struct lesson_run *, const struct config *,
		    const struct addr *, size_t);
static void	compare_message(const struct lesson_run *,
		    const struct lesson_step *);
static void	back_to_mail(struct lesson_run *);
static void	step_done(struct lesson_run *);

/* One line of coaching per line of text, after "lesson: ". */
void
lesson_say(enum hint_lang lang, const char *indent, const char *text)
{
	const char *prefix = LESSON_T(lang, "lesson: ", "レッスン: ");
	char line[2048];
	size_t n;
	int len;

	if (text == NULL)
		return;
	do {
		n = strcspn(text, "\n");
		len = snprintf(line, sizeof(line), "%s%s%.*s\n", prefix, indent,
		    (int)n, text);
		if (len < 0)
			return;
		if ((size_t)len >= sizeof(line)) {
			len = (int)sizeof(line) - 1;
			line[len - 1] = '\n';
		}
		(void)util_write_all(STDERR_FILENO, line, (size_t)len);
		text += n;
	} while (*text++ != '\0');
}

void
lesson_sayf(enum hint_lang lang, const char *fmt, ...)
{
	char text[2048];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	lesson_say(lang, "", text);
}

const struct lesson *
lesson_find(const char *name)
{
	const struct lesson *l;

	for (l = lesson_table; l->name != NULL; l++)
		if (strcmp(l->name, name) == 0)
			return l;
	return NULL;
}

/* "puni, exim, ...": the names, for a usage line.  -1: no room. */
int
lesson_names(char *buf, size_t size)
{
	const struct lesson *l;
	size_t o = 0;
	int n;

	buf[0] = '\0';
	for (l = lesson_table; l->name != NULL; l++) {
		n = snprintf(buf + o, size - o, "%s%s", o > 0 ? ", " : "",
		    l->name);
		if (n < 0 || (size_t)n >= size - o)
			return -1;
		o += (size_t)n;
	}
	return 0;
}

/* -L list: each lesson and what it teaches, one line each, on fd. */
void
lesson_list(int fd, int lang)
{
	const struct lesson *l;
	char line[512];
	int n;

	for (l = lesson_table; l->name != NULL; l++) {
		n = snprintf(line, sizeof(line), "%-8s %s\n", l->name,
		    LESSON_T(lang, l->about_en, l->about_ja));
		if (n > 0 && (size_t)n < sizeof(line))
			(void)util_write_all(fd, line, (size_t)n);
	}
}

struct lesson_run *
lesson_start(const struct lesson *l, int lang)
{
	struct lesson_run *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->l = l;
	r->lang = lang == HINT_JA ? HINT_JA : HINT_EN;
	return r;
}

void
lesson_free(struct lesson_run *r)
{
	free(r);
}

/*
 * s folded for a loose comparison: ASCII letters in lower case, no
 * blanks and no angle brackets, which a learner adds or leaves out as
 * the seeds themselves do ("MAIL From: <a@b>", "mail from:a@b").
 */
static void
loose(char *dst, size_t size, const char *s)
{
	size_t o = 0;

	for (; *s != '\0' && o + 1 < size; s++)
		if (*s != ' ' && *s != '\t' && *s != '<' && *s != '>')
			dst[o++] = util_ascii_lower(*s);
	dst[o] = '\0';
}

/* Whether typed is the line want, loosely. */
int
lesson_same_line(const char *typed, const char *want)
{
	char a[COMMAND_LINE_MAX + 1], b[COMMAND_LINE_MAX + 1];

	loose(a, sizeof(a), typed);
	loose(b, sizeof(b), want);
	return strcmp(a, b) == 0;
}

/* Before a command line is read: the step to type, and why. */
void
lesson_prompt(struct lesson_run *r)
{
	const struct lesson_step *st;

	if (r == NULL || r->step >= r->l->nsteps || r->in_message)
		return;
	st = &r->l->steps[r->step];
	if (st->text == NULL)	/* a message, though DATA was not typed */
		return;
	lesson_sayf(r->lang, LESSON_T(r->lang, "step %zu of %zu, type:  %s",
	    "ステップ %zu/%zu 入力:  %s"), r->step + 1, r->l->nsteps,
	    st->text);
	if (!r->shown)
		lesson_say(r->lang, "  ", LESSON_T(r->lang, st->why_en,
		    st->why_ja));
	r->shown = 1;
}

/* A command line was read: kept for the comparison after its reply. */
void
lesson_typed(struct lesson_run *r, const char *line, size_t len)
{
	if (r == NULL)
		return;
	if (len >= sizeof(r->typed))
		len = sizeof(r->typed) - 1;
	memcpy(r->typed, line, len);
	r->typed[len] = '\0';
	r->answered = 0;
}

/* The lines of the message step, each with its note. */
static void
show_message(const struct lesson_run *r, const struct lesson_step *st)
{
	const struct lesson_line *ln;
	size_t i;

	lesson_sayf(r->lang, LESSON_T(r->lang,
	    "step %zu of %zu, type the message, line by line:",
	    "ステップ %zu/%zu メールを1行ずつ入力:"), r->step + 1,
	    r->l->nsteps);
	for (i = 0; i < st->nlines; i++) {
		ln = &st->lines[i];
		lesson_say(r->lang, "    ", *ln->text != '\0' ? ln->text :
		    LESSON_T(r->lang, "(an empty line)", "(空行)"));
		lesson_say(r->lang, "        ^ ", LESSON_T(r->lang,
		    ln->note_en, ln->note_ja));
	}
}

/* At the greeting: where delivered mail will be. */
static void
show_store(const struct lesson_run *r, const struct config *cfg)
{
	const char *where = cfg->method_argv[0];

	if (cfg->method == METHOD_MBOX && strcmp(where, LESSON_MBOX) == 0) {
		lesson_say(r->lang, "", LESSON_T(r->lang,
		    "Mail you send is stored in this directory, one mbox per "
		    "recipient: ./USER@DOMAIN.mbox",
		    "送ったメールはこのディレクトリに、宛先ごとに1つの mbox "
		    "として保存されます: ./ユーザ@ドメイン.mbox"));
		/* say it now, not as a bare 451 after the whole message
		 * (issue 15: nobody in a directory of root's) */
		if (access(".", W_OK | X_OK) == -1)
			lesson_sayf(r->lang, LESSON_T(r->lang,
			    "But this user cannot write here (%s), so no mail "
			    "can be stored.  Name a store that can be written, "
			    "as in: smtpd -L %s mbox /tmp/%%u@%%d.mbox",
			    "ただし、このユーザはここに書き込めません (%s)。"
			    "メールを保存できないので、書き込める保存先を指定"
			    "しましょう。例: smtpd -L %s mbox /tmp/%%u@%%d.mbox"),
			    strerror(errno), r->l->name);
	} else
		lesson_sayf(r->lang, LESSON_T(r->lang,
		    "Mail you send is stored as the command line says: %s %s",
		    "送ったメールはコマンドラインのとおり保存されます: %s %s"),
		    cfg->method == METHOD_MBOX ? "mbox" :
		    cfg->method == METHOD_MAILDIR ? "maildir" : "pipe", where);
}

static void
step_done(struct lesson_run *r)
{
	r->step++;
	r->shown = 0;
}

/* A failed message ends its transaction: the lesson resumes at MAIL. */
static void
back_to_mail(struct lesson_run *r)
{
	while (r->step > 0 && (r->l->steps[r->step].text == NULL ||
	    strncasecmp(r->l->steps[r->step].text, "mail", 4) != 0))
		r->step--;
	r->shown = 0;
}

/*
 * The copies of a stored message, for the closing display: each
 * distinct destination once, with the size of its mbox now, where the
 * message ends.
 */
static void
remember(struct lesson_run *r, const struct config *cfg,
    const struct addr *stored, size_t n)
{
	struct lesson_copy *c;
	struct stat sb;
	size_t i, j;

	r->messages++;
	for (i = 0; i < n && cfg->method == METHOD_MBOX; i++) {
		if (r->ncopies == LESSON_COPIES_MAX)
			return;
		c = &r->copies[r->ncopies];
		if (deliver_destination(cfg, &stored[i], c->path,
		    sizeof(c->path)) == -1 || stat(c->path, &sb) == -1)
			continue;
		for (j = 0; j < r->ncopies; j++)
			if (r->copies[j].message == r->messages &&
			    strcmp(r->copies[j].path, c->path) == 0)
				break;
		if (j < r->ncopies)
			continue;
		c->end = sb.st_size;
		c->message = r->messages;
		lesson_printable(c->shown, sizeof(c->shown), c->path);
		r->ncopies++;
		lesson_sayf(r->lang, LESSON_T(r->lang,
		    "stored in %s", "%s に保存されました"), c->shown);
	}
}

/*
 * Whether the message just stored holds the lesson's lines: its first
 * copy read back (an mbox only), since the lines are not answered one
 * by one.
 */
static void
compare_message(const struct lesson_run *r, const struct lesson_step *st)
{
	const struct lesson_copy *c;
	size_t at, lines = st->nlines - 1;	/* not the final "." */
	int same;

	if (r->ncopies == 0)
		return;
	c = &r->copies[r->ncopies - 1];
	while (c > r->copies && (c - 1)->message == r->messages)
		c--;
	if (c->message != r->messages ||
	    (same = lesson_mail_matches(c, st->lines, lines, &at)) == -1)
		return;
	if (same) {
		lesson_say(r->lang, "", LESSON_T(r->lang,
		    "The stored message holds the lesson's lines.",
		    "保存されたメールはレッスンの行のとおりです。"));
		return;
	}
	lesson_sayf(r->lang, LESSON_T(r->lang,
	    "The stored message differs from the lesson's at line %zu; "
	    "the lesson has:",
	    "保存されたメールは %zu 行目からレッスンと違います。レッスンでは:"),
	    at + 1);
	lesson_say(r->lang, "    ", at >= lines ? LESSON_T(r->lang,
	    "(no more lines)", "(これ以上の行なし)") :
	    *st->lines[at].text != '\0' ? st->lines[at].text :
	    LESSON_T(r->lang, "(an empty line)", "(空行)"));
}

/* The reply after the lesson's message: stored, or back to MAIL. */
static void
message_done(struct lesson_run *r, const struct config *cfg,
    enum reply_id id, const struct addr *stored, size_t nstored)
{
	const struct lesson_step *st = &r->l->steps[r->step];

	r->in_message = 0;
	if (id == st->reply) {
		lesson_sayf(r->lang, LESSON_T(r->lang,
		    "ok: step %zu done, the message is accepted.",
		    "OK: ステップ %zu 完了、メールが受け付けられました。"),
		    r->step + 1);
		if (stored != NULL) {
			remember(r, cfg, stored, nstored);
			compare_message(r, st);
		}
		lesson_say(r->lang, "  ", LESSON_T(r->lang, st->after_en,
		    st->after_ja));
		step_done(r);
		return;
	}
	lesson_sayf(r->lang, LESSON_T(r->lang,
	    "The message was not stored (reply %d above).  The lesson goes "
	    "back to MAIL.",
	    "メールは保存されませんでした (上の応答 %d)。レッスンは MAIL "
	    "に戻ります。"), reply_table[id].code);
	back_to_mail(r);
}

/*
 * After the reply to a command line (or to the message): whether it
 * was the lesson's line, and what the seed's server said instead.
 */
void
lesson_after_reply(struct lesson_run *r, const struct config *cfg,
    enum reply_id id, const struct addr *stored, size_t nstored)
{
	const struct lesson_step *st;

	if (r == NULL)
		return;
	if (id == R_GREETING) {
		lesson_sayf(r->lang, "%s: %s", r->l->name,
		    LESSON_T(r->lang, r->l->about_en, r->l->about_ja));
		lesson_say(r->lang, "", LESSON_T(r->lang, r->l->intro_en,
		    r->l->intro_ja));
		show_store(r, cfg);
		return;
	}
	if (r->in_message) {
		message_done(r, cfg, id, stored, nstored);
		return;
	}
	if (stored != NULL)	/* a message of the learner's own */
		remember(r, cfg, stored, nstored);
	if (r->answered || id == R_NONE || r->step >= r->l->nsteps)
		return;
	r->answered = 1;
	st = &r->l->steps[r->step];
	if (st->text == NULL || !lesson_same_line(r->typed, st->text)) {
		r->strays++;
		lesson_say(r->lang, "", LESSON_T(r->lang,
		    "That was not the lesson's line; smtpd answered it as "
		    "real SMTP, above.  To come back, type the lesson's line:",
		    "これはレッスンの行ではありません。smtpd は本物の SMTP "
		    "として上のとおり答えました。戻るにはレッスンの行を:"));
		if (id == R_DATA_GO)	/* the lesson's line must wait */
			lesson_say(r->lang, "  ", LESSON_T(r->lang,
			    "(first end this message with a line of only \".\")",
			    "(その前に、このメールを「.」だけの行で終えます)"));
		return;
	}
	if (id != st->reply) {
		lesson_sayf(r->lang, LESSON_T(r->lang,
		    "That is the lesson's line, but the lesson expects the "
		    "reply %d, not %d.  Read the reply, then type it again.",
		    "レッスンの行ですが、レッスンが待つ応答は %d で、%d では"
		    "ありません。応答を読んでから、もう一度入力しましょう。"),
		    reply_table[st->reply].code, reply_table[id].code);
		return;
	}
	lesson_sayf(r->lang, LESSON_T(r->lang,
	    "ok: step %zu done, the lesson's line.",
	    "OK: ステップ %zu 完了、レッスンのとおりです。"), r->step + 1);
	lesson_say(r->lang, "  ", LESSON_T(r->lang, st->after_en,
	    st->after_ja));
	step_done(r);
	if (id == R_DATA_GO && r->step < r->l->nsteps &&
	    r->l->steps[r->step].text == NULL) {
		r->in_message = 1;
		show_message(r, &r->l->steps[r->step]);
	}
}

/* At the end of the session: how far the lesson went, the mail. */
void
lesson_end(struct lesson_run *r, const struct config *cfg)
{
	if (r == NULL)
		return;
	if (r->step >= r->l->nsteps)
		lesson_sayf(r->lang, LESSON_T(r->lang,
		    "The lesson is over: all %zu steps done.",
		    "レッスン終了: %zu ステップすべて完了しました。"),
		    r->l->nsteps);
	else
		lesson_sayf(r->lang, LESSON_T(r->lang,
		    "The session ended at step %zu of %zu.  Start the lesson "
		    "again with: smtpd -L %s",
		    "セッションはステップ %zu/%zu で終わりました。"
		    "もう一度: smtpd -L %s"), r->step + 1, r->l->nsteps,
		    r->l->name);
	if (r->strays > 0)
		lesson_sayf(r->lang, LESSON_T(r->lang,
		    "%u line(s) were off the lesson, and ran as real SMTP.",
		    "レッスン外の行が %u 行あり、本物の SMTP として実行されました。"),
		    r->strays);
	if (cfg->method == METHOD_MBOX && r->ncopies > 0)
		lesson_mail_show(r->lang, r->copies, r->ncopies);
	lesson_say(r->lang, "", LESSON_T(r->lang, r->l->end_en,
	    r->l->end_ja));
}
