# smtpd: see README, smtpd.8 and docs/.  `make`, `make check`,
# `make sanitize`, `make bench`, `make clean`, `make install`,
# `make uninstall`.

CC       ?= cc
CFLAGS   ?= -O2 -g
WARN      = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wpointer-arith -Wcast-qual -Wformat=2 -Wvla
WERROR   ?= -Werror
STD       = -std=c99 -D_POSIX_C_SOURCE=200809L
ALLFLAGS  = $(STD) $(WARN) $(WERROR) $(CFLAGS) $(EXTRA_CFLAGS)
LDLIBS   ?=

O         = build
BIN       = smtpd
LIBOBJS   = session.o session_message.o session_tls.o session_throttle.o reply.o options.o \
            guess.o learner.o txn.o body.o envelope.o linebuf.o unstuff.o \
            addr.o spool.o deliver.o template.o \
            method.o deliver_check.o deliver_mbox.o mboxrd.o mboxlock.o lockrecord.o deliver_maildir.o \
            deliver_pipe.o trace.o log.o priv.o util.o help.o hint.o \
            hint_text.o hint_typed.o learner_body.o \
            transcript.o tls.o proxy.o rcpt_table.o cdb.o \
            lesson.o lesson_mail.o lesson_data.o
HEADERS   = reply.h config.h options.h session.h session_priv.h linebuf.h \
            unstuff.h addr.h spool.h guess.h learner.h txn.h body.h envelope.h \
            deliver.h template.h method.h mboxrd.h mboxlock.h trace.h log.h priv.h \
            util.h help.h hint.h transcript.h tls.h proxy.h rcpt_table.h \
            cdb.h lesson.h lesson_priv.h
# the lessons are data: lessons/lessons.awk makes them a C table
LESSONS   = lessons/puni.txt lessons/exim.txt lessons/ehlo.txt \
            lessons/postfix.txt

all: $(BIN)

$(BIN): $(O)/smtpd.o $(LIBOBJS:%=$(O)/%)
	$(CC) $(ALLFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(O)/%.o: %.c $(HEADERS)
	@mkdir -p $(O)
	$(CC) $(ALLFLAGS) -c -o $@ $<

$(O)/lesson_data.c: lessons/lessons.awk $(LESSONS)
	@mkdir -p $(O)
	LC_ALL=C awk -f lessons/lessons.awk $(LESSONS) >$@.tmp
	mv $@.tmp $@

$(O)/lesson_data.o: $(O)/lesson_data.c $(HEADERS)
	$(CC) $(ALLFLAGS) -I. -c -o $@ $(O)/lesson_data.c

include tests/tests.mk
include install.mk
include bench/bench.mk
include fuzz/fuzz.mk
include tests/analysis.mk

clean:
	rm -rf build build-san build-fuzz smtpd

.PHONY: all clean
