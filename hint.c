/* ISC license. */
/*
 * Terminal hints: their language, the greeting's and the delivery's
 * words, and where they are written (the words after each reply are
 * hint_text.c's).  A hint is one line on stderr, marked "hint:" so it
 * cannot be mistaken for a reply.  smtpd.c decides whether hints are shown at all (stdin and
 * stderr both terminals); session.c decides when.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hint.h"
#include "util.h"

/*
 * The language of hints from the POSIX locale variables, first set one
 * winning: Japanese for ja, ja_JP.UTF-8 and the like, else English.
 */
enum hint_lang
hint_language(const char *lc_all, const char *lc_messages, const char *lang)
{
	const char *v = NULL;

	if (lc_all != NULL && *lc_all != '\0')
		v = lc_all;
	else if (lc_messages != NULL && *lc_messages != '\0')
		v = lc_messages;
	else if (lang != NULL && *lang != '\0')
		v = lang;
	if (v != NULL && strncmp(v, "ja", 2) == 0 &&
	    (v[2] == '\0' || v[2] == '_' || v[2] == '.' || v[2] == '@'))
		return HINT_JA;
	return HINT_EN;
}

/* The first hint: how to start (LHLO in LMTP mode, RFC 2033 4.1). */
const char *
hint_greeting(enum hint_lang lang, int lmtp)
{
	if (lmtp)
		return lang == HINT_JA ?
		    "LHLO your.host.name で始めます (HELP でコマンド一覧、"
		    "QUIT で終了)" :
		    "Start with LHLO your.host.name (HELP lists the commands, "
		    "QUIT leaves)";
	return lang == HINT_JA ?
	    "HELO your.host.name で始めます (HELP でコマンド一覧、QUIT で終了)" :
	    "Start with HELO your.host.name (HELP lists the commands, QUIT "
	    "leaves)";
}

/*
 * src as one shell word: as it is when it holds only characters no
 * shell treats specially, else in single quotes (a quote inside as
 * '\'').  -1 when it does not fit.
 */
int
hint_shell_word(char *dst, size_t size, const char *src)
{
	size_t o = 0;
	const char *p;

	if (src[strspn(src, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789._/+-,:@%=")] == '\0' && *src != '\0')
		return util_strlcpy(dst, src, size);
	if (size < 3)
		return -1;
	dst[o++] = '\'';
	for (p = src; *p != '\0'; p++) {
		if (o + 6 >= size)
			return -1;
		if (*p == '\'') {
			memcpy(dst + o, "'\\''", 4);
			o += 4;
		} else
			dst[o++] = *p;
	}
	dst[o++] = '\'';
	dst[o] = '\0';
	return 0;
}

/*
 * Where an accepted message went (where: the first recipient's mailbox,
 * or the pipe program) and how to look at it.  Returns -1 when it does
 * not fit in buf.
 */
int
hint_stored(char *buf, size_t size, enum method_id method, const char *where,
    enum hint_lang lang)
{
	char quoted[1100];
	int n;

	/* the path comes from a recipient address: a learner will paste
	 * the command into a shell, so it must stay one quoted word */
	if (hint_shell_word(quoted, sizeof(quoted), where) == -1)
		return -1;
	switch (method) {
	case METHOD_MBOX:
		n = snprintf(buf, size, lang == HINT_JA ?
		    "メールは %s に保存されました。見るには: cat %s" :
		    "The message is stored in %s.  Look at it with: cat %s",
		    where, quoted);
		break;
	case METHOD_MAILDIR:
		n = snprintf(buf, size, lang == HINT_JA ?
		    "メールは %s/new に1ファイルで保存されました。"
		    "見るには: ls %s/new" :
		    "The message is a file in %s/new.  List them with: "
		    "ls %s/new", where, quoted);
		break;
	default:
		n = snprintf(buf, size, lang == HINT_JA ?
		    "メールは %s の標準入力に渡され、正常終了しました" :
		    "The message went to %s on its standard input, which "
		    "exited 0", where);
		break;
	}
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* One line on fd, marked as a hint; a failed write is not retried. */
void
hint_write(int fd, enum hint_lang lang, const char *text)
{
	char line[1024];
	int n;

	if (fd < 0 || text == NULL)
		return;
	n = snprintf(line, sizeof(line), "%s%s\n",
	    lang == HINT_JA ? "ヒント: " : "hint: ", text);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = (int)sizeof(line) - 1;
	(void)util_write_all(fd, line, (size_t)n);
}
