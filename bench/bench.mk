# Benchmark: included by the Makefile; not part of make check.
#   make bench         build the helpers and run bench/run.sh
#   make bench-build   only compile them (CI checks that they build)

BENCH_BINS = $(O)/bench-gen $(O)/bench-load $(O)/bench-floor-smtpd \
             $(O)/bench-floor-append $(O)/bench-logsink

bench: $(BIN) bench-build
	SMTPD=./$(BIN) BENCH_BIN=$(O) bash bench/run.sh

bench-build: $(BENCH_BINS)

$(O)/bench-gen: bench/gen.c bench/msg.c bench/msg.h
	@mkdir -p $(O)
	$(CC) $(ALLFLAGS) -o $@ bench/gen.c bench/msg.c

$(O)/bench-load: bench/load.c bench/msg.c bench/msg.h $(O)/util.o
	@mkdir -p $(O)
	$(CC) $(ALLFLAGS) -I. -o $@ bench/load.c bench/msg.c $(O)/util.o

$(O)/bench-floor-smtpd: bench/floor-smtpd.c
	@mkdir -p $(O)
	$(CC) $(ALLFLAGS) -o $@ bench/floor-smtpd.c

$(O)/bench-floor-append: bench/floor-append.c
	@mkdir -p $(O)
	$(CC) $(ALLFLAGS) -o $@ bench/floor-append.c

$(O)/bench-logsink: bench/logsink.c
	@mkdir -p $(O)
	$(CC) $(ALLFLAGS) -o $@ bench/logsink.c

.PHONY: bench bench-build

# The memory bound (docs/performance.md): a 1 GB message and a 1 GB
# line; about half a minute, so outside make check (.ci/run runs it).
check-memory: $(BIN) bench-build
	SMTPD=./$(BIN) BENCH_BIN=$(O) sh bench/memory.sh

.PHONY: check-memory
