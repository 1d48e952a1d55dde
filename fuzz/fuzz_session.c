/* ISC license. */
/*
 * libFuzzer target: a whole session.  The first two input octets pick
 * the configuration (SMTP or LMTP, LF mode, small size and recipient
 * limits, a -d domain list, mbox or Maildir, one mailbox or one per
 * recipient through %u and %d, or a pipe to /bin/true; then a session
 * transcript, -x); the rest is what the client sends.  Delivery writes into a scratch directory that is
 * emptied after each input.
 *
 * The seeds (fuzz/make-corpus.py) and the dictionary hold BDAT with
 * chunk sizes on both sides of the 64 KiB input buffer and spool.
 *
 * Oracles besides the sanitizers: every reply is well formed (see
 * fuzz_util.c), and with delivery to one mbox the mailbox holds exactly
 * as many messages (From_ lines) as there were "delivered" replies, so
 * a body can never split into two messages nor a refused one be stored.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "deliver.h"
#include "reply.h"
#include "session.h"
#include "fuzz_util.h"

#define CFG_LMTP	0x01
#define CFG_LF_MODE	0x02
#define CFG_SMALL_SIZE	0x04
#define CFG_FEW_RCPTS	0x08
#define CFG_DOMAINS	0x10
#define CFG_MAILDIR	0x20
#define CFG_PER_USER	0x40	/* store/%u or store/%d/%u */
#define CFG_PIPE	0x80	/* /bin/true %s %r */
/* second octet */
#define CFG_TRANSCRIPT	0x01	/* -x store/x */
#define CFG_TLS		0x02	/* a UCSPI-TLS wrapper: after STARTTLS
				 * the same input again, "decrypted" */

static char	*in_path, *tls_path, *out_path, *store, *mbox_path, *mbox_user,
		*maildir_user, *transcripts;
static char	*domains[] = { "example.org", "EXAMPLE.net" };

static void	reply_prefix(char *, size_t, enum reply_id);
static size_t	count_delivered(const char *, size_t);
static size_t	count_from_lines(const char *, size_t);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setenv("SMTPD_FAKE_TIME", "1700000000", 1);
	/* as main() does: a pipe program that exits early is an EPIPE */
	signal(SIGPIPE, SIG_IGN);
	setenv("TZ", "UTC", 1);
	in_path = fuzz_path("in");
	tls_path = fuzz_path("tls");
	out_path = fuzz_path("out");
	store = fuzz_path("store");
	mbox_path = fuzz_path("store/mbox");
	mbox_user = fuzz_path("store/%u");
	maildir_user = fuzz_path("store/%d/%u");
	transcripts = fuzz_path("store/x");
	/* the spool file goes to TMPDIR: keep it in the scratch area */
	setenv("TMPDIR", fuzz_scratch(), 1);
	return 0;
}

/*
 * What a line of reply id holds before its "%s": "code esc " and the
 * text up to there, from reply.h's table.
 */
static void
reply_prefix(char *buf, size_t size, enum reply_id id)
{
	const struct reply_text *r = &reply_table[id];
	const char *slot = strstr(r->text, "%s");
	size_t len = slot != NULL ? (size_t)(slot - r->text) : strlen(r->text);

	snprintf(buf, size, "%d %s%s%.*s", r->code,
	    r->esc != NULL ? r->esc : "", r->esc != NULL ? " " : "", (int)len,
	    r->text);
}

/* Distinct message ids in "delivered" replies: one per stored copy. */
static size_t
count_delivered(const char *out, size_t n)
{
	static char smtp[64], lmtp_prefix[64];
	static const char lmtp[] = " as ";	/* session.c's "<rcpt> as id" */
	const char *p = out, *end = out + n, *lf, *id;
	char last[40] = "";
	size_t count = 0, idlen;

	if (smtp[0] == '\0') {
		reply_prefix(smtp, sizeof(smtp), R_DATA_OK);
		reply_prefix(lmtp_prefix, sizeof(lmtp_prefix),
		    R_LMTP_DELIVERED);
	}
	for (; p < end; p = lf + 1) {
		if ((lf = memchr(p, '\n', (size_t)(end - p))) == NULL)
			break;	/* fuzz_check_replies() has refused this */
		id = NULL;
		if (strncmp(p, smtp, strlen(smtp)) == 0)
			id = p + strlen(smtp);
		else if (strncmp(p, lmtp_prefix, strlen(lmtp_prefix)) == 0) {
			/* the address may hold " as ": the id is last */
			for (id = lf; id > p && strncmp(id, lmtp, 4) != 0; id--)
				;
			id += 4;
		}
		if (id == NULL)
			continue;
		idlen = strcspn(id, " \r");
		if (idlen >= sizeof(last))
			fuzz_fail("message id too long");
		if (strncmp(last, id, idlen) != 0 || last[idlen] != '\0') {
			memcpy(last, id, idlen);
			last[idlen] = '\0';
			count++;
		}
	}
	return count;
}

