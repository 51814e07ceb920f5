# vdisk's SCSI behaviour, checked with sg3_utils through scst_local: INQUIRY
# and each VPD page, READ CAPACITY(16), MODE SENSE, REPORT LUNS, WRITE SAME,
# UNMAP, COMPARE AND WRITE, REPORT SUPPORTED OPERATION CODES; reads past
# the end and writes to a READ_ONLY disk get the exact sense.  Also every
# kind of bad /proc command, each refused with a log line and nothing
# half-created.
. ./lib.sh
P=/proc/scsi_tgt
V=$P/vdisk/vdisk

expect_ok modprobe scst
expect_ok modprobe scst_vdisk
truncate -s 64M /tmp/d1.img
truncate -s 64M /tmp/ro.img /tmp/lro.img
head -c 4096 /dev/urandom >/tmp/ro-first
dd if=/tmp/ro-first of=/tmp/ro.img conv=notrunc status=none

write_refused $V "open bad /nonexistent/file" "bad: cannot open /nonexistent/file: error -2"
write_refused $V "open bad /tmp" "bad: /tmp is a directory"
write_refused $V "open bad /tmp/d1.img 1000" 'bad block size "1000"'
write_refused $V "open bad /tmp/d1.img FAST" 'unknown flag "FAST"'
write_refused $V "open bad relative.img" 'file path "relative.img" is not absolute'
write_refused $V "open bad /tmp/d1.img BLOCKIO NULLIO" 'flags NULLIO and BLOCKIO exclude each other'
write_refused $V "change bad /tmp/d1.img" 'change is for vcdrom devices only'
write_refused $V "frobnicate" 'unknown command "frobnicate"'
write_refused $V "close nosuch" 'close: no vdisk device nosuch'
write_ok $V "open d1 /tmp/d1.img"
write_refused $V "open d1 /tmp/ro.img" 'device d1 is already open'
write_ok $V "open ro /tmp/ro.img 4096 READ_ONLY"
write_ok $V "open nul /dev/null NULLIO"
write_ok $V "open lro /tmp/lro.img"
expect_eq "devices listed" "$(tail -n +2 $V | awk '{print $1}' | tr '\n' ' ')" "d1 ro nul lro "
grep -q "^bad" $P/scsi_tgt && fail "a refused device was registered: $(cat $P/scsi_tgt)"
grep -q "open NAME \[PATH\] \[BLOCK_SIZE\] \[FLAGS\]" $P/vdisk/help || fail "no usage in help"
expect_eq "vdisk type" "$(cat $P/vdisk/type)" "0 - direct-access device (e.g., magnetic disk)"

write_ok $P/groups/Default/devices "add d1 0"
write_ok $P/groups/Default/devices "add ro 1"
write_ok $P/groups/Default/devices "add nul 2"
write_ok $P/groups/Default/devices "add lro 3 READ_ONLY"
expect_ok modprobe scst_local
udevadm settle 2>/dev/null || sleep 2
H=$(scst_local_host 0) || fail "no scst_local host"
D1=$(sg_of $H:0:0:0) && RO=$(sg_of $H:0:0:1) && NUL=$(sg_of $H:0:0:2) && LRO=$(sg_of $H:0:0:3) || fail "no sg devices"
udevadm control --stop-exec-queue 2>/dev/null
trap 'udevadm control --start-exec-queue 2>/dev/null' EXIT
clear_ua $D1; clear_ua $RO; clear_ua $NUL; clear_ua $LRO

# INQUIRY: standard and every VPD page.
inq=$(sg_inq $D1) || fail "sg_inq failed"
echo "$inq" | grep -q "Vendor identification: SCST_FIO" || fail "vendor: $inq"
echo "$inq" | grep -q "Product identification: d1" || fail "product: $inq"
expect_eq "NULLIO vendor" "$(sg_inq $NUL | sed -n 's/^ Vendor identification: //p')" "SCST_NUL"
pages=$(sg_vpd -p sv $D1) || fail "sg_vpd -p sv failed"
for p in "Unit serial number" "Device identification" "Block limits" "Block device characteristics" "Logical block provisioning"; do
    echo "$pages" | grep -q "$p" || fail "VPD page '$p' not listed: $pages"
done
sn1=$(sg_vpd -p sn $D1 | sed -n 's/^ *Unit serial number: //p')
sn2=$(sg_vpd -p sn $RO | sed -n 's/^ *Unit serial number: //p')
[[ $sn1 =~ ^[0-9A-F]{16}$ ]] || fail "serial number '$sn1'"
[ "$sn1" != "$sn2" ] || fail "two devices share serial number $sn1"
expect_eq "serial number stable" "$(sg_vpd -p sn $D1 | sed -n 's/^ *Unit serial number: //p')" "$sn1"
di=$(sg_vpd -p di $D1) || fail "sg_vpd -p di failed"
echo "$di" | grep -q "vendor id: SCST_FIO" || fail "no T10 vendor id designator: $di"
echo "$di" | grep -q "designator type: NAA" && echo "$di" | grep -qE "^ *0x3[0-9a-f]{15}$" || fail "no locally assigned NAA designator: $di"
bl=$(sg_vpd -p bl $D1) || fail "sg_vpd -p bl failed"
echo "$bl" | grep -q "Maximum unmap block descriptor count: 256" || fail "block limits: $bl"
echo "$bl" | grep -q "Maximum compare and write length: 255 blocks" || fail "block limits: $bl"
lbp=$(sg_vpd -p lbpv $D1) || fail "sg_vpd -p lbpv failed"
echo "$lbp" | grep -q "Unmap command supported (LBPU): 1" || fail "provisioning: $lbp"
expect_ok quiet sg_vpd -p bdc $D1

