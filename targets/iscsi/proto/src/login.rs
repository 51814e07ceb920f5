// SPDX-License-Identifier: GPL-2.0

//! The target side of an iSCSI login (RFC 7143 6 and 7.1): stages and
//! transitions, the names an initiator declares, authentication (None or
//! CHAP, one-way or mutual), operational negotiation (`params`), and the
//! login status of every failure.  iscsi-scstd runs it for each new
//! connection; the daemon gathers a request's whole text (PDUs with the C
//! bit) before each `step`, and answers with the text `step` writes.
//! `no_std`, no allocation.

use crate::chap;
use crate::params::{Answer, Negotiated, Negotiation, NegotiationError, Settings};
use crate::pdu::{login_status as st, stage, LoginReq, LoginRsp};
use crate::text::{find, items, Full, Writer};

/// Longest iSCSI name (RFC 7143 4.2.7.1: 223 bytes).
pub const MAX_NAME: usize = 223;

/// What the login needs to know from the daemon.
pub trait Env {
    /// The settings and portal group tag of target `name` (compared
    /// without regard to ASCII case); None if there is no such target.
    fn target(&self, name: &[u8]) -> Option<(Settings, u16)>;
    /// Whether initiator `initiator` (at the connection's address) may log
    /// in to `target` (initiators.allow / initiators.deny).
    fn allowed(&self, target: &[u8], initiator: &[u8]) -> bool;
    /// Whether logins to `target` (None: discovery) need CHAP: it has an
    /// IncomingUser.
    fn needs_chap(&self, target: Option<&[u8]>) -> bool;
    /// The secret of IncomingUser `user` of `target` (None: discovery),
    /// if the account may be used by an initiator named `initiator`.
    fn incoming_secret(
        &self,
        target: Option<&[u8]>,
        initiator: &[u8],
        user: &[u8],
    ) -> Option<&[u8]>;
    /// The OutgoingUser (name, secret) of `target`, for mutual CHAP.
    fn outgoing(&self, target: Option<&[u8]>) -> Option<(&[u8], &[u8])>;
    /// Fills `buf` with unpredictable bytes (CHAP challenges); false if
    /// it cannot (the login then fails: a predictable challenge is worse
    /// than none).
    fn random(&mut self, buf: &mut [u8]) -> bool;
    /// MD5 of the concatenated `parts` (CHAP responses).
    fn md5(&self, parts: &[&[u8]]) -> [u8; 16];
}

/// A name (up to [`MAX_NAME`] bytes) kept in the login.
#[derive(Clone, Copy)]
pub struct Name {
    buf: [u8; MAX_NAME],
    len: usize,
}

impl Name {
    const EMPTY: Name = Name {
        buf: [0; MAX_NAME],
        len: 0,
    };

    fn set(&mut self, v: &[u8]) -> bool {
        if v.is_empty() || v.len() > MAX_NAME {
            return false;
        }
        self.buf[..v.len()].copy_from_slice(v);
        self.len = v.len();
        true
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// Where authentication is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Auth {
    /// AuthMethod not negotiated yet.
    Start,
    /// CHAP chosen; waiting for CHAP_A.
    ChapAlgorithm,
    /// Challenge sent; waiting for CHAP_N and CHAP_R.
    ChapResponse {
        id: u8,
        challenge: [u8; chap::CHALLENGE_LEN],
    },
    /// Authenticated (or AuthMethod=None agreed).
    Done,
}

/// What to do after a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Send the response; more requests follow.
    Continue(LoginRsp),
    /// Send the response; the connection enters full feature phase.
    Done(LoginRsp),
    /// Send the response (its status says why) and close the connection.
    Fail(LoginRsp),
}

/// Security keys (bit per key in `Login::seen`).
const SECURITY_KEYS: [&str; 6] = [
    "AuthMethod",
    "CHAP_A",
    "CHAP_N",
    "CHAP_R",
    "CHAP_I",
    "CHAP_C",
];
/// Declarations.
const NAME_KEYS: [&str; 4] = [
    "InitiatorName",
    "TargetName",
    "SessionType",
    "InitiatorAlias",
];

