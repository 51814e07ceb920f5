# A hostile initiator (tests/vm/iscsi_raw.py) against iSCSI and the core
# (issue 25), each case answered as the standards say, with the target
# healthy afterwards: a second command with a live command's ITT gets a
# Reject (Task in progress) while the first completes, and that initiator
# logs out and in again; READ CAPACITY(16) with an allocation length of
# 4 GiB is answered with its 32 bytes (not BUSY: no 4 GiB buffer); a
# WRITE(16) of 0x7FFFFF blocks is refused with INVALID FIELD IN CDB
# before any data is asked for (MAXIMUM TRANSFER LENGTH); a command
# larger than all of scst_max_cmd_mem is refused, not answered BUSY for
# ever; a NULLIO read on another target never returns the data another
# session's write left in a pooled buffer; a socket that is not TCP is
# refused by the connection hand-over; a NOP-In echo stays within the
# initiator's MaxRecvDataSegmentLength, and an 8 MiB one comes back whole
# (PDU buffers are not limited to kmalloc's 4 MiB); immediate commands beyond
# QueuedCommands get Reject 0x06; an initiator that floods NOP-Outs and
# reads nothing is not read from either (the target's memory does not grow
# with what it sends) and loses its connection; idle connections to the
# daemon are bounded per address and closed after 15 s, without locking
# out another address; a Data-Out with a Target Transfer Tag of no R2T
# (or one on unsolicited data) ends its connection; a login naming the
# TSIH of a session of another initiator or ISID, or of none, is refused
# with "session does not exist".  Then a fresh session still works and the modules
# unload (the runner checks dmesg).
. ./lib.sh
. ./iscsi-lib.sh
T=iqn.2026-12.org.scst:hostile
T2=iqn.2026-12.org.scst:hostile-null

# A 1 MiB limit for the command buffers: the 2 MiB case below is larger
# than all of it.
expect_ok modprobe scst scst_max_cmd_mem=1
expect_ok modprobe scst_vdisk
expect_ok modprobe iscsi-scst
export_disk hostile 64M $T
write_ok $P/vdisk/vdisk "open hnull /dev/null NULLIO"
write_ok $P/scsi_tgt "add_group Default_$T2"
write_ok $P/groups/Default_$T2/devices "add hnull 0"
# The largest data segments RFC 7143 allows (16 MiB - 1), both ways.
printf "Target %s\n    MaxRecvDataSegmentLength 16777215\n    MaxXmitDataSegmentLength 16777215\nTarget %s\n" $T $T2 >$W/hostile.conf
start_daemon 3260 $W/hostile.conf
trap 'pkill -f iscsi-scstd' EXIT