# READ CAPACITY(16) and MODE SENSE.
rc=$(sg_readcap -l $D1) || fail "sg_readcap failed"
echo "$rc" | grep -q "Last LBA=131071 (0x1ffff), Number of logical blocks=131072" || fail "capacity: $rc"
echo "$rc" | grep -q "Logical block length=512 bytes" || fail "block length: $rc"
echo "$rc" | grep -q "lbpme=1, lbprz=1" || fail "thin provisioning not reported: $rc"
echo "$(sg_readcap -l $RO)" | grep -q "Number of logical blocks=16384" || fail "READ_ONLY 4096-byte capacity: $(sg_readcap -l $RO)"
sg_modes -p 8 $D1 | grep -qi "Caching" || fail "no caching page: $(sg_modes -p 8 $D1)"
# MODE SENSE(6), DBD, caching page: byte 6 (page byte 2) holds WCE (0x04).
ms=$(sg_raw -b -r 24 $D1 1a 08 08 00 18 00 2>/dev/null | od -An -tx1)
set -- $ms
expect_eq "caching page (MODE SENSE byte 4, 6)" "$5 $7" "08 04"
sg_modes $RO | grep -q "WP=1" || fail "READ_ONLY disk without WP: $(sg_modes $RO)"
sg_modes $LRO | grep -q "WP=1" || fail "READ_ONLY LUN without WP: $(sg_modes $LRO)"
sg_modes $D1 | grep -q "WP=0" || fail "writable disk with WP: $(sg_modes $D1)"
expect_ok quiet sg_modes -a $D1
expect_eq "REPORT LUNS" "$(sg_luns $D1 | grep -c '^    000[0123]')" "4"

# REPORT SUPPORTED OPERATION CODES.
ops=$(sg_opcodes $D1) || fail "sg_opcodes failed"
for o in "Read(10)" "Write(16)" "Unmap" "Compare and write" "Write same(16)" "Pre-fetch(10)" "Pre-fetch(16)"; do
    echo "$ops" | grep -qi "$o" || fail "'$o' not in REPORT SUPPORTED OPERATION CODES: $ops"
done

# WRITE SAME: one block replicated.
head -c 512 /dev/urandom >/tmp/blk
expect_ok quiet sg_write_same --lba=1000 --num=16 --in=/tmp/blk $D1
for i in 0 7 15; do
    cmp /tmp/blk <(dd if=/tmp/d1.img bs=512 skip=$((1000 + i)) count=1 status=none) || fail "WRITE SAME block $i differs"
done
# UNMAP: the blocks read as zeros and the file has a hole there.
expect_ok quiet sg_unmap --lba=1000 --num=16 $D1
cmp <(head -c 8192 /dev/zero) <(dd if=/tmp/d1.img bs=512 skip=1000 count=16 status=none) || fail "unmapped blocks do not read as zeros"
# COMPARE AND WRITE: B replaces A only where A is.
head -c 512 /dev/urandom >/tmp/a
head -c 512 /dev/urandom >/tmp/b
cat /tmp/a /tmp/b >/tmp/ab
dd if=/tmp/a of=/tmp/d1.img bs=512 seek=2000 conv=notrunc status=none
sync
echo 3 >/proc/sys/vm/drop_caches
expect_ok quiet sg_compare_and_write --in=/tmp/ab --lba=2000 --num=1 $D1
cmp /tmp/b <(dd if=/tmp/d1.img bs=512 skip=2000 count=1 status=none) || fail "COMPARE AND WRITE did not write"
sg_compare_and_write --in=/tmp/ab --lba=2000 --num=1 $D1 >/tmp/caw.out 2>&1
expect_eq "COMPARE AND WRITE with stale data (sg3 exit status)" "$?" "14"
grep -qi "miscompare" /tmp/caw.out || fail "no MISCOMPARE: $(cat /tmp/caw.out)"

# Errors with their exact sense.
out=$(sg_raw -r 512 $D1 88 00 00 00 00 00 00 02 00 00 00 00 00 01 00 00 2>&1) && fail "READ(16) past the end succeeded"
echo "$out" | grep -q "Illegal Request" && echo "$out" | grep -qi "Logical block address out of range" || fail "READ past the end: $out"
head -c 4096 /dev/urandom >/tmp/blk4k
out=$(sg_raw -s 4096 -i /tmp/blk4k $RO 2a 00 00 00 00 00 00 00 01 00 2>&1) && fail "WRITE to a READ_ONLY disk succeeded"
echo "$out" | grep -q "Data Protect" && echo "$out" | grep -qi "Write protected" || fail "WRITE to READ_ONLY: $out"
cmp /tmp/ro-first <(head -c 4096 /tmp/ro.img) || fail "the READ_ONLY image changed"
out=$(sg_raw $D1 ee 00 00 00 00 00 2>&1) && fail "opcode 0xee succeeded"
echo "$out" | grep -qi "Invalid command operation code" || fail "unknown opcode: $out"

# NULLIO: success without I/O.
expect_ok quiet sg_raw -r 4096 $NUL 28 00 00 00 00 00 00 00 08 00
expect_ok quiet sg_raw -s 4096 -i /tmp/blk4k $NUL 2a 00 00 00 00 00 00 00 08 00

udevadm control --start-exec-queue 2>/dev/null
unload scst_local
write_ok $P/groups/Default/devices "clear"
for d in d1 ro nul lro; do write_ok $V "close $d"; done
unload scst_vdisk scst
exit 0
