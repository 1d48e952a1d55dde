/* ISC license. */
/*
 * Unit tests for help.c (the HELP texts and the "did you mean" guesses)
 * and hint.c (the language of hints and their texts).  Whole sessions
 * with HELP and typos are in tests/transcripts/ and tests/sessions/; hints
 * on a real terminal in tests/terminal.py.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check_smtpd.h"
#include "config.h"
#include "help.h"
#include "hint.h"

static char lines[HELP_LINES_MAX][HELP_LINE_SIZE];

/* The list names every command, in session order, one line each. */
START_TEST(test_help_list)
{
	static const char *const verbs[] = { "EHLO", "HELO", "MAIL", "RCPT",
	    "DATA", "BDAT", "RSET", "NOOP", "QUIT", "VRFY", "EXPN", "HELP",
	    "SEND", "SOML", "SAML", "TURN" };
	size_t i, nverbs = sizeof(verbs) / sizeof(*verbs);
	int n;

	n = help_text("", 0, lines, HELP_LINES_MAX);
	ck_assert_int_eq(n, (int)nverbs + 3);
	ck_assert_str_eq(lines[0], "Commands, in the order a session uses "
	    "them (any letter case):");
	for (i = 0; i < nverbs; i++) {
		ck_assert_msg(strncmp(lines[i + 1] + 2, verbs[i], 4) == 0,
		    "line %zu is \"%s\", expected %s", i + 1, lines[i + 1],
		    verbs[i]);
		/* a full line would mean snprintf cut it */
		ck_assert_uint_lt(strlen(lines[i + 1]), HELP_LINE_SIZE - 1);
	}
	ck_assert_str_eq(lines[2], "  HELO your.host.name          start the "
	    "session: say who you are");
	ck_assert_str_eq(lines[16], "  TURN                         RFC 821: "
	    "swap client and server; unsafe, refused with 502");
	ck_assert_str_eq(lines[n - 1], "End of HELP");
}
END_TEST

/* LMTP has LHLO instead of HELO and EHLO (RFC 2033 4.1). */
START_TEST(test_help_list_lmtp)
{
	int n, i, lhlo = 0;

	n = help_text("", 1, lines, HELP_LINES_MAX);
	ck_assert_int_eq(n, 18);
	for (i = 0; i < n; i++) {
		ck_assert_msg(strstr(lines[i], "HELO your") == NULL &&
		    strstr(lines[i], "EHLO your") == NULL, "%s", lines[i]);
		lhlo += strncmp(lines[i], "  LHLO your.host.name", 21) == 0;
	}
	ck_assert_int_eq(lhlo, 1);
	ck_assert_int_eq(help_text("lhlo", 1, lines, HELP_LINES_MAX), 4);
	ck_assert_int_eq(help_text("HELO", 1, lines, HELP_LINES_MAX), 0);
	ck_assert_int_eq(help_text("LHLO", 0, lines, HELP_LINES_MAX), 0);
}
END_TEST

START_TEST(test_help_topic)
{
	ck_assert_int_eq(help_text("mAiL", 0, lines, HELP_LINES_MAX), 5);
	ck_assert_str_eq(lines[0], "MAIL FROM:<you@example.org>");
	ck_assert_str_eq(lines[1], "  the envelope sender: where bounces go; "
	    "<> for none");
	ck_assert_str_eq(lines[2], "  It need not match the From: header; "
	    "the header is only text in the message.");
	ck_assert_str_eq(lines[3], "Example: MAIL FROM:<mimori@puni.net>");
	ck_assert_str_eq(lines[4], "End of HELP MAIL");

	/* no extra line: the syntax is the example */
	ck_assert_int_eq(help_text("QUIT", 0, lines, HELP_LINES_MAX), 4);
	ck_assert_str_eq(lines[2], "Example: QUIT");

	ck_assert_int_eq(help_text("NOSUCH", 0, lines, HELP_LINES_MAX), 0);
	ck_assert_int_eq(help_text("MAI", 0, lines, HELP_LINES_MAX), 0);
	ck_assert_int_eq(help_text("MAILX", 0, lines, HELP_LINES_MAX), 0);
	ck_assert_int_eq(help_text("STARTTLS", 0, lines, HELP_LINES_MAX), 0);
	/* too little room is refused, not overrun */
	ck_assert_int_eq(help_text("MAIL", 0, lines, 4), 0);
}
END_TEST

