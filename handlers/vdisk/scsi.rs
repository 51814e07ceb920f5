// SPDX-License-Identifier: GPL-2.0

//! The SCSI side of a virtual disk that needs no I/O: INQUIRY and its VPD
//! pages, READ CAPACITY, MODE SENSE/SELECT, REPORT SUPPORTED OPERATION
//! CODES, and where READ/WRITE-like commands point.  `no_std`,
//! host-tested; the module does the I/O.
//!
//! Replies are built whole into `out` and the length returned; the caller
//! cuts them to the allocation length and to the command's buffer.

pub use crate::scst_rs::scsi::bytes::{be, byte, put};
use crate::scst_rs::scsi::sense::{self, SenseKey};
pub use crate::scst_rs::scsi::Sense;

/// Most blocks one WRITE SAME may cover.
pub const MAX_WRITE_SAME_BLOCKS: u64 = 1 << 22;
/// Most blocks one UNMAP may cover, all its descriptors together
/// (MAXIMUM UNMAP LBA COUNT; initiators' checks expect at most 1 Mi).
pub const MAX_UNMAP_BLOCKS: u64 = 1 << 20;
/// Most descriptors in one UNMAP.
pub const MAX_UNMAP_DESCRIPTORS: u32 = 256;
/// Most blocks of one COMPARE AND WRITE.
pub const MAX_COMPARE_AND_WRITE_BLOCKS: u8 = 255;

/// What the replies say about a disk.
pub struct Disk<'a> {
    /// Device name: the product id and the base of the identifiers.
    pub name: &'a [u8],
    /// Vendor id: "SCST_FIO", "SCST_BIO" or "SCST_NUL".
    pub vendor: &'a [u8; 8],
    pub blocks: u64,
    pub block_size: u32,
    pub read_only: bool,
    pub removable: bool,
    /// Write cache enabled (write-back).
    pub wce: bool,
    /// The WCE bit may be changed by MODE SELECT (not with NV_CACHE or
    /// WRITE_THROUGH, which fix it).
    pub wce_changeable: bool,
    /// UNMAP and WRITE SAME with UNMAP are supported.
    pub thin: bool,
    /// Unmapped blocks read as zeros.
    pub zeroes_after_unmap: bool,
    /// Largest transfer, in blocks (VPD 0xB0 MAXIMUM TRANSFER LENGTH).
    pub max_transfer_blocks: u32,
    /// Transfer size served best, in blocks (VPD 0xB0 OPTIMAL TRANSFER
    /// LENGTH; initiators size their I/O and read-ahead by it).
    pub opt_transfer_blocks: u32,
    /// Not a spinning medium (VPD 0xB1).
    pub non_rotational: bool,
}

fn put_padded(out: &mut [u8], at: usize, len: usize, s: &[u8]) {
    for i in 0..len {
        if let Some(b) = out.get_mut(at + i) {
            *b = s.get(i).copied().unwrap_or(b' ');
        }
    }
}

/// Logical blocks per 4 KiB page (at least 1).
pub fn per_page(block_size: u32) -> u32 {
    4096u32.checked_div(block_size).unwrap_or(1).max(1)
}

