/* ISC license. */
/*
 * Unit tests for session.c: whole sessions driven through
 * session_run() over a socketpair, with the exact reply bytes and the
 * exact mailbox afterwards.  Each session runs twice, the input written
 * whole and then in tiny pieces (RFC 2920: the bytes out must not
 * depend on how the bytes in were chunked).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "check_smtpd.h"
#include "config.h"
#include "session.h"
#include "util.h"

#define S(lit)	lit, sizeof(lit) - 1

/* Replies, from reply.h, with the host name "mx.test". */
#define GREET		"220 mx.test ESMTP smtpd ready\r\n"
#define HELO_OK		"250 mx.test Hello client.test\r\n"
#define EHLO_OK		"250-mx.test Hello client.test\r\n" \
			"250-PIPELINING\r\n" \
			"250-SIZE 1000000\r\n" \
			"250-8BITMIME\r\n" \
			"250-ENHANCEDSTATUSCODES\r\n" \
			"250-SMTPUTF8\r\n" \
			"250 HELP\r\n"
#define SENDER_OK(a)	"250 2.1.0 Sender <" a "> OK\r\n"
#define RCPT_OK(a)	"250 2.1.5 Recipient <" a "> OK\r\n"
#define DATA_GO		"354 End data with <CR><LF>.<CR><LF>\r\n"
#define DELIVERED(id)	"250 2.0.0 Message " id " delivered\r\n"
#define RSET_OK		"250 2.0.0 Reset; start again with MAIL FROM\r\n"
#define NOOP_OK		"250 2.0.0 OK\r\n"
#define BYE		"221 2.0.0 mx.test closing connection\r\n"
#define NEED_HELO	"503 5.5.1 Send HELO or EHLO first\r\n"
#define NEED_MAIL	"503 5.5.1 Send MAIL FROM first\r\n"
#define NEED_RCPT	"503 5.5.1 Send RCPT TO first\r\n"
#define NESTED_MAIL	"503 5.5.1 Sender already given; send RSET to start over\r\n"
#define UNKNOWN		"500 5.5.1 Unknown command; type HELP for the list\r\n"
#define TOO_LONG	"500 5.5.2 Line too long: a command has at most 512 octets\r\n"
#define BAD_BYTES	"500 5.5.2 Command contains a NUL or a bare CR\r\n"
#define SYNTAX_MAIL	"501 5.5.4 Syntax: MAIL FROM:<you@example.org>\r\n"
#define SYNTAX_RCPT	"501 5.5.4 Syntax: RCPT TO:<them@example.org>\r\n"
#define MAIL_EMPTY	"501 5.5.4 No address after FROM:; type MAIL FROM:<you@example.org>, or <> for none\r\n"
#define RCPT_EMPTY	"501 5.5.4 No address after TO:; type RCPT TO:<them@example.org>\r\n"
#define FROM_TYPO	"501 5.5.4 Did you mean FROM:?  Syntax: MAIL FROM:<you@example.org>\r\n"
#define TO_TYPO		"501 5.5.4 Did you mean TO:?  Syntax: RCPT TO:<them@example.org>\r\n"
#define GUESS(v)	"500 5.5.1 Unknown command; did you mean " v "?\r\n"
#define GLUED(v)	"500 5.5.1 Unknown command; put a space after " v "\r\n"
#define BAD_SENDER	"501 5.1.7 Bad sender address syntax\r\n"
#define BAD_RCPT	"501 5.1.3 Bad recipient address syntax\r\n"
#define NEED_UTF8	"553 5.6.7 Non-ASCII address needs MAIL FROM:<...> SMTPUTF8\r\n"
#define NEED_EHLO	"555 5.5.4 Parameters need EHLO, not HELO\r\n"
#define UNSUPPORTED(p)	"555 5.5.4 Unsupported parameter " p "\r\n"
#define PARAM_BAD(p)	"501 5.5.4 Bad value or repeated parameter " p "\r\n"
#define BARE_NEWLINE	"554 5.6.0 Message refused: bare CR or LF; end every line with CRLF\r\n"
#define NUL_IN_DATA	"554 5.6.0 Message refused: it contains a NUL octet\r\n"

/* The mbox lines smtpd writes, at the fixed clock. */
#define FROM_(who)	"From " who " Tue Nov 14 22:13:20 2023\n"
#define RPATH(who)	"Return-Path: <" who ">\n"
#define RECEIVED(helo, with, id, forline) \
	"Received: from " helo " (stdin)\n" \
	"\tby mx.test (smtpd) with " with " id " id forline ";\n" \
	"\tTue, 14 Nov 2023 22:13:20 +0000\n"
#define FOR(rcpt)	"\n\tfor <" rcpt ">"

static char		*dir, *mbox_path;
static char		*mbox_argv[2];
static struct config	 cfg;

static void	setup(void);
static void	teardown(void);
static unsigned	id_base(void);
static char	*expand(const char *, unsigned);
static char	*run_session(const char *, size_t, size_t, size_t *);
static void	check_session(const char *, size_t, const char *,
		    const char *);
static void	read_until(int, char *, size_t, size_t *, const char *);

static void
setup(void)
{
	test_env();
	dir = test_tmpdir();
	mbox_path = test_path(dir, "mbox");
	mbox_argv[0] = mbox_path;
	mbox_argv[1] = NULL;
	memset(&cfg, 0, sizeof(cfg));
	cfg.hostname = "mx.test";
	cfg.max_size = 1000000;
	cfg.max_rcpts = 100;
	cfg.timeout = 10;
	cfg.method = METHOD_MBOX;
	cfg.method_argv = mbox_argv;
	cfg.method_argc = 1;
}

static void
teardown(void)
{
	test_rmtree(dir);
	free(mbox_path);
	free(dir);
}

/*
 * Message ids are the fake time, five zeros and a per-process counter.
 * Draw one id to learn the counter: the session's n-th id is base + n.
 */
static unsigned
id_base(void)
{
	char id[32];
	size_t n;

	util_make_id(id, sizeof(id));
	n = strlen(id);
	ck_assert_uint_eq(n, 17);
	ck_assert_msg(strncmp(id, "6553F10000000", 13) == 0, "id %s", id);
	return (unsigned)strtoul(id + 13, NULL, 16);
}

/* want with each "@IDn@" replaced by the session's n-th message id. */
static char *
expand(const char *want, unsigned base)
{
	size_t n = strlen(want), o = 0;
	char *r;

	if ((r = malloc(n + 1)) == NULL)
		ck_abort_msg("out of memory");
	while (*want != '\0') {
		if (strncmp(want, "@ID", 3) == 0 && want[3] >= '1' &&
		    want[3] <= '9' && want[4] == '@') {
			/* 5 octets of template become 17 of id */
			if ((r = realloc(r, n + 1 + (o + 17))) == NULL)
				ck_abort_msg("out of memory");
			snprintf(r + o, 18, "6553F10000000%04X",
			    (base + (unsigned)(want[3] - '0')) & 0xffffU);
			o += 17;
			want += 5;
		} else
			r[o++] = *want++;
	}
	r[o] = '\0';
	return r;
}

