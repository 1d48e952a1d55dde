/* ISC license. */
/*
 * What each reply means to a person typing at smtpd in a terminal, in
 * English and Japanese: one specific line per reply (smtpd -v), and for
 * a refusal or a failure what its code means, in the words of the
 * tutorial table the project's learners read (seed 001: "501 引数の文法に
 * 間違いがある"), which are RFC 821's in English.  hint.c writes them.
 */
#include <stdio.h>

#include "hint.h"

struct hint_text {
	enum reply_id	 id;
	const char	*en;
	const char	*ja;
};

struct code_meaning {
	int		 code;
	const char	*en;
	const char	*ja;
};

/* The tutorial's table (RFC 821 4.2.1 in English); 252, 530 and 555
 * came later (RFC 5321 4.2.3, RFC 3207 4) and are worded alike. */
static const struct code_meaning meanings[] = {
	{ 421, "Service not available, closing transmission channel",
	    "サービスは利用不能。接続を閉じる" },
	{ 451, "Requested action aborted: local error in processing",
	    "処理中にエラーが発生。要求された処理は失敗" },
	{ 452, "Requested action not taken: insufficient system storage",
	    "記憶装置の空き領域が不十分なため、要求された処理は実行不能" },
	{ 500, "Syntax error, command unrecognized",
	    "文法に間違いがあるため、コマンドが理解できない" },
	{ 501, "Syntax error in parameters or arguments",
	    "引数の文法に間違いがある" },
	{ 502, "Command not implemented",
	    "指示されたコマンドはこのシステムには実装されていない" },
	{ 503, "Bad sequence of commands",
	    "コマンドの発行順序が間違っている" },
	{ 504, "Command parameter not implemented",
	    "コマンドの引数が未定義" },
	{ 530, "Must issue a STARTTLS command first",
	    "先に STARTTLS が必要" },
	{ 550, "Requested action not taken: mailbox unavailable",
	    "メールボックスが利用できないため、要求された処理は実行不能" },
	{ 552, "Requested mail action aborted: exceeded storage allocation",
	    "ディスク不足のため、要求された処理は実行不能" },
	{ 553, "Requested action not taken: mailbox name not allowed",
	    "メールボックスの名前が不適切なため、要求された処理は実行不能" },
	{ 554, "Transaction failed", "処理失敗" },
	{ 555, "MAIL FROM/RCPT TO parameters not recognized",
	    "MAIL FROM/RCPT TO の引数が認識できない" },
	{ 0, NULL, NULL }
};

