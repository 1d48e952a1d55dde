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

static size_t	fill(char *, size_t, const char *, const char *,
		    const char *);
static size_t	put(char *, size_t, size_t, const char *, size_t);

/*
 * The row's text with "%h" replaced by host and "%s" by arg (NULL as
 * nothing), cut to fit size; its length.  Literal runs go in one copy:
 * several replies a message are formatted (docs/performance.md, b).
 */
static size_t
fill(char *dst, size_t size, const char *text, const char *host,
    const char *arg)
{
	const char *add;
	size_t o = 0, n;

	while (*text != '\0' && o + 1 < size) {
		if (text[0] == '%' && (text[1] == 'h' || text[1] == 's')) {
			add = text[1] == 'h' ? host : arg;
			add = add != NULL ? add : "";
			n = strlen(add);
			text += 2;
		} else {
			add = text;
			n = 1 + strcspn(text + 1, "%");
			text += n;
		}
		if (n > size - 1 - o)
			n = size - 1 - o;
		memcpy(dst + o, add, n);
		o += n;
	}
	dst[o] = '\0';
	return o;
}

/* Append p[0..n) at o in buf of size octets, cut to keep its NUL. */
static size_t
put(char *buf, size_t size, size_t o, const char *p, size_t n)
{
	if (o + 1 >= size)
		return o;
	if (n > size - 1 - o)
		n = size - 1 - o;
	memcpy(buf + o, p, n);
	return o + n;
}

/*
 * One line of reply id into buf, CR LF included, with "-" after the
 * code when more lines follow.  The text is cut to keep the line within
 * REPLY_LINE_MAX.  Returns its length (size must be REPLY_LINE_MAX + 1
 * or more).  Built by hand, not by snprintf(3), which cost a message in
 * a pipelined session some 2,000 instructions a reply.
 */
int
reply_format(char *buf, size_t size, enum reply_id id, const char *host,
    const char *arg, int more)
{
	const struct reply_text *r = &reply_table[id];
	char code[24];
	size_t o, n = sizeof(code), room;
	unsigned int v = r->code < 0 ? 0 : (unsigned int)r->code;

	do
		code[--n] = (char)('0' + v % 10);
	while ((v /= 10) > 0 && n > 0);
	o = put(buf, size, 0, code + n, sizeof(code) - n);
	o = put(buf, size, o, more ? "-" : " ", 1);
	if (r->esc != NULL) {
		o = put(buf, size, o, r->esc, strlen(r->esc));
		o = put(buf, size, o, " ", 1);
	}
	room = size - 1 - o < REPLY_LINE_MAX - 12 ? size - 1 - o :
	    REPLY_LINE_MAX - 12;
	o += fill(buf + o, room + 1, r->text, host, arg);
	o = put(buf, size, o, "\r\n", 2);
	buf[o] = '\0';
	return (int)o;
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
