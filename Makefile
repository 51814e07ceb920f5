# SPDX-License-Identifier: GPL-2.0
#
#   make              build every module against KDIR, and the user-space tools
#   make tools        the user-space tools only (iscsi-scstd, iscsi-scst-adm, fileio_tgt: target/release/)
#   make install      install them under /lib/modules/<release>/extra + depmod,
#                     the tools under $(DESTDIR)$(SBINDIR) (/usr/local/sbin) and
#                     scst_user.h under $(DESTDIR)$(INCLUDEDIR) (/usr/local/include/scst)
#   make check        the full test suite (host tests + VM tests)
#   make check-debug  the same on the sanitizer kernel (KASAN, UBSAN, kmemleak)
#   make host-test    cargo test only
#   make vm-test      VM tests only (T=tests/vm/NAME.sh to pick some)
#   make bench        the vdisk and iSCSI benchmarks against LIO and the limit
#   make fuzz         every fuzz target for 10 minutes (scripts/fuzz, docs/fuzzing.md)
#   make fmt          format every Rust file (rustfmt, the kernel's .rustfmt.toml;
#                     make check fails on unformatted files)
#
# KDIR defaults to the project's cached test kernel (scripts/setup builds
# it); point it at any Rust-enabled 6.12+ build tree to build for that
# kernel, e.g. KDIR=/lib/modules/$(uname -r)/build.  LLVM, RUSTC and
# BINDGEN must be the ones that kernel was built with.

KDIR    ?= $(shell scripts/kdir)
LLVM    ?= -19
RUSTC   ?= /usr/bin/rustc
BINDGEN ?= $(or $(shell command -v bindgen 2>/dev/null),$(HOME)/.cargo/bin/bindgen)
export LIBCLANG_PATH ?= /usr/lib/llvm-19/lib

# Out-of-tree defaults for the Kconfig options (see Kconfig).
CONFIG_SCST                ?= m
CONFIG_SCST_TRACING        ?= y
CONFIG_SCST_EXTRACHECKS    ?= y
CONFIG_SCST_DEBUG          ?= n
CONFIG_SCST_LOCAL          ?= m
CONFIG_SCST_VDISK          ?= m
CONFIG_SCST_DISK           ?= m
CONFIG_SCST_TAPE           ?= m
CONFIG_SCST_CDROM          ?= m
CONFIG_SCST_CHANGER        ?= m
CONFIG_SCST_PROCESSOR      ?= m
CONFIG_SCST_RAID           ?= m
CONFIG_SCST_MODISK         ?= m
CONFIG_SCST_USER           ?= m
CONFIG_SCST_ISCSI          ?= m
CONFIG_SCST_TEST_MODULES   ?= n
SCST_OPTIONS := $(foreach v,$(filter CONFIG_SCST%,$(.VARIABLES)),$(v)=$($(v)))

KMAKE = $(MAKE) -C $(KDIR) M=$(CURDIR) LLVM=$(LLVM) RUSTC=$(RUSTC) \
	HOSTRUSTC=$(RUSTC) BINDGEN=$(BINDGEN) $(SCST_OPTIONS)

BINDINGS := rust/generated/bindings.rs

.PHONY: all kdir-clean modules tools install clean check check-debug crash-test soak host-test vm-test fmt bench bench-vdisk bench-iscsi fuzz setup FORCE

all: modules tools

# After kdir-clean: Kbuild's clean deletes object files anywhere in the
# tree, cargo's half-built ones under target/ included.
tools: kdir-clean
	cargo build --release --offline -p iscsi-scst-usr -p fileio-tgt

$(KDIR)/.config:
	@echo "No built kernel at KDIR=$(KDIR): run scripts/setup, or pass KDIR=<a Rust-enabled kernel build tree>" >&2
	@exit 1

