#!/usr/bin/env bash
# Self-test of scripts/dmesg-check: every kind of report it exists to catch
# must fail it, and the clean lines a debug kernel prints must pass it.
# Run by scripts/check; exits non-zero on the first wrong verdict.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
check=$top/scripts/dmesg-check
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
bad=0

verdict() { # EXPECT(0 clean|1 report) LINE [ALLOW]
    printf '%s\n' "$2" >"$tmp"
    "$check" "$tmp" "${3:-}" >/dev/null
    local got=$?
    if [ "$got" != "$1" ]; then
        echo "dmesg-check gave $got, want $1, for: $2"
        bad=1
    fi
}

# Reports.
verdict 1 '[   12.3] WARNING: CPU: 1 PID: 97 at core/x.rs:10 scst_init+0x10/0x20 [scst]'
verdict 1 '[   12.3] BUG: kernel NULL pointer dereference, address: 0000000000000008'
verdict 1 '[   12.3] kernel BUG at mm/slub.c:100!'
verdict 1 '[   12.3] Oops: general protection fault, probably for non-canonical address'
verdict 1 '[   12.3] WARNING: possible circular locking dependency detected'
verdict 1 '[   12.3] WARNING: possible recursive locking detected'
verdict 1 '[   12.3] WARNING: inconsistent lock state'
verdict 1 '[   12.3] INFO: lockdep is turned off.'
verdict 1 '[   12.3] BUG: sleeping function called from invalid context at kernel/locking/mutex.c:1'
verdict 1 '[   12.3] ODEBUG: free active (active state 0) object: 00000000 object type: timer_list'
verdict 1 '[   12.3] list_add corruption. prev->next should be next'
verdict 1 '[   12.3] rust_kernel: panicked at core/x.rs:1:1:'
verdict 1 '[   12.3] INFO: task modprobe:97 blocked for more than 120 seconds.'
verdict 1 '[   12.3] Call Trace:'
verdict 1 '[   12.3] Disabling lock debugging due to kernel taint'
verdict 1 '[   12.3] scst: module verification failed: signature and/or required key missing - tainting kernel'
verdict 1 '[   12.3] foo: module is from the staging directory, the quality is unknown. taints kernel.'
# Expected reports (fault injection): their stack dumps pass; another
# report after them does not.
A='vmalloc error:|page allocation failure:'
verdict 0 "$(printf '[ 1.0] iscsi_rx1_2: vmalloc error: size 65536, failed to allocate\n[ 1.0] CPU: 1 PID: 3\n[ 1.0] Call Trace:\n[ 1.0]  <TASK>')" "$A"
verdict 1 "$(printf '[ 1.0] iscsi_rx1_2: vmalloc error: size 65536\n[ 1.0] Call Trace:\n[ 1.0] WARNING: CPU: 1 at x.c:1\n[ 1.0] Call Trace:')" "$A"
verdict 1 "$(printf '[ 1.0] iscsi_rx1_2: vmalloc error: size 65536\n[ 1.0] Call Trace:')"
verdict 1 "$(printf '[ 1.0] BUG: KASAN: use-after-free\n[ 1.0] Call Trace:')" "$A"
# Clean lines a debug kernel prints.
verdict 0 '[    0.5] rcu: 	RCU lockdep checking is enabled.'
verdict 0 '[    0.5] Lock dependency validator: Copyright (c) 2006 Red Hat, Inc., Ingo Molnar'
verdict 0 '[    0.5] ... MAX_LOCKDEP_SUBCLASSES:  8'
verdict 0 '[    1.3] PCI: Using host bridge windows from ACPI; if necessary, use "pci=nocrs" and report a bug'
verdict 0 '[   17.8] scst: loading out-of-tree module taints kernel.'
verdict 0 '[   17.9] scst: SCST 1.0.0-rs0.1 loaded: 2 threads, scst_max_cmd_mem 493 MiB'

[ $bad = 0 ] && echo "dmesg-check: all verdicts right"
exit $bad
