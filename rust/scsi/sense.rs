// SPDX-License-Identifier: GPL-2.0

//! SCSI status codes and sense data (SAM-5, SPC-4): the status byte a
//! command ends with, and the sense data that explains a CHECK CONDITION.
//! `no_std`, no allocation, host-tested; every module of the suite uses
//! these types (through `scst_rs::scsi`).
//!
//! A [`Sense`] is the value the core and the device handlers pass around;
//! it is encoded only when the status goes out, in fixed format (response
//! code 70h/71h) or descriptor format (72h/73h) as the initiator's D_SENSE
//! bit asks.  [`parse`] reads either format back, for pass-through devices
//! whose sense data has to be looked at or converted.

use super::bytes::put;

/// A SCSI status byte (SAM-5 5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Status(pub u8);

impl Status {
    /// The command completed without error.
    pub const GOOD: Status = Status(0x00);
    /// Sense data describes an error or exception.
    pub const CHECK_CONDITION: Status = Status(0x02);
    /// PRE-FETCH: the requested blocks fit in the cache.
    pub const CONDITION_MET: Status = Status(0x04);
    /// The logical unit cannot take the command now; retry later.
    pub const BUSY: Status = Status(0x08);
    /// Another I_T nexus holds a conflicting reservation.
    pub const RESERVATION_CONFLICT: Status = Status(0x18);
    /// The task set has no room for this command.
    pub const TASK_SET_FULL: Status = Status(0x28);
    /// An ACA condition is in effect and the command was not ACA-tagged.
    pub const ACA_ACTIVE: Status = Status(0x30);
    /// Another I_T nexus aborted the command (TAS set).
    pub const TASK_ABORTED: Status = Status(0x40);
}

/// A sense key (SPC-4 table 48): four bits saying what kind of error the
/// sense data reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SenseKey(u8);

impl SenseKey {
    /// No specific sense key information to report.
    pub const NO_SENSE: SenseKey = SenseKey(0x0);
    /// The command succeeded after recovery action.
    pub const RECOVERED_ERROR: SenseKey = SenseKey(0x1);
    /// The logical unit is not accessible.
    pub const NOT_READY: SenseKey = SenseKey(0x2);
    /// A flaw in the medium or the recorded data.
    pub const MEDIUM_ERROR: SenseKey = SenseKey(0x3);
    /// A non-recoverable hardware failure.
    pub const HARDWARE_ERROR: SenseKey = SenseKey(0x4);
    /// Something in the CDB or the parameter data is wrong.
    pub const ILLEGAL_REQUEST: SenseKey = SenseKey(0x5);
    /// A unit attention condition was reported.
    pub const UNIT_ATTENTION: SenseKey = SenseKey(0x6);
    /// The medium is protected against the operation.
    pub const DATA_PROTECT: SenseKey = SenseKey(0x7);
    /// Blank medium met when reading, or non-blank when writing once.
    pub const BLANK_CHECK: SenseKey = SenseKey(0x8);
    /// Vendor specific.
    pub const VENDOR_SPECIFIC: SenseKey = SenseKey(0x9);
    /// An EXTENDED COPY command was aborted.
    pub const COPY_ABORTED: SenseKey = SenseKey(0xa);
    /// The device server aborted the command.
    pub const ABORTED_COMMAND: SenseKey = SenseKey(0xb);
    /// A buffered device reached the end of a partition.
    pub const VOLUME_OVERFLOW: SenseKey = SenseKey(0xd);
    /// Source data did not match the medium.
    pub const MISCOMPARE: SenseKey = SenseKey(0xe);
    /// The command completed; the sense data has informational content.
    pub const COMPLETED: SenseKey = SenseKey(0xf);

    /// The sense key in the low four bits of `code`; the rest is ignored,
    /// as the sense key field is four bits wide.
    pub const fn new(code: u8) -> SenseKey {
        SenseKey(code & 0x0f)
    }

    /// The four-bit code of the sense key.
    pub const fn code(self) -> u8 {
        self.0
    }
}

/// Which byte (and bit) of the CDB or parameter list is wrong: the
/// sense-key specific field of ILLEGAL REQUEST (SPC-4 4.5.2.4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldPointer {
    /// The field is in the CDB (C/D bit one), not in the parameter data.
    pub in_cdb: bool,
    /// Byte offset of the field.
    pub byte: u16,
    /// Bit 0..=7 of the field's most significant bit; `None` (or a
    /// value above 7, which has no meaning) leaves BPV zero.
    pub bit: Option<u8>,
}

