/* ISC license. */
/*
 * Unit tests for addr.c: RFC 5321 4.1.2 paths (with RFC 6531 UTF-8),
 * the length limits of 4.5.3.1, ESMTP parameters, and the UTF-8
 * validator (RFC 3629 section 4 syntax).
 */
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "check_smtpd.h"

struct good_path {
	const char	*in;
	int		 allow_null;
	const char	*mailbox;
	int		 utf8;
	int		 postmaster;
	const char	*rest;
};

static const struct good_path good[] = {
	{ "<a@b.example>", 0, "a@b.example", 0, 0, "" },
	{ "<first.last@sub.example.org>", 0, "first.last@sub.example.org",
	    0, 0, "" },
	{ "<!#$%&'*+-/=?^_`{|}~@x.org>", 0, "!#$%&'*+-/=?^_`{|}~@x.org",
	    0, 0, "" },
	{ "<A.B.C@123.EXAMPLE>", 0, "A.B.C@123.EXAMPLE", 0, 0, "" },
	{ "<a@a-b--c.example>", 0, "a@a-b--c.example", 0, 0, "" },
	/* quoted local parts, with quoted pairs (RFC 5321 4.1.2) */
	{ "<\"john doe\"@x.org>", 0, "\"john doe\"@x.org", 0, 0, "" },
	{ "<\"a\\\"b\\\\c\"@x.org>", 0, "\"a\\\"b\\\\c\"@x.org", 0, 0, "" },
	{ "<\"@\"@x.org>", 0, "\"@\"@x.org", 0, 0, "" },
	{ "<\"\"@x.org>", 0, "\"\"@x.org", 0, 0, "" },
	{ "<\"a\\ b\"@x.org>", 0, "\"a\\ b\"@x.org", 0, 0, "" },
	/* address literals (RFC 5321 4.1.3) */
	{ "<a@[192.0.2.1]>", 0, "a@[192.0.2.1]", 0, 0, "" },
	{ "<a@[IPv6:2001:db8::1]>", 0, "a@[IPv6:2001:db8::1]", 0, 0, "" },
	{ "<a@[ipv6:::1]>", 0, "a@[ipv6:::1]", 0, 0, "" },
	{ "<a@[x-tag:some-text]>", 0, "a@[x-tag:some-text]", 0, 0, "" },
	/* source routes are read and thrown away (RFC 5321 4.1.2, C) */
	{ "<@a,@b:u@c>", 0, "u@c", 0, 0, "" },
	{ "<@relay.example:u@c.example>", 0, "u@c.example", 0, 0, "" },
	/* RFC 6531: UTF-8 local part and domain */
	{ "<pel\xc3\xa9@ex\xc3\xa4mple.org>", 0,
	    "pel\xc3\xa9@ex\xc3\xa4mple.org", 1, 0, "" },
	{ "<\xe7\x94\xa8\xe6\x88\xb7@example.org>", 0,
	    "\xe7\x94\xa8\xe6\x88\xb7@example.org", 1, 0, "" },
	{ "<u@\xf0\x9f\x98\x80.example>", 0, "u@\xf0\x9f\x98\x80.example",
	    1, 0, "" },
	{ "<\"caf\xc3\xa9\"@x.org>", 0, "\"caf\xc3\xa9\"@x.org", 1, 0, "" },
	/* postmaster needs no domain (RFC 5321 4.5.1), any case */
	{ "<postmaster>", 0, "postmaster", 0, 1, "" },
	{ "<PostMaster>", 0, "PostMaster", 0, 1, "" },
	{ "<POSTMASTER>", 0, "POSTMASTER", 0, 1, "" },
	{ "postmaster", 0, "postmaster", 0, 1, "" },
	{ "<postmaster@x.org>", 0, "postmaster@x.org", 0, 0, "" },
	/* leniency: no brackets, spaces after the colon */
	{ "a@b", 0, "a@b", 0, 0, "" },
	{ "   <a@b>", 0, "a@b", 0, 0, "" },
	{ "  a@b", 0, "a@b", 0, 0, "" },
	/* what follows is left for the parameters */
	{ "<a@b> SIZE=10", 0, "a@b", 0, 0, " SIZE=10" },
	{ "a@b BODY=7BIT", 0, "a@b", 0, 0, " BODY=7BIT" },
	{ "<a@b> ", 0, "a@b", 0, 0, " " },
	/* the null path, where allowed (RFC 5321 4.5.5) */
	{ "<>", 1, "", 0, 0, "" },
	{ "<> SIZE=1", 1, "", 0, 0, " SIZE=1" },
	{ " <>", 1, "", 0, 0, "" },
};

