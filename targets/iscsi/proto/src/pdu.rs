// SPDX-License-Identifier: GPL-2.0

//! iSCSI PDUs (RFC 7143 section 11): the 48-byte Basic Header Segment of
//! every PDU, decoded for the PDUs an initiator sends and encoded for the
//! ones a target sends.  `no_std`, no allocation; shared by the kernel
//! module (full feature phase) and iscsi-scstd (login and discovery).
//!
//! A PDU on the wire: BHS, then `ahs_len` bytes of Additional Header
//! Segments, the header digest if negotiated, `data_len` bytes of data
//! padded to 4 bytes, and the data digest if negotiated.

/// Bytes of the Basic Header Segment.
pub const BHS_LEN: usize = 48;
/// Largest data segment length the 24-bit field can carry.
pub const MAX_DATA_LEN: u32 = (1 << 24) - 1;
/// The reserved tag: "no task" (ITT of unsolicited target PDUs, TTT of
/// PDUs that expect no answer).
pub const RESERVED_TAG: u32 = 0xffff_ffff;

/// The opcodes (byte 0, bits 0-5).
pub mod op {
    pub const NOP_OUT: u8 = 0x00;
    pub const SCSI_CMD: u8 = 0x01;
    pub const TASK_MGMT: u8 = 0x02;
    pub const LOGIN: u8 = 0x03;
    pub const TEXT: u8 = 0x04;
    pub const DATA_OUT: u8 = 0x05;
    pub const LOGOUT: u8 = 0x06;
    pub const SNACK: u8 = 0x10;
    pub const NOP_IN: u8 = 0x20;
    pub const SCSI_RSP: u8 = 0x21;
    pub const TASK_MGMT_RSP: u8 = 0x22;
    pub const LOGIN_RSP: u8 = 0x23;
    pub const TEXT_RSP: u8 = 0x24;
    pub const DATA_IN: u8 = 0x25;
    pub const LOGOUT_RSP: u8 = 0x26;
    pub const R2T: u8 = 0x31;
    pub const ASYNC: u8 = 0x32;
    pub const REJECT: u8 = 0x3f;
}

/// Reject reasons (RFC 7143 11.17.1).
pub mod reject {
    pub const DATA_DIGEST: u8 = 0x02;
    pub const SNACK: u8 = 0x03;
    pub const PROTOCOL_ERROR: u8 = 0x04;
    pub const NOT_SUPPORTED: u8 = 0x05;
    pub const IMMEDIATE_COMMAND: u8 = 0x06;
    pub const TASK_IN_PROGRESS: u8 = 0x07;
    pub const INVALID_DATA_ACK: u8 = 0x08;
    pub const INVALID_FIELD: u8 = 0x09;
    pub const OUT_OF_RESOURCES: u8 = 0x0a;
    pub const WAITING_FOR_LOGOUT: u8 = 0x0c;
}

/// Flags of byte 1.
pub const FINAL: u8 = 0x80;
/// SCSI Command: data from the target (read) / to the target (write).
pub const READ: u8 = 0x40;
pub const WRITE: u8 = 0x20;
/// Data-In: ACK requested; status in this PDU.
pub const ACK: u8 = 0x40;
pub const STATUS: u8 = 0x01;
/// SCSI Response / Data-In residual flags.
pub const BIDI_OVERFLOW: u8 = 0x10;
pub const BIDI_UNDERFLOW: u8 = 0x08;
pub const OVERFLOW: u8 = 0x04;
pub const UNDERFLOW: u8 = 0x02;
/// Login / Text: transit; continue.
pub const TRANSIT: u8 = 0x80;
pub const CONTINUE: u8 = 0x40;

/// A Basic Header Segment as it is on the wire.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Bhs(pub [u8; BHS_LEN]);

impl Default for Bhs {
    fn default() -> Self {
        Bhs([0; BHS_LEN])
    }
}

impl core::fmt::Debug for Bhs {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "Bhs(op {:#04x} itt {:#010x} len {})",
            self.opcode(),
            self.itt(),
            self.data_len()
        )
    }
}

impl Bhs {
    /// A BHS for `opcode` with all other fields zero.
    pub fn new(opcode: u8) -> Self {
        let mut b = Self::default();
        b.0[0] = opcode & 0x3f;
        b
    }

    pub fn opcode(&self) -> u8 {
        self.0[0] & 0x3f
    }

