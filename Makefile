# dmasleuth — top-level build.  See README.md.
#   make            build lib/ and the crash extension
#   make check      every test: unit (+ASan/UBSan), lab sanity on the stored dumps, vmcore tests
#   make dumps      regenerate the lab's crash dumps from source (dumps/lab/, ~10 min)
#   make demo       install what is missing, build, fetch debuginfo, open a lab dump in crash
#   make bench      side-by-side benchmarks
#   make fuzz       run every libFuzzer harness for a while
CC      ?= gcc
PREFIX  ?= /usr
DESTDIR ?=
WARN    := -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wpointer-arith -Wvla -Wimplicit-fallthrough
ifdef CI
WARN    += -Werror
endif
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 $(WARN) -fPIC -Ilib

# The dump reader's decompressors (lib/dumpfile.c) and its worker threads.
DUMP_LIBS := -lz -llzo2 -lsnappy -lzstd -lpthread

LIB_SRC := $(wildcard lib/*.c)
LIB_OBJ := $(LIB_SRC:.c=.o)

all: lib/libdmasleuth.a scripts/dmasleuth-logscan scripts/dmasleuth-verdict scripts/dmasleuth-scan

lib/libdmasleuth.a: $(LIB_OBJ)
	$(AR) rcs $@ $^

lib/%.o: lib/%.c $(wildcard lib/*.h)
	$(CC) $(CFLAGS) -c -o $@ $<

# The log-signature scanner for logs without a vmcore (used by dmasleuth-triage); the oops
# parser it also runs decodes the faulting instruction with capstone.
scripts/dmasleuth-logscan: scripts/dmasleuth-logscan.c lib/libdmasleuth.a
	$(CC) $(CFLAGS) -o $@ $< lib/libdmasleuth.a -lcapstone -lcrypto

# dmaf's verdict from a facts file (dmaf -f), without crash: the replay of tests/facts/.
scripts/dmasleuth-verdict: scripts/dmasleuth-verdict.c lib/libdmasleuth.a
	$(CC) $(CFLAGS) -o $@ $< lib/libdmasleuth.a -lpcap -lcapstone -ldw -lelf -lcrypto

# The packet carver without crash (docs/dmasleuth-scan.md).
scripts/dmasleuth-scan: scripts/dmasleuth-scan.c lib/libdmasleuth.a
	$(CC) $(CFLAGS) -o $@ $< lib/libdmasleuth.a -lpcap -lcrypto $(DUMP_LIBS)

-include tests/unit/unit.mk
-include extensions/extensions.mk

# Every test: unit (+ASan/UBSan), lab sanity on the stored dumps, vmcore tests.
check: all
	@tests/run-all

# Regenerate one lab kernel's dumps (QEMU/TCG, ~1 min per scenario; see dumps/README.md):
# make dumps [KERNEL=RELEASE], RELEASE a manifest in dumps/kernels/ (default 6.1.0-56-amd64).
KERNEL ?= 6.1.0-56-amd64
dumps:
	scripts/install-deps lab
	$(MAKE) -C dumps/lab KERNEL=$(KERNEL) all

deps:
	scripts/install-deps test

# From a fresh Debian 12 machine: packages, build, debuginfo, then a lab dump in crash.
demo:
	scripts/install-deps demo
	$(MAKE) all
	$(MAKE) --no-print-directory demo-run

install: extension-install scripts/dmasleuth-logscan scripts/dmasleuth-verdict scripts/dmasleuth-scan
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 scripts/dmasleuth-logscan $(DESTDIR)$(PREFIX)/bin/dmasleuth-logscan
	install -m 0755 scripts/dmasleuth-verdict $(DESTDIR)$(PREFIX)/bin/dmasleuth-verdict
	install -m 0755 scripts/dmasleuth-scan $(DESTDIR)$(PREFIX)/bin/dmasleuth-scan
	install -m 0755 scripts/dmasleuth-triage $(DESTDIR)$(PREFIX)/bin/dmasleuth-triage
	install -d $(DESTDIR)$(PREFIX)/share/dmasleuth/python/dmasleuth_triage
	install -m 0644 python/dmasleuth_triage/*.py $(DESTDIR)$(PREFIX)/share/dmasleuth/python/dmasleuth_triage/
	install -d $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0644 docs/dmasleuth-triage.1 $(DESTDIR)$(PREFIX)/share/man/man1/dmasleuth-triage.1
	install -m 0644 docs/dmasleuth-scan.1 $(DESTDIR)$(PREFIX)/share/man/man1/dmasleuth-scan.1
	install -d $(DESTDIR)$(PREFIX)/share/man/man7
	install -m 0644 docs/dmasleuth.7 $(DESTDIR)$(PREFIX)/share/man/man7/dmasleuth.7

# make bench: the extension's benchmarks (extensions/extensions.mk), triage -j 1 vs -j 2,
# and the dump reader without crash (tests/bench/reader-bench).
bench: triage-bench reader-bench
triage-bench: all
	@tests/triage/bench

# libkdumpfile, when installed, for the reader comparison (docs/performance.md).
KDUMPFILE_FLAGS := $(shell pkg-config --exists libkdumpfile 2>/dev/null && \
	echo -DHAVE_KDUMPFILE $$(pkg-config --cflags --libs libkdumpfile))
tests/bench/dumpbench: tests/bench/dumpbench.c lib/libdmasleuth.a
	$(CC) $(CFLAGS) -o $@ $< lib/libdmasleuth.a -lcrypto $(DUMP_LIBS) $(KDUMPFILE_FLAGS)
reader-bench: all tests/bench/dumpbench
	@tests/bench/reader-bench

.PHONY: all check dumps deps demo install clean triage-bench reader-bench
clean:
	rm -f lib/*.o lib/*.a scripts/dmasleuth-logscan scripts/dmasleuth-verdict scripts/dmasleuth-scan \
		tests/bench/dumpbench
	-$(MAKE) unit-clean
	-$(MAKE) -C dumps/lab clean