/*
 * Run one session: a child writes the input in pieces of `chunk'
 * octets and closes; the replies go to a file, read back whole.
 */
static char *
run_session(const char *in, size_t n, size_t chunk, size_t *outlen)
{
	char *outpath, *out;
	int sv[2], outfd;
	pid_t pid;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = test_writer(sv[1], sv[0], in, n, chunk, 0);
	close(sv[1]);
	outpath = test_path(dir, "replies");
	outfd = open(outpath, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ne(outfd, -1);
	ck_assert_int_eq(session_run(&cfg, sv[0], outfd), 0);
	close(sv[0]);
	test_reap(pid);
	close(outfd);
	out = test_read_file(outpath, outlen);
	ck_assert_ptr_nonnull(out);
	unlink(outpath);
	free(outpath);
	return out;
}

/*
 * Run the session whole and in pieces (one octet at a time when it is
 * short); each time the replies must be want_out and the mailbox
 * want_mbox (NULL: no mailbox at all), "@IDn@" standing for ids.
 */
static void
check_session(const char *in, size_t n, const char *want_out,
    const char *want_mbox)
{
	size_t chunks[2], outlen, mlen, i;
	const char *diff;
	char *out, *mbox, *want;
	unsigned base;
	int exists;

	chunks[0] = n;
	chunks[1] = n <= 8192 ? 1 : 4093;
	for (i = 0; i < 2; i++) {
		base = id_base();
		out = run_session(in, n, chunks[i], &outlen);
		want = expand(want_out, base);
		diff = test_bytes_diff(out, outlen, want, strlen(want));
		/* free before failing: no leak under CK_FORK=no */
		free(want);
		free(out);
		if (diff != NULL)
			ck_abort_msg("replies, input in pieces of %zu: %s",
			    chunks[i], diff);
		mbox = test_read_file(mbox_path, &mlen);
		unlink(mbox_path);
		if (want_mbox == NULL) {
			exists = mbox != NULL;
			free(mbox);
			ck_assert_msg(!exists, "a mailbox was written");
			continue;
		}
		ck_assert_msg(mbox != NULL, "no mailbox was written");
		want = expand(want_mbox, base);
		diff = test_bytes_diff(mbox, mlen, want, strlen(want));
		free(want);
		free(mbox);
		if (diff != NULL)
			ck_abort_msg("mbox, input in pieces of %zu: %s",
			    chunks[i], diff);
	}
}

START_TEST(test_full_helo_session)
{
	static const char in[] =
	    "HELO client.test\r\n"
	    "MAIL FROM:<a@b.example>\r\n"
	    "RCPT TO:<u@mx.test>\r\n"
	    "DATA\r\n"
	    "Subject: test\r\n"
	    "\r\n"
	    "From me\r\n"
	    ">From you\r\n"
	    ">>From x\r\n"
	    "From\r\n"
	    "Fro\r\n"
	    " From y\r\n"
	    "..dot\r\n"
	    "..\r\n"
	    ".\r\n"
	    "QUIT\r\n";

	check_session(S(in),
	    GREET
	    HELO_OK
	    SENDER_OK("a@b.example")
	    RCPT_OK("u@mx.test")
	    DATA_GO
	    DELIVERED("@ID1@")
	    BYE,
	    FROM_("a@b.example")
	    RPATH("a@b.example")
	    RECEIVED("client.test", "SMTP", "@ID1@", FOR("u@mx.test"))
	    "Subject: test\n"
	    "\n"
	    ">From me\n"
	    ">>From you\n"
	    ">>>From x\n"
	    "From\n"
	    "Fro\n"
	    " From y\n"
	    ".dot\n"
	    ".\n"
	    "\n");
}
END_TEST

/* Two messages in one session, pipelined; RSET and NOOP between. */
START_TEST(test_two_messages)
{
	static const char in[] =
	    "EHLO client.test\r\n"
	    "MAIL FROM:<a@b.example> BODY=8BITMIME\r\n"
	    "RCPT TO:<u@mx.test>\r\n"
	    "DATA\r\n"
	    "one\r\n"
	    ".\r\n"
	    "NOOP\r\n"
	    "MAIL FROM:<x@y.example>\r\n"
	    "RSET\r\n"
	    "MAIL FROM:<>\r\n"
	    "RCPT TO:<u@mx.test>\r\n"
	    "RCPT TO:<v@mx.test>\r\n"
	    "DATA\r\n"
	    "two\r\n"
	    ".\r\n"
	    "QUIT\r\n";

	check_session(S(in),
	    GREET
	    EHLO_OK
	    SENDER_OK("a@b.example")
	    RCPT_OK("u@mx.test")
	    DATA_GO
	    DELIVERED("@ID1@")
	    NOOP_OK
	    SENDER_OK("x@y.example")
	    RSET_OK
	    SENDER_OK("")
	    RCPT_OK("u@mx.test")
	    RCPT_OK("v@mx.test")
	    DATA_GO
	    DELIVERED("@ID2@")
	    BYE,
	    FROM_("a@b.example")
	    RPATH("a@b.example")
	    RECEIVED("client.test", "ESMTP", "@ID1@", FOR("u@mx.test"))
	    "one\n"
	    "\n"
	    FROM_("MAILER-DAEMON")
	    RPATH("")
	    RECEIVED("client.test", "ESMTP", "@ID2@", "")
	    "two\n"
	    "\n");
}
END_TEST

START_TEST(test_ehlo_advertisement)
{
	check_session(S("EHLO client.test\r\nQUIT\r\n"),
	    GREET EHLO_OK BYE, NULL);
	cfg.max_size = 12345;
	check_session(S("ehlo client.test\r\nquit\r\n"),
	    GREET
	    "250-mx.test Hello client.test\r\n"
	    "250-PIPELINING\r\n"
	    "250-SIZE 12345\r\n"
	    "250-8BITMIME\r\n"
	    "250-ENHANCEDSTATUSCODES\r\n"
	    "250-SMTPUTF8\r\n"
	    "250 HELP\r\n"
	    BYE, NULL);
}
END_TEST

START_TEST(test_out_of_order)
{
	static const char in[] =
	    "MAIL FROM:<a@b.example>\r\n"
	    "RCPT TO:<u@mx.test>\r\n"
	    "DATA\r\n"
	    "HELO client.test\r\n"
	    "RCPT TO:<u@mx.test>\r\n"
	    "DATA\r\n"
	    "MAIL FROM:<a@b.example>\r\n"
	    "DATA\r\n"
	    "MAIL FROM:<c@d.example>\r\n"
	    "RCPT TO:<u@mx.test>\r\n"
	    "MAIL FROM:<c@d.example>\r\n"
	    "RSET\r\n"
	    "DATA\r\n"
	    "RCPT TO:<u@mx.test>\r\n"
	    "MAIL FROM:<a@b.example>\r\n"
	    "RCPT TO:<u@mx.test>\r\n"
	    "HELO client.test\r\n"
	    "DATA\r\n"
	    "QUIT\r\n";

	check_session(S(in),
	    GREET
	    NEED_HELO
	    NEED_HELO
	    NEED_HELO
	    HELO_OK
	    NEED_MAIL
	    NEED_MAIL
	    SENDER_OK("a@b.example")
	    NEED_RCPT
	    NESTED_MAIL
	    RCPT_OK("u@mx.test")
	    NESTED_MAIL
	    RSET_OK
	    NEED_MAIL
	    NEED_MAIL
	    SENDER_OK("a@b.example")
	    RCPT_OK("u@mx.test")
	    HELO_OK		/* HELO ends the transaction (RFC 5321 4.1.4) */
	    NEED_MAIL
	    BYE, NULL);
}
END_TEST

START_TEST(test_syntax_helo_mail)
{
	static const char in[] =
	    "HELO\r\n"
	    "EHLO\r\n"
	    "helo\r\n"
	    "HELO a b\r\n"
	    "EHLO a\x7f" "b\r\n"
	    "HELO client.test\r\n"
	    "MAIL\r\n"
	    "MAIL TO:<a@b.example>\r\n"
	    "MAIL FROM:\r\n"
	    "MAIL FROM:   \r\n"
	    "MAIL FROM<a@b.example>\r\n"
	    "MAIL FROM:<a b>\r\n"
	    "MAIL FROM:<a@b.example\r\n"
	    "MAIL FROM:<user>\r\n"
	    "MAIL FROM:<postmaster>\r\n"
	    "MAIL FROM:<a@b.example> =x\r\n"
	    "mail from: <a@b.example>   \r\n"
	    "QUIT\r\n";

	check_session(S(in),
	    GREET
	    "501 5.5.4 Syntax: HELO your.host.name\r\n"
	    "501 5.5.4 Syntax: EHLO your.host.name\r\n"
	    "501 5.5.4 Syntax: HELO your.host.name\r\n"
	    "501 5.5.4 Syntax: HELO your.host.name\r\n"
	    "501 5.5.4 Syntax: EHLO your.host.name\r\n"
	    HELO_OK
	    SYNTAX_MAIL
	    SYNTAX_MAIL
	    MAIL_EMPTY
	    MAIL_EMPTY
	    FROM_TYPO
	    BAD_SENDER
	    "501 5.1.7 Bad sender address syntax; did you mean MAIL FROM:<a@b.example>?\r\n"
	    "501 5.1.7 Sender needs a domain: user@example.org, or <> for none\r\n"
	    "501 5.1.7 Sender needs a domain: user@example.org, or <> for none\r\n"
	    SYNTAX_MAIL
	    SENDER_OK("a@b.example")
	    BYE, NULL);
}
END_TEST

START_TEST(test_syntax_rcpt_and_others)
{
	static const char in[] =
	    "HELO client.test\r\n"
	    "MAIL FROM:<a@b.example>\r\n"
	    "RCPT\r\n"
	    "RCPT FROM:<u@mx.test>\r\n"
	    "RCPT TO:\r\n"
	    "RCPT TO:<a b>\r\n"
	    "RCPT TO:<>\r\n"
	    "RCPT TO:<user>\r\n"
	    "RCPT TO:<u@mx.test> =x\r\n"
	    "RCPT TO:<postmaster>\r\n"
	    "DATA now\r\n"
	    "RSET x\r\n"
	    "QUIT now\r\n"
	    "VRFY\r\n"
	    "FOO\r\n"
	    "\r\n"
	    "   \r\n"
	    "QUIT\r\n";

	check_session(S(in),
	    GREET
	    HELO_OK
	    SENDER_OK("a@b.example")
	    SYNTAX_RCPT
	    SYNTAX_RCPT
	    RCPT_EMPTY
	    BAD_RCPT
	    BAD_RCPT
	    "501 5.1.3 Recipient needs a domain: user@example.org\r\n"
	    SYNTAX_RCPT
	    RCPT_OK("postmaster")
	    "501 5.5.4 Syntax: DATA takes no argument\r\n"
	    "501 5.5.4 Syntax: RSET takes no argument\r\n"
	    "501 5.5.4 Syntax: QUIT takes no argument\r\n"
	    "501 5.5.4 Syntax: VRFY user@example.org\r\n"
	    UNKNOWN
	    UNKNOWN
	    UNKNOWN
	    BYE, NULL);
}
END_TEST

START_TEST(test_other_commands)
{
	static const char in[] =
	    "NOOP\r\n"
	    "noop with an argument\r\n"
	    "VRFY someone\r\n"
	    "EXPN list\r\n"
	    "SEND FROM:<a@b.example>\r\n"
	    "saml\r\n"
	    "starttls\r\n"
	    "AUTH PLAIN\r\n"
	    "BDAT 10 LAST\r\n"
	    "HELP\r\n"
	    "help quit\r\n"
	    "HELP quit now\r\n"
	    "HELP FOO\r\n"
	    "HELP \x1b[2J\r\n"
	    "QUIT   \r\n"
	    "NOOP\r\n";

	check_session(S(in),
	    GREET
	    NOOP_OK
	    NOOP_OK
	    "252 2.5.0 Cannot VRFY users; send the mail and delivery will be tried\r\n"
	    "502 5.5.1 EXPN is disabled: lists are not revealed\r\n"
	    "502 5.5.1 SEND is obsolete (RFC 5321) and not supported\r\n"
	    "502 5.5.1 SAML is obsolete (RFC 5321) and not supported\r\n"
	    "502 5.5.1 STARTTLS is not offered by this server\r\n"
	    "502 5.5.1 AUTH is not offered by this server\r\n"
	    "502 5.5.1 BDAT is not offered by this server\r\n"
	    "214-2.0.0 Commands, in the order a session uses them (any letter case):\r\n"
	    "214-2.0.0   EHLO your.host.name          start the session, listing the extensions (ESMTP)\r\n"
	    "214-2.0.0   HELO your.host.name          start the session: say who you are\r\n"
	    "214-2.0.0   MAIL FROM:<you@example.org>  the envelope sender: where bounces go; <> for none\r\n"
	    "214-2.0.0   RCPT TO:<them@example.org>   a recipient: where the message really goes; repeat for more\r\n"
	    "214-2.0.0   DATA                         then the message: headers, blank line, body, and . alone\r\n"
	    "214-2.0.0   RSET                         forget the sender and recipients; start again with MAIL\r\n"
	    "214-2.0.0   NOOP                         do nothing; the server answers 250\r\n"
	    "214-2.0.0   QUIT                         end the session\r\n"
	    "214-2.0.0   VRFY user@example.org        does the mailbox exist?  252: never told here (privacy)\r\n"
	    "214-2.0.0   EXPN list                    who is on a list?  502: never told here (privacy)\r\n"
	    "214-2.0.0   HELP [command]               this list, or more on one command\r\n"
	    "214-2.0.0   SEND FROM:<you@example.org>  RFC 821: to a terminal; obsolete, refused with 502\r\n"
	    "214-2.0.0   SOML FROM:<you@example.org>  RFC 821: to a terminal or mailbox; obsolete, refused with 502\r\n"
	    "214-2.0.0   SAML FROM:<you@example.org>  RFC 821: to a terminal and mailbox; obsolete, refused with 502\r\n"
	    "214-2.0.0   TURN                         RFC 821: swap client and server; unsafe, refused with 502\r\n"
	    "214-2.0.0 HELP MAIL (or another command) shows an example\r\n"
	    "214 2.0.0 End of HELP\r\n"
	    "214-2.0.0 QUIT\r\n"
	    "214-2.0.0   end the session\r\n"
	    "214-2.0.0 Example: QUIT\r\n"
	    "214 2.0.0 End of HELP QUIT\r\n"
	    "214-2.0.0 QUIT\r\n"
	    "214-2.0.0   end the session\r\n"
	    "214-2.0.0 Example: QUIT\r\n"
	    "214 2.0.0 End of HELP QUIT\r\n"
	    "504 5.5.4 No HELP for FOO; type HELP for the list\r\n"
	    "504 5.5.4 No HELP for ?[2J; type HELP for the list\r\n"
	    BYE, NULL);
}
END_TEST

/*
 * Mistyped verbs, keywords and brackets get a guess where one fits;
 * a guess never echoes more than a parsed address.
 */
START_TEST(test_guesses)
{
	static const char in[] =
	    "HLEO client.test\r\n"
	    "HELOclient.test\r\n"
	    "ehelo client.test\r\n"
	    "HELO client.test\r\n"
	    "MIAL FROM:<a@b.example>\r\n"
	    "mailfrom:<a@b.example>\r\n"
	    "MAIL form:a@b.example\r\n"
	    "MAIL FROM:a@b.example>\r\n"
	    "MAIL FROM:<<a@b.example>> SIZE=1\r\n"
	    "MAIL FROM:<a@@b.example>\r\n"
	    "MAIL FROM:<postmaster\r\n"
	    "MAIL FROM:<\r\n"
	    "MAIL FROM:<a@b.example>\r\n"
	    "RCTP TO:<u@mx.test>\r\n"
	    "RCPTTO:<u@mx.test>\r\n"
	    "RCPT OT:<u@mx.test>\r\n"
	    "RCPT TO <u@mx.test>\r\n"
	    "RCPT TO:u@mx.test>\r\n"
	    "RCPT TO:<u@mx.test>\r\n"
	    "DATE\r\n"
	    "SEDN\r\n"
	    "QUIT\r\n";

	check_session(S(in),
	    GREET
	    GUESS("HELO")
	    GLUED("HELO")
	    GUESS("EHLO")
	    HELO_OK
	    GUESS("MAIL FROM:")
	    GUESS("MAIL FROM:")
	    FROM_TYPO
	    "501 5.1.7 Bad sender address syntax; did you mean MAIL FROM:<a@b.example>?\r\n"
	    "501 5.1.7 Bad sender address syntax; did you mean MAIL FROM:<a@b.example>?\r\n"
	    BAD_SENDER
	    BAD_SENDER
	    "501 5.1.7 Bad sender address syntax; did you mean MAIL FROM:<>?\r\n"
	    SENDER_OK("a@b.example")
	    GUESS("RCPT TO:")
	    GUESS("RCPT TO:")
	    TO_TYPO
	    TO_TYPO
	    "501 5.1.3 Bad recipient address syntax; did you mean RCPT TO:<u@mx.test>?\r\n"
	    RCPT_OK("u@mx.test")
	    GUESS("DATA")
	    UNKNOWN
	    BYE, NULL);
}
END_TEST

START_TEST(test_params)
{
	static const char in[] =
	    "EHLO client.test\r\n"
	    "MAIL FROM:<a@b.example> FOO=1\r\n"
	    "MAIL FROM:<a@b.example> SIZE=abc\r\n"
	    "MAIL FROM:<a@b.example> SIZE=10 SIZE=10\r\n"
	    "MAIL FROM:<a@b.example> SIZE\r\n"
	    "MAIL FROM:<a@b.example> BODY=9BIT\r\n"
	    "MAIL FROM:<a@b.example> SMTPUTF8=yes\r\n"
	    "MAIL FROM:<a@b.example> SMTPUTF8 SMTPUTF8\r\n"
	    "MAIL FROM:<a@b.example> ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789=1\r\n"
	    "MAIL FROM:<a@b.example> SIZE=\r\n"
	    "MAIL FROM:<a@b.example> size=10 body=7bit smtputf8\r\n"
	    "RCPT TO:<u@mx.test> NOTIFY=NEVER\r\n"
	    "RCPT TO:<u@mx.test> ORCPT=rfc822;u@mx.test\r\n"
	    "RCPT TO:<u@mx.test>  \r\n"
	    "QUIT\r\n";

	check_session(S(in),
	    GREET
	    EHLO_OK
	    UNSUPPORTED("FOO")
	    PARAM_BAD("SIZE")
	    PARAM_BAD("SIZE")
	    PARAM_BAD("SIZE")
	    PARAM_BAD("BODY")
	    PARAM_BAD("SMTPUTF8")
	    PARAM_BAD("SMTPUTF8")
	    UNSUPPORTED("ABCDEFGHIJKLMNOPQRSTUVWXYZ01234")
	    SYNTAX_MAIL
	    SENDER_OK("a@b.example")
	    UNSUPPORTED("NOTIFY")
	    UNSUPPORTED("ORCPT")
	    RCPT_OK("u@mx.test")
	    BYE, NULL);
}
END_TEST

/* RFC 1870 6.1: a declared size over the limit is refused at MAIL. */
START_TEST(test_size_param_limit)
{
	static const char in[] =
	    "EHLO client.test\r\n"
	    "MAIL FROM:<a@b.example> SIZE=1001\r\n"
	    "MAIL FROM:<a@b.example> SIZE=99999999999999999999\r\n"
	    "MAIL FROM:<a@b.example> SIZE=123456789012345678901\r\n"
	    "MAIL FROM:<a@b.example> SIZE=1000\r\n"
	    "QUIT\r\n";

	cfg.max_size = 1000;
	check_session(S(in),
	    GREET
	    "250-mx.test Hello client.test\r\n"
	    "250-PIPELINING\r\n"
	    "250-SIZE 1000\r\n"
	    "250-8BITMIME\r\n"
	    "250-ENHANCEDSTATUSCODES\r\n"
	    "250-SMTPUTF8\r\n"
	    "250 HELP\r\n"
	    "552 5.3.4 Message too big: the limit is 1000 octets\r\n"
	    "552 5.3.4 Message too big: the limit is 1000 octets\r\n"
	    PARAM_BAD("SIZE")
	    SENDER_OK("a@b.example")
	    BYE, NULL);
}
END_TEST

START_TEST(test_params_after_helo)
{
	static const char in[] =
	    "HELO client.test\r\n"
	    "MAIL FROM:<a@b.example> SIZE=10\r\n"
	    "MAIL FROM:<a@b.example> SMTPUTF8\r\n"
	    "MAIL FROM:<a@b.example> FOO\r\n"
	    "MAIL FROM:<a@b.example>\r\n"
	    "RCPT TO:<u@mx.test> FOO=1\r\n"
	    "QUIT\r\n";

	check_session(S(in),
	    GREET
	    HELO_OK
	    NEED_EHLO
	    NEED_EHLO
	    NEED_EHLO
	    SENDER_OK("a@b.example")
	    NEED_EHLO
	    BYE, NULL);
}
END_TEST

START_TEST(test_domains)
{
	static char d1[] = "mx.test", d2[] = "Other.Test";
	static char *domains[] = { d1, d2 };
	static const char in[] =
	    "EHLO client.test\r\n"
	    "MAIL FROM:<a@b.example>\r\n"
	    "RCPT TO:<u@elsewhere.test>\r\n"
	    "RCPT TO:<u@MX.TEST>\r\n"
	    "RCPT TO:<v@other.test>\r\n"
	    "RCPT TO:<postmaster>\r\n"
	    "RCPT TO:<postmaster@elsewhere.test>\r\n"
	    "RCPT TO:<u@[192.0.2.1]>\r\n"
	    "RCPT TO:<u@sub.mx.test>\r\n"
	    "RCPT TO:<u@mx.test.evil>\r\n"
	    "QUIT\r\n";

	cfg.domains = domains;
	cfg.ndomains = 2;
	check_session(S(in),
	    GREET
	    EHLO_OK
	    SENDER_OK("a@b.example")
	    "550 5.7.1 Relaying denied: elsewhere.test is not a domain served here\r\n"
	    RCPT_OK("u@MX.TEST")
	    RCPT_OK("v@other.test")
	    RCPT_OK("postmaster")
	    "550 5.7.1 Relaying denied: elsewhere.test is not a domain served here\r\n"
	    "550 5.7.1 Relaying denied: [192.0.2.1] is not a domain served here\r\n"
	    "550 5.7.1 Relaying denied: sub.mx.test is not a domain served here\r\n"
	    "550 5.7.1 Relaying denied: mx.test.evil is not a domain served here\r\n"
	    BYE, NULL);
}
END_TEST

START_TEST(test_rcpt_limit)
{
	static const char in[] =
	    "EHLO client.test\r\n"
	    "MAIL FROM:<a@b.example>\r\n"
	    "RCPT TO:<a@mx.test>\r\n"
	    "RCPT TO:<b@mx.test>\r\n"
	    "RCPT TO:<c@mx.test>\r\n"
	    "DATA\r\n"
	    "x\r\n"
	    ".\r\n"
	    "MAIL FROM:<a@b.example>\r\n"
	    "RCPT TO:<c@mx.test>\r\n"
	    "RCPT TO:<d@mx.test>\r\n"
	    "RCPT TO:<e@mx.test>\r\n"
	    "RSET\r\n"
	    "MAIL FROM:<a@b.example>\r\n"
	    "RCPT TO:<f@mx.test>\r\n"
	    "QUIT\r\n";

	cfg.max_rcpts = 2;
	check_session(S(in),
	    GREET
	    EHLO_OK
	    SENDER_OK("a@b.example")
	    RCPT_OK("a@mx.test")
	    RCPT_OK("b@mx.test")
	    "452 4.5.3 Too many recipients; send the rest in a new transaction\r\n"
	    DATA_GO
	    DELIVERED("@ID1@")
	    SENDER_OK("a@b.example")
	    RCPT_OK("c@mx.test")
	    RCPT_OK("d@mx.test")
	    "452 4.5.3 Too many recipients; send the rest in a new transaction\r\n"
	    RSET_OK
	    SENDER_OK("a@b.example")
	    RCPT_OK("f@mx.test")
	    BYE,
	    FROM_("a@b.example")
	    RPATH("a@b.example")
	    RECEIVED("client.test", "ESMTP", "@ID1@", "")
	    "x\n"
	    "\n");
}
END_TEST

/* A repeated recipient is accepted and kept once: "for" shows one. */
START_TEST(test_duplicate_rcpt)
{
	static const char in[] =
	    "EHLO client.test\r\n"
	    "MAIL FROM:<a@b.example>\r\n"
	    "RCPT TO:<u@mx.test>\r\n"
	    "RCPT TO:<u@mx.test>\r\n"
	    "RCPT TO: u@mx.test\r\n"
	    "DATA\r\n"
	    "x\r\n"
	    ".\r\n"
	    "QUIT\r\n";

	check_session(S(in),
	    GREET
	    EHLO_OK
	    SENDER_OK("a@b.example")
	    RCPT_OK("u@mx.test")
	    RCPT_OK("u@mx.test")
	    RCPT_OK("u@mx.test")
	    DATA_GO
	    DELIVERED("@ID1@")
	    BYE,
	    FROM_("a@b.example")
	    RPATH("a@b.example")
	    RECEIVED("client.test", "ESMTP", "@ID1@", FOR("u@mx.test"))
	    "x\n"
	    "\n");
}
END_TEST

/*
 * A repeat is "accepted but kept once", so it takes no place under -r:
 * with -r 1 the same recipient twice must get 250 both times.
 */
START_TEST(test_duplicate_rcpt_at_limit)
{
	static const char in[] =
	    "EHLO client.test\r\n"
	    "MAIL FROM:<a@b.example>\r\n"
	    "RCPT TO:<u@mx.test>\r\n"
	    "RCPT TO:<u@mx.test>\r\n"
	    "QUIT\r\n";

	cfg.max_rcpts = 1;
	check_session(S(in),
	    GREET
	    EHLO_OK
	    SENDER_OK("a@b.example")
	    RCPT_OK("u@mx.test")
	    RCPT_OK("u@mx.test")
	    BYE, NULL);
}
END_TEST

/* RFC 6531 3.4: non-ASCII addresses need SMTPUTF8 on MAIL. */
START_TEST(test_utf8_addresses)
{
	static const char in[] =
	    "EHLO client.test\r\n"
	    "MAIL FROM:<pel\xc3\xa9@x.test>\r\n"
	    "MAIL FROM:<a@b.example>\r\n"
	    "RCPT TO:<\xc3\xbc@mx.test>\r\n"
	    "RSET\r\n"
	    "MAIL FROM:<pel\xc3\xa9@x.test> SMTPUTF8\r\n"
	    "RCPT TO:<\xc3\xbc@mx.test>\r\n"
	    "DATA\r\n"
	    "Subject: caf\xc3\xa9\r\n"
	    ".\r\n"
	    "HELO client.test\r\n"
	    "MAIL FROM:<pel\xc3\xa9@x.test>\r\n"
	    "MAIL FROM:<a@b.example>\r\n"
	    "RCPT TO:<\xc3\xbc@mx.test>\r\n"
	    "QUIT\r\n";

	check_session(S(in),
	    GREET
	    EHLO_OK
	    NEED_UTF8
	    SENDER_OK("a@b.example")
	    NEED_UTF8
	    RSET_OK
	    SENDER_OK("pel\xc3\xa9@x.test")
	    RCPT_OK("\xc3\xbc@mx.test")
	    DATA_GO
	    DELIVERED("@ID1@")
	    HELO_OK
	    NEED_UTF8
	    SENDER_OK("a@b.example")
	    NEED_UTF8
	    BYE,
	    FROM_("pel?@x.test")
	    RPATH("pel\xc3\xa9@x.test")
	    RECEIVED("client.test", "UTF8SMTP", "@ID1@",
	    FOR("\xc3\xbc@mx.test"))
	    "Subject: caf\xc3\xa9\n"
	    "\n");
}
END_TEST

/* 20 rejected commands end the session (RFC 5321 4.1.4 suggests it). */
START_TEST(test_too_many_errors)
{
	char in[400], want[2400];
	size_t n = 0, o = 0;
	int i;

	o += (size_t)snprintf(want + o, sizeof(want) - o, "%s", GREET);
	for (i = 0; i < 19; i++) {
		n += (size_t)snprintf(in + n, sizeof(in) - n, "FOO\r\n");
		o += (size_t)snprintf(want + o, sizeof(want) - o, "%s",
		    UNKNOWN);
	}
	/* good commands between do not reset the count */
	n += (size_t)snprintf(in + n, sizeof(in) - n, "NOOP\r\nBAR\r\n"
	    "NOOP\r\nQUIT\r\n");
	o += (size_t)snprintf(want + o, sizeof(want) - o, "%s%s%s", NOOP_OK,
	    UNKNOWN, "421 4.7.0 mx.test too many errors, closing connection\r\n");
	check_session(in, n, want, NULL);
}
END_TEST

START_TEST(test_line_too_long)
{
	static const char head[] = "HELO client.test\r\nNOOP ";
	static const char mid[] = "\r\nNOOP ";
	static const char tail[] = "\r\nNOOP\r\n";
	size_t n = 0;
	char *in;

	in = malloc(110000);
	ck_assert_ptr_nonnull(in);
	memcpy(in + n, head, sizeof(head) - 1);
	n += sizeof(head) - 1;
	memset(in + n, 'x', 505);		/* "NOOP " + 505: 510 octets */
	n += 505;
	memcpy(in + n, mid, sizeof(mid) - 1);
	n += sizeof(mid) - 1;
	memset(in + n, 'y', 506);		/* 511 octets */
	n += 506;
	memcpy(in + n, tail, sizeof(tail) - 1);
	n += sizeof(tail) - 1;
	memset(in + n, 'z', 100000);
	n += 100000;
	memcpy(in + n, "\r\nQUIT\r\n", 8);
	n += 8;
	check_session(in, n,
	    GREET
	    HELO_OK
	    NOOP_OK
	    TOO_LONG
	    NOOP_OK
	    TOO_LONG
	    BYE, NULL);
	free(in);
}
END_TEST

START_TEST(test_bad_bytes_in_command)
{
	static const char in[] =
	    "NOOP a\0b\r\n"
	    "NO\rOP\r\n"
	    "HELO client.test\0\r\n"
	    "\0\r\n"
	    "HELO client.test\r\n"
	    "QUIT\r\n";

	check_session(S(in),
	    GREET
	    BAD_BYTES
	    BAD_BYTES
	    BAD_BYTES
	    BAD_BYTES
	    HELO_OK
	    BYE, NULL);
}
END_TEST

/* The input ends inside DATA: nothing is delivered, nothing replied. */
START_TEST(test_eof_in_data)
{
	check_session(S(
	    "HELO client.test\r\n"
	    "MAIL FROM:<a@b.example>\r\n"
	    "RCPT TO:<u@mx.test>\r\n"
	    "DATA\r\n"
	    "Subject: x\r\n"
	    "\r\n"
	    "body\r\n"),
	    GREET
	    HELO_OK
	    SENDER_OK("a@b.example")
	    RCPT_OK("u@mx.test")
	    DATA_GO, NULL);
	/* the same with a dot that never got its CR LF */
	check_session(S(
	    "HELO client.test\r\n"
	    "MAIL FROM:<a@b.example>\r\n"
	    "RCPT TO:<u@mx.test>\r\n"
	    "DATA\r\n"
	    "body\r\n"
	    ".\r"),
	    GREET
	    HELO_OK
	    SENDER_OK("a@b.example")
	    RCPT_OK("u@mx.test")
	    DATA_GO, NULL);
}
END_TEST

/*
 * -s: a message of exactly the limit (CR LF counted as 2) passes; one
 * octet more is read to its end, refused with 552, not delivered, and
 * the session goes on.
 */
START_TEST(test_message_over_size)
{
	char in[2000];
	size_t n = 0;

	cfg.max_size = 100;
	n += (size_t)snprintf(in + n, sizeof(in) - n, "EHLO client.test\r\n"
	    "MAIL FROM:<a@b.example>\r\nRCPT TO:<u@mx.test>\r\nDATA\r\n");
	memset(in + n, 'a', 98);
	n += 98;
	n += (size_t)snprintf(in + n, sizeof(in) - n, "\r\n.\r\n"
	    "MAIL FROM:<a@b.example>\r\nRCPT TO:<u@mx.test>\r\nDATA\r\n");
	memset(in + n, 'b', 99);
	n += 99;
	n += (size_t)snprintf(in + n, sizeof(in) - n, "\r\nQUIT\r\n"
	    "RSET\r\n.\r\nMAIL FROM:<a@b.example>\r\nQUIT\r\n");
	check_session(in, n,
	    GREET
	    "250-mx.test Hello client.test\r\n"
	    "250-PIPELINING\r\n"
	    "250-SIZE 100\r\n"
	    "250-8BITMIME\r\n"
	    "250-ENHANCEDSTATUSCODES\r\n"
	    "250-SMTPUTF8\r\n"
	    "250 HELP\r\n"
	    SENDER_OK("a@b.example")
	    RCPT_OK("u@mx.test")
	    DATA_GO
	    DELIVERED("@ID1@")
	    SENDER_OK("a@b.example")
	    RCPT_OK("u@mx.test")
	    DATA_GO
	    "552 5.3.4 Message too big: the limit is 100 octets\r\n"
	    SENDER_OK("a@b.example")
	    BYE,
	    FROM_("a@b.example")
	    RPATH("a@b.example")
	    RECEIVED("client.test", "ESMTP", "@ID1@", FOR("u@mx.test"))
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
	    "\n");
}
END_TEST

/* A first line ending in bare LF puts the session in lf_mode. */
START_TEST(test_lf_mode)
{
	check_session(S(
	    "HELO client.test\n"
	    "MAIL FROM:<a@b.example>\n"
	    "RCPT TO:<u@mx.test>\n"
	    "DATA\n"
	    "hello\n"
	    "..dot\n"
	    "crlf too\r\n"
	    ".\n"
	    "QUIT\n"),
	    GREET
	    HELO_OK
	    SENDER_OK("a@b.example")
	    RCPT_OK("u@mx.test")
	    DATA_GO
	    DELIVERED("@ID1@")
	    BYE,
	    FROM_("a@b.example")
	    RPATH("a@b.example")
	    RECEIVED("client.test", "SMTP", "@ID1@", FOR("u@mx.test"))
	    "hello\n"
	    ".dot\n"
	    "crlf too\n"
	    "\n");
}
END_TEST

/* A terminal on stdin means lf_mode whatever the first line. */
START_TEST(test_lf_mode_interactive)
{
	cfg.interactive = 1;
	check_session(S(
	    "HELO client.test\r\n"
	    "MAIL FROM:<a@b.example>\r\n"
	    "RCPT TO:<u@mx.test>\r\n"
	    "DATA\r\n"
	    "hi\n"
	    ".\n"
	    "QUIT\r\n"),
	    GREET
	    HELO_OK
	    SENDER_OK("a@b.example")
	    RCPT_OK("u@mx.test")
	    DATA_GO
	    DELIVERED("@ID1@")
	    BYE,
	    FROM_("a@b.example")
	    RPATH("a@b.example")
	    RECEIVED("client.test", "SMTP", "@ID1@", FOR("u@mx.test"))
	    "hi\n"
	    "\n");
}
END_TEST

/*
 * In a CR LF session, "." LF does not end the data; the message is
 * refused at its real end and what followed the "." LF was data, not
 * a command.
 */
START_TEST(test_crlf_mode_bare_lf)
{
	check_session(S(
	    "HELO client.test\r\n"
	    "MAIL FROM:<a@b.example>\r\n"
	    "RCPT TO:<u@mx.test>\r\n"
	    "DATA\r\n"
	    "hello\n"
	    ".\n"
	    "RSET\r\n"
	    ".\r\n"
	    "QUIT\r\n"),
	    GREET
	    HELO_OK
	    SENDER_OK("a@b.example")
	    RCPT_OK("u@mx.test")
	    DATA_GO
	    BARE_NEWLINE
	    BYE, NULL);
}
END_TEST

/* Every smuggling variant, in a CR LF session, through the session. */
START_TEST(test_smuggling)
{
	static const char *const variants[] = {
		"\n.\n", "\n.\r\n", "\r.\r", "\r.\r\n", "\r\n.\r", "\r\n.\n",
		"\n.\r",
	};
	char in[512];
	size_t i;
	int n;

	for (i = 0; i < sizeof(variants) / sizeof(*variants); i++) {
		n = snprintf(in, sizeof(in), "EHLO client.test\r\n"
		    "MAIL FROM:<a@b.example>\r\nRCPT TO:<u@mx.test>\r\n"
		    "DATA\r\nSubject: hi\r\n\r\nx%s"
		    "MAIL FROM:<e@vil.example>\r\nRCPT TO:<v@mx.test>\r\n"
		    "DATA\r\nsmuggled\r\n.\r\nQUIT\r\n", variants[i]);
		check_session(in, (size_t)n,
		    GREET
		    EHLO_OK
		    SENDER_OK("a@b.example")
		    RCPT_OK("u@mx.test")
		    DATA_GO
		    BARE_NEWLINE
		    BYE, NULL);
	}
}
END_TEST

START_TEST(test_nul_in_data)
{
	check_session(S(
	    "HELO client.test\r\n"
	    "MAIL FROM:<a@b.example>\r\n"
	    "RCPT TO:<u@mx.test>\r\n"
	    "DATA\r\n"
	    "a\0b\r\n"
	    ".\r\n"
	    "MAIL FROM:<a@b.example>\r\n"
	    "RCPT TO:<u@mx.test>\r\n"
	    "DATA\r\n"
	    "NUL and bare LF: NUL wins\0\r\n"
	    "c\nd\r\n"
	    ".\r\n"
	    "MAIL FROM:<a@b.example>\r\n"
	    "RCPT TO:<u@mx.test>\r\n"
	    "DATA\r\n"
	    "ok\r\n"
	    ".\r\n"
	    "QUIT\r\n"),
	    GREET
	    HELO_OK
	    SENDER_OK("a@b.example")
	    RCPT_OK("u@mx.test")
	    DATA_GO
	    NUL_IN_DATA
	    SENDER_OK("a@b.example")
	    RCPT_OK("u@mx.test")
	    DATA_GO
	    NUL_IN_DATA
	    SENDER_OK("a@b.example")
	    RCPT_OK("u@mx.test")
	    DATA_GO
	    DELIVERED("@ID3@")
	    BYE,
	    FROM_("a@b.example")
	    RPATH("a@b.example")
	    RECEIVED("client.test", "SMTP", "@ID3@", FOR("u@mx.test"))
	    "ok\n"
	    "\n");
}
END_TEST

/* The HELO name goes into Received only as header-safe characters. */
START_TEST(test_received_helo_and_peer)
{
	cfg.peer = "192.0.2.7";
	check_session(S(
	    "HELO c(l)i\"ent;x\r\n"
	    "MAIL FROM:<a@b.example>\r\n"
	    "RCPT TO:<u@mx.test>\r\n"
	    "DATA\r\n"
	    "x\r\n"
	    ".\r\n"
	    "QUIT\r\n"),
	    GREET
	    "250 mx.test Hello c(l)i\"ent;x\r\n"
	    SENDER_OK("a@b.example")
	    RCPT_OK("u@mx.test")
	    DATA_GO
	    DELIVERED("@ID1@")
	    BYE,
	    FROM_("a@b.example")
	    RPATH("a@b.example")
	    "Received: from c?l?i?ent?x ([192.0.2.7])\n"
	    "\tby mx.test (smtpd) with SMTP id @ID1@\n"
	    "\tfor <u@mx.test>;\n"
	    "\tTue, 14 Nov 2023 22:13:20 +0000\n"
	    "x\n"
	    "\n");
}
END_TEST

/* Read from fd, after the n octets in buf, until they end with tail. */
static void
read_until(int fd, char *buf, size_t size, size_t *n, const char *tail)
{
	size_t t = strlen(tail);
	ssize_t r;

	while (*n < t || memcmp(buf + *n - t, tail, t) != 0) {
		ck_assert_uint_lt(*n, size);
		r = read(fd, buf + *n, size - *n);
		ck_assert_msg(r > 0, "no more replies after %zu octets: %.*s",
		    *n, (int)*n, buf);
		*n += (size_t)r;
	}
}

/*
 * Pipelined messages share the mailbox's locks (deliver_mbox_keep), but
 * once smtpd has answered and waits for the client, it holds neither
 * PATH.lock nor the fcntl lock: a silent client cannot lock a mailbox.
 */
START_TEST(test_no_lock_while_waiting)
{
	static const char in[] =
	    "EHLO client.test\r\n"
	    "MAIL FROM:<a@b.example>\r\nRCPT TO:<u@mx.test>\r\nDATA\r\n"
	    "one\r\n.\r\n"
	    "MAIL FROM:<a@b.example>\r\nRCPT TO:<u@mx.test>\r\nDATA\r\n"
	    "two\r\n.\r\n";
	static char got[4096];
	struct timeval tv = { 10, 0 };
	struct flock fl;
	struct stat st;
	char *lock_path = test_path(dir, "mbox.lock"), *want, *mbox;
	size_t n = 0, mlen;
	unsigned base = id_base();
	int sv[2], fd;
	pid_t pid;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof(tv)), 0);
	if ((pid = fork()) == -1)
		ck_abort_msg("fork: %s", strerror(errno));
	if (pid == 0) {
		close(sv[1]);
		_exit(session_run(&cfg, sv[0], sv[0]));
	}
	close(sv[0]);
	ck_assert_int_eq(write(sv[1], in, sizeof(in) - 1),
	    (ssize_t)sizeof(in) - 1);
	want = expand(GREET EHLO_OK
	    SENDER_OK("a@b.example") RCPT_OK("u@mx.test") DATA_GO
	    DELIVERED("@ID1@")
	    SENDER_OK("a@b.example") RCPT_OK("u@mx.test") DATA_GO
	    DELIVERED("@ID2@"), base);
	read_until(sv[1], got, sizeof(got), &n, want);
	/* both answered, so smtpd now waits for the client */
	ck_assert_msg(lstat(lock_path, &st) == -1 && errno == ENOENT,
	    "PATH.lock held while waiting for the client");
	ck_assert_int_ne(fd = open(mbox_path, O_RDWR), -1);
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	ck_assert_int_eq(fcntl(fd, F_GETLK, &fl), 0);
	close(fd);
	ck_assert_msg(fl.l_type == F_UNLCK, "fcntl lock held by %ld",
	    (long)fl.l_pid);
	ck_assert_int_eq(write(sv[1], "QUIT\r\n", 6), 6);
	read_until(sv[1], got, sizeof(got), &n, BYE);
	close(sv[1]);
	ck_assert_int_eq(test_reap(pid), 0);
	ck_assert_uint_eq(n, strlen(want) + strlen(BYE));
	free(want);
	want = expand(FROM_("a@b.example") RPATH("a@b.example")
	    RECEIVED("client.test", "ESMTP", "@ID1@", FOR("u@mx.test"))
	    "one\n\n"
	    FROM_("a@b.example") RPATH("a@b.example")
	    RECEIVED("client.test", "ESMTP", "@ID2@", FOR("u@mx.test"))
	    "two\n\n", base);
	mbox = test_read_file(mbox_path, &mlen);
	ck_assert_ptr_nonnull(mbox);
	ASSERT_BYTES(mbox, mlen, want, strlen(want));
	free(mbox);
	free(want);
	free(lock_path);
}
END_TEST