impl FieldPointer {
    /// The three sense-key specific bytes, SKSV set.
    fn encode(&self) -> [u8; 3] {
        let mut b0 = 0x80;
        if self.in_cdb {
            b0 |= 0x40;
        }
        if let Some(bit @ 0..=7) = self.bit {
            b0 |= 0x08 | bit;
        }
        let [hi, lo] = self.byte.to_be_bytes();
        [b0, hi, lo]
    }

    /// Reads the three sense-key specific bytes; `None` unless SKSV is set.
    fn decode(sks: &[u8]) -> Option<FieldPointer> {
        let (&b0, &hi, &lo) = (sks.first()?, sks.get(1)?, sks.get(2)?);
        if b0 & 0x80 == 0 {
            return None;
        }
        Some(FieldPointer {
            in_cdb: b0 & 0x40 != 0,
            byte: u16::from_be_bytes([hi, lo]),
            bit: if b0 & 0x08 != 0 {
                Some(b0 & 0x07)
            } else {
                None
            },
        })
    }
}

/// Sense data format (SPC-4 4.5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Fixed format, response code 70h or 71h.
    Fixed,
    /// Descriptor format, response code 72h or 73h.
    Descriptor,
}

/// Length of fixed format sense data as [`Sense::encode_fixed`] writes it.
pub const FIXED_LEN: usize = 18;

/// Descriptor format header length.
const DESC_HEADER_LEN: usize = 8;
/// Information descriptor (type 00h) length.
const INFO_DESC_LEN: usize = 12;
/// Sense-key specific descriptor (type 02h) length.
const SKS_DESC_LEN: usize = 8;

/// The longest sense data any encoder of this module writes: descriptor
/// format with both descriptors.
pub const MAX_ENCODED_LEN: usize = DESC_HEADER_LEN + INFO_DESC_LEN + SKS_DESC_LEN;

/// What went wrong, as the sense data says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sense {
    /// Sense key.
    pub key: SenseKey,
    /// Additional sense code.
    pub asc: u8,
    /// Additional sense code qualifier.
    pub ascq: u8,
    /// INFORMATION field, e.g. the offset of a miscompare.  Fixed format
    /// holds only 32 bits: a larger value leaves VALID zero there.
    pub info: Option<u64>,
    /// Sense-key specific field pointer; meaningful only with ILLEGAL
    /// REQUEST (other keys give those bytes other meanings).
    pub field: Option<FieldPointer>,
    /// A deferred error (response code 71h/73h), not a current one.
    pub deferred: bool,
}

impl Sense {
    /// A current error with this key, ASC and ASCQ, and nothing else.
    pub const fn new(key: SenseKey, asc: u8, ascq: u8) -> Sense {
        Sense {
            key,
            asc,
            ascq,
            info: None,
            field: None,
            deferred: false,
        }
    }

    /// The same sense with the INFORMATION field set to `info`.
    pub const fn with_info(self, info: u64) -> Sense {
        Sense {
            info: Some(info),
            ..self
        }
    }

