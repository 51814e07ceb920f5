// SPDX-License-Identifier: GPL-2.0

//! Big-endian fields of CDBs, parameter lists and replies.  Reads never
//! panic on short input: what a CDB or parameter list omits reads as
//! zero (`be`, `byte`) or as absent (`be_exact`); writes go as far as the
//! buffer reaches (`put`), since replies are cut to the allocation length
//! anyway.  `no_std`, no allocation, host-tested.

/// The `n`-byte big-endian field at `at` (`n` at most 8); missing bytes
/// read as 0.
pub fn be(b: &[u8], at: usize, n: usize) -> u64 {
    (0..n).fold(0, |v, i| {
        (v << 8) | u64::from(byte(b, at.saturating_add(i)))
    })
}

/// The `n`-byte big-endian field at `at` (`n` at most 8), if `b` holds
/// all of it.
pub fn be_exact(b: &[u8], at: usize, n: usize) -> Option<u64> {
    let s = b.get(at..at.checked_add(n)?)?;
    Some(s.iter().fold(0, |v, &x| (v << 8) | u64::from(x)))
}

/// Byte `i` of `b` (0 if missing).
pub fn byte(b: &[u8], i: usize) -> u8 {
    b.get(i).copied().unwrap_or(0)
}

/// Writes `bytes` at `at`, as far as `out` reaches; how many it wrote.
pub fn put(out: &mut [u8], at: usize, bytes: &[u8]) -> usize {
    let Some(dst) = out.get_mut(at..) else {
        return 0;
    };
    let n = dst.len().min(bytes.len());
    if let (Some(d), Some(s)) = (dst.get_mut(..n), bytes.get(..n)) {
        d.copy_from_slice(s);
    }
    n
}

/// Writes the low `n` bytes of `v` big-endian at `at` (`n` at most 8),
/// as far as `out` reaches.
pub fn put_be(out: &mut [u8], at: usize, n: usize, v: u64) {
    let bytes = v.to_be_bytes();
    put(
        out,
        at,
        bytes.get(8usize.saturating_sub(n)..).unwrap_or(&[]),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads() {
        let b = [0x12, 0x34, 0x56, 0x78, 0x9a];
        assert_eq!(be(&b, 1, 2), 0x3456);
        assert_eq!(be(&b, 3, 4), 0x789a_0000);
        assert_eq!(be(&b, usize::MAX, 2), 0);
        assert_eq!(be_exact(&b, 1, 4), Some(0x3456_789a));
        assert_eq!(be_exact(&b, 2, 4), None);
        assert_eq!(be_exact(&b, usize::MAX, 2), None);
        assert_eq!(byte(&b, 4), 0x9a);
        assert_eq!(byte(&b, 5), 0);
    }

    #[test]
    fn writes() {
        let mut out = [0u8; 6];
        put_be(&mut out, 1, 3, 0x0102_0304);
        assert_eq!(out, [0, 2, 3, 4, 0, 0]);
        put_be(&mut out, 4, 4, 0xaabb_ccdd);
        assert_eq!(out, [0, 2, 3, 4, 0xaa, 0xbb]);
        put(&mut out, 9, &[1]);
        assert_eq!(out, [0, 2, 3, 4, 0xaa, 0xbb]);
    }
}
