"""A hand-made iSCSI initiator for the VM tests: raw PDUs over a socket,
so a test can send what no real initiator would (RFC 7143 layouts)."""
import socket
import struct

RESERVED = 0xFFFFFFFF


def _crc_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _crc_table()


def digest(data):
    """The CRC32C digest of `data` as it goes on the wire."""
    c = 0xFFFFFFFF
    for b in data:
        c = _TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return struct.pack("<I", c ^ 0xFFFFFFFF)


assert digest(b"123456789") == struct.pack("<I", 0xE3069283)


def pad(data):
    return data + b"\0" * (-len(data) % 4)


class Conn:
    """One connection of a normal session, logged in with `keys` (text
    keys offered in the operational stage)."""

    def __init__(self, target, initiator, isid, keys=(), port=3260, tsih=0):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.s.settimeout(10)
        self.isid = isid
        self.tsih = tsih
        self.hd = self.dd = False
        self.itt = 0
        self.cmd_sn = 1
        self.exp_stat_sn = 0
        sec = ["InitiatorName=" + initiator, "SessionType=Normal", "TargetName=" + target, "AuthMethod=None"]
        hdr, _ = self.login(0, 1, sec)
        hdr, data = self.login(1, 3, list(keys))
        assert hdr[1] & 0x83 == 0x83, ("no transit to full feature phase", hdr)
        answer = dict(kv.split("=", 1) for kv in data.decode().split("\0") if kv)
        self.hd = answer.get("HeaderDigest") == "CRC32C"
        self.dd = answer.get("DataDigest") == "CRC32C"
        self.answer = answer

    def next_itt(self):
        self.itt += 1
        return self.itt

    def login(self, csg, nsg, keys):
        data = b"".join(k.encode() + b"\0" for k in keys)
        bhs = bytearray(48)
        bhs[0] = 0x43
        bhs[1] = 0x80 | (csg << 2) | nsg
        bhs[8:14] = self.isid
        struct.pack_into(">H", bhs, 14, self.tsih)
        struct.pack_into(">IHHII", bhs, 16, self.next_itt(), 0, 0, self.cmd_sn, self.exp_stat_sn)
        self.send(bhs, data)
        hdr, data = self.recv()
        assert hdr[0] & 0x3F == 0x23 and hdr[36:38] == b"\0\0", ("login refused", hdr.hex())
        # The session's handle, once the target has given it.
        self.tsih = struct.unpack_from(">H", hdr, 14)[0]
        return hdr, data

    def send(self, bhs, data=b"", bad_header_digest=False, bad_data_digest=False, ahs=b""):
        """Sends a PDU (with additional header segments `ahs`, whole
        words); the data segment length is set from `data` unless the
        caller set one already."""
        bhs = bytearray(bhs)
        if bhs[5:8] == b"\0\0\0":
            bhs[5:8] = len(data).to_bytes(3, "big")
        bhs[4] = len(ahs) // 4
        out = bytes(bhs) + ahs
        if self.hd:
            d = digest(bytes(bhs) + ahs)
            out += bytes([d[0] ^ 0xFF]) + d[1:] if bad_header_digest else d
        out += pad(data)
        if self.dd and data:
            d = digest(pad(data))
            out += bytes([d[0] ^ 0xFF]) + d[1:] if bad_data_digest else d
        self.s.sendall(out)

    def _read(self, n):
        buf = b""
        while len(buf) < n:
            b = self.s.recv(n - len(buf))
            if not b:
                raise ConnectionError("closed by the target")
            buf += b
        return buf

    def recv(self):
        """The next PDU's header and data; StatSN bookkeeping."""
        hdr = self._read(48)
        self._read(hdr[4] * 4 + (4 if self.hd else 0))
        n = int.from_bytes(hdr[5:8], "big")
        data = self._read(n + -n % 4 + (4 if self.dd and n else 0))[:n]
        op = hdr[0] & 0x3F
        if op not in (0x25, 0x31) or (op == 0x25 and hdr[1] & 0x01):
            stat_sn = struct.unpack_from(">I", hdr, 24)[0]
            self.exp_stat_sn = max(self.exp_stat_sn, stat_sn + 1)
        return hdr, data

    def closed(self, seconds=10):
        """Whether the target closes the connection within `seconds`
        (PDUs meanwhile are read and dropped)."""
        self.s.settimeout(seconds)
        try:
            while True:
                self.recv()
        except (ConnectionError, OSError) as e:
            return not isinstance(e, socket.timeout)

    def nop_bhs(self, itt, immediate=True):
        bhs = bytearray(48)
        bhs[0] = 0x40 if immediate else 0x00
        bhs[1] = 0x80
        struct.pack_into(">IIII", bhs, 16, itt, RESERVED, self.cmd_sn, self.exp_stat_sn)
        return bhs

    def ping(self, data=b""):
        """A NOP-Out ping; True if its NOP-In comes back with the data."""
        itt = self.next_itt()
        self.send(self.nop_bhs(itt), data)
        hdr, back = self.wait_for(itt)
        return hdr[0] & 0x3F == 0x20 and back == data

    def wait_for(self, itt, seconds=10):
        """The next PDU for task `itt` (others are dropped)."""
        self.s.settimeout(seconds)
        while True:
            hdr, data = self.recv()
            if struct.unpack_from(">I", hdr, 16)[0] == itt or hdr[0] & 0x3F == 0x3F:
                return hdr, data

    def command_bhs(self, cdb, read=0, write=0, cmd_sn=None, attr=1):
        """A SCSI Command (LUN 0, a simple task unless `attr` says
        otherwise); consumes a CmdSN unless `cmd_sn` is given."""
        bhs = bytearray(48)
        bhs[0] = 0x01
        bhs[1] = 0x80 | (0x40 if read else 0) | (0x20 if write else 0) | attr
        if cmd_sn is None:
            cmd_sn = self.cmd_sn
            self.cmd_sn += 1
        struct.pack_into(">IIII", bhs, 16, self.next_itt(), read or write, cmd_sn, self.exp_stat_sn)
        bhs[32:32 + len(cdb)] = cdb
        return bhs

    def data_out_bhs(self, itt, offset, ttt=RESERVED, data_sn=0, final=True):
        bhs = bytearray(48)
        bhs[0] = 0x05
        bhs[1] = 0x80 if final else 0
        struct.pack_into(">II", bhs, 16, itt, ttt)
        struct.pack_into(">I", bhs, 28, self.exp_stat_sn)
        struct.pack_into(">II", bhs, 36, data_sn, offset)
        return bhs

    def abort_task_bhs(self, ref_itt, ref_cmd_sn):
        """An immediate ABORT TASK for task `ref_itt` (LUN 0)."""
        bhs = bytearray(48)
        bhs[0] = 0x40 | 0x02
        bhs[1] = 0x80 | 0x01
        struct.pack_into(">IIIII", bhs, 16, self.next_itt(), ref_itt, self.cmd_sn, self.exp_stat_sn, ref_cmd_sn)
        return bhs


def itt_of(bhs):
    return struct.unpack_from(">I", bhs, 16)[0]
