// SPDX-License-Identifier: GPL-2.0

//! The SCSI CDB decoding table: for each command an initiator sends, its
//! name, data direction and transfer length in bytes, per peripheral device
//! type.  `no_std`, no allocation, host-tested.
//!
//! Sources are the T10 command sets: SPC-4 (all device types), SBC-3
//! (direct access, write-once, optical memory, RBC), SSC-3 (tape), MMC-5
//! (CD/DVD), SMC-3 (medium changer), plus the SPC-2 processor SEND and
//! RECEIVE.  One opcode can mean different commands on different device
//! types (0x01 REWIND on tape is REZERO UNIT on a disk), so every entry
//! carries a mask of the device types it applies to, and entries of one
//! opcode never overlap unless they are told apart by a service action.
//!
//! Lengths are in bytes: block counts are multiplied by the caller's block
//! size, allocation and parameter list lengths are taken as they are.  The
//! length is what the CDB asks for; capping a data-in transfer to what the
//! device has is the device handler's business.

use core::fmt;

/// Which way the data of a command flows, seen from the initiator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// No data phase.
    None,
    /// Data-in: from the target to the initiator.
    Read,
    /// Data-out: from the initiator to the target.
    Write,
    /// Both ways; `transfer_len` bytes each way (XDWRITEREAD).
    Bidi,
}

/// A decoded CDB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decoded {
    /// Operation code, byte 0 of the CDB.
    pub opcode: u8,
    /// Command name as T10 spells it, e.g. "READ(10)".
    pub name: &'static str,
    /// Data direction.  [`Direction::None`] whenever the length is zero.
    pub direction: Direction,
    /// Bytes to transfer; 0 when nothing moves or when [`UNKNOWN_LENGTH`]
    /// is set.
    pub transfer_len: u64,
    /// Bitwise OR of the flag constants of this module.
    pub flags: u32,
}

/// Why a CDB could not be decoded.  Each maps to CHECK CONDITION, ILLEGAL
/// REQUEST: `UnknownOpcode` and `WrongDeviceType` to INVALID COMMAND
/// OPERATION CODE, the others to INVALID FIELD IN CDB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    /// The CDB has no bytes.
    Empty,
    /// No device type knows this opcode.
    UnknownOpcode(u8),
    /// The opcode exists, but not for this peripheral device type.
    WrongDeviceType {
        /// Operation code.
        opcode: u8,
        /// Peripheral device type of the logical unit.
        dev_type: u8,
    },
    /// The CDB is shorter than its group code says.
    TooShort {
        /// Operation code.
        opcode: u8,
        /// Bytes the CDB should have.
        need: usize,
        /// Bytes it has.
        got: usize,
    },
    /// A CDB field is invalid; the position suits the sense-key specific
    /// field pointer (`bit` is the field's most significant bit).
    InvalidField {
        /// Byte offset in the CDB.
        byte: usize,
        /// Bit in that byte, if the field does not start on a byte.
        bit: Option<u8>,
    },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => write!(f, "empty CDB"),
            Self::UnknownOpcode(op) => write!(f, "unknown opcode 0x{op:02x}"),
            Self::WrongDeviceType { opcode, dev_type } => {
                write!(
                    f,
                    "opcode 0x{opcode:02x} not valid for device type 0x{dev_type:02x}"
                )
            }
            Self::TooShort { opcode, need, got } => {
                write!(
                    f,
                    "CDB of opcode 0x{opcode:02x} has {got} bytes, needs {need}"
                )
            }
            Self::InvalidField {
                byte,
                bit: Some(bit),
            } => {
                write!(f, "invalid field in CDB at byte {byte} bit {bit}")
            }
            Self::InvalidField { byte, bit: None } => {
                write!(f, "invalid field in CDB at byte {byte}")
            }
        }
    }
}

/// The command writes to the medium (refuse it on a read-only LUN).
pub const WRITE_MEDIUM: u32 = 1 << 0;
/// SPC-2 lets the command through while another initiator holds a
/// RESERVE(6)/(10) reservation: INQUIRY, REQUEST SENSE, REPORT LUNS,
/// RELEASE (which then does nothing), PREVENT ALLOW MEDIUM REMOVAL with
/// PREVENT zero.
pub const RESERVE_ALLOWED: u32 = 1 << 1;
/// The core answers the command itself instead of the device handler.
pub const LOCAL: u32 = 1 << 2;
/// The FUA (force unit access) bit is set in this CDB.
pub const FUA: u32 = 1 << 3;
/// The length is not in the CDB; take it from the transport's expected
/// data transfer length.  `direction` still says which way data flows.
pub const UNKNOWN_LENGTH: u32 = 1 << 4;
/// A pending unit attention does not fail the command (SAM: INQUIRY,
/// REPORT LUNS, REQUEST SENSE).
pub const SKIP_UA: u32 = 1 << 5;
/// The command may take minutes (medium movement, formatting, erasing).
pub const LONG_TIMEOUT: u32 = 1 << 6;
/// The data-out is exactly the CDB's length or the command is invalid
/// (WRITE SAME's one block, COMPARE AND WRITE's two halves): an initiator
/// expecting to send more or less gets INVALID FIELD IN CDB.
pub const EXACT_LENGTH: u32 = 1 << 7;
/// The command changes the device's state without writing its medium:
/// mode and log pages, firmware and buffers, security, diagnostics,
/// attributes, identifying information, the clock, copies onto other
/// devices.  Refused on a read-only LUN like [`WRITE_MEDIUM`].  Medium
/// movement (START STOP UNIT, PREVENT ALLOW MEDIUM REMOVAL, MOVE MEDIUM)
/// and reservations are not state of that kind: a read-only LUN may eject
/// its medium and be reserved.
pub const CHANGES_STATE: u32 = 1 << 8;

/// Whether a command with `flags` is refused on a read-only LUN (DATA
/// PROTECT, WRITE PROTECTED).
pub fn refused_read_only(flags: u32) -> bool {
    flags & (WRITE_MEDIUM | CHANGES_STATE) != 0
}

// Table-only markers, replaced in `decode` by what the CDB says.
/// Byte 1 bit 3 is FUA.
const HAS_FUA: u32 = 1 << 30;
/// [`RESERVE_ALLOWED`] when the PREVENT field (byte 4 bits 1..0) is zero.
const IF_NOT_PREVENT: u32 = 1 << 31;
const MARKERS: u32 = HAS_FUA | IF_NOT_PREVENT;

/// Peripheral device types (`scst_rs::scsi::device_type`), as the table
/// names them.
pub use crate::scst_rs::scsi::device_type::{
    CDROM as TYPE_CDROM, CHANGER as TYPE_CHANGER, DISK as TYPE_DISK, OPTICAL as TYPE_OPTICAL,
    PROCESSOR as TYPE_PROCESSOR, RBC as TYPE_RBC, TAPE as TYPE_TAPE, WORM as TYPE_WORM,
};

const fn bit(t: u8) -> u32 {
    1 << t
}

/// SPC commands: every device type.
const ALL: u32 = u32::MAX;
/// SBC block devices.
const SBC: u32 = bit(TYPE_DISK) | bit(TYPE_WORM) | bit(TYPE_OPTICAL) | bit(TYPE_RBC);
const MMC: u32 = bit(TYPE_CDROM);
const SBC_MMC: u32 = SBC | MMC;
const SSC: u32 = bit(TYPE_TAPE);
const SMC: u32 = bit(TYPE_CHANGER);
const PROCESSOR: u32 = bit(TYPE_PROCESSOR);
/// Device types with removable media.
const REMOVABLE: u32 = SBC_MMC | SSC | SMC;

/// How an entry's transfer length is found.  Offsets and widths are in
/// bytes; fields are big-endian.
#[derive(Clone, Copy)]
enum Len {
    /// No data phase.
    NoData,
    /// Always this many bytes.
    Fixed(u32),
    /// A byte count (allocation or parameter list length).
    Bytes(u8, u8),
    /// A logical block count.
    Blocks(u8, u8),
    /// SBC READ(6)/WRITE(6): byte 4 counts blocks and 0 means 256.
    Blocks256,
    /// SSC 24-bit transfer length: blocks if FIXED (byte 1 bit 0), else
    /// bytes.  `sili`: the command has a SILI bit (byte 1 bit 1), which
    /// must not be set together with FIXED.
    Tape { at: u8, sili: bool },
    /// SBC VERIFY: the BYTCHK field (byte 1 bits 2..1) decides.
    Verify(u8, u8),
    /// SSC VERIFY: data-out only if BYTCMP (byte 1 bit 1).
    TapeVerify(u8),
    /// Not in the CDB.
    Unknown,
    /// Anything else.
    Calc(LenFn),
}

/// `Ok(None)` means the length is not in the CDB.
type LenFn = fn(&[u8], u32) -> Result<Option<u64>, DecodeError>;

/// One command.
struct Entry {
    opcode: u8,
    /// Service action (byte 1 bits 4..0), for opcodes that carry one.
    sa: Option<u8>,
    /// Peripheral device types the entry applies to, one bit each.
    types: u32,
    name: &'static str,
    dir: Direction,
    len: Len,
    flags: u32,
}