    /// ILLEGAL REQUEST, INVALID COMMAND OPERATION CODE (20h/00h).
    pub const INVALID_OPCODE: Sense = Sense::new(SenseKey::ILLEGAL_REQUEST, 0x20, 0x00);
    /// ILLEGAL REQUEST, INVALID MESSAGE ERROR (49h/00h): the transport's
    /// view of the command (task attribute, expected direction) is
    /// unacceptable.
    pub const INVALID_MESSAGE: Sense = Sense::new(SenseKey::ILLEGAL_REQUEST, 0x49, 0x00);
    /// ILLEGAL REQUEST, LOGICAL BLOCK ADDRESS OUT OF RANGE (21h/00h).
    pub const LBA_OUT_OF_RANGE: Sense = Sense::new(SenseKey::ILLEGAL_REQUEST, 0x21, 0x00);
    /// ILLEGAL REQUEST, PARAMETER LIST LENGTH ERROR (1Ah/00h).
    pub const PARAMETER_LIST_LENGTH_ERROR: Sense =
        Sense::new(SenseKey::ILLEGAL_REQUEST, 0x1a, 0x00);
    /// ILLEGAL REQUEST, LOGICAL UNIT NOT SUPPORTED (25h/00h).
    pub const LUN_NOT_SUPPORTED: Sense = Sense::new(SenseKey::ILLEGAL_REQUEST, 0x25, 0x00);
    /// DATA PROTECT, WRITE PROTECTED (27h/00h).
    pub const WRITE_PROTECTED: Sense = Sense::new(SenseKey::DATA_PROTECT, 0x27, 0x00);
    /// NOT READY, MEDIUM NOT PRESENT (3Ah/00h).
    pub const MEDIUM_NOT_PRESENT: Sense = Sense::new(SenseKey::NOT_READY, 0x3a, 0x00);
    /// NOT READY, LOGICAL UNIT NOT READY, CAUSE NOT REPORTABLE (04h/00h).
    pub const LUN_NOT_READY: Sense = Sense::new(SenseKey::NOT_READY, 0x04, 0x00);
    /// UNIT ATTENTION, POWER ON, RESET, OR BUS DEVICE RESET OCCURRED
    /// (29h/00h).
    pub const POWER_ON_RESET: Sense = Sense::new(SenseKey::UNIT_ATTENTION, 0x29, 0x00);
    /// UNIT ATTENTION, REPORTED LUNS DATA HAS CHANGED (3Fh/0Eh).
    pub const REPORTED_LUNS_CHANGED: Sense = Sense::new(SenseKey::UNIT_ATTENTION, 0x3f, 0x0e);
    /// UNIT ATTENTION, MODE PARAMETERS CHANGED (2Ah/01h).
    pub const MODE_PARAMETERS_CHANGED: Sense = Sense::new(SenseKey::UNIT_ATTENTION, 0x2a, 0x01);
    /// UNIT ATTENTION, CAPACITY DATA HAS CHANGED (2Ah/09h).
    pub const CAPACITY_CHANGED: Sense = Sense::new(SenseKey::UNIT_ATTENTION, 0x2a, 0x09);
    /// UNIT ATTENTION, NOT READY TO READY CHANGE, MEDIUM MAY HAVE CHANGED
    /// (28h/00h).
    pub const MEDIUM_MAY_HAVE_CHANGED: Sense = Sense::new(SenseKey::UNIT_ATTENTION, 0x28, 0x00);
    /// UNIT ATTENTION, COMMANDS CLEARED BY ANOTHER INITIATOR (2Fh/00h).
    pub const COMMANDS_CLEARED_BY_ANOTHER_INITIATOR: Sense =
        Sense::new(SenseKey::UNIT_ATTENTION, 0x2f, 0x00);
    /// MEDIUM ERROR, UNRECOVERED READ ERROR (11h/00h).
    pub const UNRECOVERED_READ_ERROR: Sense = Sense::new(SenseKey::MEDIUM_ERROR, 0x11, 0x00);
    /// MEDIUM ERROR, WRITE ERROR (0Ch/00h).
    pub const WRITE_ERROR: Sense = Sense::new(SenseKey::MEDIUM_ERROR, 0x0c, 0x00);
    /// HARDWARE ERROR, INTERNAL TARGET FAILURE (44h/00h).
    pub const INTERNAL_TARGET_FAILURE: Sense = Sense::new(SenseKey::HARDWARE_ERROR, 0x44, 0x00);
    /// ABORTED COMMAND, NO ADDITIONAL SENSE INFORMATION (00h/00h).
    pub const ABORTED_COMMAND: Sense = Sense::new(SenseKey::ABORTED_COMMAND, 0x00, 0x00);
    /// ABORTED COMMAND, DATA PHASE ERROR (4Bh/00h): the transport lost or
    /// garbled data of the command.
    pub const DATA_PHASE_ERROR: Sense = Sense::new(SenseKey::ABORTED_COMMAND, 0x4b, 0x00);
    /// ABORTED COMMAND, LOGICAL UNIT COMMUNICATION TIME-OUT (08h/01h): the
    /// device behind a pass-through LUN did not answer.
    pub const LUN_COMMUNICATION_TIMEOUT: Sense = Sense::new(SenseKey::ABORTED_COMMAND, 0x08, 0x01);
    /// ABORTED COMMAND, INSUFFICIENT RESOURCES (55h/03h).
    pub const INSUFFICIENT_RESOURCES: Sense = Sense::new(SenseKey::ABORTED_COMMAND, 0x55, 0x03);
    /// ILLEGAL REQUEST, INVALID FIELD IN CDB (24h/00h), without a field
    /// pointer.
    pub const INVALID_FIELD_IN_CDB: Sense = Sense::new(SenseKey::ILLEGAL_REQUEST, 0x24, 0x00);
    /// ILLEGAL REQUEST, INVALID FIELD IN PARAMETER LIST (26h/00h), without
    /// a field pointer.
    pub const INVALID_FIELD_IN_PARAMETER_LIST: Sense =
        Sense::new(SenseKey::ILLEGAL_REQUEST, 0x26, 0x00);
    /// ILLEGAL REQUEST, SAVING PARAMETERS NOT SUPPORTED (39h/00h).
    pub const SAVING_PARAMETERS_NOT_SUPPORTED: Sense =
        Sense::new(SenseKey::ILLEGAL_REQUEST, 0x39, 0x00);
    /// ILLEGAL REQUEST, MEDIUM REMOVAL PREVENTED (53h/02h).
    pub const MEDIUM_REMOVAL_PREVENTED: Sense = Sense::new(SenseKey::ILLEGAL_REQUEST, 0x53, 0x02);
    /// MISCOMPARE, MISCOMPARE DURING VERIFY OPERATION (1Dh/00h), without
    /// the offset (see [`Sense::miscompare`]).
    pub const MISCOMPARE: Sense = Sense::new(SenseKey::MISCOMPARE, 0x1d, 0x00);
    /// DATA PROTECT, SPACE ALLOCATION FAILED WRITE PROTECT (27h/07h): a
    /// thinly provisioned medium ran out of space.
    pub const SPACE_ALLOCATION_FAILED: Sense = Sense::new(SenseKey::DATA_PROTECT, 0x27, 0x07);