static const char *const bad[] = {
	"",
	"<",
	">",
	"<a@b.example",			/* missing > */
	"<a b@c>",
	"<a@b c>",
	"< a@b>",
	"<a@b >",
	"<a@b>x",
	"<a@b>>",
	"<a@b><c@d>",
	"<a..b@c>",			/* dots */
	"<.a@b>",
	"<a.@b>",
	"<a@b..c>",
	"<a@.b>",
	"<a@b.>",
	"<a@>",
	"<@b>",
	"<a@-b.c>",			/* hyphens at label edges */
	"<a@b-.c>",
	"<a@b.-c>",
	"<a@b_c.d>",
	"<a\\b@c>",			/* backslash outside quotes */
	"<\"a\"b@c>",
	"<\"unterminated@b>",
	"<\"a\\\"@b>",
	"<a\x01@b>",			/* controls */
	"<a@b\x7f>",
	"<a\x7f@b>",
	"<\"a\x01\"@b>",
	"<\"a\tb\"@b>",
	"<a\t@b>",
	"<\"a\\\x01\"@b>",
	"<\xff@b>",			/* not UTF-8 */
	"<a@\xff.b>",
	"<\xc3@b>",
	"<a\xc3>",
	"<\x80@b>",
	"<\xc0\xaf@b>",			/* overlong */
	"<\xc1\xbf@b>",
	"<\xe0\x80\xaf@b>",
	"<\xf0\x80\x80\xaf@b>",
	"<\xed\xa0\x80@b>",		/* surrogate */
	"<\xf4\x90\x80\x80@b>",		/* beyond U+10FFFF */
	"<\xf5\x80\x80\x80@b>",
	"<\"\xff\"@b>",
	"<a\xc2\x9b" "31mRED\xc2\x9b" "0m@b>",	/* Unicode controls */
	"<a\xe2\x80\xa8@b>",
	"<\"a\xe2\x80\xa9\"@b>",
	"<a@b\xe2\x80\xae.c>",
	"<\"x> to=<c@d> delivered\xe2\x80\xa8id=F\"@e>",
	"<@a,u@c>",			/* broken routes */
	"<@a:>",
	"<@-a:u@c>",
	"@a:u@c",
	"<a@[300.1.1.1]>",		/* broken literals */
	"<a@[IPv6:zz]>",
	"<a@[IPv6:192.0.2.1]>",
	"<a@[1.2.3.4>",
	"<a@[]>",
	"<a@[tag:]>",
	"<a@[tag-:x]>",
	"<a@[tag:a b]>",
	"<a@[tag:a\\b]>",
	"<a@[1.2.3.4]x>",
};

static char	*repeat(char *, char, size_t);

/* Fill p with n copies of c; returns the end, NUL-terminated. */
static char *
repeat(char *p, char c, size_t n)
{
	memset(p, c, n);
	p[n] = '\0';
	return p + n;
}

START_TEST(test_good_paths)
{
	const struct good_path *g = &good[_i];
	const char *rest = NULL, *at;
	struct addr a;

	ck_assert_msg(addr_parse_path(g->in, g->allow_null, &a, &rest) ==
	    ADDR_OK, "path %s", g->in);
	ck_assert_str_eq(a.mailbox, g->mailbox);
	/* the local part ends at the last '@' (a quoted one may hold '@') */
	at = strrchr(g->mailbox, '@');
	ck_assert_uint_eq(a.local_len, at != NULL ?
	    (size_t)(at - g->mailbox) : strlen(g->mailbox));
	ck_assert_int_eq(a.utf8, g->utf8);
	ck_assert_int_eq(a.postmaster, g->postmaster);
	ck_assert_ptr_nonnull(rest);
	ck_assert_str_eq(rest, g->rest);
	ck_assert_str_eq(addr_domain(&a), at != NULL ? at + 1 : "");
}
END_TEST

START_TEST(test_bad_paths)
{
	const char *rest;
	struct addr a;

	ck_assert_msg(addr_parse_path(bad[_i], 1, &a, &rest) == ADDR_SYNTAX,
	    "accepted bad path #%d", _i);
}
END_TEST

START_TEST(test_null_path)
{
	const char *rest;
	struct addr a;

	/* <> only where allowed: a recipient cannot be null */
	ck_assert_int_eq(addr_parse_path("<>", 0, &a, &rest), ADDR_SYNTAX);
	ck_assert_int_eq(addr_parse_path("<> x", 0, &a, &rest), ADDR_SYNTAX);
	ck_assert_int_eq(addr_parse_path("<>x", 1, &a, &rest), ADDR_SYNTAX);
	ck_assert_int_eq(addr_parse_path("<>>", 1, &a, &rest), ADDR_SYNTAX);
}
END_TEST