/* One typing slip away, letters only, at least three of them. */
START_TEST(test_guess_verb)
{
	static const struct {
		const char	*typed;
		const char	*guess;
	} cases[] = {
		{ "HLEO", "HELO" }, { "hello", "HELO" }, { "HELOO", "HELO" },
		{ "EHELO", "EHLO" }, { "ehlo", "EHLO" }, { "LHLO", "EHLO" },
		{ "RCTP", "RCPT" }, { "rcp", "RCPT" }, { "MIAL", "MAIL" },
		{ "mial", "MAIL" }, { "MAILL", "MAIL" }, { "DATE", "DATA" },
		{ "dta", "DATA" }, { "QUTI", "QUIT" }, { "exit", NULL },
		{ "rste", "RSET" }, { "NOPE", NULL }, { "FOO", NULL },
		{ "BOGUS", NULL }, { "HE", NULL }, { "HEL0", NULL },
		{ "SEDN", NULL }, { "TRUN", NULL }, { "", NULL },
		{ "MAIL-FROM", NULL }, { "QUITQUITQUIT", NULL },
	};
	const char *g;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		g = help_guess_verb(cases[i].typed, strlen(cases[i].typed), 0);
		if (cases[i].guess == NULL)
			ck_assert_msg(g == NULL, "%s guessed %s", cases[i].typed,
			    g);
		else
			ck_assert_msg(g != NULL && strcmp(g, cases[i].guess) ==
			    0, "%s guessed %s, expected %s", cases[i].typed,
			    g != NULL ? g : "nothing", cases[i].guess);
	}
	/* LMTP: LHLO is the one to guess; no HELO or EHLO */
	ck_assert_str_eq(help_guess_verb("LHOL", 4, 1), "LHLO");
	ck_assert_str_eq(help_guess_verb("LHELO", 5, 1), "LHLO");
	ck_assert_ptr_eq(help_guess_verb("EHELO", 5, 1), NULL);
	/* only the first n octets count */
	ck_assert_str_eq(help_guess_verb("HLEO puni.net", 4, 0), "HELO");
}
END_TEST

START_TEST(test_is_near)
{
	ck_assert_int_eq(help_is_near("form", 4, "FROM"), 1);
	ck_assert_int_eq(help_is_near("FROM", 4, "FROM"), 1);
	ck_assert_int_eq(help_is_near("FRM", 3, "FROM"), 1);
	ck_assert_int_eq(help_is_near("FROMM", 5, "FROM"), 1);
	ck_assert_int_eq(help_is_near("TO", 2, "FROM"), 0);
	ck_assert_int_eq(help_is_near("FRMO", 4, "FROM"), 1);
	ck_assert_int_eq(help_is_near("rfom", 4, "FROM"), 1);
	ck_assert_int_eq(help_is_near("FOMR", 4, "FROM"), 0);
	ck_assert_int_eq(help_is_near("mrof", 4, "FROM"), 0);
	ck_assert_int_eq(help_is_near("ot", 2, "TO"), 1);
	ck_assert_int_eq(help_is_near("T", 1, "TO"), 1);
	ck_assert_int_eq(help_is_near("", 0, "TO"), 0);
	ck_assert_int_eq(help_is_near("FROM", 4, "TO"), 0);
	ck_assert_int_eq(help_is_near("ABCDEFGHI", 9, "ABCDEFGHI"), 0);
}
END_TEST

/* LC_ALL, then LC_MESSAGES, then LANG: the first one set wins. */
START_TEST(test_language)
{
	ck_assert_int_eq(hint_language(NULL, NULL, NULL), HINT_EN);
	ck_assert_int_eq(hint_language(NULL, NULL, "ja_JP.UTF-8"), HINT_JA);
	ck_assert_int_eq(hint_language(NULL, NULL, "ja"), HINT_JA);
	ck_assert_int_eq(hint_language(NULL, NULL, "ja.eucJP"), HINT_JA);
	ck_assert_int_eq(hint_language(NULL, NULL, "jam"), HINT_EN);
	ck_assert_int_eq(hint_language(NULL, NULL, "en_US.UTF-8"), HINT_EN);
	ck_assert_int_eq(hint_language("C", NULL, "ja_JP.UTF-8"), HINT_EN);
	ck_assert_int_eq(hint_language("", NULL, "ja_JP.UTF-8"), HINT_JA);
	ck_assert_int_eq(hint_language(NULL, "ja_JP", "C"), HINT_JA);
	ck_assert_int_eq(hint_language("ja_JP.UTF-8", "C", "C"), HINT_JA);
	ck_assert_int_eq(hint_language(NULL, "", "ja_JP"), HINT_JA);
}
END_TEST

