//! Login and Text PDU data segments: `key=value` items, `check`, `find`,
//! the writer (a round trip), numbers, and the full feature phase
//! SendTargets answer.
#![no_main]
use iscsi_proto::text::{self, Writer};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let n = text::items(data).count();
    match text::check(data) {
        Ok(k) => assert_eq!(k, n),
        Err(_) => assert!(text::items(data).any(|i| i.is_err())),
    }

    // Every good item obeys the syntax; `find` returns a key's first
    // value; writing the good items back reads back the same.
    let mut buf = vec![0u8; data.len() + 1];
    let mut w = Writer::new(&mut buf);
    let mut good = Vec::new();
    for (k, v) in text::items(data).filter_map(Result::ok) {
        assert!(text::valid_key(k) && v.len() <= text::max_value_len(k) && !v.contains(&0));
        let key = core::str::from_utf8(k).expect("valid keys are ASCII");
        if !good.iter().any(|(g, _): &(&[u8], &[u8])| *g == k) {
            assert_eq!(text::find(data, key), Some(v));
        }
        w.push(key, v).expect("the items fit where they came from");
        good.push((k, v));
    }
    let out = w.as_bytes();
    assert_eq!(text::check(out), Ok(good.len()));
    assert!(text::items(out)
        .map(Result::unwrap)
        .eq(good.iter().copied()));

    // Numbers: what parses prints back to the same value in decimal
    // (both forms take every 64-bit value).
    for (_, v) in &good {
        if let Some(x) = text::parse_number(v) {
            let mut d = [0u8; 20];
            assert_eq!(text::parse_number(text::decimal(x, &mut d)), Some(x));
        }
    }

    // SendTargets in full feature phase, into small and large buffers.
    for size in [0, 40, 4096] {
        let mut buf = vec![0u8; size];
        let mut w = Writer::new(&mut buf);
        let _ = text::full_feature_answer(
            data,
            b"iqn.2026-11.org.scst:disk",
            b"10.0.0.1:3260,1",
            &mut w,
        );
        assert!(w.len() <= size);
        assert!(
            text::check(w.as_bytes()).is_ok(),
            "we wrote malformed text: {:?}",
            w.as_bytes()
        );
    }
});