/// One login in progress.
pub struct Login {
    pub initiator: Name,
    pub target: Name,
    pub discovery: bool,
    pub isid: [u8; 6],
    /// The TSIH the initiator asked for (0: a new session).
    pub tsih: u16,
    pub cid: u16,
    /// The CmdSN of the first request: the session's ExpCmdSN starts here.
    pub cmd_sn: u32,
    stage: u8,
    first: bool,
    auth: Auth,
    neg: Option<Negotiation>,
    tpgt: u16,
    /// Keys of `SECURITY_KEYS` and `NAME_KEYS` seen (bits 0-5, 8-11).
    seen: u32,
    /// Requests handled.
    steps: u32,
}

/// Most requests one login may take (text continuations included).
pub const MAX_STEPS: u32 = 32;

impl Default for Login {
    fn default() -> Self {
        Self::new()
    }
}

/// A failure: the login status.
type Fail = u16;

impl Login {
    pub fn new() -> Self {
        Login {
            initiator: Name::EMPTY,
            target: Name::EMPTY,
            discovery: false,
            isid: [0; 6],
            tsih: 0,
            cid: 0,
            cmd_sn: 0,
            stage: stage::SECURITY,
            first: true,
            auth: Auth::Start,
            neg: None,
            tpgt: 1,
            seen: 0,
            steps: 0,
        }
    }

    /// The negotiated parameters (after `Step::Done`).
    pub fn negotiated(&self) -> Option<Negotiated> {
        self.neg.as_ref().map(|n| n.result)
    }

    /// Handles one login request whose whole text is `text`; writes the
    /// response text into `out`.  The response's `tsih` is the request's:
    /// the daemon sets the new session's on `Step::Done`.
    pub fn step(
        &mut self,
        req: &LoginReq,
        text: &[u8],
        env: &mut impl Env,
        out: &mut Writer<'_>,
    ) -> Step {
        let mut rsp = LoginRsp {
            csg: req.csg,
            isid: req.isid,
            tsih: req.tsih,
            itt: req.itt,
            ..Default::default()
        };
        match self.run(req, text, env, out) {
            Ok(Some(nsg)) => {
                rsp.transit = true;
                rsp.nsg = nsg;
                if nsg == stage::FULL_FEATURE {
                    return Step::Done(rsp);
                }
                Step::Continue(rsp)
            }
            Ok(None) => Step::Continue(rsp),
            Err(status) => {
                rsp.status = status;
                Step::Fail(rsp)
            }
        }
    }

    /// The step's work: the stage to move to, if the request asked to and
    /// may.
    fn run(
        &mut self,
        req: &LoginReq,
        text: &[u8],
        env: &mut impl Env,
        out: &mut Writer<'_>,
    ) -> Result<Option<u8>, Fail> {
        if req.version_min > 0 {
            return Err(st::UNSUPPORTED_VERSION);
        }
        // A login that goes nowhere (an initiator asking to move on
        // without authenticating) ends here.
        self.steps += 1;
        if self.steps > MAX_STEPS {
            return Err(st::INITIATOR_ERROR);
        }
        // The first request may skip security (RFC 7143 6.3; libiscsi
        // does without credentials): checked once the target is known.
        if self.first && req.csg == stage::OPERATIONAL {
            self.stage = stage::OPERATIONAL;
        }
        if req.csg != self.stage
            || req.csg == 2
            || (req.transit && (req.nsg <= req.csg || req.nsg == 2))
        {
            return Err(st::INITIATOR_ERROR);
        }
        if self.first {
            self.isid = req.isid;
            self.tsih = req.tsih;
            self.cid = req.cid;
            self.cmd_sn = req.cmd_sn;
        } else if req.isid != self.isid || req.tsih != self.tsih || req.cid != self.cid {
            return Err(st::INITIATOR_ERROR);
        }
        for item in items(text) {
            let (key, value) = item.map_err(|_| st::INITIATOR_ERROR)?;
            self.key(key, value, env, out)?;
        }
        if let Auth::ChapResponse { id, challenge } = self.auth {
            // CHAP_N, CHAP_R and for mutual CHAP CHAP_I and CHAP_C come
            // together, in any order.
            if find(text, "CHAP_R").is_some() {
                self.chap_response(id, &challenge, text, env, out)?;
            }
        }
        if self.first {
            self.first = false;
            self.check_names(env, out)?;
            if self.stage == stage::OPERATIONAL {
                if env.needs_chap(self.target_ref()) {
                    return Err(st::AUTH_FAILED);
                }
                self.auth = Auth::Done;
            }
        }
        if !req.transit {
            return Ok(None);
        }
        self.transit(req.nsg, env, out)
    }