/// A stable 64-bit identifier of a device name (FNV-1a): the same name
/// gives the same serial number and NAA on every load.
pub fn name_id(name: &[u8]) -> u64 {
    name.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

fn hex_digit(v: u64) -> u8 {
    b"0123456789ABCDEF"[(v & 0xf) as usize]
}

/// The unit serial number: 16 hex digits of `name_id`.
pub fn serial(name: &[u8]) -> [u8; 16] {
    let id = name_id(name);
    let mut s = [0u8; 16];
    for (i, d) in s.iter_mut().enumerate() {
        *d = hex_digit(id >> (60 - 4 * i));
    }
    s
}

/// INQUIRY for a device of peripheral type `ptype`.
pub fn inquiry(cdb: &[u8], d: &Disk<'_>, ptype: u8, out: &mut [u8]) -> Result<usize, Sense> {
    out.fill(0);
    let evpd = be(cdb, 1, 1) & 1 != 0;
    let page = be(cdb, 2, 1) as u8;
    if !evpd {
        if page != 0 {
            return Err(Sense::INVALID_FIELD_IN_CDB);
        }
        return Ok(standard_inquiry(d, ptype, out));
    }
    let len = match page {
        0x00 => {
            let pages: &[u8] = if ptype == 0 {
                &[0x00, 0x80, 0x83, 0xb0, 0xb1, 0xb2]
            } else {
                &[0x00, 0x80, 0x83]
            };
            put(out, 4, pages);
            4 + pages.len()
        }
        0x80 => {
            put(out, 4, &serial(d.name));
            4 + 16
        }
        0x83 => {
            let at = 4.min(out.len());
            4 + designators(d, &mut out[at..])
        }
        0xb0 if ptype == 0 => block_limits(d, out),
        0xb1 if ptype == 0 => {
            put(out, 4, &(u16::from(d.non_rotational)).to_be_bytes());
            64
        }
        0xb2 if ptype == 0 => {
            if d.thin {
                // LBPU, LBPWS, LBPWS10; LBPRZ; thin provisioned.
                let lbprz = if d.zeroes_after_unmap { 0x04 } else { 0 };
                put(out, 5, &[0xe0 | lbprz, 0x02]);
            }
            8
        }
        _ => return Err(Sense::INVALID_FIELD_IN_CDB),
    };
    put(out, 0, &[ptype, page]);
    put(out, 2, &((len - 4) as u16).to_be_bytes());
    Ok(len)
}

/// Length of the standard INQUIRY data: through the version descriptors.
const STANDARD_INQUIRY_LEN: usize = 74;

/// Version descriptors (SPC-4 table 143): SAM-5, SPC-4, and SBC-3 for a
/// disk (no MMC version is claimed for a CD-ROM).
const SAM5: u16 = 0x00a0;
const SPC4: u16 = 0x0460;
const SBC3: u16 = 0x04c0;

fn standard_inquiry(d: &Disk<'_>, ptype: u8, out: &mut [u8]) -> usize {
    let rmb = if d.removable { 0x80 } else { 0 };
    // SPC-3; response data format 2 with HiSup; CMDQUE.
    put(
        out,
        0,
        &[
            ptype,
            rmb,
            0x05,
            0x12,
            (STANDARD_INQUIRY_LEN - 5) as u8,
            0,
            0,
            0x02,
        ],
    );
    put(out, 8, d.vendor);
    put_padded(out, 16, 16, d.name);
    put(out, 32, b" 101");
    let versions: &[u16] = if ptype == 0 {
        &[SAM5, SPC4, SBC3]
    } else {
        &[SAM5, SPC4]
    };
    for (i, v) in versions.iter().enumerate() {
        put(out, 58 + 2 * i, &v.to_be_bytes());
    }
    STANDARD_INQUIRY_LEN
}

/// VPD 0x83 designators (without the page header): T10 vendor id, then a
/// locally assigned NAA (NAA 3) from the name.  Returns their length.
fn designators(d: &Disk<'_>, out: &mut [u8]) -> usize {
    // T10 vendor identification: ASCII, LU, type 1: vendor + name.
    let t10_len = 8 + d.name.len().min(64);
    put(out, 0, &[0x02, 0x01, 0, t10_len as u8]);
    put(out, 4, d.vendor);
    put(out, 12, d.name.get(..t10_len - 8).unwrap_or(&[]));
    let at = 4 + t10_len;
    // NAA: binary, LU, type 3, 8 bytes, NAA 3 (locally assigned).
    let naa = (3u64 << 60) | (name_id(d.name) & ((1 << 60) - 1));
    put(out, at, &[0x01, 0x03, 0, 8]);
    put(out, at + 4, &naa.to_be_bytes());
    at + 12
}

fn block_limits(d: &Disk<'_>, out: &mut [u8]) -> usize {
    // Byte 4: WSNZ, WRITE SAME with zero blocks ("to the end") is refused.
    // Byte 5: MAXIMUM COMPARE AND WRITE LENGTH.
    put(out, 4, &[0x01, MAX_COMPARE_AND_WRITE_BLOCKS]);
    put(out, 8, &d.max_transfer_blocks.to_be_bytes());
    put(out, 12, &d.opt_transfer_blocks.to_be_bytes());
    if d.thin {
        put(out, 20, &(MAX_UNMAP_BLOCKS as u32).to_be_bytes());
        put(out, 24, &MAX_UNMAP_DESCRIPTORS.to_be_bytes());
        // Optimal unmap granularity: one 4 KiB page.
        put(out, 28, &per_page(d.block_size).to_be_bytes());
    }
    put(out, 36, &MAX_WRITE_SAME_BLOCKS.to_be_bytes());
    64
}

/// READ CAPACITY(10) (`sixteen` false) or (16).
pub fn read_capacity(
    cdb: &[u8],
    d: &Disk<'_>,
    sixteen: bool,
    out: &mut [u8],
) -> Result<usize, Sense> {
    out.fill(0);
    let last = d.blocks.saturating_sub(1);
    if !sixteen {
        // PMI without an LBA only; with LBA 0 it is the last block.
        if be(cdb, 8, 1) & 1 == 0 && be(cdb, 2, 4) != 0 {
            return Err(Sense::INVALID_FIELD_IN_CDB);
        }
        put(
            out,
            0,
            &(last.min(u64::from(u32::MAX)) as u32).to_be_bytes(),
        );
        put(out, 4, &d.block_size.to_be_bytes());
        return Ok(8);
    }
    put(out, 0, &last.to_be_bytes());
    put(out, 8, &d.block_size.to_be_bytes());
    // Logical blocks per physical block exponent: a 4 KiB page.
    let exp = per_page(d.block_size).trailing_zeros() as u8;
    put(out, 13, &[exp]);
    if d.thin {
        let lbprz = if d.zeroes_after_unmap { 0x40 } else { 0 };
        put(out, 14, &[0x80 | lbprz]);
    }
    Ok(32)
}

/// Mode page codes served, in the order of "all pages".
const PAGES: [u8; 7] = [0x01, 0x02, 0x03, 0x04, 0x08, 0x0a, 0x1c];

/// Page control: current, changeable, default (saved is refused).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pc {
    Current,
    Changeable,
    Default,
}