    /// ILLEGAL REQUEST, INVALID FIELD IN CDB (24h/00h), pointing at CDB
    /// byte `byte` and, if given, bit `bit` (the field's top bit).
    pub const fn invalid_field_in_cdb(byte: u16, bit: Option<u8>) -> Sense {
        Sense {
            field: Some(FieldPointer {
                in_cdb: true,
                byte,
                bit,
            }),
            ..Sense::new(SenseKey::ILLEGAL_REQUEST, 0x24, 0x00)
        }
    }

    /// ILLEGAL REQUEST, INVALID FIELD IN PARAMETER LIST (26h/00h),
    /// pointing at parameter data byte `byte` and, if given, bit `bit`.
    pub const fn invalid_field_in_parameter_list(byte: u16, bit: Option<u8>) -> Sense {
        Sense {
            field: Some(FieldPointer {
                in_cdb: false,
                byte,
                bit,
            }),
            ..Sense::new(SenseKey::ILLEGAL_REQUEST, 0x26, 0x00)
        }
    }

    /// MISCOMPARE, MISCOMPARE DURING VERIFY OPERATION (1Dh/00h), with the
    /// INFORMATION field set to the offset of the first differing byte
    /// (SBC-3 VERIFY with BYTCHK, COMPARE AND WRITE).
    pub const fn miscompare(offset: u64) -> Sense {
        Sense::new(SenseKey::MISCOMPARE, 0x1d, 0x00).with_info(offset)
    }

    /// Bytes the encoder for `format` writes, given room.
    pub fn encoded_len(&self, format: Format) -> usize {
        match format {
            Format::Fixed => FIXED_LEN,
            Format::Descriptor => self.descriptor_len(),
        }
    }

    /// Encodes in `format` into `out`; see [`Sense::encode_fixed`] and
    /// [`Sense::encode_descriptor`].
    pub fn encode(&self, format: Format, out: &mut [u8]) -> usize {
        match format {
            Format::Fixed => self.encode_fixed(out),
            Format::Descriptor => self.encode_descriptor(out),
        }
    }

    /// Writes 18 bytes of fixed format sense data (SPC-4 4.5.3) into
    /// `out`, or as many as fit, and returns how many it wrote.  A
    /// truncated copy keeps ADDITIONAL SENSE LENGTH at 10, as SPC-4 asks
    /// when the allocation length cuts sense data short.
    pub fn encode_fixed(&self, out: &mut [u8]) -> usize {
        let mut b = [0u8; FIXED_LEN];
        b[0] = if self.deferred { 0x71 } else { 0x70 };
        // The INFORMATION field is four bytes here: a larger value cannot
        // be reported, and VALID zero says so.
        if let Some(info) = self.info.and_then(|i| u32::try_from(i).ok()) {
            b[0] |= 0x80;
            put(&mut b, 3, &info.to_be_bytes());
        }
        b[2] = self.key.code();
        b[7] = (FIXED_LEN - 8) as u8;
        b[12] = self.asc;
        b[13] = self.ascq;
        if let Some(field) = &self.field {
            put(&mut b, 15, &field.encode());
        }
        put(out, 0, &b)
    }