    /// The initiator asks to move on to `nsg`.
    fn transit(
        &mut self,
        nsg: u8,
        env: &mut impl Env,
        out: &mut Writer<'_>,
    ) -> Result<Option<u8>, Fail> {
        if self.stage == stage::SECURITY {
            match self.auth {
                Auth::Done => {}
                // No AuthMethod offered: fine unless CHAP is required.
                Auth::Start if !env.needs_chap(self.target_ref()) => self.auth = Auth::Done,
                Auth::Start => return Err(st::AUTH_FAILED),
                // CHAP under way: the transit waits for it (RFC 7143 6.3:
                // the target answers T=0 until it is ready).
                Auth::ChapAlgorithm | Auth::ChapResponse { .. } => return Ok(None),
            }
        }
        self.stage = nsg;
        if nsg == stage::FULL_FEATURE {
            let n = self.negotiation(env);
            n.declare(out).map_err(|_| st::OUT_OF_RESOURCES)?;
        }
        Ok(Some(nsg))
    }

    fn target_ref(&self) -> Option<&[u8]> {
        (!self.discovery).then(|| self.target.as_bytes())
    }

    /// The negotiation, created on first use with the target's settings.
    fn negotiation(&mut self, env: &impl Env) -> &mut Negotiation {
        let discovery = self.discovery;
        let settings = if discovery {
            None
        } else {
            env.target(self.target.as_bytes()).map(|t| t.0)
        };
        self.neg.get_or_insert_with(|| {
            Negotiation::new(
                settings.unwrap_or(crate::params::DEFAULT_SETTINGS),
                discovery,
            )
        })
    }

    /// After the first request: the names it must carry, the target and
    /// the access rules.
    fn check_names(&mut self, env: &mut impl Env, out: &mut Writer<'_>) -> Result<(), Fail> {
        if self.initiator.is_empty() {
            return Err(st::MISSING_PARAMETER);
        }
        if self.discovery {
            return Ok(());
        }
        if self.target.is_empty() {
            return Err(st::MISSING_PARAMETER);
        }
        let Some((_, tpgt)) = env.target(self.target.as_bytes()) else {
            return Err(st::NOT_FOUND);
        };
        if !env.allowed(self.target.as_bytes(), self.initiator.as_bytes()) {
            return Err(st::FORBIDDEN);
        }
        self.tpgt = tpgt;
        // RFC 7143 13.9: in the first response of a normal session.
        out.push_num("TargetPortalGroupTag", tpgt.into())
            .map_err(|_| st::OUT_OF_RESOURCES)
    }

    /// One key of the request.
    fn key(
        &mut self,
        key: &[u8],
        value: &[u8],
        env: &mut impl Env,
        out: &mut Writer<'_>,
    ) -> Result<(), Fail> {
        let full = |_: Full| st::OUT_OF_RESOURCES;
        if let Some(i) = NAME_KEYS.iter().position(|k| k.as_bytes() == key) {
            self.once(8 + i)?;
            return self.name(i, value);
        }
        if let Some(i) = SECURITY_KEYS.iter().position(|k| k.as_bytes() == key) {
            if self.stage != stage::SECURITY {
                return Err(st::INITIATOR_ERROR);
            }
            self.once(i)?;
            return self.security(i, value, env, out);
        }
        match self.negotiation(env).offer(key, value, out) {
            Ok(Answer::Done) => Ok(()),
            Ok(Answer::NotMine) => {
                // Unknown keys (X- extensions included) are not understood;
                // a key without a name we could echo is skipped.
                let k = core::str::from_utf8(key).map_err(|_| st::INITIATOR_ERROR)?;
                out.push(k, b"NotUnderstood").map_err(full)
            }
            Err(NegotiationError::Repeated) => Err(st::INITIATOR_ERROR),
            Err(NegotiationError::Full) => Err(st::OUT_OF_RESOURCES),
        }
    }