/* A mailbox that is a directory: 550, and the session goes on. */
/* A mailbox that exists but is no file is refused at RCPT already. */
START_TEST(test_mailbox_refused_at_rcpt)
{
	char *box = test_path(dir, "box.d");

	ck_assert_int_eq(mkdir(box, 0700), 0);
	mbox_argv[0] = box;
	check_session(S(
	    "HELO client.test\r\n"
	    "MAIL FROM:<a@b.example>\r\n"
	    "RCPT TO:<u@mx.test>\r\n"
	    "DATA\r\n"
	    "NOOP\r\n"
	    "QUIT\r\n"),
	    GREET
	    HELO_OK
	    SENDER_OK("a@b.example")
	    "550 5.2.0 Mailbox unavailable\r\n"
	    "503 5.5.1 Send RCPT TO first\r\n"
	    NOOP_OK
	    BYE, NULL);
	/* still an empty directory */
	ck_assert_int_eq(rmdir(box), 0);
	free(box);
}
END_TEST

/*
 * The idle timeout: the client says HELO and then nothing, without
 * closing.  So the input stays open here and is written up front.
 */
START_TEST(test_timeout)
{
	static const char *const inputs[] = {
		"HELO client.test\r\n",
		"HELO client.test\r\nMAIL FROM:<a@b.example>\r\n"
		    "RCPT TO:<u@mx.test>\r\nDATA\r\npartial",
	};
	static const char *const wants[] = {
		GREET HELO_OK
		    "421 4.4.2 mx.test idle timeout, closing connection\r\n",
		GREET HELO_OK SENDER_OK("a@b.example") RCPT_OK("u@mx.test")
		    DATA_GO
		    "421 4.4.2 mx.test idle timeout, closing connection\r\n",
	};
	char *outpath, *out, *mbox;
	size_t i, outlen, mlen;
	int sv[2], outfd;

	cfg.timeout = 1;
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
		ck_assert_int_eq(write(sv[1], inputs[i], strlen(inputs[i])),
		    (ssize_t)strlen(inputs[i]));
		outpath = test_path(dir, "replies");
		outfd = open(outpath, O_RDWR | O_CREAT | O_TRUNC, 0600);
		ck_assert_int_ne(outfd, -1);
		ck_assert_int_eq(session_run(&cfg, sv[0], outfd), 0);
		close(sv[0]);
		close(sv[1]);
		close(outfd);
		out = test_read_file(outpath, &outlen);
		ck_assert_ptr_nonnull(out);
		ASSERT_STR_BYTES(out, outlen, wants[i]);
		free(out);
		unlink(outpath);
		free(outpath);
		mbox = test_read_file(mbox_path, &mlen);
		ck_assert_msg(mbox == NULL, "a mailbox was written");
	}
}
END_TEST

