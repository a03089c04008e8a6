# dmasleuth unit tests, fuzz harnesses and the lib benchmark; included by the
# top-level Makefile (which defines CC, CFLAGS, WARN, LIB_SRC).
#   make unit-check   build and run the unit tests, normally and under
#                     clang ASan+UBSan
#   make lib-bench    scanner throughput on a 256 MiB synthetic image
#   make fuzz         build the libFuzzer harnesses and run each for
#                     FUZZ_SECONDS (default 10) on its corpus
CLANG        ?= clang
UNIT_DIR     := tests/unit
UNIT_SRC     := $(UNIT_DIR)/main.c $(wildcard $(UNIT_DIR)/*_test.c) $(UNIT_DIR)/jsonlayout.c \
                tests/data/fixtures.c tests/data/dumpgen.c
UNIT_HDR     := $(UNIT_DIR)/test.h $(UNIT_DIR)/jsonlayout.h $(UNIT_DIR)/slub_fake.h tests/data/fixtures.h tests/data/dumpgen.h \
                $(wildcard lib/*.h) $(wildcard tests/data/layouts/*.json)
UNIT_INC     := -Ilib -I$(UNIT_DIR) -Itests/data
UNIT_LIBS    := -lpcap -lcapstone -ldw -lelf -lcrypto $(DUMP_LIBS)
SAN_FLAGS    := -O1 -g -fno-omit-frame-pointer \
                -fsanitize=address,undefined -fno-sanitize-recover=all

$(UNIT_DIR)/unit-tests: $(UNIT_SRC) $(UNIT_HDR) lib/libdmasleuth.a
	$(CC) $(CFLAGS) $(UNIT_INC) -o $@ $(UNIT_SRC) lib/libdmasleuth.a $(UNIT_LIBS)

# The sanitizer build compiles lib/ from source with clang.
$(UNIT_DIR)/unit-tests-san: $(UNIT_SRC) $(UNIT_HDR) $(LIB_SRC)
	$(CLANG) -std=gnu11 $(WARN) $(SAN_FLAGS) $(UNIT_INC) -o $@ \
		$(UNIT_SRC) $(LIB_SRC) $(UNIT_LIBS)

# The portable (SWAR, no SSE2) scanner path, tested on x86 too.
$(UNIT_DIR)/unit-tests-swar: $(UNIT_SRC) $(UNIT_HDR) $(LIB_SRC)
	$(CC) $(CFLAGS) -DDMS_SCAN_NO_SIMD $(UNIT_INC) -o $@ \
		$(UNIT_SRC) $(LIB_SRC) $(UNIT_LIBS)

unit-check: $(UNIT_DIR)/unit-tests $(UNIT_DIR)/unit-tests-san $(UNIT_DIR)/unit-tests-swar
	./$(UNIT_DIR)/unit-tests-swar dms_scan
	./$(UNIT_DIR)/unit-tests
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		./$(UNIT_DIR)/unit-tests-san

$(UNIT_DIR)/scan-bench: $(UNIT_DIR)/scan_bench.c tests/data/fixtures.c $(UNIT_HDR) lib/libdmasleuth.a
	$(CC) $(CFLAGS) -O2 $(UNIT_INC) -o $@ $(UNIT_DIR)/scan_bench.c \
		tests/data/fixtures.c lib/libdmasleuth.a $(UNIT_LIBS)

lib-bench: $(UNIT_DIR)/scan-bench
	./$(UNIT_DIR)/scan-bench

# Fuzz harnesses: tests/fuzz/<parser>_fuzz.c, each built twice: with
# libFuzzer (+ASan/UBSan) and with a replay main (tests/fuzz/replay.c) that
# runs every file of a corpus directory.
FUZZ_DIR     := tests/fuzz
FUZZ_SECONDS ?= 10
FUZZ_SRC     := $(wildcard $(FUZZ_DIR)/*_fuzz.c)
FUZZ_NAMES   := $(patsubst $(FUZZ_DIR)/%_fuzz.c,%,$(FUZZ_SRC))
FUZZ_BINS    := $(FUZZ_NAMES:%=$(FUZZ_DIR)/%-fuzzer)
REPLAY_BINS  := $(FUZZ_NAMES:%=$(FUZZ_DIR)/%-replay)

$(FUZZ_DIR)/%-fuzzer: $(FUZZ_DIR)/%_fuzz.c $(LIB_SRC) $(UNIT_HDR)
	$(CLANG) -std=gnu11 $(WARN) -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -Ilib -o $@ $< $(LIB_SRC) $(UNIT_LIBS)

# lib/ compiled once with the sanitizers for every replay binary.
SAN_DIR      := build/san
SAN_OBJ      := $(LIB_SRC:lib/%.c=$(SAN_DIR)/%.o)
.SECONDARY: $(SAN_OBJ)
$(SAN_DIR)/%.o: lib/%.c $(wildcard lib/*.h)
	@mkdir -p $(SAN_DIR)
	$(CLANG) -std=gnu11 $(WARN) $(SAN_FLAGS) -Ilib -c -o $@ $<

$(FUZZ_DIR)/%-replay: $(FUZZ_DIR)/%_fuzz.c $(FUZZ_DIR)/replay.c $(SAN_OBJ) $(UNIT_HDR)
	$(CLANG) -std=gnu11 $(WARN) $(SAN_FLAGS) -Ilib -o $@ $< \
		$(FUZZ_DIR)/replay.c $(SAN_OBJ) $(UNIT_LIBS)

fuzz-build: $(FUZZ_BINS) $(REPLAY_BINS)

# Replay every corpus (the regression inputs) under ASan+UBSan; one test per
# harness, the last line "fuzz: N passed, N failed" (make check runs this).
fuzz-replay: $(REPLAY_BINS)
	@p=0; f=0; for n in $(FUZZ_NAMES); do \
		if ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		   UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		   ./$(FUZZ_DIR)/$$n-replay $(FUZZ_DIR)/corpus/$$n; then p=$$((p + 1)); \
		else echo "FAIL fuzz replay $$n"; f=$$((f + 1)); fi; \
	done; echo "fuzz: $$p passed, $$f failed"; [ $$f = 0 ]

# Each harness for FUZZ_SECONDS (or FUZZ_RUNS executions, whichever comes
# first); a summary line per harness: executions, and the crash/leak/timeout
# files libFuzzer wrote (findings) under $(FUZZ_DIR)/work/.
FUZZ_RUNS ?= -1
fuzz: fuzz-build
	@for n in $(FUZZ_NAMES); do \
		mkdir -p $(FUZZ_DIR)/work/$$n; \
		echo "fuzz: $$n for $(FUZZ_SECONDS)s"; \
		./$(FUZZ_DIR)/$$n-fuzzer -max_total_time=$(FUZZ_SECONDS) -runs=$(FUZZ_RUNS) \
			-max_len=$$(case $$n in dumpfile) echo 131072;; maple) echo 17000;; *) echo 9000;; esac) \
			-print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/work/$$n- \
			$(FUZZ_DIR)/work/$$n $(FUZZ_DIR)/corpus/$$n 2> $(FUZZ_DIR)/work/$$n.log; \
		rc=$$?; \
		execs=$$(sed -n 's/^stat::number_of_executed_units: *//p' $(FUZZ_DIR)/work/$$n.log); \
		finds=$$(ls $(FUZZ_DIR)/work/ | grep -c "^$$n-\(crash\|leak\|timeout\|oom\)-"); \
		echo "fuzz: $$n: $${execs:-?} executions, $$finds findings (exit $$rc, log $(FUZZ_DIR)/work/$$n.log)"; \
	done

unit-clean:
	rm -f $(UNIT_DIR)/unit-tests $(UNIT_DIR)/unit-tests-san $(UNIT_DIR)/unit-tests-swar \
		$(UNIT_DIR)/scan-bench $(FUZZ_BINS) $(REPLAY_BINS)
	rm -rf $(FUZZ_DIR)/work $(SAN_DIR)

.PHONY: unit-check lib-bench fuzz fuzz-build fuzz-replay unit-clean
