/* ISC license. */
/*
 * The HELP table: every command smtpd knows, with its syntax, what it
 * does and an example line, including the RFC 821 verbs that RFC 5321
 * dropped and why they are refused.  "HELP" lists them all, "HELP
 * VERB" explains one (RFC 5321 4.1.1.8 leaves the text to us).
 *
 * The same table answers "did you mean": a verb one typing slip away
 * from a real one (HLEO, RCTP, MIAL, DATE) is guessed back.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "help.h"
#include "util.h"

#define FOR_SMTP	0x01
#define FOR_LMTP	0x02
#define FOR_BOTH	(FOR_SMTP | FOR_LMTP)

struct topic {
	const char	*verb;
	int		 protocols;
	int		 guess;		/* a fit answer to "did you mean" */
	const char	*syntax;
	const char	*meaning;
	const char	*example;	/* NULL: the syntax is the example */
	const char	*more;		/* one more line, or NULL */
};

/* In the order a session uses them; EHLO before HELO so that EHELO
 * guesses EHLO. */
static const struct topic topics[] = {
	{ "EHLO", FOR_SMTP, 1, "EHLO your.host.name",
	    "start the session, listing the extensions (ESMTP)",
	    "EHLO puni.net", NULL },
	{ "HELO", FOR_SMTP, 1, "HELO your.host.name",
	    "start the session: say who you are",
	    "HELO puni.net", "Any word is accepted; it goes into the "
	    "Received header." },
	{ "LHLO", FOR_LMTP, 1, "LHLO your.host.name",
	    "start an LMTP session (RFC 2033)",
	    "LHLO puni.net", NULL },
	{ "MAIL", FOR_BOTH, 1, "MAIL FROM:<you@example.org>",
	    "the envelope sender: where bounces go; <> for none",
	    "MAIL FROM:<mimori@puni.net>", "It need not match the From: "
	    "header; the header is only text in the message." },
	{ "RCPT", FOR_BOTH, 1, "RCPT TO:<them@example.org>",
	    "a recipient: where the message really goes; repeat for more",
	    "RCPT TO:<sakura@puni.net>", "The To: and Cc: headers do not "
	    "decide where a message goes; RCPT does." },
	{ "DATA", FOR_BOTH, 1, "DATA",
	    "then the message: headers, blank line, body, and . alone",
	    NULL, "A body line that starts with . is sent with one more "
	    ". (dot-stuffing)." },
	{ "BDAT", FOR_BOTH, 1, "BDAT size [LAST]",
	    "instead of DATA: the next size octets are message (RFC 3030)",
	    "BDAT 6 LAST", "No dot-stuffing and no end line; LAST ends the "
	    "message.  Not mixed with DATA." },
	{ "RSET", FOR_BOTH, 1, "RSET",
	    "forget the sender and recipients; start again with MAIL",
	    NULL, NULL },
	{ "NOOP", FOR_BOTH, 1, "NOOP",
	    "do nothing; the server answers 250",
	    NULL, NULL },
	{ "QUIT", FOR_BOTH, 1, "QUIT",
	    "end the session",
	    NULL, NULL },
	{ "VRFY", FOR_BOTH, 1, "VRFY user@example.org",
	    "does the mailbox exist?  252: never told here (privacy)",
	    "VRFY mimori@puni.net", NULL },
	{ "EXPN", FOR_BOTH, 1, "EXPN list",
	    "who is on a list?  502: never told here (privacy)",
	    "EXPN staff", NULL },
	{ "HELP", FOR_BOTH, 1, "HELP [command]",
	    "this list, or more on one command",
	    "HELP MAIL", NULL },
	{ "SEND", FOR_BOTH, 0, "SEND FROM:<you@example.org>",
	    "RFC 821: to a terminal; obsolete, refused with 502",
	    NULL, "RFC 5321 dropped SEND, SOML and SAML: nobody used them." },
	{ "SOML", FOR_BOTH, 0, "SOML FROM:<you@example.org>",
	    "RFC 821: to a terminal or mailbox; obsolete, refused with 502",
	    NULL, "RFC 5321 dropped SEND, SOML and SAML: nobody used them." },
	{ "SAML", FOR_BOTH, 0, "SAML FROM:<you@example.org>",
	    "RFC 821: to a terminal and mailbox; obsolete, refused with 502",
	    NULL, "RFC 5321 dropped SEND, SOML and SAML: nobody used them." },
	{ "TURN", FOR_BOTH, 0, "TURN",
	    "RFC 821: swap client and server; unsafe, refused with 502",
	    NULL, "Anyone could take mail meant for someone else." },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL }
};

