/* ISC license. */
/*
 * libFuzzer target: addr_parse_path() (RFC 5321 4.1.2 paths).  The
 * first octet says whether <> is allowed; the rest, up to a NUL, is
 * the text after "FROM:" or "TO:".
 *
 * Oracles: an accepted path keeps the limits of RFC 5321 4.5.3.1, holds
 * no control octet or space outside quotes, is valid UTF-8, has utf8
 * set exactly when it holds non-ASCII, leaves *rest inside the input
 * at "" or " ", and parses again to itself when given back in angle
 * brackets (what smtpd accepts, it can also print and re-read).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "fuzz_util.h"

static void	check_accepted(const char *, size_t, int, const struct addr *,
		    const char *);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static void
check_accepted(const char *arg, size_t n, int allow_null,
    const struct addr *a, const char *rest)
{
	struct addr again;
	char brackets[ADDR_MAILBOX_MAX + 3];
	const char *rest2;
	size_t len = strlen(a->mailbox), i;
	int quoted = a->mailbox[0] == '"', high = 0;

	if (rest < arg || rest > arg + n || (*rest != '\0' && *rest != ' '))
		fuzz_fail("rest outside the input or not at a space");
	if (len > ADDR_MAILBOX_MAX || a->local_len > ADDR_LOCAL_MAX ||
	    a->local_len > len)
		fuzz_fail("limits broken: %zu/%zu", len, a->local_len);
	if (len == 0 && !allow_null)
		fuzz_fail("null path accepted where it is not allowed");
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)a->mailbox[i];

		/* a space only inside a quoted local part */
		if (c < 32 || c == 127 ||
		    (c == ' ' && !(quoted && i < a->local_len)))
			fuzz_fail("control octet or space in a path");
		if (c >= 0x80)
			high = 1;
	}
	if (high != a->utf8 || !utf8_valid(a->mailbox, len))
		fuzz_fail("utf8 flag or encoding wrong");
	if (len == 0)
		return;
	if (strlen(addr_domain(a)) > ADDR_DOMAIN_MAX)
		fuzz_fail("domain too long");
	snprintf(brackets, sizeof(brackets), "<%s>", a->mailbox);
	if (addr_parse_path(brackets, allow_null, &again, &rest2) != ADDR_OK ||
	    strcmp(again.mailbox, a->mailbox) != 0 ||
	    again.local_len != a->local_len ||
	    again.postmaster != a->postmaster)
		fuzz_fail("<%s> does not parse back to itself", a->mailbox);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct addr a;
	const char *rest = NULL;
	char *arg;
	size_t n;
	int allow_null;

	if (size == 0)
		return 0;
	allow_null = data[0] & 1;
	n = size - 1;
	if ((arg = malloc(n + 1)) == NULL)
		return 0;
	memcpy(arg, data + 1, n);
	arg[n] = '\0';
	n = strlen(arg);	/* a command line never holds a NUL */
	switch (addr_parse_path(arg, allow_null, &a, &rest)) {
	case ADDR_OK:
		check_accepted(arg, n, allow_null, &a, rest);
		break;
	case ADDR_NO_DOMAIN:
	case ADDR_SYNTAX:
		break;
	default:
		fuzz_fail("unknown status");
	}
	free(arg);
	return 0;
}
