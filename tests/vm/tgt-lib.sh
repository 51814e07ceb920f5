# A real SCSI tape drive and medium changer for the VM tests (sourced after
# lib.sh): tgtd (Debian's tgt, the user-space iSCSI target) exports a
# virtual tape (ssc, LUN 1) and a changer (smc, LUN 2) on 127.0.0.1:3270,
# and the guest's own open-iscsi logs in, so st and ch attach /dev/nst* and
# /dev/sch* to them.  Use: tgt_start; trap tgt_stop EXIT.
#
# The changer has one drive (element 2, the tape LUN), storage slots 10-13
# (mtx slots 1-4) with tapes TGT001 and TGT002 in the first two, and a mail
# slot 20 (mtx slot 5).  The drive starts with a scratch tape, TGT000, that
# the changer does not know: it reports the drive empty until `mtx load`
# swaps the tape LUN's medium for the slot's (`mtx unload` leaves the drive
# without a medium; TGT000 cannot come back).  After a load, rewind first.
#
# tgt's tape: variable block size by default (block limits 4-1048576);
# no LOCATE or ERASE (mt seek, erase fail), no mt tell or compression.
# A READ at end of data gets BLANK CHECK without a residual, which st
# turns into a full block of garbage (past the last filemark) or endless
# ones (a blank tape): read only files you wrote (st ends each with a
# filemark on close), never past them, never a blank tape.
TGT_PORT=3270
TGT_CN=7                # tgtd's control port (its socket in /var/run/tgtd)
TGT_IQN=iqn.2026-11.org.scst.test:tgt-vtl
TGT_W=/tmp/tgt
TGT_PID=
TGT_OWN_ISCSID=
TGT_TAPE_HCTL= TGT_TAPE_DEV= TGT_CHANGER_HCTL= TGT_CHANGER_DEV=

# tgt_fail MSG: fail, with the tail of tgtd's log.
tgt_fail() {
    fail "$*; tgtd log: $(tail -20 $TGT_W/tgtd.log 2>/dev/null | tr '\n' '|')"
}

# tgt_adm ARGS...: tgtadm on our tgtd; fails the test if it does.
tgt_adm() {
    local out
    out=$(tgtadm -C $TGT_CN "$@" 2>&1) || tgt_fail "tgtadm $*: $out"
}

# tgt_lun_params LUN PARAMS: tgtadm's logicalunit update.
tgt_lun_params() {
    tgt_adm --lld iscsi --mode logicalunit --op update --tid 1 --lun "$1" --params "$2"
}

# tgt_host: the SCSI host number of open-iscsi's session to TGT_IQN.
tgt_host() {
    local s
    for s in /sys/class/iscsi_session/session*; do
        [ "$(cat $s/targetname 2>/dev/null)" = $TGT_IQN ] || continue
        basename "$(dirname "$(readlink -f $s/device)")" | sed 's/^host//'
        return 0
    done
    return 1
}

# tgt_shutdown: stops our tgtd, which ignores SIGTERM and SIGINT: deletes
# the target, asks tgtd to exit, waits until it has (its control socket is
# gone); SIGKILL after 5 s.
tgt_shutdown() {
    tgtadm -C $TGT_CN --lld iscsi --mode target --op delete --tid 1 --force >/dev/null 2>&1
    tgtadm -C $TGT_CN --mode system --op delete >/dev/null 2>&1
    for _ in $(seq 50); do
        if ! tgtadm -C $TGT_CN --mode system --op show >/dev/null 2>&1 &&
            { [ -z "$TGT_PID" ] || ! kill -0 $TGT_PID 2>/dev/null; }; then
            break
        fi
        sleep 0.1
    done
    if [ -n "$TGT_PID" ]; then
        if kill -0 $TGT_PID 2>/dev/null; then
            echo "tgt_stop: tgtd did not exit, killing it"
            kill -KILL $TGT_PID
        fi
        wait $TGT_PID 2>/dev/null
        TGT_PID=
    fi
}

