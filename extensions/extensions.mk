# extensions/extensions.mk — the crash extension dmasleuth.so, its vmcore tests and benchmark.
# Included by the top-level Makefile (-include), which defines CC, CFLAGS (with WARN, -fPIC,
# -Ilib), PREFIX and DESTDIR.  Targets:
#   make extension          build extensions/dmasleuth.so (against $(CRASH_INC)/defs.h)
#   make extension-compat   build it against crash 8.0.6's defs.h too (scripts/build-crash), -Werror,
#                           into build/compat/, and check both builds are the same code (docs/compat.md)
#   make extension-arm64    build extensions/dmasleuth-arm64.so from the same sources for an ARM64
#                           crash (the cross crash of `scripts/build-crash ARM64`: its defs.h)
#   make extension-install  install them to $(DESTDIR)$(PREFIX)/lib/crash/extensions/
#   make vmcore-check       run the vmcore tests (tests/vmcore/run; needs the debuginfo)
#   make bench              pktscan vs crash's search -p vs a bare read pass, + lib-bench
#   make demo-run           open a lab dump in crash with the extension and run pktscan

# Keep `all` the default goal even if this file is included before it.
all: extensions/dmasleuth.so

# The crash target the extension is built for (crash's defs.h is per target: machdep, its
# macros and machine_specific).  One source tree, one build per target; the only code that
# differs is target_env() in extensions/kfacts.c.
CRASH_TARGET ?= X86_64
# The ARM64 build: the cross crash's defs.h (scripts/build-crash ARM64, cached outside the repo).
DMS_CACHE ?= $(or $(DMASLEUTH_CACHE),$(if $(XDG_CACHE_HOME),$(XDG_CACHE_HOME)/dmasleuth),$(HOME)/.cache/dmasleuth)
ARM64_CRASH_INC ?= $(DMS_CACHE)/crash-8.0.6-ARM64
ARM64_OUT := build/arm64
# `make all` builds it too where the cross crash is (CI builds it in extension-compat).
ifneq ($(wildcard $(ARM64_CRASH_INC)/defs.h),)
all: extensions/dmasleuth-arm64.so
endif