START_TEST(test_no_domain)
{
	const char *rest;
	struct addr a;

	ck_assert_int_eq(addr_parse_path("<user>", 0, &a, &rest),
	    ADDR_NO_DOMAIN);
	ck_assert_int_eq(addr_parse_path("user", 1, &a, &rest),
	    ADDR_NO_DOMAIN);
	ck_assert_int_eq(addr_parse_path("<\"q u\">", 0, &a, &rest),
	    ADDR_NO_DOMAIN);
	ck_assert_int_eq(addr_parse_path("<postmasters>", 0, &a, &rest),
	    ADDR_NO_DOMAIN);
	ck_assert_int_eq(addr_parse_path("<@a:user>", 0, &a, &rest),
	    ADDR_NO_DOMAIN);
	/* a syntax error wins over the missing domain */
	ck_assert_int_eq(addr_parse_path("<user", 0, &a, &rest),
	    ADDR_SYNTAX);
	ck_assert_int_eq(addr_parse_path("<user>x", 0, &a, &rest),
	    ADDR_SYNTAX);
}
END_TEST

/* RFC 5321 4.5.3.1.1 and 4.5.3.1.3: local part 64, mailbox 254. */
START_TEST(test_lengths)
{
	char in[600], *p;
	const char *rest;
	struct addr a;

	/* a 64-octet local part passes, 65 does not */
	p = in;
	*p++ = '<';
	p = repeat(p, 'l', 64);
	strcpy(p, "@x.org>");
	ck_assert_int_eq(addr_parse_path(in, 0, &a, &rest), ADDR_OK);
	ck_assert_uint_eq(a.local_len, 64);
	p = in;
	*p++ = '<';
	p = repeat(p, 'l', 65);
	strcpy(p, "@x.org>");
	ck_assert_int_eq(addr_parse_path(in, 0, &a, &rest), ADDR_SYNTAX);
	/* the same with a quoted local part: the quotes count */
	p = in;
	*p++ = '<';
	*p++ = '"';
	p = repeat(p, 'q', 62);
	strcpy(p, "\"@x.org>");
	ck_assert_int_eq(addr_parse_path(in, 0, &a, &rest), ADDR_OK);
	p = in;
	*p++ = '<';
	*p++ = '"';
	p = repeat(p, 'q', 63);
	strcpy(p, "\"@x.org>");
	ck_assert_int_eq(addr_parse_path(in, 0, &a, &rest), ADDR_SYNTAX);

	/* 64 + "@" + 189 = 254 octets passes; 255 does not */
	p = in;
	*p++ = '<';
	p = repeat(p, 'l', 64);
	*p++ = '@';
	p = repeat(p, 'd', 60);
	*p++ = '.';
	p = repeat(p, 'd', 60);
	*p++ = '.';
	p = repeat(p, 'd', 60);
	*p++ = '.';
	p = repeat(p, 'd', 6);
	strcpy(p, ">");
	ck_assert_int_eq(addr_parse_path(in, 0, &a, &rest), ADDR_OK);
	ck_assert_uint_eq(strlen(a.mailbox), 254);
	ck_assert_str_eq(rest, "");
	strcpy(p, "d>");
	ck_assert_int_eq(addr_parse_path(in, 0, &a, &rest), ADDR_SYNTAX);
	/* without brackets the same limit holds */
	strcpy(p, "");
	ck_assert_int_eq(addr_parse_path(in + 1, 0, &a, &rest), ADDR_OK);
	ck_assert_uint_eq(strlen(a.mailbox), 254);
	strcpy(p, "d");
	ck_assert_int_eq(addr_parse_path(in + 1, 0, &a, &rest), ADDR_SYNTAX);
	/* RFC 1035 2.3.4: a label of 63 octets passes, 64 does not */
	p = in;
	*p++ = '<';
	*p++ = 'u';
	*p++ = '@';
	p = repeat(p, 'd', 63);
	strcpy(p, ".org>");
	ck_assert_int_eq(addr_parse_path(in, 0, &a, &rest), ADDR_OK);
	p = in + 3;
	p = repeat(p, 'd', 64);
	strcpy(p, ".org>");
	ck_assert_int_eq(addr_parse_path(in, 0, &a, &rest), ADDR_SYNTAX);
	/* a 300-octet domain after a short local part */
	p = in;
	*p++ = '<';
	*p++ = 'u';
	*p++ = '@';
	p = repeat(p, 'd', 300);
	strcpy(p, ">");
	ck_assert_int_eq(addr_parse_path(in, 0, &a, &rest), ADDR_SYNTAX);
}
END_TEST

