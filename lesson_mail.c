/* ISC license. */
/*
 * The end of a lesson: each message stored during it, read back from
 * its mbox and shown on stderr, with notes on what the learner typed
 * and what smtpd added: Return-Path (the envelope sender) against the
 * From: header, the Received line built from the HELO name, and one
 * copy per recipient.  Bytes that could drive the terminal are shown
 * as "?", and a long message is cut after MAIL_LINES_SHOWN lines.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lesson_priv.h"
#include "util.h"

#define MAIL_LINES_SHOWN	40
#define FIELD_MAX		256

/* What the notes quote from one stored message. */
struct mail_fields {
	char	return_path[FIELD_MAX];
	char	from[FIELD_MAX];	/* the From: header, or "" */
	char	helo[FIELD_MAX];	/* Received: from WORD */
};

static size_t	read_line(FILE *, char *, size_t);
static off_t	message_start(FILE *, off_t);
static FILE	*open_message(const struct lesson_copy *, off_t *);
static size_t	utf8_char(const unsigned char *);
static void	field_after(char *, const char *, size_t);
static void	take_fields(struct mail_fields *, const char *, int);
static int	show_one(enum hint_lang, const struct lesson_copy *,
		    struct mail_fields *);
static void	notes(enum hint_lang, const struct mail_fields *,
		    const struct lesson_copy *, size_t);

/*
 * One line of f into buf, cut to fit and without its newline.  Returns
 * the octets it took from f, 0 at the end.
 */
static size_t
read_line(FILE *f, char *buf, size_t size)
{
	size_t n = 0, took = 0;
	int c;

	while ((c = getc(f)) != EOF) {
		took++;
		if (c == '\n')
			break;
		if (n + 1 < size)
			buf[n++] = (char)c;
	}
	buf[n] = '\0';
	return took;
}

/*
 * Where the message that ends at end begins: its "From " line, the
 * last before end (mboxrd has turned every such line of a body into
 * ">From ", mboxrd.c).
 */
static off_t
message_start(FILE *f, off_t end)
{
	char line[8];
	off_t at = 0, start = 0;
	size_t took;

	while (at < end && (took = read_line(f, line, sizeof(line))) > 0) {
		if (strncmp(line, "From ", 5) == 0)
			start = at;
		at += (off_t)took;
	}
	return start;
}

/*
 * The mailbox of copy c open for reading, at the start of its message
 * (*at the offset), or NULL.
 */
static FILE *
open_message(const struct lesson_copy *c, off_t *at)
{
	FILE *f;
	int fd;

	if ((fd = open(c->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return NULL;
	if ((f = fdopen(fd, "r")) == NULL) {
		close(fd);
		return NULL;
	}
	*at = message_start(f, c->end);
	if (fseeko(f, *at, SEEK_SET) == -1) {
		fclose(f);
		return NULL;
	}
	return f;
}

/*
 * The length of the UTF-8 character at p (RFC 3629 4: no overlong
 * form, no surrogate, nothing past U+10FFFF), or 0 when there is none
 * or it is a C1 control (U+0080 to U+009F), which a terminal may obey.
 */
static size_t
utf8_char(const unsigned char *p)
{
	size_t n, i;
	unsigned long c;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, c = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, c = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, c = p[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 ||
	    c > 0x10ffff)) || (c >= 0xd800 && c <= 0xdfff) || c <= 0x9f)
		return 0;
	return n;
}

/*
 * src for the screen, into dst: a tab as spaces to the next multiple
 * of 8, other control characters (C0, DEL, C1) and octets that are no
 * UTF-8 as "?", since the screen is the learner's and the mail, a path
 * or a header need not be.
 */
void
lesson_printable(char *dst, size_t size, const char *src)
{
	const unsigned char *p = (const unsigned char *)src;
	size_t o = 0, n;

	while (*p != '\0' && o + 1 < size) {
		n = utf8_char(p);
		if (*p == '\t') {
			do
				dst[o++] = ' ';
			while (o % 8 != 0 && o + 1 < size);
			p++;
		} else if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			dst[o++] = '?';		/* a C1 control, whole */
			p += 2;
		} else if (n == 0 || *p < 0x20 || *p == 0x7f) {
			dst[o++] = '?';
			p++;
		} else if (o + n < size) {
			memcpy(dst + o, p, n);
			o += n;
			p += n;
		} else
			break;
	}
	dst[o] = '\0';
}

