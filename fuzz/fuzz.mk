# ISC license.
# Fuzzing: included by the Makefile.  See docs/security.md.
#   make fuzz        build the libFuzzer targets and their seed corpus
#   make fuzz-run    run each target for FUZZ_SECONDS (default 30)
# Needs clang with libFuzzer (Debian: clang).  Objects go to build-fuzz/.

FUZZ_CC      = clang
FUZZ_O       = build-fuzz
FUZZ_SAN     = -fsanitize=address,undefined -fno-sanitize-recover=all \
               -fno-omit-frame-pointer
FUZZ_CFLAGS  = $(STD) $(WARN) $(WERROR) -O1 -g $(FUZZ_SAN) -I.
FUZZ_TARGETS = session command addr params data linebuf proxy
FUZZ_BINS    = $(FUZZ_TARGETS:%=$(FUZZ_O)/fuzz_%)
FUZZ_SECONDS ?= 30

fuzz: $(FUZZ_BINS) $(FUZZ_O)/corpus/.stamp

$(FUZZ_O)/lib/%.o: %.c $(HEADERS)
	@mkdir -p $(FUZZ_O)/lib
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

# the lessons' table is generated (the Makefile: lesson_data.c)
$(FUZZ_O)/lib/lesson_data.o: $(O)/lesson_data.c $(HEADERS)
	@mkdir -p $(FUZZ_O)/lib
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ \
	    $(O)/lesson_data.c

$(FUZZ_O)/fuzz_util.o: fuzz/fuzz_util.c fuzz/fuzz_util.h
	@mkdir -p $(FUZZ_O)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ fuzz/fuzz_util.c

$(FUZZ_O)/fuzz_%: fuzz/fuzz_%.c fuzz/fuzz_util.h $(FUZZ_O)/fuzz_util.o \
    $(LIBOBJS:%=$(FUZZ_O)/lib/%) $(HEADERS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< \
	    $(FUZZ_O)/fuzz_util.o $(LIBOBJS:%=$(FUZZ_O)/lib/%)

$(FUZZ_O)/corpus/.stamp: fuzz/make-corpus.py tests/transcripts/*.in
	python3 fuzz/make-corpus.py tests/transcripts $(FUZZ_O)/corpus
	@touch $@

fuzz-run: fuzz
	FUZZ_SECONDS=$(FUZZ_SECONDS) sh fuzz/run.sh $(FUZZ_O) $(FUZZ_TARGETS)

.SECONDARY: $(LIBOBJS:%=$(FUZZ_O)/lib/%) $(FUZZ_O)/fuzz_util.o
.PHONY: fuzz fuzz-run