    /// RFC 7143 6.2: a key is declared or negotiated once per login.
    fn once(&mut self, bit: usize) -> Result<(), Fail> {
        if self.seen & (1 << bit) != 0 {
            return Err(st::INITIATOR_ERROR);
        }
        self.seen |= 1 << bit;
        Ok(())
    }

    fn name(&mut self, i: usize, value: &[u8]) -> Result<(), Fail> {
        let ok = match i {
            0 => self.initiator.set(value),
            1 => self.target.set(value),
            2 => match value {
                b"Discovery" => {
                    self.discovery = true;
                    true
                }
                b"Normal" => true,
                _ => return Err(st::SESSION_TYPE_UNSUPPORTED),
            },
            // InitiatorAlias: informational.
            _ => value.len() <= 255,
        };
        // Names only in the first request (RFC 7143 13.6, 13.8, 13.21).
        if !ok || (!self.first && i < 3) {
            return Err(st::INITIATOR_ERROR);
        }
        Ok(())
    }

    /// A security key (index into `SECURITY_KEYS`).
    fn security(
        &mut self,
        i: usize,
        value: &[u8],
        env: &mut impl Env,
        out: &mut Writer<'_>,
    ) -> Result<(), Fail> {
        let full = |_: Full| st::OUT_OF_RESOURCES;
        let target = self.target_ref();
        match (i, self.auth) {
            (0, Auth::Start) => {
                let chap = env.needs_chap(target);
                let offered = |m: &[u8]| value.split(|&c| c == b',').any(|v| v == m);
                if chap && offered(b"CHAP") {
                    self.auth = Auth::ChapAlgorithm;
                    out.push("AuthMethod", b"CHAP").map_err(full)
                } else if !chap && offered(b"None") {
                    self.auth = Auth::Done;
                    out.push("AuthMethod", b"None").map_err(full)
                } else {
                    out.push("AuthMethod", b"Reject").map_err(full)?;
                    Err(st::AUTH_FAILED)
                }
            }
            (1, Auth::ChapAlgorithm) => {
                if !chap::offers_md5(value) {
                    return Err(st::AUTH_FAILED);
                }
                let mut r = [0u8; 1 + chap::CHALLENGE_LEN];
                if !env.random(&mut r) {
                    return Err(st::TARGET_ERROR);
                }
                let (id, c) = r.split_at(1);
                let mut challenge = [0u8; chap::CHALLENGE_LEN];
                challenge.copy_from_slice(c);
                self.auth = Auth::ChapResponse {
                    id: id[0],
                    challenge,
                };
                out.push_num("CHAP_A", chap::MD5).map_err(full)?;
                out.push_num("CHAP_I", id[0].into()).map_err(full)?;
                chap::push_hex(out, "CHAP_C", &challenge).map_err(full)
            }
            // CHAP_N, CHAP_R, CHAP_I, CHAP_C: checked together once the
            // whole request has been read (`run`).
            (2..=5, Auth::ChapResponse { .. }) => Ok(()),
            _ => Err(st::INITIATOR_ERROR),
        }
    }

    /// CHAP_R: checks the initiator's response; for mutual CHAP answers the
    /// initiator's challenge.
    fn chap_response(
        &mut self,
        id: u8,
        ours: &[u8; chap::CHALLENGE_LEN],
        text: &[u8],
        env: &mut impl Env,
        out: &mut Writer<'_>,
    ) -> Result<(), Fail> {
        let target = self.target_ref();
        let (Some(user), Some(r)) = (find(text, "CHAP_N"), find(text, "CHAP_R")) else {
            return Err(st::AUTH_FAILED);
        };
        let mut got = [0u8; 16];
        let ok = chap::decode(r, &mut got) == Some(16)
            && env
                .incoming_secret(target, self.initiator.as_bytes(), user)
                .is_some_and(|secret| chap::verify(|p| env.md5(p), id, secret, ours, &got));
        if !ok {
            return Err(st::AUTH_FAILED);
        }
        match (find(text, "CHAP_I"), find(text, "CHAP_C")) {
            (None, None) => {}
            (Some(i), Some(c)) => self.chap_mutual(i, c, ours, env, out)?,
            _ => return Err(st::AUTH_FAILED),
        }
        self.auth = Auth::Done;
        Ok(())
    }

