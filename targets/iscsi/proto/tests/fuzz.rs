//! Bounded fuzzing of everything that reads initiator or administrator
//! input: PDU headers, text segments, the login state machine, CHAP
//! values, negotiation, iscsi-scstd.conf and initiators.allow/deny.
//! Inputs are mutations of valid seeds by a seeded PRNG, so a failure
//! reproduces; `FUZZ_ITERS` (default 20000 per target) sets the length,
//! `FUZZ_SEED` the start.  The property is "no panic" plus each parser's
//! own invariants.  Runs in `make check` through `cargo test`.

use iscsi_proto::{acl, chap, config, login, params, pdu, text};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn iters() -> usize {
    std::env::var("FUZZ_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20000)
}

fn rng() -> Rng {
    Rng(std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x0005_c571_5c51_u64)
        | 1)
}

/// A few random edits of `seed`: byte flips, interesting bytes, inserts,
/// deletes, and splices of dictionary words.
fn mutate(r: &mut Rng, seed: &[u8], dict: &[&[u8]]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..1 + r.below(6) {
        let at = r.below(v.len() + 1);
        match r.below(6) {
            0 if !v.is_empty() => {
                let i = r.below(v.len());
                v[i] ^= 1 << r.below(8);
            }
            1 if !v.is_empty() => {
                let i = r.below(v.len());
                v[i] = [0, 0xff, 0x7f, 0x80, b'=', b',', 0x01][r.below(7)];
            }
            2 => v.insert(at, r.next() as u8),
            3 if !v.is_empty() => {
                let end = (at + r.below(8)).min(v.len());
                v.drain(at.min(end)..end);
            }
            4 if !dict.is_empty() => {
                let w = dict[r.below(dict.len())];
                v.splice(at..at, w.iter().copied());
            }
            _ => v.truncate(at),
        }
    }
    v
}

const KEYS: &[&[u8]] = &[
    b"InitiatorName=iqn.1993-08.org.debian:01:a\0",
    b"TargetName=iqn.2026-11.org.scst:disk\0",
    b"SessionType=Discovery\0",
    b"SessionType=Normal\0",
    b"AuthMethod=CHAP,None\0",
    b"CHAP_A=5\0",
    b"CHAP_N=joe\0",
    b"CHAP_R=0x00112233445566778899aabbccddeeff\0",
    b"CHAP_I=7\0",
    b"CHAP_C=0b3q2+7w==\0",
    b"MaxBurstLength=16776192\0",
    b"FirstBurstLength=4294967296\0",
    b"HeaderDigest=CRC32C,None\0",
    b"InitialR2T=Maybe\0",
    b"MaxRecvDataSegmentLength=511\0",
    b"X-foo=bar\0",
    b"=\0",
    b"\0\0",
];

#[test]
fn pdu_headers() {
    let mut r = rng();
    for _ in 0..iters() * 5 {
        let mut b = pdu::Bhs::default();
        for x in b.0.iter_mut() {
            *x = if r.below(3) == 0 { r.next() as u8 } else { 0 };
        }
        b.0[0] = [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x10, 0x41, 0x3f][r.below(10)]
            | (r.next() as u8 & 0xc0);
        match pdu::Request::decode(&b) {
            Ok(req) => {
                assert!(
                    b.opcode() <= 0x10,
                    "decoded a target opcode {:#x}",
                    b.opcode()
                );
                if let pdu::Request::ScsiCmd(c) = req {
                    assert!(b.data_len() == 0 || c.write);
                }
            }
            Err(pdu::Refused(reason)) => assert!(
                reason == pdu::reject::NOT_SUPPORTED || reason == pdu::reject::PROTOCOL_ERROR
            ),
        }
        assert!(b.padded_data_len() % 4 == 0 && b.padded_data_len() >= b.data_len() as usize);
    }
}