    /// The I bit: an immediate command (initiator PDUs).
    pub fn immediate(&self) -> bool {
        self.0[0] & 0x40 != 0
    }

    /// Byte 1: the final bit and opcode-specific flags.
    pub fn flags(&self) -> u8 {
        self.0[1]
    }

    /// Bytes of Additional Header Segments that follow.
    pub fn ahs_len(&self) -> usize {
        usize::from(self.0[4]) * 4
    }

    /// Bytes of data that follow (without padding).
    pub fn data_len(&self) -> u32 {
        u32::from_be_bytes([0, self.0[5], self.0[6], self.0[7]])
    }

    /// The data segment with its padding to 4 bytes.
    pub fn padded_data_len(&self) -> usize {
        pad4(self.data_len() as usize)
    }

    pub fn lun(&self) -> [u8; 8] {
        let mut l = [0; 8];
        l.copy_from_slice(&self.0[8..16]);
        l
    }

    /// Initiator Task Tag.
    pub fn itt(&self) -> u32 {
        self.be32(16)
    }

    /// The big-endian word at `off` (a multiple of 4 below 48).
    pub fn be32(&self, off: usize) -> u32 {
        let w = self.0.get(off..off + 4).unwrap_or(&[0; 4]);
        u32::from_be_bytes([w[0], w[1], w[2], w[3]])
    }

    pub fn be16(&self, off: usize) -> u16 {
        let w = self.0.get(off..off + 2).unwrap_or(&[0; 2]);
        u16::from_be_bytes([w[0], w[1]])
    }

    pub fn set_be32(&mut self, off: usize, v: u32) {
        if let Some(w) = self.0.get_mut(off..off + 4) {
            w.copy_from_slice(&v.to_be_bytes());
        }
    }

    pub fn set_be16(&mut self, off: usize, v: u16) {
        if let Some(w) = self.0.get_mut(off..off + 2) {
            w.copy_from_slice(&v.to_be_bytes());
        }
    }

    pub fn set_flags(&mut self, f: u8) {
        self.0[1] = f;
    }

    pub fn set_data_len(&mut self, len: u32) {
        let b = len.min(MAX_DATA_LEN).to_be_bytes();
        self.0[5..8].copy_from_slice(&b[1..]);
    }

    pub fn set_lun(&mut self, lun: &[u8; 8]) {
        self.0[8..16].copy_from_slice(lun);
    }

    pub fn set_itt(&mut self, itt: u32) {
        self.set_be32(16, itt);
    }

    /// StatSN, ExpCmdSN and MaxCmdSN: the same place in every target PDU.
    pub fn set_sn(&mut self, stat_sn: u32, exp_cmd_sn: u32, max_cmd_sn: u32) {
        self.set_be32(24, stat_sn);
        self.set_be32(28, exp_cmd_sn);
        self.set_be32(32, max_cmd_sn);
    }
}

/// `n` rounded up to a multiple of 4.
pub const fn pad4(n: usize) -> usize {
    (n + 3) & !3
}

/// Serial number arithmetic (RFC 1982, 32 bits): `a` comes before `b`.
pub fn sn_lt(a: u32, b: u32) -> bool {
    a != b && b.wrapping_sub(a) < 1 << 31
}

/// `a` comes before `b` or is `b`.
pub fn sn_le(a: u32, b: u32) -> bool {
    a == b || sn_lt(a, b)
}

/// Where a non-immediate PDU's CmdSN stands against the command window
/// `exp..=max` (RFC 7143 3.2.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmdSnOrder {
    /// Its turn: delivered now.
    Now,
    /// In the window after a gap: held until the commands before it came.
    Hold,
    /// Outside the window (old, or beyond MaxCmdSN): silently ignored.
    Ignore,
}

/// The order of CmdSN `sn` when `exp` is expected and `max` is the
/// highest MaxCmdSN the initiator was given.
pub fn cmd_sn_order(sn: u32, exp: u32, max: u32) -> CmdSnOrder {
    if sn_lt(sn, exp) || sn_lt(max, sn) {
        CmdSnOrder::Ignore
    } else if sn == exp {
        CmdSnOrder::Now
    } else {
        CmdSnOrder::Hold
    }
}

/// Why an incoming BHS is refused: the Reject reason to send back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused(pub u8);