    /// Mutual CHAP: we answer the initiator's challenge with the target's
    /// OutgoingUser.
    fn chap_mutual(
        &self,
        i: &[u8],
        c: &[u8],
        ours: &[u8],
        env: &mut impl Env,
        out: &mut Writer<'_>,
    ) -> Result<(), Fail> {
        let id = crate::text::parse_number(i)
            .and_then(|n| u8::try_from(n).ok())
            .ok_or(st::AUTH_FAILED)?;
        let mut challenge = [0u8; chap::MAX_CHALLENGE];
        let n = chap::decode(c, &mut challenge).ok_or(st::AUTH_FAILED)?;
        let challenge = &challenge[..n];
        // Our own challenge sent back is a reflection attack (RFC 7143
        // 12.1.3); a challenge as short as one byte is no challenge.
        if challenge == ours || n < 4 {
            return Err(st::AUTH_FAILED);
        }
        let (name, secret) = env.outgoing(self.target_ref()).ok_or(st::AUTH_FAILED)?;
        let name = core::str::from_utf8(name).map_err(|_| st::AUTH_FAILED)?;
        let full = |_: Full| st::OUT_OF_RESOURCES;
        out.push("CHAP_N", name.as_bytes()).map_err(full)?;
        let r = chap::response(|p| env.md5(p), id, secret, challenge);
        chap::push_hex(out, "CHAP_R", &r).map_err(full)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::DEFAULT_SETTINGS;
    use crate::text::find;

    const TARGET: &[u8] = b"iqn.2026-11.org.scst:disk";

    struct TestEnv {
        chap: bool,
        deny: bool,
        outgoing: bool,
    }

    impl Env for TestEnv {
        fn target(&self, name: &[u8]) -> Option<(Settings, u16)> {
            name.eq_ignore_ascii_case(TARGET)
                .then_some((DEFAULT_SETTINGS, 7))
        }
        fn allowed(&self, _: &[u8], _: &[u8]) -> bool {
            !self.deny
        }
        fn needs_chap(&self, _: Option<&[u8]>) -> bool {
            self.chap
        }
        fn incoming_secret(&self, _: Option<&[u8]>, _: &[u8], user: &[u8]) -> Option<&[u8]> {
            (user == b"joe").then_some(b"secretsecret".as_slice())
        }
        fn outgoing(&self, _: Option<&[u8]>) -> Option<(&[u8], &[u8])> {
            self.outgoing
                .then_some((b"tgt".as_slice(), b"tgtsecret123".as_slice()))
        }
        fn random(&mut self, buf: &mut [u8]) -> bool {
            for (i, b) in buf.iter_mut().enumerate() {
                *b = 0x40 + i as u8;
            }
            true
        }
        fn md5(&self, parts: &[&[u8]]) -> [u8; 16] {
            crate::test_md5(parts)
        }
    }

    fn env() -> TestEnv {
        TestEnv {
            chap: false,
            deny: false,
            outgoing: false,
        }
    }

    fn req(csg: u8, nsg: Option<u8>) -> LoginReq {
        LoginReq {
            transit: nsg.is_some(),
            continue_: false,
            csg,
            nsg: nsg.unwrap_or(0),
            version_max: 0,
            version_min: 0,
            isid: [0x80, 0, 0, 0, 0, 1],
            tsih: 0,
            itt: 1,
            cid: 0,
            cmd_sn: 5,
            exp_stat_sn: 0,
        }
    }

    /// One step with `text` (items separated by `|`); returns the step and
    /// the response text.
    fn step(l: &mut Login, r: LoginReq, text: &str, e: &mut TestEnv) -> (Step, Vec<u8>) {
        let mut t: Vec<u8> = text
            .split('|')
            .filter(|s| !s.is_empty())
            .flat_map(|s| s.bytes().chain([0]))
            .collect();
        if text.is_empty() {
            t.clear();
        }
        let mut buf = [0u8; 2048];
        let mut w = Writer::new(&mut buf);
        let s = l.step(&r, &t, e, &mut w);
        (s, w.as_bytes().to_vec())
    }

    fn status(s: Step) -> u16 {
        match s {
            Step::Fail(r) => r.status,
            _ => 0,
        }
    }

    const FIRST: &str = "InitiatorName=iqn.1993-08.org.debian:01:abc|TargetName=iqn.2026-11.org.scst:disk|SessionType=Normal";

    #[test]
    fn normal_login_without_auth() {
        let (mut l, mut e) = (Login::new(), env());
        let (s, t) = step(
            &mut l,
            req(0, Some(1)),
            &format!("{}|AuthMethod=None", FIRST),
            &mut e,
        );
        assert!(
            matches!(s, Step::Continue(r) if r.transit && r.nsg == 1 && r.csg == 0),
            "{:?}",
            s
        );
        assert_eq!(find(&t, "TargetPortalGroupTag"), Some(&b"7"[..]));
        assert_eq!(find(&t, "AuthMethod"), Some(&b"None"[..]));
        let (s, t) = step(
            &mut l,
            req(1, Some(3)),
            "HeaderDigest=None|MaxRecvDataSegmentLength=65536|X-foo.bar=1",
            &mut e,
        );
        assert!(matches!(s, Step::Done(r) if r.nsg == 3), "{:?}", s);
        assert_eq!(find(&t, "X-foo.bar"), Some(&b"NotUnderstood"[..]));
        assert_eq!(find(&t, "MaxRecvDataSegmentLength"), Some(&b"262144"[..]));
        let n = l.negotiated().unwrap();
        assert_eq!(n.max_xmit_data_segment_length, 65536);
        assert_eq!(
            (l.initiator.as_bytes(), l.cmd_sn, l.discovery),
            (&b"iqn.1993-08.org.debian:01:abc"[..], 5, false)
        );
    }

    #[test]
    fn straight_to_full_feature() {
        let (mut l, mut e) = (Login::new(), env());
        let (s, _) = step(&mut l, req(0, Some(3)), FIRST, &mut e);
        assert!(matches!(s, Step::Done(_)), "{:?}", s);
        // Without CHAP configured and no AuthMethod offered.
        assert_eq!(l.negotiated().unwrap().max_burst_length, 262144);
    }

    #[test]
    fn discovery() {
        let (mut l, mut e) = (Login::new(), env());
        // Starting in the operational stage skips security.
        let (s, t) = step(
            &mut l,
            req(1, Some(3)),
            "InitiatorName=iqn.x|SessionType=Discovery|MaxBurstLength=512",
            &mut e,
        );
        assert!(matches!(s, Step::Done(_)), "{:?}", s);
        assert_eq!(find(&t, "MaxBurstLength"), Some(&b"Irrelevant"[..]));
        // Not when CHAP is required.
        let mut chap = TestEnv {
            chap: true,
            ..env()
        };
        let (s, _) = step(
            &mut Login::new(),
            req(1, Some(3)),
            "InitiatorName=iqn.x|SessionType=Discovery",
            &mut chap,
        );
        assert_eq!(status(s), st::AUTH_FAILED);
        let mut l = Login::new();
        let (s, _) = step(
            &mut l,
            req(0, Some(1)),
            "InitiatorName=iqn.x|SessionType=Discovery|AuthMethod=None",
            &mut e,
        );
        assert!(matches!(s, Step::Continue(_)), "{:?}", s);
        let (s, t2) = step(&mut l, req(1, Some(3)), "MaxBurstLength=512", &mut e);
        assert!(matches!(s, Step::Done(_)));
        assert!(l.discovery && find(&t2, "MaxBurstLength") == Some(&b"Irrelevant"[..]));
        assert!(find(&t2, "TargetPortalGroupTag").is_none());
    }

    fn chap_login(e: &mut TestEnv, response: &str) -> (Login, Step, Vec<u8>) {
        let mut l = Login::new();
        // libiscsi asks to move on in the same request: not yet.
        let (s, t) = step(
            &mut l,
            req(0, Some(1)),
            &format!("{}|AuthMethod=CHAP,None", FIRST),
            e,
        );
        assert!(matches!(s, Step::Continue(r) if !r.transit), "{:?}", s);
        assert_eq!(find(&t, "AuthMethod"), Some(&b"CHAP"[..]));
        let (s, t) = step(&mut l, req(0, None), "CHAP_A=7,5", e);
        assert!(matches!(s, Step::Continue(_)));
        assert_eq!(find(&t, "CHAP_A"), Some(&b"5"[..]));
        assert_eq!(find(&t, "CHAP_I"), Some(&b"64"[..]));
        assert_eq!(
            find(&t, "CHAP_C"),
            Some(&b"0x4142434445464748494a4b4c4d4e4f50"[..])
        );
        let (s, t) = step(&mut l, req(0, Some(1)), response, e);
        (l, s, t)
    }

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{:02x}", x)).collect()
    }