    /// The 18 bytes of fixed format sense data (see
    /// [`Sense::encode_fixed`]), for a caller that sends all of them.
    pub fn to_fixed(&self) -> [u8; FIXED_LEN] {
        let mut b = [0u8; FIXED_LEN];
        self.encode_fixed(&mut b);
        b
    }

    /// Bytes of descriptor format sense data for this sense.
    fn descriptor_len(&self) -> usize {
        let mut n = DESC_HEADER_LEN;
        if self.info.is_some() {
            n += INFO_DESC_LEN;
        }
        if self.field.is_some() {
            n += SKS_DESC_LEN;
        }
        n
    }

    /// Writes descriptor format sense data (SPC-4 4.5.2) into `out`, or
    /// as much as fits, and returns how many bytes it wrote: the 8-byte
    /// header, an information descriptor (type 00h) if `info` is set and
    /// a sense-key specific descriptor (type 02h) if `field` is set.
    pub fn encode_descriptor(&self, out: &mut [u8]) -> usize {
        let mut b = [0u8; MAX_ENCODED_LEN];
        let len = self.descriptor_len();
        b[0] = if self.deferred { 0x73 } else { 0x72 };
        b[1] = self.key.code();
        b[2] = self.asc;
        b[3] = self.ascq;
        // At most 28 bytes, so this always fits a byte.
        b[7] = (len - DESC_HEADER_LEN) as u8;
        let mut at = DESC_HEADER_LEN;
        if let Some(info) = self.info {
            let mut d = [0u8; INFO_DESC_LEN];
            d[0] = 0x00;
            d[1] = (INFO_DESC_LEN - 2) as u8;
            d[2] = 0x80; // VALID, always one in this descriptor
            put(&mut d, 4, &info.to_be_bytes());
            at += put(&mut b, at, &d);
        }
        if let Some(field) = &self.field {
            let mut d = [0u8; SKS_DESC_LEN];
            d[0] = 0x02;
            d[1] = (SKS_DESC_LEN - 2) as u8;
            put(&mut d, 4, &field.encode());
            put(&mut b, at, &d);
        }
        put(out, 0, b.get(..len).unwrap_or(&b))
    }
}

/// The format of the sense data in `buf`, from its response code; `None`
/// if the buffer is empty or the response code is not 70h..=73h.
pub fn format(buf: &[u8]) -> Option<Format> {
    match buf.first()? & 0x7f {
        0x70 | 0x71 => Some(Format::Fixed),
        0x72 | 0x73 => Some(Format::Descriptor),
        _ => None,
    }
}

/// Reads sense data of either format: key, ASC, ASCQ, whether the error
/// is deferred, the INFORMATION field if valid and, for ILLEGAL REQUEST,
/// the field pointer if SKSV is set.
///
/// Returns `None` for an unknown response code (vendor specific 7Fh
/// included) or a buffer shorter than the 8-byte header.  Beyond the
/// header, what the buffer or ADDITIONAL SENSE LENGTH leaves out counts as
/// zero, as for sense data cut short by an allocation length.
pub fn parse(buf: &[u8]) -> Option<Sense> {
    let format = format(buf)?;
    let header = buf.get(..8)?;
    let &code = header.first()?;
    let &add_len = header.get(7)?;
    let end = buf.len().min(8 + usize::from(add_len));
    let buf = buf.get(..end)?;
    let deferred = code & 0x7f == 0x71 || code & 0x7f == 0x73;
    let mut sense = match format {
        Format::Fixed => parse_fixed(buf),
        Format::Descriptor => parse_descriptor(buf),
    }?;
    sense.deferred = deferred;
    Some(sense)
}

/// Fixed format body; `buf` is cut at ADDITIONAL SENSE LENGTH.
fn parse_fixed(buf: &[u8]) -> Option<Sense> {
    let key = SenseKey::new(*buf.get(2)?);
    let at = |i: usize| buf.get(i).copied().unwrap_or(0);
    let mut sense = Sense::new(key, at(12), at(13));
    if at(0) & 0x80 != 0 {
        let info = buf.get(3..7)?;
        sense.info = Some(u64::from(be32(info)?));
    }
    if key == SenseKey::ILLEGAL_REQUEST {
        sense.field = buf.get(15..18).and_then(FieldPointer::decode);
    }
    Some(sense)
}

