# Shared by the guest sides of the benchmarks (sourced): the fio jobs and
# how a result line is printed, and finding a SCSI host's disk.
RUNTIME=${BENCH_RUNTIME:-15}
SIZE_MB=${BENCH_SIZE_MB:-512}
# The backing files (FILEIO, and the loop devices of BLOCKIO) live on a
# tmpfs of their own: the guest's /tmp is an overlay (over the host's 9p
# root, upper layer on tmpfs), which adds its own cost and does not tell
# a reader whether a read would wait.
IMG=/tmp/benchfs/bench.img
if ! mountpoint -q /tmp/benchfs; then
    mkdir -p /tmp/benchfs && mount -t tmpfs -o size=$((SIZE_MB + 64))M none /tmp/benchfs ||
        { echo "cannot mount a tmpfs on /tmp/benchfs" >&2; exit 1; }
fi
# name:rw:bs:iodepth:numjobs; 4 KiB random reads run one job per vCPU.
NCPU=$(nproc)
JOBS="randread-4k:randread:4k:32:$NCPU randwrite-4k:randwrite:4k:32:1 read-1m:read:1m:8:1 write-1m:write:1m:8:1"

# BENCH_JOBS: a regular expression; only the jobs whose names match run.
# BENCH_PROFILE: one; the jobs whose names match run under `perf record`
# (system-wide, cpu-clock: TCG has no PMU) and the top of the profile is
# printed as PROFILE lines.
# Each RESULT line: target mode job IOPS MB/s, the CPU time per I/O in
# microseconds and the context switches per I/O (all CPUs, from
# /proc/stat; the run's ramp included, so approximate): what an I/O
# costs, which tells a cheaper path from one that only keeps more CPUs
# busy or waits more.
ONLY=${BENCH_JOBS:-.}
# Seconds of each job before fio starts counting (its ramp_time).
RAMP=2
PROFILE=${BENCH_PROFILE:-}

die() { echo "BENCH FAIL: $*"; exit 1; }

# fio_all TARGET MODE DEV: every job on DEV; one RESULT line each.
fio_all() {
    local target=$1 mode=$2 dev=$3 j name rw bs qd nj out perf
    for j in $JOBS; do
        IFS=: read -r name rw bs qd nj <<<"$j"
        [[ $name =~ $ONLY ]] || continue
        perf=()
        [ -n "$PROFILE" ] && [[ $name =~ $PROFILE ]] && perf=(perf record -q -a -e cpu-clock -F 499 -o /tmp/bench-perf.data --)
        cpu0=$(head -1 /proc/stat) ctx0=$(awk '$1 == "ctxt" {print $2}' /proc/stat)
        out=$("${perf[@]}" fio --name=$name --filename=$dev --ioengine=libaio --direct=1 --rw=$rw --bs=$bs \
            --iodepth=$qd --numjobs=$nj --group_reporting --time_based --runtime=$RUNTIME \
            --ramp_time=$RAMP --size=$((SIZE_MB / 2))M --output-format=json 2>/dev/null) ||
            die "fio $name on $target $mode"
        cpu1=$(head -1 /proc/stat) ctx1=$(awk '$1 == "ctxt" {print $2}' /proc/stat)
        if [ ${#perf[@]} -gt 0 ]; then
            perf report -i /tmp/bench-perf.data --no-children --sort dso,sym --stdio 2>/dev/null |
                grep '%' | head -40 | sed "s/^/PROFILE $target $mode $name /"
            rm -f /tmp/bench-perf.data
        fi
        python3 -c '
import json, sys
j = json.loads(sys.stdin.read())["jobs"][0]
d = j["read"] if j["read"]["io_bytes"] > 0 else j["write"]
# CPU time per I/O, all CPUs (the target side included): busy share of
# the run (ramp included) times the CPUs, over the I/O rate.
t0, t1 = ([int(x) for x in c.split()[1:9]] for c in sys.argv[4:6])
delta = [b - a for a, b in zip(t0, t1)]
busy = (sum(delta) - delta[3] - delta[4]) / max(sum(delta), 1)
cpu_us = busy * int(sys.argv[6]) * 1e6 / d["iops"] if d["iops"] else 0
# Context switches per I/O, over the whole run (ramp included).
ios = d["iops"] * (int(sys.argv[9]) + int(sys.argv[10]))
ctx = (int(sys.argv[8]) - int(sys.argv[7])) / ios if ios else 0
print("RESULT %s %s %s %.0f %.1f %.1f %.2f" % (sys.argv[1], sys.argv[2], sys.argv[3], d["iops"], d["bw_bytes"] / 1e6, cpu_us, ctx))
' "$target" "$mode" "$name" "$cpu0" "$cpu1" "$NCPU" "$ctx0" "$ctx1" "$RUNTIME" "$RAMP" <<<"$out"
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


# The block device BLOCKIO runs on, for both targets and the limit;
# prints its node.  A loop device over a fresh tmpfs file, or with
# BENCH_BLOCKIO_ON=null_blk a null_blk device: what the targets cost
# when the backing device is not the bottleneck (a loop device has one
# worker for all its I/O).
blockio_dev() {
    if [ "${BENCH_BLOCKIO_ON:-loop}" = null_blk ]; then
        modprobe null_blk nr_devices=1 gb=1 || die "null_blk"
        udevadm settle 2>/dev/null
        echo /dev/nullb0
        return
    fi
    truncate -s ${SIZE_MB}M $IMG
    losetup -f --show $IMG || die "losetup"
}

# blockio_dev_release DEV: undoes blockio_dev.
blockio_dev_release() {
    case $1 in
        /dev/nullb*) rmmod null_blk ;;
        *) losetup -d $1 ;;
    esac
}

# lio_backstore MODE: LIO's backstore for MODE, enabled: null is rd_mcp
# rd_nullio=1, fileio a tmpfs file, blockio iblock on a loop device.  Sets
# LIO_DEV (its configfs directory) and LIO_BDEV (iblock's device, if any).
lio_backstore() {
    local cfs=/sys/kernel/config/target
    LIO_BDEV=
    mountpoint -q /sys/kernel/config || mount -t configfs none /sys/kernel/config
    case $1 in
        null)
            LIO_DEV=$cfs/core/rd_mcp_0/bench
            mkdir -p $LIO_DEV && echo "rd_pages=$((SIZE_MB * 256)),rd_nullio=1" >$LIO_DEV/control ;;
        fileio)
            truncate -s ${SIZE_MB}M $IMG
            LIO_DEV=$cfs/core/fileio_0/bench
            mkdir -p $LIO_DEV && echo "fd_dev_name=$IMG,fd_dev_size=$((SIZE_MB << 20))" >$LIO_DEV/control ;;
        blockio)
            LIO_BDEV=$(blockio_dev)
            LIO_DEV=$cfs/core/iblock_0/bench
            mkdir -p $LIO_DEV && echo "udev_path=$LIO_BDEV" >$LIO_DEV/control ;;
    esac
    echo 1 >$LIO_DEV/enable || die "LIO backstore"
}

# lio_backstore_remove: undoes lio_backstore.
lio_backstore_remove() {
    rmdir $LIO_DEV $(dirname $LIO_DEV)
    [ -n "$LIO_BDEV" ] && blockio_dev_release $LIO_BDEV
    rm -f $IMG
}