START_TEST(test_hint_texts)
{
	ck_assert_str_eq(hint_after(R_SENDER_OK, HINT_EN), "Sender set.  "
	    "Next, a recipient: RCPT TO:<them@example.org>");
	ck_assert_str_eq(hint_after(R_NEED_MAIL, HINT_JA),
	    "先に差出人を: MAIL FROM:<you@example.org>");
	ck_assert_str_eq(hint_after(R_UNKNOWN_GUESS, HINT_JA),
	    "コマンドではありません。応答が示すとおりに打ち直しましょう");
	ck_assert_ptr_eq(hint_after(R_COUNT, HINT_EN), NULL);
	ck_assert_str_eq(hint_greeting(HINT_EN, 0), "Start with HELO "
	    "your.host.name (HELP lists the commands, QUIT leaves)");
	ck_assert_str_eq(hint_greeting(HINT_EN, 1), "Start with LHLO "
	    "your.host.name (HELP lists the commands, QUIT leaves)");
}
END_TEST

/*
 * Every reply a command can end with has its own hint in both
 * languages, and a refusal or failure says first what its code means,
 * in the words of the tutorial table (seed 001).  No "try again later"
 * after a local failure or a timeout: those are nobody's typing.
 */
START_TEST(test_hint_every_reply)
{
	char buf[700];
	int id, lang;

	for (id = 0; id < R_COUNT; id++) {
		if (id == R_GREETING || id == R_GREETING_LMTP ||
		    (id >= R_EHLO_PIPELINING && id <= R_EHLO_CHUNKING))
			continue;	/* hint_greeting(); lines of R_HELO */
		for (lang = HINT_EN; lang <= HINT_JA; lang++) {
			ck_assert_msg(hint_reply(buf, sizeof(buf),
			    (enum reply_id)id, (enum hint_lang)lang) == 0,
			    "no hint for reply %d", id);
			ck_assert_ptr_eq(strstr(buf, "try again later"), NULL);
			ck_assert_ptr_eq(strstr(buf, "後でもう一度"), NULL);
			if (reply_table[id].code >= 400)
				ck_assert_msg(hint_code_meaning(
				    reply_table[id].code,
				    (enum hint_lang)lang) != NULL,
				    "no meaning for %d", reply_table[id].code);
		}
	}
	ck_assert_int_eq(hint_reply(buf, sizeof(buf), R_FROM_TYPO, HINT_EN), 0);
	ck_assert_str_eq(buf, "501 \"Syntax error in parameters or arguments\": "
	    "after MAIL comes the word FROM and a colon: "
	    "MAIL FROM:<you@example.org>");
	ck_assert_int_eq(hint_reply(buf, sizeof(buf), R_SENDER_NO_DOMAIN,
	    HINT_JA), 0);
	ck_assert_str_eq(buf, "501「引数の文法に間違いがある」: 差出人には @ と"
	    "ドメインが必要: <mimori@puni.net>。なしなら <>");
	ck_assert_int_eq(hint_reply(buf, sizeof(buf), R_OBSOLETE, HINT_EN), 0);
	ck_assert_ptr_ne(strstr(buf, "Nothing to fix"), NULL);
	ck_assert_int_eq(hint_reply(buf, 10, R_OBSOLETE, HINT_EN), -1);
}
END_TEST