/// One mode page into `out`; its length.
fn mode_page(d: &Disk<'_>, code: u8, pc: Pc, out: &mut [u8]) -> usize {
    let changeable = pc == Pc::Changeable;
    let page: &[u8] = match code {
        // Read-write error recovery: AWRE, ARRE (not changeable).
        0x01 => &[
            0x01,
            0x0a,
            if changeable { 0 } else { 0xc0 },
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
        ],
        0x02 => &[0x02, 0x0e, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        0x03 => {
            let mut p = [0u8; 24];
            p[0] = 0x03;
            p[1] = 0x16;
            if !changeable {
                p[10..12].copy_from_slice(&[0, 0x40]); // sectors per track
                p[12..14].copy_from_slice(&(d.block_size.min(0xffff) as u16).to_be_bytes());
                p[20] = if d.removable { 0x20 } else { 0 } | 0x80; // SSEC
            }
            put(out, 0, &p);
            return p.len();
        }
        0x04 => {
            let mut p = [0u8; 24];
            p[0] = 0x04;
            p[1] = 0x16;
            if !changeable {
                // Cylinders for 64 heads x 64 sectors.
                let cyl = (d.blocks / (64 * 64)).min(0xff_ffff) as u32;
                p[2..5].copy_from_slice(&cyl.to_be_bytes()[1..]);
                p[5] = 64;
                p[20..22].copy_from_slice(&7200u16.to_be_bytes());
            }
            put(out, 0, &p);
            return p.len();
        }
        0x08 => {
            let wce = match pc {
                Pc::Changeable => d.wce_changeable,
                Pc::Current => d.wce,
                Pc::Default => d.wce_changeable || d.wce,
            };
            let mut p = [0u8; 20];
            p[0] = 0x08;
            p[1] = 0x12;
            p[2] = if wce { 0x04 } else { 0 };
            put(out, 0, &p);
            return p.len();
        }
        // Control: QERR 0, D_SENSE 0; TST 0.
        0x0a => &[
            0x0a,
            0x0a,
            if changeable { 0 } else { 0x02 },
            0,
            0,
            0,
            0,
            0,
            0xff,
            0xff,
            0,
            0,
        ],
        // Informational exceptions: no reporting.
        _ => &[
            0x1c,
            0x0a,
            if changeable { 0 } else { 0x08 },
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
        ],
    };
    put(out, 0, page);
    page.len()
}

/// MODE SENSE(6) (`ten` false) or (10).
pub fn mode_sense(cdb: &[u8], d: &Disk<'_>, ten: bool, out: &mut [u8]) -> Result<usize, Sense> {
    out.fill(0);
    let dbd = be(cdb, 1, 1) & 0x08 != 0;
    let pc = match be(cdb, 2, 1) >> 6 {
        0 => Pc::Current,
        1 => Pc::Changeable,
        2 => Pc::Default,
        _ => return Err(Sense::SAVING_PARAMETERS_NOT_SUPPORTED),
    };
    let code = (be(cdb, 2, 1) & 0x3f) as u8;
    let subpage = be(cdb, 3, 1) as u8;
    if subpage != 0 && subpage != 0xff {
        return Err(Sense::INVALID_FIELD_IN_CDB);
    }
    if code != 0x3f && !PAGES.contains(&code) {
        return Err(Sense::INVALID_FIELD_IN_CDB);
    }
    let hdr = if ten { 8 } else { 4 };
    let mut at = hdr;
    if !dbd {
        let n = if d.blocks > 0xffff_ffff {
            0xffff_ffff
        } else {
            d.blocks as u32
        };
        put(out, at, &n.to_be_bytes());
        put(out, at + 4, &d.block_size.to_be_bytes());
        at += 8;
    }
    for &p in PAGES.iter().filter(|&&p| code == 0x3f || p == code) {
        at += mode_page(d, p, pc, out.get_mut(at..).unwrap_or(&mut []));
    }
    // Device-specific parameter: WP, DPOFUA.
    let dsp = if d.read_only { 0x80 } else { 0 } | 0x10;
    let bd_len = if dbd { 0 } else { 8u8 };
    if ten {
        put(out, 0, &((at - 2) as u16).to_be_bytes());
        put(out, 3, &[dsp, 0, 0, 0, bd_len]);
    } else {
        put(out, 0, &[(at - 1).min(255) as u8, 0, dsp, bd_len]);
    }
    Ok(at)
}

/// MODE SELECT's parameter list: returns the new WCE (or the old one if
/// the list has no caching page).  Only WCE may change; any other
/// difference from the current values is refused.
pub fn mode_select(cdb: &[u8], d: &Disk<'_>, ten: bool, data: &[u8]) -> Result<bool, Sense> {
    // PF must be set; SP (save) is not supported.
    let b1 = be(cdb, 1, 1);
    if b1 & 0x10 == 0 {
        return Err(Sense::INVALID_FIELD_IN_CDB);
    }
    if b1 & 0x01 != 0 {
        return Err(Sense::SAVING_PARAMETERS_NOT_SUPPORTED);
    }
    let (hdr, bd_len) = if ten {
        (8, be(data, 6, 2) as usize)
    } else {
        (4, be(data, 3, 1) as usize)
    };
    if data.len() < hdr {
        return if data.is_empty() {
            Ok(d.wce)
        } else {
            Err(Sense::PARAMETER_LIST_LENGTH_ERROR)
        };
    }
    let mut at = hdr
        .checked_add(bd_len)
        .ok_or(Sense::PARAMETER_LIST_LENGTH_ERROR)?;
    if at > data.len() {
        return Err(Sense::PARAMETER_LIST_LENGTH_ERROR);
    }
    let mut wce = d.wce;
    while at < data.len() {
        let code = byte(data, at) & 0x3f;
        if byte(data, at) & 0x40 != 0 {
            return Err(Sense::INVALID_FIELD_IN_PARAMETER_LIST); // sub-page format
        }
        let len = 2 + be(data, at + 1, 1) as usize;
        let page = data
            .get(at..at + len)
            .ok_or(Sense::PARAMETER_LIST_LENGTH_ERROR)?;
        if code != 0x08 || len != 20 {
            return Err(Sense::INVALID_FIELD_IN_PARAMETER_LIST);
        }
        let new = byte(page, 2) & 0x04 != 0;
        if new != d.wce && !d.wce_changeable {
            return Err(Sense::INVALID_FIELD_IN_PARAMETER_LIST);
        }
        // Every other bit must stay as it is (all zero).
        if byte(page, 2) & !0x04 != 0 || page.get(3..).unwrap_or(&[]).iter().any(|&b| b != 0) {
            return Err(Sense::INVALID_FIELD_IN_PARAMETER_LIST);
        }
        wce = new;
        at += len;
    }
    Ok(wce)
}

/// Opcodes a vdisk disk serves, with service action (if any) and CDB
/// usage mask, for REPORT SUPPORTED OPERATION CODES.
pub const DISK_OPCODES: &[(u8, Option<u16>, &[u8])] = &[
    (0x00, None, &[0x00, 0, 0, 0, 0, 0x07]),
    (0x03, None, &[0x03, 0x01, 0, 0, 0xff, 0x07]),
    (0x08, None, &[0x08, 0x1f, 0xff, 0xff, 0xff, 0x07]),
    (0x0a, None, &[0x0a, 0x1f, 0xff, 0xff, 0xff, 0x07]),
    (0x12, None, &[0x12, 0x01, 0xff, 0xff, 0xff, 0x07]),
    (0x15, None, &[0x15, 0x11, 0, 0, 0xff, 0x07]),
    (0x1a, None, &[0x1a, 0x08, 0xff, 0xff, 0xff, 0x07]),
    (0x1b, None, &[0x1b, 0x01, 0, 0x0f, 0xf7, 0x07]),
    (0x1e, None, &[0x1e, 0, 0, 0, 0x03, 0x07]),
    (
        0x25,
        None,
        &[0x25, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0x01, 0x07],
    ),
    (
        0x28,
        None,
        &[0x28, 0xf8, 0xff, 0xff, 0xff, 0xff, 0x1f, 0xff, 0xff, 0x07],
    ),
    (
        0x2a,
        None,
        &[0x2a, 0xf8, 0xff, 0xff, 0xff, 0xff, 0x1f, 0xff, 0xff, 0x07],
    ),
    (
        0x2e,
        None,
        &[0x2e, 0xf2, 0xff, 0xff, 0xff, 0xff, 0x1f, 0xff, 0xff, 0x07],
    ),
    (
        0x2f,
        None,
        &[0x2f, 0xf2, 0xff, 0xff, 0xff, 0xff, 0x1f, 0xff, 0xff, 0x07],
    ),
    (
        0x34,
        None,
        &[0x34, 0x02, 0xff, 0xff, 0xff, 0xff, 0x1f, 0xff, 0xff, 0x07],
    ),
    (
        0x35,
        None,
        &[0x35, 0x06, 0xff, 0xff, 0xff, 0xff, 0x1f, 0xff, 0xff, 0x07],
    ),
    (
        0x41,
        None,
        &[0x41, 0xea, 0xff, 0xff, 0xff, 0xff, 0x1f, 0xff, 0xff, 0x07],
    ),
    (
        0x42,
        None,
        &[0x42, 0x01, 0, 0, 0, 0, 0x1f, 0xff, 0xff, 0x07],
    ),
    (0x55, None, &[0x55, 0x11, 0, 0, 0, 0, 0, 0xff, 0xff, 0x07]),
    (
        0x5a,
        None,
        &[0x5a, 0x08, 0xff, 0xff, 0, 0, 0, 0xff, 0xff, 0x07],
    ),
    (
        0x88,
        None,
        &[
            0x88, 0xf8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0x1f, 0x07,
        ],
    ),
    (
        0x89,
        None,
        &[
            0x89, 0xf8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0xff, 0x1f, 0x07,
        ],
    ),
    (
        0x8a,
        None,
        &[
            0x8a, 0xf8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0x1f, 0x07,
        ],
    ),
    (
        0x8e,
        None,
        &[
            0x8e, 0xf2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0x1f, 0x07,
        ],
    ),
    (
        0x8f,
        None,
        &[
            0x8f, 0xf2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0x1f, 0x07,
        ],
    ),
    (
        0x90,
        None,
        &[
            0x90, 0x02, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0x1f, 0x07,
        ],
    ),
    (
        0x91,
        None,
        &[
            0x91, 0x06, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0x1f, 0x07,
        ],
    ),
    (
        0x93,
        None,
        &[
            0x93, 0xe8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0x1f, 0x07,
        ],
    ),
    (
        0x9e,
        Some(0x10),
        &[
            0x9e, 0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0x01, 0x07,
        ],
    ),
    (
        0xa0,
        None,
        &[0xa0, 0, 0xff, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0x07],
    ),
    (
        0xa3,
        Some(0x0c),
        &[
            0xa3, 0x0c, 0x87, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0x07,
        ],
    ),
    (
        0xa8,
        None,
        &[
            0xa8, 0xf8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, 0x07,
        ],
    ),
    (
        0xaa,
        None,
        &[
            0xaa, 0xf8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, 0x07,
        ],
    ),
    (
        0xae,
        None,
        &[
            0xae, 0xf2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, 0x07,
        ],
    ),
    (
        0xaf,
        None,
        &[
            0xaf, 0xf2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, 0x07,
        ],
    ),
];

/// REPORT SUPPORTED OPERATION CODES over `table`.
pub fn report_opcodes(
    cdb: &[u8],
    table: &[(u8, Option<u16>, &[u8])],
    out: &mut [u8],
) -> Result<usize, Sense> {
    out.fill(0);
    let options = be(cdb, 2, 1) & 0x07;
    let rctd = be(cdb, 2, 1) & 0x80 != 0;
    let op = be(cdb, 3, 1) as u8;
    let sa = be(cdb, 4, 2) as u16;
    if options == 0 {
        let mut at = 4;
        for (code, sa, usage) in table {
            let servactv = u8::from(sa.is_some());
            let ctdp = if rctd { 0x02 } else { 0 };
            put(out, at, &[*code, 0]);
            put(out, at + 2, &sa.unwrap_or(0).to_be_bytes());
            put(out, at + 4, &[0, ctdp | servactv]);
            put(out, at + 6, &(usage.len() as u16).to_be_bytes());
            at += 8;
            if rctd {
                at += timeouts(out, at);
            }
        }
        put(out, 0, &((at - 4) as u32).to_be_bytes());
        return Ok(at);
    }
    let found = match options {
        // Opcode without a service action.
        1 => {
            if table.iter().any(|(c, s, _)| *c == op && s.is_some()) {
                return Err(Sense::INVALID_FIELD_IN_CDB);
            }
            table.iter().find(|(c, _, _)| *c == op)
        }
        2 => {
            if table.iter().any(|(c, s, _)| *c == op && s.is_none()) {
                return Err(Sense::INVALID_FIELD_IN_CDB);
            }
            table.iter().find(|(c, s, _)| *c == op && *s == Some(sa))
        }
        _ => return Err(Sense::INVALID_FIELD_IN_CDB),
    };
    match found {
        None => {
            // SUPPORT 001b: not supported.
            put(out, 0, &[0, 0x01, 0, 0]);
            Ok(4)
        }
        Some((_, _, usage)) => {
            put(out, 0, &[0, if rctd { 0x83 } else { 0x03 }]);
            put(out, 2, &(usage.len() as u16).to_be_bytes());
            put(out, 4, usage);
            let n = 4 + usage.len();
            Ok(if rctd { n + timeouts(out, n) } else { n })
        }
    }
}

/// A command timeouts descriptor (SPC-4 6.35.4) at `at`: no nominal
/// time given, 60 s recommended, for every command alike.  Its length.
fn timeouts(out: &mut [u8], at: usize) -> usize {
    put(out, at, &[0x00, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 60]);
    12
}

/// Where a block command points: first block, block count, FUA.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub struct Extent {
    pub lba: u64,
    pub blocks: u64,
    pub fua: bool,
}

