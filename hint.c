/* ISC license. */
/*
 * The texts of terminal hints and where they are written.  A hint is
 * one line on stderr, marked "hint:" so it cannot be mistaken for a
 * reply.  smtpd.c decides whether hints are shown at all (stdin and
 * stderr both terminals); session.c decides when.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hint.h"
#include "util.h"

struct hint_text {
	enum reply_id	 id;
	const char	*en;
	const char	*ja;
};

static int	shell_word(char *, size_t, const char *);

static const struct hint_text texts[] = {
	{ R_HELO,
	    "Hello done.  Next, the sender: MAIL FROM:<you@example.org>",
	    "挨拶できました。次は差出人: MAIL FROM:<you@example.org>" },
	{ R_SENDER_OK,
	    "Sender set.  Next, a recipient: RCPT TO:<them@example.org>",
	    "差出人を設定しました。次は宛先: RCPT TO:<them@example.org>" },
	{ R_RCPT_OK,
	    "Recipient added.  Another RCPT TO:<...>, or DATA to write the "
	    "message",
	    "宛先を追加しました。宛先を増やすなら RCPT TO:<...>、"
	    "本文を書くなら DATA" },
	{ R_DATA_GO,
	    "Type the headers, an empty line, the body, then a line with "
	    "only . to end",
	    "ヘッダ、空行、本文の順に入力し、最後に「.」だけの行で終わります" },
	{ R_DATA_OK,
	    "Accepted.  Another MAIL FROM:<...> for a new message, or QUIT",
	    "受け付けました。もう1通なら MAIL FROM:<...>、終わるなら QUIT" },
	{ R_RSET,
	    "Transaction forgotten.  Start again with MAIL FROM:<...>",
	    "取り消しました。MAIL FROM:<...> からやり直せます" },
	{ R_NOOP, "Nothing done; the server is listening",
	    "何もしません。サーバは応答しています" },
	{ R_QUIT, "Session over.  Look at the mailbox to see the message",
	    "おしまいです。メールボックスを見て届いたメールを確かめましょう" },
	{ R_HELP, "HELP MAIL (or any command) shows its syntax and an example",
	    "HELP MAIL のようにコマンド名を付けると書式と例が出ます" },
	{ R_VRFY, "252: this server never says whether a mailbox exists",
	    "252: このサーバはメールボックスの有無を答えません" },
	{ R_NEED_HELO, "Say hello first: HELO your.host.name",
	    "まず挨拶: HELO your.host.name" },
	{ R_NEED_MAIL, "Give the sender first: MAIL FROM:<you@example.org>",
	    "先に差出人を: MAIL FROM:<you@example.org>" },
	{ R_NEED_RCPT, "Give a recipient first: RCPT TO:<them@example.org>",
	    "先に宛先を: RCPT TO:<them@example.org>" },
	{ R_NESTED_MAIL,
	    "The sender is set: go on with RCPT TO:<...>, or RSET to start "
	    "over",
	    "差出人は設定済みです。RCPT TO:<...> へ進むか、RSET でやり直し" },
	{ R_UNKNOWN, "Not a command; HELP lists them",
	    "コマンドではありません。HELP で一覧が出ます" },
	{ R_UNKNOWN_GUESS, "Not a command; retype it as the reply suggests",
	    "コマンドではありません。応答の案のとおりに打ち直しましょう" },
	{ R_UNKNOWN_GLUED, "A space must follow the command name",
	    "コマンド名の後には空白が必要です" },
	{ R_TOO_MANY_ERRORS, "Too many errors; start smtpd again",
	    "エラーが多すぎます。smtpd をもう一度起動してください" },
	{ R_NONE, NULL, NULL }
};

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
 * What reply id means and what to type next; for ids without a text of
 * their own, what their class means (RFC 5321 4.2.1).
 */
const char *
hint_after(enum reply_id id, enum hint_lang lang)
{
	const struct hint_text *h;
	int code;

	for (h = texts; h->id != R_NONE; h++)
		if (h->id == id)
			return lang == HINT_JA ? h->ja : h->en;
	if (id >= R_COUNT)
		return NULL;
	code = reply_table[id].code;
	if (code >= 500)
		return lang == HINT_JA ?
		    "5xx は拒否: 応答を読んで直し、打ち直しましょう" :
		    "5xx is a refusal: read the reply, fix the line, type it again";
	if (code >= 400)
		return lang == HINT_JA ? "4xx は一時的な失敗: 後でもう一度" :
		    "4xx is a temporary failure: try again later";
	return lang == HINT_JA ? "2xx は成功です" : "2xx means done";
}

/*
 * src as one shell word: as it is when it holds only characters no
 * shell treats specially, else in single quotes (a quote inside as
 * '\'').  -1 when it does not fit.
 */
static int
shell_word(char *dst, size_t size, const char *src)
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
	if (shell_word(quoted, sizeof(quoted), where) == -1)
		return -1;
	switch (method) {
	case METHOD_MBOX:
		n = snprintf(buf, size, lang == HINT_JA ?
		    "メッセージは %s に保存されました。見るには: cat %s" :
		    "The message is stored in %s.  Look at it with: cat %s",
		    where, quoted);
		break;
	case METHOD_MAILDIR:
		n = snprintf(buf, size, lang == HINT_JA ?
		    "メッセージは %s/new に1ファイルで保存されました。"
		    "見るには: ls %s/new" :
		    "The message is a file in %s/new.  List them with: "
		    "ls %s/new", where, quoted);
		break;
	default:
		n = snprintf(buf, size, lang == HINT_JA ?
		    "メッセージは %s の標準入力に渡され、正常終了しました" :
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
	char line[600];
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