# raw CASE: runs one case of the Python below; prints its result line.
raw() {
    timeout 90 python3 - "$T" "$T2" "$1" <<'PY' 2>&1
import errno, fcntl, socket, struct, sys
sys.path.insert(0, ".")
from iscsi_raw import Conn, itt_of
target, null_target, case = sys.argv[1], sys.argv[2], sys.argv[3]
INIT = "iqn.2026-12.org.scst:hostile-raw"
TUR = bytes(6)
def conn(n, keys=(), tgt=target):
    c = Conn(tgt, INIT, bytes([0x80, 0, 0, 0, 0x20, n]), keys)
    # The new session's Unit Attention goes to a TEST UNIT READY.
    tur = c.command_bhs(TUR)
    c.send(tur)
    c.wait_for(itt_of(tur))
    return c
def add_conn(fd, tid, tsih, isid, name):
    """ADD_CONN (iscsi-scst-ctl) straight to the kernel: "accepted" or
    "refused ERRNO"."""
    req = bytearray(320)
    struct.pack_into("<IIiHH", req, 0, 1, tid, fd, 0, tsih)
    req[16:22] = isid
    params = [0, 0, 1, 1, 1, 8192, 8192, 262144, 65536, 2, 20, 1, 1, 1, 0, 32]
    struct.pack_into("<16I", req, 32, *params)
    req[96:96 + len(name)] = name
    ioc = (1 << 30) | (320 << 16) | (ord("i") << 8) | 0x22
    with open("/dev/iscsi-scst-ctl", "rb") as f:
        try:
            fcntl.ioctl(f, ioc, bytes(req))
            return "accepted"
        except OSError as e:
            return "refused %s" % errno.errorcode.get(e.errno, e.errno)
def answer(c, bhs, data=b""):
    """Status, sense key and ASC of the command's SCSI Response, and
    its Data-In bytes."""
    c.send(bhs, data)
    got = b""
    while True:
        h, d = c.wait_for(itt_of(bhs))
        op = h[0] & 0x3F
        if op == 0x25:
            got += d
            if not h[1] & 0x01:
                continue
            return h[3], 0, 0, got
        if op == 0x21:
            sense = d[2:]
            key, asc = (sense[2] & 0x0F, sense[12]) if len(sense) > 12 else (0, 0)
            return h[3], key, asc, got
        return "op 0x%02x" % op, 0, 0, got

if case == "dup-itt":
    # Solicited data only: the WRITE waits for its R2T'd Data-Out.
    c = conn(1, ["InitialR2T=Yes", "ImmediateData=No"])
    write10 = bytes([0x2A, 0, 0, 0, 0, 8, 0, 0, 1, 0])
    first = c.command_bhs(write10, write=512)
    c.send(first)
    r2t, _ = c.wait_for(itt_of(first))
    second = c.command_bhs(write10, write=512)
    second[16:20] = first[16:20]
    c.send(second)
    rej, back = c.wait_for(itt_of(first))
    ttt = struct.unpack_from(">I", r2t, 20)[0]
    c.send(c.data_out_bhs(itt_of(first), 0, ttt=ttt), b"D" * 512)
    rsp, _ = c.wait_for(itt_of(first))
    # The ITT is free again once answered.
    again = c.command_bhs(TUR)
    again[16:20] = first[16:20]
    c.send(again)
    tur, _ = c.wait_for(itt_of(first))
    lo = bytearray(48)
    lo[0] = 0x46
    lo[1] = 0x80
    struct.pack_into(">III", lo, 16, c.next_itt(), 0, c.cmd_sn)
    struct.pack_into(">I", lo, 28, c.exp_stat_sn)
    c.send(lo)
    out, _ = c.wait_for(itt_of(lo))
    c2 = conn(1)
    print("r2t 0x%02x dup 0x%02x/0x%02x header-back %s first 0x%02x/%d reuse 0x%02x/%d logout 0x%02x/%d relogin %s" % (
        r2t[0] & 0x3F, rej[0] & 0x3F, rej[2], back[:20] == bytes(second[:20]), rsp[0] & 0x3F, rsp[3],
        tur[0] & 0x3F, tur[3], out[0] & 0x3F, out[2], c2.ping()))
elif case == "read-capacity":
    c = conn(2)
    cdb = bytes([0x9E, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0])
    st, key, asc, data = answer(c, c.command_bhs(cdb, read=32))
    print("status 0x%02x bytes %d block %d alive %s" % (st, len(data), struct.unpack_from(">I", data, 8)[0] if len(data) >= 12 else 0, c.ping()))
elif case == "huge-write":
    c = conn(3, ["InitialR2T=Yes", "ImmediateData=No"])
    cdb = bytes([0x8A, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x7F, 0xFF, 0xFF, 0, 0])
    st, key, asc, _ = answer(c, c.command_bhs(cdb, write=0x7FFFFF * 512))
    print("status %s key %d asc 0x%02x alive %s" % (st, key, asc, c.ping()))
elif case == "over-limit":
    # 2 MiB, within vdisk's MAXIMUM TRANSFER LENGTH, beyond the 1 MiB
    # scst_max_cmd_mem: never fits, so no R2T, no BUSY.
    c = conn(4, ["InitialR2T=Yes", "ImmediateData=No", "MaxBurstLength=262144"])
    cdb = bytes([0x2A, 0, 0, 0, 0, 0, 0, 0x10, 0, 0])
    st, key, asc, _ = answer(c, c.command_bhs(cdb, write=4096 * 512))
    print("status %s key %d asc 0x%02x alive %s" % (st, key, asc, c.ping()))
elif case == "stale":
    # Writes leave a pattern in pooled 4 KiB buffers; NULLIO reads of
    # another session and target get such buffers and must send zeros.
    w = conn(5)
    r = conn(6, tgt=null_target)
    write10 = bytes([0x2A, 0, 0, 0, 0, 0, 0, 0, 8, 0])
    read10 = bytes([0x28, 0, 0, 0, 0, 0, 0, 0, 8, 0])
    seen = set()
    for i in range(16):
        st, _, _, _ = answer(w, w.command_bhs(write10, write=4096), b"\xa5" * 4096)
        seen.add("w%02x" % st)
        st, _, _, data = answer(r, r.command_bhs(read10, read=4096))
        seen.add("r%02x" % st)
        seen.add("zeros" if data == bytes(4096) else "stale" if b"\xa5" in data else "other")
    print(" ".join(sorted(seen)))
elif case == "handover":
    # ADD_CONN (iscsi-scst-ctl) with an AF_INET stream socket that is not
    # TCP; tid 4242 does not exist, so only the socket check can refuse
    # it with EINVAL (else ENOENT).
    m = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)  # IPPROTO_MPTCP
    print(add_conn(m.fileno(), 4242, 1, bytes(6), INIT.encode()))
