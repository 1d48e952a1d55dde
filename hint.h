/* ISC license. */
/*
 * Hints for a person typing at smtpd in a terminal: one short line on
 * stderr after a reply, saying what it means and what to type next, in
 * English or Japanese.  Never on stdout, which stays pure SMTP, and
 * never unless stderr is a terminal: under inetd it is the socket.
 */
#ifndef HINT_H
#define HINT_H

#include <stddef.h>

#include "config.h"
#include "reply.h"

enum hint_lang {
	HINT_EN,
	HINT_JA
};

enum hint_lang hint_language(const char *, const char *, const char *);
const char *hint_greeting(enum hint_lang, int);
const char *hint_after(enum reply_id, enum hint_lang);
const char *hint_code_meaning(int, enum hint_lang);
const char *hint_ehlo(enum hint_lang);
int	hint_reply(char *, size_t, enum reply_id, enum hint_lang);
int	hint_typed(char *, size_t, const char *, enum hint_lang);
int	hint_shell_word(char *, size_t, const char *);
int	hint_stored(char *, size_t, enum method_id, const char *,
	    enum hint_lang);
void	hint_write(int, enum hint_lang, const char *);

#endif
