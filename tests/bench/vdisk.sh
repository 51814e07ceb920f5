#!/usr/bin/env bash
# Guest side of scripts/bench-vdisk: fio through three SCSI hosts in the
# same kernel, one at a time, each a local sd disk:
#   limit   scsi_debug fake_rw=1 delay=0: sd + midlayer, no target at all
#   nullb   null_blk: the block layer alone (no SCSI), the outer limit
#   backing fio on the block device BLOCKIO uses: that mode's limit
#   scst    scst_local + scst_vdisk  (NULLIO; FILEIO on a tmpfs file;
#           BLOCKIO on a loop device over a tmpfs file, or on null_blk
#           with BENCH_BLOCKIO_ON=null_blk)
#   lio     tcm_loop + target_core   (rd_mcp rd_nullio=1; fileio on the
#           same kind of file; iblock on the same kind of loop device)
# Prints one line per (target, mode, job): "RESULT target mode job iops MB/s
# cpu-us-per-io context-switches-per-io" (see lib.sh).
set -u
. "$(dirname "$0")/lib.sh"

limit() {
    modprobe scsi_debug fake_rw=1 delay=0 dev_size_mb=$SIZE_MB max_queue=128 || die "scsi_debug"
    local d; d=$(disk_of scsi_debug); [ -n "$d" ] || die "no scsi_debug disk"
    fio_all limit null $d
    udevadm settle 2>/dev/null; rmmod scsi_debug
    # null_blk's defaults: blk-mq, no delay, completion in the submitting context.
    modprobe null_blk nr_devices=1 gb=1 || die "null_blk"
    fio_all nullb null /dev/nullb0
    rmmod null_blk
}

# backing MODE: fio straight on the loop device BLOCKIO sits on, no SCSI
# at all: the limit of that mode, since both targets wait for the same
# loop worker.  None for FILEIO: fio on the tmpfs file copies to and from
# user memory, which TCG runs ten times slower than the kernel's copies
# (about 300 MB/s at 1 MiB, a tenth of what both targets reach).
backing() {
    [ $1 = blockio ] || return 0
    local path; path=$(blockio_dev)
    fio_all backing blockio $path
    blockio_dev_release $path
    rm -f $IMG
}

scst() {
    local mode=$1 flags path
    modprobe scst && modprobe scst_vdisk || die "scst modules"
    case $mode in
        null) path=/dev/null flags=NULLIO ;;
        fileio) truncate -s ${SIZE_MB}M $IMG; path=$IMG flags= ;;
        blockio) path=$(blockio_dev) flags=BLOCKIO ;;
    esac
    echo "open bench $path $flags" >/proc/scsi_tgt/vdisk/vdisk || die "vdisk open"
    echo "add bench 0" >/proc/scsi_tgt/groups/Default/devices || die "add"
    modprobe scst_local || die "scst_local"
    local d; d=$(disk_of scst_local); [ -n "$d" ] || die "no scst_local disk"
    fio_all scst $mode $d
    udevadm settle 2>/dev/null
    rmmod scst_local; echo clear >/proc/scsi_tgt/groups/Default/devices
    rmmod scst_vdisk scst
    [ $mode = blockio ] && blockio_dev_release $path
    rm -f $IMG
}

lio() {
    local mode=$1 cfs=/sys/kernel/config/target wwn=naa.5001405000000001
    modprobe target_core_mod && modprobe tcm_loop || die "LIO modules"
    lio_backstore $mode
    # The nexus first: tcm_loop adds the SCSI device when the LUN is linked.
    mkdir -p $cfs/loopback/$wwn/tpgt_1 || die "tcm_loop target"
    echo $wwn >$cfs/loopback/$wwn/tpgt_1/nexus || die "tcm_loop nexus"
    mkdir -p $cfs/loopback/$wwn/tpgt_1/lun/lun_0 || die "tcm_loop LUN"
    ln -s $LIO_DEV $cfs/loopback/$wwn/tpgt_1/lun/lun_0/bench || die "tcm_loop LUN link"
    local d; d=$(disk_of tcm_loopback); [ -n "$d" ] || die "no tcm_loop disk"
    fio_all lio $mode $d
    udevadm settle 2>/dev/null
    rm $cfs/loopback/$wwn/tpgt_1/lun/lun_0/bench
    echo NULL >$cfs/loopback/$wwn/tpgt_1/nexus
    rmdir $cfs/loopback/$wwn/tpgt_1/lun/lun_0 $cfs/loopback/$wwn/tpgt_1 $cfs/loopback/$wwn
    lio_backstore_remove
}

# BENCH_MODES: the vdisk modes to compare (default all three; the limits
# run with null).  BENCH_ROUNDS: how many times scst and lio alternate on
# each mode; the summary takes the median, so a slow minute of the host
# under TCG weighs on one sample, not on a whole side.
MODES=${BENCH_MODES:-null fileio blockio}
[[ " $MODES " == *" null "* ]] && limit
for round in $(seq ${BENCH_ROUNDS:-1}); do
    for mode in $MODES; do
        backing $mode
        scst $mode
        lio $mode
    done
done
echo "BENCH DONE"