/* dst: line after its first len octets and any blanks. */
static void
field_after(char *dst, const char *line, size_t len)
{
	line += strnlen(line, len);	/* len, which the caller matched */
	while (*line == ' ' || *line == '\t')
		line++;
	lesson_printable(dst, FIELD_MAX, line);	/* cut: a note only */
}

static void
take_fields(struct mail_fields *m, const char *line, int in_header)
{
	if (!in_header)
		return;
	if (strncasecmp(line, "Return-Path:", 12) == 0)
		field_after(m->return_path, line, 12);
	else if (strncasecmp(line, "Received: from ", 15) == 0 &&
	    m->helo[0] == '\0') {
		field_after(m->helo, line, 15);
		m->helo[strcspn(m->helo, " ")] = '\0';
	} else if (strncasecmp(line, "From:", 5) == 0 && m->from[0] == '\0')
		field_after(m->from, line, 5);
}

/* The stored message of copy c, line by line.  -1: it cannot be read. */
static int
show_one(enum hint_lang lang, const struct lesson_copy *c,
    struct mail_fields *m)
{
	char line[1024], screen[1100];
	FILE *f;
	off_t at;
	size_t took, shown = 0;
	int in_header = 1;

	memset(m, 0, sizeof(*m));
	if ((f = open_message(c, &at)) == NULL)
		return -1;
	lesson_sayf(lang, LESSON_T(lang, "--- mail %u, in %s:",
	    "--- メール %u (%s):"), c->message, c->shown);
	while (at < c->end && (took = read_line(f, line, sizeof(line))) > 0) {
		at += (off_t)took;
		if (line[0] == '\0' && at >= c->end)
			break;	/* the empty line mbox puts after a mail */
		if (line[0] == '\0')
			in_header = 0;
		take_fields(m, line, in_header);
		if (shown++ == MAIL_LINES_SHOWN)
			lesson_say(lang, "  | ", "...");
		if (shown <= MAIL_LINES_SHOWN) {
			lesson_printable(screen, sizeof(screen), line);
			lesson_say(lang, "  | ", screen);
		}
	}
	fclose(f);
	return 0;
}

/*
 * Whether the message of copy c holds lines[0..n) after the lines smtpd
 * added (From_, Return-Path, Received), each compared loosely: 1 when
 * it does, 0 when not, with *at the first line that differs (n: the
 * message has more), -1 when it cannot be read.  The lesson's lines
 * are as typed, so a leading dot is taken off (RFC 5321 4.5.2) and
 * mboxrd's ">" before "From " put back.
 */
int
lesson_mail_matches(const struct lesson_copy *c,
    const struct lesson_line *lines, size_t n, size_t *at)
{
	char line[1024];
	const char *text, *want;
	FILE *f;
	off_t pos;
	size_t took, i = 0, seen = 0;
	int trace = 1;

	if ((f = open_message(c, &pos)) == NULL)
		return -1;
	while (pos < c->end && (took = read_line(f, line, sizeof(line))) > 0) {
		pos += (off_t)took;
		if (seen++ == 0 || (trace && (line[0] == '\t' ||
		    strncmp(line, "Return-Path:", 12) == 0 ||
		    strncmp(line, "Received:", 9) == 0)))
			continue;	/* smtpd's, not typed */
		trace = 0;
		if (line[0] == '\0' && pos >= c->end)
			break;	/* the empty line mbox puts after a mail */
		text = line[0] == '>' && strncmp(line + strspn(line, ">"),
		    "From ", 5) == 0 ? line + 1 : line;
		want = i < n ? lines[i].text : NULL;
		if (want != NULL && want[0] == '.')
			want++;
		if (want == NULL || !lesson_same_line(text, want))
			break;
		i++;
	}
	fclose(f);
	*at = i;
	return i == n && pos >= c->end;
}

