// SPDX-License-Identifier: GPL-2.0

//! CRC32C (Castagnoli) through the kernel's `crc32c()`, which uses the
//! CPU's instruction where there is one (crc32c-intel on x86).

use super::bindings;

/// The iSCSI digest of `parts` taken as one byte string (RFC 7143 13.1:
/// CRC32C, initial value and final XOR all ones), in wire byte order.
pub(crate) fn iscsi_digest(parts: &[&[u8]]) -> [u8; 4] {
    let mut crc = !0u32;
    for p in parts {
        crc = update(crc, p);
    }
    (!crc).to_le_bytes()
}

/// CRC32C register `crc` advanced over `data` (no initial or final XOR).
pub(crate) fn update(crc: u32, data: &[u8]) -> u32 {
    let mut crc = crc;
    // `crc32c` takes an unsigned int length.
    for chunk in data.chunks(1 << 30) {
        // SAFETY: `chunk` is readable for its length; crc32c only reads.
        crc = unsafe { bindings::crc32c(crc, chunk.as_ptr().cast(), chunk.len() as u32) };
    }
    crc
}
