# Boot 2 of the crash-consistency test: reads every case's disk straight
# (no SCST) and counts the blocks that hold what boot 1 acknowledged.
#   bash tests/crash/verify.sh RUN
. tests/vm/lib.sh
. tests/crash/lib.sh
run=$1
for c in $CASES; do
    d=$(disk $c) || fail "no QEMU disk $c"
    pattern $run $c >/tmp/$c.pat
    dd if=$d of=/tmp/$c.got bs=4096 count=$BLOCKS iflag=direct status=none || fail "reading $d"
    good=$(python3 - /tmp/$c.pat /tmp/$c.got <<'PY'
import sys
want, got = (open(f, "rb").read() for f in sys.argv[1:])
print(sum(want[i:i + 4096] == got[i:i + 4096] for i in range(0, len(want), 4096)))
PY
)
    echo "crash-test: $c: $good of $BLOCKS blocks there"
done
exit 0
