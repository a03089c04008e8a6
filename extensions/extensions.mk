# extensions/extensions.mk — the crash extension dmasleuth.so, its vmcore tests and benchmark.
# Included by the top-level Makefile (-include), which defines CC, CFLAGS (with WARN, -fPIC,
# -Ilib), PREFIX and DESTDIR.  Targets:
#   make extension          build extensions/dmasleuth.so
#   make extension-install  install it to $(DESTDIR)$(PREFIX)/lib/crash/extensions/
#   make vmcore-check       run the vmcore tests (tests/vmcore/run; needs the debuginfo)
#   make bench              pktscan vs crash's search -p vs a bare read pass, + lib-bench
#   make demo-run           open a lab dump in crash with the extension and run pktscan

# Keep `all` the default goal even if this file is included before it.
all: extensions/dmasleuth.so

PREFIX  ?= /usr
DESTDIR ?=
CRASH_INC ?= /usr/include/crash
EXT_SRC := $(wildcard extensions/*.c)
EXT_OBJ := $(EXT_SRC:.c=.o)
# crash's defs.h needs the architecture; it is a system header (<crash/defs.h>),
# so its own warnings do not trip -Werror.
EXT_CFLAGS = $(CFLAGS) -DX86_64 -D_GNU_SOURCE -fPIC -fvisibility=hidden
# Only the lib/ objects pktscan needs (a half-finished lib/ module elsewhere does not
# block the extension); the version script keeps every symbol but the constructor local.
EXT_LIB_OBJ := lib/error.o lib/pkt.o lib/reader.o lib/scan.o lib/pcapw.o lib/slub.o lib/classify.o \
	lib/objcheck.o lib/verdict.o lib/logsig.o lib/oops.o lib/insn.o \
	lib/nicring.o lib/dwlayout.o lib/layout.o
EXT_LDFLAGS = -shared -Wl,--version-script=extensions/dmasleuth.map
EXT_LIBS = -lpcap -lpthread -lcapstone -ldw -lelf

.PHONY: extension extension-install vmcore-check bench demo-run ext-clean

extension: extensions/dmasleuth.so

extensions/%.o: extensions/%.c extensions/dms_ext.h $(wildcard lib/*.h)
	$(CC) $(EXT_CFLAGS) -Ibuild/gen -c -o $@ $<

# Help EXAMPLEs are real output from lab dumps: they live in docs/examples/ (so the tool's
# sources hold no lab values) and become C string lines at build time.
EXAMPLES := $(patsubst docs/examples/%.txt,build/gen/%_example.h,$(wildcard docs/examples/*.txt))
build/gen/%_example.h: docs/examples/%.txt
	@mkdir -p build/gen
	sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/\t"/' -e 's/$$/",/' $< > $@
$(EXT_OBJ): $(EXAMPLES)

# crash's own symbols (readmem, vt, ...) are resolved when crash dlopen()s the file.
extensions/dmasleuth.so: $(EXT_OBJ) $(EXT_LIB_OBJ) extensions/dmasleuth.map
	$(CC) $(EXT_LDFLAGS) -o $@ $(EXT_OBJ) $(EXT_LIB_OBJ) $(EXT_LIBS)

extension-install: extensions/dmasleuth.so
	install -d $(DESTDIR)$(PREFIX)/lib/crash/extensions
	install -m 0755 extensions/dmasleuth.so $(DESTDIR)$(PREFIX)/lib/crash/extensions/dmasleuth.so

vmcore-check: extensions/dmasleuth.so
	@tests/vmcore/run

bench: extensions/dmasleuth.so
	@tests/vmcore/bench
	@if grep -q '^lib-bench:' tests/unit/unit.mk 2>/dev/null; then $(MAKE) --no-print-directory lib-bench; fi

demo-run: extensions/dmasleuth.so
	@tests/vmcore/demo

ext-clean:
	rm -f extensions/*.o extensions/dmasleuth.so
clean: ext-clean
