# The soak (make soak; tests/soak/run boots the VM): fio verify (crc32c,
# mixed sizes) through scst_local and through iSCSI for SECONDS, while
#  - task management fires: LUN RESET and TARGET RESET (sg_reset -d/-t)
#    on both paths, a host reset on scst_local's (sg_reset -H: neither
#    scst_local nor open-iscsi has a bus reset), and ABORT TASK of a write
#    whose data never comes from a raw iSCSI session;
#  - the initiator comes and goes: a second target is logged in, written
#    and verified, logged out, and iscsid is killed (-9) and restarted;
#  - iscsi-scstd is killed (-9) and restarted (its targets and sessions
#    stay in the kernel);
#  - a LUN is added to and removed from both paths' groups.
# Every fio ends with no error, the kernel log stays clean (the runner
# checks it), Slab and VmallocUsed stay flat, everything unloads.
#   bash tests/soak/soak.sh SECONDS
cd tests/vm || exit 1
. ./lib.sh
. ./iscsi-lib.sh
dur=${1:-1200}
end=$(($(date +%s) + dur))
S=/tmp/soak
mkdir -p $S
T1=iqn.2026-12.org.scst:soak-io
T2=iqn.2026-12.org.scst:soak-login
T3=iqn.2026-12.org.scst:soak-abort

# mem: Slab + VmallocUsed in KiB, after dropping what can be dropped.
mem() {
    sync
    echo 3 >/proc/sys/vm/drop_caches
    awk '/^(Slab|VmallocUsed):/ {n += $2} END {print n}' /proc/meminfo
}
before=$(mem)
echo "soak: $dur s; Slab+VmallocUsed before loading: $before KiB"

expect_ok modprobe scst
expect_ok modprobe scst_vdisk
expect_ok modprobe iscsi-scst
truncate -s 256M $S/local.img $S/io.img
truncate -s 64M $S/login.img $S/churn.img
write_ok $P/vdisk/vdisk "open local $S/local.img"
write_ok $P/vdisk/vdisk "open io $S/io.img"
write_ok $P/vdisk/vdisk "open login $S/login.img"
write_ok $P/vdisk/vdisk "open abort /dev/null NULLIO"
write_ok $P/vdisk/vdisk "open churn $S/churn.img"
for t in $T1 $T2 $T3; do write_ok $P/scsi_tgt "add_group Default_$t"; done
write_ok $P/groups/Default_$T1/devices "add io 0"
write_ok $P/groups/Default_$T2/devices "add login 0"
write_ok $P/groups/Default_$T3/devices "add abort 0"
scst_local_up local
sdl=$(dev 0)
printf 'Target %s\nTarget %s\nTarget %s\n' $T1 $T2 $T3 >$W/soak.conf
start_daemon 3260 $W/soak.conf
trap 'iscsiadm -m node --logout >/dev/null 2>&1; pkill fio; pkill iscsid; pkill -f release/iscsi-scstd' EXIT
iscsid || fail "iscsid does not start"
login $T1
sdi=/dev/$(disk_of $T1)
[ -b "$sdi" ] || fail "no disk for $T1"

# until END: true while the soak lasts.
running() { [ "$(date +%s)" -lt $end ]; }
# note WHAT: one line in the soak's log.
note() { echo "soak $(date +%T): $*" >>$S/events; }

verify_fio() {
    fio --name=soak --filename=$1 --ioengine=libaio --direct=1 --rw=randwrite --bssplit=4k/40:16k/30:64k/20:256k/10 \
        --iodepth=8 --size=200M --time_based --runtime=$dur --rate=6m --verify=crc32c --verify_backlog=256 \
        --verify_fatal=1 --do_verify=1 >$2 2>&1
}
verify_fio $sdl $S/fio-local.log &
fio_local=$!
verify_fio $sdi $S/fio-iscsi.log &
fio_iscsi=$!

# Task management, one every 10 s, in turn.
tm_loop() {
    local i=0
    while running; do
        sleep 10
        case $((i % 6)) in
            0) sg_reset -d $sdl ;;
            1) sg_reset -d $sdi ;;
            2) sg_reset -t $sdi ;;
            3) sg_reset -H $sdl ;;
            4) sg_reset -t $sdl ;;
            5) python3 - $T3 <<'PY' ;;
import struct, sys
sys.path.insert(0, ".")
from iscsi_raw import Conn, itt_of
c = Conn(sys.argv[1], "iqn.2026-12.org.scst:soak-raw", bytes([0x80, 0, 0, 0, 0x50, 1]))
# A new session's first command gets the power-on unit attention: TEST
# UNIT READY until GOOD, so that the write below waits for its data.
for _ in range(4):
    t = c.command_bhs(bytes(6))
    c.send(t)
    hdr, _ = c.wait_for(itt_of(t))
    if hdr[0] & 0x3F == 0x21 and hdr[3] == 0:
        break
