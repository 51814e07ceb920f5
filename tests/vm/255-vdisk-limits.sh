# Commands that ask for more than the initiator takes or the device
# serves (issue 25), through scst_local: READ(16) of 0x7FFFFF blocks and
# a READ one block past 32 MiB are refused with ILLEGAL REQUEST, INVALID
# FIELD IN CDB (MAXIMUM TRANSFER LENGTH, VPD 0xB0); a READ of exactly
# 32 MiB expecting 4 KiB returns the right 4 KiB; READ CAPACITY(16) with
# an allocation length of 4 GiB expecting 32 bytes is answered GOOD with
# its 32 bytes; none of them took a buffer of more than 64 KiB or
# answered BUSY (the core sizes data-in buffers by what is sent).
. ./lib.sh
P=/proc/scsi_tgt

expect_ok modprobe scst
expect_ok modprobe scst_vdisk
head -c $((4 << 20)) /dev/urandom >/tmp/lim.img
truncate -s 64M /tmp/lim.img
write_ok $P/vdisk/vdisk "open lim /tmp/lim.img"
scst_local_up lim
S=$(sg_of $H:0:0:0) || fail "no sg device"
clear_ua $S

vpd=$(sg_vpd -p bl $S)
echo "$vpd" | grep -q "Maximum transfer length: 65536 blocks" && echo "$vpd" | grep -q "Optimal transfer length: 8192 blocks" ||
    fail "VPD 0xB0: $vpd"

# refused WHAT CDB...: READ expecting 4 KiB, refused with INVALID FIELD IN CDB.
refused() {
    local what=$1 out
    shift
    out=$(sg_raw -r 4096 $S "$@" 2>&1) && fail "$what succeeded"
    echo "$out" | grep -q "Illegal Request" && echo "$out" | grep -qi "Invalid field in cdb" || fail "$what: $out"
}
refused "READ(16) of 0x7FFFFF blocks" 88 00 00 00 00 00 00 00 00 00 00 7f ff ff 00 00
refused "READ(16) of 65537 blocks" 88 00 00 00 00 00 00 00 00 00 00 01 00 01 00 00
expect_log "opcode 0x88 moves more than 33554432 bytes \(MAXIMUM TRANSFER LENGTH\), refused \(1 times\)"

# Exactly 32 MiB, of which the initiator takes the first 4 KiB.
expect_ok quiet sg_raw -o /tmp/lim.out -r 4096 $S 88 00 00 00 00 00 00 00 00 01 00 01 00 00 00 00
cmp /tmp/lim.out <(dd if=/tmp/lim.img bs=512 skip=1 count=8 status=none) || fail "32 MiB READ cut to 4 KiB: wrong data"

out=$(sg_raw -o /tmp/cap16 -r 32 $S 9e 10 00 00 00 00 00 00 00 00 ff ff ff ff 00 00 2>&1) || fail "READ CAPACITY(16), 4 GiB allocation length: $out"
expect_eq "READ CAPACITY(16) block size" "$(od -An -tx1 -j8 -N4 /tmp/cap16 | tr -d ' ')" "00000200"

grep -q "BUSY answers: 0" $P/sgv || fail "BUSY answers: $(tail -3 $P/sgv)"
big=$(awk '$1 == "128K" || $1 == "256K" || $1 == "512K" || $1 == "1M" || $1 == "2M" || $1 == "4M" || $1 == "big" {n += $3} END {print n + 0}' $P/sgv)
expect_eq "buffers over 64 KiB" "$big" "0"

scst_local_down
exit 0
