//! Operational parameter negotiation (RFC 7143 13): an initiator's
//! offers against target settings that the same input may change with
//! iscsi-scst-adm's `Settings::set`.  Input: one byte of options, then a
//! text segment of `key=value` items.
#![no_main]
use iscsi_proto::params::{self, Negotiation, Settings};
use iscsi_proto::text::{self, Writer};
use libfuzzer_sys::fuzz_target;
use scst_fuzz::Input;

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let opts = input.byte();
    let segment = input.rest();

    // Items prefixed `Set.` change the target's settings first, as the
    // administrator could; the settings the negotiation starts from must
    // pass `check`, as the daemon requires.
    let mut settings: Settings = params::DEFAULT_SETTINGS;
    for (k, v) in text::items(segment).filter_map(Result::ok) {
        if let (Some(k), Ok(v)) = (k.strip_prefix(b"Set."), core::str::from_utf8(v)) {
            let _ = settings.set(core::str::from_utf8(k).unwrap(), v);
        }
    }
    if settings.check().is_err() {
        settings = params::DEFAULT_SETTINGS;
    }
    let mut listing = [0u8; 1024];
    let mut w = Writer::new(&mut listing);
    settings
        .write(&mut w)
        .expect("the settings listing fits 1 KiB");
    assert!(text::check(w.as_bytes()).is_ok());

    let mut n = Negotiation::new(settings, opts & 1 != 0);
    let mut buf = vec![0u8; [64, 512, 8192, 16][usize::from(opts >> 1 & 3)]];
    let mut w = Writer::new(&mut buf);
    for (k, v) in text::items(segment).filter_map(Result::ok) {
        if n.offer(k, v, &mut w).is_err() {
            break;
        }
    }
    if opts & 8 != 0 {
        let _ = n.declare(&mut w);
    }
    let r = n.result;
    assert!(r.first_burst_length <= r.max_burst_length, "{:?}", r);
    assert!(
        r.max_burst_length >= 512 && r.max_xmit_data_segment_length >= 512,
        "{:?}",
        r
    );
    assert!(
        r.max_xmit_data_segment_length <= settings.max_xmit_data_segment_length.max(512),
        "{:?}",
        r
    );
    assert!(
        text::check(w.as_bytes()).is_ok(),
        "we wrote malformed text: {:?}",
        w.as_bytes()
    );
});