w = c.command_bhs(bytes([0x2A, 0, 0, 0, 0, 1, 0, 0, 8, 0]), write=4096)
c.send(w)
r2t, _ = c.wait_for(itt_of(w))
assert r2t[0] & 0x3F == 0x31, ("no R2T for the write", r2t.hex())
a = c.abort_task_bhs(itt_of(w), struct.unpack_from(">I", w, 24)[0])
c.send(a)
hdr, _ = c.wait_for(itt_of(a))
assert hdr[0] & 0x3F == 0x22 and hdr[2] == 0, ("ABORT TASK answered", hdr.hex())
PY
        esac
        rc=$?
        note "task management $((i % 6)): exit $rc"
        [ $rc = 0 ] || echo "tm $((i % 6)) failed" >>$S/failures
        i=$((i + 1))
    done
}

# A LUN comes and goes on both paths.
lun_loop() {
    while running; do
        write_ok $P/groups/Default/devices "add churn 1"
        write_ok $P/groups/Default_$T1/devices "add churn 1"
        sleep 7
        write_ok $P/groups/Default/devices "del churn"
        write_ok $P/groups/Default_$T1/devices "del churn"
        sleep 7
        note "LUN 1 added and removed"
    done
}

# The initiator and the daemon come and go.
churn_loop() {
    local i=0 d
    while running; do
        login $T2
        d=$(disk_of $T2)
        if [ -z "$d" ]; then
            echo "no disk for $T2" >>$S/failures
        elif ! fio --name=login --filename=/dev/$d --ioengine=libaio --direct=1 --rw=randwrite --bs=4k-128k \
            --iodepth=8 --size=16M --verify=crc32c --do_verify=1 --verify_fatal=1 >$S/fio-login.log 2>&1; then
            echo "fio on $T2 failed: $(tail -5 $S/fio-login.log)" >>$S/failures
        fi
        iscsiadm -m node -T $T2 -p 127.0.0.1 --logout >/dev/null 2>&1 || echo "logout of $T2 failed" >>$S/failures
        if [ $((i % 2)) = 0 ]; then
            pkill -9 iscsid
            sleep 1
            iscsid || echo "iscsid does not start again" >>$S/failures
            note "iscsid killed and restarted"
        else
            pkill -9 -f release/iscsi-scstd
            sleep 1
            start_daemon 3260 $W/soak.conf
            note "iscsi-scstd killed and restarted"
        fi
        note "login cycle $i done"
        i=$((i + 1))
    done
}

: >$S/failures
tm_loop &
lun_loop &
churn_loop &
samples=()
while running; do
    sleep 60
    samples+=("$(mem)")
    note "Slab+VmallocUsed ${samples[-1]} KiB"
done
wait $fio_local || echo "fio through scst_local: exit $?" >>$S/failures
wait $fio_iscsi || echo "fio through iSCSI: exit $?" >>$S/failures
wait
cat $S/events
for f in local iscsi; do
    grep -q "err= 0" $S/fio-$f.log || echo "fio $f: $(grep -m3 -i err $S/fio-$f.log)" >>$S/failures
    echo "soak: fio $f: $(grep -E '^ +(WRITE|READ):' $S/fio-$f.log | tr -s ' ' | tr '\n' ';')"
done
[ -s $S/failures ] && fail "$(sort $S/failures | uniq -c | tr '\n' ';')"

# Flat: the last third of the samples no higher than the first third's
# highest plus 16 MiB.
n=${#samples[@]}
[ "$n" -ge 3 ] || fail "too few memory samples ($n): run longer"
third=$((n / 3))
first=$(printf '%s\n' "${samples[@]:0:$third}" | sort -n | tail -1)
last=$(printf '%s\n' "${samples[@]:$((n - third))}" | sort -n | tail -1)
echo "soak: Slab+VmallocUsed during the run (KiB): ${samples[*]}"
[ "$last" -le $((first + 16384)) ] || fail "memory grew: $first KiB early, $last KiB late"

iscsiadm -m node --logout >/dev/null 2>&1
pkill iscsid
pkill -f release/iscsi-scstd
sleep 1
trap - EXIT
udevadm settle 2>/dev/null
unload scst_local
write_ok $P/groups/Default/devices "clear"
for t in $T1 $T2 $T3; do
    write_ok $P/groups/Default_$t/devices "clear"
    write_ok $P/scsi_tgt "del_group Default_$t"
done
unload iscsi_scst scst_vdisk scst
after=$(mem)
echo "soak: Slab+VmallocUsed after unloading: $after KiB (before loading: $before KiB)"
[ "$after" -le $((before + 16384)) ] || fail "memory not returned: $before KiB before, $after KiB after unloading"
echo "soak: passed"
