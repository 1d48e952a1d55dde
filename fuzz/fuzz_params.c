/* ISC license. */
/*
 * libFuzzer target: addr_next_param(), the ESMTP parameters after a
 * MAIL or RCPT path (RFC 5321 4.1.2 esmtp-param, RFC 6531 values).
 * The input, up to a NUL, is the text after the path.
 *
 * Oracles: each keyword and value lies inside the input, the keyword
 * matches esmtp-keyword, the value is non-empty esmtp-value or UTF-8,
 * the cursor moves forward on every success (so a caller's loop ends),
 * and the loop ends within one step per octet.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "fuzz_util.h"

static void	check_param(const char *, size_t, const char *, size_t,
		    const char *, size_t);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static void
check_param(const char *in, size_t n, const char *key, size_t keylen,
    const char *val, size_t vallen)
{
	size_t i;

	if (keylen == 0 || key < in || key + keylen > in + n)
		fuzz_fail("keyword outside the input");
	if (!isalnum((unsigned char)key[0]))
		fuzz_fail("keyword starts with a non-alphanumeric");
	for (i = 0; i < keylen; i++)
		if (!isalnum((unsigned char)key[i]) && key[i] != '-')
			fuzz_fail("bad octet in a keyword");
	if (val == NULL)
		return;
	if (vallen == 0 || val < in || val + vallen > in + n ||
	    val != key + keylen + 1)
		fuzz_fail("value outside the input or empty");
	for (i = 0; i < vallen; i++)
		if ((unsigned char)val[i] <= 32 || val[i] == '=' ||
		    val[i] == 127)
			fuzz_fail("bad octet in a value");
	if (!utf8_valid(val, vallen))
		fuzz_fail("value is not UTF-8");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p, *before, *key, *val;
	char *in;
	size_t n, keylen, vallen, steps = 0;
	int r;

	if ((in = malloc(size + 1)) == NULL)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	n = strlen(in);
	p = in;
	for (;;) {
		before = p;
		r = addr_next_param(&p, &key, &keylen, &val, &vallen);
		if (r != 1)
			break;
		check_param(in, n, key, keylen, val, vallen);
		if (p <= before || p > in + n)
			fuzz_fail("cursor did not move forward");
		if (++steps > n)
			fuzz_fail("more parameters than octets");
	}
	if (r != 0 && r != -1)
		fuzz_fail("unknown result %d", r);
	free(in);
	return 0;
}