    fn right_response(secret: &[u8]) -> String {
        let c: Vec<u8> = (0x41..=0x50).collect();
        format!(
            "CHAP_N=joe|CHAP_R=0x{}",
            hex(&chap::response(crate::test_md5, 64, secret, &c))
        )
    }

    #[test]
    fn chap_one_way() {
        let mut e = TestEnv {
            chap: true,
            ..env()
        };
        let (_, s, t) = chap_login(&mut e, &right_response(b"secretsecret"));
        assert!(
            matches!(s, Step::Continue(r) if r.transit && r.nsg == 1),
            "{:?}",
            s
        );
        assert!(t.is_empty());
        let (_, s, _) = chap_login(&mut e, &right_response(b"wrongsecret!"));
        assert_eq!(status(s), st::AUTH_FAILED);
        let (_, s, _) = chap_login(
            &mut e,
            &right_response(b"secretsecret").replace("joe", "bob"),
        );
        assert_eq!(status(s), st::AUTH_FAILED);
        let (_, s, _) = chap_login(&mut e, "CHAP_N=joe|CHAP_R=0x00");
        assert_eq!(status(s), st::AUTH_FAILED);
    }

    #[test]
    fn chap_mutual() {
        let mut e = TestEnv {
            chap: true,
            outgoing: true,
            ..env()
        };
        let ic = "0x0102030405060708";
        let (_, s, t) = chap_login(
            &mut e,
            &format!("{}|CHAP_I=9|CHAP_C={}", right_response(b"secretsecret"), ic),
        );
        assert!(matches!(s, Step::Continue(r) if r.transit), "{:?}", s);
        assert_eq!(find(&t, "CHAP_N"), Some(&b"tgt"[..]));
        let want = format!(
            "0x{}",
            hex(&chap::response(
                crate::test_md5,
                9,
                b"tgtsecret123",
                &[1, 2, 3, 4, 5, 6, 7, 8]
            ))
        );
        assert_eq!(find(&t, "CHAP_R"), Some(want.as_bytes()));
        // Our challenge reflected back.
        let ours = "0x4142434445464748494a4b4c4d4e4f50";
        let (_, s, _) = chap_login(
            &mut e,
            &format!(
                "{}|CHAP_I=9|CHAP_C={}",
                right_response(b"secretsecret"),
                ours
            ),
        );
        assert_eq!(status(s), st::AUTH_FAILED);
        // No OutgoingUser: mutual CHAP cannot be done.
        let mut e = TestEnv {
            chap: true,
            ..env()
        };
        let (_, s, _) = chap_login(
            &mut e,
            &format!("{}|CHAP_I=9|CHAP_C={}", right_response(b"secretsecret"), ic),
        );
        assert_eq!(status(s), st::AUTH_FAILED);
    }

