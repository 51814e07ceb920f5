#!/usr/bin/env bash
# Guest side of scripts/bench-vdisk: fio through three SCSI hosts in the
# same kernel, one at a time, each a local sd disk:
#   limit   scsi_debug fake_rw=1 delay=0: sd + midlayer, no target at all
#   nullb   null_blk: the block layer alone (no SCSI), the outer limit
#   scst    scst_local + scst_vdisk  (NULLIO; FILEIO on a tmpfs file;
#           BLOCKIO on a loop device over a tmpfs file)
#   lio     tcm_loop + target_core   (rd_mcp rd_nullio=1; fileio on the
#           same kind of file; iblock on the same kind of loop device)
# Prints one line per (target, mode, job): "RESULT target mode job iops MB/s".
set -u
RUNTIME=${BENCH_RUNTIME:-15}
SIZE_MB=${BENCH_SIZE_MB:-512}
# name:rw:bs:iodepth:numjobs; 4 KiB random reads run one job per vCPU.
NCPU=$(nproc)
JOBS="randread-4k:randread:4k:32:$NCPU randwrite-4k:randwrite:4k:32:1 read-1m:read:1m:8:1 write-1m:write:1m:8:1"

die() { echo "BENCH FAIL: $*"; exit 1; }

# fio_all MODE DEV: every job on DEV.
fio_all() {
    local target=$1 mode=$2 dev=$3 j name rw bs qd nj out
    for j in $JOBS; do
        IFS=: read -r name rw bs qd nj <<<"$j"
        out=$(fio --name=$name --filename=$dev --ioengine=libaio --direct=1 --rw=$rw --bs=$bs \
            --iodepth=$qd --numjobs=$nj --group_reporting --time_based --runtime=$RUNTIME \
            --ramp_time=2 --size=$((SIZE_MB / 2))M --output-format=json 2>/dev/null) ||
            die "fio $name on $target $mode"
        python3 -c '
import json, sys
j = json.loads(sys.stdin.read())["jobs"][0]
d = j["read"] if j["read"]["io_bytes"] > 0 else j["write"]
print("RESULT %s %s %s %.0f %.1f" % (sys.argv[1], sys.argv[2], sys.argv[3], d["iops"], d["bw_bytes"] / 1e6))
' "$target" "$mode" "$name" <<<"$out"
    done
}

# The sd disk of the first SCSI host whose proc_name is $1.
disk_of() {
    local h
    udevadm settle 2>/dev/null || sleep 2
    for h in /sys/class/scsi_host/host*; do
        [ "$(cat $h/proc_name)" = "$1" ] || continue
        ls /sys/class/scsi_device/${h##*host}:*/device/block/ 2>/dev/null | head -1 | sed 's|^|/dev/|'
        return
    done
}

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

# A loop device over a fresh tmpfs file; prints its node.
loop_dev() {
    truncate -s ${SIZE_MB}M /tmp/bench.img
    losetup -f --show /tmp/bench.img || die "losetup"
}

scst() {
    local mode=$1 flags path
    modprobe scst && modprobe scst_vdisk || die "scst modules"
    case $mode in
        null) path=/dev/null flags=NULLIO ;;
        fileio) truncate -s ${SIZE_MB}M /tmp/bench.img; path=/tmp/bench.img flags= ;;
        blockio) path=$(loop_dev) flags=BLOCKIO ;;
    esac
    echo "open bench $path $flags" >/proc/scsi_tgt/vdisk/vdisk || die "vdisk open"
    echo "add bench 0" >/proc/scsi_tgt/groups/Default/devices || die "add"
    modprobe scst_local || die "scst_local"
    local d; d=$(disk_of scst_local); [ -n "$d" ] || die "no scst_local disk"
    fio_all scst $mode $d
    udevadm settle 2>/dev/null
    rmmod scst_local; echo clear >/proc/scsi_tgt/groups/Default/devices
    rmmod scst_vdisk scst
    [ $mode = blockio ] && losetup -d $path
    rm -f /tmp/bench.img
}

lio() {
    local mode=$1 cfs=/sys/kernel/config/target wwn=naa.5001405000000001 dev loop=
    modprobe target_core_mod && modprobe tcm_loop || die "LIO modules"
    mountpoint -q /sys/kernel/config || mount -t configfs none /sys/kernel/config
    case $mode in
        null)
            dev=$cfs/core/rd_mcp_0/bench
            mkdir -p $dev && echo "rd_pages=$((SIZE_MB * 256)),rd_nullio=1" >$dev/control ;;
        fileio)
            truncate -s ${SIZE_MB}M /tmp/bench.img
            dev=$cfs/core/fileio_0/bench
            mkdir -p $dev && echo "fd_dev_name=/tmp/bench.img,fd_dev_size=$((SIZE_MB << 20))" >$dev/control ;;
        blockio)
            loop=$(loop_dev)
            dev=$cfs/core/iblock_0/bench
            mkdir -p $dev && echo "udev_path=$loop" >$dev/control ;;
    esac
    echo 1 >$dev/enable || die "LIO backstore"
    # The nexus first: tcm_loop adds the SCSI device when the LUN is linked.
    mkdir -p $cfs/loopback/$wwn/tpgt_1 || die "tcm_loop target"
    echo $wwn >$cfs/loopback/$wwn/tpgt_1/nexus || die "tcm_loop nexus"
    mkdir -p $cfs/loopback/$wwn/tpgt_1/lun/lun_0 || die "tcm_loop LUN"
    ln -s $dev $cfs/loopback/$wwn/tpgt_1/lun/lun_0/bench || die "tcm_loop LUN link"
    local d; d=$(disk_of tcm_loopback); [ -n "$d" ] || die "no tcm_loop disk"
    fio_all lio $mode $d
    udevadm settle 2>/dev/null
    rm $cfs/loopback/$wwn/tpgt_1/lun/lun_0/bench
    echo NULL >$cfs/loopback/$wwn/tpgt_1/nexus
    rmdir $cfs/loopback/$wwn/tpgt_1/lun/lun_0 $cfs/loopback/$wwn/tpgt_1 $cfs/loopback/$wwn
    rmdir $dev $(dirname $dev)
    [ -n "$loop" ] && losetup -d $loop
    rm -f /tmp/bench.img
}

limit
for mode in null fileio blockio; do
    scst $mode
    lio $mode
done
echo "BENCH DONE"
