//! Helpers shared by the fuzz targets (fuzz_targets/*.rs).

/// Reads an input front to back; missing bytes read as 0, so every input
/// means something.
pub struct Input<'a>(pub &'a [u8]);

impl<'a> Input<'a> {
    pub fn byte(&mut self) -> u8 {
        let (&b, rest) = self.0.split_first().unwrap_or((&0, &[]));
        self.0 = rest;
        b
    }

    pub fn u16(&mut self) -> u16 {
        u16::from_be_bytes([self.byte(), self.byte()])
    }

    pub fn u32(&mut self) -> u32 {
        u32::from_be_bytes([self.byte(), self.byte(), self.byte(), self.byte()])
    }

    /// Up to `n` bytes.
    pub fn take(&mut self, n: usize) -> &'a [u8] {
        let (a, b) = self.0.split_at(n.min(self.0.len()));
        self.0 = b;
        a
    }

    /// The bytes up to the next `sep` (which is consumed), or the rest.
    pub fn until(&mut self, sep: u8) -> &'a [u8] {
        match self.0.iter().position(|&c| c == sep) {
            Some(i) => {
                let a = &self.0[..i];
                self.0 = &self.0[i + 1..];
                a
            }
            None => self.take(usize::MAX),
        }
    }

    pub fn rest(&mut self) -> &'a [u8] {
        self.take(usize::MAX)
    }
}

/// Block sizes the SCSI targets pick from (0: tape variable block mode;
/// the large ones make transfer lengths overflow).
pub const BLOCK_SIZES: [u32; 8] = [512, 4096, 0, 1, 2048, 65536, 1 << 31, u32::MAX];

/// Base64 (RFC 4648, with padding), to check CHAP's decoder against.
pub fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                s.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

/// MD5 of the concatenated `parts`, as iscsi-scstd computes CHAP
/// responses.
pub fn md5(parts: &[&[u8]]) -> [u8; 16] {
    use md5::{Digest, Md5};
    let mut h = Md5::new();
    parts.iter().for_each(|p| h.update(p));
    h.finalize().into()
}