impl Entry {
    fn applies_to(&self, dev_type: u8) -> bool {
        1u32.checked_shl(u32::from(dev_type))
            .is_some_and(|b| self.types & b != 0)
    }
}

const fn op(
    opcode: u8,
    types: u32,
    name: &'static str,
    dir: Direction,
    len: Len,
    flags: u32,
) -> Entry {
    Entry {
        opcode,
        sa: None,
        types,
        name,
        dir,
        len,
        flags,
    }
}

const fn sa(
    opcode: u8,
    sa: u8,
    types: u32,
    name: &'static str,
    dir: Direction,
    len: Len,
    flags: u32,
) -> Entry {
    Entry {
        opcode,
        sa: Some(sa),
        types,
        name,
        dir,
        len,
        flags,
    }
}

const NONE: Direction = Direction::None;
const IN: Direction = Direction::Read;
const OUT: Direction = Direction::Write;

use Len::{Blocks, Blocks256, Bytes, Calc, Fixed, NoData, Tape, TapeVerify, Unknown, Verify};

/// The table, by opcode.
#[rustfmt::skip]
static TABLE: &[Entry] = &[
    // 6-byte CDBs.
    op(0x00, ALL, "TEST UNIT READY", NONE, NoData, 0),
    op(0x01, SSC, "REWIND", NONE, NoData, LONG_TIMEOUT),
    op(0x01, SBC_MMC, "REZERO UNIT", NONE, NoData, LONG_TIMEOUT),
    op(0x03, ALL, "REQUEST SENSE", IN, Bytes(4, 1), LOCAL | RESERVE_ALLOWED | SKIP_UA),
    op(0x04, SBC, "FORMAT UNIT", OUT, Calc(format_unit_sbc), WRITE_MEDIUM | LONG_TIMEOUT),
    op(0x04, MMC, "FORMAT UNIT", OUT, Calc(format_unit_mmc), WRITE_MEDIUM | LONG_TIMEOUT),
    op(0x04, SSC, "FORMAT MEDIUM", OUT, Bytes(3, 2), WRITE_MEDIUM | LONG_TIMEOUT),
    op(0x05, SSC, "READ BLOCK LIMITS", IN, Calc(read_block_limits), 0),
    op(0x07, SBC, "REASSIGN BLOCKS", OUT, Unknown, WRITE_MEDIUM),
    op(0x07, SMC, "INITIALIZE ELEMENT STATUS", NONE, NoData, LONG_TIMEOUT),
    op(0x08, SBC_MMC, "READ(6)", IN, Blocks256, 0),
    op(0x08, SSC, "READ(6)", IN, Tape { at: 2, sili: true }, 0),
    op(0x08, PROCESSOR, "RECEIVE", IN, Bytes(2, 3), 0),
    op(0x0a, SBC, "WRITE(6)", OUT, Blocks256, WRITE_MEDIUM),
    op(0x0a, SSC, "WRITE(6)", OUT, Tape { at: 2, sili: false }, WRITE_MEDIUM),
    op(0x0a, PROCESSOR, "SEND", OUT, Bytes(2, 3), CHANGES_STATE),
    op(0x0b, SBC_MMC, "SEEK(6)", NONE, NoData, 0),
    op(0x0b, SSC, "SET CAPACITY", NONE, NoData, WRITE_MEDIUM | LONG_TIMEOUT),
    op(0x0f, SSC, "READ REVERSE(6)", IN, Tape { at: 2, sili: true }, 0),
    op(0x10, SSC, "WRITE FILEMARKS(6)", NONE, NoData, WRITE_MEDIUM),
    op(0x11, SSC, "SPACE(6)", NONE, NoData, LONG_TIMEOUT),
    op(0x12, ALL, "INQUIRY", IN, Bytes(3, 2), RESERVE_ALLOWED | SKIP_UA),
    op(0x13, SSC, "VERIFY(6)", OUT, TapeVerify(2), LONG_TIMEOUT),
    op(0x14, SSC, "RECOVER BUFFERED DATA", IN, Tape { at: 2, sili: true }, 0),
    op(0x15, ALL, "MODE SELECT(6)", OUT, Bytes(4, 1), CHANGES_STATE),
    op(0x16, ALL, "RESERVE(6)", NONE, NoData, LOCAL),
    op(0x17, ALL, "RELEASE(6)", NONE, NoData, LOCAL | RESERVE_ALLOWED),
    op(0x19, SSC, "ERASE(6)", NONE, NoData, WRITE_MEDIUM | LONG_TIMEOUT),
    op(0x1a, ALL, "MODE SENSE(6)", IN, Bytes(4, 1), 0),
    op(0x1b, SBC_MMC, "START STOP UNIT", NONE, NoData, LONG_TIMEOUT),
    op(0x1b, SSC, "LOAD UNLOAD", NONE, NoData, LONG_TIMEOUT),
    op(0x1c, ALL, "RECEIVE DIAGNOSTIC RESULTS", IN, Bytes(3, 2), 0),
    op(0x1d, ALL, "SEND DIAGNOSTIC", OUT, Bytes(3, 2), LONG_TIMEOUT | CHANGES_STATE),
    op(0x1e, REMOVABLE, "PREVENT ALLOW MEDIUM REMOVAL", NONE, NoData, IF_NOT_PREVENT),
    // 10-byte CDBs, group 1.
    op(0x23, MMC, "READ FORMAT CAPACITIES", IN, Bytes(7, 2), 0),
    op(0x25, SBC_MMC, "READ CAPACITY(10)", IN, Fixed(8), 0),
    op(0x28, SBC_MMC, "READ(10)", IN, Blocks(7, 2), HAS_FUA),
    op(0x2a, SBC_MMC, "WRITE(10)", OUT, Blocks(7, 2), WRITE_MEDIUM | HAS_FUA),
    op(0x2b, SBC_MMC, "SEEK(10)", NONE, NoData, 0),
    op(0x2b, SSC, "LOCATE(10)", NONE, NoData, LONG_TIMEOUT),
    op(0x2b, SMC, "POSITION TO ELEMENT", NONE, NoData, LONG_TIMEOUT),
    op(0x2e, SBC_MMC, "WRITE AND VERIFY(10)", OUT, Blocks(7, 2), WRITE_MEDIUM),
    op(0x2f, SBC_MMC, "VERIFY(10)", OUT, Verify(7, 2), 0),
    op(0x34, SBC, "PRE-FETCH(10)", NONE, NoData, 0),
    op(0x34, SSC, "READ POSITION", IN, Calc(read_position), 0),
    op(0x35, SBC_MMC, "SYNCHRONIZE CACHE(10)", NONE, NoData, 0),
    op(0x37, SBC, "READ DEFECT DATA(10)", IN, Bytes(7, 2), 0),
    op(0x37, SMC, "INITIALIZE ELEMENT STATUS WITH RANGE", NONE, NoData, LONG_TIMEOUT),
    op(0x3b, ALL, "WRITE BUFFER", OUT, Bytes(6, 3), CHANGES_STATE),
    op(0x3c, ALL, "READ BUFFER(10)", IN, Bytes(6, 3), 0),
    op(0x3e, SBC, "READ LONG(10)", IN, Bytes(7, 2), 0),
    op(0x3f, SBC, "WRITE LONG(10)", OUT, Calc(write_long), WRITE_MEDIUM),
    // 10-byte CDBs, group 2.
    op(0x41, SBC, "WRITE SAME(10)", OUT, Calc(one_block), WRITE_MEDIUM | EXACT_LENGTH),
    op(0x42, SBC, "UNMAP", OUT, Bytes(7, 2), WRITE_MEDIUM),
    op(0x42, MMC, "READ SUB-CHANNEL", IN, Bytes(7, 2), 0),
    op(0x43, MMC, "READ TOC/PMA/ATIP", IN, Bytes(7, 2), 0),
    op(0x44, SSC, "REPORT DENSITY SUPPORT", IN, Bytes(7, 2), 0),
    op(0x45, MMC, "PLAY AUDIO(10)", NONE, NoData, 0),
    op(0x46, MMC, "GET CONFIGURATION", IN, Bytes(7, 2), 0),
    op(0x47, MMC, "PLAY AUDIO MSF", NONE, NoData, 0),
    op(0x4a, MMC, "GET EVENT STATUS NOTIFICATION", IN, Bytes(7, 2), 0),
    op(0x4b, MMC, "PAUSE/RESUME", NONE, NoData, 0),
    op(0x4c, ALL, "LOG SELECT", OUT, Bytes(7, 2), CHANGES_STATE),
    op(0x4d, ALL, "LOG SENSE", IN, Bytes(7, 2), 0),
    op(0x4e, MMC, "STOP PLAY/SCAN", NONE, NoData, 0),
    op(0x51, MMC, "READ DISC INFORMATION", IN, Bytes(7, 2), 0),
    op(0x52, MMC, "READ TRACK INFORMATION", IN, Bytes(7, 2), 0),
    op(0x53, bit(TYPE_DISK), "XDWRITEREAD(10)", Direction::Bidi, Blocks(7, 2), WRITE_MEDIUM | HAS_FUA),
    op(0x53, MMC, "RESERVE TRACK", NONE, NoData, WRITE_MEDIUM),
    op(0x54, MMC, "SEND OPC INFORMATION", OUT, Bytes(7, 2), CHANGES_STATE),
    op(0x55, ALL, "MODE SELECT(10)", OUT, Bytes(7, 2), CHANGES_STATE),
    // SPC-2: a parameter list (third-party device ID) only with LONGID.
    op(0x56, ALL, "RESERVE(10)", OUT, Bytes(7, 2), LOCAL),
    op(0x57, ALL, "RELEASE(10)", OUT, Bytes(7, 2), LOCAL | RESERVE_ALLOWED),
    op(0x58, MMC, "REPAIR TRACK", NONE, NoData, WRITE_MEDIUM | LONG_TIMEOUT),
    op(0x5a, ALL, "MODE SENSE(10)", IN, Bytes(7, 2), 0),
    op(0x5b, MMC, "CLOSE TRACK/SESSION", NONE, NoData, WRITE_MEDIUM | LONG_TIMEOUT),
    op(0x5c, MMC, "READ BUFFER CAPACITY", IN, Bytes(7, 2), 0),
    op(0x5d, MMC, "SEND CUE SHEET", OUT, Bytes(6, 3), CHANGES_STATE),
    op(0x5e, ALL, "PERSISTENT RESERVE IN", IN, Bytes(7, 2), LOCAL),
    op(0x5f, ALL, "PERSISTENT RESERVE OUT", OUT, Bytes(5, 4), LOCAL),
    // 16-byte CDBs.
    op(0x80, SSC, "WRITE FILEMARKS(16)", NONE, NoData, WRITE_MEDIUM),
    sa(0x83, 0x00, ALL, "EXTENDED COPY(LID1)", OUT, Bytes(10, 4), CHANGES_STATE),
    sa(0x83, 0x01, ALL, "EXTENDED COPY(LID4)", OUT, Bytes(10, 4), CHANGES_STATE),
    sa(0x83, 0x10, SBC, "POPULATE TOKEN", OUT, Bytes(10, 4), 0),
    sa(0x83, 0x11, SBC, "WRITE USING TOKEN", OUT, Bytes(10, 4), WRITE_MEDIUM),
    sa(0x84, 0x00, ALL, "RECEIVE COPY STATUS(LID1)", IN, Bytes(10, 4), 0),
    sa(0x84, 0x01, ALL, "RECEIVE COPY DATA(LID1)", IN, Bytes(10, 4), 0),
    sa(0x84, 0x03, ALL, "RECEIVE COPY OPERATING PARAMETERS", IN, Bytes(10, 4), 0),
    sa(0x84, 0x04, ALL, "RECEIVE COPY FAILURE DETAILS(LID1)", IN, Bytes(10, 4), 0),
    sa(0x84, 0x05, ALL, "RECEIVE COPY STATUS(LID4)", IN, Bytes(10, 4), 0),
    sa(0x84, 0x06, ALL, "RECEIVE COPY DATA(LID4)", IN, Bytes(10, 4), 0),
    sa(0x84, 0x07, ALL, "RECEIVE ROD TOKEN INFORMATION", IN, Bytes(10, 4), 0),
    sa(0x84, 0x08, ALL, "REPORT ALL ROD TOKENS", IN, Bytes(10, 4), 0),
    op(0x88, SBC, "READ(16)", IN, Blocks(10, 4), HAS_FUA),
    op(0x88, SSC, "READ(16)", IN, Tape { at: 12, sili: true }, 0),
    op(0x89, SBC, "COMPARE AND WRITE", OUT, Calc(compare_and_write), WRITE_MEDIUM | HAS_FUA | EXACT_LENGTH),
    op(0x8a, SBC, "WRITE(16)", OUT, Blocks(10, 4), WRITE_MEDIUM | HAS_FUA),
    op(0x8a, SSC, "WRITE(16)", OUT, Tape { at: 12, sili: false }, WRITE_MEDIUM),
    op(0x8c, ALL, "READ ATTRIBUTE", IN, Bytes(10, 4), 0),
    op(0x8d, ALL, "WRITE ATTRIBUTE", OUT, Bytes(10, 4), CHANGES_STATE),
    op(0x8e, SBC, "WRITE AND VERIFY(16)", OUT, Blocks(10, 4), WRITE_MEDIUM),
    op(0x8f, SBC, "VERIFY(16)", OUT, Verify(10, 4), 0),
    op(0x8f, SSC, "VERIFY(16)", OUT, TapeVerify(12), LONG_TIMEOUT),
    op(0x90, SBC, "PRE-FETCH(16)", NONE, NoData, 0),
    op(0x91, SBC, "SYNCHRONIZE CACHE(16)", NONE, NoData, 0),
    op(0x91, SSC, "SPACE(16)", NONE, NoData, LONG_TIMEOUT),
    op(0x92, SSC, "LOCATE(16)", NONE, NoData, LONG_TIMEOUT),
    op(0x93, SBC, "WRITE SAME(16)", OUT, Calc(write_same_16), WRITE_MEDIUM | EXACT_LENGTH),
    op(0x93, SSC, "ERASE(16)", NONE, NoData, WRITE_MEDIUM | LONG_TIMEOUT),
    sa(0x9e, 0x10, SBC, "READ CAPACITY(16)", IN, Bytes(10, 4), 0),
    sa(0x9e, 0x12, SBC, "GET LBA STATUS", IN, Bytes(10, 4), 0),
    sa(0x9e, 0x13, SBC, "REPORT REFERRALS", IN, Bytes(10, 4), 0),
    // 12-byte CDBs.
    op(0xa0, ALL, "REPORT LUNS", IN, Bytes(6, 4), LOCAL | RESERVE_ALLOWED | SKIP_UA),
    op(0xa1, MMC, "BLANK", NONE, NoData, WRITE_MEDIUM | LONG_TIMEOUT),
    op(0xa2, ALL, "SECURITY PROTOCOL IN", IN, Calc(security_protocol), 0),
    sa(0xa3, 0x05, ALL & !MMC, "REPORT IDENTIFYING INFORMATION", IN, Bytes(6, 4), 0),
    sa(0xa3, 0x0a, ALL & !MMC, "REPORT TARGET PORT GROUPS", IN, Bytes(6, 4), LOCAL),
    sa(0xa3, 0x0c, ALL & !MMC, "REPORT SUPPORTED OPERATION CODES", IN, Bytes(6, 4), LOCAL),
    sa(0xa3, 0x0d, ALL & !MMC, "REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS", IN, Bytes(6, 4), LOCAL),
    sa(0xa3, 0x0e, ALL & !MMC, "REPORT PRIORITY", IN, Bytes(6, 4), 0),
    sa(0xa3, 0x0f, ALL & !MMC, "REPORT TIMESTAMP", IN, Bytes(6, 4), 0),
    op(0xa3, MMC, "SEND KEY", OUT, Bytes(8, 2), CHANGES_STATE),
    sa(0xa4, 0x06, ALL & !MMC, "SET IDENTIFYING INFORMATION", OUT, Bytes(6, 4), CHANGES_STATE),
    sa(0xa4, 0x0a, ALL & !MMC, "SET TARGET PORT GROUPS", OUT, Bytes(6, 4), LOCAL | CHANGES_STATE),
    sa(0xa4, 0x0e, ALL & !MMC, "SET PRIORITY", OUT, Bytes(6, 4), CHANGES_STATE),
    sa(0xa4, 0x0f, ALL & !MMC, "SET TIMESTAMP", OUT, Bytes(6, 4), CHANGES_STATE),
    op(0xa4, MMC, "REPORT KEY", IN, Bytes(8, 2), 0),
    op(0xa5, SMC, "MOVE MEDIUM", NONE, NoData, LONG_TIMEOUT),
    op(0xa5, MMC, "PLAY AUDIO(12)", NONE, NoData, 0),
    op(0xa6, SMC, "EXCHANGE MEDIUM", NONE, NoData, LONG_TIMEOUT),
    op(0xa6, MMC, "LOAD/UNLOAD MEDIUM", NONE, NoData, LONG_TIMEOUT),
    op(0xa7, MMC, "SET READ AHEAD", NONE, NoData, 0),
    op(0xa8, SBC_MMC, "READ(12)", IN, Blocks(6, 4), HAS_FUA),
    op(0xaa, SBC_MMC, "WRITE(12)", OUT, Blocks(6, 4), WRITE_MEDIUM | HAS_FUA),
    // The descriptor size depends on the TYPE and DATA TYPE fields.
    op(0xac, MMC, "GET PERFORMANCE", IN, Unknown, 0),
    op(0xad, MMC, "READ DISC STRUCTURE", IN, Bytes(8, 2), 0),
    op(0xae, SBC, "WRITE AND VERIFY(12)", OUT, Blocks(6, 4), WRITE_MEDIUM),
    op(0xaf, SBC, "VERIFY(12)", OUT, Verify(6, 4), 0),
    op(0xb5, ALL & !SMC, "SECURITY PROTOCOL OUT", OUT, Calc(security_protocol), CHANGES_STATE),
    op(0xb5, SMC, "REQUEST VOLUME ELEMENT ADDRESS", IN, Bytes(7, 3), 0),
    op(0xb6, MMC, "SET STREAMING", OUT, Bytes(9, 2), CHANGES_STATE),
    op(0xb6, SMC, "SEND VOLUME TAG", OUT, Bytes(8, 2), CHANGES_STATE),
    op(0xb7, SBC, "READ DEFECT DATA(12)", IN, Bytes(6, 4), 0),
    op(0xb8, SMC, "READ ELEMENT STATUS", IN, Bytes(7, 3), 0),
    // Sector count from start and end MSF addresses, sector size from
    // the field selection bits.
    op(0xb9, MMC, "READ CD MSF", IN, Unknown, 0),
    op(0xba, MMC, "SCAN", NONE, NoData, 0),
    op(0xbb, MMC, "SET CD SPEED", NONE, NoData, 0),
    op(0xbd, MMC, "MECHANISM STATUS", IN, Bytes(8, 2), 0),
    op(0xbe, MMC, "READ CD", IN, Calc(read_cd), 0),
    op(0xbf, MMC, "SEND DISC STRUCTURE", OUT, Bytes(8, 2), WRITE_MEDIUM),
];