/// The extent of a READ/WRITE/VERIFY/WRITE AND VERIFY/WRITE SAME/COMPARE
/// AND WRITE CDB (`None` for other opcodes).
pub fn extent(cdb: &[u8]) -> Option<Extent> {
    let fua = be(cdb, 1, 1) & 0x08 != 0;
    let (lba, blocks) = match *cdb.first()? {
        0x08 | 0x0a => {
            let n = be(cdb, 4, 1);
            (be(cdb, 1, 3) & 0x1f_ffff, if n == 0 { 256 } else { n })
        }
        0x28 | 0x2a | 0x2e | 0x2f | 0x41 => (be(cdb, 2, 4), be(cdb, 7, 2)),
        0xa8 | 0xaa | 0xae | 0xaf => (be(cdb, 2, 4), be(cdb, 6, 4)),
        0x88 | 0x8a | 0x8e | 0x8f | 0x93 => (be(cdb, 2, 8), be(cdb, 10, 4)),
        0x89 => (be(cdb, 2, 8), be(cdb, 13, 1)),
        // PRE-FETCH(10), PRE-FETCH(16).
        0x34 => (be(cdb, 2, 4), be(cdb, 7, 2)),
        0x90 => (be(cdb, 2, 8), be(cdb, 10, 4)),
        _ => return None,
    };
    let fua = fua && !matches!(byte(cdb, 0), 0x08 | 0x0a);
    Some(Extent { lba, blocks, fua })
}