/* "From " at the start of a line begins a message in an mbox. */
static size_t
count_from_lines(const char *m, size_t n)
{
	size_t i, count = 0;

	for (i = 0; i + 5 <= n; i++)
		if ((i == 0 || m[i - 1] == '\n') &&
		    memcmp(m + i, "From ", 5) == 0)
			count++;
	return count;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *mbox_argv[2], *maildir_argv[2];
	static char *pipe_argv[] = { "/bin/true", "%s", "%r", "%u@%d", NULL };
	static const char tls_env[] = "SSL_PROTOCOL=TLSv1.3\0"
	    "SSL_CIPHER=TLS_AES_128_GCM_SHA256\0";	/* and a last \0 */
	struct config cfg;
	char *out, *mbox;
	size_t outlen, mboxlen, delivered, stored;
	int in, fd, opts, ctl[2] = { -1, -1 }, tls_in = -1;

	if (size < 2)
		return 0;
	opts = data[0];
	memset(&cfg, 0, sizeof(cfg));
	cfg.hostname = "mx.fuzz.example";
	cfg.lmtp = (opts & CFG_LMTP) != 0;
	cfg.interactive = (opts & CFG_LF_MODE) != 0;
	cfg.max_size = opts & CFG_SMALL_SIZE ? 200 : 10240000;
	cfg.max_rcpts = opts & CFG_FEW_RCPTS ? 2 : 100;
	if (opts & CFG_DOMAINS) {
		cfg.domains = domains;
		cfg.ndomains = 2;
	}
	cfg.timeout = 5;
	cfg.pipe_timeout = 5;
	mbox_argv[0] = opts & CFG_PER_USER ? mbox_user : mbox_path;
	maildir_argv[0] = opts & CFG_PER_USER ? maildir_user : store;
	cfg.method = opts & CFG_MAILDIR ? METHOD_MAILDIR : METHOD_MBOX;
	cfg.method_argv = opts & CFG_MAILDIR ? maildir_argv : mbox_argv;
	cfg.method_argc = 1;
	if (opts & CFG_PIPE) {
		cfg.method = METHOD_PIPE;
		cfg.method_argv = pipe_argv;
		cfg.method_argc = 4;
	}
	if (deliver_check_config(&cfg) != NULL)
		fuzz_fail("configuration refused: %s",
		    deliver_check_config(&cfg));

	mkdir(store, 0700);
	if (data[1] & CFG_TRANSCRIPT) {
		mkdir(transcripts, 0700);
		cfg.transcript_dir = transcripts;
	}
	in = fuzz_fd_from_bytes(in_path, data + 2, size - 2);
	if ((fd = open(out_path, O_RDWR | O_CREAT | O_TRUNC, 0600)) == -1)
		fuzz_fail("open %s", out_path);
	if (data[1] & CFG_TLS) {
		/* the wrapper's answer to "Y" waits in the control socket */
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, ctl) == -1 ||
		    write(ctl[1], tls_env, sizeof(tls_env)) !=
		    (ssize_t)sizeof(tls_env))
			fuzz_fail("control socket");
		tls_in = fuzz_fd_from_bytes(tls_path, data + 2, size - 2);
		cfg.tls.wrapper = TLS_UCSPI;
		cfg.tls.ctl_fd = ctl[0];
		cfg.tls.read_fd = tls_in;
		cfg.tls.write_fd = fd;
	}
	(void)session_run(&cfg, in, fd);
	close(in);
	close(fd);
	if (tls_in != -1) {
		close(tls_in);
		close(ctl[0]);
		close(ctl[1]);
	}

	out = fuzz_read_file(out_path, &outlen);
	fuzz_check_replies(out, outlen);
	if (cfg.method == METHOD_MBOX && !(opts & CFG_PER_USER)) {
		delivered = count_delivered(out, outlen);
		mbox = fuzz_read_file(mbox_path, &mboxlen);
		stored = mbox != NULL ? count_from_lines(mbox, mboxlen) : 0;
		if (delivered != stored)
			fuzz_fail("%zu delivered replies, %zu messages stored",
			    delivered, stored);
		free(mbox);
	}
	free(out);
	fuzz_empty_dir(store);
	return 0;
}