elif case == "nop-cap":
    # The initiator takes 512 bytes per PDU: a 1024-byte ping comes back
    # cut to that.
    c = conn(8, ["MaxRecvDataSegmentLength=512"])
    itt = c.next_itt()
    data = bytes(range(256)) * 4
    c.send(c.nop_bhs(itt), data)
    h, back = c.wait_for(itt)
    print("op 0x%02x echo %d same %s alive %s" % (h[0] & 0x3F, len(back), back == data[:len(back)], c.ping()))
elif case == "big-ping":
    # An 8 MiB ping, both sides taking 16 MiB segments: echoed whole (the
    # target's buffers for a PDU are not limited to what kmalloc gives).
    c = conn(12, ["MaxRecvDataSegmentLength=16777215"])
    itt = c.next_itt()
    data = bytes(range(256)) * (32 * 1024)
    c.send(c.nop_bhs(itt), data)
    h, back = c.wait_for(itt, 60)
    print("op 0x%02x echo %d same %s alive %s" % (h[0] & 0x3F, len(back), back == data, c.ping()))
elif case == "immediate":
    # 40 immediate WRITEs that wait for data (never sent): 32 (the
    # QueuedCommands) are taken, the rest get Reject 0x06.
    c = conn(9, ["InitialR2T=Yes", "ImmediateData=No"])
    write10 = bytes([0x2A, 0, 0, 0, 0, 16, 0, 0, 1, 0])
    for i in range(40):
        bhs = c.command_bhs(write10, write=512, cmd_sn=c.cmd_sn)
        bhs[0] |= 0x40
        c.send(bhs)
    rejects, others = {}, 0
    c.s.settimeout(3)
    try:
        while True:
            h, _ = c.recv()
            if h[0] & 0x3F == 0x3F:
                rejects[h[2]] = rejects.get(h[2], 0) + 1
            else:
                others += 1
    except OSError:
        pass
    print("rejects %s others %d" % (rejects, others))