    #[test]
    fn chap_required() {
        let mut e = TestEnv {
            chap: true,
            ..env()
        };
        let (mut l, mut l2) = (Login::new(), Login::new());
        let (s, t) = step(
            &mut l,
            req(0, Some(1)),
            &format!("{}|AuthMethod=None", FIRST),
            &mut e,
        );
        assert_eq!(status(s), st::AUTH_FAILED);
        assert_eq!(find(&t, "AuthMethod"), Some(&b"Reject"[..]));
        // No AuthMethod at all and straight on: refused too.
        let (s, _) = step(&mut l2, req(0, Some(1)), FIRST, &mut e);
        assert_eq!(status(s), st::AUTH_FAILED);
        // MD5 not offered.
        let mut l = Login::new();
        step(
            &mut l,
            req(0, None),
            &format!("{}|AuthMethod=CHAP", FIRST),
            &mut e,
        );
        let (s, _) = step(&mut l, req(0, None), "CHAP_A=7", &mut e);
        assert_eq!(status(s), st::AUTH_FAILED);
        // Asking to move on forever without answering the challenge.
        let mut l = Login::new();
        step(
            &mut l,
            req(0, None),
            &format!("{}|AuthMethod=CHAP", FIRST),
            &mut e,
        );
        let mut last = Step::Continue(LoginRsp::default());
        for _ in 0..MAX_STEPS {
            last = step(&mut l, req(0, Some(1)), "", &mut e).0;
        }
        assert_eq!(status(last), st::INITIATOR_ERROR);
    }