/// A SCSI Command PDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScsiCmd {
    pub immediate: bool,
    /// No unsolicited Data-Out follows.
    pub final_: bool,
    pub read: bool,
    pub write: bool,
    /// Task attribute (0 untagged, 1 simple, 2 ordered, 3 head of queue, 4 ACA).
    pub attr: u8,
    pub lun: [u8; 8],
    pub itt: u32,
    pub expected_len: u32,
    pub cmd_sn: u32,
    pub exp_stat_sn: u32,
    /// The first 16 bytes of the CDB (an extended CDB comes in an AHS).
    pub cdb: [u8; 16],
}

/// A Data-Out PDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataOut {
    pub final_: bool,
    pub lun: [u8; 8],
    pub itt: u32,
    pub ttt: u32,
    pub exp_stat_sn: u32,
    pub data_sn: u32,
    pub offset: u32,
}

/// A NOP-Out PDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NopOut {
    pub immediate: bool,
    pub lun: [u8; 8],
    /// RESERVED_TAG when the initiator wants no answer.
    pub itt: u32,
    /// Not RESERVED_TAG when this answers our NOP-In.
    pub ttt: u32,
    pub cmd_sn: u32,
    pub exp_stat_sn: u32,
}

/// Task management functions (RFC 7143 11.5.1).
pub mod tmf {
    pub const ABORT_TASK: u8 = 1;
    pub const ABORT_TASK_SET: u8 = 2;
    pub const CLEAR_ACA: u8 = 3;
    pub const CLEAR_TASK_SET: u8 = 4;
    pub const LOGICAL_UNIT_RESET: u8 = 5;
    pub const TARGET_WARM_RESET: u8 = 6;
    pub const TARGET_COLD_RESET: u8 = 7;
    pub const TASK_REASSIGN: u8 = 8;
}

/// Task management responses (RFC 7143 11.6.1).
pub mod tmf_rsp {
    pub const COMPLETE: u8 = 0;
    pub const NO_TASK: u8 = 1;
    pub const NO_LUN: u8 = 2;
    pub const STILL_ALLEGIANT: u8 = 3;
    pub const NO_REASSIGN: u8 = 4;
    pub const NOT_SUPPORTED: u8 = 5;
    pub const NOT_AUTHORIZED: u8 = 6;
    pub const REJECTED: u8 = 255;
}

/// A Task Management Function Request PDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskMgmt {
    pub immediate: bool,
    pub function: u8,
    pub lun: [u8; 8],
    pub itt: u32,
    pub ref_itt: u32,
    pub cmd_sn: u32,
    pub exp_stat_sn: u32,
    pub ref_cmd_sn: u32,
}

/// Login stages (CSG/NSG).
pub mod stage {
    pub const SECURITY: u8 = 0;
    pub const OPERATIONAL: u8 = 1;
    pub const FULL_FEATURE: u8 = 3;
}

/// A Login Request PDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginReq {
    pub transit: bool,
    pub continue_: bool,
    pub csg: u8,
    pub nsg: u8,
    pub version_max: u8,
    pub version_min: u8,
    pub isid: [u8; 6],
    pub tsih: u16,
    pub itt: u32,
    pub cid: u16,
    pub cmd_sn: u32,
    pub exp_stat_sn: u32,
}

/// A Text Request PDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextReq {
    pub immediate: bool,
    pub final_: bool,
    pub continue_: bool,
    pub lun: [u8; 8],
    pub itt: u32,
    pub ttt: u32,
    pub cmd_sn: u32,
    pub exp_stat_sn: u32,
}

/// Logout reasons (RFC 7143 11.14.1).
pub mod logout {
    pub const CLOSE_SESSION: u8 = 0;
    pub const CLOSE_CONNECTION: u8 = 1;
    pub const REMOVE_FOR_RECOVERY: u8 = 2;
}

/// A Logout Request PDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogoutReq {
    pub immediate: bool,
    pub reason: u8,
    pub itt: u32,
    pub cid: u16,
    pub cmd_sn: u32,
    pub exp_stat_sn: u32,
}

/// A SNACK Request PDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snack {
    pub kind: u8,
    pub itt: u32,
    pub ttt: u32,
    pub exp_stat_sn: u32,
    pub beg_run: u32,
    pub run_length: u32,
}

/// A PDU from an initiator, its BHS decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    NopOut(NopOut),
    ScsiCmd(ScsiCmd),
    TaskMgmt(TaskMgmt),
    Login(LoginReq),
    Text(TextReq),
    DataOut(DataOut),
    Logout(LogoutReq),
    Snack(Snack),
}