static const struct topic *find(const char *, size_t, int);
static int	folded(const char *, size_t);
static size_t	distance(const char *, size_t, const char *);

static const struct topic *
find(const char *verb, size_t n, int proto)
{
	const struct topic *t;

	for (t = topics; t->verb != NULL; t++)
		if ((t->protocols & proto) && strlen(t->verb) == n &&
		    strncasecmp(t->verb, verb, n) == 0)
			return t;
	return NULL;
}

/*
 * Fill lines with the HELP text for topic ("" for the list of every
 * command) and return how many there are, or 0 when no command has
 * that name.  lmtp picks LHLO instead of HELO and EHLO.
 */
int
help_text(const char *topic, int lmtp, char lines[][HELP_LINE_SIZE],
    size_t max)
{
	int proto = lmtp ? FOR_LMTP : FOR_SMTP;
	const struct topic *t;
	size_t n = 0, len = strlen(topic);

	if (max < 5)
		return 0;
	if (len == 0) {
		snprintf(lines[n++], HELP_LINE_SIZE, "Commands, in the order "
		    "a session uses them (any letter case):");
		for (t = topics; t->verb != NULL && n + 2 < max; t++)
			if (t->protocols & proto)
				snprintf(lines[n++], HELP_LINE_SIZE,
				    "  %-28s %s", t->syntax, t->meaning);
		snprintf(lines[n++], HELP_LINE_SIZE, "HELP MAIL (or another "
		    "command) shows an example");
		snprintf(lines[n++], HELP_LINE_SIZE, "End of HELP");
		return (int)n;
	}
	if ((t = find(topic, len, proto)) == NULL)
		return 0;
	snprintf(lines[n++], HELP_LINE_SIZE, "%s", t->syntax);
	snprintf(lines[n++], HELP_LINE_SIZE, "  %s", t->meaning);
	if (t->more != NULL)
		snprintf(lines[n++], HELP_LINE_SIZE, "  %s", t->more);
	snprintf(lines[n++], HELP_LINE_SIZE, "Example: %s",
	    t->example != NULL ? t->example : t->syntax);
	snprintf(lines[n++], HELP_LINE_SIZE, "End of HELP %s", t->verb);
	return (int)n;
}

/* w[i] in ASCII lower case, as an unsigned char (util_ascii_lower). */
static int
folded(const char *w, size_t i)
{
	return (unsigned char)util_ascii_lower(w[i]);
}

/*
 * Optimal string alignment distance between w[0..n) and the word v,
 * ignoring letter case: insertions, deletions, substitutions
 * and swaps of neighbours cost one each (HLEO -> HELO is one swap).
 * Words here are at most 8 letters; longer ones are "far".
 */
static size_t
distance(const char *w, size_t n, const char *v)
{
	size_t d[10][10], m = strlen(v), i, j, best;
	int a, b;

	if (n > 8 || m > 8)
		return 99;
	for (i = 0; i <= n; i++)
		d[i][0] = i;
	for (j = 0; j <= m; j++)
		d[0][j] = j;
	for (i = 1; i <= n; i++) {
		for (j = 1; j <= m; j++) {
			/* as unsigned char: a signed char compares wrong
			 * past 127 */
			a = folded(w, i - 1);
			b = folded(v, j - 1);
			best = d[i - 1][j - 1] + (a != b);
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a == folded(v, j - 2) &&
			    folded(w, i - 2) == b &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[n][m];
}

/* Is w[0..n) (any case) one typing slip from the upper-case word v? */
int
help_is_near(const char *w, size_t n, const char *v)
{
	return distance(w, n, v) <= 1;
}

/*
 * The command a mistyped verb w[0..n) most likely meant, or NULL when
 * none is one slip away.  Only letters are guessed at: "MAIL-FROM" is
 * not a typo of anything.
 */
const char *
help_guess_verb(const char *w, size_t n, int lmtp)
{
	int proto = lmtp ? FOR_LMTP : FOR_SMTP;
	const struct topic *t;
	size_t i;

	if (n < 3)
		return NULL;
	for (i = 0; i < n; i++)
		if (!((w[i] >= 'a' && w[i] <= 'z') || (w[i] >= 'A' &&
		    w[i] <= 'Z')))
			return NULL;
	for (t = topics; t->verb != NULL; t++)
		if (t->guess && (t->protocols & proto) &&
		    help_is_near(w, n, t->verb))
			return t->verb;
	return NULL;
}
