# Tests: included by the Makefile.
#   make check      installs Check when missing, then runs every test
#   make sanitize   the same suite, built with ASan and UBSan
# Unit tests (Check) link every object but smtpd.o; the transcript,
# delivery and end-to-end tests run the real binary $(BIN): as nobody
# when make runs as root (tests/as-nobody.sh), since smtpd never runs a
# session as root.  tests/launchers.sh starts each example launcher
# configuration for real, and tests/install.sh checks `make install`.

CHECK_CFLAGS = $$(pkg-config --cflags check)
CHECK_LIBS   = $$(pkg-config --libs check)
UNIT_SRCS    = tests/check_main.c tests/check_linebuf.c tests/check_addr.c \
               tests/check_data.c tests/check_session.c tests/check_mbox.c \
               tests/check_maildir.c tests/check_pipe.c tests/check_help.c
SAN_FLAGS    = -fsanitize=address,undefined -fno-omit-frame-pointer \
               -fno-sanitize-recover=all

check: check-deps
	@$(MAKE) --no-print-directory check-run

check-deps:
	@sh tests/need-check.sh

check-run: $(BIN) $(O)/check_smtpd $(O)/trickle
	$(O)/check_smtpd
	SMTPD=./$(BIN) sh tests/as-nobody.sh $(BIN) tests -- sh tests/usage.sh
	SMTPD=./$(BIN) TRICKLE=./$(O)/trickle sh tests/as-nobody.sh \
	    $(BIN) $(O)/trickle tests -- sh tests/run-transcripts.sh
	SMTPD=./$(BIN) sh tests/as-nobody.sh $(BIN) tests -- \
	    python3 tests/delivery/run.py
	SMTPD=./$(BIN) sh tests/as-nobody.sh $(BIN) tests tools -- \
	    sh tests/replay.sh
	SMTPD=./$(BIN) sh tests/as-nobody.sh $(BIN) tests -- \
	    python3 tests/terminal.py
	SMTPD=./$(BIN) sh tests/as-nobody.sh $(BIN) tests -- sh tests/e2e.sh
	SMTPD=./$(BIN) sh tests/launchers.sh
	SMTPD=./$(BIN) O=$(O) sh tests/install.sh
	SMTPD=./$(BIN) sh tests/as-nobody.sh $(BIN) tests -- \
	    python3 tests/attack/run.py

$(O)/check_smtpd: $(UNIT_SRCS) tests/check_smtpd.h $(LIBOBJS:%=$(O)/%)
	@mkdir -p $(O)
	$(CC) $(ALLFLAGS) $(CHECK_CFLAGS) -I. -o $@ $(UNIT_SRCS) \
	    $(LIBOBJS:%=$(O)/%) $(LDFLAGS) $(CHECK_LIBS)

$(O)/trickle: tests/helpers/trickle.c
	@mkdir -p $(O)
	$(CC) $(ALLFLAGS) -o $@ tests/helpers/trickle.c

sanitize: check-deps
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	    $(MAKE) --no-print-directory O=build-san BIN=build-san/smtpd \
	    EXTRA_CFLAGS="$(SAN_FLAGS)" LDFLAGS="$(SAN_FLAGS)" check-run

.PHONY: check check-deps check-run sanitize
