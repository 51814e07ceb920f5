# Boot 1 of the crash-consistency test: every case's writes go through
# SCST (scst_local) and are acknowledged, then the guest stops dead
# (sysrq b: no sync, no unmount, nothing written back).
#   bash tests/crash/write.sh RUN
. tests/vm/lib.sh
. tests/crash/lib.sh
run=$1
P=/proc/scsi_tgt
# Nothing written back behind our back: what the control case loses is
# what only the page cache held.
sysctl -q vm.dirty_writeback_centisecs=0 vm.dirty_expire_centisecs=360000 vm.dirty_ratio=90 vm.dirty_background_ratio=90
expect_ok modprobe scst
expect_ok modprobe scst_vdisk
luns=
for c in $CASES; do
    d=$(disk $c) || fail "no QEMU disk $c: $(ls /sys/block)"
    case $c in
        wt) flags=WRITE_THROUGH ;;
        bio*) flags=BLOCKIO ;;
        *) flags= ;;
    esac
    write_ok $P/vdisk/vdisk "open $c $d 512 $flags"
    luns="$luns $c"
done
scst_local_up $luns
n=0
for c in $CASES; do
    sd=$(dev $n)
    sg=$(sg_of $H:0:0:$n) || fail "no sg for LUN $n"
    clear_ua $sg
    pattern $run $c >/tmp/$c.pat
    case $c in
        fua | biofua)
            expect_ok quiet sg_dd if=/tmp/$c.pat of=$sg bs=512 bpt=8 oflag=fua count=$((BLOCKS * 8)) ;;
        *)
            expect_ok quiet dd if=/tmp/$c.pat of=$sd bs=4096 oflag=direct count=$BLOCKS ;;
    esac
    case $c in
        sync | biosync) expect_ok sg_sync $sg ;;
    esac
    echo "crash-test: $c: $BLOCKS blocks acknowledged"
    n=$((n + 1))
done
echo "crash-test: stopping the guest dead"
echo b >/proc/sysrq-trigger
sleep 30
fail "the guest did not stop"
