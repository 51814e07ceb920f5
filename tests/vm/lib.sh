# Helpers for VM tests (sourced).  A test is a bash script that exits 0 on
# success; `fail` stops it with a message that ends up in the results.
set -u

fail() {
    echo "FAIL: $*"
    exit 1
}

# expect_eq WHAT GOT WANT
expect_eq() {
    [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
}

# expect_ok CMD...: CMD must succeed.
expect_ok() {
    "$@" || fail "'$*' failed (exit $?)"
}

# expect_fail CMD...: CMD must fail.
expect_fail() {
    if "$@"; then fail "'$*' succeeded but must fail"; fi
}

# expect_log PATTERN: the kernel log since the test began has a line
# matching the extended regular expression PATTERN.
expect_log() {
    dmesg | grep -qE -- "$1" || fail "no kernel log line matches '$1'"
}

module_loaded() {
    grep -q "^$1 " /proc/modules
}

# Unload every module of the suite that is loaded (users first).
unload_all() {
    local m
    for m in scst_api_test scst; do
        if module_loaded $m; then rmmod $m || fail "rmmod $m"; fi
    done
}

# write_ok FILE CMD: writing the command line CMD to FILE must succeed.
write_ok() {
    printf '%s\n' "$2" >"$1" 2>/dev/null || fail "'$2' > $1 failed"
}

# write_refused FILE CMD PATTERN: writing CMD to FILE must fail, and a new
# kernel log line (since the write) must match PATTERN.
write_refused() {
    local before
    before=$(dmesg | wc -l)
    if printf '%s\n' "$2" >"$1" 2>/dev/null; then
        fail "'$2' > $1 succeeded but must fail"
    fi
    dmesg | tail -n +$((before + 1)) | grep -qE -- "$3" ||
        fail "'$(head -c 60 <<<"$2")' > $1: no new log line matches '$3'; got: $(dmesg | tail -n +$((before + 1)) | tr '\n' '|' | head -c 300)"
}

# scst_local_up DEV...: the vdisk devices DEV... become LUNs 0, 1, ... of
# the Default group, scst_local loads, and H is its first host's number.
scst_local_up() {
    local d n=0
    for d in "$@"; do
        write_ok /proc/scsi_tgt/groups/Default/devices "add $d $n"
        n=$((n + 1))
    done
    expect_ok modprobe scst_local
    udevadm settle 2>/dev/null || sleep 2
    H=$(scst_local_host 0) || fail "no scst_local host"
}

# dev N: the block device node of LUN N of scst_local's host $H.
dev() { echo /dev/$(ls /sys/class/scsi_device/$H:0:0:$1/device/block/); }

# scst_local_down: undoes scst_local_up and unloads vdisk and the core.
scst_local_down() {
    udevadm settle 2>/dev/null
    unload scst_local
    write_ok /proc/scsi_tgt/groups/Default/devices "clear"
    unload scst_vdisk scst
}

# scst_local_host N: the SCSI host number of scst_local's N-th host.
scst_local_host() {
    local h n=0
    for h in $(ls /sys/class/scsi_host/ | sed 's/host//' | sort -n); do
        [ "$(cat /sys/class/scsi_host/host$h/proc_name)" = scst_local ] || continue
        if [ $n = "$1" ]; then echo "$h"; return 0; fi
        n=$((n + 1))
    done
    return 1
}

# sg_of H:C:I:L: the /dev/sgN of a SCSI device.
sg_of() {
    local sg
    sg=$(ls "/sys/class/scsi_device/$1/device/scsi_generic/" 2>/dev/null) || return 1
    echo "/dev/$sg"
}

# clear_ua SG: TEST UNIT READY until it succeeds (pending unit attentions
# are reported once each); fails after 8 tries.
clear_ua() {
    local i
    for i in 1 2 3 4 5 6 7 8; do
        sg_turs "$1" >/dev/null 2>&1 && return 0
    done
    fail "$1 keeps failing TEST UNIT READY"
}

# quiet CMD...: CMD with its output discarded (for expect_ok).
quiet() {
    "$@" >/dev/null 2>&1
}

# unload MOD...: rmmod each, after udev has finished with the devices (its
# probing opens them, which holds the module for a moment).
unload() {
    local m
    udevadm settle 2>/dev/null
    for m in "$@"; do
        rmmod "$m" || fail "rmmod $m failed"
    done
}

# sdebug_dev N [TYPE]: the H:C:I:L of scsi_debug's N-th (from 0) device,
# in address order, counting only those of peripheral type TYPE if given.
sdebug_dev() {
    local d n=0
    for d in $(ls -d /sys/bus/scsi/devices/*:*:*:* 2>/dev/null | sort -V); do
        [ "$(cat $d/model 2>/dev/null | tr -d ' ')" = scsi_debug ] || continue
        [ $# -lt 2 ] || [ "$(cat $d/type)" = "$2" ] || continue
        if [ $n = "$1" ]; then basename $d; return 0; fi
        n=$((n + 1))
    done
    return 1
}

# handler_of H:C:I:L: the device handler /proc/scsi_tgt/scsi_tgt lists
# for a SCSI device (empty if none or not listed).
handler_of() {
    awk -v d="$1" '$1 == d {print $2}' /proc/scsi_tgt/scsi_tgt
}

# io_requests H:C:I:L: the commands the midlayer has sent to a SCSI
# device (its iorequest_cnt, in decimal).
io_requests() {
    printf '%d' "$(cat /sys/bus/scsi/devices/$1/iorequest_cnt)"
}

# wait_registered NAME LOG: the scst_user device NAME is registered
# within 5 s (else the test fails, showing LOG).
wait_registered() {
    for _ in $(seq 50); do
        [ -d /proc/scsi_tgt/$1 ] && return 0
        sleep 0.1
    done
    fail "$1 did not register: $(cat $2)"
}

# fileio_start DIR NAME ARGS...: fileio_tgt ARGS serving DIR/u.img as
# NAME, logging to DIR/fileio.NAME.log; FPID is its pid; waits until the
# device is registered.
fileio_start() {
    local dir=$1 name=$2
    shift 2
    "$SCST_TOP/target/release/fileio_tgt" "$@" "$name" $dir/u.img >>$dir/fileio.$name.log 2>&1 &
    FPID=$!
    wait_registered $name $dir/fileio.$name.log
}