    #[test]
    fn refusals() {
        let mut e = env();
        let first = |text: &str, e: &mut TestEnv| {
            status(step(&mut Login::new(), req(0, Some(1)), text, e).0)
        };
        assert_eq!(
            first("TargetName=iqn.2026-11.org.scst:disk", &mut e),
            st::MISSING_PARAMETER
        );
        assert_eq!(first("InitiatorName=iqn.x", &mut e), st::MISSING_PARAMETER);
        assert_eq!(
            first("InitiatorName=iqn.x|TargetName=iqn.nope", &mut e),
            st::NOT_FOUND
        );
        assert_eq!(
            first("InitiatorName=iqn.x|SessionType=Bogus", &mut e),
            st::SESSION_TYPE_UNSUPPORTED
        );
        assert_eq!(
            first(&format!("{}|InitiatorName=iqn.y", FIRST), &mut e),
            st::INITIATOR_ERROR
        );
        assert_eq!(
            first(
                &format!("{}|MaxBurstLength=512|MaxBurstLength=1024", FIRST),
                &mut e
            ),
            st::INITIATOR_ERROR
        );
        assert_eq!(first("garbage", &mut e), st::INITIATOR_ERROR);
        // Target names compare without regard to case.
        assert_eq!(
            first(
                "InitiatorName=iqn.x|TargetName=IQN.2026-11.ORG.SCST:DISK",
                &mut e
            ),
            0
        );
        e.deny = true;
        assert_eq!(first(FIRST, &mut e), st::FORBIDDEN);
        let mut e = env();
        let mut r = req(0, Some(1));
        r.version_min = 1;
        assert_eq!(
            status(step(&mut Login::new(), r, FIRST, &mut e).0),
            st::UNSUPPORTED_VERSION
        );
        // NSG 2 is reserved; NSG must move forward.
        assert_eq!(
            status(step(&mut Login::new(), req(0, Some(2)), FIRST, &mut e).0),
            st::INITIATOR_ERROR
        );
        assert_eq!(
            status(step(&mut Login::new(), req(1, Some(1)), FIRST, &mut e).0),
            st::INITIATOR_ERROR
        );
        assert_eq!(
            status(step(&mut Login::new(), req(3, None), FIRST, &mut e).0),
            st::INITIATOR_ERROR
        );
        // The ISID may not change within a login; security keys only in
        // the security stage.
        let mut l = Login::new();
        step(&mut l, req(0, Some(1)), FIRST, &mut e);
        let mut r = req(1, Some(3));
        r.isid[5] = 2;
        assert_eq!(status(step(&mut l, r, "", &mut e).0), st::INITIATOR_ERROR);
        let mut l = Login::new();
        step(&mut l, req(0, Some(1)), FIRST, &mut e);
        assert_eq!(
            status(step(&mut l, req(1, Some(3)), "AuthMethod=None", &mut e).0),
            st::INITIATOR_ERROR
        );
    }
}
