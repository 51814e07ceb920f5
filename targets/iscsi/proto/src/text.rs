// SPDX-License-Identifier: GPL-2.0

//! iSCSI text: `key=value` items, each ended by a NUL (RFC 7143 6.1),
//! the data of Login and Text PDUs.  Reading checks the syntax; writing
//! goes into a caller's buffer.  `no_std`, no allocation.

/// Longest key (RFC 7143 6.1: 63 bytes).
pub const MAX_KEY: usize = 63;
/// Longest value in general (RFC 7143 6.1: 255 bytes); a few keys allow
/// more (see [`max_value_len`]).
pub const MAX_VALUE: usize = 255;

/// What is wrong with a text segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextError {
    /// An item without `=`.
    NoEquals,
    /// An empty key, a key over 63 bytes or with a character RFC 7143
    /// does not allow.
    BadKey,
    /// A value too long for its key.
    ValueTooLong,
    /// Bytes after the last NUL (an item cut off).
    Unterminated,
}

/// Longest value `key` may have.
pub fn max_value_len(key: &[u8]) -> usize {
    match key {
        // Names and addresses up to 223 bytes fit in 255; challenges and
        // responses, and SendTargets answers, may be long.
        b"CHAP_C" | b"CHAP_R" | b"TargetAddress" | b"SendTargets" => 8192,
        _ => MAX_VALUE,
    }
}

/// Whether `key` is a syntactically valid key (RFC 7143 6.1: letters,
/// digits, `.`, `-`, `+`, `@`, `_`).
pub fn valid_key(key: &[u8]) -> bool {
    !key.is_empty()
        && key.len() <= MAX_KEY
        && key
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'+' | b'@' | b'_'))
}

/// The items of a text segment, in order.  The segment must end with a
/// NUL (or be empty); consecutive NULs (padding) are skipped.
pub struct Items<'a> {
    rest: &'a [u8],
}

/// Iterates over `data`'s items.
pub fn items(data: &[u8]) -> Items<'_> {
    Items { rest: data }
}

impl<'a> Iterator for Items<'a> {
    type Item = Result<(&'a [u8], &'a [u8]), TextError>;

    fn next(&mut self) -> Option<Self::Item> {
        while let Some((&0, rest)) = self.rest.split_first() {
            self.rest = rest;
        }
        if self.rest.is_empty() {
            return None;
        }
        let Some(end) = self.rest.iter().position(|&c| c == 0) else {
            self.rest = &[];
            return Some(Err(TextError::Unterminated));
        };
        let (item, rest) = self.rest.split_at(end);
        self.rest = rest;
        Some(parse_item(item))
    }
}

fn parse_item(item: &[u8]) -> Result<(&[u8], &[u8]), TextError> {
    let eq = item
        .iter()
        .position(|&c| c == b'=')
        .ok_or(TextError::NoEquals)?;
    let (key, rest) = item.split_at(eq);
    let value = rest.get(1..).unwrap_or(&[]);
    if !valid_key(key) {
        return Err(TextError::BadKey);
    }
    if value.len() > max_value_len(key) {
        return Err(TextError::ValueTooLong);
    }
    Ok((key, value))
}

/// Checks a whole segment; returns the number of items.
pub fn check(data: &[u8]) -> Result<usize, TextError> {
    let mut n = 0;
    for i in items(data) {
        i?;
        n += 1;
    }
    Ok(n)
}

/// The value of `key` in `data`, if present and well formed.
pub fn find<'a>(data: &'a [u8], key: &str) -> Option<&'a [u8]> {
    items(data)
        .filter_map(Result::ok)
        .find(|(k, _)| *k == key.as_bytes())
        .map(|(_, v)| v)
}

/// The buffer did not have room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Full;

/// Text being written into a caller's buffer.
pub struct Writer<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl<'a> Writer<'a> {
    pub fn new(buf: &'a mut [u8]) -> Self {
        Writer { buf, len: 0 }
    }

    /// Appends `key=value` and its NUL; on `Full` nothing is appended.
    pub fn push(&mut self, key: &str, value: &[u8]) -> Result<(), Full> {
        let need = key.len() + 1 + value.len() + 1;
        let end = self.len.checked_add(need).ok_or(Full)?;
        let dst = self.buf.get_mut(self.len..end).ok_or(Full)?;
        for (d, s) in dst
            .iter_mut()
            .zip(key.as_bytes().iter().chain(b"=").chain(value).chain(b"\0"))
        {
            *d = *s;
        }
        self.len = end;
        Ok(())
    }

    /// Appends `key=n` in decimal.
    pub fn push_num(&mut self, key: &str, n: u64) -> Result<(), Full> {
        let mut d = [0u8; 20];
        self.push(key, decimal(n, &mut d))
    }

    /// The bytes written so far.
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// `n` in decimal, in `buf`.
pub fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut start = buf.len();
    // u64::MAX has 20 digits: the buffer always suffices.
    for (i, d) in buf.iter_mut().enumerate().rev() {
        *d = b'0' + (n % 10) as u8;
        n /= 10;
        start = i;
        if n == 0 {
            break;
        }
    }
    buf.get(start..).unwrap_or(&[])
}

