/* ISC license. */
/*
 * A message typed after DATA, watched line by line for the learner
 * (config.hints only): every line until a lone "." is text, so a line
 * that looks like a command (QUIT, RSET, MAIL FROM:...) or like the end
 * but is not (". ", a dot and spaces) would be kept silently in the
 * mail; it gets a hint at once.  A message with no header, or no empty
 * line between headers and body (RFC 5322 2.1), is pointed out after
 * its reply.  The watcher sees the octets as they came, before the
 * dot-stuffing is undone, and changes nothing.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "hint.h"
#include "learner.h"

#define HINT_MAX	600

static void	line_done(struct learner_body *);
static int	is_header(const char *, size_t);
static int	is_command(const char *, size_t);
static int	is_dot_and_blanks(const char *, size_t);
static void	shown(char *, size_t, const char *, size_t);

void
learner_body_begin(struct learner_body *w, const struct config *cfg)
{
	memset(w, 0, sizeof(*w));
	w->cfg = cfg;
	w->in_headers = 1;
}

/* A header field begins "name:", name printable ASCII but ':' and SP
 * (RFC 5322 2.2, ftext). */
static int
is_header(const char *l, size_t n)
{
	size_t i;

	for (i = 0; i < n && l[i] > ' ' && l[i] < 127 && l[i] != ':'; i++)
		;
	return i > 0 && i < n && l[i] == ':';
}

/* A line a learner means as a command: the verbs of a session. */
static int
is_command(const char *l, size_t n)
{
	static const char *const alone[] = { "QUIT", "RSET", "DATA", "NOOP",
	    NULL };
	size_t i, w = strcspn(l, " :");
	const char *rest = l + w;

	for (i = 0; alone[i] != NULL; i++)
		if (w == n && w == 4 && strncasecmp(l, alone[i], 4) == 0)
			return 1;
	while (*rest == ' ')
		rest++;
	if (w == 4 && (strncasecmp(l, "HELO", 4) == 0 ||
	    strncasecmp(l, "EHLO", 4) == 0) && l[4] == ' ' && *rest != '\0')
		return 1;
	if (w == 4 && strncasecmp(l, "MAIL", 4) == 0)
		return strncasecmp(rest, "FROM", 4) == 0;
	if (w == 4 && strncasecmp(l, "RCPT", 4) == 0)
		return strncasecmp(rest, "TO", 2) == 0;
	return 0;
}

/* ". ", ".  ": not the end line, which is a dot alone (RFC 5321 4.1.1.4). */
static int
is_dot_and_blanks(const char *l, size_t n)
{
	size_t i;

	if (n < 2 || l[0] != '.')
		return 0;
	for (i = 1; i < n; i++)
		if (l[i] != ' ' && l[i] != '\t')
			return 0;
	return 1;
}

/* The line as typed, for the hint: control characters as '?'. */
static void
shown(char *buf, size_t size, const char *l, size_t n)
{
	size_t i;

	if (n >= size)
		n = size - 1;
	for (i = 0; i < n; i++)
		buf[i] = (unsigned char)l[i] < ' ' || l[i] == 127 ? '?' : l[i];
	buf[n] = '\0';
}

/* One whole line (its first LEARNER_LINE_MAX octets) has been read. */
static void
line_done(struct learner_body *w)
{
	enum hint_lang lang = (enum hint_lang)w->cfg->hint_lang;
	char text[HINT_MAX], line[LEARNER_LINE_MAX + 1];
	const char *l = w->line;
	size_t n = w->len;

	if (n > 0 && l[n - 1] == '\r')
		n--;
	w->line[n] = '\0';
	w->lines++;
	w->len = 0;
	if (n == 1 && l[0] == '.')
		return;		/* the end */
	if (n == 0)
		w->in_headers = 0;
	else if (w->lines == 1 && !is_header(l, n)) {
		w->no_headers = 1;
		w->in_headers = 0;
	} else if (w->in_headers && l[0] != ' ' && l[0] != '\t' &&
	    !is_header(l, n)) {
		w->no_blank = w->lines;
		w->in_headers = 0;
	}
	shown(line, sizeof(line), l, n);
	if (is_dot_and_blanks(l, n))
		snprintf(text, sizeof(text), "%s", lang == HINT_JA ?
		    "「.」の後に空白があるので、終わりの合図になりません。終わりは"
		    "「.」1つだけで後ろに何もない行です。この行はメールの一部に"
		    "なりました" :
		    "a dot followed by spaces does not end the message: the end "
		    "is a line with only \".\", nothing after it.  This line is "
		    "now part of the message");
	else if (is_command(l, n))
		snprintf(text, sizeof(text), lang == HINT_JA ?
		    "「%s」はコマンドではなくメールの一部です。DATA の後は終わりまで"
		    "すべて本文です。終えるには「.」だけの行を打ち、それから "
		    "QUIT などを" :
		    "\"%s\" is part of the message, not a command: after DATA "
		    "every line is text until the end.  To end the message, "
		    "type a line with only \".\"; then the command", line);
	else
		return;
	hint_write(STDERR_FILENO, lang, text);
}

/*
 * The octets in[0..n) of the message, as read (a tap: arg is the
 * struct learner_body).
 */
void
learner_body_octets(void *arg, const char *in, size_t n)
{
	struct learner_body *w = arg;
	size_t i;

	for (i = 0; i < n; i++) {
		if (in[i] == '\n')
			line_done(w);
		else if (w->len < LEARNER_LINE_MAX)
			w->line[w->len++] = in[i];
	}
}

/* After the message was accepted: what its shape will do. */
void
learner_body_notes(const struct learner_body *w)
{
	enum hint_lang lang = (enum hint_lang)w->cfg->hint_lang;
	char text[HINT_MAX];

	if (w->no_headers)
		snprintf(text, sizeof(text), "%s", lang == HINT_JA ?
		    "このメールにはヘッダがありません。1行目が「名前: 値」の形で"
		    "ないので、メールソフトでは件名なしに見えます。次はまず "
		    "Subject: などのヘッダ、空行、本文の順に" :
		    "the message has no header: its first line is not "
		    "\"Name: value\", so a mail program shows no subject.  Next "
		    "time: headers such as Subject:, an empty line, the body");
	else if (w->no_blank != 0)
		snprintf(text, sizeof(text), lang == HINT_JA ?
		    "ヘッダと本文の間に空行がありません。%lu 行目はヘッダでは"
		    "ないのに前に空行がないので、メールソフトは壊れたヘッダと"
		    "見なすかもしれません。ヘッダの後に空行 (Enter だけ) を" :
		    "no empty line between the headers and the body: line %lu "
		    "is not a header, and a mail program may take it for a "
		    "broken one.  Next time type an empty line (Enter alone) "
		    "after the headers", w->no_blank);
	else
		return;
	hint_write(STDERR_FILENO, lang, text);
}
