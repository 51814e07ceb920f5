# FILEIO READs and WRITEs in the submitter: scst_local's queue reads
# through the page cache itself when that waits for no I/O (a tmpfs file;
# data of an ext4 file already cached, read with IOCB_NOWAIT) and hands the
# others to the SCST threads (ext4 data not cached yet; O_DIRECT; a block
# device node, whose reads take a lock that the initiator's read of its
# own block device node holds).  It writes to tmpfs itself, not to ext4
# (no buffered writes with IOCB_NOWAIT) nor WRITE_THROUGH.  Buffered reads
# and writes through each disk run the nested paths under lockdep.  Seen
# as the SCST threads' context switches over 1000 commands one at a time:
# about one per command when a thread does it, next to none when the
# submitter does; and the data read or written either way is the file's.
# Reads over 128 KiB go to a thread whatever the file.
. ./lib.sh
P=/proc/scsi_tgt
V=$P/vdisk/vdisk
N=1000

expect_ok modprobe scst
expect_ok modprobe scst_vdisk
mkdir -p /tmp/tm /tmp/lower
expect_ok mount -t tmpfs -o size=128M none /tmp/tm
truncate -s 128M /tmp/lower.img
LW=$(losetup -f --show /tmp/lower.img) || fail "losetup failed"
LB=
trap 'umount /tmp/lower 2>/dev/null; losetup -d $LW $LB 2>/dev/null; umount /tmp/tm 2>/dev/null' EXIT
expect_ok quiet mkfs.ext4 -q -F $LW
expect_ok mount $LW /tmp/lower
expect_ok dd if=/dev/urandom of=/tmp/tm/t.img bs=1M count=32 status=none
expect_ok cp /tmp/tm/t.img /tmp/lower/e.img
expect_ok cp /tmp/tm/t.img /tmp/lower/d.img
expect_ok cp /tmp/tm/t.img /tmp/tm/b.img
expect_ok truncate -s 8M /tmp/tm/w.img
expect_ok dd if=/dev/urandom of=/tmp/tm/p.img bs=4k count=$N status=none
LB=$(losetup -f --show /tmp/tm/b.img) || fail "losetup failed"
write_ok $V "open tmpfs /tmp/tm/t.img"
write_ok $V "open ext4 /tmp/lower/e.img"
write_ok $V "open direct /tmp/lower/d.img O_DIRECT"
write_ok $V "open bdev $LB"
write_ok $V "open through /tmp/tm/w.img 512 WRITE_THROUGH"
scst_local_up tmpfs ext4 direct bdev through

# Context switches of all SCST threads so far.
switches() {
    local p sum=0 v
    for p in $(pgrep -x 'scsi_tgt[0-9]+'); do
        for v in $(sed -n 's/^.*ctxt_switches:[[:space:]]*//p' /proc/$p/status); do
            sum=$((sum + v))
        done
    done
    echo $sum
}

# reads DEV [BS [COUNT]]: the SCST threads' context switches over COUNT
# (N) random reads of BS (4k) bytes, one at a time, bypassing the
# initiator's page cache.
reads() {
    local before after bs=${2:-4k} n=${3:-$N}
    before=$(switches)
    fio --name=r --filename=$1 --ioengine=psync --direct=1 --rw=randread --bs=$bs \
        --number_ios=$n --size=32M --randrepeat=0 --output=/tmp/fio.r >/dev/null 2>&1 ||
        fail "fio randread on $1 failed: $(head -20 /tmp/fio.r)"
    after=$(switches)
    echo "$1: $((after - before)) SCST thread switches for $n reads of $bs" >&2
    echo $((after - before))
}

# writes DEV: the SCST threads' context switches over N 4 KiB writes of
# the pattern, one at a time, bypassing the initiator's page cache.
writes() {
    local before after
    before=$(switches)
    dd if=/tmp/tm/p.img of=$1 bs=4k oflag=direct status=none || fail "writing $1 failed"
    after=$(switches)
    echo "$1: $((after - before)) SCST thread switches for $N writes" >&2
    echo $((after - before))
}

# written FILE: FILE starts with the pattern.
written() {
    cmp -n $((N * 4096)) /tmp/tm/p.img $1 || fail "$1 does not hold the data written"
}

# same DEV FILE: the whole disk reads back as FILE.
same() {
    cmp <(dd if=$1 bs=64k iflag=direct status=none) $2 || fail "$1 differs from $2"
}

cold() { sync; echo 3 >/proc/sys/vm/drop_caches; }

[ "$(switches)" -gt 0 ] || fail "no context switches counted for the SCST threads"

s=$(reads $(dev 0))
[ $s -le $((N / 10)) ] || fail "tmpfs: $s thread switches for $N reads: not read in the submitter"
same $(dev 0) /tmp/tm/t.img
# Reads over 128 KiB copy in a thread, beside the submitter (a thread
# finishing one may find the next before it sleeps: not one switch each).
s=$(reads $(dev 0) 256k 200)
[ $s -ge 50 ] || fail "tmpfs: only $s thread switches for 200 reads of 256 KiB: not in a thread"

# Not cached: each read waits for the disk, in a thread.
cold
s=$(reads $(dev 1))
[ $s -ge $((N / 2)) ] || fail "ext4, not cached: only $s thread switches for $N reads"
# Partly cached (readahead in flight): some here, some there; all right.
cold
same $(dev 1) /tmp/lower/e.img
# All cached now.
cat /tmp/lower/e.img >/dev/null
s=$(reads $(dev 1))
[ $s -le $((N / 10)) ] || fail "ext4, cached: $s thread switches for $N reads: not read in the submitter"

cat /tmp/lower/d.img >/dev/null
s=$(reads $(dev 2))
[ $s -ge $((N / 2)) ] || fail "O_DIRECT: only $s thread switches for $N reads: not in a thread"
same $(dev 2) /tmp/lower/d.img

cat $LB >/dev/null
s=$(reads $(dev 3))
[ $s -ge $((N / 2)) ] || fail "block device node: only $s thread switches for $N reads: not in a thread"
same $(dev 3) /tmp/tm/b.img

# Buffered: the initiator's readahead (its block device node's locks held)
# around the reads done in the submitter.
cold
for i in 0 1 2 3; do
    cmp <(dd if=$(dev $i) bs=64k status=none) /tmp/tm/t.img || fail "buffered read of disk $i differs"
done

s=$(writes $(dev 0))
[ $s -le $((N / 10)) ] || fail "tmpfs: $s thread switches for $N writes: not written in the submitter"
written /tmp/tm/t.img
s=$(writes $(dev 1))
[ $s -ge $((N / 2)) ] || fail "ext4: only $s thread switches for $N writes: not in a thread"
written /tmp/lower/e.img
s=$(writes $(dev 4))
[ $s -ge $((N / 2)) ] || fail "WRITE_THROUGH: only $s thread switches for $N writes: not in a thread"
written /tmp/tm/w.img

# Buffered: writeback of the initiator's page cache into the submitter.
expect_ok dd if=/dev/urandom of=/tmp/tm/p.img bs=4k count=$N status=none
expect_ok dd if=/tmp/tm/p.img of=$(dev 0) bs=64k conv=fsync status=none
written /tmp/tm/t.img

scst_local_down
exit 0
