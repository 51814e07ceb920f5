// SPDX-License-Identifier: GPL-2.0

//! LUN encoding (SAM-5 4.7) and the REPORT LUNS parameter data (SPC-4
//! 6.33).  `no_std`, no allocation, host-tested.
//!
//! SCST exposes a single level of LUNs, 0..=[`MAX_LUN`].  On the wire a
//! LUN is eight bytes: four levels of two bytes, of which only the first
//! level is used here.  LUNs below 256 go out in peripheral device
//! addressing (method 00b, bus 0), the form every initiator understands;
//! larger ones in flat space addressing (method 01b, 14 bits).  Initiators
//! may use either form for any LUN, so both are accepted coming in.

use crate::scst_rs::scsi::bytes::put;
use core::fmt;

/// Highest LUN SCST handles: the 14 bits of flat space addressing.
pub const MAX_LUN: u64 = 16383;

/// Address method 00b: peripheral device addressing.
const PERIPHERAL: u8 = 0b00;
/// Address method 01b: flat space addressing.
const FLAT: u8 = 0b01;

/// Bytes of the REPORT LUNS header: LUN LIST LENGTH and 4 reserved.
const HEADER_LEN: usize = 8;
/// Bytes of one LUN.
const LUN_LEN: usize = 8;

/// Why an 8-byte LUN was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LunError {
    /// Fewer than 8 bytes were given (the count).
    TooShort(usize),
    /// Address method 10b (logical unit) or 11b (extended), which SCST
    /// does not use.
    Method(u8),
    /// Peripheral device addressing with a non-zero bus identifier: a
    /// device behind a bus, which a single-level target does not have.
    Bus(u8),
    /// The second, third or fourth level is not zero.
    MultiLevel,
}

impl fmt::Display for LunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooShort(n) => write!(f, "LUN of {n} bytes (needs 8)"),
            Self::Method(m) => write!(f, "unsupported LUN address method {m:02b}b"),
            Self::Bus(b) => write!(f, "LUN with bus identifier {b} (only 0)"),
            Self::MultiLevel => write!(f, "multi-level LUN not supported"),
        }
    }
}

/// The 8-byte form of `lun`: peripheral device addressing below 256, flat
/// space addressing up to [`MAX_LUN`], `None` above.
pub fn encode(lun: u64) -> Option<[u8; 8]> {
    let method = match lun {
        0..=0xff => PERIPHERAL,
        0x100..=MAX_LUN => FLAT,
        _ => return None,
    };
    // At most 14 bits from here on.
    let [_, _, _, _, _, _, hi, lo] = lun.to_be_bytes();
    Some([(method << 6) | hi, lo, 0, 0, 0, 0, 0, 0])
}

/// The LUN in the first 8 bytes of `raw` (anything after them is not
/// looked at, so a transport can pass the rest of its header).
///
/// # Errors
///
/// [`LunError`] if `raw` is shorter than 8 bytes, uses the logical unit or
/// extended address method, a bus other than 0, or a second level.
pub fn decode(raw: &[u8]) -> Result<u64, LunError> {
    let short = LunError::TooShort(raw.len());
    let (&b0, &b1) = (raw.first().ok_or(short)?, raw.get(1).ok_or(short)?);
    let levels = raw.get(2..LUN_LEN).ok_or(short)?;
    let lun = match b0 >> 6 {
        PERIPHERAL if b0 & 0x3f != 0 => return Err(LunError::Bus(b0 & 0x3f)),
        PERIPHERAL => u64::from(b1),
        FLAT => (u64::from(b0 & 0x3f) << 8) | u64::from(b1),
        method => return Err(LunError::Method(method)),
    };
    if levels.iter().any(|&b| b != 0) {
        return Err(LunError::MultiLevel);
    }
    Ok(lun)
}

/// Bytes of REPORT LUNS parameter data listing `count` LUNs.  Saturates
/// rather than wrap for absurd counts.
pub fn report_luns_len(count: usize) -> usize {
    count.saturating_mul(LUN_LEN).saturating_add(HEADER_LEN)
}

