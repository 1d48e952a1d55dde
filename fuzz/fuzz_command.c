/* ISC license. */
/*
 * libFuzzer target: command-line parsing (session.c dispatch and the
 * handlers behind it).  The first octet picks a preamble that brings
 * the session to a state (start, greeted by HELO or EHLO, after MAIL,
 * after RCPT) and the protocol; the rest of the input is sent as one
 * command line, CR LF added, then QUIT.  Nothing the line says may
 * reach DATA, so this target spends its time in the parsers.
 *
 * Oracles: well-formed replies, and the session must answer the final
 * QUIT with 221 unless the line itself ended it (QUIT, or an error
 * count reached, which a single line cannot do).
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"
#include "session.h"
#include "fuzz_util.h"

static const char *const preambles[] = {
	"",
	"HELO client.example\r\n",
	"EHLO client.example\r\n",
	"EHLO client.example\r\nMAIL FROM:<a@example.org>\r\n",
	"EHLO client.example\r\nMAIL FROM:<a@example.org> SMTPUTF8\r\n",
	("EHLO client.example\r\nMAIL FROM:<a@example.org>\r\n"
	    "RCPT TO:<b@example.org>\r\n"),
	"HELO client.example\r\nMAIL FROM:<>\r\n",
	"LHLO client.example\r\nMAIL FROM:<a@example.org>\r\n",
};
#define NPREAMBLES	(sizeof(preambles) / sizeof(*preambles))

static char	*in_path, *out_path, *mbox_path;

/* Whether p[0..n) holds "BDAT" in any letter case. */
static int
has_bdat(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 4 <= n; i++)
		if (strncasecmp((const char *)p + i, "BDAT", 4) == 0)
			return 1;
	return 0;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setenv("SMTPD_FAKE_TIME", "1700000000", 1);
	/* as main() does: a pipe program that exits early is an EPIPE */
	signal(SIGPIPE, SIG_IGN);
	in_path = fuzz_path("in");
	out_path = fuzz_path("out");
	mbox_path = fuzz_path("mbox");
	setenv("TMPDIR", fuzz_scratch(), 1);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *mbox_argv[2];
	static const char quit[] = "\r\nQUIT\r\n";
	struct config cfg;
	const char *pre;
	char *buf, *out, *last;
	size_t prelen, n, outlen;
	int in, fd;

	if (size == 0 || size > 4096)
		return 0;
	pre = preambles[data[0] % NPREAMBLES];
	prelen = strlen(pre);
	n = prelen + (size - 1) + sizeof(quit) - 1;
	if ((buf = malloc(n)) == NULL)
		return 0;
	memcpy(buf, pre, prelen);
	memcpy(buf + prelen, data + 1, size - 1);
	memcpy(buf + prelen + size - 1, quit, sizeof(quit) - 1);

	memset(&cfg, 0, sizeof(cfg));
	cfg.hostname = "mx.fuzz.example";
	cfg.lmtp = strncmp(pre, "LHLO", 4) == 0 || (data[0] & 0x80) != 0;
	cfg.max_size = 1000;
	cfg.max_rcpts = 3;
	cfg.timeout = 5;
	mbox_argv[0] = mbox_path;
	cfg.method = METHOD_MBOX;
	cfg.method_argv = mbox_argv;
	cfg.method_argc = 1;

	in = fuzz_fd_from_bytes(in_path, buf, n);
	free(buf);
	if ((fd = open(out_path, O_RDWR | O_CREAT | O_TRUNC, 0600)) == -1)
		fuzz_fail("open %s", out_path);
	(void)session_run(&cfg, in, fd);
	close(in);
	close(fd);

	out = fuzz_read_file(out_path, &outlen);
	fuzz_check_replies(out, outlen);
	/*
	 * The last reply answers QUIT, or DATA's 354 swallowed it; a BDAT
	 * line may swallow it too, as chunk data, or end the session
	 * when its size cannot frame the octets after it (RFC 3030).
	 */
	last = outlen >= 2 ? out + outlen - 2 : out;
	while (last > out && last[-1] != '\n')
		last--;
	if (strncmp(last, "221 ", 4) != 0 && strncmp(last, "354 ", 4) != 0 &&
	    strncmp(last, "421 ", 4) != 0 && !has_bdat(data + 1, size - 1))
		fuzz_fail("session did not end with 221, 354 or 421: %s", last);
	free(out);
	unlink(mbox_path);
	return 0;
}
