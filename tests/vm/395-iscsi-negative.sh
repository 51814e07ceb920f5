# Malformed PDUs from a hand-made initiator (tests/vm/iscsi_raw.py), each
# case on its own session, while open-iscsi keeps a session to the same
# target busy: an unknown opcode gets a Reject and the connection goes on;
# a command outside the CmdSN window is ignored, one after a gap waits
# for those before it (and an ABORT TASK for it is honoured); a Text
# Request in two pieces gets SendTargets and NotUnderstood answers; a 32-byte CDB
# (Extended CDB AHS) gets ILLEGAL REQUEST, INVALID FIELD IN CDB; a data
# segment longer than MaxRecvDataSegmentLength, a bad header digest, a
# bad data digest, immediate data beyond FirstBurstLength and a Data-Out
# beyond the burst an R2T asked for each end their connection with a
# kernel log line naming the problem.  open-iscsi's session sees none of
# it; no kernel warning (the runner checks dmesg).
. ./lib.sh
. ./iscsi-lib.sh
T=iqn.2026-12.org.scst:neg

expect_ok modprobe scst
expect_ok modprobe scst_vdisk
expect_ok modprobe iscsi-scst
export_disk neg 64M $T
printf "Target %s\n    HeaderDigest CRC32C,None\n    DataDigest CRC32C,None\n" $T >$W/neg.conf
start_daemon 3260 $W/neg.conf
trap 'touch $W/stop; pkill fio; iscsiadm -m node --logout >/dev/null 2>&1; pkill iscsid; pkill -f iscsi-scstd' EXIT
iscsid || fail "iscsid does not start"
login $T
d=$(disk_of $T) && [ -n "$d" ] || fail "no disk for $T"
# Verified writes, round after round, until the cases are done.
rm -f $W/stop $W/fio.fail
(
    while [ ! -e $W/stop ]; do
        fio --name=busy --filename=/dev/$d --ioengine=libaio --direct=1 --rw=randwrite --bs=4k-64k --iodepth=8 \
            --size=8M --verify=crc32c --do_verify=1 --verify_fatal=1 >>$W/fio.log 2>&1 || { touch $W/fio.fail; break; }
    done
) &
busy=$!