# Regenerated when KDIR, the kernel's own bindgen command, or our inputs
# change.
rust/generated/.kdir: FORCE
	@mkdir -p rust/generated
	@echo "$(KDIR) $$(sha256sum < $(KDIR)/rust/bindings/.bindings_generated.rs.cmd 2>/dev/null)" | cmp -s - $@ || \
		echo "$(KDIR) $$(sha256sum < $(KDIR)/rust/bindings/.bindings_generated.rs.cmd 2>/dev/null)" > $@

$(BINDINGS): rust/generated/.kdir rust/gen-bindings rust/bindings_helper.h rust/helpers.h | $(KDIR)/.config
	BINDGEN=$(BINDGEN) rust/gen-bindings $(KDIR) $@

# Kbuild runs in KDIR with paths relative to it, so objects built against
# another kernel tree can look up to date (the .mod.o with its vermagic
# did, after a benchmark's build for the benchmark kernel): a new KDIR
# cleans first, before anything builds (`make -j` ran the clean beside
# cargo, which then lost its object files).
kdir-clean:
	@[ ! -f "$(KDIR)/.config" ] || [ "$$(cat .kdir-modules 2>/dev/null)" = "$(KDIR)" ] || \
		{ $(KMAKE) clean >/dev/null && echo "$(KDIR)" > .kdir-modules; }

modules: $(BINDINGS) kdir-clean | $(KDIR)/.config
	$(KMAKE) modules

SBINDIR ?= /usr/local/sbin
TOOLS := iscsi-scstd iscsi-scst-adm fileio_tgt
# scst_user.h, for programs serving devices through /dev/scst_user.
INCLUDEDIR ?= /usr/local/include/scst

# Kbuild's modules_install runs depmod itself (honouring INSTALL_MOD_PATH).
install: modules tools
	$(KMAKE) modules_install INSTALL_MOD_DIR=extra
	install -d $(DESTDIR)$(SBINDIR)
	install -m 755 $(addprefix target/release/,$(TOOLS)) $(DESTDIR)$(SBINDIR)/
	install -d $(DESTDIR)$(INCLUDEDIR)
	install -m 644 handlers/user/scst_user.h $(DESTDIR)$(INCLUDEDIR)/

clean:
	-[ -d "$(KDIR)" ] && $(KMAKE) clean
	rm -rf rust/generated .kdir-modules

setup:
	scripts/setup

host-test:
	cargo test --workspace

vm-test:
	scripts/check --vm-only $(T)

fmt:
	bash -c '. scripts/lib.sh && rust_sources | xargs -0 rustfmt --edition 2021 --config-path "$$(kernel_dir)/.rustfmt.toml"'

check:
	scripts/check

# The whole suite again on the sanitizer kernel (tests/debug/kernel.config:
# KASAN, UBSAN, kmemleak scanned after every test).  Not part of check:
# on a fresh machine its kernel alone takes about 30 minutes to build, and
# the suite runs about three times slower (docs/reliability.md).
check-debug:
	SCST_KERNEL_FLAVOR=debug SCST_VM_MEM=3G SCST_TEST_TIMEOUT=1800 SCST_VM_TIMEOUT=10800 scripts/check

# Part of check too; alone: two boots, acknowledged durable writes
# survive a dead stop of the guest (tests/crash/run).
crash-test:
	tests/crash/run

# Not part of check: 20 minutes of fio verify through scst_local and
# iSCSI under resets, aborts, initiator, daemon and LUN churn
# (tests/soak/soak.sh; docs/reliability.md).
soak:
	tests/soak/run 1200

# Not part of check: fio through SCST, LIO and the limit (docs/vdisk.md,
# docs/iscsi.md).
bench: bench-vdisk bench-iscsi

bench-vdisk:
	scripts/bench-vdisk

bench-iscsi:
	scripts/bench-iscsi

# Not part of check either (check runs each target for a bounded number
# of executions: tests/scripts/fuzz-test.sh).
fuzz:
	scripts/fuzz --seconds 600