/* Every reply a command can end with; the EHLO keyword lines never do. */
static const struct hint_text texts[] = {
	{ R_HELO,
	    "Hello done.  Next, the sender: MAIL FROM:<you@example.org>",
	    "挨拶できました。次は差出人: MAIL FROM:<you@example.org>" },
	{ R_QUIT, "Session over.  Look at the mailbox to see the message",
	    "おしまいです。メールボックスを見て届いたメールを確かめましょう" },
	{ R_TIMEOUT,
	    "nothing was typed for -t seconds, so the session ended; an "
	    "unfinished message was not kept.  Start smtpd again",
	    "-t の秒数のあいだ入力がなかったので終了しました。書きかけのメールは"
	    "残っていません。smtpd を起動し直しましょう" },
	{ R_TOO_SLOW,
	    "the message came in more slowly than -t allows, so the session "
	    "ended; it was not kept.  Start smtpd again",
	    "メールの届き方が -t の許す速さより遅かったので終了しました。"
	    "メールは残っていません。smtpd を起動し直しましょう" },
	{ R_TOO_MANY_ERRORS,
	    "20 refused commands ended the session.  Start smtpd again",
	    "拒否されたコマンドが20回になったので終了しました。smtpd を起動し"
	    "直しましょう" },
	{ R_SHUTDOWN,
	    "smtpd could not go on, for a reason on this machine, not in "
	    "what you typed (the log says which).  Start smtpd again",
	    "入力のせいではなく、このマシンの問題で続けられなくなりました"
	    " (理由はログにあります)。smtpd を起動し直しましょう" },
	{ R_STOPPING,
	    "smtpd was told to stop (SIGTERM).  Start it again",
	    "smtpd に停止の指示 (SIGTERM) が来ました。起動し直しましょう" },
	{ R_NOOP, "Nothing done; the server is listening",
	    "何もしません。サーバは応答しています" },
	{ R_RSET, "Transaction forgotten.  Start again with MAIL FROM:<...>",
	    "取り消しました。MAIL FROM:<...> からやり直せます" },
	{ R_VRFY, "252: this server never says whether a mailbox exists",
	    "252: このサーバはメールボックスの有無を答えません" },
	{ R_EXPN,
	    "EXPN is switched off here on purpose (it would show who is on "
	    "a list).  Nothing to fix: go on with the next command",
	    "EXPN はここでは意図して止めてあります (リストの会員が見えてしまう"
	    "ため)。直すところはありません。次のコマンドへ進みましょう" },
	{ R_OBSOLETE,
	    "an RFC 821 command that RFC 5321 dropped.  Nothing to fix in "
	    "what you typed: go on with the next command",
	    "RFC 821 にあって RFC 5321 で廃止されたコマンドです。入力に直す"
	    "ところはありません。次のコマンドへ進みましょう" },
	{ R_NOT_OFFERED,
	    "a real extension that this server does not offer.  Nothing to "
	    "fix: go on with the next command",
	    "このサーバが提供していない拡張です。直すところはありません。"
	    "次のコマンドへ進みましょう" },
	{ R_TLS_GO,
	    "now TLS would begin, which nobody can type: Ctrl-D ends the "
	    "session",
	    "ここから TLS が始まりますが、手では打てません。Ctrl-D で終わります" },
	{ R_TLS_ACTIVE, "TLS is on already: go on with MAIL FROM:<...>",
	    "TLS はもう有効です。MAIL FROM:<...> へ進みましょう" },
	{ R_TLS_IN_TXN, "STARTTLS comes between messages: RSET first",
	    "STARTTLS はメールとメールの間で: 先に RSET" },
	{ R_TLS_REQUIRED,
	    "this smtpd takes mail only over TLS (-S), which a terminal "
	    "cannot do: start it without -S to practise",
	    "この smtpd は TLS 経由のメールしか受けません (-S)。端末では TLS を"
	    "使えないので、-S なしで起動し直しましょう" },
	{ R_UNKNOWN, "not a command; HELP lists them",
	    "コマンドではありません。HELP で一覧が出ます" },
	{ R_UNKNOWN_GUESS, "not a command; retype it as the reply shows",
	    "コマンドではありません。応答が示すとおりに打ち直しましょう" },
	{ R_UNKNOWN_GLUED, "a space must follow the command name",
	    "コマンド名の後には空白が必要です" },
	{ R_LHLO_ONLY, "this is an LMTP server (-l): LHLO your.host.name",
	    "これは LMTP サーバです (-l): LHLO your.host.name" },
	{ R_LINE_TOO_LONG,
	    "the line had more than 512 octets and was thrown away whole: "
	    "type a shorter one",
	    "行が 512 オクテットを超えたので、まるごと捨てられました。短く"
	    "打ち直しましょう" },
	{ R_BAD_BYTES,
	    "the line held a NUL (Ctrl-@) or a lone CR (Ctrl-V Ctrl-M): "
	    "type it again without them",
	    "行に NUL (Ctrl-@) か単独の CR (Ctrl-V Ctrl-M) が入っていました。"
	    "それを除いて打ち直しましょう" },
	{ R_NEED_HELO, "say hello first: HELO your.host.name",
	    "まず挨拶: HELO your.host.name" },
	{ R_NEED_LHLO, "say hello first: LHLO your.host.name",
	    "まず挨拶: LHLO your.host.name" },
	{ R_NEED_MAIL, "give the sender first: MAIL FROM:<you@example.org>",
	    "先に差出人を: MAIL FROM:<you@example.org>" },
	{ R_NEED_RCPT, "give a recipient first: RCPT TO:<them@example.org>",
	    "先に宛先を: RCPT TO:<them@example.org>" },
	{ R_NESTED_MAIL,
	    "the sender is set: go on with RCPT TO:<...>, or RSET to start "
	    "over",
	    "差出人は設定済みです。RCPT TO:<...> へ進むか、RSET でやり直し" },
	{ R_SYNTAX_HELO,
	    "one word follows, the name of your host: HELO puni.net",
	    "後ろにはホスト名を1語: HELO puni.net" },
	{ R_SYNTAX_MAIL,
	    "the sender goes in angle brackets: MAIL FROM:<you@example.org>",
	    "差出人は <> で囲みます: MAIL FROM:<you@example.org>" },
	{ R_SYNTAX_RCPT,
	    "the recipient goes in angle brackets: RCPT TO:<them@example.org>",
	    "宛先は <> で囲みます: RCPT TO:<them@example.org>" },
	{ R_SYNTAX_VRFY, "an address follows: VRFY user@example.org",
	    "後ろにアドレス: VRFY user@example.org" },
	{ R_FROM_TYPO,
	    "after MAIL comes the word FROM and a colon: "
	    "MAIL FROM:<you@example.org>",
	    "MAIL の後は FROM とコロン: MAIL FROM:<you@example.org>" },
	{ R_TO_TYPO,
	    "after RCPT comes the word TO and a colon: "
	    "RCPT TO:<them@example.org>",
	    "RCPT の後は TO とコロン: RCPT TO:<them@example.org>" },
	{ R_MAIL_EMPTY,
	    "an address must follow FROM:, or <> for no sender",
	    "FROM: の後にアドレスを。差出人なしなら <>" },
	{ R_RCPT_EMPTY, "an address must follow TO:",
	    "TO: の後にアドレスを" },
	{ R_NO_ARGUMENT, "this command takes nothing after it: type it alone",
	    "このコマンドの後には何も付けません。コマンド名だけを" },
	{ R_BAD_SENDER,
	    "not an address of the form <user@domain>: look at the @, the "
	    "brackets and each character",
	    "<user@domain> の形になっていません。@、<>、文字を一つずつ"
	    "確かめましょう" },
	{ R_BAD_RCPT,
	    "not an address of the form <user@domain>: look at the @, the "
	    "brackets and each character",
	    "<user@domain> の形になっていません。@、<>、文字を一つずつ"
	    "確かめましょう" },
	{ R_BAD_SENDER_GUESS, "retype the address as the reply shows",
	    "応答が示すとおりにアドレスを打ち直しましょう" },
	{ R_BAD_RCPT_GUESS, "retype the address as the reply shows",
	    "応答が示すとおりにアドレスを打ち直しましょう" },
	{ R_RCPT_NO_DOMAIN,
	    "a recipient needs @ and a domain: <sakura@puni.net>",
	    "宛先には @ とドメインが必要: <sakura@puni.net>" },
	{ R_SENDER_NO_DOMAIN,
	    "a sender needs @ and a domain: <mimori@puni.net>, or <> for none",
	    "差出人には @ とドメインが必要: <mimori@puni.net>。なしなら <>" },
	{ R_NEED_UTF8,
	    "the address holds non-ASCII characters, which need SMTPUTF8 "
	    "after MAIL FROM:<...>",
	    "アドレスに ASCII 以外の文字があります。MAIL FROM:<...> の後に "
	    "SMTPUTF8 が必要です" },
	{ R_PARAM_UNKNOWN,
	    "this server does not know that parameter after the address: "
	    "leave it out",
	    "アドレスの後の引数をこのサーバは知りません。外しましょう" },
	{ R_PARAM_BAD,
	    "a parameter after the address has a wrong value or comes twice",
	    "アドレスの後の引数の値が違うか、2回あります" },
	{ R_PARAM_NEED_EHLO,
	    "parameters after the address need EHLO, not HELO, at the start",
	    "アドレスの後の引数を使うには、最初の挨拶を HELO でなく EHLO に" },
	{ R_SENDER_OK,
	    "Sender set.  Next, a recipient: RCPT TO:<them@example.org>",
	    "差出人を設定しました。次は宛先: RCPT TO:<them@example.org>" },
	{ R_RCPT_OK,
	    "Recipient added.  Another RCPT TO:<...>, or DATA to write the "
	    "message",
	    "宛先を追加しました。宛先を増やすなら RCPT TO:<...>、"
	    "本文を書くなら DATA" },
	{ R_RELAY_DENIED,
	    "this server takes mail only for its own domains (-d), it "
	    "relays nothing: pick a recipient there",
	    "このサーバは自分のドメイン (-d) 宛てしか受けず、中継はしません。"
	    "そのドメインの宛先にしましょう" },
	{ R_UNKNOWN_USER,
	    "no such mailbox here (-R or -M): pick a recipient that exists",
	    "そのメールボックスはここにありません (-R か -M)。ある宛先に"
	    "しましょう" },
	{ R_TABLE_UNREADABLE,
	    "the recipient table (-R) cannot be read, a problem on this "
	    "machine, not in what you typed: the log says why",
	    "宛先表 (-R) が読めません。入力ではなくこのマシンの問題です。"
	    "理由はログにあります" },
	{ R_TOO_MANY_UNKNOWN,
	    "too many unknown recipients ended the session.  Start smtpd "
	    "again",
	    "存在しない宛先が多すぎたので終了しました。smtpd を起動し直し"
	    "ましょう" },
	{ R_TOO_MANY_RCPTS,
	    "this message has as many recipients as allowed (-r): DATA now, "
	    "then the rest in a new MAIL FROM",
	    "宛先が上限 (-r) に達しました。ここで DATA に進み、残りは新しい "
	    "MAIL FROM で" },
	{ R_TOO_BIG,
	    "the message is larger than the -s limit; nothing was stored",
	    "メールが -s の上限より大きいので、何も保存されていません" },
	{ R_DATA_GO,
	    "Type the headers, an empty line, the body, then a line with "
	    "only . to end",
	    "ヘッダ、空行、本文の順に入力し、最後に「.」だけの行で終わります" },
	{ R_DATA_OK,
	    "Accepted.  Another MAIL FROM:<...> for a new message, or QUIT",
	    "受け付けました。もう1通なら MAIL FROM:<...>、終わるなら QUIT" },
	{ R_LMTP_DELIVERED, "Delivered to this recipient",
	    "この宛先に配送しました" },
	{ R_BARE_NEWLINE,
	    "the message held a lone CR (Ctrl-V Ctrl-M); nothing was stored",
	    "メールに単独の CR (Ctrl-V Ctrl-M) がありました。何も保存されて"
	    "いません" },
	{ R_NUL_IN_DATA,
	    "the message held a NUL octet (Ctrl-@); nothing was stored",
	    "メールに NUL (Ctrl-@) がありました。何も保存されていません" },
	{ R_CHUNK_OK, "Chunk taken: the next BDAT, or BDAT 0 LAST to end",
	    "受け取りました。次の BDAT か、BDAT 0 LAST で終わり" },
	{ R_SYNTAX_BDAT,
	    "BDAT needs its size in octets; without it the data cannot be "
	    "told from commands, so the session ends",
	    "BDAT にはオクテット数が必要です。ないとデータとコマンドの区別が"
	    "つかないので終了します" },
	{ R_DATA_AFTER_BDAT, "end this message with BDAT 0 LAST, or RSET",
	    "このメールは BDAT 0 LAST で終えるか、RSET で取り消し" },
	{ R_RCPT_AFTER_BDAT, "end this message with BDAT 0 LAST, or RSET",
	    "このメールは BDAT 0 LAST で終えるか、RSET で取り消し" },
	{ R_CHUNK_ABANDONED,
	    "the chunk was larger than the -s limit, so the session ended",
	    "チャンクが -s の上限より大きかったので終了しました" },
	{ R_NO_BINARYMIME, "send BODY=8BITMIME, or no BODY= at all",
	    "BODY=8BITMIME にするか、BODY= を外しましょう" },
	{ R_LOCAL_ERROR,
	    "a problem on this machine, not in what you typed; nothing was "
	    "stored (the next hint says why)",
	    "入力ではなくこのマシンの問題です。何も保存されていません"
	    " (理由は次のヒント)" },
	{ R_MAILBOX_BUSY,
	    "another program holds the mailbox's lock; nothing was stored: "
	    "send the message again in a moment",
	    "別のプログラムがメールボックスをロックしています。何も保存されて"
	    "いません。少し待って送り直しましょう" },
	{ R_NO_SPACE, "the disk or the quota is full; nothing was stored",
	    "ディスクかクォータが一杯です。何も保存されていません" },
	{ R_MAILBOX_BAD,
	    "the mailbox is not a plain file or directory (a symlink?); "
	    "nothing was stored",
	    "メールボックスが普通のファイルやディレクトリではありません"
	    " (シンボリックリンク?)。何も保存されていません" },
	{ R_BAD_LOCAL_PART,
	    "that name cannot be a mailbox's file name (a / or a leading "
	    "dot): pick another recipient",
	    "その名前はメールボックスのファイル名にできません (/ や先頭の .)。"
	    "別の宛先にしましょう" },
	{ R_BAD_DOMAIN_PART,
	    "that domain cannot be part of a mailbox's file name: pick "
	    "another recipient",
	    "そのドメインはメールボックスのファイル名にできません。別の宛先に"
	    "しましょう" },
	{ R_DASH_RCPT,
	    "the delivery program would take it for an option: pick another "
	    "recipient",
	    "配送プログラムがオプションと取り違えるので使えません。別の宛先に" },
	{ R_DASH_SENDER,
	    "the delivery program would take it for an option: pick another "
	    "sender",
	    "配送プログラムがオプションと取り違えるので使えません。別の差出人に" },
	{ R_PIPE_TEMPFAIL,
	    "the delivery program asked for a later try (exit 75); its "
	    "words are in the reply",
	    "配送プログラムが後で再試行するよう答えました (exit 75)。理由は"
	    "応答にあります" },
	{ R_PIPE_NOUSER,
	    "the delivery program knows no such user (exit 67)",
	    "配送プログラムがその宛先を知りません (exit 67)" },
	{ R_PIPE_FAILED,
	    "the delivery program failed; its words are in the reply",
	    "配送プログラムが失敗しました。理由は応答にあります" },
	{ R_PIPE_ARG_LONG,
	    "an address made an argument of the delivery program too long",
	    "アドレスが長すぎて配送プログラムの引数に収まりません" },
	{ R_PIPE_TIMEOUT,
	    "the delivery program ran longer than -T allows and was "
	    "stopped; nothing was delivered",
	    "配送プログラムが -T の時間を超えたので止めました。配送されて"
	    "いません" },
	{ R_PIPE_CRASHED,
	    "the delivery program was killed by a signal; nothing was "
	    "delivered",
	    "配送プログラムがシグナルで止まりました。配送されていません" },
	{ R_HELP, "HELP MAIL (or any command) shows its syntax and an example",
	    "HELP MAIL のようにコマンド名を付けると書式と例が出ます" },
	{ R_HELP_UNKNOWN, "no HELP on that word: HELP alone lists the commands",
	    "その語の HELP はありません。HELP だけで一覧が出ます" },
	{ R_NONE, NULL, NULL }
};