/// Checks a command's data transfer against MAXIMUM TRANSFER LENGTH
/// (`max_bytes`, reported in VPD 0xB0): READ, WRITE, WRITE AND VERIFY,
/// VERIFY comparing data and COMPARE AND WRITE move their blocks, and a
/// longer one would make the target hold that much memory for one
/// command.  WRITE SAME (one block of data), PRE-FETCH and a medium-only
/// VERIFY move none.
pub fn check_transfer(cdb: &[u8], block_size: u32, max_bytes: u32) -> Result<(), Sense> {
    let Some(e) = extent(cdb) else { return Ok(()) };
    let moves_data = match byte(cdb, 0) {
        0x41 | 0x93 | 0x34 | 0x90 => false,
        0x2f | 0xaf | 0x8f => (byte(cdb, 1) >> 1) & 0x03 == 0x01,
        // COMPARE AND WRITE sends its blocks twice.
        0x89 => return check_bytes(e.blocks.saturating_mul(2), block_size, max_bytes),
        _ => true,
    };
    if !moves_data {
        return Ok(());
    }
    check_bytes(e.blocks, block_size, max_bytes)
}

fn check_bytes(blocks: u64, block_size: u32, max_bytes: u32) -> Result<(), Sense> {
    match blocks.checked_mul(u64::from(block_size)) {
        Some(n) if n <= u64::from(max_bytes) => Ok(()),
        _ => Err(Sense::INVALID_FIELD_IN_CDB),
    }
}

/// Checks that `e` lies within a disk of `blocks` blocks.
pub fn check_range(e: Extent, blocks: u64) -> Result<(), Sense> {
    match e.lba.checked_add(e.blocks) {
        Some(end) if end <= blocks => Ok(()),
        _ => Err(Sense::LBA_OUT_OF_RANGE),
    }
}

/// PRE-FETCH's range: as `check_range`, but 0 blocks means "to the end",
/// so only the LBA must be on the disk.
pub fn check_prefetch(e: Extent, blocks: u64) -> Result<(), Sense> {
    if e.blocks == 0 {
        return if e.lba < blocks {
            Ok(())
        } else {
            Err(Sense::LBA_OUT_OF_RANGE)
        };
    }
    check_range(e, blocks)
}

/// The (LBA, blocks) descriptors of an UNMAP parameter list, each checked
/// against a disk of `blocks` blocks; `f` is called for each.
pub fn unmap_descriptors(
    data: &[u8],
    blocks: u64,
    mut f: impl FnMut(u64, u64) -> Result<(), Sense>,
) -> Result<(), Sense> {
    if data.is_empty() {
        return Ok(());
    }
    if data.len() < 8 {
        return Err(Sense::PARAMETER_LIST_LENGTH_ERROR);
    }
    let bd_len = be(data, 2, 2) as usize;
    if !bd_len.is_multiple_of(16) || 8 + bd_len > data.len() {
        return Err(Sense::PARAMETER_LIST_LENGTH_ERROR);
    }
    if bd_len / 16 > MAX_UNMAP_DESCRIPTORS as usize {
        return Err(Sense::INVALID_FIELD_IN_PARAMETER_LIST);
    }
    // Check all before doing any: nothing half-applied.
    let mut total = 0u64;
    for pass in 0..2 {
        for d in data.get(8..8 + bd_len).unwrap_or(&[]).chunks_exact(16) {
            let (lba, n) = (be(d, 0, 8), be(d, 8, 4));
            if pass == 0 {
                check_range(
                    Extent {
                        lba,
                        blocks: n,
                        fua: false,
                    },
                    blocks,
                )?;
                total += n;
                if total > MAX_UNMAP_BLOCKS {
                    return Err(Sense::INVALID_FIELD_IN_PARAMETER_LIST);
                }
            } else if n > 0 {
                f(lba, n)?;
            }
        }
    }
    Ok(())
}

/// REQUEST SENSE: no sense, fixed format.
pub fn request_sense(out: &mut [u8]) -> usize {
    out.fill(0);
    Sense::new(SenseKey::NO_SENSE, 0, 0).encode_fixed(out);
    sense::FIXED_LEN
}

