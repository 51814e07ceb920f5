# A normal iSCSI session end to end: iscsi-scstd logs the initiator in and
# hands the connection to iscsi-scst, which serves a vdisk LUN of group
# Default_<iqn>.  libiscsi's iscsi-inq, iscsi-readcapacity16 and iscsi-ls
# read the LUN's identity and size; open-iscsi logs in, the disk appears
# as a local sd device whose first MiB reads back the image's bytes, the
# session is listed in /proc/scsi_tgt/iscsi/session, and logout ends it.
# (Writes: test 330.)
. ./lib.sh
. ./iscsi-lib.sh
T1=iqn.2026-11.org.scst:disk1

head -c 1048576 /dev/urandom >$W/disk1.img
want=$(head -c 1048576 $W/disk1.img | md5sum)
expect_ok modprobe scst
expect_ok modprobe scst_vdisk
expect_ok modprobe iscsi-scst
export_disk disk1 64M $T1
printf 'Target %s\n' $T1 >$W/one.conf
start_daemon 3260 $W/one.conf
trap 'pkill iscsid; pkill -f iscsi-scstd' EXIT

out=$(timeout 30 iscsi-inq iscsi://127.0.0.1/$T1/0 2>&1) || fail "iscsi-inq: $out ($(tail -3 $W/3260.log))"
echo "$out" | grep -q "^Vendor:SCST_FIO" || fail "iscsi-inq vendor: $out"
echo "$out" | grep -q "^Product:disk1" || fail "iscsi-inq product: $out"
out=$(timeout 30 iscsi-readcapacity16 iscsi://127.0.0.1/$T1/0 2>&1) || fail "iscsi-readcapacity16: $out"
echo "$out" | grep -q "^LOGICAL BLOCK LENGTH IN BYTES:512" || fail "block length: $out"
echo "$out" | grep -q "^RETURNED LOGICAL BLOCK ADDRESS:131071" || fail "last LBA: $out"
out=$(timeout 30 iscsi-ls -s iscsi://127.0.0.1 2>&1) || fail "iscsi-ls -s: $out"
echo "$out" | grep -q "Lun:0 *Type:DIRECT_ACCESS" || fail "iscsi-ls LUN list: $out"

# open-iscsi: the LUN as a local disk.
iscsid || fail "iscsid does not start"
login $T1
dev=$(disk_of $T1)
[ -n "$dev" ] || fail "no disk attached: $(iscsiadm -m session -P 3 2>&1 | tail -20)"
got=$(dd if=/dev/$dev bs=64k count=16 iflag=direct 2>/dev/null | md5sum)
expect_eq "first MiB through open-iscsi" "$got" "$want"
expect_eq "disk size" "$(blockdev --getsize64 /dev/$dev)" "67108864"
grep -q "initiator:$(sed -n 's/^InitiatorName=//p' /etc/iscsi/initiatorname.iscsi)" $P/iscsi/session ||
    fail "session not listed: $(cat $P/iscsi/session)"
expect_ok quiet timeout 60 iscsiadm -m node -T $T1 -p 127.0.0.1 --logout
for _ in $(seq 50); do grep -q sid: $P/iscsi/session || break; sleep 0.1; done
grep -q sid: $P/iscsi/session && fail "session still listed after logout: $(cat $P/iscsi/session)"

pkill -f iscsi-scstd
pkill iscsid
sleep 0.5
unload iscsi_scst
unexport_disk disk1 $T1
unload scst_vdisk scst
exit 0