/// The CDB length implied by the group code (the top 3 bits) of `opcode`.
///
/// `None` for group 3 (reserved, apart from 0x7e extended and 0x7f
/// variable-length CDBs, whose length is in the CDB itself) and groups 6
/// and 7 (vendor specific, any length); the transport's CDB length has to
/// do for those.
pub fn cdb_len(opcode: u8) -> Option<usize> {
    match opcode >> 5 {
        0 => Some(6),
        1 | 2 => Some(10),
        4 => Some(16),
        5 => Some(12),
        _ => None,
    }
}

/// Whether `opcode` is a block device's READ (6, 10, 12 or 16): the
/// commands a device may let a submitter try (`Nowait::reads`).
pub fn is_read(opcode: u8) -> bool {
    matches!(opcode, 0x08 | 0x28 | 0xa8 | 0x88)
}

/// Whether `opcode` is a block device's WRITE (6, 10, 12 or 16)
/// (`Nowait::writes`).
pub fn is_write(opcode: u8) -> bool {
    matches!(opcode, 0x0a | 0x2a | 0xaa | 0x8a)
}

/// Decodes `cdb` for a logical unit of peripheral device type `dev_type`
/// whose logical blocks (or fixed tape blocks; 0 in variable block mode)
/// are `block_size` bytes.  `cdb` may be longer than the command (padded).
///
/// # Errors
///
/// Any [`DecodeError`]: the opcode is unknown or not for `dev_type`, the
/// CDB is too short, or a field is invalid (including a length that does
/// not fit in a `u64`).
pub fn decode(cdb: &[u8], dev_type: u8, block_size: u32) -> Result<Decoded, DecodeError> {
    let entry = lookup(cdb, dev_type)?;
    let len = transfer_len(entry.len, cdb, block_size)?;
    let mut flags = entry.flags & !MARKERS;
    if entry.flags & HAS_FUA != 0 && byte(cdb, 1)? & 0x08 != 0 {
        flags |= FUA;
    }
    if entry.flags & IF_NOT_PREVENT != 0 && byte(cdb, 4)? & 0x03 == 0 {
        flags |= RESERVE_ALLOWED;
    }
    let direction = match len {
        Some(0) => Direction::None,
        Some(_) => entry.dir,
        None => {
            flags |= UNKNOWN_LENGTH;
            entry.dir
        }
    };
    Ok(Decoded {
        opcode: entry.opcode,
        name: entry.name,
        direction,
        transfer_len: len.unwrap_or(0),
        flags,
    })
}

