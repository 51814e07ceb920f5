//! The login state machine (`login::Login::step`) driven through up to
//! 40 requests, each a real Login Request BHS decoded by
//! `pdu::Request::decode` plus its whole text, against a daemon
//! environment the input configures.
//!
//! Input: one byte of environment options (bit 0 CHAP required, 1 deny
//! the initiator, 2 an OutgoingUser for mutual CHAP, 3 no randomness, 4
//! the account bound to initiator iqn.1993-08.org.debian:01:abc),
//! then per request: the BHS flags byte (T, C, CSG, NSG), a control byte
//! (bit 0 version-min 1, bit 1 another ISID, bits 6-7 the response buffer
//! size), a 16-bit text length and the text.
//!
//! The challenge is predictable here (id 0x40, bytes 0x41..0x50), so the
//! seed corpus can hold the right CHAP_R for user joe, secret
//! "secretsecret": 0x7240f8775b00a675292ddd401ea3618f.
#![no_main]
use iscsi_proto::login::{self, Login, Step};
use iscsi_proto::params::{self, Settings};
use iscsi_proto::pdu::{op, stage, Bhs, Request};
use iscsi_proto::{chap, config, text};
use libfuzzer_sys::fuzz_target;
use scst_fuzz::Input;

const TARGET: &[u8] = b"iqn.2026-11.org.scst:disk";

struct Env(u8);

impl login::Env for Env {
    fn target(&self, name: &[u8]) -> Option<(Settings, u16)> {
        name.eq_ignore_ascii_case(TARGET)
            .then_some((params::DEFAULT_SETTINGS, 7))
    }
    fn allowed(&self, _: &[u8], _: &[u8]) -> bool {
        self.0 & 2 == 0
    }
    fn needs_chap(&self, _: Option<&[u8]>) -> bool {
        self.0 & 1 != 0
    }
    fn incoming_secret(&self, _: Option<&[u8]>, initiator: &[u8], user: &[u8]) -> Option<&[u8]> {
        let joe = config::User {
            initiator: (self.0 & 16 != 0).then(|| "iqn.1993-08.org.debian:01:abc".into()),
            ..config::User::new("joe", "secretsecret")
        };
        (user == joe.name.as_bytes() && joe.admits(initiator)).then_some(b"secretsecret".as_slice())
    }
    fn outgoing(&self, _: Option<&[u8]>) -> Option<(&[u8], &[u8])> {
        (self.0 & 4 != 0).then_some((b"tgt".as_slice(), b"tgtsecret123".as_slice()))
    }
    fn random(&mut self, buf: &mut [u8]) -> bool {
        for (i, b) in buf.iter_mut().enumerate() {
            *b = 0x40 + i as u8;
        }
        self.0 & 8 == 0
    }
    fn md5(&self, parts: &[&[u8]]) -> [u8; 16] {
        scst_fuzz::md5(parts)
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let mut env = Env(input.byte());
    let mut l = Login::new();
    for step in 0..40u32 {
        if input.0.is_empty() {
            return;
        }
        let (flags, ctl, len) = (input.byte(), input.byte(), input.u16());
        let t = input.take(usize::from(len));
        let mut b = Bhs::new(op::LOGIN);
        b.0[0] |= 0x40;
        b.set_flags(flags);
        b.0[3] = ctl & 1;
        b.0[8..14].copy_from_slice(&[0x80, 0, 0, 0, 0, (ctl >> 1) & 1]);
        b.set_itt(step);
        b.set_be32(24, 1);
        b.set_data_len(t.len() as u32);
        let Ok(Request::Login(req)) = Request::decode(&b) else {
            panic!("a Login Request that does not decode")
        };

        let mut buf = vec![0u8; [48, 256, 1024, 8192][usize::from(ctl >> 6)]];
        let mut w = text::Writer::new(&mut buf);
        let s = l.step(&req, t, &mut env, &mut w);
        let out = w.as_bytes();
        assert!(
            text::check(out).is_ok(),
            "we wrote malformed text: {:?}",
            out
        );
        let rsp = match s {
            Step::Fail(r) => {
                assert_ne!(r.status, 0);
                r
            }
            Step::Done(r) => {
                assert!(r.status == 0 && r.transit && r.nsg == stage::FULL_FEATURE && req.transit);
                assert!(!l.initiator.is_empty() && (l.discovery || !l.target.is_empty()));
                assert!(step < login::MAX_STEPS && req.version_min == 0);
                let n = l.negotiated().expect("negotiated parameters after login");
                assert!(n.first_burst_length <= n.max_burst_length, "{:?}", n);
                assert!(
                    n.max_xmit_data_segment_length >= 512 && n.max_burst_length >= 512,
                    "{:?}",
                    n
                );
                r
            }
            Step::Continue(r) => {
                assert_eq!(r.status, 0);
                assert!(!r.transit || (r.nsg > r.csg && r.nsg != 2));
                r
            }
        };
        // The response echoes the request's identity.
        assert_eq!(
            (rsp.itt, rsp.isid, rsp.tsih, rsp.csg),
            (req.itt, req.isid, req.tsih, req.csg)
        );
        let e = rsp.encode();
        assert_eq!(
            (e.opcode(), e.itt(), e.be16(36)),
            (op::LOGIN_RSP, req.itt, rsp.status)
        );
        // Mutual CHAP: our answer is 16 bytes of MD5.
        if let Some(r) = text::find(out, "CHAP_R") {
            assert_eq!(chap::decode(r, &mut [0u8; 16]), Some(16));
        }
        if !matches!(s, Step::Continue(_)) {
            return;
        }
    }
});
