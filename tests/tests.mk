# Tests: included by the Makefile.
#   make check      installs Check when missing, then runs every test
#   make sanitize   the same suite, built with ASan and UBSan
# Unit tests (Check) link every object but smtpd.o; the transcript,
# delivery and end-to-end tests run the real binary $(BIN): as nobody
# when make runs as root (tests/as-nobody.sh), since smtpd never runs a
# session as root.  tests/exim.sh sends through Exim, a real BDAT client;
# tests/proxy/run.py puts three hosts behind HAProxy, and
# tests/proxy/exim_mx.py has Exim spread its queue over them instead.
# tests/launchers.sh starts each example launcher configuration for
# real, and tests/install.sh checks `make install`.
# Every suite closes with "N passed, M failed, K skipped"; the last line
# of `make check` (and of `make sanitize`) is their sum.

CHECK_CFLAGS = $$(pkg-config --cflags check)
CHECK_LIBS   = $$(pkg-config --libs check)
UNIT_SRCS    = tests/check_main.c tests/check_linebuf.c tests/check_addr.c \
               tests/check_unstuff.c tests/check_session.c tests/check_mbox.c \
               tests/check_maildir.c tests/check_pipe.c tests/check_help.c \
               tests/check_reply.c tests/check_proxy.c
SAN_FLAGS    = -fsanitize=address,undefined -fno-omit-frame-pointer \
               -fno-sanitize-recover=all

# The suites are independent (temporary directories of their own, ports
# picked at run time) and mostly wait on timeouts and child processes,
# so they run side by side; -O keeps each suite's output in one piece.
CHECK_JOBS   = 4
SYNC_OUTPUT  = $(if $(filter 3.%,$(MAKE_VERSION)),,-Otarget)
AS_NOBODY    = env SMTPD=./$(BIN) sh tests/as-nobody.sh $(BIN)
# the longest first, so the last to start is not the one that lasts
SUITES       = check-attack check-proxy check-unit check-launchers \
               check-tls check-transcripts check-e2e check-replay \
               check-delivery check-install check-usage check-terminal \
               check-lessons check-learner \
               check-exim check-exim-mx check-mx check-rbl check-faults

# Each suite ends with "N passed, M failed, K skipped" (a test that
# cannot run here is skipped, and counted so, never as passed);
# tests/results.sh keeps that line in $(O)/results/SUITE, and the last
# line of `make check` is the sum over all suites.
RUN_SUITE    = sh tests/results.sh run $(O)/results $@ --
SUM_SUITES   = sh tests/results.sh sum

check: check-deps
	@$(MAKE) --no-print-directory -j$(CHECK_JOBS) $(BIN) $(O)/check_smtpd \
	    $(O)/trickle $(O)/fault.so
	@rm -rf $(O)/results
	@$(MAKE) --no-print-directory -k -j$(CHECK_JOBS) $(SYNC_OUTPUT) \
	    check-run; st=$$?; \
	    $(SUM_SUITES) $(O)/results $(SUITES) || st=1; exit $$st

check-deps:
	@sh tests/need-check.sh

check-run: $(SUITES)

$(SUITES): $(BIN) $(O)/check_smtpd $(O)/trickle $(O)/fault.so

# reply.h goes along where a suite reads the reply texts from it
# (tests/replies.py)
check-unit:
	$(RUN_SUITE) $(O)/check_smtpd
check-usage:
	$(RUN_SUITE) $(AS_NOBODY) tests -- sh tests/usage.sh
check-transcripts:
	TRICKLE=./$(O)/trickle $(RUN_SUITE) $(AS_NOBODY) $(O)/trickle \
	    tests -- sh tests/run-transcripts.sh
check-delivery:
	$(RUN_SUITE) $(AS_NOBODY) reply.h tests -- python3 tests/delivery/run.py
check-replay:
	$(RUN_SUITE) $(AS_NOBODY) reply.h tests tools -- sh tests/replay.sh
check-terminal:
	$(RUN_SUITE) $(AS_NOBODY) reply.h tests -- python3 tests/terminal.py
# each lesson of -L typed through ptys; lessons/ holds their texts
check-lessons:
	$(RUN_SUITE) $(AS_NOBODY) reply.h tests lessons -- \
	    python3 tests/lessons.py
# not through as-nobody.sh: as root it checks the refusal of root and
# gives smtpd -u nobody itself, as a learner in a root shell must
check-learner:
	SMTPD=./$(BIN) $(RUN_SUITE) python3 tests/terminal_learner.py