/* The words of reply id alone, or NULL when it has none. */
const char *
hint_after(enum reply_id id, enum hint_lang lang)
{
	const struct hint_text *h;

	for (h = texts; h->id != R_NONE; h++)
		if (h->id == id)
			return lang == HINT_JA ? h->ja : h->en;
	return NULL;
}

/* What a refusal's or failure's code means, in the tutorial's words. */
const char *
hint_code_meaning(int code, enum hint_lang lang)
{
	const struct code_meaning *m;

	for (m = meanings; m->code != 0; m++)
		if (m->code == code)
			return lang == HINT_JA ? m->ja : m->en;
	return NULL;
}

/*
 * The hint after reply id: its words, and for a 4xx or 5xx first what
 * its code means ('501 "Syntax error in parameters or arguments": ...').
 * -1 when id has no hint or it does not fit.
 */
int
hint_reply(char *buf, size_t size, enum reply_id id, enum hint_lang lang)
{
	const char *text = hint_after(id, lang), *meaning;
	int code, n;

	if (text == NULL || id >= R_COUNT)
		return -1;
	code = reply_table[id].code;
	if (code < 400 || (meaning = hint_code_meaning(code, lang)) == NULL)
		n = snprintf(buf, size, "%s", text);
	else if (lang == HINT_JA)
		n = snprintf(buf, size, "%d「%s」: %s", code, meaning, text);
	else
		n = snprintf(buf, size, "%d \"%s\": %s", code, meaning, text);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/*
 * After EHLO: the 250- lines are the extensions (RFC 5321 4.1.1.1), not
 * the commands, which a tutorial (seed 002) took them for.
 */
const char *
hint_ehlo(enum hint_lang lang)
{
	return lang == HINT_JA ?
	    "挨拶できました。250- の行はこのサーバの拡張機能 (PIPELINING、SIZE "
	    "など) で、使えるコマンドの一覧ではありません (それは HELP)。"
	    "次は差出人: MAIL FROM:<you@example.org>" :
	    "Hello done.  The 250- lines name the extensions this server "
	    "offers (PIPELINING, SIZE...), not the commands it takes (HELP "
	    "lists those).  Next, the sender: MAIL FROM:<you@example.org>";
}
