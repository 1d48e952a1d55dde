/* ISC license. */
/*
 * Every reply smtpd sends comes from reply.h's table and is put into
 * words here: "code SP [esc SP] text CR LF", or "code-" on every line
 * of a multiline reply but the last (RFC 5321 4.2, RFC 2034 4).
 */
#include <stdio.h>
#include <string.h>

#include "reply.h"

const struct reply_text reply_table[R_COUNT] = {
#define REPLY_ROW(id, code, esc, text) [id] = { code, esc, text },
	REPLY_TABLE(REPLY_ROW)
#undef REPLY_ROW
};

/* The ids' names, for the log's reason= field (smtpd.8: LOGGING). */
static const char *const reply_names[R_COUNT] = {
#define REPLY_NAME(id, code, esc, text) [id] = #id,
	REPLY_TABLE(REPLY_NAME)
#undef REPLY_NAME
};

static void	fill(char *, size_t, const char *, const char *,
		    const char *);

/*
 * The row's text with "%h" replaced by host and "%s" by arg (NULL as
 * nothing), cut to fit size.
 */
static void
fill(char *dst, size_t size, const char *text, const char *host,
    const char *arg)
{
	const char *add;
	size_t o = 0, n;
	char one;

	for (; *text != '\0' && o + 1 < size; text++) {
		if (text[0] == '%' && (text[1] == 'h' || text[1] == 's')) {
			add = *++text == 'h' ? host : arg;
			add = add != NULL ? add : "";
			n = strlen(add);
		} else {
			one = *text;
			add = &one;
			n = 1;
		}
		if (n > size - 1 - o)
			n = size - 1 - o;
		memcpy(dst + o, add, n);
		o += n;
	}
	dst[o] = '\0';
}

/*
 * One line of reply id into buf, CR LF included, with "-" after the
 * code when more lines follow.  The text is cut to keep the line within
 * REPLY_LINE_MAX.  Returns its length (size must be REPLY_LINE_MAX + 1
 * or more).
 */
int
reply_format(char *buf, size_t size, enum reply_id id, const char *host,
    const char *arg, int more)
{
	const struct reply_text *r = &reply_table[id];
	char text[REPLY_LINE_MAX];
	int n;

	fill(text, sizeof(text), r->text, host, arg);
	n = snprintf(buf, size, "%d%c%s%s%.*s\r\n", r->code, more ? '-' : ' ',
	    r->esc != NULL ? r->esc : "", r->esc != NULL ? " " : "",
	    REPLY_LINE_MAX - 12, text);
	return n < 0 ? 0 : (size_t)n < size ? n : (int)size - 1;
}

/*
 * The reason a log line gives for reply id: its name in reply.h in
 * lower case without "R_" ("unknown_user" for R_UNKNOWN_USER), so
 * the table is its documentation.  Static storage, rewritten by each
 * call.
 */
const char *
reply_reason(enum reply_id id)
{
	static char buf[48];
	const char *name = id < R_COUNT ? reply_names[id] + 2 : "none";
	size_t i;

	for (i = 0; name[i] != '\0' && i + 1 < sizeof(buf); i++)
		buf[i] = name[i] >= 'A' && name[i] <= 'Z' ?
		    (char)(name[i] - 'A' + 'a') : name[i];
	buf[i] = '\0';
	return buf;
}