# raw CASE: runs one case of the Python below; prints its result line.
raw() {
    timeout 60 python3 - "$T" "$1" <<'PY' 2>&1
import struct, sys
sys.path.insert(0, ".")
from iscsi_raw import Conn, itt_of
target, case = sys.argv[1], sys.argv[2]
INIT = "iqn.2026-12.org.scst:raw"
TUR = bytes(6)
def conn(n, keys=()):
    return Conn(target, INIT, bytes([0x80, 0, 0, 0, 0x10, n]), keys)

if case == "opcode":
    c = conn(1)
    bhs = c.nop_bhs(c.next_itt())
    bhs[0] = 0x40 | 0x1B           # no such initiator opcode
    c.send(bhs)
    hdr, data = c.recv()
    print("reply 0x%02x reason 0x%02x header-back %s alive %s" % (hdr[0] & 0x3F, hdr[2], data[:1] == bytes([0x5B]), c.ping(b"abcd")))
elif case == "window":
    c = conn(2)
    far = c.command_bhs(TUR, cmd_sn=c.cmd_sn + 1000)
    far_itt = struct.unpack_from(">I", far, 16)[0]
    c.send(far)
    near = c.command_bhs(TUR)
    itt = struct.unpack_from(">I", near, 16)[0]
    c.send(near)
    hdr, _ = c.wait_for(itt)
    answered = [hdr[0] & 0x3F]
    c.s.settimeout(2)
    try:
        while True:
            h, _ = c.recv()
            if struct.unpack_from(">I", h, 16)[0] == far_itt:
                answered.append("far")
    except OSError:
        pass
    print("in-window 0x%02x out-of-window %s alive %s" % (answered[0], "answered" if "far" in answered else "ignored", c.ping()))
elif case == "text":
    # Full-feature Text, the request in two pieces (C bit, immediate).
    c = conn(8)
    itt = c.next_itt()
    def text(data, more):
        bhs = bytearray(48)
        bhs[0] = 0x44
        bhs[1] = 0x40 if more else 0x80
        struct.pack_into(">IIII", bhs, 16, itt, 0xFFFFFFFF, c.cmd_sn, c.exp_stat_sn)
        c.send(bhs, data)
        return c.wait_for(itt)
    h1, d1 = text(b"Foo=1\0SendTarg", True)
    h2, d2 = text(b"ets=All\0", False)
    print("pieces 0x%02x/%d final 0x%02x %s" % (h1[0] & 0x3F, len(d1), h2[1] & 0x80, d2.decode().replace("\0", "|")))
elif case == "extended-cdb":
    # A 32-byte CDB: 16 bytes in the BHS, the rest in an Extended CDB AHS
    # (AHSLength 17: a reserved byte and 16 CDB bytes, 20 bytes in all).
    c = conn(9)
    tur = c.command_bhs(TUR)
    c.send(tur)
    c.wait_for(struct.unpack_from(">I", tur, 16)[0])
    bhs = c.command_bhs(bytes([0x7F, 0, 0, 0, 0, 0, 0, 0x18, 0x00, 0x09]))
    c.send(bhs, ahs=bytes([0, 17, 1, 0]) + bytes(16))
    hdr, data = c.wait_for(struct.unpack_from(">I", bhs, 16)[0])
    sense = data[2:]
    print("status 0x%02x key %d asc 0x%02x alive %s" % (hdr[3], sense[2] & 0x0F, sense[12], c.ping()))
elif case == "length":
    c = conn(3)
    bhs = c.nop_bhs(c.next_itt())
    bhs[5:8] = (300000).to_bytes(3, "big")
    try:
        c.send(bhs, b"x" * 300000)
    except OSError:
        pass                        # the target may close before all is sent
    print("closed %s" % c.closed())
elif case == "header-digest":
    c = conn(4, ["HeaderDigest=CRC32C", "DataDigest=None"])
    good = c.ping(b"ping")
    c.send(c.nop_bhs(c.next_itt()), bad_header_digest=True)
    print("digest %s good-ping %s closed %s" % (c.hd, good, c.closed()))
elif case == "data-digest":
    c = conn(5, ["HeaderDigest=None", "DataDigest=CRC32C"])
    good = c.ping(b"ping")
    c.send(c.nop_bhs(c.next_itt()), b"data", bad_data_digest=True)
    print("digest %s good-ping %s closed %s" % (c.dd, good, c.closed()))
elif case == "first-burst":
    c = conn(6, ["ImmediateData=Yes", "FirstBurstLength=512", "MaxBurstLength=512"])
    write10 = bytes([0x2A, 0, 0, 0, 0, 0, 0, 0, 2, 0])
    c.send(c.command_bhs(write10, write=1024), b"y" * 1024)
    print("first-burst %s closed %s" % (c.answer.get("FirstBurstLength"), c.closed()))
elif case == "burst":
    # One R2T of 512 bytes at a time: 1024 bytes at once go beyond it.
    c = conn(7, ["InitialR2T=Yes", "ImmediateData=No", "FirstBurstLength=512", "MaxBurstLength=512", "MaxOutstandingR2T=1"])
    # The new session's Unit Attention goes to a TEST UNIT READY, so that
    # the WRITE gets to its data phase.
    tur = c.command_bhs(TUR)
    c.send(tur)
    c.wait_for(struct.unpack_from(">I", tur, 16)[0])
    write10 = bytes([0x2A, 0, 0, 0, 0, 0, 0, 0, 2, 0])
    bhs = c.command_bhs(write10, write=1024)
    itt = struct.unpack_from(">I", bhs, 16)[0]
    c.send(bhs)
    c.send(c.data_out_bhs(itt, 0), b"z" * 1024)
    print("max-burst %s closed %s" % (c.answer.get("MaxBurstLength"), c.closed()))
elif case == "order":
    # CmdSN out of order: each command waits for those before it, and a
    # held write's unsolicited Data-Out waits with it.  Ordered tasks, so
    # that the core keeps the order too; past the busy session's range.
    c = conn(10, ["InitialR2T=No", "ImmediateData=No"])
    tur = c.command_bhs(TUR)
    c.send(tur)
    c.wait_for(itt_of(tur))
    lba = (100000).to_bytes(4, "big")
    write10 = bytes([0x2A, 0]) + lba + bytes([0, 0, 1, 0])
    read10 = bytes([0x28, 0]) + lba + bytes([0, 0, 1, 0])
    sn = c.cmd_sn
    c.cmd_sn += 4
    a = c.command_bhs(write10, write=512, cmd_sn=sn, attr=2)
    b = c.command_bhs(write10, write=512, cmd_sn=sn + 1, attr=2)
    r = c.command_bhs(read10, read=512, cmd_sn=sn + 2, attr=2)
    c.send(b)
    c.send(c.data_out_bhs(itt_of(b), 0), b"B" * 512)
    c.send(r)
    c.send(a)
    c.send(c.data_out_bhs(itt_of(a), 0), b"A" * 512)
    # R reads B if B ran before it; S (in order) reads B if A ran before B.
    s = c.command_bhs(read10, read=512, cmd_sn=sn + 3, attr=2)
    c.send(s)
    names = {itt_of(a): "A", itt_of(b): "B", itt_of(r): "R", itt_of(s): "S"}
    seen, data = [], {"R": b"", "S": b""}
    while len(seen) < 4:
        h, d = c.recv()
        name = names.get(itt_of(h))
        if name in data:
            data[name] += d
        op = h[0] & 0x3F
        if name and (op == 0x21 or (op == 0x25 and h[1] & 0x01)):
            seen.append("%s:%02x" % (name, h[3]))
    # A held command aborted: never answered, its CmdSN still used up.
    sn = c.cmd_sn
    c.cmd_sn += 3
    held = c.command_bhs(TUR, cmd_sn=sn + 1)
    c.send(held)
    abort = c.abort_task_bhs(itt_of(held), sn + 1)
    c.send(abort)
    h, _ = c.wait_for(itt_of(abort))
    aborted = "%02x/%d" % (h[0] & 0x3F, h[2])
    first, last = c.command_bhs(TUR, cmd_sn=sn), c.command_bhs(TUR, cmd_sn=sn + 2)
    c.send(first)
    c.send(last)
    after = []
    c.s.settimeout(3)
    try:
        while True:
            h, _ = c.recv()
            after.append({itt_of(first): "first", itt_of(last): "last", itt_of(held): "held"}.get(itt_of(h), "?"))
    except OSError:
        pass
    print("answered %s read %s,%s abort %s then %s" % (",".join(sorted(seen)), data["R"][:1].decode(), data["S"][:1].decode(), aborted, ",".join(after)))
PY
}