/// Writes REPORT LUNS parameter data for `luns` into `out`: LUN LIST
/// LENGTH (8 per LUN), 4 reserved bytes, then each LUN as [`encode`] puts
/// it.  Only what fits in `out` is written (the allocation length cuts
/// the data short, even in the middle of a LUN), but LUN LIST LENGTH
/// always counts every LUN, so the initiator can ask again with room.
///
/// LUNs above [`MAX_LUN`] have no wire form and are skipped, neither
/// listed nor counted.  The caller picks which LUNs to list (SELECT
/// REPORT) and their order.
///
/// Returns the full length of the data, which may exceed `out.len()`: the
/// caller works out the residual from it.
pub fn report_luns(luns: impl Iterator<Item = u64>, out: &mut [u8]) -> usize {
    let mut count: usize = 0;
    for raw in luns.filter_map(encode) {
        put(out, report_luns_len(count), &raw);
        count = count.saturating_add(1);
    }
    // The field is 32 bits; a list that long cannot be sent anyway.
    let list_len = u32::try_from(count.saturating_mul(LUN_LEN)).unwrap_or(u32::MAX);
    let mut header = [0u8; HEADER_LEN];
    put(&mut header, 0, &list_len.to_be_bytes());
    put(out, 0, &header);
    report_luns_len(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_forms() {
        assert_eq!(encode(0), Some([0, 0, 0, 0, 0, 0, 0, 0]));
        assert_eq!(encode(1), Some([0, 1, 0, 0, 0, 0, 0, 0]));
        assert_eq!(encode(255), Some([0, 0xff, 0, 0, 0, 0, 0, 0]));
        assert_eq!(encode(256), Some([0x41, 0x00, 0, 0, 0, 0, 0, 0]));
        assert_eq!(encode(0x1234), Some([0x52, 0x34, 0, 0, 0, 0, 0, 0]));
        assert_eq!(encode(MAX_LUN), Some([0x7f, 0xff, 0, 0, 0, 0, 0, 0]));
        assert_eq!(encode(MAX_LUN + 1), None);
        assert_eq!(encode(u64::MAX), None);
    }

    #[test]
    fn decode_forms() {
        assert_eq!(decode(&[0, 0, 0, 0, 0, 0, 0, 0]), Ok(0));
        assert_eq!(decode(&[0x40, 0, 0, 0, 0, 0, 0, 0]), Ok(0));
        assert_eq!(decode(&[0, 7, 0, 0, 0, 0, 0, 0]), Ok(7));
        assert_eq!(decode(&[0x40, 7, 0, 0, 0, 0, 0, 0]), Ok(7));
        assert_eq!(decode(&[0x41, 0, 0, 0, 0, 0, 0, 0]), Ok(256));
        assert_eq!(decode(&[0x7f, 0xff, 0, 0, 0, 0, 0, 0]), Ok(MAX_LUN));
        // Bytes after the eighth are not part of the LUN.
        assert_eq!(decode(&[0, 3, 0, 0, 0, 0, 0, 0, 0xff]), Ok(3));
    }

    #[test]
    fn decode_errors() {
        assert_eq!(decode(&[]), Err(LunError::TooShort(0)));
        assert_eq!(decode(&[0]), Err(LunError::TooShort(1)));
        assert_eq!(decode(&[0, 1, 0, 0, 0, 0, 0]), Err(LunError::TooShort(7)));
        assert_eq!(decode(&[0x01, 0, 0, 0, 0, 0, 0, 0]), Err(LunError::Bus(1)));
        assert_eq!(
            decode(&[0x3f, 5, 0, 0, 0, 0, 0, 0]),
            Err(LunError::Bus(0x3f))
        );
        assert_eq!(
            decode(&[0x80, 1, 0, 0, 0, 0, 0, 0]),
            Err(LunError::Method(2))
        );
        assert_eq!(
            decode(&[0xc0, 1, 0, 0, 0, 0, 0, 0]),
            Err(LunError::Method(3))
        );
        assert_eq!(
            decode(&[0xd2, 0, 0, 0, 0, 0, 0, 0]),
            Err(LunError::Method(3))
        );
        for i in 2..8 {
            let mut raw = [0u8, 1, 0, 0, 0, 0, 0, 0];
            raw[i] = 1;
            assert_eq!(decode(&raw), Err(LunError::MultiLevel), "byte {i}");
            raw[0] = 0x40;
            assert_eq!(decode(&raw), Err(LunError::MultiLevel), "flat, byte {i}");
        }
    }

    #[test]
    fn error_display() {
        use core::fmt::Write;
        struct Buf([u8; 64], usize);
        impl Write for Buf {
            fn write_str(&mut self, s: &str) -> fmt::Result {
                let end = self.1 + s.len();
                self.0
                    .get_mut(self.1..end)
                    .ok_or(fmt::Error)?
                    .copy_from_slice(s.as_bytes());
                self.1 = end;
                Ok(())
            }
        }
        let mut b = Buf([0; 64], 0);
        write!(b, "{}", LunError::Method(2)).unwrap();
        assert_eq!(&b.0[..b.1], b"unsupported LUN address method 10b");
    }

    #[test]
    fn round_trip_all() {
        for lun in 0..=MAX_LUN {
            let raw = encode(lun).unwrap();
            assert_eq!(decode(&raw), Ok(lun));
        }
    }

    const LUNS: [u64; 4] = [0, 5, MAX_LUN + 1, 300];
    const FULL: [u8; 32] = [
        0, 0, 0, 24, 0, 0, 0, 0, //
        0, 0, 0, 0, 0, 0, 0, 0, //
        0, 5, 0, 0, 0, 0, 0, 0, //
        0x41, 0x2c, 0, 0, 0, 0, 0, 0,
    ];

    fn report(room: usize) -> ([u8; 40], usize) {
        let mut out = [0xeeu8; 40];
        let n = report_luns(LUNS.iter().copied(), &mut out[..room]);
        (out, n)
    }

    #[test]
    fn report_luns_full() {
        let (out, n) = report(40);
        assert_eq!(n, 32);
        assert_eq!(&out[..32], &FULL);
        assert_eq!(&out[32..], &[0xee; 8]);
    }

    #[test]
    fn report_luns_truncated() {
        for room in [0, 3, 8, 13, 16, 31, 32] {
            let (out, n) = report(room);
            assert_eq!(n, 32, "room {room}");
            assert_eq!(&out[..room], &FULL[..room], "room {room}");
            assert!(out[room..].iter().all(|&b| b == 0xee), "room {room}");
        }
    }

    #[test]
    fn report_luns_empty() {
        let mut out = [0xeeu8; 12];
        assert_eq!(report_luns(core::iter::empty(), &mut out), 8);
        assert_eq!(out, [0, 0, 0, 0, 0, 0, 0, 0, 0xee, 0xee, 0xee, 0xee]);
        assert_eq!(report_luns_len(0), 8);
        assert_eq!(report_luns_len(3), 32);
        assert_eq!(report_luns_len(usize::MAX), usize::MAX);
    }

    #[test]
    fn report_luns_every_lun() {
        let mut out = [0u8; 16];
        assert_eq!(report_luns(0..=MAX_LUN, &mut out), 8 + 8 * 16384);
        assert_eq!(out, [0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    }
}