#[test]
fn text_segments() {
    let mut r = rng();
    let seed: Vec<u8> = KEYS.concat();
    for _ in 0..iters() {
        let t = mutate(&mut r, &seed, KEYS);
        let n = text::items(&t).count();
        match text::check(&t) {
            Ok(k) => assert_eq!(k, n),
            Err(_) => assert!(text::items(&t).any(|i| i.is_err())),
        }
        for (k, v) in text::items(&t).filter_map(Result::ok) {
            assert!(text::valid_key(k) && v.len() <= text::max_value_len(k));
        }
    }
}

struct Env;

impl login::Env for Env {
    fn target(&self, name: &[u8]) -> Option<(params::Settings, u16)> {
        name.eq_ignore_ascii_case(b"iqn.2026-11.org.scst:disk")
            .then_some((params::DEFAULT_SETTINGS, 1))
    }
    fn allowed(&self, _: &[u8], i: &[u8]) -> bool {
        !i.ends_with(b"bad")
    }
    fn needs_chap(&self, t: Option<&[u8]>) -> bool {
        t.is_some()
    }
    fn incoming_secret(&self, _: Option<&[u8]>, _: &[u8], u: &[u8]) -> Option<&[u8]> {
        (u == b"joe").then_some(b"secretsecret".as_slice())
    }
    fn outgoing(&self, _: Option<&[u8]>) -> Option<(&[u8], &[u8])> {
        Some((b"tgt", b"tgtsecret123"))
    }
    fn random(&mut self, buf: &mut [u8]) -> bool {
        buf.fill(7);
        true
    }
    fn md5(&self, parts: &[&[u8]]) -> [u8; 16] {
        use md5::{Digest, Md5};
        let mut h = Md5::new();
        parts.iter().for_each(|p| h.update(p));
        h.finalize().into()
    }
}

#[test]
fn login_sequences() {
    let mut r = rng();
    let (mut done, mut failed) = (0, 0);
    for _ in 0..iters() {
        let mut l = login::Login::new();
        for step in 0..1 + r.below(5) {
            let csg = [0, 0, 1, 1, 2, 3][r.below(6)] as u8;
            let req = pdu::LoginReq {
                transit: r.below(2) == 0,
                continue_: false,
                csg,
                nsg: r.below(4) as u8,
                version_max: 0,
                version_min: (r.below(8) == 0) as u8,
                isid: [0x80, 0, 0, 0, 0, (r.below(8) == 0) as u8],
                tsih: 0,
                itt: step as u32,
                cid: 0,
                cmd_sn: 1,
                exp_stat_sn: 0,
            };
            let seed: Vec<u8> = (0..3)
                .flat_map(|_| KEYS[r.below(KEYS.len())].iter().copied())
                .collect();
            let t = mutate(&mut r, &seed, KEYS);
            // Small response buffers exercise the Full paths.
            let mut buf = vec![0u8; [16, 64, 512, 4096][r.below(4)]];
            let mut w = text::Writer::new(&mut buf);
            match l.step(&req, &t, &mut Env, &mut w) {
                login::Step::Fail(rsp) => {
                    assert_ne!(rsp.status, 0);
                    failed += 1;
                    break;
                }
                login::Step::Done(rsp) => {
                    done += 1;
                    assert_eq!((rsp.status, rsp.nsg), (0, pdu::stage::FULL_FEATURE));
                    let n = l.negotiated().expect("negotiated parameters after login");
                    assert!(n.first_burst_length <= n.max_burst_length);
                    assert!(n.max_xmit_data_segment_length >= 512);
                    break;
                }
                login::Step::Continue(rsp) => assert_eq!(rsp.status, 0),
            }
            assert!(
                text::check(w.as_bytes()).is_ok(),
                "we wrote malformed text: {:?}",
                w.as_bytes()
            );
        }
    }
    // The mutations must reach both ends of a login, or the fuzzing
    // explores only the first checks.
    if iters() >= 1000 {
        assert!(
            done > 0 && failed > 0,
            "{} logins done, {} failed",
            done,
            failed
        );
    }
}

