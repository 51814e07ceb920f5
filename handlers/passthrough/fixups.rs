// SPDX-License-Identifier: GPL-2.0

//! What the pass-through handlers read from, or change in, the data a real
//! device returns: block sizes from READ CAPACITY and mode block
//! descriptors, the WP bit of MODE SENSE, the bytes a short tape read
//! moved, which commands the `*_perf` handlers skip, and timeouts.
//! `no_std`, no allocation, host-tested.

use crate::scst_rs::scsi::bytes;
use crate::scst_rs::scsi::device_type::{CDROM, CHANGER, DISK, OPTICAL, TAPE};
use crate::scst_rs::scsi::op::*;

/// Whether a `*_perf` handler pretends `opcode` succeeded without sending
/// it: the READ and WRITE commands of its device type.
pub fn perf_skips(dev_type: u8, opcode: u8) -> bool {
    match dev_type {
        TAPE => matches!(opcode, READ_6 | WRITE_6 | READ_16 | WRITE_16),
        DISK | OPTICAL => {
            matches!(
                opcode,
                READ_6 | WRITE_6 | READ_10 | WRITE_10 | READ_12 | WRITE_12 | READ_16 | WRITE_16
            )
        }
        _ => false,
    }
}

/// How long the device may take for `opcode`, in milliseconds: minutes for
/// tape and changer motion and for formatting, a minute otherwise.
pub fn timeout_ms(dev_type: u8, opcode: u8) -> u32 {
    const MIN: u32 = 60_000;
    match (dev_type, opcode) {
        // REWIND, FORMAT MEDIUM, WRITE FILEMARKS, SPACE, ERASE,
        // LOAD UNLOAD, LOCATE and their 16-byte forms.
        (
            TAPE,
            REWIND | FORMAT_UNIT | WRITE_FILEMARKS_6 | SPACE_6 | ERASE_6 | LOAD_UNLOAD | LOCATE_10
            | WRITE_FILEMARKS_16 | SPACE_16 | LOCATE_16 | ERASE_16,
        ) => 240 * MIN,
        (TAPE, _) => 15 * MIN,
        // INITIALIZE ELEMENT STATUS (both), MOVE MEDIUM, EXCHANGE MEDIUM,
        // POSITION TO ELEMENT, READ ELEMENT STATUS (a full inventory).
        (
            CHANGER,
            INITIALIZE_ELEMENT_STATUS
            | INITIALIZE_ELEMENT_STATUS_WITH_RANGE
            | MOVE_MEDIUM
            | EXCHANGE_MEDIUM
            | POSITION_TO_ELEMENT
            | READ_ELEMENT_STATUS,
        ) => 60 * MIN,
        // FORMAT UNIT, and BLANK / CLOSE TRACK on optical media.
        (_, FORMAT_UNIT) | (CDROM, BLANK | CLOSE_TRACK) => 240 * MIN,
        _ => MIN,
    }
}

/// The `n`-byte (at most 4) big-endian field at `at`, if all there.
fn be(b: &[u8], at: usize, n: usize) -> Option<u32> {
    bytes::be_exact(b, at, n.min(4)).and_then(|v| u32::try_from(v).ok())
}

/// The logical block length a READ CAPACITY (10 or 16) reply reports, if
/// whole and non-zero.
pub fn capacity_block_len(cdb: &[u8], data: &[u8]) -> Option<u32> {
    let at = match (cdb.first(), cdb.get(1).map(|b| b & 0x1f)) {
        (Some(&READ_CAPACITY_10), _) => 4,
        (Some(&SERVICE_ACTION_IN_16), Some(0x10)) => 8,
        _ => return None,
    };
    be(data, at, 4).filter(|&n| n != 0)
}

/// The block length of the first block descriptor of MODE SENSE data or a
/// MODE SELECT parameter list (`ten`: the 10-byte commands' layout), if
/// there is one.  0 means variable-length blocks on tape.
pub fn mode_block_len(data: &[u8], ten: bool) -> Option<u32> {
    let (header, desc_len) = if ten {
        (8, be(data, 6, 2)?)
    } else {
        (4, be(data, 3, 1)?)
    };
    // LONGLBA descriptors (16 bytes) put the length at offset 12.
    let long = ten && data.get(4).is_some_and(|b| b & 0x01 != 0);
    match (long, desc_len) {
        (false, 8..) => be(data, header + 5, 3),
        (true, 16..) => be(data, header + 12, 4),
        _ => None,
    }
}

