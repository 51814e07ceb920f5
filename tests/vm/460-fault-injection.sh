# Fault injection (issue 25): failslab and fail_page_alloc each fail one
# slab allocation, and one page allocation, in PCT of those made by our
# kernel threads (scsi_tgt*, scst_tmd, scst_mgmtd, iscsi_rx*, iscsi_tx*),
# through the per-task filter (/proc/PID/make-it-fail), for a while of
# I/O through iSCSI (open-iscsi) and scst_local, LUN resets, and an
# iSCSI logout and login.  (Not iscsi-scstd's own context: a user-space
# program whose kernel allocations fail aborts when its malloc does.)
# Errors may reach the initiators (that is what they are for), and the
# page allocator and vmalloc report a failed allocation with a stack dump
# (expected: this test names the headers for the runner); the kernel
# must otherwise stay clean (the runner checks its log: no WARNING, BUG, oops,
# lockdep report; on the debug kernel no KASAN report and no kmemleak
# suspect), nothing may hang, and once the injection stops everything
# works again: a new iSCSI session and scst_local move data that reads
# back right, and every module unloads.
. ./lib.sh
. ./iscsi-lib.sh
T=iqn.2026-12.org.scst:faults
echo 'vmalloc error:|page allocation failure:' >"$SCST_VM_OUT/460-fault-injection.dmesg-allow"
PCT=${FAULT_PCT:-10}
SECS=${FAULT_SECS:-40}
F=/sys/kernel/debug
mountpoint -q $F || mount -t debugfs none $F
for f in failslab fail_page_alloc; do
    [ -d $F/$f ] || fail "no $f in debugfs"
done

expect_ok modprobe scst
expect_ok modprobe scst_vdisk
expect_ok modprobe iscsi-scst
export_disk faults 32M $T
truncate -s 16M $W/flocal.img
write_ok $P/vdisk/vdisk "open flocal $W/flocal.img"
scst_local_up flocal
L=$(dev 0) && S=$(sg_of $H:0:0:0) || fail "no scst_local disk"
echo "Target $T" >$W/faults.conf
start_daemon 3260 $W/faults.conf
trap 'disarm; iscsiadm -m node --logout >/dev/null 2>&1; pkill iscsid; pkill -f iscsi-scstd' EXIT
iscsid || fail "iscsid does not start"
login $T
d=$(disk_of $T) && [ -n "$d" ] || fail "no disk for $T"

# The tasks whose allocations may fail.  Threads started meanwhile (a new
# session's) are marked by the loop below as they appear.
ours() {
    pgrep '^(scsi_tgt[0-9]*|scst_tmd|scst_mgmtd|iscsi_rx.*|iscsi_tx.*)$'
}
mark() {
    local p
    # A thread may be gone by the time it is written to.
    for p in $(ours); do { echo "$1" >/proc/$p/make-it-fail; } 2>/dev/null; done
}
TIMES=1000000
arm() {
    local f
    for f in failslab fail_page_alloc; do
        echo 0 >$F/$f/verbose              # a report per fault would be a stack dump
        echo 1 >$F/$f/task-filter
        echo 1 >$F/$f/interval
        echo $TIMES >$F/$f/times
        echo N >$F/$f/ignore-gfp-wait       # GFP_KERNEL allocations fail too
        echo "$PCT" >$F/$f/probability
    done
    echo N >$F/fail_page_alloc/ignore-gfp-highmem
    echo 0 >$F/fail_page_alloc/min-order   # single pages too
}
disarm() {
    echo 0 >$F/failslab/probability 2>/dev/null
    echo 0 >$F/fail_page_alloc/probability 2>/dev/null
    mark 0
}
# injected FAULT: how many allocations FAULT (failslab, fail_page_alloc)
# has failed.
injected() {
    echo $(( TIMES - $(cat $F/$1/times) ))
}

# Data the initiators write while allocations fail; errors are counted,
# not fatal.  DEV is a block device node, or "iscsi": the disk of the
# iSCSI session there is now (none while it logs in again).  dd never
# creates the node (nocreat): a write to a disk that just went would
# leave a regular file in its place.
head -c 1M /dev/urandom >$W/pattern
io_loop() {
    local dev end=$((SECONDS + SECS)) n=0 bad=0 gone=0
    while [ $SECONDS -lt $end ]; do
        dev=$1
        [ "$1" = iscsi ] && dev=/dev/$(iscsiadm -m session -P 3 2>/dev/null | awk '/Attached scsi disk/ {print $4; exit}')
        if [ ! -b "$dev" ]; then
            gone=$((gone + 1))
            sleep 0.5
            continue
        fi
        timeout 60 dd if=$W/pattern of=$dev bs=64k oflag=direct conv=notrunc,nocreat seek=$((n % 8)) count=16 status=none || bad=$((bad + 1))
        timeout 60 dd if=$dev of=/dev/null bs=64k iflag=direct count=16 status=none || bad=$((bad + 1))
        n=$((n + 1))
    done
    echo "$1: $n rounds, $bad failed, $gone waits for a disk"
}

arm
mark 1
io_loop iscsi >$W/io-iscsi.log 2>&1 &
io1=$!
io_loop $L >$W/io-local.log 2>&1 &
io2=$!
end=$((SECONDS + SECS))
relogin=0
while [ $SECONDS -lt $end ]; do
    mark 1
    sleep 1
    timeout 60 sg_reset -d $S >/dev/null 2>&1
    # Once, half-way: a logout and a new login, with the daemon's and
    # the new threads' allocations failing.
    if [ $relogin = 0 ] && [ $SECONDS -ge $((end - SECS / 2)) ]; then
        relogin=1
        timeout 60 iscsiadm -m node -T $T -p 127.0.0.1 --logout >/dev/null 2>&1
        timeout 60 iscsiadm -m node -T $T -p 127.0.0.1 --login >/dev/null 2>&1
    fi
done
slabs=$(injected failslab)
pages=$(injected fail_page_alloc)
disarm
wait $io1 $io2
echo "allocation failures injected: $slabs slab, $pages page; $(cat $W/io-iscsi.log); $(cat $W/io-local.log)"
[ "$slabs" -gt 0 ] || fail "no slab allocation failed: the injection did not reach our tasks"
[ "$pages" -gt 0 ] || fail "no page allocation failed: the injection did not reach our tasks"

# Healthy again: a session that works (logged in anew if the last login
# failed under the injection), data written and read back through both.
iscsiadm -m node -T $T -p 127.0.0.1 --logout >/dev/null 2>&1
login $T
d=$(disk_of $T) && [ -n "$d" ] || fail "no disk for $T after the injection"
for dev in /dev/$d $L; do
    [ -b $dev ] || fail "$dev is no block device"
    expect_ok dd if=$W/pattern of=$dev bs=64k oflag=direct conv=notrunc,nocreat count=16 status=none
    expect_ok quiet cmp -n 1048576 $W/pattern $dev
done
expect_ok quiet timeout 30 iscsiadm -m node -T $T -p 127.0.0.1 --logout
trap - EXIT
stop_iscsi
unload scst_local
write_ok $P/groups/Default/devices "clear"
write_ok $P/vdisk/vdisk "close flocal"
unexport_disk faults $T
unload scst_vdisk scst
exit 0