/// Finds the entry for `cdb` on `dev_type`, checking the CDB is long
/// enough to read all its fields.
fn lookup(cdb: &[u8], dev_type: u8) -> Result<&'static Entry, DecodeError> {
    let &opcode = cdb.first().ok_or(DecodeError::Empty)?;
    let mut same_op = TABLE.iter().filter(|e| e.opcode == opcode).peekable();
    if same_op.peek().is_none() {
        return Err(DecodeError::UnknownOpcode(opcode));
    }
    let mut mine = same_op.filter(|e| e.applies_to(dev_type)).peekable();
    let first = *mine
        .peek()
        .ok_or(DecodeError::WrongDeviceType { opcode, dev_type })?;
    // Every table opcode has a group length (checked by a test).
    let need = cdb_len(opcode).ok_or(DecodeError::UnknownOpcode(opcode))?;
    if cdb.len() < need {
        return Err(DecodeError::TooShort {
            opcode,
            need,
            got: cdb.len(),
        });
    }
    if first.sa.is_none() {
        // Entries without a service action never share a device type
        // with another entry of their opcode.
        return Ok(first);
    }
    let action = byte(cdb, 1)? & 0x1f;
    mine.find(|e| e.sa == Some(action))
        .ok_or(DecodeError::InvalidField {
            byte: 1,
            bit: Some(4),
        })
}

/// Bytes to transfer, or `None` if the CDB does not say.
fn transfer_len(len: Len, cdb: &[u8], block_size: u32) -> Result<Option<u64>, DecodeError> {
    let bytes = match len {
        NoData => 0,
        Fixed(n) => u64::from(n),
        Bytes(at, width) => field(cdb, at, width)?,
        Blocks(at, width) => blocks(field(cdb, at, width)?, block_size, at)?,
        Blocks256 => {
            let n = field(cdb, 4, 1)?;
            blocks(if n == 0 { 256 } else { n }, block_size, 4)?
        }
        Tape { at, sili } => tape_len(cdb, at, sili, block_size)?,
        Verify(at, width) => verify_len(cdb, at, width, block_size)?,
        TapeVerify(at) => {
            if flag(cdb, 1, 1)? {
                tape_len(cdb, at, false, block_size)?
            } else {
                0
            }
        }
        Unknown => return Ok(None),
        Calc(f) => return f(cdb, block_size),
    };
    Ok(Some(bytes))
}

/// `n` blocks in bytes; the block count sits at CDB byte `at`.
fn blocks(n: u64, block_size: u32, at: u8) -> Result<u64, DecodeError> {
    n.checked_mul(u64::from(block_size))
        .ok_or(DecodeError::InvalidField {
            byte: usize::from(at),
            bit: None,
        })
}

/// SSC READ/WRITE/VERIFY/RECOVER BUFFERED DATA transfer length.
fn tape_len(cdb: &[u8], at: u8, sili: bool, block_size: u32) -> Result<u64, DecodeError> {
    let n = field(cdb, at, 3)?;
    if !flag(cdb, 1, 0)? {
        return Ok(n);
    }
    // SSC-3: FIXED with SILI, or FIXED in variable block mode, is an
    // invalid field.
    if sili && flag(cdb, 1, 1)? {
        return Err(DecodeError::InvalidField {
            byte: 1,
            bit: Some(1),
        });
    }
    if block_size == 0 {
        return Err(DecodeError::InvalidField {
            byte: 1,
            bit: Some(0),
        });
    }
    blocks(n, block_size, at)
}

/// SBC-3 VERIFY: BYTCHK 00b checks the medium only, 01b sends the blocks
/// to compare, 11b sends one block to compare with each of them.
fn verify_len(cdb: &[u8], at: u8, width: u8, block_size: u32) -> Result<u64, DecodeError> {
    let n = field(cdb, at, width)?;
    match (byte(cdb, 1)? >> 1) & 0x03 {
        0 => Ok(0),
        1 => blocks(n, block_size, at),
        3 if n == 0 => Ok(0),
        3 => Ok(u64::from(block_size)),
        _ => Err(DecodeError::InvalidField {
            byte: 1,
            bit: Some(2),
        }),
    }
}

/// WRITE SAME(10): one block, repeated by the device.
fn one_block(_cdb: &[u8], block_size: u32) -> Result<Option<u64>, DecodeError> {
    Ok(Some(u64::from(block_size)))
}

/// WRITE SAME(16): no data-out with NDOB (byte 1 bit 0).
fn write_same_16(cdb: &[u8], block_size: u32) -> Result<Option<u64>, DecodeError> {
    let n = if flag(cdb, 1, 0)? {
        0
    } else {
        u64::from(block_size)
    };
    Ok(Some(n))
}

/// COMPARE AND WRITE: the verify data, then the write data, each NUMBER
/// OF LOGICAL BLOCKS (byte 13) long.
fn compare_and_write(cdb: &[u8], block_size: u32) -> Result<Option<u64>, DecodeError> {
    let n = field(cdb, 13, 1)?;
    let both = n.checked_mul(2).ok_or(DecodeError::InvalidField {
        byte: 13,
        bit: None,
    })?;
    blocks(both, block_size, 13).map(Some)
}

/// SBC FORMAT UNIT: with FMTDATA (byte 1 bit 4) a parameter list follows,
/// whose length is only in its own header.
fn format_unit_sbc(cdb: &[u8], _: u32) -> Result<Option<u64>, DecodeError> {
    Ok(if flag(cdb, 1, 4)? { None } else { Some(0) })
}

