# Helpers for the iSCSI VM tests (sourced after lib.sh).
D=$SCST_TOP/target/release/iscsi-scstd
P=/proc/scsi_tgt
W=/tmp/iscsi
mkdir -p $W
[ -x "$D" ] || fail "no $D (make tools)"
: >$W/none

# start_daemon PORT CONF [DENY]: iscsi-scstd in the foreground (-d 1),
# logging to $W/PORT.log, with no access rules but DENY and
# iscsi-scst-adm's socket at $W/PORT.sock (two daemons may run at once);
# waits until it listens.
start_daemon() {
    "$D" -f -d 1 -p "$1" -c "$2" --allow $W/none --deny "${3:-$W/none}" --socket $W/$1.sock >$W/$1.log 2>&1 &
    for _ in $(seq 50); do
        grep -q "listening on" $W/$1.log && return 0
        sleep 0.1
    done
    fail "iscsi-scstd on port $1 did not start: $(cat $W/$1.log)"
}

# export_disk NAME SIZE TARGET: a FILEIO vdisk NAME over a sparse file of
# SIZE, LUN 0 of group Default_TARGET.
export_disk() {
    truncate -s "$2" $W/$1.img
    write_ok $P/vdisk/vdisk "open $1 $W/$1.img"
    write_ok $P/scsi_tgt "add_group Default_$3"
    write_ok $P/groups/Default_$3/devices "add $1 0"
}

# unexport_disk NAME TARGET: undoes export_disk.
unexport_disk() {
    write_ok $P/groups/Default_$2/devices "clear"
    write_ok $P/scsi_tgt "del_group Default_$2"
    write_ok $P/vdisk/vdisk "close $1"
}

# disk_of TARGET: the sd device (e.g. sdb) of open-iscsi's session to
# TARGET, once it is there.
disk_of() {
    local d
    for _ in $(seq 100); do
        d=$(iscsiadm -m session -P 3 2>/dev/null | awk -v t="$1" '/^Target:/ {on = ($2 == t)} on && /Attached scsi disk/ {print $4; exit}')
        [ -n "$d" ] && [ -b /dev/$d ] && { echo $d; return; }
        sleep 0.2
    done
}

# login TARGET: discovery and open-iscsi login to TARGET on 127.0.0.1.
login() {
    local out
    expect_ok quiet timeout 30 iscsiadm -m discovery -t sendtargets -p 127.0.0.1
    out=$(timeout 60 iscsiadm -m node -T "$1" -p 127.0.0.1 --login 2>&1) || fail "iscsiadm login to $1: $out"
}

# stop_iscsi: ends open-iscsi and iscsi-scstd (SIGTERM: it deletes its
# targets) and unloads iscsi-scst.
stop_iscsi() {
    pkill iscsid
    pkill -f iscsi-scstd
    sleep 0.5
    unload iscsi_scst
}