/// Whether a command with a protection field (RDPROTECT, WRPROTECT,
/// VRPROTECT: byte 1, bits 5-7) asks for protection information, which
/// vdisk devices do not have.
pub fn protection_requested(cdb: &[u8]) -> bool {
    let has_field = matches!(
        byte(cdb, 0),
        0x28 | 0xa8
            | 0x88
            | 0x2a
            | 0xaa
            | 0x8a
            | 0x2e
            | 0xae
            | 0x8e
            | 0x2f
            | 0xaf
            | 0x8f
            | 0x41
            | 0x93
            | 0x89
    );
    has_field && byte(cdb, 1) >> 5 != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn disk() -> Disk<'static> {
        Disk {
            name: b"vm_disk1",
            vendor: b"SCST_FIO",
            blocks: 2048,
            block_size: 512,
            read_only: false,
            removable: false,
            wce: true,
            wce_changeable: true,
            thin: true,
            zeroes_after_unmap: true,
            max_transfer_blocks: 65536,
            opt_transfer_blocks: 8192,
            non_rotational: false,
        }
    }

    #[test]
    fn standard_inquiry_matches_the_seed() {
        let mut b = [0u8; 96];
        let n = inquiry(&[0x12, 0, 0, 0, 96, 0], &disk(), 0, &mut b).unwrap();
        assert_eq!(n, 74);
        // SAM-5, SPC-4, SBC-3.
        assert_eq!(&b[58..64], &[0x00, 0xa0, 0x04, 0x60, 0x04, 0xc0]);
        assert_eq!(&b[8..16], b"SCST_FIO");
        assert_eq!(&b[16..32], b"vm_disk1        ");
        assert_eq!(&b[32..36], b" 101");
        assert_eq!(b[0], 0);
        assert_eq!(b[1], 0);
        assert_eq!(b[4] as usize + 5, 74);
        let mut rd = disk();
        rd.removable = true;
        inquiry(&[0x12, 0, 0, 0, 96, 0], &rd, 0, &mut b).unwrap();
        assert_eq!(b[1], 0x80);
        assert_eq!(
            inquiry(&[0x12, 0, 0x80, 0, 96, 0], &disk(), 0, &mut b),
            Err(Sense::INVALID_FIELD_IN_CDB)
        );
    }

    #[test]
    fn vpd_pages() {
        let mut b = [0u8; 256];
        let n = inquiry(&[0x12, 1, 0, 0, 255, 0], &disk(), 0, &mut b).unwrap();
        assert_eq!(&b[..n], &[0, 0, 0, 6, 0x00, 0x80, 0x83, 0xb0, 0xb1, 0xb2]);
        let n = inquiry(&[0x12, 1, 0x80, 0, 255, 0], &disk(), 0, &mut b).unwrap();
        assert_eq!(n, 20);
        assert_eq!(&b[4..20], &serial(b"vm_disk1"));
        assert_ne!(serial(b"vm_disk1"), serial(b"vm_disk2"));
        let n = inquiry(&[0x12, 1, 0x83, 0, 255, 0], &disk(), 0, &mut b).unwrap();
        assert_eq!(be(&b, 2, 2) as usize, n - 4);
        assert_eq!(&b[4..8], &[0x02, 0x01, 0, 16]);
        assert_eq!(&b[8..24], b"SCST_FIOvm_disk1");
        assert_eq!(&b[24..28], &[0x01, 0x03, 0, 8]);
        assert_eq!(b[28] >> 4, 3);
        let n = inquiry(&[0x12, 1, 0xb0, 0, 255, 0], &disk(), 0, &mut b).unwrap();
        assert_eq!(n, 64);
        assert_eq!(be(&b, 2, 2), 0x3c);
        assert_eq!(b[4], 0x01, "WSNZ");
        assert_eq!(be(&b, 8, 4), 65536);
        assert_eq!(be(&b, 12, 4), 8192);
        assert_eq!(be(&b, 20, 4), 1 << 20);
        assert_eq!(be(&b, 24, 4), 256);
        let n = inquiry(&[0x12, 1, 0xb2, 0, 255, 0], &disk(), 0, &mut b).unwrap();
        assert_eq!(&b[..n], &[0, 0xb2, 0, 4, 0, 0xe4, 0x02, 0]);
        assert_eq!(
            inquiry(&[0x12, 1, 0x99, 0, 255, 0], &disk(), 0, &mut b),
            Err(Sense::INVALID_FIELD_IN_CDB)
        );
        assert_eq!(
            inquiry(&[0x12, 1, 0xb0, 0, 255, 0], &disk(), 5, &mut b),
            Err(Sense::INVALID_FIELD_IN_CDB)
        );
        // A short buffer never panics.
        let mut tiny = [0u8; 3];
        assert_eq!(
            inquiry(&[0x12, 1, 0x83, 0, 255, 0], &disk(), 0, &mut tiny).map(|_| ()),
            Ok(())
        );
    }

    #[test]
    fn capacity() {
        let mut b = [0u8; 32];
        assert_eq!(
            read_capacity(&[0x25, 0, 0, 0, 0, 1, 0, 0, 0, 0], &disk(), false, &mut b),
            Err(Sense::INVALID_FIELD_IN_CDB)
        );
        assert_eq!(
            read_capacity(&[0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0], &disk(), false, &mut b),
            Ok(8)
        );
        assert_eq!(be(&b, 0, 4), 2047);
        assert_eq!(be(&b, 4, 4), 512);
        let mut big = disk();
        big.blocks = 5u64 << 32;
        read_capacity(&[0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0], &big, false, &mut b).unwrap();
        assert_eq!(be(&b, 0, 4), 0xffff_ffff);
        assert_eq!(
            read_capacity(
                &[0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0],
                &big,
                true,
                &mut b
            ),
            Ok(32)
        );
        assert_eq!(be(&b, 0, 8), (5u64 << 32) - 1);
        assert_eq!(b[13], 3);
        assert_eq!(b[14], 0xc0);
    }

    #[test]
    fn mode_sense_pages() {
        let mut b = [0u8; 512];
        let n = mode_sense(&[0x1a, 0, 0x08, 0, 255, 0], &disk(), false, &mut b).unwrap();
        assert_eq!(n, 4 + 8 + 20);
        assert_eq!(b[0] as usize, n - 1);
        assert_eq!(b[2], 0x10);
        assert_eq!(b[3], 8);
        assert_eq!(be(&b, 4, 4), 2048);
        assert_eq!(b[12], 0x08);
        assert_eq!(b[14] & 0x04, 0x04);
        let n = mode_sense(
            &[0x5a, 0x08, 0x3f, 0, 0, 0, 0, 2, 0, 0],
            &disk(),
            true,
            &mut b,
        )
        .unwrap();
        assert_eq!(be(&b, 0, 2) as usize, n - 2);
        assert_eq!(n, 8 + 12 + 16 + 24 + 24 + 20 + 12 + 12);
        let mut ro = disk();
        ro.read_only = true;
        ro.wce = false;
        mode_sense(&[0x1a, 0x08, 0x08, 0, 255, 0], &ro, false, &mut b).unwrap();
        assert_eq!(b[2], 0x90);
        assert_eq!(b[3], 0);
        assert_eq!(b[6] & 0x04, 0);
        // Changeable values: only WCE.
        mode_sense(&[0x1a, 0x08, 0x48, 0, 255, 0], &disk(), false, &mut b).unwrap();
        assert_eq!(b[6], 0x04);
        assert_eq!(
            mode_sense(&[0x1a, 0, 0xc8, 0, 255, 0], &disk(), false, &mut b),
            Err(Sense::SAVING_PARAMETERS_NOT_SUPPORTED)
        );
        assert_eq!(
            mode_sense(&[0x1a, 0, 0x05, 0, 255, 0], &disk(), false, &mut b),
            Err(Sense::INVALID_FIELD_IN_CDB)
        );
    }

    #[test]
    fn mode_select_caching() {
        let mut page = [0u8; 4 + 20];
        page[4] = 0x08;
        page[5] = 0x12;
        let d = disk();
        assert_eq!(
            mode_select(&[0x15, 0x10, 0, 0, 24, 0], &d, false, &page),
            Ok(false)
        );
        page[6] = 0x04;
        assert_eq!(
            mode_select(&[0x15, 0x10, 0, 0, 24, 0], &d, false, &page),
            Ok(true)
        );
        assert_eq!(
            mode_select(&[0x15, 0x11, 0, 0, 24, 0], &d, false, &page),
            Err(Sense::SAVING_PARAMETERS_NOT_SUPPORTED)
        );
        assert_eq!(
            mode_select(&[0x15, 0x00, 0, 0, 24, 0], &d, false, &page),
            Err(Sense::INVALID_FIELD_IN_CDB)
        );
        page[6] = 0x05;
        assert_eq!(
            mode_select(&[0x15, 0x10, 0, 0, 24, 0], &d, false, &page),
            Err(Sense::INVALID_FIELD_IN_PARAMETER_LIST)
        );
        let mut fixed = disk();
        fixed.wce_changeable = false;
        page[6] = 0;
        assert_eq!(
            mode_select(&[0x15, 0x10, 0, 0, 24, 0], &fixed, false, &page),
            Err(Sense::INVALID_FIELD_IN_PARAMETER_LIST)
        );
        assert_eq!(
            mode_select(&[0x15, 0x10, 0, 0, 10, 0], &d, false, &page[..10]),
            Err(Sense::PARAMETER_LIST_LENGTH_ERROR)
        );
        page[4] = 0x0a;
        assert_eq!(
            mode_select(&[0x15, 0x10, 0, 0, 24, 0], &d, false, &page),
            Err(Sense::INVALID_FIELD_IN_PARAMETER_LIST)
        );
    }

    #[test]
    fn opcodes() {
        let mut b = [0u8; 1024];
        let n = report_opcodes(
            &[0xa3, 0x0c, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0],
            DISK_OPCODES,
            &mut b,
        )
        .unwrap();
        assert_eq!(n, 4 + 8 * DISK_OPCODES.len());
        assert_eq!(be(&b, 0, 4) as usize, n - 4);
        let n = report_opcodes(
            &[0xa3, 0x0c, 1, 0x28, 0, 0, 0, 0, 1, 0, 0, 0],
            DISK_OPCODES,
            &mut b,
        )
        .unwrap();
        assert_eq!(n, 14);
        assert_eq!(b[1], 3);
        assert_eq!(b[4], 0x28);
        let n = report_opcodes(
            &[0xa3, 0x0c, 1, 0xee, 0, 0, 0, 0, 1, 0, 0, 0],
            DISK_OPCODES,
            &mut b,
        )
        .unwrap();
        assert_eq!((n, b[1]), (4, 1));
        assert_eq!(
            report_opcodes(
                &[0xa3, 0x0c, 1, 0x9e, 0, 0x10, 0, 0, 1, 0, 0, 0],
                DISK_OPCODES,
                &mut b
            ),
            Err(Sense::INVALID_FIELD_IN_CDB)
        );
        let n = report_opcodes(
            &[0xa3, 0x0c, 2, 0x9e, 0, 0x10, 0, 0, 1, 0, 0, 0],
            DISK_OPCODES,
            &mut b,
        )
        .unwrap();
        assert_eq!(n, 20);
        // RCTD: every descriptor with CTDP and a 12-byte timeouts descriptor.
        let n = report_opcodes(
            &[0xa3, 0x0c, 0x80, 0, 0, 0, 0, 0, 4, 0, 0, 0],
            DISK_OPCODES,
            &mut b,
        )
        .unwrap();
        assert_eq!(n, 4 + 20 * DISK_OPCODES.len());
        assert_eq!(be(&b, 0, 4) as usize, n - 4);
        for d in b[4..n].chunks_exact(20) {
            assert_eq!(d[5] & 0x02, 0x02);
            assert_eq!(&d[8..10], &[0x00, 0x0a]);
        }
        let n = report_opcodes(
            &[0xa3, 0x0c, 0x81, 0x28, 0, 0, 0, 0, 1, 0, 0, 0],
            DISK_OPCODES,
            &mut b,
        )
        .unwrap();
        assert_eq!((n, b[1]), (4 + 10 + 12, 0x83));
        assert_eq!(&b[14..16], &[0x00, 0x0a]);
        for (op, _, usage) in DISK_OPCODES {
            assert_eq!(usage[0], *op);
            let want = match op >> 5 {
                0 => 6,
                1 | 2 => 10,
                4 => 16,
                5 => 12,
                _ => 0,
            };
            assert_eq!(usage.len(), want, "opcode {op:#x}");
        }
    }

    #[test]
    fn transfer_limit() {
        let max = 4 << 20;
        let w16 = |blocks: u32| {
            let mut c = [0u8; 16];
            c[0] = 0x8a;
            c[10..14].copy_from_slice(&blocks.to_be_bytes());
            c
        };
        assert_eq!(check_transfer(&w16(8192), 512, max), Ok(()));
        assert_eq!(
            check_transfer(&w16(8193), 512, max),
            Err(Sense::INVALID_FIELD_IN_CDB)
        );
        assert_eq!(
            check_transfer(&w16(0x7f_ffff), 512, max),
            Err(Sense::INVALID_FIELD_IN_CDB)
        );
        assert_eq!(
            check_transfer(&w16(u32::MAX), 4096, max),
            Err(Sense::INVALID_FIELD_IN_CDB)
        );
        assert_eq!(
            check_transfer(&w16(1025), 4096, max),
            Err(Sense::INVALID_FIELD_IN_CDB)
        );
        // READ(10) of 0xffff blocks; READ(6) of 256 blocks.
        assert_eq!(
            check_transfer(&[0x28, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0], 512, max),
            Err(Sense::INVALID_FIELD_IN_CDB)
        );
        assert_eq!(check_transfer(&[0x08, 0, 0, 0, 0, 0], 512, max), Ok(()));
        // WRITE SAME(16), PRE-FETCH(10) and VERIFY(10) without data are not limited.
        let mut ws = w16(u32::MAX);
        ws[0] = 0x93;
        assert_eq!(check_transfer(&ws, 512, max), Ok(()));
        assert_eq!(
            check_transfer(&[0x34, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0], 512, max),
            Ok(())
        );
        assert_eq!(
            check_transfer(&[0x2f, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0], 512, max),
            Ok(())
        );
        assert_eq!(
            check_transfer(&[0x2f, 2, 0, 0, 0, 0, 0, 0xff, 0xff, 0], 512, max),
            Err(Sense::INVALID_FIELD_IN_CDB)
        );
        // Not a block command: an allocation length is never refused.
        assert_eq!(
            check_transfer(
                &[0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0],
                512,
                max
            ),
            Ok(())
        );
    }

    #[test]
    fn extents() {
        assert_eq!(
            extent(&[0x08, 0x01, 0x02, 0x03, 0, 0]),
            Some(Extent {
                lba: 0x10203,
                blocks: 256,
                fua: false
            })
        );
        assert_eq!(
            extent(&[0x2a, 0x08, 0, 0, 0, 9, 0, 0, 2, 0]),
            Some(Extent {
                lba: 9,
                blocks: 2,
                fua: true
            })
        );
        assert_eq!(
            extent(&[0xa8, 0, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0]),
            Some(Extent {
                lba: 1,
                blocks: 3,
                fua: false
            })
        );
        let mut c16 = [0u8; 16];
        c16[0] = 0x88;
        c16[2] = 1;
        c16[13] = 4;
        assert_eq!(
            extent(&c16),
            Some(Extent {
                lba: 1 << 56,
                blocks: 4,
                fua: false
            })
        );
        c16[0] = 0x89;
        assert_eq!(
            extent(&c16),
            Some(Extent {
                lba: 1 << 56,
                blocks: 4,
                fua: false
            })
        );
        assert_eq!(extent(&[0x12]), None);
        assert_eq!(extent(&[]), None);
        assert_eq!(
            check_range(
                Extent {
                    lba: 2046,
                    blocks: 2,
                    fua: false
                },
                2048
            ),
            Ok(())
        );
        assert_eq!(
            check_range(
                Extent {
                    lba: 2047,
                    blocks: 2,
                    fua: false
                },
                2048
            ),
            Err(Sense::LBA_OUT_OF_RANGE)
        );
        assert_eq!(
            check_range(
                Extent {
                    lba: u64::MAX,
                    blocks: 2,
                    fua: false
                },
                2048
            ),
            Err(Sense::LBA_OUT_OF_RANGE)
        );
    }

    #[test]
    fn unmap_lists() {
        extern crate std;
        let mut got = std::vec::Vec::new();
        let mut list = [0u8; 8 + 32];
        list[3] = 32;
        list[8 + 7] = 8;
        list[8 + 11] = 4;
        list[24 + 7] = 100;
        list[24 + 11] = 1;
        assert_eq!(
            unmap_descriptors(&list, 2048, |l, n| {
                got.push((l, n));
                Ok(())
            }),
            Ok(())
        );
        assert_eq!(got, [(8, 4), (100, 1)]);
        got.clear();
        list[24 + 6] = 0x10; // LBA 4196: beyond the end
        assert_eq!(
            unmap_descriptors(&list, 2048, |l, n| {
                got.push((l, n));
                Ok(())
            }),
            Err(Sense::LBA_OUT_OF_RANGE)
        );
        assert!(
            got.is_empty(),
            "nothing applied before the whole list checked"
        );
        list[3] = 33;
        assert_eq!(
            unmap_descriptors(&list, 2048, |_, _| Ok(())),
            Err(Sense::PARAMETER_LIST_LENGTH_ERROR)
        );
        assert_eq!(
            unmap_descriptors(&list[..5], 2048, |_, _| Ok(())),
            Err(Sense::PARAMETER_LIST_LENGTH_ERROR)
        );
        assert_eq!(unmap_descriptors(&[], 2048, |_, _| Ok(())), Ok(()));
        // At most MAX_UNMAP_BLOCKS in all: two of 600 Ki blocks are too many.
        let mut two = [0u8; 8 + 32];
        two[3] = 32;
        two[8 + 9] = 0x09;
        two[8 + 10] = 0x60;
        two[24 + 6] = 0x10;
        two[24 + 9] = 0x09;
        two[24 + 10] = 0x60;
        assert_eq!(
            unmap_descriptors(&two, 1 << 24, |_, _| Ok(())),
            Err(Sense::INVALID_FIELD_IN_PARAMETER_LIST)
        );
        two[24 + 9] = 0x02;
        assert_eq!(unmap_descriptors(&two, 1 << 24, |_, _| Ok(())), Ok(()));
    }

    #[test]
    fn protection_fields() {
        assert!(protection_requested(&[0x28, 0x20, 0, 0, 0, 0, 0, 0, 1, 0]));
        assert!(protection_requested(&[0x8a, 0xe0]));
        assert!(!protection_requested(&[0x28, 0x1f, 0, 0, 0, 0, 0, 0, 1, 0]));
        // READ(6) has no protection field: its byte 1 is part of the LBA.
        assert!(!protection_requested(&[0x08, 0xe0, 0, 0, 1, 0]));
        assert!(!protection_requested(&[]));
    }

    #[test]
    fn prefetch_ranges() {
        let pf16 = |lba: u64, n: u32| {
            let mut c = [0u8; 16];
            c[0] = 0x90;
            c[2..10].copy_from_slice(&lba.to_be_bytes());
            c[10..14].copy_from_slice(&n.to_be_bytes());
            check_prefetch(extent(&c).unwrap(), 1000)
        };
        assert_eq!(pf16(0, 1000), Ok(()));
        assert_eq!(pf16(999, 0), Ok(()));
        assert_eq!(pf16(1000, 0), Err(Sense::LBA_OUT_OF_RANGE));
        assert_eq!(pf16(999, 2), Err(Sense::LBA_OUT_OF_RANGE));
        assert_eq!(pf16(u64::MAX, 1), Err(Sense::LBA_OUT_OF_RANGE));
        let c = [0x34, 0, 0, 0, 0x03, 0xe8, 0, 0, 1, 0];
        assert_eq!(
            check_prefetch(extent(&c).unwrap(), 1000),
            Err(Sense::LBA_OUT_OF_RANGE)
        );
    }
}