/* The notes under one message; copies[0..n) are all of its copies. */
static void
notes(enum hint_lang lang, const struct mail_fields *m,
    const struct lesson_copy *copies, size_t n)
{
	size_t i;

	lesson_say(lang, "  * ", LESSON_T(lang,
	    "The first line, \"From sender date\", only separates mails in "
	    "the mbox; it is no header.",
	    "1行目の「From 差出人 日付」は mbox の中でメールを区切る行で、"
	    "ヘッダではありません。"));
	if (m->from[0] != '\0')
		lesson_sayf(lang, LESSON_T(lang,
		    "  * Return-Path: %s is the envelope sender, your MAIL "
		    "FROM; From: %s is the header you typed after DATA.  A mail "
		    "reader shows From:; error mails go to Return-Path.",
		    "  * Return-Path: %s はエンベロープの差出人 (MAIL FROM) "
		    "です。From: %s は DATA の後に入力したヘッダです。"
		    "メールソフトが表示するのは From:、エラーメールが返るのは "
		    "Return-Path です。"), m->return_path, m->from);
	else
		lesson_sayf(lang, LESSON_T(lang,
		    "  * Return-Path: %s is the envelope sender, your MAIL "
		    "FROM.  There is no From: header: only the envelope says "
		    "who sent it.",
		    "  * Return-Path: %s はエンベロープの差出人 (MAIL FROM) "
		    "です。From: ヘッダはありません。差出人を示すのはエンベロープ"
		    "だけです。"), m->return_path);
	if (m->helo[0] != '\0')
		lesson_sayf(lang, LESSON_T(lang,
		    "  * Received: from %s: smtpd wrote this line itself, with "
		    "the name you gave HELO, unchecked; \"(stdin)\" stands where "
		    "a server on the network writes the client's address.",
		    "  * Received: from %s: この行は smtpd 自身が書きました。"
		    "HELO で名乗った名前をそのまま (確かめずに) 使います。"
		    "「(stdin)」の所には、ネットワーク上のサーバならクライアントの"
		    "アドレスが入ります。"), m->helo);
	if (n == 1) {
		lesson_say(lang, "  * ", LESSON_T(lang,
		    "One copy: the mail had one recipient (RCPT TO).",
		    "1通だけ: 宛先 (RCPT TO) が1つでした。"));
		return;
	}
	lesson_sayf(lang, LESSON_T(lang,
	    "  * %zu copies, one per RCPT TO, whatever the To: header says:",
	    "  * %zu 通: To: ヘッダに関係なく、RCPT TO 1つにつき1通:"), n);
	for (i = 0; i < n; i++)
		lesson_say(lang, "      ", copies[i].shown);
}

/*
 * Each message stored during the lesson, from its first copy, and the
 * notes; copies[0..n) in the order they were stored.
 */
void
lesson_mail_show(enum hint_lang lang, const struct lesson_copy *copies,
    size_t n)
{
	struct mail_fields m;
	size_t i, k;

	lesson_say(lang, "", LESSON_T(lang,
	    "The mail stored during the lesson, as it is on disk:",
	    "レッスン中に保存されたメール (ディスク上のとおり):"));
	for (i = 0; i < n; i = k) {
		for (k = i + 1; k < n && copies[k].message == copies[i].message;
		    k++)
			continue;
		if (show_one(lang, &copies[i], &m) == -1) {
			lesson_sayf(lang, LESSON_T(lang,
			    "--- mail %u: %s cannot be read now",
			    "--- メール %u: %s を読めません"),
			    copies[i].message, copies[i].shown);
			continue;
		}
		notes(lang, &m, copies + i, k - i);
	}
	lesson_say(lang, "", LESSON_T(lang,
	    "Read them again with: cat FILE (or s-nail -f FILE, mutt -f FILE)",
	    "もう一度見るには: cat ファイル (または s-nail -f ファイル、"
	    "mutt -f ファイル)"));
}