impl Request {
    /// Decodes an initiator's BHS.  Checks what the header alone can
    /// show; sequence numbers, tags and lengths against negotiated limits
    /// are the connection's business.
    pub fn decode(b: &Bhs) -> Result<Request, Refused> {
        let f = b.flags();
        let imm = b.immediate();
        let fin = f & FINAL != 0;
        let r = match b.opcode() {
            op::NOP_OUT => {
                if !fin {
                    return Err(Refused(reject::PROTOCOL_ERROR));
                }
                Request::NopOut(NopOut {
                    immediate: imm,
                    lun: b.lun(),
                    itt: b.itt(),
                    ttt: b.be32(20),
                    cmd_sn: b.be32(24),
                    exp_stat_sn: b.be32(28),
                })
            }
            op::SCSI_CMD => {
                let mut cdb = [0; 16];
                cdb.copy_from_slice(&b.0[32..48]);
                let c = ScsiCmd {
                    immediate: imm,
                    final_: fin,
                    read: f & READ != 0,
                    write: f & WRITE != 0,
                    attr: f & 0x07,
                    lun: b.lun(),
                    itt: b.itt(),
                    expected_len: b.be32(20),
                    cmd_sn: b.be32(24),
                    exp_stat_sn: b.be32(28),
                    cdb,
                };
                // Data with the command only for writes; no R/W bit with a
                // non-zero length is undefined (RFC 7143 11.3.1).
                if (b.data_len() > 0 && !c.write)
                    || (c.expected_len > 0 && !c.read && !c.write)
                    || b.itt() == RESERVED_TAG
                {
                    return Err(Refused(reject::PROTOCOL_ERROR));
                }
                Request::ScsiCmd(c)
            }
            op::TASK_MGMT => {
                if !fin || b.itt() == RESERVED_TAG {
                    return Err(Refused(reject::PROTOCOL_ERROR));
                }
                Request::TaskMgmt(TaskMgmt {
                    immediate: imm,
                    function: f & 0x7f,
                    lun: b.lun(),
                    itt: b.itt(),
                    ref_itt: b.be32(20),
                    cmd_sn: b.be32(24),
                    exp_stat_sn: b.be32(28),
                    ref_cmd_sn: b.be32(32),
                })
            }
            op::LOGIN => {
                let mut isid = [0; 6];
                isid.copy_from_slice(&b.0[8..14]);
                Request::Login(LoginReq {
                    transit: f & TRANSIT != 0,
                    continue_: f & CONTINUE != 0,
                    csg: (f >> 2) & 3,
                    nsg: f & 3,
                    version_max: b.0[2],
                    version_min: b.0[3],
                    isid,
                    tsih: b.be16(14),
                    itt: b.itt(),
                    cid: b.be16(20),
                    cmd_sn: b.be32(24),
                    exp_stat_sn: b.be32(28),
                })
            }
            op::TEXT => {
                let t = TextReq {
                    immediate: imm,
                    final_: fin,
                    continue_: f & CONTINUE != 0,
                    lun: b.lun(),
                    itt: b.itt(),
                    ttt: b.be32(20),
                    cmd_sn: b.be32(24),
                    exp_stat_sn: b.be32(28),
                };
                // F and C together are a protocol error (RFC 7143 11.10.2).
                if (t.final_ && t.continue_) || t.itt == RESERVED_TAG {
                    return Err(Refused(reject::PROTOCOL_ERROR));
                }
                Request::Text(t)
            }
            op::DATA_OUT => Request::DataOut(DataOut {
                final_: fin,
                lun: b.lun(),
                itt: b.itt(),
                ttt: b.be32(20),
                exp_stat_sn: b.be32(28),
                data_sn: b.be32(36),
                offset: b.be32(40),
            }),
            op::LOGOUT => {
                if !fin {
                    return Err(Refused(reject::PROTOCOL_ERROR));
                }
                Request::Logout(LogoutReq {
                    immediate: imm,
                    reason: f & 0x7f,
                    itt: b.itt(),
                    cid: b.be16(20),
                    cmd_sn: b.be32(24),
                    exp_stat_sn: b.be32(28),
                })
            }
            op::SNACK => Request::Snack(Snack {
                kind: f & 0x0f,
                itt: b.itt(),
                ttt: b.be32(20),
                exp_stat_sn: b.be32(28),
                beg_run: b.be32(36),
                run_length: b.be32(40),
            }),
            _ => return Err(Refused(reject::NOT_SUPPORTED)),
        };
        Ok(r)
    }

