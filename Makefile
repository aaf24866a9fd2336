# nook: `make demo` builds nook and runs a container; `make check` runs every test.

CC ?= gcc
BUILD ?= build
CFLAGS ?= -O2 -g
NOOK_CFLAGS := -std=c11 -Wall -Wextra -Wno-sign-compare -Wno-missing-field-initializers \
               -fstack-protector-strong -D_FORTIFY_SOURCE=2 -MMD -MP
CPPFLAGS += -iquote src
LDLIBS := -ljson-c -lseccomp -lprotobuf-c -lm
# Static by default: no dynamic loader or shared libraries to map at every start.
STATIC ?= 1
ifeq ($(STATIC),1)
LDFLAGS += -static
endif

# The stub (src/linux/stub.h) runs after nook's own code is unmapped: it must be
# freestanding, position independent, and call nothing.
STUB_CFLAGS := -std=c11 -O2 -fPIC -ffreestanding -fno-builtin -fno-stack-protector -fno-jump-tables \
               -fno-tree-loop-distribute-patterns -fno-reorder-blocks-and-partition \
               -fno-asynchronous-unwind-tables -fno-exceptions -Wall -Wextra -MMD -MP

SOURCES := $(filter-out src/linux/stub_code.c src/systemd-helper/%,$(wildcard src/*.c src/*/*.c))
# criu's RPC messages (checkpoint, restore): C from src/linux/criu_rpc.proto by protoc-c.
CRIU_RPC := $(BUILD)/gen/criu_rpc.pb-c
OBJECTS := $(SOURCES:src/%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/linux/stub_code.o $(CRIU_RPC).o
LIB_OBJECTS := $(filter-out $(BUILD)/obj/main.o,$(OBJECTS))

UNIT_SOURCES := $(wildcard tests/unit/test_*.c)
UNIT_TESTS := $(UNIT_SOURCES:tests/unit/%.c=$(BUILD)/unit/%)

.PHONY: all setup demo check unit integration bench fuzz clean install-systemd-helper

all: $(BUILD)/nook $(BUILD)/nook-test-helper

$(BUILD)/nook: $(OBJECTS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/obj/linux/stub_code.o: src/linux/stub_code.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(STUB_CFLAGS) -c -o $@ $<
	@if readelf -rW $@ | grep -q "'\.rela[^']*nook_stub'"; then \
		echo "error: $< needs relocations; the stub must be self-contained" >&2; rm -f $@; exit 1; fi

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(NOOK_CFLAGS) $(CFLAGS) -c -o $@ $<

# The generated code is protoc-c's, compiled as it comes; only linux/criu.c includes its header.
$(CRIU_RPC).c $(CRIU_RPC).h &: src/linux/criu_rpc.proto
	@mkdir -p $(dir $@)
	protoc-c --proto_path=src/linux --c_out=$(BUILD)/gen $<

$(CRIU_RPC).o: $(CRIU_RPC).c $(CRIU_RPC).h
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/obj/linux/criu.o: CPPFLAGS += -iquote $(BUILD)/gen
$(BUILD)/obj/linux/criu.o: $(CRIU_RPC).h

# The tiny static helper the integration tests copy into a rootfs.
$(BUILD)/nook-test-helper: tests/helper/nook-test-helper.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -O2 -Wall -Wextra -static -o $@ $<

$(BUILD)/unit/%: tests/unit/%.c $(LIB_OBJECTS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(NOOK_CFLAGS) $(CFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

# The fuzzer's finds replayed with AddressSanitizer, whose leak checker runs at exit.
$(BUILD)/unit/test_fuzz_regressions: tests/unit/test_fuzz_regressions.c $(LIB_OBJECTS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(NOOK_CFLAGS) $(CFLAGS) -fsanitize=address -o $@ $^ $(LDLIBS) -lcmocka

# Where `make install` puts things (and where nook looks for nook-systemd).
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBEXECDIR ?= $(PREFIX)/libexec
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
SYSCONFDIR ?= /etc
CONTAINERSCONFDIR ?= $(SYSCONFDIR)/containers/containers.conf.d

# ---- nook-systemd: the systemd cgroup driver's D-Bus client ----
# A separate, dynamically linked program (libsystemd's sd-bus exists only as a
# shared library on Debian 12), run by nook on the systemd path only, so that
# nook stays static. nook looks for it next to its own executable, then at
# $(LIBEXECDIR)/nook/nook-systemd.
SYSTEMD_HELPER_SOURCES := $(wildcard src/systemd-helper/*.c)
SYSTEMD_HELPER_OBJECTS := $(SYSTEMD_HELPER_SOURCES:src/%.c=$(BUILD)/obj/%.o)

all: $(BUILD)/nook-systemd

$(BUILD)/nook-systemd: $(SYSTEMD_HELPER_OBJECTS)
	$(CC) -o $@ $^ -lsystemd -ljson-c

$(BUILD)/obj/systemd-helper/%.o: src/systemd-helper/%.c
	@mkdir -p $(dir $@)
	$(CC) $(NOOK_CFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/obj/linux/systemd.o: CPPFLAGS += -DNOOK_LIBEXECDIR='"$(LIBEXECDIR)/nook"'

-include $(SYSTEMD_HELPER_OBJECTS:.o=.d)
# ---- end of nook-systemd ----

setup:
	@scripts/setup.sh

# The config parser under libFuzzer (clang, ASan, UBSan) for FUZZ_SECONDS; crashes land in build/fuzz/.
FUZZ_SECONDS ?= 600
FUZZ_SOURCES := tests/fuzz/fuzz_spec.c $(wildcard src/spec/*.c) src/util/error.c src/util/fs.c src/util/id_list.c src/util/log.c src/util/socket.c \
                src/linux/seccomp.c src/linux/seccomp_arch.c src/linux/seccomp_enosys.c src/linux/terminal.c src/linux/mount.c
$(BUILD)/fuzz/fuzz_spec: $(FUZZ_SOURCES)
	@mkdir -p $(dir $@)
	clang $(CPPFLAGS) -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-o $@ $(FUZZ_SOURCES) -ljson-c -lseccomp

fuzz:
	@NOOK_FUZZ=1 scripts/setup.sh
	$(MAKE) $(BUILD)/fuzz/fuzz_spec
	@mkdir -p $(BUILD)/fuzz/corpus
	LSAN_OPTIONS=suppressions=tests/fuzz/lsan.supp $(BUILD)/fuzz/fuzz_spec -max_total_time=$(FUZZ_SECONDS) -dict=tests/fuzz/spec.dict -max_len=16384 \
		-artifact_prefix=$(BUILD)/fuzz/ $(BUILD)/fuzz/corpus tests/fuzz/corpus

demo: setup all
	@scripts/demo.sh

unit: $(UNIT_TESTS)
	@set -e; for t in $(UNIT_TESTS); do echo "== $$t"; $$t; done

integration: all
	/usr/bin/python3 -m pytest -q tests/integration

check: setup
	$(MAKE) all
	$(MAKE) unit
	$(MAKE) integration

bench: setup all
	@bench/bench.sh

clean:
	rm -rf $(BUILD)

# ==== install, uninstall, man pages, Debian package (issue 17) ====
# make install [PREFIX=/usr/local] [DESTDIR=]: the binary, nook(8) and a page per
# command (scdoc, from man/*.scd), bash completion, podman's containers.conf.d
# drop-in (in /etc: podman reads no other place), and the docker and containerd
# entries as snippets to add by hand (their files belong to the user).

MAN_PAGES := $(patsubst man/%.scd,$(BUILD)/man/%,$(wildcard man/*.8.scd))
# Packaging templates: @BINDIR@ becomes where nook is installed.
SNIPPETS := docker-daemon.json containerd-runtime.toml
subst_bindir = sed 's|@BINDIR@|$(BINDIR)|g'

.PHONY: man install uninstall deb deb-check

man: $(MAN_PAGES)

$(BUILD)/man/%: man/%.scd
	@mkdir -p $(dir $@)
	scdoc < $< > $@.tmp && mv $@.tmp $@

install: $(BUILD)/nook $(BUILD)/nook-systemd $(MAN_PAGES)
	install -D -m 0755 $(BUILD)/nook "$(DESTDIR)$(BINDIR)/nook"
	install -d "$(DESTDIR)$(MANDIR)/man8" "$(DESTDIR)$(DATADIR)/nook" "$(DESTDIR)$(CONTAINERSCONFDIR)"
	install -m 0644 $(MAN_PAGES) "$(DESTDIR)$(MANDIR)/man8/"
	install -D -m 0644 completions/nook.bash "$(DESTDIR)$(BASHCOMPDIR)/nook"
	$(subst_bindir) packaging/podman-nook.conf.in > "$(DESTDIR)$(CONTAINERSCONFDIR)/nook.conf"
	$(foreach f,$(SNIPPETS),$(subst_bindir) packaging/$(f).in > "$(DESTDIR)$(DATADIR)/nook/$(f)";)
	chmod 0644 "$(DESTDIR)$(CONTAINERSCONFDIR)/nook.conf" $(foreach f,$(SNIPPETS),"$(DESTDIR)$(DATADIR)/nook/$(f)")
	install -D -m 0755 $(BUILD)/nook-systemd "$(DESTDIR)$(LIBEXECDIR)/nook/nook-systemd"

uninstall:
	rm -f "$(DESTDIR)$(BINDIR)/nook" $(patsubst $(BUILD)/man/%,"$(DESTDIR)$(MANDIR)/man8/%",$(MAN_PAGES)) \
		"$(DESTDIR)$(BASHCOMPDIR)/nook" "$(DESTDIR)$(CONTAINERSCONFDIR)/nook.conf" \
		$(foreach f,$(SNIPPETS),"$(DESTDIR)$(DATADIR)/nook/$(f)") "$(DESTDIR)$(LIBEXECDIR)/nook/nook-systemd"
	-rmdir "$(DESTDIR)$(DATADIR)/nook" "$(DESTDIR)$(LIBEXECDIR)/nook" 2>/dev/null

# The .deb, built from a copy of the tree's files (git ls-files, with uncommitted
# changes) in build/deb/ so that dpkg-buildpackage writes nothing outside build/.
DEB_VERSION = $(shell dpkg-parsechangelog -S Version)
deb:
	@NOOK_DEB=1 scripts/setup.sh
	rm -rf $(BUILD)/deb && mkdir -p $(BUILD)/deb/nook
	git ls-files -z --cached --others --exclude-standard | xargs -0 cp -a --parents -t $(BUILD)/deb/nook
	cd $(BUILD)/deb/nook && dpkg-buildpackage -b -us -uc
	lintian --fail-on error,warning $(BUILD)/deb/nook_$(DEB_VERSION)_*.changes

# Installs the .deb, checks it (nook --version, man, completion, podman --runtime
# nook run), purges it: scripts/check-deb.sh. Not part of make check: it installs
# a package on the machine for a moment.
deb-check: deb
	scripts/check-deb.sh
# ==== end of install, uninstall, man pages, Debian package ====

-include $(OBJECTS:.o=.d)
