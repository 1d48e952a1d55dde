/* ISC license. */
/*
 * Every byte the client can read: reply ids, codes, enhanced status codes
 * and texts.  Codes follow RFC 5321 4.2, enhanced codes RFC 3463.
 * Texts are interface: transcript tests pin them byte for byte.
 * A text holds at most one "%s", the reply's argument, and may name the
 * server with "%h" (the -n name); reply_format() fills both.
 */
#ifndef REPLY_H
#define REPLY_H

#define REPLY_TABLE(X) \
	/* greeting and farewell: no enhanced code on 220 (RFC 2034 3) */ \
	X(R_GREETING,        220, NULL,    "%h ESMTP smtpd ready") \
	X(R_GREETING_LMTP,   220, NULL,    "%h LMTP smtpd ready") \
	X(R_HELO,            250, NULL,    "%h Hello %s") \
	/* the EHLO and LHLO keywords after the R_HELO line (RFC 5321 \
	 * 4.1.1.1): no enhanced code on that reply (RFC 2034 3) */ \
	X(R_EHLO_PIPELINING, 250, NULL,    "PIPELINING") \
	X(R_EHLO_SIZE,       250, NULL,    "SIZE %s") \
	X(R_EHLO_8BITMIME,   250, NULL,    "8BITMIME") \
	X(R_EHLO_STARTTLS,   250, NULL,    "STARTTLS") \
	X(R_EHLO_ENHANCED,   250, NULL,    "ENHANCEDSTATUSCODES") \
	X(R_EHLO_SMTPUTF8,   250, NULL,    "SMTPUTF8") \
	X(R_EHLO_HELP,       250, NULL,    "HELP") \
	X(R_EHLO_CHUNKING,   250, NULL,    "CHUNKING") \
	X(R_QUIT,            221, "2.0.0", "%h closing connection") \
	X(R_TIMEOUT,         421, "4.4.2", "%h idle timeout, closing connection") \
	X(R_TOO_SLOW,        421, "4.4.2", "%h data arriving too slowly, closing connection") \
	X(R_TOO_MANY_ERRORS, 421, "4.7.0", "%h too many errors, closing connection") \
	X(R_SHUTDOWN,        421, "4.3.0", "%h local error, closing connection") \
	X(R_STOPPING,        421, "4.3.2", "%h shutting down, closing connection") \
	/* commands that always work */ \
	X(R_NOOP,             250, "2.0.0", "OK") \
	X(R_RSET,            250, "2.0.0", "Reset; start again with MAIL FROM") \
	X(R_VRFY,            252, "2.5.0", "Cannot VRFY users; send the mail and delivery will be tried") \
	X(R_EXPN,            502, "5.5.1", "EXPN is disabled: lists are not revealed") \
	X(R_OBSOLETE,        502, "5.5.1", "%s is obsolete (RFC 5321) and not supported") \
	X(R_NOT_OFFERED,     502, "5.5.1", "%s is not offered by this server") \
	/* STARTTLS (RFC 3207 4, 4.1) through a wrapper (tls.c) */ \
	X(R_TLS_GO,          220, "2.0.0", "Ready to start TLS") \
	X(R_TLS_ACTIVE,      503, "5.5.1", "TLS is already active") \
	X(R_TLS_IN_TXN,      503, "5.5.1", "STARTTLS inside a transaction; send RSET first") \
	X(R_TLS_REQUIRED,    530, "5.7.0", "Must issue a STARTTLS command first") \
	X(R_UNKNOWN,         500, "5.5.1", "Unknown command; type HELP for the list") \
	X(R_UNKNOWN_GUESS,   500, "5.5.1", "Unknown command; did you mean %s?") \
	X(R_UNKNOWN_GLUED,   500, "5.5.1", "Unknown command; put a space after %s") \
	X(R_LHLO_ONLY,       500, "5.5.1", "This is an LMTP server: say LHLO your.host.name") \
	X(R_LINE_TOO_LONG,   500, "5.5.2", "Line too long: a command has at most 512 octets") \
	X(R_BAD_BYTES,       500, "5.5.2", "Command contains a NUL or a bare CR") \
	/* sequence (RFC 5321 4.1.4) */ \
	X(R_NEED_HELO,       503, "5.5.1", "Send HELO or EHLO first") \
	X(R_NEED_LHLO,       503, "5.5.1", "Send LHLO first") \
	X(R_NEED_MAIL,       503, "5.5.1", "Send MAIL FROM first") \
	X(R_NEED_RCPT,       503, "5.5.1", "Send RCPT TO first") \
	X(R_NESTED_MAIL,     503, "5.5.1", "Sender already given; send RSET to start over") \
	/* syntax */ \
	X(R_SYNTAX_HELO,     501, "5.5.4", "Syntax: %s your.host.name") \
	X(R_SYNTAX_MAIL,     501, "5.5.4", "Syntax: MAIL FROM:<you@example.org>") \
	X(R_SYNTAX_RCPT,     501, "5.5.4", "Syntax: RCPT TO:<them@example.org>") \
	X(R_SYNTAX_VRFY,     501, "5.5.4", "Syntax: VRFY user@example.org") \
	X(R_FROM_TYPO,       501, "5.5.4", "Did you mean FROM:?  Syntax: MAIL FROM:<you@example.org>") \
	X(R_TO_TYPO,         501, "5.5.4", "Did you mean TO:?  Syntax: RCPT TO:<them@example.org>") \
	X(R_MAIL_EMPTY,      501, "5.5.4", "No address after FROM:; type MAIL FROM:<you@example.org>, or <> for none") \
	X(R_RCPT_EMPTY,      501, "5.5.4", "No address after TO:; type RCPT TO:<them@example.org>") \
	X(R_NO_ARGUMENT,     501, "5.5.4", "Syntax: %s takes no argument") \
	X(R_BAD_SENDER,      501, "5.1.7", "Bad sender address syntax") \
	X(R_BAD_RCPT,        501, "5.1.3", "Bad recipient address syntax") \
	X(R_BAD_SENDER_GUESS, 501, "5.1.7", "Bad sender address syntax; did you mean MAIL FROM:%s?") \
	X(R_BAD_RCPT_GUESS,  501, "5.1.3", "Bad recipient address syntax; did you mean RCPT TO:%s?") \
	X(R_RCPT_NO_DOMAIN,  501, "5.1.3", "Recipient needs a domain: user@example.org") \
	X(R_SENDER_NO_DOMAIN, 501, "5.1.7", "Sender needs a domain: user@example.org, or <> for none") \
	X(R_NEED_UTF8,       553, "5.6.7", "Non-ASCII address needs MAIL FROM:<...> SMTPUTF8") \
	X(R_PARAM_UNKNOWN,   555, "5.5.4", "Unsupported parameter %s") \
	X(R_PARAM_BAD,       501, "5.5.4", "Bad value or repeated parameter %s") \
	X(R_PARAM_NEED_EHLO, 555, "5.5.4", "Parameters need EHLO, not HELO") \
	/* MAIL, RCPT */ \
	X(R_SENDER_OK,       250, "2.1.0", "Sender %s OK") \
	X(R_RCPT_OK,         250, "2.1.5", "Recipient %s OK") \
	X(R_RELAY_DENIED,    550, "5.7.1", "Relaying denied: %s is not a domain served here") \
	X(R_UNKNOWN_USER,    550, "5.1.1", "No such user here: %s") \
	X(R_TABLE_UNREADABLE, 451, "4.3.0", "Recipient table unavailable; try again later") \
	X(R_TOO_MANY_UNKNOWN, 421, "4.7.0", "%h too many unknown recipients, closing connection") \
	X(R_TOO_MANY_RCPTS,  452, "4.5.3", "Too many recipients; send the rest in a new transaction") \
	X(R_TOO_BIG,         552, "5.3.4", "Message too big: the limit is %s octets") \
	/* DATA (RFC 5321 4.1.1.4, 2.3.8) */ \
	X(R_DATA_GO,         354, NULL,    "End data with <CR><LF>.<CR><LF>") \
	X(R_DATA_OK,         250, "2.0.0", "Message %s delivered") \
	X(R_LMTP_DELIVERED,  250, "2.0.0", "Delivered to %s") \
	X(R_BARE_NEWLINE,    554, "5.6.0", "Message refused: bare CR; end every line with CRLF") \
	X(R_NUL_IN_DATA,     554, "5.6.0", "Message refused: it contains a NUL octet") \
	/* BDAT (RFC 3030): %s is the chunk's size */ \
	X(R_CHUNK_OK,        250, "2.0.0", "%s octets received; send the next chunk or BDAT 0 LAST") \
	X(R_SYNTAX_BDAT,     501, "5.5.4", "Syntax: BDAT size [LAST]; the data cannot be framed, closing connection") \
	X(R_DATA_AFTER_BDAT, 503, "5.5.1", "DATA cannot follow BDAT; end with BDAT 0 LAST, or RSET") \
	X(R_RCPT_AFTER_BDAT, 503, "5.5.1", "Recipients come before BDAT; end with BDAT 0 LAST, or RSET") \
	X(R_CHUNK_ABANDONED, 421, "4.3.4", "%h chunk larger than the size limit, closing connection") \
	X(R_NO_BINARYMIME,   555, "5.5.4", "BODY=BINARYMIME is not offered; send BODY=8BITMIME") \
	/* delivery outcomes */ \
	X(R_LOCAL_ERROR,     451, "4.3.0", "Local error in processing; try again later") \
	X(R_MAILBOX_BUSY,    451, "4.2.0", "Mailbox busy; try again later") \
	X(R_NO_SPACE,        452, "4.3.1", "Insufficient system storage; try again later") \
	X(R_MAILBOX_BAD,     550, "5.2.0", "Mailbox unavailable") \
	X(R_BAD_LOCAL_PART,  550, "5.1.3", "Local part not allowed in a mailbox name: %s") \
	X(R_BAD_DOMAIN_PART, 550, "5.1.2", "Domain not allowed in a mailbox name: %s") \
	X(R_DASH_RCPT,       550, "5.1.3", "Recipient may not begin with '-' for a delivery program: %s") \
	X(R_DASH_SENDER,     553, "5.1.7", "Sender may not begin with '-' for a delivery program: %s") \
	/* pipe delivery: %s is the program's first line on stderr */ \
	X(R_PIPE_TEMPFAIL,   451, "4.3.0", "Delivery deferred: %s") \
	X(R_PIPE_NOUSER,     550, "5.1.1", "No such user: %s") \
	X(R_PIPE_FAILED,     554, "5.3.0", "Delivery failed: %s") \
	X(R_PIPE_ARG_LONG,   554, "5.3.5", "Delivery program argument too long") \
	X(R_PIPE_TIMEOUT,    451, "4.3.0", "Delivery program timed out; try again later") \
	X(R_PIPE_CRASHED,    451, "4.3.0", "Delivery program killed by signal %s; try again later") \
	/* HELP (RFC 5321 4.1.1.8): one line each of help.c's text */ \
	X(R_HELP,            214, "2.0.0", "%s") \
	X(R_HELP_UNKNOWN,    504, "5.5.4", "No HELP for %s; type HELP for the list")

#define REPLY_ENUM(id, code, esc, text) id,
enum reply_id {
	REPLY_TABLE(REPLY_ENUM)
	R_COUNT,	/* rows in the table */
	R_NONE		/* no reply: all is fine, or already answered */
};
#undef REPLY_ENUM

struct reply_text {
	int		 code;
	const char	*esc;	/* RFC 3463 enhanced code, NULL where none */
	const char	*text;
};

/* One reply line: RFC 5321 4.5.3.1.5 allows 512 octets with CR LF. */
#define REPLY_LINE_MAX	512

extern const struct reply_text reply_table[R_COUNT];

int	reply_format(char *, size_t, enum reply_id, const char *,
	    const char *, int);
const char *reply_reason(enum reply_id);

#endif
