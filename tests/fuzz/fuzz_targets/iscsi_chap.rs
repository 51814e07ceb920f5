//! CHAP values (`0x` hex, `0b` base64) as the login decodes CHAP_R and
//! CHAP_C, re-encoded both ways; CHAP_A lists; responses and their check.
//! Input: one byte for the output buffer's size and the CHAP identifier,
//! then the value.
#![no_main]
use iscsi_proto::chap;
use iscsi_proto::text::{self, Writer};
use libfuzzer_sys::fuzz_target;
use scst_fuzz::{base64, md5, Input};

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let opts = input.byte();
    let value = input.rest();

    let mut out = vec![0u8; [16, 64, chap::MAX_CHALLENGE, 3][usize::from(opts & 3)]];
    if let Some(n) = chap::decode(value, &mut out) {
        // At least one byte ("0bA", fewer than 8 bits, is no value).
        assert!(n > 0 && n <= out.len(), "{:?}", value);
        let bytes = &out[..n];
        // Hex back and forth, as mutual CHAP's answer is written.
        let mut buf = [0u8; 256];
        let mut w = Writer::new(&mut buf);
        if chap::push_hex(&mut w, "CHAP_R", bytes).is_ok() {
            let hex = text::find(w.as_bytes(), "CHAP_R").unwrap();
            let mut again = vec![0u8; n];
            assert_eq!(chap::decode(hex, &mut again), Some(n));
            assert_eq!(again, bytes);
        } else {
            assert!(n > 64);
        }
        // The same bytes in base64.
        let b64 = format!("0b{}", base64(bytes));
        let mut again = vec![0u8; n];
        assert_eq!(chap::decode(b64.as_bytes(), &mut again), Some(n), "{}", b64);
        assert_eq!(again, bytes);

        // A response verifies; any other does not.
        let id = opts >> 2;
        let r = chap::response(md5, id, b"secretsecret", bytes);
        assert!(chap::verify(md5, id, b"secretsecret", bytes, &r));
        assert!(!chap::verify(md5, id ^ 1, b"secretsecret", bytes, &r));
        assert!(!chap::verify(md5, id, b"secretsecret", bytes, &r[..15]));
    }

    // CHAP_A: MD5 (5) offered in a comma-separated list.
    let offered = value
        .split(|&c| c == b',')
        .any(|a| text::parse_number(a) == Some(5));
    assert_eq!(chap::offers_md5(value), offered);
});