/// MMC FORMAT UNIT: with FMTDATA, a 4-byte header and one 8-byte format
/// descriptor.
fn format_unit_mmc(cdb: &[u8], _: u32) -> Result<Option<u64>, DecodeError> {
    Ok(Some(if flag(cdb, 1, 4)? { 12 } else { 0 }))
}

/// SSC-4 READ BLOCK LIMITS: 6 bytes, or 20 with MLOC (byte 1 bit 0).
fn read_block_limits(cdb: &[u8], _: u32) -> Result<Option<u64>, DecodeError> {
    Ok(Some(if flag(cdb, 1, 0)? { 20 } else { 6 }))
}

/// SSC-3 READ POSITION: the service action picks the form; only the
/// extended form has an allocation length, the others need it zero.
fn read_position(cdb: &[u8], _: u32) -> Result<Option<u64>, DecodeError> {
    let alloc = field(cdb, 7, 2)?;
    let fixed = match byte(cdb, 1)? & 0x1f {
        0x00 | 0x01 => 20, // short form, block ID or vendor specific
        0x06 => 32,        // long form
        0x08 => return Ok(Some(alloc)),
        _ => {
            return Err(DecodeError::InvalidField {
                byte: 1,
                bit: Some(4),
            })
        }
    };
    if alloc != 0 {
        return Err(DecodeError::InvalidField { byte: 7, bit: None });
    }
    Ok(Some(fixed))
}

/// WRITE LONG(10): WR_UNCOR (byte 1 bit 6) marks the block uncorrectable
/// without sending data.
fn write_long(cdb: &[u8], _: u32) -> Result<Option<u64>, DecodeError> {
    Ok(Some(if flag(cdb, 1, 6)? {
        0
    } else {
        field(cdb, 7, 2)?
    }))
}

/// SECURITY PROTOCOL IN/OUT: INC_512 (byte 4 bit 7) counts the length
/// in 512-byte units.
fn security_protocol(cdb: &[u8], _: u32) -> Result<Option<u64>, DecodeError> {
    let n = field(cdb, 6, 4)?;
    let unit = if flag(cdb, 4, 7)? { 512 } else { 1 };
    blocks(n, unit, 6).map(Some)
}

/// MMC READ CD: bytes per sector depend on the fields asked for (byte 9)
/// and the sub-channel data (byte 10).  Only plain user data, the case
/// initiators use for data discs, is worked out here.
fn read_cd(cdb: &[u8], block_size: u32) -> Result<Option<u64>, DecodeError> {
    let n = field(cdb, 6, 3)?;
    let fields = byte(cdb, 9)? & 0xf8;
    let subchannel = byte(cdb, 10)? & 0x07;
    if subchannel != 0 {
        return Ok(None);
    }
    match fields {
        0 => Ok(Some(0)),
        // User data only: 2352 bytes for CD-DA (expected sector type 1),
        // the logical block otherwise.
        0x10 if (byte(cdb, 1)? >> 2) & 0x07 == 1 => blocks(n, 2352, 6).map(Some),
        0x10 => blocks(n, block_size, 6).map(Some),
        _ => Ok(None),
    }
}

/// Big-endian field of `width` (at most 8) bytes at CDB byte `at`.
fn field(cdb: &[u8], at: u8, width: u8) -> Result<u64, DecodeError> {
    let start = usize::from(at);
    let end = start + usize::from(width);
    let bytes = cdb.get(start..end).ok_or_else(|| too_short(cdb, end))?;
    Ok(bytes.iter().fold(0, |n, &b| (n << 8) | u64::from(b)))
}

fn byte(cdb: &[u8], at: usize) -> Result<u8, DecodeError> {
    cdb.get(at).copied().ok_or_else(|| too_short(cdb, at + 1))
}

fn flag(cdb: &[u8], at: usize, bit: u8) -> Result<bool, DecodeError> {
    Ok(byte(cdb, at)? & (1 << bit) != 0)
}

