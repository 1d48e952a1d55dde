# ISC license.
# Static and dynamic analysis: included by the Makefile.
#   make tidy       clang-tidy with the checks in .clang-tidy, no findings
#   make valgrind   the transcript suite with smtpd under valgrind memcheck
# (`make sanitize` in tests.mk is the ASan + UBSan run of the whole suite.)

TIDY       = clang-tidy
TIDY_FLAGS = -quiet -- $(STD) -I.
# clang-tidy counts the warnings its filter hid on stderr: drop that noise
# and keep the exit status.
tidy:
	@mkdir -p $(O)
	@$(TIDY) $(wildcard *.c) $(TIDY_FLAGS) >$(O)/tidy.log 2>&1; st=$$?; \
	    grep -v 'warnings generated' $(O)/tidy.log; \
	    if [ $$st -eq 0 ]; then echo "clang-tidy: no findings"; fi; \
	    exit $$st

# run-transcripts.sh clears the environment, so the wrapper carries the
# valgrind options and finds smtpd next to its own directory (it may run
# from a copy: as root, tests/as-nobody.sh runs the suite as nobody).
# Errors and definite or indirect leaks exit 99 and print on stderr;
# either fails the case.
VALGRIND = valgrind -q --error-exitcode=99 --leak-check=full \
           --errors-for-leak-kinds=definite,indirect

valgrind: $(BIN) $(O)/trickle
	printf '#!/bin/sh\nexec %s %s "$$(dirname "$$0")/../%s" "$$@"\n' \
	    "$$(command -v $(word 1,$(VALGRIND)))" \
	    "$(wordlist 2,99,$(VALGRIND))" "$(BIN)" >$(O)/valgrind-smtpd
	chmod +x $(O)/valgrind-smtpd
	SMTPD=./$(O)/valgrind-smtpd TRICKLE=./$(O)/trickle sh tests/as-nobody.sh \
	    $(BIN) $(O)/trickle $(O)/valgrind-smtpd tests -- \
	    sh tests/run-transcripts.sh

.PHONY: tidy valgrind