START_TEST(test_params)
{
	const char *p = "SIZE=10 BODY=8BITMIME SMTPUTF8";
	const char *key, *val;
	size_t keylen, vallen;

	ck_assert_int_eq(addr_next_param(&p, &key, &keylen, &val, &vallen),
	    1);
	ASSERT_BYTES(key, keylen, "SIZE", 4);
	ck_assert_ptr_nonnull(val);
	ASSERT_BYTES(val, vallen, "10", 2);
	ck_assert_int_eq(addr_next_param(&p, &key, &keylen, &val, &vallen),
	    1);
	ASSERT_BYTES(key, keylen, "BODY", 4);
	ASSERT_BYTES(val, vallen, "8BITMIME", 8);
	ck_assert_int_eq(addr_next_param(&p, &key, &keylen, &val, &vallen),
	    1);
	ASSERT_BYTES(key, keylen, "SMTPUTF8", 8);
	ck_assert_ptr_null(val);
	ck_assert_uint_eq(vallen, 0);
	ck_assert_int_eq(addr_next_param(&p, &key, &keylen, &val, &vallen),
	    0);
	ck_assert_int_eq(addr_next_param(&p, &key, &keylen, &val, &vallen),
	    0);

	/* blanks around, a hyphen in the keyword, a UTF-8 value */
	p = "  X-FOO=bar   ENVID=caf\xc3\xa9  ";
	ck_assert_int_eq(addr_next_param(&p, &key, &keylen, &val, &vallen),
	    1);
	ASSERT_BYTES(key, keylen, "X-FOO", 5);
	ASSERT_BYTES(val, vallen, "bar", 3);
	ck_assert_int_eq(addr_next_param(&p, &key, &keylen, &val, &vallen),
	    1);
	ASSERT_BYTES(key, keylen, "ENVID", 5);
	ASSERT_BYTES(val, vallen, "caf\xc3\xa9", 5);
	ck_assert_int_eq(addr_next_param(&p, &key, &keylen, &val, &vallen),
	    0);

	p = "";
	ck_assert_int_eq(addr_next_param(&p, &key, &keylen, &val, &vallen),
	    0);
}
END_TEST

START_TEST(test_param_errors)
{
	static const char *const errs[] = {
		"=x", "SIZE=", "A=b=c", "A==b", "-A", "SIZE=10\t",
		"SIZE=1\x01", "SIZE=\xff", "SIZE=\xc3", "A\x7f", "A=b\x7f",
		"\xc3\xa9=1", "A.B=1", "SIZE:10",
	};
	const char *p, *key, *val;
	size_t keylen, vallen, i;

	for (i = 0; i < sizeof(errs) / sizeof(*errs); i++) {
		p = errs[i];
		ck_assert_msg(addr_next_param(&p, &key, &keylen, &val,
		    &vallen) == -1, "parameter error #%zu accepted", i);
	}
	/* an error after a good one */
	p = "SIZE=1 =";
	ck_assert_int_eq(addr_next_param(&p, &key, &keylen, &val, &vallen),
	    1);
	ck_assert_int_eq(addr_next_param(&p, &key, &keylen, &val, &vallen),
	    -1);
}
END_TEST