elif case == "flood":
    # NOP-Outs with 8 KiB of data and the echoes never read: the target
    # stops reading (TCP pushes back) instead of queueing echoes, and
    # ends the connection when its sends make no progress.
    import time
    def used_kib():
        m = dict(l.split(":") for l in open("/proc/meminfo"))
        return int(m["MemTotal"].split()[0]) - int(m["MemAvailable"].split()[0])
    c = conn(10)
    c.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    c.s.settimeout(90)
    base = peak = used_kib()
    sent, closed, start = 0, False, time.time()
    data = b"n" * 8192
    try:
        while sent < (96 << 20) and time.time() - start < 100:
            c.send(c.nop_bhs(c.next_itt()), data)
            sent += len(data)
            if c.itt % 32 == 0:
                peak = max(peak, used_kib())
    except OSError:
        closed = True
    peak = max(peak, used_kib())
    print("closed %s growth-under-32MiB %s" % (closed, peak - base < 32 * 1024))
    if peak - base >= 32 * 1024:
        print("grew %d KiB for %d KiB sent" % (peak - base, sent // 1024))
elif case == "idle":
    # 40 idle connections from 127.0.0.2 to the daemon: 32 (its limit per
    # address) are served, the rest closed at once; a login from
    # 127.0.0.1 is not locked out; the idle ones are closed after 15 s.
    import time
    def closed(s, seconds):
        s.settimeout(seconds)
        try:
            return s.recv(1) == b""
        except socket.timeout:
            return False
        except OSError:
            return True
    idle = []
    for i in range(40):
        s = socket.socket()
        s.bind(("127.0.0.2", 0))
        s.connect(("127.0.0.1", 3260))
        idle.append(s)
    time.sleep(1)
    open_ones = [s for s in idle if not closed(s, 0.2)]
    ok = conn(11).ping()
    start = time.time()
    later = sum(closed(s, max(0.1, 25 - (time.time() - start))) for s in open_ones)
    print("closed-at-once %d login %s closed-later %d" % (40 - len(open_ones), ok, later))
elif case == "ttt":
    # A Data-Out must carry the Target Transfer Tag of the R2T that asked
    # for it, and unsolicited data the reserved one: either mistake ends
    # the connection (no data lands anywhere it was not asked for).
    write10 = bytes([0x2A, 0, 0, 0, 0, 8, 0, 0, 2, 0])
    c = conn(14, ["InitialR2T=Yes", "ImmediateData=No"])
    w = c.command_bhs(write10, write=1024)
    c.send(w)
    r2t, _ = c.wait_for(itt_of(w))
    ttt = struct.unpack_from(">I", r2t, 20)[0]
    c.send(c.data_out_bhs(itt_of(w), 0, ttt=ttt ^ 0x5A5A, final=False), b"T" * 512)
    wrong = c.closed()
    u = conn(15, ["InitialR2T=No", "ImmediateData=No"])
    w = u.command_bhs(write10, write=1024)
    u.send(w)
    u.send(u.data_out_bhs(itt_of(w), 0, ttt=7), b"U" * 1024)
    unsolicited = u.closed()
    print("wrong-ttt closed %s unsolicited-ttt closed %s" % (wrong, unsolicited))
elif case == "tsih":
    # A login naming a TSIH joins or reinstates that session only if it
    # is the same initiator with the same ISID (else "session does not
    # exist", 0x020a): nobody else's session is touched.
    def login_status(name, isid, tsih):
        try:
            Conn(target, name, isid, tsih=tsih)
            return "0000"
        except AssertionError as e:
            return e.args[0][1][72:76]
    c = conn(16)
    isid = bytes([0x80, 0, 0, 0, 0x20, 16])
    other = login_status("iqn.2026-12.org.scst:hostile-other", isid, c.tsih)
    other_isid = login_status(INIT, bytes([0x80, 0, 0, 0, 0x20, 17]), c.tsih)
    unknown = login_status(INIT, isid, (c.tsih ^ 0x8000) or 1)
    alive = c.ping()
    again = Conn(target, INIT, isid, tsih=c.tsih)
    print("other-initiator %s other-isid %s unknown %s first-alive %s same %s reinstated %s" % (
        other, other_isid, unknown, alive, again.ping(), c.closed()))
elif case == "tsih-kernel":
    # ADD_CONN straight to the kernel with the TSIH of a live session of
    # another ISID (what a daemon restarted with its counter at the
    # start could send): refused with EEXIST; that session goes on.
    c = conn(18)
    s = socket.create_connection(("127.0.0.1", 3260))
    got = add_conn(s.fileno(), 1, c.tsih, bytes([0x80, 0, 0, 0, 0x20, 19]), b"iqn.2026-12.org.scst:hostile-other")
    print("%s first-alive %s" % (got, c.ping()))
elif case == "healthy":
    c = conn(7)
    st, _, _, data = answer(c, c.command_bhs(bytes([0x28, 0, 0, 0, 0, 8, 0, 0, 1, 0]), read=512))
    print("status 0x%02x data %s" % (st, data[:1].decode()))
PY
}

cd $SCST_TOP/tests/vm
expect_eq "duplicate ITT" "$(raw dup-itt)" \
    "r2t 0x31 dup 0x3f/0x07 header-back True first 0x21/0 reuse 0x21/0 logout 0x26/0 relogin True"
expect_log "session iqn.2026-12.org.scst:hostile-raw .*: a command reuses ITT 0x[0-9a-f]+ of a command in progress: rejected"
expect_eq "READ CAPACITY(16), 4 GiB allocation length" "$(raw read-capacity)" "status 0x00 bytes 32 block 512 alive True"
grep -q "BUSY answers: 0" $P/sgv || fail "BUSY answers: $(tail -3 $P/sgv)"
expect_eq "WRITE(16) of 0x7FFFFF blocks" "$(raw huge-write)" "status 2 key 5 asc 0x24 alive True"
expect_log "opcode 0x8a moves more than 33554432 bytes \(MAXIMUM TRANSFER LENGTH\), refused"
expect_eq "2 MiB command, 1 MiB scst_max_cmd_mem" "$(raw over-limit)" "status 2 key 5 asc 0x24 alive True"
expect_log "opcode 0x2a needs a 2097152 byte buffer, more than scst_max_cmd_mem allows for all commands: refused"
expect_eq "NULLIO reads after writes" "$(raw stale)" "r00 w00 zeros"
expect_eq "non-TCP socket handed over" "$(raw handover)" "refused EINVAL"
expect_log "socket fd [0-9]+ handed over is not TCP over IPv4/IPv6 \(family 2, type 1, protocol 262\)"
expect_eq "NOP-In echo and the initiator's MaxRecvDataSegmentLength" "$(raw nop-cap)" "op 0x20 echo 512 same True alive True"
expect_eq "8 MiB NOP-Out" "$(raw big-ping)" "op 0x20 echo 8388608 same True alive True"
expect_eq "immediate commands beyond QueuedCommands" "$(raw immediate)" "rejects {6: 8} others 32"
expect_eq "NOP-Out flood, nothing read" "$(raw flood)" "closed True growth-under-32MiB True"
expect_log "session iqn.2026-12.org.scst:hostile-raw .* ends: the initiator does not read its answers|session iqn.2026-12.org.scst:hostile-raw .* ends: receive error"
expect_eq "idle connections to the daemon" "$(raw idle)" "closed-at-once 8 login True closed-later 32"
grep -q "127.0.0.2:[0-9]*: connection closed: 32 connections from this address in login or discovery already" $W/3260.log ||
    fail "no log line for the refused connections: $(tail -5 $W/3260.log)"
expect_eq "Data-Out Target Transfer Tags" "$(raw ttt)" "wrong-ttt closed True unsolicited-ttt closed True"
expect_log "session iqn.2026-12.org.scst:hostile-raw .* ends: Data-Out with a Target Transfer Tag of no R2T for its offset"
expect_log "session iqn.2026-12.org.scst:hostile-raw .* ends: unsolicited Data-Out with a Target Transfer Tag"
expect_eq "logins naming a TSIH" "$(raw tsih)" \
    "other-initiator 020a other-isid 020a unknown 020a first-alive True same True reinstated True"
grep -q "login to $T refused: no session with that TSIH (020a)" $W/3260.log ||
    fail "no log line for the refused TSIH: $(tail -5 $W/3260.log)"
expect_eq "ADD_CONN with a live session's TSIH" "$(raw tsih-kernel)" "refused EEXIST first-alive True"
expect_log "control: add connection: TSIH [0-9]+ of iqn.2026-12.org.scst:hostile-other is in use by session [0-9]+ of iqn.2026-12.org.scst:hostile-raw"
expect_eq "a fresh session" "$(raw healthy)" "status 0x00 data D"

pkill -f iscsi-scstd
trap - EXIT
sleep 0.5
unload iscsi_scst
write_ok $P/groups/Default_$T2/devices "clear"
write_ok $P/scsi_tgt "del_group Default_$T2"
write_ok $P/vdisk/vdisk "close hnull"
unexport_disk hostile $T
unload scst_vdisk scst
exit 0
