// SPDX-License-Identifier: GPL-2.0

//! CHAP for iSCSI login (RFC 1994, RFC 7143 12.1.3): the value encodings
//! (`0x` hex, `0b` base64), MD5 responses and their check.  The login's
//! CHAP steps are in `login`.  `no_std`, no allocation; MD5 itself comes
//! from the caller (the daemon's md-5 crate), so that this crate keeps no
//! dependencies and no cryptography of its own.

use crate::text::{hex_digit, Full, Writer};

/// CHAP_A value for MD5, the only algorithm RFC 7143 requires.
pub const MD5: u64 = 5;
/// Largest challenge accepted (RFC 7143 12.1.3: 1024 bytes).
pub const MAX_CHALLENGE: usize = 1024;
/// Length of the challenges we send.
pub const CHALLENGE_LEN: usize = 16;

/// Decodes a binary value (`0x` hex, odd length allowed, or `0b` base64)
/// into `out`; returns its length.  None if malformed or too long.
pub fn decode(v: &[u8], out: &mut [u8]) -> Option<usize> {
    if let Some(hex) = v.strip_prefix(b"0x").or_else(|| v.strip_prefix(b"0X")) {
        return decode_hex(hex, out);
    }
    if let Some(b64) = v.strip_prefix(b"0b").or_else(|| v.strip_prefix(b"0B")) {
        return decode_base64(b64, out);
    }
    None
}

fn decode_hex(hex: &[u8], out: &mut [u8]) -> Option<usize> {
    let n = hex.len().div_ceil(2);
    if hex.is_empty() || n > out.len() {
        return None;
    }
    // An odd count: the first digit stands alone.
    let (first, rest) = if hex.len() % 2 == 1 {
        hex.split_at(1)
    } else {
        hex.split_at(0)
    };
    let mut o = out.iter_mut();
    if let Some(&c) = first.first() {
        *o.next()? = hex_digit(c)?;
    }
    for pair in rest.chunks_exact(2) {
        *o.next()? = hex_digit(pair[0])? << 4 | hex_digit(pair[1])?;
    }
    Some(n)
}

fn b64_value(c: u8) -> Option<u32> {
    Some(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    } as u32)
}

fn decode_base64(b64: &[u8], out: &mut [u8]) -> Option<usize> {
    let data = b64
        .strip_suffix(b"==")
        .or_else(|| b64.strip_suffix(b"="))
        .unwrap_or(b64);
    if data.is_empty() {
        return None;
    }
    let (mut acc, mut bits, mut n) = (0u32, 0, 0);
    for &c in data {
        acc = acc << 6 | b64_value(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            *out.get_mut(n)? = (acc >> bits) as u8;
            n += 1;
            acc &= (1 << bits) - 1;
        }
    }
    // Fewer than 8 bits ("0bA") are no byte.
    (n > 0).then_some(n)
}

/// Appends `key=0x<hex of bytes>`.
pub fn push_hex(w: &mut Writer<'_>, key: &str, bytes: &[u8]) -> Result<(), Full> {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut buf = [0u8; 2 + 2 * 64];
    let text = buf.get_mut(..2 + 2 * bytes.len()).ok_or(Full)?;
    text[0] = b'0';
    text[1] = b'x';
    for (pair, b) in text[2..].chunks_exact_mut(2).zip(bytes) {
        pair[0] = DIGITS[usize::from(b >> 4)];
        pair[1] = DIGITS[usize::from(b & 15)];
    }
    w.push(key, text)
}

/// MD5 of the concatenation of some byte strings.
pub trait Md5: Fn(&[&[u8]]) -> [u8; 16] {}
impl<F: Fn(&[&[u8]]) -> [u8; 16]> Md5 for F {}

/// The MD5 CHAP response: MD5(identifier, secret, challenge).
pub fn response(md5: impl Md5, id: u8, secret: &[u8], challenge: &[u8]) -> [u8; 16] {
    md5(&[&[id], secret, challenge])
}

/// Whether `got` is the right response, compared in constant time.
pub fn verify(md5: impl Md5, id: u8, secret: &[u8], challenge: &[u8], got: &[u8]) -> bool {
    let want = response(md5, id, secret, challenge);
    got.len() == want.len() && got.iter().zip(want).fold(0u8, |d, (a, b)| d | (a ^ b)) == 0
}

/// Whether a CHAP_A list offers MD5.
pub fn offers_md5(v: &[u8]) -> bool {
    v.split(|&c| c == b',')
        .any(|a| crate::text::parse_number(a) == Some(MD5))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_md5 as md5;

    fn hex16(s: &str) -> [u8; 16] {
        let mut out = [0u8; 16];
        for (o, pair) in out.iter_mut().zip(s.as_bytes().chunks(2)) {
            *o = u8::from_str_radix(core::str::from_utf8(pair).unwrap(), 16).unwrap();
        }
        out
    }

    #[test]
    fn decodes_values() {
        let mut out = [0u8; 8];
        assert_eq!(decode(b"0x0102ff", &mut out), Some(3));
        assert_eq!(&out[..3], &[1, 2, 0xff]);
        assert_eq!(decode(b"0XabC", &mut out), Some(2));
        assert_eq!(&out[..2], &[0x0a, 0xbc]);
        assert_eq!(decode(b"0bAQL/", &mut out), Some(3));
        assert_eq!(&out[..3], &[1, 2, 0xff]);
        assert_eq!(decode(b"0bAQI=", &mut out), Some(2));
        assert_eq!(&out[..2], &[1, 2]);
        for bad in [
            &b"0102"[..],
            b"0x",
            b"0xzz",
            b"0b",
            b"0bA",
            b"0bA=",
            b"0b*A",
            b"0x001122334455667788",
        ] {
            assert_eq!(decode(bad, &mut out), None, "{:?}", bad);
        }
    }

    #[test]
    fn writes_hex() {
        let mut buf = [0u8; 64];
        let mut w = Writer::new(&mut buf);
        push_hex(&mut w, "CHAP_C", &[0, 0xab, 0x10]).unwrap();
        assert_eq!(w.as_bytes(), b"CHAP_C=0x00ab10\0");
    }

    #[test]
    fn responses() {
        // RFC 1994 response of identifier 1, secret "secret", challenge
        // 0x01020304: MD5 of the concatenation (`md5sum` of those 11
        // bytes).
        let c = [1u8, 2, 3, 4];
        let r = response(md5, 1, b"secret", &c);
        assert_eq!(r, hex16("afd81c66f2d5f7fc733e1b2d88bb2630"));
        assert!(verify(md5, 1, b"secret", &c, &r));
        assert!(!verify(md5, 2, b"secret", &c, &r));
        assert!(!verify(md5, 1, b"Secret", &c, &r));
        assert!(!verify(md5, 1, b"secret", &c, &r[..15]));
        assert!(offers_md5(b"7,5") && offers_md5(b"5") && !offers_md5(b"7") && !offers_md5(b""));
    }
}