START_TEST(test_utf8_valid)
{
	static const struct {
		const char	*s;
		size_t		 n;
		int		 ok;
	} cases[] = {
		{ "", 0, 1 },
		{ "plain ASCII", 11, 1 },
		{ "a\0b", 3, 1 },
		{ "\xc3\xa9", 2, 1 },			/* U+00E9 */
		{ "\xc2\xa0", 2, 1 },			/* U+00A0 */
		{ "\xdf\xbf", 2, 1 },			/* U+07FF */
		{ "\xe0\xa0\x80", 3, 1 },		/* U+0800 */
		{ "\xe2\x82\xac", 3, 1 },		/* U+20AC at the end */
		{ "\xed\x9f\xbf", 3, 1 },		/* U+D7FF */
		{ "\xee\x80\x80", 3, 1 },		/* U+E000 */
		{ "\xef\xbf\xbf", 3, 1 },		/* U+FFFF */
		{ "\xf0\x90\x80\x80", 4, 1 },		/* U+10000 */
		{ "\xf4\x8f\xbf\xbf", 4, 1 },		/* U+10FFFF */
		{ "x\xf0\x9f\x98\x80y", 6, 1 },
		{ "\xe2\x82\xac\xe2\x82\xac", 6, 1 },
		/* truncated at the end of the input */
		{ "\xc3", 1, 0 },
		{ "a\xe2\x82", 3, 0 },
		{ "ab\xf0\x9f\x98", 5, 0 },
		{ "\xf0\x9f", 2, 0 },
		/* the length counts, not a NUL: a sequence cut by n */
		{ "\xc3\xa9", 1, 0 },
		{ "\xe2\x82\xac", 2, 0 },
		{ "\xf0\x9f\x98\x80", 3, 0 },
		/* broken sequences */
		{ "\x80", 1, 0 },
		{ "\xbf", 1, 0 },
		{ "\xc3\x28", 2, 0 },
		{ "\xe2\x28\xa1", 3, 0 },
		{ "\xe2\x82\x28", 3, 0 },
		{ "\xf0\x28\x8c\xbc", 4, 0 },
		{ "\xf0\x9f\x98\x28", 4, 0 },
		{ "\xc3\xa9\x80", 3, 0 },
		/* overlong forms */
		{ "\xc0\x80", 2, 0 },
		{ "\xc0\xaf", 2, 0 },
		{ "\xc1\xbf", 2, 0 },
		{ "\xe0\x80\xaf", 3, 0 },
		{ "\xe0\x9f\xbf", 3, 0 },
		{ "\xf0\x80\x80\xaf", 4, 0 },
		{ "\xf0\x8f\xbf\xbf", 4, 0 },
		/* surrogates U+D800..U+DFFF */
		{ "\xed\xa0\x80", 3, 0 },
		{ "\xed\xbf\xbf", 3, 0 },
		{ "\xed\xa0\x80\xed\xb0\x80", 6, 0 },
		/* well formed, but controls: C1, separators, bidi */
		{ "\xc2\x80", 2, 0 },			/* U+0080 */
		{ "a\xc2\x9b" "31m", 6, 0 },		/* U+009B, CSI */
		{ "\xd8\x9c", 2, 0 },			/* U+061C */
		{ "\xe2\x80\x8e", 3, 0 },		/* U+200E */
		{ "\xe2\x80\xa8", 3, 0 },		/* U+2028 */
		{ "\xe2\x80\xa9", 3, 0 },		/* U+2029 */
		{ "\xe2\x80\xae", 3, 0 },		/* U+202E */
		{ "\xe2\x81\xa6", 3, 0 },		/* U+2066 */
		{ "\xe2\x81\xa9", 3, 0 },		/* U+2069 */
		{ "\xe2\x80\xaf", 3, 1 },		/* U+202F, a space */
		{ "\xe2\x81\xaa", 3, 1 },		/* U+206A */
		/* beyond U+10FFFF, and octets never used */
		{ "\xf4\x90\x80\x80", 4, 0 },
		{ "\xf5\x80\x80\x80", 4, 0 },
		{ "\xf7\xbf\xbf\xbf", 4, 0 },
		{ "\xf8\x88\x80\x80\x80", 5, 0 },
		{ "\xfe", 1, 0 },
		{ "\xff", 1, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		ck_assert_msg(utf8_valid(cases[i].s, cases[i].n) ==
		    cases[i].ok, "utf8_valid case #%zu: want %d", i,
		    cases[i].ok);
}
END_TEST

/* utf8_valid must not read past n: the input sits at a page's end. */
START_TEST(test_utf8_valid_bounds)
{
	char *buf;
	size_t i;

	/* valgrind or ASan catch any read of the octet after the end */
	for (i = 1; i <= 4; i++) {
		buf = malloc(i);
		ck_assert_ptr_nonnull(buf);
		memcpy(buf, "\xf0\x9f\x98\x80", i);
		ck_assert_int_eq(utf8_valid(buf, i), i == 4);
		free(buf);
	}
}
END_TEST

Suite *
addr_suite(void)
{
	Suite *s = suite_create("addr");
	TCase *tp = tcase_create("paths");
	TCase *tm = tcase_create("params");

	tcase_set_timeout(tp, TEST_TIMEOUT);
	tcase_add_loop_test(tp, test_good_paths, 0,
	    (int)(sizeof(good) / sizeof(*good)));
	tcase_add_loop_test(tp, test_bad_paths, 0,
	    (int)(sizeof(bad) / sizeof(*bad)));
	tcase_add_test(tp, test_null_path);
	tcase_add_test(tp, test_no_domain);
	tcase_add_test(tp, test_lengths);
	suite_add_tcase(s, tp);
	tcase_set_timeout(tm, TEST_TIMEOUT);
	tcase_add_test(tm, test_params);
	tcase_add_test(tm, test_param_errors);
	tcase_add_test(tm, test_utf8_valid);
	tcase_add_test(tm, test_utf8_valid_bounds);
	suite_add_tcase(s, tm);
	return s;
}