/// Sets the WP (write protected) bit of MODE SENSE data's device-specific
/// parameter, for a LUN exported read-only.
pub fn set_write_protect(data: &mut [u8], ten: bool) {
    if let Some(b) = data.get_mut(if ten { 3 } else { 2 }) {
        *b |= 0x80;
    }
}

/// What a tape READ that ended with CHECK CONDITION reports in its fixed
/// or descriptor sense: the residue in INFORMATION (VALID set) with
/// FILEMARK, EOM or ILI.  Returns the bytes actually read, for a read of
/// `requested` bytes in blocks of `fixed` bytes (None: variable mode, the
/// residue is in bytes).  A negative residue (the block was longer than
/// asked, ILI) means all `requested` bytes arrived.
pub fn tape_bytes_read(sense: &[u8], requested: u32, fixed: Option<u32>) -> Option<u32> {
    let (flags, info) = match sense.first().map(|b| b & 0x7f) {
        Some(0x70 | 0x71) => {
            if sense.first()? & 0x80 == 0 {
                return None;
            }
            (*sense.get(2)?, be(sense, 3, 4)?)
        }
        Some(0x72 | 0x73) => descriptor_info(sense)?,
        _ => return None,
    };
    // FILEMARK, EOM, ILI.
    if flags & 0xe0 == 0 {
        return None;
    }
    let residue = info as i32;
    if residue <= 0 {
        return Some(requested);
    }
    let unit = fixed.unwrap_or(1);
    Some(requested.saturating_sub((residue as u32).saturating_mul(unit)))
}

