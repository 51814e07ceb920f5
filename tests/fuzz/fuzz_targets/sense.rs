//! Replies from real devices that the pass-through handlers read: sense
//! data (rust/scsi/sense.rs `parse`, re-encoded and parsed again), READ
//! CAPACITY and MODE SENSE data, and a tape READ's sense residue
//! (handlers/passthrough/fixups.rs).  Input: an options byte, then the
//! reply.
#![no_main]
use libfuzzer_sys::fuzz_target;
use scst_fuzz::Input;
use scst_host::passthrough as fx;
use scst_host::scst_rs::scsi::sense::{self, Format};

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let opts = input.byte();
    let buf = input.rest();

    if let Some(s) = sense::parse(buf) {
        let f = sense::format(buf).expect("parsed sense has a format");
        let mut out = [0u8; 64];
        let n = s.encode(f, &mut out);
        assert_eq!(n, s.encoded_len(f));
        assert!(n <= sense::MAX_ENCODED_LEN);
        let again = sense::parse(&out[..n]).expect("our own sense parses");
        // Fixed format has 32 bits of INFORMATION.
        if f == Format::Descriptor || s.info.is_none_or(|i| i <= u64::from(u32::MAX)) {
            assert_eq!(again, s, "{:02x?}", &out[..n]);
        }
        // Short buffers get a prefix, never an overrun.
        let mut short = [0u8; 5];
        s.encode(f, &mut short);
        assert_eq!(short, out[..5]);
    }

    // READ CAPACITY(10)/(16) replies.
    let cdb = [if opts & 1 != 0 { 0x9e } else { 0x25 }, 0x10];
    if let Some(n) = fx::capacity_block_len(&cdb, buf) {
        assert!(n != 0 && buf.len() >= if opts & 1 != 0 { 12 } else { 8 });
    }
    // MODE SENSE data: setting WP leaves the block length alone.
    let ten = opts & 2 != 0;
    let before = fx::mode_block_len(buf, ten);
    let mut wp = buf.to_vec();
    fx::set_write_protect(&mut wp, ten);
    assert_eq!(fx::mode_block_len(&wp, ten), before);
    // A tape READ never read more than asked.
    let requested = u32::from_be_bytes([opts, 0, 2, 0]);
    let fixed = (opts & 4 != 0).then_some(512);
    if let Some(n) = fx::tape_bytes_read(buf, requested, fixed) {
        assert!(n <= requested);
    }
    for t in 0..32 {
        let _ = (fx::perf_skips(t, opts), fx::timeout_ms(t, opts));
    }
});