// `lookup` checks the group length first, so this only guards the fields.
fn too_short(cdb: &[u8], need: usize) -> DecodeError {
    let opcode = cdb.first().copied().unwrap_or(0);
    DecodeError::TooShort {
        opcode,
        need,
        got: cdb.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scst_rs::scsi::device_type::{ENCLOSURE as TYPE_ENCLOSURE, RAID as TYPE_RAID};

    const BS: u32 = 512;

    /// A zeroed CDB of the opcode's group length with `set` applied.
    fn cdb(opcode: u8, set: &[(usize, u8)]) -> [u8; 16] {
        let mut c = [0u8; 16];
        c[0] = opcode;
        for &(i, v) in set {
            c[i] = v;
        }
        c
    }

    /// Direction and length of a decoded command.
    fn dl(c: &[u8], dev_type: u8, bs: u32) -> Result<(Direction, u64), DecodeError> {
        decode(c, dev_type, bs).map(|d| (d.direction, d.transfer_len))
    }

    fn flags(c: &[u8], dev_type: u8) -> u32 {
        decode(c, dev_type, BS).map_or(0, |d| d.flags)
    }

    fn name(c: &[u8], dev_type: u8) -> &'static str {
        decode(c, dev_type, BS).map_or("", |d| d.name)
    }

    /// `is_read` and `is_write` are exactly the disk commands named
    /// READ(n) and WRITE(n) (the table is the reference).
    #[test]
    fn reads_and_writes() {
        for op in 0..=255u8 {
            let name = name(&cdb(op, &[]), TYPE_DISK);
            assert_eq!(is_read(op), name.starts_with("READ("), "opcode 0x{op:02x}");
            assert_eq!(
                is_write(op),
                name.starts_with("WRITE("),
                "opcode 0x{op:02x}"
            );
        }
    }

    #[test]
    fn group_lengths() {
        assert_eq!(cdb_len(0x00), Some(6));
        assert_eq!(cdb_len(0x1f), Some(6));
        assert_eq!(cdb_len(0x28), Some(10));
        assert_eq!(cdb_len(0x5f), Some(10));
        assert_eq!(cdb_len(0x7f), None);
        assert_eq!(cdb_len(0x88), Some(16));
        assert_eq!(cdb_len(0xa0), Some(12));
        assert_eq!(cdb_len(0xc0), None);
        assert_eq!(cdb_len(0xff), None);
    }

    #[test]
    fn spc_allocation_and_parameter_lengths() {
        assert_eq!(dl(&cdb(0x00, &[]), TYPE_DISK, BS), Ok((Direction::None, 0)));
        assert_eq!(
            dl(&cdb(0x12, &[(3, 0x01), (4, 0x00)]), TYPE_TAPE, BS),
            Ok((Direction::Read, 256))
        );
        assert_eq!(
            dl(&cdb(0x03, &[(4, 18)]), TYPE_CDROM, BS),
            Ok((Direction::Read, 18))
        );
        assert_eq!(
            dl(&cdb(0x1a, &[(4, 0xfc)]), TYPE_DISK, BS),
            Ok((Direction::Read, 252))
        );
        assert_eq!(
            dl(&cdb(0x15, &[(4, 24)]), TYPE_DISK, BS),
            Ok((Direction::Write, 24))
        );
        assert_eq!(
            dl(&cdb(0x55, &[(7, 1), (8, 0)]), TYPE_CHANGER, BS),
            Ok((Direction::Write, 256))
        );
        assert_eq!(
            dl(&cdb(0x5a, &[(7, 0x10)]), TYPE_RAID, BS),
            Ok((Direction::Read, 4096))
        );
        let luns = cdb(0xa0, &[(6, 0x01), (7, 0x02), (8, 0x03), (9, 0x04)]);
        assert_eq!(dl(&luns, 0x1f, BS), Ok((Direction::Read, 0x0102_0304)));
        assert_eq!(
            dl(&cdb(0x5f, &[(8, 24)]), TYPE_DISK, BS),
            Ok((Direction::Write, 24))
        );
        assert_eq!(
            dl(&cdb(0x5e, &[(7, 0x20)]), TYPE_DISK, BS),
            Ok((Direction::Read, 0x2000))
        );
        assert_eq!(
            dl(&cdb(0x4d, &[(8, 0x40)]), TYPE_ENCLOSURE, BS),
            Ok((Direction::Read, 0x40))
        );
        assert_eq!(
            dl(&cdb(0x4c, &[(8, 0x40)]), TYPE_DISK, BS),
            Ok((Direction::Write, 0x40))
        );
        assert_eq!(
            dl(&cdb(0x1c, &[(3, 0x01)]), TYPE_ENCLOSURE, BS),
            Ok((Direction::Read, 256))
        );
        assert_eq!(
            dl(&cdb(0x1d, &[(4, 8)]), TYPE_PROCESSOR, BS),
            Ok((Direction::Write, 8))
        );
        assert_eq!(
            dl(&cdb(0x3b, &[(6, 1), (8, 2)]), TYPE_DISK, BS),
            Ok((Direction::Write, 0x1_0002))
        );
        assert_eq!(
            dl(&cdb(0x3c, &[(8, 4)]), TYPE_DISK, BS),
            Ok((Direction::Read, 4))
        );
        assert_eq!(
            dl(&cdb(0x83, &[(13, 0x40)]), TYPE_DISK, BS),
            Ok((Direction::Write, 0x40))
        );
        assert_eq!(
            dl(&cdb(0x84, &[(1, 0x03), (12, 0x01)]), TYPE_TAPE, BS),
            Ok((Direction::Read, 256))
        );
        // A zero allocation length moves nothing.
        assert_eq!(dl(&cdb(0x12, &[]), TYPE_DISK, BS), Ok((Direction::None, 0)));
        assert_eq!(dl(&cdb(0x56, &[]), TYPE_DISK, BS), Ok((Direction::None, 0)));
        // INC_512 counts 512-byte units.
        assert_eq!(
            dl(&cdb(0xa2, &[(4, 0x80), (9, 2)]), TYPE_DISK, BS),
            Ok((Direction::Read, 1024))
        );
    }

    #[test]
    fn service_actions() {
        let rc16 = cdb(0x9e, &[(1, 0x10), (13, 32)]);
        assert_eq!(name(&rc16, TYPE_DISK), "READ CAPACITY(16)");
        assert_eq!(dl(&rc16, TYPE_DISK, BS), Ok((Direction::Read, 32)));
        let rtpg = cdb(0xa3, &[(1, 0x0a), (9, 0xff)]);
        assert_eq!(name(&rtpg, TYPE_DISK), "REPORT TARGET PORT GROUPS");
        assert_eq!(dl(&rtpg, TYPE_DISK, BS), Ok((Direction::Read, 0xff)));
        let rsoc = cdb(0xa3, &[(1, 0x0c), (8, 0x10)]);
        assert_eq!(name(&rsoc, TYPE_TAPE), "REPORT SUPPORTED OPERATION CODES");
        assert_ne!(flags(&rsoc, TYPE_TAPE) & LOCAL, 0);
        // The same opcode is SEND KEY on a CD/DVD device.
        let key = cdb(0xa3, &[(1, 0x0a), (9, 20)]);
        assert_eq!(name(&key, TYPE_CDROM), "SEND KEY");
        assert_eq!(dl(&key, TYPE_CDROM, 2048), Ok((Direction::Write, 20)));
        assert_eq!(
            dl(&cdb(0xa4, &[(9, 8)]), TYPE_CDROM, 2048),
            Ok((Direction::Read, 8))
        );
        assert_eq!(
            decode(&cdb(0x9e, &[(1, 0x1f)]), TYPE_DISK, BS),
            Err(DecodeError::InvalidField {
                byte: 1,
                bit: Some(4)
            })
        );
    }

    #[test]
    fn sbc_reads_and_writes() {
        // READ(6): 0 blocks means 256.
        assert_eq!(
            dl(&cdb(0x08, &[]), TYPE_DISK, BS),
            Ok((Direction::Read, 256 * 512))
        );
        assert_eq!(
            dl(&cdb(0x08, &[(4, 1)]), TYPE_DISK, 4096),
            Ok((Direction::Read, 4096))
        );
        assert_eq!(
            dl(&cdb(0x0a, &[(4, 0)]), TYPE_RBC, BS),
            Ok((Direction::Write, 256 * 512))
        );
        let r10 = cdb(0x28, &[(1, 0x08), (7, 0x01), (8, 0x00)]);
        assert_eq!(dl(&r10, TYPE_DISK, BS), Ok((Direction::Read, 256 * 512)));
        assert_ne!(flags(&r10, TYPE_DISK) & FUA, 0);
        // READ(10) of zero blocks is no error and moves nothing.
        assert_eq!(dl(&cdb(0x28, &[]), TYPE_DISK, BS), Ok((Direction::None, 0)));
        let w12 = cdb(0xaa, &[(9, 8)]);
        assert_eq!(
            dl(&w12, TYPE_OPTICAL, 2048),
            Ok((Direction::Write, 8 * 2048))
        );
        assert_eq!(
            flags(&w12, TYPE_OPTICAL) & (FUA | WRITE_MEDIUM),
            WRITE_MEDIUM
        );
        // 16-byte CDBs: the largest count times a large block, no overflow.
        let r16 = cdb(
            0x88,
            &[(2, 0xff), (10, 0xff), (11, 0xff), (12, 0xff), (13, 0xff)],
        );
        assert_eq!(
            dl(&r16, TYPE_DISK, 4096),
            Ok((Direction::Read, 0xffff_ffff * 4096))
        );
        let w16 = cdb(0x8a, &[(10, 0x01), (13, 0x00)]);
        assert_eq!(
            dl(&w16, TYPE_DISK, u32::MAX),
            Ok((Direction::Write, 0x0100_0000 * 0xffff_ffff))
        );
        assert_eq!(
            dl(&cdb(0x2e, &[(8, 2)]), TYPE_DISK, BS),
            Ok((Direction::Write, 1024))
        );
        assert_eq!(
            dl(&cdb(0xae, &[(9, 2)]), TYPE_DISK, BS),
            Ok((Direction::Write, 1024))
        );
        assert_eq!(
            dl(&cdb(0x8e, &[(13, 2)]), TYPE_DISK, BS),
            Ok((Direction::Write, 1024))
        );
        assert_eq!(
            dl(&cdb(0x53, &[(8, 2)]), TYPE_DISK, BS),
            Ok((Direction::Bidi, 1024))
        );
    }

    #[test]
    fn overflow_is_an_invalid_field() {
        assert_eq!(
            blocks(u64::MAX, 2, 10),
            Err(DecodeError::InvalidField {
                byte: 10,
                bit: None
            })
        );
        assert_eq!(blocks(u64::MAX, 1, 10), Ok(u64::MAX));
    }

    #[test]
    fn verify_bytchk() {
        let n = (8, 4);
        assert_eq!(
            dl(&cdb(0x2f, &[n]), TYPE_DISK, BS),
            Ok((Direction::None, 0))
        );
        assert_eq!(
            dl(&cdb(0x2f, &[n, (1, 0x02)]), TYPE_DISK, BS),
            Ok((Direction::Write, 2048))
        );
        assert_eq!(
            dl(&cdb(0xaf, &[(9, 4), (1, 0x06)]), TYPE_DISK, BS),
            Ok((Direction::Write, 512))
        );
        assert_eq!(
            dl(&cdb(0x8f, &[(13, 4), (1, 0x02)]), TYPE_DISK, BS),
            Ok((Direction::Write, 2048))
        );
        assert_eq!(
            decode(&cdb(0x2f, &[n, (1, 0x04)]), TYPE_DISK, BS),
            Err(DecodeError::InvalidField {
                byte: 1,
                bit: Some(2)
            })
        );
    }

    #[test]
    fn write_same_unmap_compare_and_write() {
        assert_eq!(
            dl(&cdb(0x41, &[(8, 100)]), TYPE_DISK, 4096),
            Ok((Direction::Write, 4096))
        );
        assert_eq!(
            dl(&cdb(0x93, &[(13, 100)]), TYPE_DISK, BS),
            Ok((Direction::Write, 512))
        );
        // NDOB, with or without UNMAP: no data-out.
        assert_eq!(
            dl(&cdb(0x93, &[(1, 0x01), (13, 100)]), TYPE_DISK, BS),
            Ok((Direction::None, 0))
        );
        assert_eq!(
            dl(&cdb(0x93, &[(1, 0x09), (13, 100)]), TYPE_DISK, BS),
            Ok((Direction::None, 0))
        );
        assert_eq!(
            dl(&cdb(0x42, &[(8, 24)]), TYPE_DISK, BS),
            Ok((Direction::Write, 24))
        );
        assert_ne!(flags(&cdb(0x42, &[(8, 24)]), TYPE_DISK) & WRITE_MEDIUM, 0);
        let caw = cdb(0x89, &[(1, 0x08), (13, 3)]);
        assert_eq!(dl(&caw, TYPE_DISK, BS), Ok((Direction::Write, 2 * 3 * 512)));
        assert_eq!(flags(&caw, TYPE_DISK), WRITE_MEDIUM | FUA | EXACT_LENGTH);
        assert_ne!(flags(&cdb(0x41, &[(8, 1)]), TYPE_DISK) & EXACT_LENGTH, 0);
    }

    #[test]
    fn capacity_sync_and_format() {
        assert_eq!(dl(&cdb(0x25, &[]), TYPE_DISK, BS), Ok((Direction::Read, 8)));
        assert_eq!(
            dl(&cdb(0x25, &[]), TYPE_CDROM, 2048),
            Ok((Direction::Read, 8))
        );
        assert_eq!(
            dl(&cdb(0x35, &[(8, 9)]), TYPE_DISK, BS),
            Ok((Direction::None, 0))
        );
        assert_eq!(
            dl(&cdb(0x91, &[(13, 9)]), TYPE_DISK, BS),
            Ok((Direction::None, 0))
        );
        assert_eq!(dl(&cdb(0x04, &[]), TYPE_DISK, BS), Ok((Direction::None, 0)));
        let fmt = decode(&cdb(0x04, &[(1, 0x10)]), TYPE_DISK, BS);
        assert_eq!(
            fmt.map(|d| (d.direction, d.flags & UNKNOWN_LENGTH)),
            Ok((Direction::Write, UNKNOWN_LENGTH))
        );
        assert_eq!(
            dl(&cdb(0x04, &[(1, 0x11)]), TYPE_CDROM, 2048),
            Ok((Direction::Write, 12))
        );
    }

    #[test]
    fn tape_fixed_and_variable() {
        // FIXED=1: blocks of the current block size.
        let fixed = cdb(0x08, &[(1, 0x01), (3, 0x01), (4, 0x00)]);
        assert_eq!(
            dl(&fixed, TYPE_TAPE, 1024),
            Ok((Direction::Read, 256 * 1024))
        );
        // FIXED=0: bytes; no 256 rule on tape.
        let var = cdb(0x0a, &[(2, 0x01), (3, 0x00), (4, 0x00)]);
        assert_eq!(dl(&var, TYPE_TAPE, 1024), Ok((Direction::Write, 65536)));
        assert_eq!(
            dl(&cdb(0x08, &[]), TYPE_TAPE, 1024),
            Ok((Direction::None, 0))
        );
        // FIXED with SILI, and FIXED in variable block mode, are refused.
        assert_eq!(
            decode(&cdb(0x08, &[(1, 0x03), (4, 1)]), TYPE_TAPE, 1024),
            Err(DecodeError::InvalidField {
                byte: 1,
                bit: Some(1)
            })
        );
        assert_eq!(
            decode(&cdb(0x0a, &[(1, 0x01), (4, 1)]), TYPE_TAPE, 0),
            Err(DecodeError::InvalidField {
                byte: 1,
                bit: Some(0)
            })
        );
        // READ(16) and WRITE(16) keep their length in bytes 12..14.
        assert_eq!(
            dl(&cdb(0x88, &[(14, 10)]), TYPE_TAPE, BS),
            Ok((Direction::Read, 10))
        );
        assert_eq!(
            dl(&cdb(0x8a, &[(1, 1), (14, 10)]), TYPE_TAPE, BS),
            Ok((Direction::Write, 5120))
        );
        assert_eq!(
            dl(&cdb(0x13, &[(1, 0x03), (4, 2)]), TYPE_TAPE, BS),
            Ok((Direction::Write, 1024))
        );
        assert_eq!(
            dl(&cdb(0x13, &[(1, 0x01), (4, 2)]), TYPE_TAPE, BS),
            Ok((Direction::None, 0))
        );
    }

    #[test]
    fn tape_positioning() {
        assert_eq!(name(&cdb(0x01, &[]), TYPE_TAPE), "REWIND");
        assert_eq!(name(&cdb(0x01, &[]), TYPE_DISK), "REZERO UNIT");
        assert_eq!(name(&cdb(0x2b, &[]), TYPE_TAPE), "LOCATE(10)");
        assert_eq!(name(&cdb(0x2b, &[]), TYPE_DISK), "SEEK(10)");
        assert_eq!(name(&cdb(0x2b, &[]), TYPE_CHANGER), "POSITION TO ELEMENT");
        assert_eq!(name(&cdb(0x1b, &[]), TYPE_TAPE), "LOAD UNLOAD");
        assert_eq!(name(&cdb(0x1b, &[]), TYPE_CDROM), "START STOP UNIT");
        assert_eq!(name(&cdb(0x91, &[]), TYPE_TAPE), "SPACE(16)");
        assert_eq!(name(&cdb(0x92, &[]), TYPE_TAPE), "LOCATE(16)");
        assert_eq!(name(&cdb(0x93, &[]), TYPE_TAPE), "ERASE(16)");
        for op in [0x01, 0x10, 0x11, 0x19, 0x1b, 0x2b, 0x80, 0x91, 0x92, 0x93] {
            assert_eq!(
                dl(&cdb(op, &[(4, 5), (14, 5)]), TYPE_TAPE, BS),
                Ok((Direction::None, 0))
            );
        }
        assert_ne!(flags(&cdb(0x10, &[(4, 1)]), TYPE_TAPE) & WRITE_MEDIUM, 0);
        assert_eq!(dl(&cdb(0x05, &[]), TYPE_TAPE, BS), Ok((Direction::Read, 6)));
        assert_eq!(
            dl(&cdb(0x34, &[]), TYPE_TAPE, BS),
            Ok((Direction::Read, 20))
        );
        assert_eq!(
            dl(&cdb(0x34, &[(1, 0x06)]), TYPE_TAPE, BS),
            Ok((Direction::Read, 32))
        );
        assert_eq!(
            dl(&cdb(0x34, &[(1, 0x08), (8, 28)]), TYPE_TAPE, BS),
            Ok((Direction::Read, 28))
        );
        assert_eq!(
            decode(&cdb(0x34, &[(8, 28)]), TYPE_TAPE, BS),
            Err(DecodeError::InvalidField { byte: 7, bit: None })
        );
    }

    #[test]
    fn mmc() {
        let t = TYPE_CDROM;
        assert_eq!(
            dl(&cdb(0x43, &[(7, 0x03), (8, 0x24)]), t, 2048),
            Ok((Direction::Read, 0x324))
        );
        assert_eq!(dl(&cdb(0x46, &[(8, 8)]), t, 2048), Ok((Direction::Read, 8)));
        assert_eq!(
            dl(&cdb(0x4a, &[(1, 1), (8, 8)]), t, 2048),
            Ok((Direction::Read, 8))
        );
        assert_eq!(
            dl(&cdb(0x51, &[(8, 34)]), t, 2048),
            Ok((Direction::Read, 34))
        );
        assert_eq!(
            dl(&cdb(0x52, &[(8, 36)]), t, 2048),
            Ok((Direction::Read, 36))
        );
        assert_eq!(
            dl(&cdb(0x42, &[(8, 16)]), t, 2048),
            Ok((Direction::Read, 16))
        );
        assert_eq!(dl(&cdb(0xbd, &[(9, 8)]), t, 2048), Ok((Direction::Read, 8)));
        assert_eq!(
            dl(&cdb(0xad, &[(8, 0x08), (9, 0x04)]), t, 2048),
            Ok((Direction::Read, 0x804))
        );
        assert_eq!(dl(&cdb(0xbb, &[]), t, 2048), Ok((Direction::None, 0)));
        assert_eq!(
            dl(&cdb(0xbe, &[(8, 2), (9, 0x10)]), t, 2048),
            Ok((Direction::Read, 4096))
        );
        assert_eq!(
            dl(&cdb(0xbe, &[(1, 0x04), (8, 2), (9, 0x10)]), t, 2048),
            Ok((Direction::Read, 4704))
        );
        let raw = decode(&cdb(0xbe, &[(8, 2), (9, 0xf8)]), t, 2048);
        assert_eq!(raw.map(|d| d.flags & UNKNOWN_LENGTH), Ok(UNKNOWN_LENGTH));
        let perf = decode(&cdb(0xac, &[(9, 1)]), t, 2048);
        assert_eq!(
            perf.map(|d| (d.direction, d.flags & UNKNOWN_LENGTH)),
            Ok((Direction::Read, UNKNOWN_LENGTH))
        );
        assert_eq!(
            dl(&cdb(0x28, &[(8, 1)]), t, 2048),
            Ok((Direction::Read, 2048))
        );
    }

    #[test]
    fn smc() {
        let t = TYPE_CHANGER;
        assert_eq!(
            dl(&cdb(0xa5, &[(3, 1), (5, 2)]), t, 0),
            Ok((Direction::None, 0))
        );
        assert_eq!(dl(&cdb(0xa6, &[(3, 1)]), t, 0), Ok((Direction::None, 0)));
        assert_eq!(dl(&cdb(0x07, &[]), t, 0), Ok((Direction::None, 0)));
        let res = cdb(0xb8, &[(7, 0x01), (8, 0x00), (9, 0x10)]);
        assert_eq!(dl(&res, t, 0), Ok((Direction::Read, 0x1_0010)));
        assert_eq!(name(&cdb(0xa5, &[]), t), "MOVE MEDIUM");
        assert_eq!(name(&cdb(0xa5, &[]), TYPE_CDROM), "PLAY AUDIO(12)");
        assert_eq!(name(&cdb(0x07, &[]), TYPE_DISK), "REASSIGN BLOCKS");
    }

    #[test]
    fn processor_send_receive() {
        assert_eq!(
            dl(&cdb(0x08, &[(3, 1)]), TYPE_PROCESSOR, 0),
            Ok((Direction::Read, 256))
        );
        assert_eq!(
            dl(&cdb(0x0a, &[(4, 9)]), TYPE_PROCESSOR, 0),
            Ok((Direction::Write, 9))
        );
    }

    #[test]
    fn reservation_and_local_flags() {
        for op in [0x12, 0x03, 0xa0, 0x17, 0x57] {
            assert_ne!(
                flags(&cdb(op, &[]), TYPE_DISK) & RESERVE_ALLOWED,
                0,
                "opcode {op:#x}"
            );
        }
        for op in [0x00, 0x16, 0x28, 0x2a, 0x5e, 0x5f] {
            assert_eq!(
                flags(&cdb(op, &[]), TYPE_DISK) & RESERVE_ALLOWED,
                0,
                "opcode {op:#x}"
            );
        }
        // PREVENT ALLOW MEDIUM REMOVAL only when it allows.
        assert_ne!(flags(&cdb(0x1e, &[]), TYPE_TAPE) & RESERVE_ALLOWED, 0);
        assert_eq!(flags(&cdb(0x1e, &[(4, 1)]), TYPE_TAPE) & RESERVE_ALLOWED, 0);
        for op in [0x03, 0xa0, 0x16, 0x17, 0x56, 0x57] {
            assert_ne!(flags(&cdb(op, &[]), TYPE_DISK) & LOCAL, 0, "opcode {op:#x}");
        }
        assert_eq!(flags(&cdb(0x12, &[]), TYPE_DISK) & LOCAL, 0);
        assert_ne!(flags(&cdb(0x12, &[]), TYPE_DISK) & SKIP_UA, 0);
        assert_eq!(flags(&cdb(0x00, &[]), TYPE_DISK) & SKIP_UA, 0);
        assert_eq!(flags(&cdb(0x28, &[]), TYPE_DISK) & WRITE_MEDIUM, 0);
    }

    #[test]
    fn errors() {
        assert_eq!(decode(&[], TYPE_DISK, BS), Err(DecodeError::Empty));
        assert_eq!(
            decode(&cdb(0x02, &[]), TYPE_DISK, BS),
            Err(DecodeError::UnknownOpcode(0x02))
        );
        assert_eq!(
            decode(&cdb(0xff, &[]), TYPE_DISK, BS),
            Err(DecodeError::UnknownOpcode(0xff))
        );
        assert_eq!(
            decode(&cdb(0x05, &[]), TYPE_DISK, BS),
            Err(DecodeError::WrongDeviceType {
                opcode: 0x05,
                dev_type: TYPE_DISK
            })
        );
        assert_eq!(
            decode(&cdb(0xa5, &[]), TYPE_DISK, BS),
            Err(DecodeError::WrongDeviceType {
                opcode: 0xa5,
                dev_type: TYPE_DISK
            })
        );
        assert_eq!(
            decode(&cdb(0x28, &[]), 40, BS),
            Err(DecodeError::WrongDeviceType {
                opcode: 0x28,
                dev_type: 40
            })
        );
        assert_eq!(
            decode(&[0x28, 0, 0, 0, 0, 0, 0, 0, 1], TYPE_DISK, BS),
            Err(DecodeError::TooShort {
                opcode: 0x28,
                need: 10,
                got: 9
            })
        );
        assert_eq!(
            decode(&cdb(0x88, &[])[..12], TYPE_DISK, BS),
            Err(DecodeError::TooShort {
                opcode: 0x88,
                need: 16,
                got: 12
            })
        );
        // Exactly the group length is enough; longer (padded) is fine too.
        assert_eq!(
            dl(&[0x12, 0, 0, 0, 36, 0], TYPE_DISK, BS),
            Ok((Direction::Read, 36))
        );
        assert_eq!(
            dl(&cdb(0x12, &[(4, 36)]), TYPE_DISK, BS),
            Ok((Direction::Read, 36))
        );
    }

    /// Every entry: sane name, types and fields, and no two entries of an
    /// opcode claim the same device type unless service actions part them.
    #[test]
    fn table_invariants() {
        let public = WRITE_MEDIUM
            | RESERVE_ALLOWED
            | LOCAL
            | FUA
            | UNKNOWN_LENGTH
            | SKIP_UA
            | LONG_TIMEOUT
            | EXACT_LENGTH
            | CHANGES_STATE;
        assert_eq!(public & MARKERS, 0);
        for (i, e) in TABLE.iter().enumerate() {
            assert!(!e.name.is_empty(), "entry {i}");
            assert_ne!(e.types, 0, "{}", e.name);
            assert_eq!(
                e.flags & (FUA | UNKNOWN_LENGTH),
                0,
                "{}: set by decode",
                e.name
            );
            let Some(len) = cdb_len(e.opcode) else {
                panic!("{}: opcode without a group length", e.name);
            };
            let last = len - 1; // the control byte
            match e.len {
                Bytes(at, w) | Blocks(at, w) | Verify(at, w) => {
                    assert!((1..=4).contains(&w), "{}", e.name);
                    assert!(usize::from(at) + usize::from(w) <= last, "{}", e.name);
                }
                Tape { at, .. } | TapeVerify(at) => {
                    assert!(usize::from(at) + 3 <= last, "{}", e.name);
                }
                _ => {}
            }
            assert_eq!(
                matches!(e.len, NoData),
                e.dir == Direction::None,
                "{}",
                e.name
            );
            if let Some(action) = e.sa {
                assert!(action <= 0x1f, "{}", e.name);
            }
            for other in TABLE.iter().skip(i + 1).filter(|o| o.opcode == e.opcode) {
                let parted = matches!((e.sa, other.sa), (Some(a), Some(b)) if a != b);
                assert!(
                    parted || e.types & other.types == 0,
                    "{} and {} overlap",
                    e.name,
                    other.name
                );
            }
        }
        for w in TABLE.windows(2) {
            assert!(w[0].opcode <= w[1].opcode, "{} out of order", w[1].name);
        }
    }

    /// A read-only LUN refuses exactly the commands that write its medium
    /// or change its state, on every device type; reading, medium
    /// movement and reservations pass.
    #[test]
    fn read_only_refusals() {
        let refused = |c: &[u8], t: u8| refused_read_only(flags(c, t));
        let disk_refused: &[(u8, u8)] = &[
            (0x04, 0),    // FORMAT UNIT
            (0x0a, 0),    // WRITE(6)
            (0x15, 0),    // MODE SELECT(6)
            (0x1d, 0),    // SEND DIAGNOSTIC
            (0x2a, 0),    // WRITE(10)
            (0x2e, 0),    // WRITE AND VERIFY(10)
            (0x3b, 0),    // WRITE BUFFER
            (0x3f, 0),    // WRITE LONG(10)
            (0x41, 0),    // WRITE SAME(10)
            (0x42, 0),    // UNMAP
            (0x4c, 0),    // LOG SELECT
            (0x55, 0),    // MODE SELECT(10)
            (0x83, 0x00), // EXTENDED COPY(LID1)
            (0x83, 0x11), // WRITE USING TOKEN
            (0x89, 0),    // COMPARE AND WRITE
            (0x8a, 0),    // WRITE(16)
            (0x8d, 0),    // WRITE ATTRIBUTE
            (0x93, 0),    // WRITE SAME(16)
            (0xa4, 0x06), // SET IDENTIFYING INFORMATION
            (0xa4, 0x0f), // SET TIMESTAMP
            (0xaa, 0),    // WRITE(12)
            (0xb5, 0),    // SECURITY PROTOCOL OUT
        ];
        for &(op, action) in disk_refused {
            let c = cdb(op, &[(1, action), (4, 1), (8, 1), (13, 1)]);
            assert!(refused(&c, TYPE_DISK), "opcode 0x{op:02x}/{action:02x}");
        }
        let disk_allowed = [
            0x00, 0x03, 0x12, 0x16, 0x17, 0x1a, 0x1b, 0x1e, 0x25, 0x28, 0x2f, 0x35, 0x3c, 0x4d,
            0x5a, 0x88, 0xa0,
        ];
        for op in disk_allowed {
            assert!(
                !refused(&cdb(op, &[(4, 1)]), TYPE_DISK),
                "opcode 0x{op:02x}"
            );
        }
        // Other device types: tape writes and erases, a processor's SEND,
        // a CD's structures; not a tape's READ or a changer's MOVE MEDIUM.
        assert!(refused(&cdb(0x10, &[]), TYPE_TAPE));
        assert!(refused(&cdb(0x19, &[]), TYPE_TAPE));
        assert!(refused(&cdb(0x0a, &[(4, 1)]), TYPE_PROCESSOR));
        assert!(refused(&cdb(0xbf, &[(9, 1)]), TYPE_CDROM));
        assert!(!refused(&cdb(0x08, &[(4, 1)]), TYPE_TAPE));
        assert!(!refused(&cdb(0xa5, &[]), TYPE_CHANGER));
    }

    /// Every entry decodes back to itself on each of its device types.
    #[test]
    fn entries_round_trip() {
        for e in TABLE {
            for t in (0..32u8).filter(|&t| e.applies_to(t)) {
                let c = cdb(e.opcode, &[(1, e.sa.unwrap_or(0))]);
                assert_eq!(decode(&c, t, BS).map(|d| d.name), Ok(e.name), "type {t}");
            }
        }
    }

    /// No input panics.
    #[test]
    fn no_panics() {
        let mut hits = 0u32;
        for op in 0..=255u8 {
            for fill in [0x00, 0x5a, 0xff] {
                let mut c = [fill; 16];
                c[0] = op;
                for t in 0..=32u8 {
                    for n in 0..=c.len() {
                        for bs in [0, 512, u32::MAX] {
                            hits += u32::from(decode(&c[..n], t, bs).is_ok());
                        }
                    }
                }
            }
        }
        assert!(hits > 0);
    }
}