#[test]
fn negotiation_values() {
    let mut r = rng();
    let names = [
        "MaxBurstLength",
        "FirstBurstLength",
        "HeaderDigest",
        "InitialR2T",
        "ImmediateData",
        "MaxRecvDataSegmentLength",
        "MaxConnections",
        "ErrorRecoveryLevel",
        "DefaultTime2Wait",
    ];
    let values: &[&[u8]] = &[
        b"0",
        b"512",
        b"16777215",
        b"16777216",
        b"0x200",
        b"Yes",
        b"No",
        b"CRC32C",
        b"None,CRC32C",
        b"",
        b"-1",
    ];
    for _ in 0..iters() {
        let mut n = params::Negotiation::new(params::DEFAULT_SETTINGS, r.below(4) == 0);
        let mut buf = [0u8; 1024];
        let mut w = text::Writer::new(&mut buf);
        for _ in 0..r.below(12) {
            let seed = values[r.below(values.len())];
            let v = mutate(&mut r, seed, values);
            let _ = n.offer(names[r.below(names.len())].as_bytes(), &v, &mut w);
        }
        let res = n.result;
        assert!(res.first_burst_length <= res.max_burst_length, "{:?}", res);
        assert!(res.max_burst_length >= 512 && res.max_xmit_data_segment_length >= 512);
        assert!(text::check(w.as_bytes()).is_ok());
    }
}

#[test]
fn chap_values() {
    let mut r = rng();
    let seeds: &[&[u8]] = &[b"0x0123456789abcdef", b"0bAQIDBA==", b"0X1", b"0b/+/+"];
    for _ in 0..iters() {
        let seed = seeds[r.below(seeds.len())];
        let v = mutate(&mut r, seed, seeds);
        let mut out = vec![0u8; r.below(20)];
        if let Some(n) = chap::decode(&v, &mut out) {
            assert!(n <= out.len());
        }
    }
}

#[test]
fn config_files() {
    let mut r = rng();
    let conf = b"IncomingUser joe secretsecret\nTarget iqn.2026-11.org.scst:disk\n  MaxBurstLength 65536\n  Alias a \\\n b\n  Lun 0 Path=/x\n";
    let words: &[&[u8]] = &[
        b"Target ",
        b"\\\n",
        b"\n",
        b" Yes",
        b"InitialR2T",
        b"FirstBurstLength 1048576\n",
        b"#",
        b"OutgoingUser a b\n",
    ];
    let allow = b"ALL 10.0.0.0/8, [fd00::]/8\niqn.2026-11.org.scst:disk iqn.x\n";
    let acl_words: &[&[u8]] = &[
        b"/",
        b"[",
        b"]",
        b":",
        b",",
        b"ALL",
        b"::ffff:1.2.3.4",
        b"/129",
    ];
    for _ in 0..iters() {
        let t = mutate(&mut r, conf, words);
        if let Ok(c) = config::parse(&String::from_utf8_lossy(&t)) {
            for t in &c.targets {
                assert!(t.settings.check().is_ok() && config::valid_name(&t.name));
            }
        }
        let t = mutate(&mut r, allow, acl_words);
        if let Ok(rules) = acl::parse(&String::from_utf8_lossy(&t)) {
            let _ = rules.matches(
                "iqn.2026-11.org.scst:disk",
                "iqn.x",
                "10.1.1.1".parse().unwrap(),
            );
        }
    }
}

#[test]
fn isns_responses() {
    use iscsi_proto::isns;
    let mut r = rng();
    // A DevAttrQry response listing an initiator, and a registration's.
    let seed: &[u8] = b"\x00\x01\x80\x02\x00\x1c\x4c\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x20\x00\x00\x00\x08iqn.i\x00\x00\x00";
    let words: &[&[u8]] = &[
        b"\x00\x00\x00\x06\x00\x00\x00\x04",
        b"\xff\xff\xff\xff",
        b"\x00\x00\x00\x00",
        b"\x00\x20",
    ];
    for _ in 0..iters() {
        let m = mutate(&mut r, seed, words);
        if let Ok(resp) = isns::response(&m, isns::func::DEV_ATTR_QRY, 3) {
            let _ = (resp.lists_name("iqn.i"), resp.registration_period());
            assert!(resp.iter().all(|a| a.is_ok()));
        }
    }
}
