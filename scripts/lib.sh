# Shared settings for the project's scripts.  Source it; it only sets
# variables and defines functions.
#
# The test kernel lives outside the repository, keyed by the Debian kernel
# package version and the hash of everything that shapes its config, so that
# later sessions and CI on the same machine reuse it and a fresh machine
# rebuilds it.

SCST_TOP=${SCST_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
SCST_CACHE=${SCST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/scst-rs}
LLVM_SUFFIX=-19
export LIBCLANG_PATH=${LIBCLANG_PATH:-/usr/lib/llvm-19/lib}
RUSTC_BIN=${RUSTC_BIN:-/usr/bin/rustc}
BINDGEN_BIN=${BINDGEN_BIN:-$(command -v bindgen 2>/dev/null || echo "$HOME/.cargo/bin/bindgen")}
VENV=${VENV:-$SCST_CACHE/venv}
KSRC_TARBALL=/usr/src/linux-source-6.12.tar.xz

kernel_pkg_version() {
    dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null
}

# How the fragment is applied (scripts/build-kernel); bump it when that
# recipe changes in a way that changes the kernel.
KERNEL_RECIPE="x86_64_defconfig kvm_guest.config fragment v1"

# The kernel flavour: "test" (tests/kernel.config: the tests run under
# lockdep and the other debugging options), "bench" (the same, then
# tests/bench/kernel.config, which turns the debugging off; the benchmark
# scripts set it) or "debug" (the same, then tests/debug/kernel.config:
# KASAN, UBSAN and kmemleak on top; `make check-debug` sets it).  Each
# flavour is cached on its own.
SCST_KERNEL_FLAVOR=${SCST_KERNEL_FLAVOR:-test}
case $SCST_KERNEL_FLAVOR in
    test | bench | debug) ;;
    *) echo "SCST_KERNEL_FLAVOR=$SCST_KERNEL_FLAVOR: test, bench or debug" >&2; exit 1 ;;
esac

# The flavour's config fragments, in the order they are merged.
kernel_fragments() {
    echo "$SCST_TOP/tests/kernel.config"
    case $SCST_KERNEL_FLAVOR in
    bench) echo "$SCST_TOP/tests/bench/kernel.config" ;;
    debug) echo "$SCST_TOP/tests/debug/kernel.config" ;;
    esac
}

# The cache key: package version + hash of the fragments and the recipe.
kernel_key() {
    local h
    # shellcheck disable=SC2046
    h=$( { cat $(kernel_fragments); echo "$KERNEL_RECIPE"; } | sha256sum | cut -c1-12)
    echo "$(kernel_pkg_version)-$h"
}

kernel_dir() {
    echo "$SCST_CACHE/kernel-$(kernel_key)/linux"
}

# Make variables every kernel or module build needs.
kmake_vars() {
    echo "LLVM=$LLVM_SUFFIX RUSTC=$RUSTC_BIN HOSTRUSTC=$RUSTC_BIN BINDGEN=$BINDGEN_BIN"
}

log() { printf '[%s] %s\n' "$(basename "$0")" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# bench_vm NAME OUT: sets up, builds, boots the test VM once and runs the
# guest side tests/bench/NAME.sh; its RESULT lines go to OUT/results,
# its PROFILE lines to OUT/profile and its NET lines to OUT/net
# (BENCH_RUNTIME, BENCH_SIZE_MB, BENCH_JOBS, BENCH_PROFILE, BENCH_MODES,
# BENCH_ROUNDS, BENCH_BLOCKIO_ON and BENCH_ISCSI_COPY reach the guest; see
# tests/bench/lib.sh and the guest scripts).
bench_vm() {
    local name=$1 out=$2
    "$SCST_TOP/scripts/setup"
    make -C "$SCST_TOP" modules tools >/dev/null
    rm -rf "$out"; mkdir -p "$out"
    SCST_VM_OUT=$out SCST_VM_QUIET=1 SCST_VM_TIMEOUT=3000 "$SCST_TOP/scripts/vm-run" \
        env BENCH_RUNTIME="${BENCH_RUNTIME:-15}" BENCH_SIZE_MB="${BENCH_SIZE_MB:-512}" \
        BENCH_JOBS="${BENCH_JOBS:-.}" BENCH_PROFILE="${BENCH_PROFILE:-}" \
        BENCH_MODES="${BENCH_MODES:-}" BENCH_ROUNDS="${BENCH_ROUNDS:-1}" \
        BENCH_BLOCKIO_ON="${BENCH_BLOCKIO_ON:-loop}" BENCH_ISCSI_COPY="${BENCH_ISCSI_COPY:-}" \
        bash "$SCST_TOP/tests/bench/$name.sh" || true
    grep -q "BENCH DONE" "$out/console.log" ||
        die "benchmark failed: $(grep 'BENCH FAIL' "$out/console.log" || tail -5 "$out/console.log")"
    grep '^RESULT' "$out/console.log" | tr -d '\r' >"$out/results"
    grep '^PROFILE' "$out/console.log" | tr -d '\r' >"$out/profile" || true
    grep '^NET' "$out/console.log" | tr -d '\r' >"$out/net" || true
}

# rust_sources: every Rust file of the project, NUL-separated (build
# output under target/ left out).
rust_sources() {
    find "$SCST_TOP/core" "$SCST_TOP/handlers" "$SCST_TOP/rust" "$SCST_TOP/targets" "$SCST_TOP/tests" \
        -name target -prune -o -name '*.rs' -print0
}