/// A number value (RFC 7143 5.1: decimal, `0x` hex or `0b` base64 are all
/// allowed for numbers; initiators send decimal).  None if malformed.
pub fn parse_number(v: &[u8]) -> Option<u64> {
    if let Some(hex) = v.strip_prefix(b"0x").or_else(|| v.strip_prefix(b"0X")) {
        if hex.is_empty() || hex.len() > 16 {
            return None;
        }
        return hex
            .iter()
            .try_fold(0u64, |n, &c| Some(n << 4 | u64::from(hex_digit(c)?)));
    }
    if v.is_empty() || !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    // Any 64-bit value (RFC 7143 6.1: numerical values are 64 bits at
    // most), as in hex; beyond is no number.
    v.iter().try_fold(0u64, |n, &c| {
        n.checked_mul(10)?.checked_add(u64::from(c - b'0'))
    })
}

/// The value of one hex digit.
pub fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// The answer to a Text Request of a normal session in full feature
/// phase (RFC 7143 11.10, appendix C): `SendTargets=All`, or this
/// session's target by name, lists that target with `address` (the
/// portal the connection came in on, `ip:port,tpgt`); any other
/// SendTargets value lists nothing; other keys are answered
/// `NotUnderstood` (nothing is renegotiable at ErrorRecoveryLevel 0).
/// A malformed item ends the answer there.
pub fn full_feature_answer(
    req: &[u8],
    target: &[u8],
    address: &[u8],
    w: &mut Writer<'_>,
) -> Result<(), Full> {
    for (key, value) in items(req).map_while(Result::ok) {
        let Ok(key) = core::str::from_utf8(key) else {
            break;
        };
        if key != "SendTargets" {
            w.push(key, b"NotUnderstood")?;
        } else if value == b"All" || value.eq_ignore_ascii_case(target) {
            w.push("TargetName", target)?;
            w.push("TargetAddress", address)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_full_feature_text() {
        let answer = |req: &[u8]| {
            let mut buf = [0u8; 256];
            let mut w = Writer::new(&mut buf);
            full_feature_answer(req, b"iqn.2026-12.org.scst:t", b"10.0.0.1:3260,1", &mut w)
                .map(|()| w.as_bytes().to_vec())
        };
        let both = b"TargetName=iqn.2026-12.org.scst:t\0TargetAddress=10.0.0.1:3260,1\0".to_vec();
        assert_eq!(answer(b"SendTargets=All\0"), Ok(both.clone()));
        assert_eq!(answer(b"SendTargets=IQN.2026-12.ORG.SCST:T\0"), Ok(both));
        assert_eq!(
            answer(b"SendTargets=iqn.other\0SendTargets=\0"),
            Ok(Vec::new())
        );
        assert_eq!(
            answer(b"MaxBurstLength=512\0X-vendor.y=1\0"),
            Ok(b"MaxBurstLength=NotUnderstood\0X-vendor.y=NotUnderstood\0".to_vec())
        );
        assert_eq!(
            answer(b"Foo=1\0no equals\0Bar=2\0"),
            Ok(b"Foo=NotUnderstood\0".to_vec())
        );
        let long = b"Keyabcdefghijklmnop=1\0".repeat(20);
        assert_eq!(answer(&long), Err(Full));
    }

    #[test]
    fn reads_items() {
        let data = b"InitiatorName=iqn.x:y\0SessionType=Normal\0\0\0";
        let v: Vec<_> = items(data).collect();
        assert_eq!(
            v,
            vec![
                Ok((&b"InitiatorName"[..], &b"iqn.x:y"[..])),
                Ok((&b"SessionType"[..], &b"Normal"[..]))
            ]
        );
        assert_eq!(check(data), Ok(2));
        assert_eq!(find(data, "SessionType"), Some(&b"Normal"[..]));
        assert_eq!(find(data, "Nope"), None);
        assert_eq!(check(b""), Ok(0));
        // An empty value is allowed (its meaning is the key's business).
        assert_eq!(check(b"X-a=\0"), Ok(1));
    }

    #[test]
    fn refuses_bad_text() {
        assert_eq!(check(b"NoEquals\0"), Err(TextError::NoEquals));
        assert_eq!(check(b"=v\0"), Err(TextError::BadKey));
        assert_eq!(check(b"a b=v\0"), Err(TextError::BadKey));
        let long_key = [b'k'; 64];
        let mut t = long_key.to_vec();
        t.extend_from_slice(b"=1\0");
        assert_eq!(check(&t), Err(TextError::BadKey));
        let mut t = b"Key=".to_vec();
        t.extend_from_slice(&[b'v'; 256]);
        t.push(0);
        assert_eq!(check(&t), Err(TextError::ValueTooLong));
        assert_eq!(check(b"a=1\0b=2"), Err(TextError::Unterminated));
    }

    #[test]
    fn writes_items() {
        let mut buf = [0u8; 32];
        let mut w = Writer::new(&mut buf);
        w.push("A", b"b").unwrap();
        w.push_num("MaxBurstLength", 262144).unwrap();
        assert_eq!(w.as_bytes(), b"A=b\0MaxBurstLength=262144\0");
        assert_eq!(w.push("Too", b"long for the rest"), Err(Full));
        assert_eq!(w.len(), 26);
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_number(b"8192"), Some(8192));
        assert_eq!(parse_number(b"0x10"), Some(16));
        assert_eq!(parse_number(b"0"), Some(0));
        assert_eq!(parse_number(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_number(b"0xffffffffffffffff"), Some(u64::MAX));
        for bad in [
            &b""[..],
            b"-1",
            b"1a",
            b"0x",
            b"18446744073709551616",
            b"99999999999999999999",
            b"0xg",
        ] {
            assert_eq!(parse_number(bad), None, "{:?}", bad);
        }
        let mut d = [0; 20];
        assert_eq!(decimal(0, &mut d), b"0");
        assert_eq!(decimal(u64::MAX, &mut d), b"18446744073709551615");
    }
}