    /// CmdSN of a PDU that carries one (not Data-Out or SNACK).
    pub fn cmd_sn(&self) -> Option<u32> {
        match self {
            Request::NopOut(p) => Some(p.cmd_sn),
            Request::ScsiCmd(p) => Some(p.cmd_sn),
            Request::TaskMgmt(p) => Some(p.cmd_sn),
            Request::Login(p) => Some(p.cmd_sn),
            Request::Text(p) => Some(p.cmd_sn),
            Request::Logout(p) => Some(p.cmd_sn),
            Request::DataOut(_) | Request::Snack(_) => None,
        }
    }

    /// Whether the I bit is set (immediate delivery, no CmdSN advance).
    pub fn immediate(&self) -> bool {
        match self {
            Request::NopOut(p) => p.immediate,
            Request::ScsiCmd(p) => p.immediate,
            Request::TaskMgmt(p) => p.immediate,
            Request::Text(p) => p.immediate,
            Request::Logout(p) => p.immediate,
            Request::Login(_) => true,
            Request::DataOut(_) | Request::Snack(_) => false,
        }
    }
}

// Target PDUs.  Each builder fills everything but the sequence numbers,
// which the connection sets with `Bhs::set_sn` as it sends.

/// A SCSI Response.  `data_len` is the sense segment's length (2 + sense).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScsiRsp {
    pub itt: u32,
    /// 0: command completed at target; 1: target failure.
    pub response: u8,
    pub status: u8,
    /// OVERFLOW or UNDERFLOW (or neither) and the residual count.
    pub residual_flag: u8,
    pub residual: u32,
    pub exp_data_sn: u32,
    pub data_len: u32,
}

impl ScsiRsp {
    pub fn encode(&self) -> Bhs {
        let mut b = Bhs::new(op::SCSI_RSP);
        b.set_flags(FINAL | (self.residual_flag & (OVERFLOW | UNDERFLOW)));
        b.0[2] = self.response;
        b.0[3] = self.status;
        b.set_data_len(self.data_len);
        b.set_itt(self.itt);
        b.set_be32(36, self.exp_data_sn);
        if self.residual_flag & (OVERFLOW | UNDERFLOW) != 0 {
            b.set_be32(44, self.residual);
        }
        b
    }
}

/// A Data-In PDU; with `status` it is the command's last and carries its
/// status (no SCSI Response follows).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DataIn {
    pub final_: bool,
    pub status: Option<u8>,
    pub residual_flag: u8,
    pub residual: u32,
    pub lun: [u8; 8],
    pub itt: u32,
    pub data_sn: u32,
    pub offset: u32,
    pub data_len: u32,
}

impl DataIn {
    pub fn encode(&self) -> Bhs {
        let mut b = Bhs::new(op::DATA_IN);
        let mut f = if self.final_ { FINAL } else { 0 };
        if let Some(s) = self.status {
            f |= FINAL | STATUS | (self.residual_flag & (OVERFLOW | UNDERFLOW));
            b.0[3] = s;
            if self.residual_flag & (OVERFLOW | UNDERFLOW) != 0 {
                b.set_be32(44, self.residual);
            }
        }
        b.set_flags(f);
        b.set_data_len(self.data_len);
        b.set_lun(&self.lun);
        b.set_itt(self.itt);
        b.set_be32(20, RESERVED_TAG);
        b.set_be32(36, self.data_sn);
        b.set_be32(40, self.offset);
        b
    }
}

/// A Ready To Transfer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct R2t {
    pub lun: [u8; 8],
    pub itt: u32,
    pub ttt: u32,
    pub r2t_sn: u32,
    pub offset: u32,
    pub length: u32,
}

impl R2t {
    pub fn encode(&self) -> Bhs {
        let mut b = Bhs::new(op::R2T);
        b.set_flags(FINAL);
        b.set_lun(&self.lun);
        b.set_itt(self.itt);
        b.set_be32(20, self.ttt);
        b.set_be32(36, self.r2t_sn);
        b.set_be32(40, self.offset);
        b.set_be32(44, self.length);
        b
    }
}

/// A NOP-In: an answer to a NOP-Out (`itt` its ITT, `ttt` reserved) or a
/// ping of our own (`itt` reserved, `ttt` ours).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NopIn {
    pub lun: [u8; 8],
    pub itt: u32,
    pub ttt: u32,
    pub data_len: u32,
}