cd $SCST_TOP/tests/vm
expect_eq "unknown opcode" "$(raw opcode)" "reply 0x3f reason 0x05 header-back True alive True"
expect_eq "CmdSN window" "$(raw window)" "in-window 0x21 out-of-window ignored alive True"
expect_log "session iqn.2026-12.org.scst:raw .*: CmdSN [0-9]+ outside the window [0-9]+\.\.[0-9]+: ignored"
expect_eq "CmdSN order" "$(raw order)" "answered A:00,B:00,R:00,S:00 read B,B abort 22/0 then first,last"
expect_log "session iqn.2026-12.org.scst:raw .*: CmdSN [0-9]+ before [0-9]+: held until the gap fills"
expect_eq "full-feature Text" "$(raw text)" "pieces 0x24/0 final 0x80 Foo=NotUnderstood|TargetName=$T|TargetAddress=127.0.0.1:3260,1|"
expect_eq "extended CDB" "$(raw extended-cdb)" "status 0x02 key 5 asc 0x24 alive True"
expect_eq "data segment length" "$(raw length)" "closed True"
expect_log "session iqn.2026-12.org.scst:raw .* ends: data segment longer than MaxRecvDataSegmentLength"
expect_eq "header digest" "$(raw header-digest)" "digest True good-ping True closed True"
expect_log "session iqn.2026-12.org.scst:raw .*: header digest .* where .* was due"
expect_eq "data digest" "$(raw data-digest)" "digest True good-ping True closed True"
expect_log "session iqn.2026-12.org.scst:raw .*: data digest .* where .* was due"
expect_eq "immediate data beyond FirstBurstLength" "$(raw first-burst)" "first-burst 512 closed True"
expect_log "ends: immediate data beyond the expected length, FirstBurstLength or ImmediateData=No"
expect_eq "Data-Out beyond the R2T" "$(raw burst)" "max-burst 512 closed True"
expect_log "ends: Data-Out beyond the burst the target asked for"

# open-iscsi's session went on through all of it.
touch $W/stop
wait $busy
[ -e $W/fio.fail ] && fail "fio verify on the busy session failed: $(tail -20 $W/fio.log)"
grep -q "err= 0" $W/fio.log || fail "no fio round completed: $(tail -20 $W/fio.log)"
dmesg | grep -q "session iqn.1993-08.*to tid 1 ends" && fail "open-iscsi's session ended: $(dmesg | grep ends)"
expect_ok quiet iscsiadm -m node -T $T -p 127.0.0.1 --logout
stop_iscsi
unexport_disk neg $T
unload scst_vdisk scst
exit 0
