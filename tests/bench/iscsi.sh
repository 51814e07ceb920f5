#!/usr/bin/env bash
# Guest side of scripts/bench-iscsi: fio through open-iscsi over guest
# loopback (127.0.0.1), one target at a time, each a local sd disk:
#   scst    iscsi-scstd + iscsi-scst + scst_vdisk  (NULLIO; FILEIO on a
#           tmpfs file)
#   lio     iscsi_target_mod + target_core  (rd_mcp rd_nullio=1; fileio
#           on the same kind of file)
# Both targets get the same operational values (ours are iscsi-scstd's
# defaults, set explicitly on LIO's TPG): InitialR2T=No, ImmediateData=Yes,
# MaxRecvDataSegmentLength=262144, FirstBurstLength=262144,
# MaxBurstLength=1048576, no digests.
# Prints one line per (target, mode, job): "RESULT target mode job iops MB/s
# cpu-us-per-io context-switches-per-io" (see lib.sh).
set -u
. "$(dirname "$0")/lib.sh"
TOP=$(cd "$(dirname "$0")/../.." && pwd)
IQN=iqn.2026-12.org.scst:bench
CFS=/sys/kernel/config/target

# login PORT: open-iscsi's session to $IQN on 127.0.0.1:PORT; prints the disk.
login() {
    iscsiadm -m discovery -t sendtargets -p 127.0.0.1:$1 >/dev/null || die "discovery on port $1"
    iscsiadm -m node -T $IQN -p 127.0.0.1:$1 --login >/dev/null || die "login on port $1"
    disk_of iscsi_tcp
}

logout() {
    udevadm settle 2>/dev/null
    iscsiadm -m node -T $IQN -p 127.0.0.1:$1 --logout >/dev/null || die "logout on port $1"
    iscsiadm -m node -o delete >/dev/null 2>&1
}

# net_fio TARGET MODE DEV: fio_all, then the TCP counters that moved
# during it (nstat's non-zero deltas), one "NET target mode name value"
# line each: retransmissions and drops over loopback mean waits of at
# least 200 ms that the throughput alone does not show.  The backlog
# drops of /proc/net/softnet_stat (loopback's other drop point) come as
# "SoftnetDropped".
net_fio() {
    local d0; d0=$(softnet_dropped)
    nstat -n >/dev/null 2>&1
    fio_all "$@"
    nstat 2>/dev/null | awk -v t="$1 $2" '/^(Tcp|TcpExt|Ip)[A-Za-z]/ {print "NET", t, $1, $2}'
    echo "NET $1 $2 SoftnetDropped $(($(softnet_dropped) - d0))"
}

softnet_dropped() {
    local n=0 x
    for x in $(awk '{print $2}' /proc/net/softnet_stat); do n=$((n + 16#$x)); done
    echo $n
}

# scst MODE [LABEL ZERO_COPY]: our target; LABEL (default scst) names its
# result lines, ZERO_COPY (default Y) is iscsi-scst's zero_copy.
scst() {
    local mode=$1 label=${2:-scst} path flags= d
    modprobe scst && modprobe scst_vdisk && modprobe iscsi-scst zero_copy=${3:-Y} || die "scst modules"
    case $mode in
        null) path=/dev/null flags=NULLIO ;;
        fileio) truncate -s ${SIZE_MB}M $IMG; path=$IMG ;;
    esac
    echo "open bench $path $flags" >/proc/scsi_tgt/vdisk/vdisk || die "vdisk open"
    echo "add_group Default_$IQN" >/proc/scsi_tgt/scsi_tgt || die "add_group"
    echo "add bench 0" >/proc/scsi_tgt/groups/Default_$IQN/devices || die "add"
    echo "Target $IQN" >/tmp/bench.conf
    : >/tmp/bench.none
    "$TOP/target/release/iscsi-scstd" -f -p 3260 -c /tmp/bench.conf --allow /tmp/bench.none --deny /tmp/bench.none \
        >/tmp/bench-scstd.log 2>&1 &
    local daemon=$!
    sleep 1
    d=$(login 3260); [ -n "$d" ] || die "no disk from iscsi-scst"
    net_fio $label $mode $d
    logout 3260
    kill $daemon; wait $daemon
    echo clear >/proc/scsi_tgt/groups/Default_$IQN/devices
    echo "del_group Default_$IQN" >/proc/scsi_tgt/scsi_tgt
    echo "close bench" >/proc/scsi_tgt/vdisk/vdisk
    rmmod iscsi_scst scst_vdisk scst || die "unloading SCST"
    rm -f $IMG
}

lio() {
    local mode=$1 tpg=$CFS/iscsi/$IQN/tpgt_1 d kv
    modprobe target_core_mod && modprobe iscsi_target_mod || die "LIO modules"
    lio_backstore $mode
    mkdir -p $tpg/np/127.0.0.1:3261 $tpg/lun/lun_0 || die "LIO target"
    ln -s $LIO_DEV $tpg/lun/lun_0/bench || die "LIO LUN"
    # Any initiator, no CHAP, writable: as our Default_<iqn> group.
    for kv in authentication=0 generate_node_acls=1 demo_mode_write_protect=0 cache_dynamic_acls=1; do
        echo ${kv#*=} >$tpg/attrib/${kv%=*} || die "LIO attribute $kv"
    done
    for kv in InitialR2T=No ImmediateData=Yes MaxRecvDataSegmentLength=262144 FirstBurstLength=262144 \
        MaxBurstLength=1048576 MaxXmitDataSegmentLength=262144; do
        echo ${kv#*=} >$tpg/param/${kv%=*} || die "LIO parameter $kv"
    done
    echo 1 >$tpg/enable || die "LIO enable"
    d=$(login 3261); [ -n "$d" ] || die "no disk from LIO"
    net_fio lio $mode $d
    logout 3261
    echo 0 >$tpg/enable
    rm $tpg/lun/lun_0/bench
    rmdir $tpg/lun/lun_0 $tpg/np/127.0.0.1:3261 $tpg $CFS/iscsi/$IQN
    lio_backstore_remove
}

# BENCH_MODES (of "null fileio") and BENCH_ROUNDS: as in vdisk.sh.
# BENCH_ISCSI_COPY (set): each round also runs our target with
# zero_copy=N (read data copied into the socket), as "scstcopy".
iscsid || die "iscsid"
for round in $(seq ${BENCH_ROUNDS:-1}); do
    for mode in ${BENCH_MODES:-null fileio}; do
        scst $mode
        [ -n "${BENCH_ISCSI_COPY:-}" ] && scst $mode scstcopy N
        lio $mode
    done
done
pkill iscsid
echo "BENCH DONE"