impl NopIn {
    pub fn encode(&self) -> Bhs {
        let mut b = Bhs::new(op::NOP_IN);
        b.set_flags(FINAL);
        b.set_data_len(self.data_len);
        b.set_lun(&self.lun);
        b.set_itt(self.itt);
        b.set_be32(20, self.ttt);
        b
    }
}

/// A Task Management Function Response.
pub fn task_mgmt_rsp(itt: u32, response: u8) -> Bhs {
    let mut b = Bhs::new(op::TASK_MGMT_RSP);
    b.set_flags(FINAL);
    b.0[2] = response;
    b.set_itt(itt);
    b
}

/// Login status classes and details (RFC 7143 11.13.5), as class << 8 |
/// detail.
pub mod login_status {
    pub const SUCCESS: u16 = 0x0000;
    pub const INITIATOR_ERROR: u16 = 0x0200;
    pub const AUTH_FAILED: u16 = 0x0201;
    pub const FORBIDDEN: u16 = 0x0202;
    pub const NOT_FOUND: u16 = 0x0203;
    pub const TARGET_REMOVED: u16 = 0x0204;
    pub const UNSUPPORTED_VERSION: u16 = 0x0205;
    pub const TOO_MANY_CONNECTIONS: u16 = 0x0206;
    pub const MISSING_PARAMETER: u16 = 0x0207;
    pub const CANT_INCLUDE: u16 = 0x0208;
    pub const SESSION_TYPE_UNSUPPORTED: u16 = 0x0209;
    pub const NO_SESSION: u16 = 0x020a;
    pub const INVALID_DURING_LOGIN: u16 = 0x020b;
    pub const TARGET_ERROR: u16 = 0x0300;
    pub const SERVICE_UNAVAILABLE: u16 = 0x0301;
    pub const OUT_OF_RESOURCES: u16 = 0x0302;
}

/// A Login Response.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoginRsp {
    pub transit: bool,
    pub continue_: bool,
    pub csg: u8,
    pub nsg: u8,
    pub version_active: u8,
    pub isid: [u8; 6],
    pub tsih: u16,
    pub itt: u32,
    pub status: u16,
    pub data_len: u32,
}

impl LoginRsp {
    pub fn encode(&self) -> Bhs {
        let mut b = Bhs::new(op::LOGIN_RSP);
        let mut f = (self.csg & 3) << 2;
        if self.transit {
            f |= TRANSIT | (self.nsg & 3);
        }
        if self.continue_ {
            f |= CONTINUE;
        }
        b.set_flags(f);
        // Version-max and Version-active: iSCSI has one version, 0.
        b.0[2] = 0;
        b.0[3] = self.version_active;
        b.set_data_len(self.data_len);
        b.0[8..14].copy_from_slice(&self.isid);
        b.set_be16(14, self.tsih);
        b.set_itt(self.itt);
        b.set_be16(36, self.status);
        b
    }
}

/// A Text Response.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TextRsp {
    pub final_: bool,
    pub continue_: bool,
    pub lun: [u8; 8],
    pub itt: u32,
    pub ttt: u32,
    pub data_len: u32,
}

impl TextRsp {
    pub fn encode(&self) -> Bhs {
        let mut b = Bhs::new(op::TEXT_RSP);
        b.set_flags(
            if self.final_ { FINAL } else { 0 } | if self.continue_ { CONTINUE } else { 0 },
        );
        b.set_data_len(self.data_len);
        b.set_lun(&self.lun);
        b.set_itt(self.itt);
        b.set_be32(20, self.ttt);
        b
    }
}

/// Whether Additional Header Segments (RFC 7143 11.2.2) carry an
/// Extended CDB (type 1): CDBs longer than 16 bytes. Segments that run
/// past the end stop the walk.
pub fn has_extended_cdb(ahs: &[u8]) -> bool {
    let mut rest = ahs;
    while let (Some(len), Some(&kind)) = (rest.get(0..2), rest.get(2)) {
        if kind == 1 {
            return true;
        }
        // AHSLength counts from the segment's fourth byte (11.2.2.1):
        // the segment takes 3 + AHSLength bytes, padded to 4.
        let n = pad4(3 + usize::from(u16::from_be_bytes([len[0], len[1]])));
        rest = rest.get(n..).unwrap_or(&[]);
    }
    false
}

