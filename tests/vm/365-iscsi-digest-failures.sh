# CONFIG_SCST_ISCSI_DEBUG_DIGEST_FAILURES (the debug variant of
# iscsi-scst.ko, built by scripts/check): with debug_digest_failures=60
# one received digest in 60 is taken as wrong, which ends the connection
# as a real digest error does.  open-iscsi logs in again each time and
# fio's verified writes come through whole: recovery works, no
# acknowledged write is lost.
. ./lib.sh
. ./iscsi-lib.sh
T=iqn.2026-12.org.scst:dice
V=$SCST_TOP/tests/out/variants/debug/iscsi-scst.ko
[ -f "$V" ] || fail "no debug variant at $V (scripts/check builds it)"

expect_ok modprobe scst
expect_ok modprobe scst_vdisk
expect_ok insmod "$V" debug_digest_failures=60
grep -qx DEBUG_DIGEST_FAILURES $P/iscsi/version || fail "version does not list DEBUG_DIGEST_FAILURES: $(cat $P/iscsi/version)"
expect_eq "debug_digest_failures" "$(cat /sys/module/iscsi_scst/parameters/debug_digest_failures)" 60
export_disk dice 64M $T
printf 'Target %s\n    HeaderDigest CRC32C\n    DataDigest CRC32C\n' $T >$W/dice.conf
start_daemon 3260 $W/dice.conf
trap 'iscsiadm -m node --logout >/dev/null 2>&1; pkill iscsid; pkill -f iscsi-scstd' EXIT
iscsid || fail "iscsid does not start"
expect_ok quiet timeout 30 iscsiadm -m discovery -t sendtargets -p 127.0.0.1
for k in HeaderDigest DataDigest; do
    expect_ok quiet iscsiadm -m node -T $T -p 127.0.0.1 -o update -n "node.conn[0].iscsi.$k" -v CRC32C
done
out=$(timeout 60 iscsiadm -m node -T $T -p 127.0.0.1 --login 2>&1) || fail "login: $out"
d=$(disk_of $T) && [ -n "$d" ] || fail "no disk for $T"
fio --name=dice --filename=/dev/$d --ioengine=libaio --direct=1 --iodepth=8 \
    --rw=randwrite --bsrange=4k-64k --size=8M --verify=crc32c --do_verify=1 \
    --verify_fatal=1 --randrepeat=0 --output=$W/fio.out >/dev/null 2>&1 ||
    fail "fio verify under simulated digest failures failed: $(grep -iE 'err|verify' $W/fio.out | head -5)"
grep -q "err= 0" $W/fio.out || fail "fio reported errors: $(head -20 $W/fio.out)"
n=$(dmesg | grep -c "simulating a .* digest failure")
[ "$n" -ge 1 ] || fail "no simulated digest failure in the kernel log"
[ "$(dmesg | grep -c "to tid 1 ends: digest error")" -ge 1 ] || fail "no connection ended by a digest error"
echo "simulated digest failures: $n"

expect_ok quiet iscsiadm -m node -T $T -p 127.0.0.1 --logout
stop_iscsi
unexport_disk dice $T
unload scst_vdisk scst
exit 0