Suite *
session_suite(void)
{
	Suite *s = suite_create("session");
	TCase *tc = tcase_create("commands");
	TCase *td = tcase_create("data");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, TEST_TIMEOUT);
	tcase_add_test(tc, test_ehlo_advertisement);
	tcase_add_test(tc, test_out_of_order);
	tcase_add_test(tc, test_syntax_helo_mail);
	tcase_add_test(tc, test_syntax_rcpt_and_others);
	tcase_add_test(tc, test_other_commands);
	tcase_add_test(tc, test_guesses);
	tcase_add_test(tc, test_params);
	tcase_add_test(tc, test_size_param_limit);
	tcase_add_test(tc, test_params_after_helo);
	tcase_add_test(tc, test_domains);
	tcase_add_test(tc, test_rcpt_limit);
	tcase_add_test(tc, test_duplicate_rcpt);
	tcase_add_test(tc, test_duplicate_rcpt_at_limit);
	tcase_add_test(tc, test_utf8_addresses);
	tcase_add_test(tc, test_too_many_errors);
	tcase_add_test(tc, test_line_too_long);
	tcase_add_test(tc, test_bad_bytes_in_command);
	tcase_add_test(tc, test_timeout);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(td, setup, teardown);
	tcase_set_timeout(td, TEST_TIMEOUT);
	tcase_add_test(td, test_full_helo_session);
	tcase_add_test(td, test_two_messages);
	tcase_add_test(td, test_eof_in_data);
	tcase_add_test(td, test_message_over_size);
	tcase_add_test(td, test_lf_mode);
	tcase_add_test(td, test_lf_mode_interactive);
	tcase_add_test(td, test_crlf_mode_bare_lf);
	tcase_add_test(td, test_smuggling);
	tcase_add_test(td, test_nul_in_data);
	tcase_add_test(td, test_received_helo_and_peer);
	tcase_add_test(td, test_mailbox_refused_at_rcpt);
	tcase_add_test(td, test_no_lock_while_waiting);
	suite_add_tcase(s, td);
	return s;
}