/// A Logout Response (`response` 0: closed; 1: CID not found; 2: recovery
/// not supported; 3: cleanup failed).
pub fn logout_rsp(itt: u32, response: u8, time2wait: u16, time2retain: u16) -> Bhs {
    let mut b = Bhs::new(op::LOGOUT_RSP);
    b.set_flags(FINAL);
    b.0[2] = response;
    b.set_itt(itt);
    b.set_be16(40, time2wait);
    b.set_be16(42, time2retain);
    b
}

/// Async events (RFC 7143 11.9.1).
pub mod async_event {
    pub const SCSI: u8 = 0;
    pub const LOGOUT_REQUEST: u8 = 1;
    pub const DROP_CONNECTION: u8 = 2;
    pub const DROP_ALL_CONNECTIONS: u8 = 3;
    pub const RENEGOTIATE: u8 = 4;
}

/// An Asynchronous Message; for LOGOUT_REQUEST `param3` is the time (s)
/// the initiator has to log out.
pub fn async_msg(event: u8, param1: u16, param2: u16, param3: u16) -> Bhs {
    let mut b = Bhs::new(op::ASYNC);
    b.set_flags(FINAL);
    b.set_itt(RESERVED_TAG);
    b.0[36] = event;
    b.set_be16(38, param1);
    b.set_be16(40, param2);
    b.set_be16(42, param3);
    b
}