/// Descriptor format body; `buf` is cut at ADDITIONAL SENSE LENGTH.  A
/// descriptor that runs past the end is ignored, as are unknown types.
fn parse_descriptor(buf: &[u8]) -> Option<Sense> {
    let key = SenseKey::new(*buf.get(1)?);
    let mut sense = Sense::new(key, *buf.get(2)?, *buf.get(3)?);
    let mut rest = buf.get(DESC_HEADER_LEN..).unwrap_or(&[]);
    while let (Some(&kind), Some(&len)) = (rest.first(), rest.get(1)) {
        let Some(d) = rest.get(..2 + usize::from(len)) else {
            break;
        };
        match (kind, d.len()) {
            (0x00, INFO_DESC_LEN) if d.get(2).is_some_and(|b| b & 0x80 != 0) => {
                sense.info = d.get(4..12).and_then(be64);
            }
            (0x02, SKS_DESC_LEN) if key == SenseKey::ILLEGAL_REQUEST => {
                sense.field = d.get(4..7).and_then(FieldPointer::decode);
            }
            _ => {}
        }
        rest = rest.get(d.len()..).unwrap_or(&[]);
    }
    Some(sense)
}

fn be32(b: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(b.try_into().ok()?))
}

fn be64(b: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(b.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed(s: &Sense) -> ([u8; 32], usize) {
        let mut b = [0xeeu8; 32];
        let n = s.encode_fixed(&mut b);
        (b, n)
    }

    #[test]
    fn to_fixed_is_all_of_encode_fixed() {
        let s = Sense::INVALID_FIELD_IN_CDB.with_info(7);
        let (b, n) = fixed(&s);
        assert_eq!(n, FIXED_LEN);
        assert_eq!(&s.to_fixed()[..], &b[..n]);
    }

    fn desc(s: &Sense) -> ([u8; 32], usize) {
        let mut b = [0xeeu8; 32];
        let n = s.encode_descriptor(&mut b);
        (b, n)
    }

    #[test]
    fn status_codes() {
        assert_eq!(Status::GOOD.0, 0x00);
        assert_eq!(Status::CHECK_CONDITION.0, 0x02);
        assert_eq!(Status::BUSY.0, 0x08);
        assert_eq!(Status::RESERVATION_CONFLICT.0, 0x18);
        assert_eq!(Status::TASK_SET_FULL.0, 0x28);
        assert_eq!(Status::ACA_ACTIVE.0, 0x30);
        assert_eq!(Status::TASK_ABORTED.0, 0x40);
    }

    #[test]
    fn sense_keys() {
        assert_eq!(SenseKey::ILLEGAL_REQUEST.code(), 5);
        assert_eq!(SenseKey::new(0xf6), SenseKey::UNIT_ATTENTION);
        assert_eq!(SenseKey::COMPLETED.code(), 0xf);
    }

    #[test]
    fn fixed_plain() {
        let (b, n) = fixed(&Sense::MEDIUM_NOT_PRESENT);
        assert_eq!(n, 18);
        assert_eq!(
            &b[..n],
            &[0x70, 0, 0x02, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x3a, 0x00, 0, 0, 0, 0]
        );
        assert_eq!(b[18], 0xee, "nothing written past 18 bytes");
        let (b, _) = fixed(&Sense::REPORTED_LUNS_CHANGED);
        assert_eq!(
            &b[..18],
            &[0x70, 0, 6, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x3f, 0x0e, 0, 0, 0, 0]
        );
    }

    #[test]
    fn fixed_info_and_deferred() {
        let s = Sense {
            deferred: true,
            ..Sense::miscompare(0x0102_0304)
        };
        let (b, n) = fixed(&s);
        assert_eq!(
            &b[..n],
            &[0xf1, 0, 0x0e, 1, 2, 3, 4, 10, 0, 0, 0, 0, 0x1d, 0x00, 0, 0, 0, 0]
        );
        // Too big for four bytes: VALID zero, INFORMATION zero.
        let (b, _) = fixed(&Sense::miscompare(1 << 32));
        assert_eq!(&b[..8], &[0x70, 0, 0x0e, 0, 0, 0, 0, 10]);
    }

    #[test]
    fn fixed_field_pointer() {
        let (b, n) = fixed(&Sense::invalid_field_in_cdb(2, None));
        assert_eq!(
            &b[..n],
            &[0x70, 0, 0x05, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x24, 0x00, 0, 0xc0, 0x00, 0x02]
        );
        let (b, _) = fixed(&Sense::invalid_field_in_cdb(1, Some(4)));
        assert_eq!(&b[15..18], &[0xcc, 0x00, 0x01]);
        let (b, _) = fixed(&Sense::invalid_field_in_parameter_list(0x123, Some(7)));
        assert_eq!(&b[12..18], &[0x26, 0x00, 0, 0x8f, 0x01, 0x23]);
        let (b, _) = fixed(&Sense::invalid_field_in_parameter_list(3, None));
        assert_eq!(&b[15..18], &[0x80, 0x00, 0x03]);
        // A bit number that cannot be: no BPV.
        let (b, _) = fixed(&Sense::invalid_field_in_cdb(9, Some(8)));
        assert_eq!(&b[15..18], &[0xc0, 0x00, 0x09]);
    }

    #[test]
    fn descriptor_plain() {
        let (b, n) = desc(&Sense::POWER_ON_RESET);
        assert_eq!(n, 8);
        assert_eq!(&b[..n], &[0x72, 0x06, 0x29, 0x00, 0, 0, 0, 0]);
        assert_eq!(b[8], 0xee);
        let s = Sense {
            deferred: true,
            ..Sense::WRITE_ERROR
        };
        let (b, n) = desc(&s);
        assert_eq!(&b[..n], &[0x73, 0x03, 0x0c, 0x00, 0, 0, 0, 0]);
    }

    #[test]
    fn descriptor_info() {
        let (b, n) = desc(&Sense::miscompare(0x1_0000_0002));
        assert_eq!(n, 20);
        assert_eq!(
            &b[..n],
            &[
                0x72, 0x0e, 0x1d, 0x00, 0, 0, 0, 12, //
                0x00, 0x0a, 0x80, 0, 0, 0, 0, 1, 0, 0, 0, 2,
            ]
        );
    }

    #[test]
    fn descriptor_field_pointer() {
        let (b, n) = desc(&Sense::invalid_field_in_cdb(1, Some(4)));
        assert_eq!(n, 16);
        assert_eq!(
            &b[..n],
            &[
                0x72, 0x05, 0x24, 0x00, 0, 0, 0, 8, //
                0x02, 0x06, 0, 0, 0xcc, 0x00, 0x01, 0,
            ]
        );
        let (b, n) = desc(&Sense::invalid_field_in_parameter_list(0x0203, None));
        assert_eq!(
            &b[..n],
            &[0x72, 5, 0x26, 0, 0, 0, 0, 8, 2, 6, 0, 0, 0x80, 2, 3, 0]
        );
    }

    #[test]
    fn descriptor_both() {
        let s = Sense::invalid_field_in_cdb(2, None).with_info(7);
        let (b, n) = desc(&s);
        assert_eq!(n, MAX_ENCODED_LEN);
        assert_eq!(s.encoded_len(Format::Descriptor), 28);
        assert_eq!(
            &b[..n],
            &[
                0x72, 0x05, 0x24, 0x00, 0, 0, 0, 20, //
                0x00, 0x0a, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 7, //
                0x02, 0x06, 0, 0, 0xc0, 0x00, 0x02, 0,
            ]
        );
    }

    #[test]
    fn truncation() {
        let s = Sense::invalid_field_in_cdb(2, None).with_info(7);
        let mut short = [0xeeu8; 10];
        assert_eq!(s.encode_fixed(&mut short), 10);
        assert_eq!(short, [0xf0, 0, 5, 0, 0, 0, 7, 10, 0, 0]);
        let mut short = [0xeeu8; 13];
        assert_eq!(s.encode(Format::Descriptor, &mut short), 13);
        assert_eq!(short, [0x72, 5, 0x24, 0, 0, 0, 0, 20, 0, 0x0a, 0x80, 0, 0]);
        assert_eq!(s.encode_fixed(&mut []), 0);
        assert_eq!(s.encode_descriptor(&mut []), 0);
    }

    #[test]
    fn round_trip() {
        let all = [
            Sense::INVALID_OPCODE,
            Sense::LBA_OUT_OF_RANGE,
            Sense::PARAMETER_LIST_LENGTH_ERROR,
            Sense::LUN_NOT_SUPPORTED,
            Sense::WRITE_PROTECTED,
            Sense::MEDIUM_NOT_PRESENT,
            Sense::LUN_NOT_READY,
            Sense::POWER_ON_RESET,
            Sense::REPORTED_LUNS_CHANGED,
            Sense::MODE_PARAMETERS_CHANGED,
            Sense::CAPACITY_CHANGED,
            Sense::MEDIUM_MAY_HAVE_CHANGED,
            Sense::COMMANDS_CLEARED_BY_ANOTHER_INITIATOR,
            Sense::UNRECOVERED_READ_ERROR,
            Sense::WRITE_ERROR,
            Sense::INTERNAL_TARGET_FAILURE,
            Sense::ABORTED_COMMAND,
            Sense::DATA_PHASE_ERROR,
            Sense::invalid_field_in_cdb(0, Some(0)),
            Sense::invalid_field_in_cdb(0xffff, None),
            Sense::invalid_field_in_parameter_list(12, Some(3)).with_info(1),
            Sense::miscompare(0),
            Sense {
                deferred: true,
                ..Sense::miscompare(u64::from(u32::MAX))
            },
            Sense {
                deferred: true,
                ..Sense::UNRECOVERED_READ_ERROR
            },
        ];
        for s in &all {
            for format in [Format::Fixed, Format::Descriptor] {
                let mut b = [0u8; MAX_ENCODED_LEN];
                let n = s.encode(format, &mut b);
                assert_eq!(n, s.encoded_len(format));
                assert_eq!(super::format(&b[..n]), Some(format));
                assert_eq!(parse(&b[..n]).as_ref(), Some(s), "{format:?}");
            }
        }
        // Eight-byte information survives only in descriptor format.
        let big = Sense::miscompare(1 << 40);
        let mut b = [0u8; MAX_ENCODED_LEN];
        let n = big.encode_descriptor(&mut b);
        assert_eq!(parse(&b[..n]), Some(big));
        let n = big.encode_fixed(&mut b);
        assert_eq!(parse(&b[..n]), Some(Sense { info: None, ..big }));
    }

    #[test]
    fn parse_short_and_odd() {
        // Cut at the allocation length: what is missing reads as zero.
        let s = Sense::invalid_field_in_cdb(2, None);
        let mut b = [0u8; 18];
        s.encode_fixed(&mut b);
        assert_eq!(
            parse(&b[..13]),
            Some(Sense::new(SenseKey::ILLEGAL_REQUEST, 0x24, 0))
        );
        // ADDITIONAL SENSE LENGTH also cuts.
        b[7] = 6;
        assert_eq!(
            parse(&b),
            Some(Sense::new(SenseKey::ILLEGAL_REQUEST, 0x24, 0))
        );
        // A descriptor running past the end is dropped.
        let mut d = [0u8; MAX_ENCODED_LEN];
        let n = s.with_info(5).encode_descriptor(&mut d);
        assert_eq!(
            parse(&d[..n - 1]),
            Some(Sense {
                field: None,
                ..s.with_info(5)
            })
        );
        // Unknown descriptor types are skipped.
        let odd = [0x72, 0x0b, 0x47, 0x05, 0, 0, 0, 12, 0x80, 2, 9, 9, 0, 0x0a];
        assert_eq!(
            parse(&odd),
            Some(Sense::new(SenseKey::ABORTED_COMMAND, 0x47, 0x05))
        );
        // A field pointer is only read for ILLEGAL REQUEST.
        let mut u = [0u8; 18];
        Sense {
            field: s.field,
            ..Sense::POWER_ON_RESET
        }
        .encode_fixed(&mut u);
        assert_eq!(parse(&u), Some(Sense::POWER_ON_RESET));
    }

    #[test]
    fn parse_garbage() {
        assert_eq!(parse(&[]), None);
        assert_eq!(parse(&[0x70]), None);
        assert_eq!(parse(&[0x70, 0, 5, 0, 0, 0, 0]), None);
        assert_eq!(parse(&[0x72, 5, 0x24]), None);
        assert_eq!(parse(&[0x00; 18]), None);
        assert_eq!(parse(&[0x7f; 18]), None);
        assert_eq!(parse(&[0x74; 18]), None);
        assert_eq!(format(&[]), None);
        // Every byte value in every position of a short buffer: no panic.
        for len in 0..=MAX_ENCODED_LEN {
            for v in 0..=255u8 {
                let mut b = [v; MAX_ENCODED_LEN];
                b[0] = 0x70 | (v & 0x83);
                let _ = parse(&b[..len]);
                b.iter_mut()
                    .enumerate()
                    .for_each(|(i, x)| *x = x.wrapping_add(i as u8));
                b[0] = 0x72 | (v & 0x81);
                let _ = parse(&b[..len]);
            }
        }
    }
}
