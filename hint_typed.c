/* ISC license. */
/*
 * Hints about what was typed rather than about the reply: a command
 * line that holds bytes a person did not mean to send.  Arrow keys and
 * other special keys put control characters and escape sequences into
 * the line (the left arrow is ESC [ D, shown as ^[[D); a Japanese input
 * method left in full-width mode types U+3000 for a space and U+FF01 to
 * U+FF5E for ASCII ! to ~ (：＜＞＠, Ａ, １).  Either makes the reply
 * point the wrong way ("put a space after HELO", "needs SMTPUTF8"), so
 * the hint names the character instead.
 */
#include <stdio.h>
#include <string.h>

#include "hint.h"

#define SHOWN_MAX	24	/* octets of control characters shown */

static size_t	caret_form(char *, size_t, const char *);
static int	full_width_at(const unsigned char *, unsigned *);
static int	control_hint(char *, size_t, const char *, enum hint_lang);
static int	full_width_hint(char *, size_t, const char *, enum hint_lang);

/*
 * The control characters of line as a terminal shows them (ESC as ^[,
 * with the rest of an escape sequence after it), into buf; how many
 * octets were written.
 */
static size_t
caret_form(char *buf, size_t size, const char *line)
{
	const unsigned char *p = (const unsigned char *)line;
	size_t o = 0;
	int in_seq = 0;

	for (; *p != '\0' && o + 4 < size && o < SHOWN_MAX; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			buf[o++] = '^';
			buf[o++] = (char)(*p ^ 0x40);
			in_seq = *p == 0x1b;
		} else if (in_seq && *p < 0x80) {
			/* ESC [ params final: the final is a letter or ~ */
			buf[o++] = (char)*p;
			if ((*p >= '@' && *p <= '~' && *p != '[') || *p == ' ')
				in_seq = 0;
		} else if (o > 0 && buf[o - 1] != ' ')
			buf[o++] = ' ';
	}
	while (o > 0 && buf[o - 1] == ' ')
		o--;
	buf[o] = '\0';
	return o;
}

/*
 * Whether p starts the UTF-8 of a full-width character: U+3000 (the
 * ideographic space) or U+FF01 to U+FF5E (full-width ASCII); *ascii is
 * the character it stands for.
 */
static int
full_width_at(const unsigned char *p, unsigned *ascii)
{
	unsigned cp;

	if (p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80) {
		*ascii = ' ';
		return 1;
	}
	if (p[0] != 0xef || (p[1] != 0xbc && p[1] != 0xbd) ||
	    (p[2] & 0xc0) != 0x80)
		return 0;
	cp = 0xf000 | ((unsigned)(p[1] & 0x3f) << 6) | (p[2] & 0x3f);
	if (cp < 0xff01 || cp > 0xff5e)
		return 0;
	*ascii = cp - 0xfee0;
	return 1;
}

static int
control_hint(char *buf, size_t size, const char *line, enum hint_lang lang)
{
	char shown[SHOWN_MAX + 8];
	int n;

	if (caret_form(shown, sizeof(shown), line) == 0)
		return 0;
	n = snprintf(buf, size, lang == HINT_JA ?
	    "制御文字が入っています (%s)。矢印キーなどの特殊キーが送る文字で、"
	    "見えなくても行の一部になります。訂正は Backspace だけにして、"
	    "打ち直しましょう" :
	    "the line holds control characters (%s): arrow keys and other "
	    "special keys send them, and they become part of the line even "
	    "when unseen.  Type it again, correcting with Backspace only",
	    shown);
	return n >= 0 && (size_t)n < size;
}

static int
full_width_hint(char *buf, size_t size, const char *line,
    enum hint_lang lang)
{
	const unsigned char *p = (const unsigned char *)line;
	unsigned ascii = 0;
	int n, before;

	for (; *p != '\0'; p++)
		if (full_width_at(p, &ascii))
			break;
	if (*p == '\0')
		return 0;
	before = (int)(p - (const unsigned char *)line);
	if (before > 20)
		before = 20;
	while (before > 0 && (p[-before] & 0xc0) == 0x80)
		before--;	/* not from inside a UTF-8 character */
	if (before == 0)	/* "after" what? the line's start */
		return snprintf(buf, size, lang == HINT_JA ?
		    "全角文字が入っています: 行頭の「%.*s」(U+%04X) は半角の「%c」に。"
		    "入力モードを半角英数字にして打ち直しましょう" :
		    "full-width characters in the line: the line begins with "
		    "the full-width \"%.*s\" (U+%04X), which must be the ASCII "
		    "\"%c\".  Switch the input method to half-width (ASCII) and "
		    "type it again", 3, (const char *)p, ascii == ' ' ? 0x3000 :
		    ascii + 0xfee0, (int)ascii) > 0;
	if (ascii == ' ')
		n = snprintf(buf, size, lang == HINT_JA ?
		    "全角文字が入っています: 「%.*s」の後の全角の空白 (U+3000) は"
		    "半角の空白に。入力モードを半角英数字にして打ち直しましょう" :
		    "full-width characters in the line: the full-width space "
		    "(U+3000) after \"%.*s\" must be an ASCII space.  Switch the "
		    "input method to half-width (ASCII) and type it again",
		    before, (const char *)p - before);
	else if (lang == HINT_JA)
		n = snprintf(buf, size, "全角文字が入っています: 「%.*s」の後の"
		    "全角の「%.3s」(U+%04X) は半角の「%c」に。入力モードを半角英数字"
		    "にして打ち直しましょう", before, (const char *)p - before,
		    (const char *)p, ascii + 0xfee0, (int)ascii);
	else
		n = snprintf(buf, size, "full-width characters in the line: "
		    "the full-width \"%.3s\" (U+%04X) after \"%.*s\" must be "
		    "the ASCII \"%c\".  Switch the input method to half-width "
		    "(ASCII) and type it again", (const char *)p,
		    ascii + 0xfee0, before, (const char *)p - before,
		    (int)ascii);
	return n >= 0 && (size_t)n < size;
}

/*
 * A hint about the typed line, into buf: its control characters, else
 * its first full-width character.  1 when there is one, else 0.
 */
int
hint_typed(char *buf, size_t size, const char *line, enum hint_lang lang)
{
	if (line == NULL)
		return 0;
	return control_hint(buf, size, line, lang) ||
	    full_width_hint(buf, size, line, lang);
}