# tgt_start: tgtd, the target, its tape and changer, open-iscsi logged in;
# sets TGT_TAPE_HCTL, TGT_TAPE_DEV (/dev/nstN), TGT_CHANGER_HCTL and
# TGT_CHANGER_DEV (/dev/schN).
tgt_start() {
    local b h m st ch out
    # A tgtd left by an earlier test that did not call tgt_stop.
    if tgtadm -C $TGT_CN --mode system --op show >/dev/null 2>&1; then
        echo "tgt_start: stopping a tgtd left running"
        tgt_shutdown
    fi
    rm -rf $TGT_W
    mkdir -p $TGT_W/media /var/run/tgtd || fail "cannot create $TGT_W or /var/run/tgtd"
    for m in st ch iscsi_tcp; do
        modprobe $m || fail "modprobe $m"
    done
    for b in TGT000 TGT001 TGT002; do
        out=$(tgtimg --op new --device-type tape --barcode $b --size 64 --type data \
            --file $TGT_W/media/$b 2>&1) || fail "tgtimg $b: $out"
    done
    dd if=/dev/zero of=$TGT_W/smc bs=1k count=1 2>/dev/null

    tgtd -f -C $TGT_CN --iscsi portal=127.0.0.1:$TGT_PORT >$TGT_W/tgtd.log 2>&1 &
    TGT_PID=$!
    for _ in $(seq 50); do
        tgtadm -C $TGT_CN --op show --mode system >/dev/null 2>&1 && break
        kill -0 $TGT_PID 2>/dev/null || tgt_fail "tgtd exited"
        sleep 0.1
    done
    tgt_adm --op show --mode system

    tgt_adm --lld iscsi --mode target --op new --tid 1 -T $TGT_IQN
    # LUN 1: the tape drive.
    tgt_adm --lld iscsi --mode logicalunit --op new --tid 1 --lun 1 \
        --device-type tape --bstype ssc -b $TGT_W/media/TGT000
    # LUN 2: the changer.  Element addresses: picker 1, drive 2, slots
    # 10-13, mail slot 20.
    tgt_adm --lld iscsi --mode logicalunit --op new --tid 1 --lun 2 \
        --device-type changer -b $TGT_W/smc
    tgt_lun_params 2 media_home=$TGT_W/media
    tgt_lun_params 2 element_type=1,start_address=1,quantity=1
    tgt_lun_params 2 element_type=4,start_address=2,quantity=1
    tgt_lun_params 2 element_type=4,address=2,tid=1,lun=1
    tgt_lun_params 2 element_type=2,start_address=10,quantity=4
    tgt_lun_params 2 element_type=3,start_address=20,quantity=1
    tgt_lun_params 2 element_type=2,address=10,barcode=TGT001,sides=1
    tgt_lun_params 2 element_type=2,address=11,barcode=TGT002,sides=1
    tgt_adm --lld iscsi --mode target --op bind --tid 1 -I 127.0.0.1

    if ! pgrep -x iscsid >/dev/null; then
        iscsid || fail "iscsid does not start"
        TGT_OWN_ISCSID=1
    fi
    out=$(timeout 30 iscsiadm -m discovery -t sendtargets -p 127.0.0.1:$TGT_PORT 2>&1) ||
        tgt_fail "iscsiadm discovery on port $TGT_PORT: $out"
    out=$(timeout 60 iscsiadm -m node -T $TGT_IQN -p 127.0.0.1:$TGT_PORT --login 2>&1) ||
        tgt_fail "iscsiadm login to $TGT_IQN: $out"

    for _ in $(seq 150); do
        udevadm settle 2>/dev/null
        if h=$(tgt_host); then
            TGT_TAPE_HCTL=$(cd /sys/class/scsi_device && ls -d $h:*:*:1 2>/dev/null | head -1)
            TGT_CHANGER_HCTL=$(cd /sys/class/scsi_device && ls -d $h:*:*:2 2>/dev/null | head -1)
            st= ch=
            [ -n "$TGT_TAPE_HCTL" ] &&
                st=$(ls /sys/class/scsi_device/$TGT_TAPE_HCTL/device/scsi_tape/ 2>/dev/null | grep -m1 '^nst[0-9]*$')
            [ -n "$TGT_CHANGER_HCTL" ] &&
                ch=$(ls /sys/class/scsi_device/$TGT_CHANGER_HCTL/device/scsi_changer/ 2>/dev/null | grep -m1 '^sch[0-9]*$')
            if [ -n "$st" ] && [ -n "$ch" ] && [ -c /dev/$st ] && [ -c /dev/$ch ]; then
                TGT_TAPE_DEV=/dev/$st TGT_CHANGER_DEV=/dev/$ch
                return 0
            fi
        fi
        sleep 0.2
    done
    tgt_fail "no st/ch devices for $TGT_IQN (host '${h:-}', tape '$TGT_TAPE_HCTL', changer '$TGT_CHANGER_HCTL'): $(ls /sys/class/scsi_device | tr '\n' ' ')"
}

# tgt_stop: undoes tgt_start (any part of it); idempotent.
tgt_stop() {
    iscsiadm -m node -T $TGT_IQN -p 127.0.0.1:$TGT_PORT --logout >/dev/null 2>&1
    iscsiadm -m node -T $TGT_IQN -p 127.0.0.1:$TGT_PORT -o delete >/dev/null 2>&1
    iscsiadm -m discoverydb -t sendtargets -p 127.0.0.1:$TGT_PORT -o delete >/dev/null 2>&1
    if [ -n "$TGT_OWN_ISCSID" ]; then
        pkill -x iscsid
        TGT_OWN_ISCSID=
    fi
    tgt_shutdown
    udevadm settle 2>/dev/null
    rm -rf $TGT_W
    TGT_TAPE_HCTL= TGT_TAPE_DEV= TGT_CHANGER_HCTL= TGT_CHANGER_DEV=
    return 0
}
