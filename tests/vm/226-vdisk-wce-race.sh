# MODE SELECT turning the write cache off (WCE 0) waits for the writes
# that saw it on and are still on their way to the cache, and only then
# flushes and answers: no write acknowledged after that answer is left
# outside what the flush covered.  BLOCKIO on a null_blk device that
# completes every request after 2 s: a cached WRITE is in flight on the
# device when the MODE SELECT comes; when the MODE SELECT has returned,
# the WRITE's request must be complete.  (Before the fix the MODE SELECT
# flushed at once and returned with the WRITE still in flight.)
. ./lib.sh
P=/proc/scsi_tgt

expect_ok modprobe null_blk nr_devices=1 irqmode=2 completion_nsec=2000000000
trap 'udevadm control --start-exec-queue 2>/dev/null' EXIT
expect_ok modprobe scst
expect_ok modprobe scst_vdisk
write_ok $P/vdisk/vdisk "open wr /dev/nullb0 BLOCKIO"
scst_local_up wr
S=$(sg_of $H:0:0:0) || fail "no sg device"
# No udev probing reads behind the test's back from here on.
udevadm control --stop-exec-queue 2>/dev/null
clear_ua $S
# writes_in_flight: the null_blk device's write requests in flight.
writes_in_flight() { awk '{print $2}' /sys/block/nullb0/inflight; }

# MODE SENSE(6), caching page: WCE (page byte 2, 0x04) is on.
wce() { sg_raw -b -r 24 $S 1a 08 08 00 18 00 2>/dev/null | od -An -tx1 -j6 -N1 | tr -d ' '; }
expect_eq "WCE before" "$(wce)" "04"

head -c 512 /dev/urandom >/tmp/wce-blk
sg_raw -s 512 -i /tmp/wce-blk $S 2a 00 00 00 00 10 00 00 01 00 >/tmp/wce-w.out 2>&1 &
w=$!
for _ in $(seq 100); do
    [ "$(writes_in_flight)" = 1 ] && break
    sleep 0.05
done
expect_eq "the WRITE in flight on the device" "$(writes_in_flight)" "1"

# MODE SELECT(6), PF: header without block descriptors, the caching page
# with every bit 0 (WCE off).
{ printf '\000\000\000\000\010\022'; head -c 18 /dev/zero; } >/tmp/wce-ms
expect_ok quiet sg_raw -s 24 -i /tmp/wce-ms $S 15 10 00 00 18 00
expect_eq "writes in flight when MODE SELECT returned" "$(writes_in_flight)" "0"
wait $w || fail "the WRITE failed: $(cat /tmp/wce-w.out)"
expect_eq "WCE after" "$(wce)" "00"

# The device still works, written through now.
expect_ok quiet sg_raw -s 512 -i /tmp/wce-blk $S 2a 00 00 00 00 11 00 00 01 00
udevadm control --start-exec-queue 2>/dev/null
scst_local_down
expect_ok rmmod null_blk
exit 0