/// (FILEMARK/EOM/ILI bits as in fixed sense byte 2, INFORMATION) from
/// descriptor sense: the information descriptor (type 0, VALID) and the
/// stream commands descriptor (type 4).
fn descriptor_info(sense: &[u8]) -> Option<(u8, u32)> {
    let total = 8 + usize::from(*sense.get(7)?);
    let (mut at, mut flags, mut info) = (8, 0u8, None);
    while at + 2 <= total.min(sense.len()) {
        let (kind, len) = (*sense.get(at)?, usize::from(*sense.get(at + 1)?));
        match kind {
            // 8-byte INFORMATION; the residue fits in its low 4 bytes.
            0x00 if sense.get(at + 2).is_some_and(|b| b & 0x80 != 0) => info = be(sense, at + 8, 4),
            0x04 => flags = *sense.get(at + 3)? & 0xe0,
            _ => {}
        }
        at += 2 + len;
    }
    Some((flags, info?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perf_skips_only_reads_and_writes() {
        assert!(perf_skips(DISK, READ_10));
        assert!(perf_skips(OPTICAL, WRITE_16));
        assert!(perf_skips(TAPE, READ_6));
        assert!(!perf_skips(TAPE, READ_10), "0x28 is not a tape command");
        assert!(!perf_skips(DISK, 0x12), "INQUIRY goes to the device");
        assert!(!perf_skips(CDROM, READ_10), "no dev_cdrom_perf");
    }

    #[test]
    fn timeouts() {
        assert_eq!(timeout_ms(DISK, READ_10), 60_000);
        assert_eq!(timeout_ms(TAPE, 0x01), 4 * 3600 * 1000);
        assert_eq!(timeout_ms(TAPE, READ_6), 15 * 60_000);
        assert_eq!(timeout_ms(CHANGER, 0xa5), 3600 * 1000);
        assert_eq!(timeout_ms(DISK, 0x04), 4 * 3600 * 1000);
    }

    #[test]
    fn capacity() {
        let rc10 = [0, 0, 0x10, 0, 0, 0, 0x10, 0];
        assert_eq!(capacity_block_len(&[READ_CAPACITY_10], &rc10), Some(4096));
        let mut rc16 = [0u8; 32];
        rc16[8..12].copy_from_slice(&512u32.to_be_bytes());
        assert_eq!(
            capacity_block_len(&[SERVICE_ACTION_IN_16, 0x10], &rc16),
            Some(512)
        );
        assert_eq!(
            capacity_block_len(&[SERVICE_ACTION_IN_16, 0x11], &rc16),
            None,
            "other service action"
        );
        assert_eq!(
            capacity_block_len(&[READ_CAPACITY_10], &rc10[..6]),
            None,
            "short reply"
        );
        assert_eq!(
            capacity_block_len(&[READ_CAPACITY_10], &[0; 8]),
            None,
            "zero"
        );
        assert_eq!(capacity_block_len(&[], &rc10), None);
    }

    #[test]
    fn mode_block_descriptors() {
        // MODE SENSE(6): header, one 8-byte descriptor with 1024-byte blocks.
        let six = [11, 0, 0x10, 8, 0x25, 0, 0, 0, 0, 0, 0x04, 0];
        assert_eq!(mode_block_len(&six, false), Some(1024));
        // Variable block mode.
        let var = [11, 0, 0x10, 8, 0x25, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(mode_block_len(&var, false), Some(0));
        // No descriptor, or cut short.
        assert_eq!(mode_block_len(&[3, 0, 0, 0], false), None);
        assert_eq!(mode_block_len(&six[..10], false), None);
        // MODE SENSE(10), short and LONGLBA descriptors.
        let mut ten = [0u8; 16];
        ten[7] = 8;
        ten[13..16].copy_from_slice(&[0, 0x02, 0]);
        assert_eq!(mode_block_len(&ten, true), Some(512));
        let mut long = [0u8; 24];
        long[4] = 1;
        long[7] = 16;
        long[20..24].copy_from_slice(&4096u32.to_be_bytes());
        assert_eq!(mode_block_len(&long, true), Some(4096));
        assert_eq!(mode_block_len(&[], true), None);
    }

    #[test]
    fn write_protect_bit() {
        let mut six = [3, 0, 0x10, 0];
        set_write_protect(&mut six, false);
        assert_eq!(six[2], 0x90);
        let mut ten = [0, 6, 0, 0, 0, 0, 0, 0];
        set_write_protect(&mut ten, true);
        assert_eq!(ten[3], 0x80);
        set_write_protect(&mut [], true);
    }

    fn fixed(valid: bool, flags: u8, info: i32) -> [u8; 18] {
        let mut s = [0u8; 18];
        s[0] = 0x70 | if valid { 0x80 } else { 0 };
        s[2] = flags;
        s[3..7].copy_from_slice(&info.to_be_bytes());
        s[7] = 10;
        s
    }

    #[test]
    fn short_tape_reads() {
        // Variable mode: asked 65536, the block had 1000 bytes (ILI).
        assert_eq!(
            tape_bytes_read(&fixed(true, 0x20, 64536), 65536, None),
            Some(1000)
        );
        // Fixed 512-byte blocks: 10 asked, filemark after 4.
        assert_eq!(
            tape_bytes_read(&fixed(true, 0x80, 6), 5120, Some(512)),
            Some(2048)
        );
        // Block longer than asked: all requested bytes arrived.
        assert_eq!(
            tape_bytes_read(&fixed(true, 0x20, -100), 512, None),
            Some(512)
        );
        // No VALID, or no FM/EOM/ILI: nothing to say.
        assert_eq!(tape_bytes_read(&fixed(false, 0x20, 5), 512, None), None);
        assert_eq!(tape_bytes_read(&fixed(true, 0x03, 5), 512, None), None);
        assert_eq!(tape_bytes_read(&[], 512, None), None);
        // Descriptor format: information and stream commands descriptors.
        let mut d = [0u8; 8 + 12 + 4];
        d[0] = 0x72;
        d[7] = 16;
        d[8..10].copy_from_slice(&[0x00, 0x0a]);
        d[10] = 0x80;
        d[16..20].copy_from_slice(&100u32.to_be_bytes());
        d[20..24].copy_from_slice(&[0x04, 0x02, 0, 0x20]);
        assert_eq!(tape_bytes_read(&d, 300, None), Some(200));
        // A descriptor length running past the data ends the walk.
        d[9] = 0xff;
        assert_eq!(tape_bytes_read(&d, 300, None), None);
    }
}
