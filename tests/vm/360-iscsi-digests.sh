# Header and data digests (CRC32C) over iSCSI: a target that takes only
# CRC32C, open-iscsi configured for CRC32C: the session negotiates both
# digests, writes land in the backing file, fio verifies mixed sizes at
# queue depth 16 (Data-Out, R2T, Data-In and SCSI Response PDUs all carry
# digests both ways), and an initiator that offers only None is refused
# at login.
. ./lib.sh
. ./iscsi-lib.sh
T=iqn.2026-11.org.scst:crc T2=iqn.2026-11.org.scst:crc-none

expect_ok modprobe scst
expect_ok modprobe scst_vdisk
expect_ok modprobe iscsi-scst
export_disk crc 64M $T
cat >$W/crc.conf <<CONF
Target $T
    HeaderDigest CRC32C
    DataDigest CRC32C
    MaxRecvDataSegmentLength 16384
    MaxBurstLength 65536
    FirstBurstLength 32768
CONF
start_daemon 3260 $W/crc.conf
trap 'iscsiadm -m node --logout >/dev/null 2>&1; pkill iscsid; pkill -f iscsi-scstd' EXIT
iscsid || fail "iscsid does not start"
expect_ok quiet timeout 30 iscsiadm -m discovery -t sendtargets -p 127.0.0.1

# open-iscsi offers None by default: refused (the target takes CRC32C only).
out=$(timeout 60 iscsiadm -m node -T $T -p 127.0.0.1 --login 2>&1) && fail "login without digests accepted"
for k in HeaderDigest DataDigest; do
    expect_ok quiet iscsiadm -m node -T $T -p 127.0.0.1 -o update -n "node.conn[0].iscsi.$k" -v CRC32C
done
out=$(timeout 60 iscsiadm -m node -T $T -p 127.0.0.1 --login 2>&1) ||
    fail "login with CRC32C digests: $out; iscsi-scstd: $(tail -15 $W/3260.log | tr '\n' '|')"
info=$(iscsiadm -m session -P 2 2>&1)
echo "$info" | grep -q "HeaderDigest: CRC32C" && echo "$info" | grep -q "DataDigest: CRC32C" ||
    fail "digests not negotiated: $(echo "$info" | grep -i digest | tr '\n' '|')"
d=$(disk_of $T) && [ -n "$d" ] || fail "no disk for $T"

head -c 3145728 /dev/urandom >$W/data
expect_ok dd if=$W/data of=/dev/$d bs=1M seek=2 oflag=direct status=none
got=$(dd if=$W/crc.img bs=1M skip=2 count=3 status=none | md5sum)
expect_eq "backing file after the write" "$got" "$(md5sum <$W/data)"
got=$(dd if=/dev/$d bs=1M skip=2 count=3 iflag=direct status=none | md5sum)
expect_eq "read back" "$got" "$(md5sum <$W/data)"
fio --name=crc --filename=/dev/$d --ioengine=libaio --direct=1 --iodepth=16 \
    --rw=randwrite --bsrange=512-256k --size=32M --verify=crc32c --do_verify=1 \
    --verify_fatal=1 --randrepeat=0 --output=$W/fio.out >/dev/null 2>&1 ||
    fail "fio verify with digests failed: $(grep -iE 'err|verify' $W/fio.out | head -5)"
grep -q "err= 0" $W/fio.out || fail "fio reported errors: $(head -20 $W/fio.out)"
dmesg | grep -q "digest" && fail "digest complaints in the kernel log: $(dmesg | grep digest | head -3)"

expect_ok quiet iscsiadm -m node -T $T -p 127.0.0.1 --logout
stop_iscsi
unexport_disk crc $T
unload scst_vdisk scst
exit 0
