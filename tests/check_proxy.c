/* ISC license. */
/*
 * proxy.c: the PROXY header parser, one table of headers with what each
 * must give, fed whole and octet by octet; the reader on a pipe (it
 * must leave what follows the header unread); -P sources.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check_smtpd.h"
#include "proxy.h"

#define SIG	"\r\n\r\n\0\r\nQUIT\n"

struct header_case {
	const char	*name;
	const char	*bytes;
	size_t		 len;
	enum proxy_result want;
	const char	*client;	/* for PROXY_CLIENT */
	unsigned	 port;
};

#define T(s)	s, sizeof(s) - 1

static const struct header_case cases[] = {
	{ "v1 tcp4", T("PROXY TCP4 192.0.2.7 198.51.100.1 40000 25\r\n"),
	    PROXY_CLIENT, "192.0.2.7", 40000 },
	{ "v1 tcp6", T("PROXY TCP6 2001:db8::7 2001:db8::1 65535 25\r\n"),
	    PROXY_CLIENT, "IPv6:2001:db8::7", 65535 },
	{ "v1 mapped", T("PROXY TCP6 ::ffff:192.0.2.9 ::1 0 25\r\n"),
	    PROXY_CLIENT, "192.0.2.9", 0 },
	{ "v1 unknown", T("PROXY UNKNOWN\r\n"), PROXY_LOCAL, NULL, 0 },
	{ "v1 unknown rest", T("PROXY UNKNOWN ffff:: ::1 1 2\r\n"),
	    PROXY_LOCAL, NULL, 0 },
	{ "v1 longest", T("PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n"),
	    PROXY_CLIENT, "IPv6:ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	    65535 },
	{ "v1 bare lf", T("PROXY TCP4 192.0.2.7 198.51.100.1 40000 25\n"),
	    PROXY_BAD, NULL, 0 },
	{ "v1 family mismatch", T("PROXY TCP4 2001:db8::7 ::1 1 25\r\n"),
	    PROXY_BAD, NULL, 0 },
	{ "v1 port range", T("PROXY TCP4 192.0.2.7 192.0.2.1 65536 25\r\n"),
	    PROXY_BAD, NULL, 0 },
	{ "v1 port zero", T("PROXY TCP4 192.0.2.7 192.0.2.1 025 25\r\n"),
	    PROXY_BAD, NULL, 0 },
	{ "v1 two spaces", T("PROXY TCP4  192.0.2.7 192.0.2.1 1 25\r\n"),
	    PROXY_BAD, NULL, 0 },
	{ "v1 five fields", T("PROXY TCP4 192.0.2.7 192.0.2.1 1\r\n"),
	    PROXY_BAD, NULL, 0 },
	{ "v1 seven fields", T("PROXY TCP4 192.0.2.7 192.0.2.1 1 2 3\r\n"),
	    PROXY_BAD, NULL, 0 },
	{ "v1 udp", T("PROXY UDP4 192.0.2.7 192.0.2.1 1 25\r\n"),
	    PROXY_BAD, NULL, 0 },
	{ "v1 lower case", T("proxy TCP4 192.0.2.7 192.0.2.1 1 25\r\n"),
	    PROXY_BAD, NULL, 0 },
	{ "v1 smtp", T("PROXIES\r\n"), PROXY_BAD, NULL, 0 },
	{ "v1 octal", T("PROXY TCP4 0300.0.2.7 192.0.2.1 1 25\r\n"),
	    PROXY_BAD, NULL, 0 },
	{ "v1 tab", T("PROXY TCP4\t192.0.2.7 192.0.2.1 1 25\r\n"),
	    PROXY_BAD, NULL, 0 },
	{ "ehlo", T("EHLO client.example\r\n"), PROXY_BAD, NULL, 0 },
	{ "v2 tcp4", T(SIG "\x21\x11\x00\x0c" "\xc0\x00\x02\x07"
	    "\xc6\x33\x64\x01" "\x9c\x40\x00\x19"), PROXY_CLIENT, "192.0.2.7",
	    40000 },
	{ "v2 tcp4 tlv", T(SIG "\x21\x11\x00\x10" "\xc0\x00\x02\x07"
	    "\xc6\x33\x64\x01" "\x9c\x40\x00\x19" "\x04\x00\x01\x00"),
	    PROXY_CLIENT, "192.0.2.7", 40000 },
	{ "v2 tcp6", T(SIG "\x21\x21\x00\x24"
	    "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x07"
	    "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01" "\x01\x02\x00\x19"),
	    PROXY_CLIENT, "IPv6:2001:db8::7", 258 },
	{ "v2 local", T(SIG "\x20\x00\x00\x00"), PROXY_LOCAL, NULL, 0 },
	{ "v2 local addresses", T(SIG "\x20\x11\x00\x0c" "\x7f\0\0\1\x7f\0\0\1"
	    "\0\1\0\2"), PROXY_LOCAL, NULL, 0 },
	{ "v2 unspec", T(SIG "\x21\x00\x00\x00"), PROXY_LOCAL, NULL, 0 },
	{ "v2 version 1", T(SIG "\x11\x11\x00\x0c" "\xc0\x00\x02\x07"
	    "\xc6\x33\x64\x01" "\x9c\x40\x00\x19"), PROXY_BAD, NULL, 0 },
	{ "v2 command 2", T(SIG "\x22\x11\x00\x0c" "\xc0\x00\x02\x07"
	    "\xc6\x33\x64\x01" "\x9c\x40\x00\x19"), PROXY_BAD, NULL, 0 },
	{ "v2 family 4", T(SIG "\x21\x41\x00\x00"), PROXY_BAD, NULL, 0 },
	{ "v2 unix", T(SIG "\x21\x31\x00\x00"), PROXY_BAD, NULL, 0 },
	{ "v2 udp", T(SIG "\x21\x12\x00\x0c" "\xc0\x00\x02\x07"
	    "\xc6\x33\x64\x01" "\x9c\x40\x00\x19"), PROXY_BAD, NULL, 0 },
	{ "v2 short tcp4", T(SIG "\x21\x11\x00\x08" "\xc0\x00\x02\x07"
	    "\xc6\x33\x64\x01"), PROXY_BAD, NULL, 0 },
	{ "v2 short tcp6", T(SIG "\x21\x21\x00\x0c" "\xc0\x00\x02\x07"
	    "\xc6\x33\x64\x01" "\x9c\x40\x00\x19"), PROXY_BAD, NULL, 0 },
	{ "v2 oversized", T(SIG "\x21\x11\x04\x01"), PROXY_BAD, NULL, 0 },
	{ "v2 bad signature", T("\r\n\r\n\0\r\nQUIT\r\x21\x11\x00\x00"),
	    PROXY_BAD, NULL, 0 },
};

#define NCASES	(sizeof(cases) / sizeof(cases[0]))

/* Fed whole: the expected result and client. */
START_TEST(test_parse_whole)
{
	const struct header_case *c = &cases[_i];
	struct proxy_header h;
	enum proxy_result r;
	size_t need = 0;

	r = proxy_parse((const unsigned char *)c->bytes, c->len, &need, &h);
	ck_assert_msg(r == c->want, "%s: result %d, want %d", c->name, r,
	    c->want);
	if (r == PROXY_CLIENT) {
		ck_assert_str_eq(h.client, c->client);
		ck_assert_uint_eq(h.port, c->port);
	}
	if (r == PROXY_BAD)
		ck_assert_msg(h.why != NULL, "%s: no reason", c->name);
}
END_TEST

/*
 * Fed as the reader feeds it, as much as the parser asks for at a time:
 * it never asks for an octet past the header, and ends as fed whole.
 */
START_TEST(test_parse_stepwise)
{
	const struct header_case *c = &cases[_i];
	const unsigned char *b = (const unsigned char *)c->bytes;
	struct proxy_header h;
	enum proxy_result r;
	size_t len = 0, need = 0;

	while ((r = proxy_parse(b, len, &need, &h)) == PROXY_MORE) {
		ck_assert_msg(need > len, "%s: asks for nothing", c->name);
		if (need > c->len)
			break;	/* a header that is short: truncated */
		len = need;
	}
	if (r == PROXY_MORE)
		ck_assert_msg(c->want == PROXY_BAD, "%s: wants %zu octets "
		    "of %zu", c->name, need, c->len);
	else
		ck_assert_msg(r == c->want, "%s: result %d, want %d",
		    c->name, r, c->want);
}
END_TEST

/* The reader leaves what follows the header in the pipe. */
START_TEST(test_read_exact)
{
	static const char *const heads[] = {
		"PROXY TCP4 192.0.2.7 198.51.100.1 40000 25\r\n",
		"PROXY UNKNOWN\r\n",
		SIG "\x21\x11\x00\x0c" "\xc0\x00\x02\x07" "\xc6\x33\x64\x01"
		    "\x9c\x40\x00\x19"
	};
	static const size_t lens[] = { 44, 15, 28 };
	const char after[] = "EHLO x\r\n";
	struct proxy_header h;
	char rest[32];
	int fds[2];
	ssize_t n;

	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(write(fds[1], heads[_i], lens[_i]), (int)lens[_i]);
	ck_assert_int_eq(write(fds[1], after, sizeof(after) - 1),
	    (int)sizeof(after) - 1);
	close(fds[1]);
	ck_assert_int_ne(proxy_read(fds[0], 5, &h), PROXY_BAD);
	n = read(fds[0], rest, sizeof(rest));
	ck_assert_int_eq(n, (int)sizeof(after) - 1);
	ck_assert(memcmp(rest, after, sizeof(after) - 1) == 0);
	close(fds[0]);
}
END_TEST

/* A header cut short by the end of input is refused, not waited on. */
START_TEST(test_read_truncated)
{
	struct proxy_header h;
	int fds[2];

	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(write(fds[1], "PROXY TCP4 192.0.2.7", 20), 20);
	close(fds[1]);
	ck_assert_int_eq(proxy_read(fds[0], 5, &h), PROXY_BAD);
	ck_assert_str_eq(h.why, "header truncated");
	close(fds[0]);
}
END_TEST

/* A source that sends nothing is given up on after the timeout. */
START_TEST(test_read_timeout)
{
	struct proxy_header h;
	int fds[2];

	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(proxy_read(fds[0], 1, &h), PROXY_BAD);
	ck_assert_str_eq(h.why, "timeout");
	close(fds[0]);
	close(fds[1]);
}
END_TEST

START_TEST(test_nets)
{
	struct proxy_net n[4];

	ck_assert(proxy_net_parse("127.0.0.0/8", &n[0]));
	ck_assert(proxy_net_parse("2001:db8::/33", &n[1]));
	ck_assert(proxy_net_parse("192.0.2.7", &n[2]));
	ck_assert(proxy_net_parse("::1", &n[3]));
	ck_assert(proxy_trusted(n, 4, "127.1.2.3"));
	ck_assert(proxy_trusted(n, 4, "192.0.2.7"));
	ck_assert(!proxy_trusted(n, 4, "192.0.2.8"));
	ck_assert(proxy_trusted(n, 4, "IPv6:2001:db8:7fff::1"));
	ck_assert(!proxy_trusted(n, 4, "IPv6:2001:db8:8000::1"));
	ck_assert(proxy_trusted(n, 4, "IPv6:::1"));
	ck_assert(!proxy_trusted(n, 4, "IPv6:::2"));
	ck_assert(!proxy_trusted(n, 4, "128.0.0.1"));
	ck_assert(!proxy_trusted(n, 4, NULL));
	ck_assert(!proxy_trusted(n, 0, "127.0.0.1"));
	ck_assert(proxy_net_parse("0.0.0.0/0", &n[0]));
	ck_assert(proxy_trusted(n, 1, "203.0.113.1"));
	ck_assert(!proxy_trusted(n, 1, "IPv6:2001:db8::1"));
	ck_assert(!proxy_net_parse("127.0.0.0/33", &n[0]));
	ck_assert(!proxy_net_parse("::/129", &n[0]));
	ck_assert(!proxy_net_parse("127.0.0.0/", &n[0]));
	ck_assert(!proxy_net_parse("127.0.0.0/-1", &n[0]));
	ck_assert(!proxy_net_parse("127.0.0.0/8x", &n[0]));
	ck_assert(!proxy_net_parse("localhost", &n[0]));
	ck_assert(!proxy_net_parse("", &n[0]));
}
END_TEST

Suite *
proxy_suite(void)
{
	Suite *s = suite_create("proxy");
	TCase *tc = tcase_create("proxy");

	tcase_add_loop_test(tc, test_parse_whole, 0, (int)NCASES);
	tcase_add_loop_test(tc, test_parse_stepwise, 0, (int)NCASES);
	tcase_add_loop_test(tc, test_read_exact, 0, 3);
	tcase_add_test(tc, test_read_truncated);
	tcase_add_test(tc, test_read_timeout);
	tcase_add_test(tc, test_nets);
	suite_add_tcase(s, tc);
	return s;
}