/// A Reject; its data segment is the rejected PDU's BHS.
pub fn reject(reason: u8) -> Bhs {
    let mut b = Bhs::new(op::REJECT);
    b.set_flags(FINAL);
    b.0[2] = reason;
    b.set_data_len(BHS_LEN as u32);
    b.set_itt(RESERVED_TAG);
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_extended_cdbs() {
        // A bidirectional-length AHS (type 2, 5 bytes), then an extended
        // CDB (type 1, AHSLength 17: a reserved byte and the CDB's 16
        // bytes beyond the BHS's 16, 20 bytes in all).
        let mut ahs = vec![0, 5, 2, 0, 0, 0, 0, 0];
        ahs.extend_from_slice(&[0, 17, 1, 0]);
        ahs.extend_from_slice(&[0; 16]);
        assert_eq!(ahs.len(), 8 + pad4(3 + 17));
        assert!(has_extended_cdb(&ahs));
        assert!(!has_extended_cdb(&ahs[..8]));
        assert!(!has_extended_cdb(&[]) && !has_extended_cdb(&[0, 200, 2]));
        assert!(!has_extended_cdb(&[0, 0xff, 2, 0, 1]));
    }

    fn bhs(bytes: &[(usize, u8)]) -> Bhs {
        let mut b = Bhs::default();
        for &(i, v) in bytes {
            b.0[i] = v;
        }
        b
    }

    #[test]
    fn scsi_command_decodes() {
        // READ(10) LBA 0x1234, 8 blocks, simple, ITT 7, CmdSN 9.
        let mut b = bhs(&[
            (0, 0x01),
            (1, 0xc1),
            (9, 3),
            (19, 7),
            (22, 0x10),
            (27, 9),
            (31, 2),
        ]);
        b.0[32..42].copy_from_slice(&[0x28, 0, 0, 0, 0x12, 0x34, 0, 0, 8, 0]);
        let Ok(Request::ScsiCmd(c)) = Request::decode(&b) else {
            panic!("{:?}", Request::decode(&b))
        };
        assert!(c.final_ && c.read && !c.write && !c.immediate);
        assert_eq!(
            (c.attr, c.itt, c.expected_len, c.cmd_sn, c.exp_stat_sn),
            (1, 7, 4096, 9, 2)
        );
        assert_eq!(c.lun[1], 3);
        assert_eq!(&c.cdb[..10], &[0x28, 0, 0, 0, 0x12, 0x34, 0, 0, 8, 0]);
    }

    #[test]
    fn refused_headers() {
        // Unknown opcode.
        assert_eq!(
            Request::decode(&bhs(&[(0, 0x1f)])),
            Err(Refused(reject::NOT_SUPPORTED))
        );
        // A target opcode from an initiator.
        assert_eq!(
            Request::decode(&bhs(&[(0, op::SCSI_RSP)])),
            Err(Refused(reject::NOT_SUPPORTED))
        );
        // Immediate data on a read-only command.
        assert_eq!(
            Request::decode(&bhs(&[(0, 1), (1, 0xc0), (7, 4)])),
            Err(Refused(reject::PROTOCOL_ERROR))
        );
        // Expected length without R or W.
        assert_eq!(
            Request::decode(&bhs(&[(0, 1), (1, 0x80), (23, 1)])),
            Err(Refused(reject::PROTOCOL_ERROR))
        );
        // Text with F and C.
        assert_eq!(
            Request::decode(&bhs(&[(0, 4), (1, 0xc0)])),
            Err(Refused(reject::PROTOCOL_ERROR))
        );
        // NOP-Out without F.
        assert_eq!(
            Request::decode(&bhs(&[(0, 0x40)])),
            Err(Refused(reject::PROTOCOL_ERROR))
        );
    }

    #[test]
    fn login_decodes() {
        let mut b = bhs(&[(0, 0x43), (1, 0x87), (8, 0x80), (13, 1), (21, 2)]);
        b.set_be32(16, 0xabcd);
        let Ok(Request::Login(l)) = Request::decode(&b) else {
            panic!()
        };
        assert!(l.transit && !l.continue_);
        assert_eq!((l.csg, l.nsg, l.cid, l.itt), (1, 3, 2, 0xabcd));
        assert_eq!(l.isid, [0x80, 0, 0, 0, 0, 1]);
    }

    #[test]
    fn lengths() {
        let mut b = Bhs::new(op::TEXT);
        b.set_data_len(5);
        b.0[4] = 2;
        assert_eq!((b.data_len(), b.padded_data_len(), b.ahs_len()), (5, 8, 8));
        b.set_data_len(u32::MAX);
        assert_eq!(b.data_len(), MAX_DATA_LEN);
    }

    #[test]
    fn responses_encode() {
        let r = ScsiRsp {
            itt: 5,
            status: 2,
            residual_flag: UNDERFLOW,
            residual: 512,
            data_len: 20,
            ..Default::default()
        };
        let mut b = r.encode();
        b.set_sn(1, 2, 33);
        assert_eq!(&b.0[..8], &[0x21, 0x82, 0, 2, 0, 0, 0, 20]);
        assert_eq!(
            (b.itt(), b.be32(24), b.be32(28), b.be32(32), b.be32(44)),
            (5, 1, 2, 33, 512)
        );

        let d = DataIn {
            status: Some(0),
            itt: 9,
            data_sn: 3,
            offset: 8192,
            data_len: 4096,
            ..Default::default()
        };
        let b = d.encode();
        assert_eq!(b.flags(), FINAL | STATUS);
        assert_eq!(
            (b.be32(20), b.be32(36), b.be32(40), b.data_len()),
            (RESERVED_TAG, 3, 8192, 4096)
        );
        assert_eq!(
            DataIn {
                data_len: 1,
                ..Default::default()
            }
            .encode()
            .flags(),
            0
        );

        let l = LoginRsp {
            transit: true,
            csg: 1,
            nsg: 3,
            status: login_status::AUTH_FAILED,
            tsih: 7,
            ..Default::default()
        }
        .encode();
        assert_eq!((l.flags(), l.be16(14), l.0[36], l.0[37]), (0x87, 7, 2, 1));

        let j = reject(reject::INVALID_FIELD);
        assert_eq!(
            (j.0[0], j.0[2], j.data_len(), j.itt()),
            (0x3f, 9, 48, RESERVED_TAG)
        );
    }

    #[test]
    fn serial_numbers() {
        assert!(sn_lt(1, 2) && !sn_lt(2, 1) && !sn_lt(3, 3));
        assert!(sn_lt(u32::MAX, 0) && sn_lt(0xffff_fff0, 5));
        assert!(sn_le(7, 7) && sn_le(u32::MAX, 1) && !sn_le(1, u32::MAX));
        use CmdSnOrder::*;
        assert_eq!(cmd_sn_order(5, 5, 36), Now);
        assert_eq!(cmd_sn_order(6, 5, 36), Hold);
        assert_eq!(cmd_sn_order(36, 5, 36), Hold);
        assert_eq!(cmd_sn_order(37, 5, 36), Ignore);
        assert_eq!(cmd_sn_order(4, 5, 36), Ignore);
        // A closed window (MaxCmdSN = ExpCmdSN - 1) takes nothing.
        assert_eq!(cmd_sn_order(5, 5, 4), Ignore);
        // Across the wrap.
        assert_eq!(cmd_sn_order(1, u32::MAX, 20), Hold);
        assert_eq!(cmd_sn_order(u32::MAX, u32::MAX, 20), Now);
    }
}
