/* ISC license. */
/*
 * The shape of every row of reply.h's REPLY_TABLE: a reply code of RFC
 * 5321 4.2, an enhanced status code of RFC 3463 whose class is the
 * code's first digit, and a text reply_with() can use.  A new or edited
 * row that breaks one of these fails here, naming the row.
 */
#include <stdio.h>
#include <string.h>

#include "check_smtpd.h"
#include "reply.h"

static const char *const names[R_COUNT] = {
#define REPLY_NAME(id, code, esc, text) [id] = #id,
	REPLY_TABLE(REPLY_NAME)
#undef REPLY_NAME
};

static int	number(const char *, size_t, unsigned *);

/*
 * s[0..n) is 1 to 3 digits without a leading zero (but "0" itself):
 * its value in *v.
 */
static int
number(const char *s, size_t n, unsigned *v)
{
	size_t i;

	if (n < 1 || n > 3 || (n > 1 && s[0] == '0'))
		return 0;
	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		*v = *v * 10 + (unsigned)(s[i] - '0');
	}
	return 1;
}

/*
 * RFC 5321 4.2: three digits, the first 2 to 5 (1yz is never used by
 * SMTP), the second 0 to 5 (4.2.1 names x0z to x5z).
 */
START_TEST(test_codes)
{
	const struct reply_text *r = &reply_table[_i];
	int c = r->code;

	ck_assert_msg(c >= 200 && c <= 599, "%s: code %d is not 2yz to 5yz",
	    names[_i], c);
	ck_assert_msg(c / 10 % 10 <= 5, "%s: code %d: second digit over 5",
	    names[_i], c);
}
END_TEST

/*
 * RFC 3463 2: class "." subject "." detail, the class 2, 4 or 5 and the
 * same as the reply code's first digit (RFC 2034 4); subjects are 0 to
 * 7 (3.1 to 3.8), details 0 to 999.  RFC 2034 3 puts none on the
 * greeting (220) or the HELO/EHLO reply; a 354 carries none either.
 * The 220 to STARTTLS answers a command and has one (RFC 3207 4).
 */
START_TEST(test_enhanced_codes)
{
	const struct reply_text *r = &reply_table[_i];
	const char *e = r->esc, *dot1, *dot2;
	unsigned subject, detail;
	int bare = _i == R_GREETING || _i == R_GREETING_LMTP ||
	    r->code == 354 || _i == R_HELO ||
	    strncmp(names[_i], "R_EHLO_", 7) == 0;

	if (bare) {
		ck_assert_msg(e == NULL, "%s: %d with enhanced code %s",
		    names[_i], r->code, e);
		return;
	}
	ck_assert_msg(e != NULL, "%s: %d without an enhanced code",
	    names[_i], r->code);
	ck_assert_msg(e[0] == '0' + r->code / 100 && e[1] == '.',
	    "%s: enhanced code %s does not begin with class %d", names[_i], e,
	    r->code / 100);
	dot1 = e + 1;
	dot2 = strchr(dot1 + 1, '.');
	ck_assert_msg(dot2 != NULL, "%s: enhanced code %s has no detail",
	    names[_i], e);
	ck_assert_msg(number(dot1 + 1, (size_t)(dot2 - dot1 - 1), &subject) &&
	    subject <= 7, "%s: enhanced code %s: subject not 0 to 7",
	    names[_i], e);
	ck_assert_msg(number(dot2 + 1, strlen(dot2 + 1), &detail) &&
	    detail <= 999, "%s: enhanced code %s: detail not 0 to 999",
	    names[_i], e);
}
END_TEST

/*
 * reply_with() fills one "%s"; the text is one line of the reply, so
 * it holds no CR or LF (nor another control octet).
 */
START_TEST(test_texts)
{
	const char *t = reply_table[_i].text, *p;
	int slots = 0;

	ck_assert_msg(t != NULL && *t != '\0', "%s: empty text", names[_i]);
	for (p = t; (p = strstr(p, "%s")) != NULL; p += 2)
		slots++;
	ck_assert_msg(slots <= 1, "%s: %d \"%%s\" in \"%s\"", names[_i],
	    slots, t);
	for (p = t; *p != '\0'; p++)
		ck_assert_msg((unsigned char)*p >= 32 && *p != 127,
		    "%s: control octet 0x%02X in \"%s\"", names[_i],
		    (unsigned)(unsigned char)*p, t);
}
END_TEST

Suite *
reply_suite(void)
{
	Suite *s = suite_create("reply");
	TCase *tc = tcase_create("reply");

	tcase_add_loop_test(tc, test_codes, 0, R_COUNT);
	tcase_add_loop_test(tc, test_enhanced_codes, 0, R_COUNT);
	tcase_add_loop_test(tc, test_texts, 0, R_COUNT);
	suite_add_tcase(s, tc);
	return s;
}