PREFIX  ?= /usr
DESTDIR ?=
# The directory holding the crash defs.h to build against: `make CRASH_INC=DIR`.
CRASH_INC ?= /usr/include/crash
# Where this build's objects and .so go, and the directory whose crash/ links to $(CRASH_INC)
# (the sources say <crash/defs.h>).  extension-compat sets both for its second build.
EXT_OUT ?= extensions
EXT_SHIM ?= build/crash-inc
EXT_SRC := $(wildcard extensions/*.c)
EXT_OBJ := $(patsubst extensions/%.c,$(EXT_OUT)/%.o,$(EXT_SRC))
# crash's defs.h needs the architecture; it is a system header (-isystem), so its own
# warnings do not trip -Werror.
EXT_CFLAGS = $(CFLAGS) -D$(CRASH_TARGET) -D_GNU_SOURCE -fPIC -fvisibility=hidden \
	-isystem $(EXT_SHIM)
# Every lib/ object; the version script keeps every symbol but the constructor local.
EXT_LIB_OBJ := $(LIB_OBJ)
EXT_LDFLAGS = -shared -Wl,--version-script=extensions/dmasleuth.map
EXT_LIBS = -lpcap -lpthread -lcapstone -ldw -lelf -lcrypto $(DUMP_LIBS)

.PHONY: extension extension-arm64 extension-compat extension-install vmcore-check bench demo-run \
	ext-clean FORCE

extension: extensions/dmasleuth.so

# $(EXT_SHIM)/crash -> $(CRASH_INC); the stamp holds that path and changes only when it does,
# so a new CRASH_INC rebuilds every object and an unchanged one rebuilds nothing.
CRASH_INC_ABS = $(abspath $(CRASH_INC))
$(EXT_SHIM)/CRASH_INC: FORCE
	@test -f '$(CRASH_INC_ABS)/defs.h' || { echo "no defs.h in CRASH_INC=$(CRASH_INC)" >&2; exit 1; }
	@mkdir -p $(@D)
	@if [ "$$(cat $@ 2>/dev/null)" != '$(CRASH_INC_ABS)' ] || [ ! -e $(@D)/crash/defs.h ]; then \
		ln -sfn '$(CRASH_INC_ABS)' $(@D)/crash && echo '$(CRASH_INC_ABS)' > $@; fi
FORCE:

$(EXT_OUT)/%.o: extensions/%.c extensions/dms_ext.h $(wildcard lib/*.h) $(EXT_SHIM)/CRASH_INC \
		$(wildcard $(CRASH_INC)/defs.h)
	@mkdir -p $(@D)
	$(CC) $(EXT_CFLAGS) -Ibuild/gen -c -o $@ $<

# Help EXAMPLEs are real output from lab dumps: they live in docs/examples/ (so the tool's
# sources hold no lab values) and become C string lines at build time.
EXAMPLES := $(patsubst docs/examples/%.txt,build/gen/%_example.h,$(wildcard docs/examples/*.txt))
build/gen/%_example.h: docs/examples/%.txt
	@mkdir -p build/gen
	sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/\t"/' -e 's/$$/",/' $< > $@
$(EXT_OBJ): $(EXAMPLES)

# crash's own symbols (readmem, vt, ...) are resolved when crash dlopen()s the file.
$(EXT_OUT)/dmasleuth.so: $(EXT_OBJ) $(EXT_LIB_OBJ) extensions/dmasleuth.map
	$(CC) $(EXT_LDFLAGS) -o $@ $(EXT_OBJ) $(EXT_LIB_OBJ) $(EXT_LIBS)

# One source for crash 8.0.2 (Debian 12, /usr/include/crash) and crash 8.0.6 (scripts/build-crash,
# cached; built once, ~17 CPU-minutes): the extension built against each defs.h, with -Werror,
# into build/compat/{system,8.0.6}/.  The objects must be the same code and data (debug info
# aside): then no field offset, struct size, constant or macro the extension uses differs between
# the two crashes, and either .so loads into either crash (docs/compat.md, "crash versions").
COMPAT_DIR := build/compat
extension-compat:
	@out=$$(scripts/build-crash X86_64) && eval "$$out" && test -n "$$CRASH_INC" && \
	$(MAKE) --no-print-directory CI=true CRASH_INC="$$CRASH_INC" EXT_OUT=$(COMPAT_DIR)/8.0.6 \
		EXT_SHIM=$(COMPAT_DIR)/8.0.6/inc $(COMPAT_DIR)/8.0.6/dmasleuth.so
	@$(MAKE) --no-print-directory CI=true EXT_OUT=$(COMPAT_DIR)/system \
		EXT_SHIM=$(COMPAT_DIR)/system/inc $(COMPAT_DIR)/system/dmasleuth.so
	@bad=0; for o in $(EXT_SRC:extensions/%.c=%.o); do \
		objcopy --strip-debug $(COMPAT_DIR)/system/$$o $(COMPAT_DIR)/a.tmp && \
		objcopy --strip-debug $(COMPAT_DIR)/8.0.6/$$o $(COMPAT_DIR)/b.tmp || exit 1; \
		cmp -s $(COMPAT_DIR)/a.tmp $(COMPAT_DIR)/b.tmp || { bad=1; \
			echo "extension-compat: $$o differs between $(CRASH_INC)/defs.h and 8.0.6's" \
			"(a crash structure or macro it uses changed: see docs/compat.md)" >&2; }; \
	done; rm -f $(COMPAT_DIR)/a.tmp $(COMPAT_DIR)/b.tmp; \
	[ $$bad = 0 ] && echo "extension-compat: $(COMPAT_DIR)/system/dmasleuth.so and" \
		"$(COMPAT_DIR)/8.0.6/dmasleuth.so: same code and data"
	@out=$$(scripts/build-crash ARM64) && eval "$$out" && test -n "$$CRASH_INC" && \
	$(MAKE) --no-print-directory CI=true ARM64_CRASH_INC="$$CRASH_INC" extensions/dmasleuth-arm64.so && \
	echo "extension-compat: extensions/dmasleuth-arm64.so built for the ARM64 crash ($$CRASH_INC)"

# The ARM64 build: objects in build/arm64/, the .so beside the x86_64 one under a name a user
# tells apart.  The stamp (CRASH_INC) and the target macro keep the two builds' objects apart.
extension-arm64: extensions/dmasleuth-arm64.so

extensions/dmasleuth-arm64.so: FORCE $(EXT_LIB_OBJ) $(EXAMPLES)
	@test -f '$(ARM64_CRASH_INC)/defs.h' || { echo "extension-arm64: no defs.h in" \
		"$(ARM64_CRASH_INC): run scripts/build-crash ARM64 (or set ARM64_CRASH_INC)" >&2; exit 1; }
	@$(MAKE) --no-print-directory CRASH_TARGET=ARM64 CRASH_INC='$(ARM64_CRASH_INC)' \
		EXT_OUT=$(ARM64_OUT) EXT_SHIM=$(ARM64_OUT)/inc $(ARM64_OUT)/dmasleuth.so
	@cmp -s $(ARM64_OUT)/dmasleuth.so $@ || cp $(ARM64_OUT)/dmasleuth.so $@

# Both builds, each for its crash: dmasleuth.so (x86_64) and dmasleuth-arm64.so (ARM64, when
# built: make extension-arm64).
extension-install: extensions/dmasleuth.so
	install -d $(DESTDIR)$(PREFIX)/lib/crash/extensions
	install -m 0755 extensions/dmasleuth.so $(DESTDIR)$(PREFIX)/lib/crash/extensions/dmasleuth.so
	@if [ -f extensions/dmasleuth-arm64.so ]; then \
		echo install -m 0755 extensions/dmasleuth-arm64.so \
			$(DESTDIR)$(PREFIX)/lib/crash/extensions/dmasleuth-arm64.so; \
		install -m 0755 extensions/dmasleuth-arm64.so \
			$(DESTDIR)$(PREFIX)/lib/crash/extensions/dmasleuth-arm64.so; \
	else echo "extension-install: no extensions/dmasleuth-arm64.so (make extension-arm64):" \
		"the ARM64 build is not installed"; fi

vmcore-check: extensions/dmasleuth.so
	@tests/vmcore/run

bench: extensions/dmasleuth.so
	@tests/vmcore/bench
	@$(MAKE) --no-print-directory lib-bench

demo-run: extensions/dmasleuth.so
	@tests/vmcore/demo

ext-clean:
	rm -f extensions/*.o extensions/dmasleuth.so extensions/dmasleuth-arm64.so
	rm -rf build/crash-inc $(COMPAT_DIR) $(ARM64_OUT)
clean: ext-clean