check-e2e:
	$(RUN_SUITE) $(AS_NOBODY) reply.h tests -- sh tests/e2e.sh
check-launchers:
	SMTPD=./$(BIN) $(RUN_SUITE) sh tests/launchers.sh
# tlswrapper needs root for its jail; smtpd runs there with -u nobody
check-tls:
	SMTPD=./$(BIN) $(RUN_SUITE) python3 tests/tls/run.py
check-install:
	SMTPD=./$(BIN) O=$(O) $(RUN_SUITE) sh tests/install.sh
check-exim:
	SMTPD=./$(BIN) $(RUN_SUITE) sh tests/exim.sh
# three hosts without a balancer: exim's queue over them, one killed;
# then the shared store down.  As root: tcpserver gives smtpd nobody
check-exim-mx:
	SMTPD=./$(BIN) $(RUN_SUITE) python3 tests/proxy/exim_mx.py
# as root it gives smtpd -u nobody itself, for the /dev/log stand-in
check-mx:
	SMTPD=./$(BIN) $(RUN_SUITE) python3 tests/mx/run.py
# every delivery call failing, then crashing, in turn (tests/faults)
check-faults:
	$(RUN_SUITE) $(AS_NOBODY) $(O)/fault.so tests -- env \
	    FAULT_SO=$(O)/fault.so python3 tests/faults/run.py
faults: $(BIN) $(O)/fault.so
	@$(MAKE) --no-print-directory check-faults
# rblsmtpd and a stand-in DNS server in a network namespace (root)
check-rbl:
	SMTPD=./$(BIN) $(RUN_SUITE) python3 tests/mx/rbl.py
check-attack:
	$(RUN_SUITE) $(AS_NOBODY) reply.h tests -- python3 tests/attack/run.py
# PROXY headers, then three hosts behind HAProxy: failover and figures
check-proxy:
	$(RUN_SUITE) $(AS_NOBODY) reply.h tests -- python3 tests/proxy/run.py

$(O)/check_smtpd: $(UNIT_SRCS) tests/check_smtpd.h $(LIBOBJS:%=$(O)/%)
	@mkdir -p $(O)
	$(CC) $(ALLFLAGS) $(CHECK_CFLAGS) -I. -o $@ $(UNIT_SRCS) \
	    $(LIBOBJS:%=$(O)/%) $(LDFLAGS) $(CHECK_LIBS)

# The fault injector, test code only (dlsym(RTLD_NEXT) is a GNU
# extension; smtpd never uses it): LD_PRELOAD'd by tests/faults/run.py.
$(O)/fault.so: tests/helpers/fault.c
	@mkdir -p $(O)
	$(CC) -std=c99 $(WARN) $(WERROR) $(CFLAGS) -fPIC -shared -o $@ \
	    tests/helpers/fault.c -ldl

$(O)/trickle: tests/helpers/trickle.c
	@mkdir -p $(O)
	$(CC) $(ALLFLAGS) -o $@ tests/helpers/trickle.c

# The expected files of the transcript cases (all, or CASES="name...")
# written from what the real binary does; as root it runs as nobody on a
# copy (tests/as-nobody.sh), whose files come back through tar.  Read
# `git diff tests/transcripts` before keeping them (tests/transcripts/README).
update-transcripts: $(BIN) $(O)/trickle
	@if [ "$$(id -u)" -ne 0 ]; then \
	    SMTPD=./$(BIN) TRICKLE=./$(O)/trickle \
	    sh tests/run-transcripts.sh -u $(CASES); \
	else \
	    TRICKLE=./$(O)/trickle $(AS_NOBODY) $(O)/trickle tests -- sh -c \
	    'sh tests/run-transcripts.sh -u "$$@" >&2; st=$$?; \
	    tar cf - -C tests transcripts; exit $$st' sh $(CASES) | \
	    tar xof - -C tests; \
	fi

sanitize: check-deps
	@rm -rf build-san/results
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	    $(MAKE) --no-print-directory O=build-san BIN=build-san/smtpd \
	    EXTRA_CFLAGS="$(SAN_FLAGS)" LDFLAGS="$(SAN_FLAGS)" \
	    -k -j$(CHECK_JOBS) $(SYNC_OUTPUT) check-run; st=$$?; \
	    $(SUM_SUITES) build-san/results $(SUITES) || st=1; exit $$st

.PHONY: check check-deps check-run sanitize update-transcripts faults $(SUITES)