/* What was typed: control characters, full-width characters. */
START_TEST(test_hint_typed)
{
	char buf[700];

	ck_assert_int_eq(hint_typed(buf, sizeof(buf), "HELO puni.net",
	    HINT_EN), 0);
	ck_assert_int_eq(hint_typed(buf, sizeof(buf), NULL, HINT_EN), 0);
	ck_assert_int_eq(hint_typed(buf, sizeof(buf),
	    "RCPT TO:<sak\x1b[D\x1b[Cura@puni.net>", HINT_EN), 1);
	ck_assert_str_eq(buf, "the line holds control characters (^[[D^[[C): "
	    "arrow keys and other special keys send them, and they become "
	    "part of the line even when unseen.  Type it again, correcting "
	    "with Backspace only");
	ck_assert_int_eq(hint_typed(buf, sizeof(buf), "HELO\xe3\x80\x80puni.net",
	    HINT_JA), 1);
	ck_assert_str_eq(buf, "全角文字が入っています: 「HELO」の後の全角の空白 "
	    "(U+3000) は半角の空白に。入力モードを半角英数字にして打ち直し"
	    "ましょう");
	ck_assert_int_eq(hint_typed(buf, sizeof(buf), "MAIL FROM:<a\xef\xbc\xa0"
	    "b.c>", HINT_EN), 1);
	ck_assert_str_eq(buf, "full-width characters in the line: the "
	    "full-width \"\xef\xbc\xa0\" (U+FF20) after \"MAIL FROM:<a\" must be "
	    "the ASCII \"@\".  Switch the input method to half-width "
	    "(ASCII) and type it again");
	ck_assert_int_eq(hint_typed(buf, sizeof(buf), "\xef\xbc\xa8" "ELO a",
	    HINT_EN), 1);
	ck_assert_str_eq(buf, "full-width characters in the line: the line "
	    "begins with the full-width \"\xef\xbc\xa8\" (U+FF28), which must "
	    "be the ASCII \"H\".  Switch the input method to half-width "
	    "(ASCII) and type it again");
	/* other CJK text is not full-width ASCII: U+FF61 (half-width) */
	ck_assert_int_eq(hint_typed(buf, sizeof(buf), "\xef\xbd\xa1 \xe3\x81\x82",
	    HINT_EN), 0);
}
END_TEST

START_TEST(test_hint_stored)
{
	char buf[300];

	ck_assert_int_eq(hint_stored(buf, sizeof(buf), METHOD_MBOX, "./mbox",
	    HINT_EN), 0);
	ck_assert_str_eq(buf, "The message is stored in ./mbox.  Look at it "
	    "with: cat ./mbox");
	ck_assert_int_eq(hint_stored(buf, sizeof(buf), METHOD_MBOX, "./mbox",
	    HINT_JA), 0);
	ck_assert_str_eq(buf, "メールは ./mbox に保存されました。見るには: "
	    "cat ./mbox");
	ck_assert_int_eq(hint_stored(buf, sizeof(buf), METHOD_MAILDIR,
	    "/var/mail/sakura", HINT_EN), 0);
	ck_assert_str_eq(buf, "The message is a file in /var/mail/sakura/new.  "
	    "List them with: ls /var/mail/sakura/new");
	ck_assert_int_eq(hint_stored(buf, sizeof(buf), METHOD_PIPE,
	    "/usr/bin/procmail", HINT_EN), 0);
	ck_assert_str_eq(buf, "The message went to /usr/bin/procmail on its "
	    "standard input, which exited 0");
	/* a path from a hostile recipient stays one quoted shell word */
	ck_assert_int_eq(hint_stored(buf, sizeof(buf), METHOD_MBOX,
	    "./it's $(rm x);`y`", HINT_EN), 0);
	ck_assert_str_eq(buf, "The message is stored in ./it's $(rm x);`y`.  "
	    "Look at it with: cat './it'\\''s $(rm x);`y`'");
	ck_assert_int_eq(hint_stored(buf, 20, METHOD_PIPE,
	    "/usr/bin/procmail", HINT_EN), -1);
}
END_TEST

START_TEST(test_hint_write)
{
	char buf[200];
	ssize_t n;
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	hint_write(p[1], HINT_EN, "Type QUIT");
	hint_write(p[1], HINT_JA, "QUIT で終了");
	hint_write(p[1], HINT_EN, NULL);
	hint_write(-1, HINT_EN, "nowhere");
	close(p[1]);
	n = read(p[0], buf, sizeof(buf) - 1);
	close(p[0]);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_str_eq(buf, "hint: Type QUIT\nヒント: QUIT で終了\n");
}
END_TEST

Suite *
help_suite(void)
{
	Suite *s = suite_create("help");
	TCase *th = tcase_create("help");
	TCase *tn = tcase_create("hint");

	tcase_set_timeout(th, TEST_TIMEOUT);
	tcase_set_timeout(tn, TEST_TIMEOUT);
	tcase_add_test(th, test_help_list);
	tcase_add_test(th, test_help_list_lmtp);
	tcase_add_test(th, test_help_topic);
	tcase_add_test(th, test_guess_verb);
	tcase_add_test(th, test_is_near);
	tcase_add_test(tn, test_language);
	tcase_add_test(tn, test_hint_texts);
	tcase_add_test(tn, test_hint_every_reply);
	tcase_add_test(tn, test_hint_typed);
	tcase_add_test(tn, test_hint_stored);
	tcase_add_test(tn, test_hint_write);
	suite_add_tcase(s, th);
	suite_add_tcase(s, tn);
	return s;
}
