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
               tests/check_maildir.c tests/check_pipe.c tests/check_help.c \
               tests/check_reply.c
SAN_FLAGS    = -fsanitize=address,undefined -fno-omit-frame-pointer \
               -fno-sanitize-recover=all

# The suites are independent (temporary directories of their own, ports
# picked at run time) and mostly wait on timeouts and child processes,
# so they run side by side; -O keeps each suite's output in one piece.
CHECK_JOBS   = 4
SYNC_OUTPUT  = $(if $(filter 3.%,$(MAKE_VERSION)),,-Otarget)
AS_NOBODY    = SMTPD=./$(BIN) sh tests/as-nobody.sh $(BIN)
# the longest first, so the last to start is not the one that lasts
SUITES       = check-attack check-unit check-launchers check-transcripts \
               check-e2e check-replay check-delivery check-install \
               check-usage check-terminal

check: check-deps
	@$(MAKE) --no-print-directory -j$(CHECK_JOBS) $(BIN) $(O)/check_smtpd \
	    $(O)/trickle
	@$(MAKE) --no-print-directory -k -j$(CHECK_JOBS) $(SYNC_OUTPUT) \
	    check-run

check-deps:
	@sh tests/need-check.sh

check-run: $(SUITES)

$(SUITES): $(BIN) $(O)/check_smtpd $(O)/trickle

check-unit:
	$(O)/check_smtpd
check-usage:
	$(AS_NOBODY) tests -- sh tests/usage.sh
check-transcripts:
	TRICKLE=./$(O)/trickle $(AS_NOBODY) $(O)/trickle tests -- \
	    sh tests/run-transcripts.sh
check-delivery:
	$(AS_NOBODY) tests -- python3 tests/delivery/run.py
check-replay:
	$(AS_NOBODY) tests tools -- sh tests/replay.sh
check-terminal:
	$(AS_NOBODY) tests -- python3 tests/terminal.py
check-e2e:
	$(AS_NOBODY) tests -- sh tests/e2e.sh
check-launchers:
	SMTPD=./$(BIN) sh tests/launchers.sh
check-install:
	SMTPD=./$(BIN) O=$(O) sh tests/install.sh
check-attack:
	$(AS_NOBODY) tests -- python3 tests/attack/run.py

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
	    EXTRA_CFLAGS="$(SAN_FLAGS)" LDFLAGS="$(SAN_FLAGS)" \
	    -k -j$(CHECK_JOBS) $(SYNC_OUTPUT) check-run

.PHONY: check check-deps check-run sanitize $(SUITES)
