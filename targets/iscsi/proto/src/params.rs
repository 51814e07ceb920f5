// SPDX-License-Identifier: GPL-2.0

//! Operational parameters (RFC 7143 section 13): a target's settings (the
//! keys of an iscsi-scstd.conf `Target` block), the negotiation of each
//! key an initiator offers during login, and the values a session ends
//! up with.  `no_std`, no allocation.

use crate::text::{parse_number, Full, Writer};

/// Digest choices, as a set.
pub const DIGEST_NONE: u8 = 1;
pub const DIGEST_CRC32C: u8 = 2;

/// How a key is negotiated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// Boolean, the result is Yes only if both say Yes.
    And,
    /// Boolean, the result is Yes if either says Yes.
    Or,
    /// Number, the smaller of the two.
    Min,
    /// Number, the larger of the two.
    Max,
    /// Digest list, the first of the initiator's we support.
    Digest,
    /// The initiator declares its value; no answer.
    Declare,
}

/// One operational key.
struct Def {
    name: &'static str,
    rule: Rule,
    lo: u32,
    hi: u32,
    /// Irrelevant in discovery sessions (RFC 7143 13: "Irrelevant when
    /// SessionType=Discovery").
    normal_only: bool,
}

const fn def(name: &'static str, rule: Rule, lo: u32, hi: u32, normal_only: bool) -> Def {
    Def {
        name,
        rule,
        lo,
        hi,
        normal_only,
    }
}

const MAX_LEN: u32 = (1 << 24) - 1;

/// The keys, in the order of [`Settings`]' fields; the index is the bit
/// in [`Negotiation`]'s seen set.
const DEFS: [Def; 14] = [
    def("HeaderDigest", Rule::Digest, 0, 0, false),
    def("DataDigest", Rule::Digest, 0, 0, false),
    def("MaxConnections", Rule::Min, 1, 65535, true),
    def("InitialR2T", Rule::Or, 0, 1, true),
    def("ImmediateData", Rule::And, 0, 1, true),
    def(
        "MaxRecvDataSegmentLength",
        Rule::Declare,
        512,
        MAX_LEN,
        false,
    ),
    def("MaxBurstLength", Rule::Min, 512, MAX_LEN, true),
    def("FirstBurstLength", Rule::Min, 512, MAX_LEN, true),
    def("DefaultTime2Wait", Rule::Max, 0, 3600, false),
    def("DefaultTime2Retain", Rule::Min, 0, 3600, false),
    def("MaxOutstandingR2T", Rule::Min, 1, 65535, true),
    def("DataPDUInOrder", Rule::Or, 0, 1, true),
    def("DataSequenceInOrder", Rule::Or, 0, 1, true),
    def("ErrorRecoveryLevel", Rule::Min, 0, 2, false),
];

/// A target's settings: what it offers and accepts.  The same names as in
/// iscsi-scstd.conf; `max_xmit_data_segment_length` and `queued_commands`
/// are iSCSI-SCST's own (no RFC key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    pub header_digest: u8,
    pub data_digest: u8,
    pub max_connections: u32,
    pub initial_r2t: bool,
    pub immediate_data: bool,
    /// The most we receive in one PDU (declared to the initiator).
    pub max_recv_data_segment_length: u32,
    pub max_burst_length: u32,
    pub first_burst_length: u32,
    pub default_time2wait: u32,
    pub default_time2retain: u32,
    pub max_outstanding_r2t: u32,
    pub data_pdu_in_order: bool,
    pub data_sequence_in_order: bool,
    pub error_recovery_level: u32,
    /// The most we send in one PDU, whatever the initiator declares.
    pub max_xmit_data_segment_length: u32,
    /// Commands a session may have outstanding (the CmdSN window).
    pub queued_commands: u32,
}

/// Our defaults: the RFC's, except that they favour throughput
/// (InitialR2T=No, 256 KiB segments, 1 MiB bursts, 32 outstanding R2Ts);
/// QueuedCommands 32 (the seed).  docs/iscsi.md lists them.
pub const DEFAULT_SETTINGS: Settings = Settings {
    header_digest: DIGEST_NONE,
    data_digest: DIGEST_NONE,
    max_connections: 1,
    initial_r2t: false,
    immediate_data: true,
    max_recv_data_segment_length: 262144,
    max_burst_length: 1048576,
    first_burst_length: 262144,
    default_time2wait: 2,
    default_time2retain: 20,
    max_outstanding_r2t: 32,
    data_pdu_in_order: true,
    data_sequence_in_order: true,
    error_recovery_level: 0,
    max_xmit_data_segment_length: 262144,
    queued_commands: 32,
};

/// Highest QueuedCommands (the kernel's per-session command table).
pub const MAX_QUEUED_COMMANDS: u32 = 2048;

/// Why a setting was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingError {
    UnknownKey,
    BadValue,
    OutOfRange { lo: u32, hi: u32 },
}

fn parse_bool(v: &[u8]) -> Option<bool> {
    match v {
        b"Yes" => Some(true),
        b"No" => Some(false),
        _ => None,
    }
}

/// A digest list (`CRC32C,None`) as a set; None if any item is unknown.
fn parse_digests(v: &[u8]) -> Option<u8> {
    let mut set = 0;
    for d in v.split(|&c| c == b',') {
        set |= match d.trim_ascii() {
            b"None" => DIGEST_NONE,
            b"CRC32C" => DIGEST_CRC32C,
            _ => return None,
        };
    }
    Some(set)
}

impl Settings {
    /// The field a key names, as a number (booleans 0/1, digests a set).
    fn slot(&mut self, i: usize) -> Option<&mut u32> {
        Some(match i {
            2 => &mut self.max_connections,
            5 => &mut self.max_recv_data_segment_length,
            6 => &mut self.max_burst_length,
            7 => &mut self.first_burst_length,
            8 => &mut self.default_time2wait,
            9 => &mut self.default_time2retain,
            10 => &mut self.max_outstanding_r2t,
            13 => &mut self.error_recovery_level,
            _ => return None,
        })
    }

    fn flag(&mut self, i: usize) -> Option<&mut bool> {
        Some(match i {
            3 => &mut self.initial_r2t,
            4 => &mut self.immediate_data,
            11 => &mut self.data_pdu_in_order,
            12 => &mut self.data_sequence_in_order,
            _ => return None,
        })
    }

    /// Sets `key` (a config file or iscsi-scst-adm name) from its text.
    /// Error recovery levels above 0 are refused: only level 0 is
    /// implemented.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), SettingError> {
        let v = value.trim().as_bytes();
        match key {
            "MaxXmitDataSegmentLength" => {
                return set_num(&mut self.max_xmit_data_segment_length, v, 512, MAX_LEN)
            }
            "QueuedCommands" => {
                return set_num(&mut self.queued_commands, v, 1, MAX_QUEUED_COMMANDS)
            }
            "ErrorRecoveryLevel" => return set_num(&mut self.error_recovery_level, v, 0, 0),
            "HeaderDigest" | "DataDigest" => {
                let set = parse_digests(v).ok_or(SettingError::BadValue)?;
                if key == "HeaderDigest" {
                    self.header_digest = set;
                } else {
                    self.data_digest = set;
                }
                return Ok(());
            }
            _ => {}
        }
        let i = DEFS
            .iter()
            .position(|d| d.name == key)
            .ok_or(SettingError::UnknownKey)?;
        let d = &DEFS[i];
        if let Some(f) = self.flag(i) {
            *f = parse_bool(v).ok_or(SettingError::BadValue)?;
            return Ok(());
        }
        match self.slot(i) {
            Some(n) => set_num(n, v, d.lo, d.hi),
            None => Err(SettingError::UnknownKey),
        }
    }

    /// Checks the settings against each other.
    pub fn check(&self) -> Result<(), &'static str> {
        if self.first_burst_length > self.max_burst_length {
            return Err("FirstBurstLength is larger than MaxBurstLength");
        }
        if self.header_digest == 0 || self.data_digest == 0 {
            return Err("a digest list is empty");
        }
        Ok(())
    }

    /// Writes every setting as `key=value` (the listing iscsi-scst-adm
    /// shows).
    pub fn write(&self, w: &mut Writer<'_>) -> Result<(), Full> {
        let mut s = *self;
        for (i, d) in DEFS.iter().enumerate() {
            if let Some(&mut f) = s.flag(i) {
                w.push(d.name, yes_no(f))?;
            } else if let Some(&mut n) = s.slot(i) {
                w.push_num(d.name, n.into())?;
            } else {
                w.push(
                    d.name,
                    digest_names(if i == 0 {
                        s.header_digest
                    } else {
                        s.data_digest
                    }),
                )?;
            }
        }
        w.push_num(
            "MaxXmitDataSegmentLength",
            s.max_xmit_data_segment_length.into(),
        )?;
        w.push_num("QueuedCommands", s.queued_commands.into())
    }
}

fn set_num(n: &mut u32, v: &[u8], lo: u32, hi: u32) -> Result<(), SettingError> {
    let x = parse_number(v).ok_or(SettingError::BadValue)?;
    if x < u64::from(lo) || x > u64::from(hi) {
        return Err(SettingError::OutOfRange { lo, hi });
    }
    *n = x as u32;
    Ok(())
}

fn yes_no(b: bool) -> &'static [u8] {
    if b {
        b"Yes"
    } else {
        b"No"
    }
}

fn digest_names(set: u8) -> &'static [u8] {
    match set {
        DIGEST_CRC32C => b"CRC32C",
        DIGEST_NONE => b"None",
        _ => b"CRC32C,None",
    }
}

/// What a session runs with once login is done.  `#[repr(C)]`: it goes to
/// the kernel module as is.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Negotiated {
    pub header_digest: u32,
    pub data_digest: u32,
    pub max_connections: u32,
    pub initial_r2t: u32,
    pub immediate_data: u32,
    /// What we may receive in one PDU (our declaration).
    pub max_recv_data_segment_length: u32,
    /// What we may send in one PDU: the initiator's declaration, capped by
    /// MaxXmitDataSegmentLength.
    pub max_xmit_data_segment_length: u32,
    pub max_burst_length: u32,
    pub first_burst_length: u32,
    pub default_time2wait: u32,
    pub default_time2retain: u32,
    pub max_outstanding_r2t: u32,
    pub data_pdu_in_order: u32,
    pub data_sequence_in_order: u32,
    pub error_recovery_level: u32,
    pub queued_commands: u32,
}

impl Negotiated {
    /// RFC 7143's defaults for everything the initiator does not offer,
    /// with our own declaration and limits.
    pub fn defaults(s: &Settings) -> Self {
        Negotiated {
            header_digest: 0,
            data_digest: 0,
            max_connections: 1,
            initial_r2t: 1,
            immediate_data: 1,
            max_recv_data_segment_length: s.max_recv_data_segment_length,
            // The initiator's default declaration is 8192.
            max_xmit_data_segment_length: 8192u32.min(s.max_xmit_data_segment_length),
            max_burst_length: 262144,
            first_burst_length: 65536,
            default_time2wait: 2,
            default_time2retain: 20,
            max_outstanding_r2t: 1,
            data_pdu_in_order: 1,
            data_sequence_in_order: 1,
            error_recovery_level: 0,
            queued_commands: s.queued_commands,
        }
    }
}

/// The login fails: initiator error (RFC 7143 6.2: a key offered twice,
/// or a value that cannot be negotiated).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NegotiationError {
    /// The key was offered before in this login.
    Repeated,
    /// No room for the answer.
    Full,
}

impl From<Full> for NegotiationError {
    fn from(_: Full) -> Self {
        NegotiationError::Full
    }
}

/// Whether a key was ours to answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Answered (or, for a declaration, taken).
    Done,
    /// Not an operational key: the caller handles it (names, session
    /// type, authentication) or answers NotUnderstood.
    NotMine,
}

/// The operational negotiation of one login.
pub struct Negotiation {
    pub settings: Settings,
    pub result: Negotiated,
    pub discovery: bool,
    seen: u32,
    /// Answers we gave (bit per key), to declare the rest at the end.
    answered: u32,
}

impl Negotiation {
    pub fn new(settings: Settings, discovery: bool) -> Self {
        Negotiation {
            settings,
            result: Negotiated::defaults(&settings),
            discovery,
            seen: 0,
            answered: 0,
        }
    }

    /// Answers `key=value` from the initiator into `w`.
    pub fn offer(
        &mut self,
        key: &[u8],
        value: &[u8],
        w: &mut Writer<'_>,
    ) -> Result<Answer, NegotiationError> {
        let Some(i) = DEFS.iter().position(|d| d.name.as_bytes() == key) else {
            return self.other(key, w);
        };
        let d = &DEFS[i];
        if self.seen & (1 << i) != 0 {
            return Err(NegotiationError::Repeated);
        }
        self.seen |= 1 << i;
        if self.discovery && d.normal_only {
            w.push(d.name, b"Irrelevant")?;
            self.answered |= 1 << i;
            return Ok(Answer::Done);
        }
        match d.rule {
            Rule::Digest => self.digest(i, value, w)?,
            Rule::And | Rule::Or => self.boolean(i, d.rule, value, w)?,
            Rule::Min | Rule::Max => self.number(i, d.rule, value, w)?,
            Rule::Declare => self.declared(i, value, w)?,
        }
        Ok(Answer::Done)
    }

    /// Obsolete and RFC 7144 keys that have a fixed answer.
    fn other(&mut self, key: &[u8], w: &mut Writer<'_>) -> Result<Answer, NegotiationError> {
        let (name, answer): (&str, &[u8]) = match key {
            // Markers were removed by RFC 7143; initiators still offer No.
            b"OFMarker" => ("OFMarker", b"No"),
            b"IFMarker" => ("IFMarker", b"No"),
            b"OFMarkInt" => ("OFMarkInt", b"Irrelevant"),
            b"IFMarkInt" => ("IFMarkInt", b"Irrelevant"),
            _ => return Ok(Answer::NotMine),
        };
        w.push(name, answer)?;
        Ok(Answer::Done)
    }

    fn digest(&mut self, i: usize, value: &[u8], w: &mut Writer<'_>) -> Result<(), Full> {
        let ours = if i == 0 {
            self.settings.header_digest
        } else {
            self.settings.data_digest
        };
        let pick = value.split(|&c| c == b',').find_map(|d| match d {
            b"None" if ours & DIGEST_NONE != 0 => Some(0),
            b"CRC32C" if ours & DIGEST_CRC32C != 0 => Some(1),
            _ => None,
        });
        let name = DEFS[i].name;
        self.answered |= 1 << i;
        match pick {
            Some(on) => {
                if i == 0 {
                    self.result.header_digest = on;
                } else {
                    self.result.data_digest = on;
                }
                w.push(name, if on == 1 { b"CRC32C" } else { b"None" })
            }
            None => w.push(name, b"Reject"),
        }
    }

    fn boolean(
        &mut self,
        i: usize,
        rule: Rule,
        value: &[u8],
        w: &mut Writer<'_>,
    ) -> Result<(), Full> {
        let name = DEFS[i].name;
        self.answered |= 1 << i;
        let Some(theirs) = parse_bool(value) else {
            return w.push(name, b"Reject");
        };
        let ours = *self.settings.flag(i).unwrap_or(&mut false);
        let r = if rule == Rule::And {
            theirs && ours
        } else {
            theirs || ours
        };
        let slot = match i {
            3 => &mut self.result.initial_r2t,
            4 => &mut self.result.immediate_data,
            11 => &mut self.result.data_pdu_in_order,
            _ => &mut self.result.data_sequence_in_order,
        };
        *slot = u32::from(r);
        w.push(name, yes_no(r))
    }

    fn number(
        &mut self,
        i: usize,
        rule: Rule,
        value: &[u8],
        w: &mut Writer<'_>,
    ) -> Result<(), Full> {
        let d = &DEFS[i];
        self.answered |= 1 << i;
        let Some(theirs) = parse_number(value).filter(|&n| n >= d.lo.into() && n <= d.hi.into())
        else {
            return w.push(d.name, b"Reject");
        };
        let theirs = theirs as u32;
        let mut ours = self.settings.slot(i).map_or(theirs, |n| *n);
        if i == 7 {
            // FirstBurstLength never exceeds MaxBurstLength.
            ours = ours.min(self.result.max_burst_length);
        }
        let r = if rule == Rule::Min {
            theirs.min(ours)
        } else {
            theirs.max(ours)
        };
        let slot = match i {
            2 => &mut self.result.max_connections,
            6 => &mut self.result.max_burst_length,
            7 => &mut self.result.first_burst_length,
            8 => &mut self.result.default_time2wait,
            9 => &mut self.result.default_time2retain,
            10 => &mut self.result.max_outstanding_r2t,
            _ => &mut self.result.error_recovery_level,
        };
        *slot = r;
        if i == 6 {
            self.result.first_burst_length = self.result.first_burst_length.min(r);
        }
        w.push_num(d.name, r.into())
    }

    /// MaxRecvDataSegmentLength from the initiator: what we may send.
    fn declared(&mut self, i: usize, value: &[u8], w: &mut Writer<'_>) -> Result<(), Full> {
        let d = &DEFS[i];
        match parse_number(value).filter(|&n| n >= d.lo.into() && n <= d.hi.into()) {
            Some(n) => {
                self.result.max_xmit_data_segment_length =
                    (n as u32).min(self.settings.max_xmit_data_segment_length);
                Ok(())
            }
            None => w.push(d.name, b"Reject"),
        }
    }

    /// Our own declarations, once per login, in the response that ends the
    /// operational stage: MaxRecvDataSegmentLength (always: the default
    /// 8192 would understate it).
    pub fn declare(&mut self, w: &mut Writer<'_>) -> Result<(), Full> {
        const MRDSL: u32 = 1 << 5;
        if self.answered & MRDSL == 0 {
            self.answered |= MRDSL;
            w.push_num(
                "MaxRecvDataSegmentLength",
                self.result.max_recv_data_segment_length.into(),
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::items;

    fn run(n: &mut Negotiation, offers: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut buf = [0u8; 1024];
        let mut w = Writer::new(&mut buf);
        for (k, v) in offers {
            n.offer(k.as_bytes(), v.as_bytes(), &mut w).unwrap();
        }
        items(w.as_bytes())
            .map(|i| i.unwrap())
            .map(|(k, v)| {
                (
                    String::from_utf8(k.to_vec()).unwrap(),
                    String::from_utf8(v.to_vec()).unwrap(),
                )
            })
            .collect()
    }

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn open_iscsi_login() {
        // What open-iscsi offers in its operational stage.
        let offers = [
            ("HeaderDigest", "None"),
            ("DataDigest", "None"),
            ("DefaultTime2Wait", "2"),
            ("DefaultTime2Retain", "0"),
            ("IFMarker", "No"),
            ("OFMarker", "No"),
            ("ErrorRecoveryLevel", "0"),
            ("InitialR2T", "No"),
            ("ImmediateData", "Yes"),
            ("MaxBurstLength", "16776192"),
            ("FirstBurstLength", "262144"),
            ("MaxOutstandingR2T", "1"),
            ("MaxConnections", "1"),
            ("DataPDUInOrder", "Yes"),
            ("DataSequenceInOrder", "Yes"),
            ("MaxRecvDataSegmentLength", "262144"),
        ];
        let mut n = Negotiation::new(DEFAULT_SETTINGS, false);
        let got = run(&mut n, &offers);
        // Every key answered with the initiator's value, except
        // MaxBurstLength (our smaller one) and the declaration (none).
        let mut want = offers[..15].to_vec();
        want[9].1 = "1048576";
        assert_eq!(got, pairs(&want));
        let r = n.result;
        assert_eq!(
            (
                r.max_burst_length,
                r.first_burst_length,
                r.initial_r2t,
                r.max_xmit_data_segment_length
            ),
            (1048576, 262144, 0, 262144)
        );
        assert_eq!(r.default_time2retain, 0);
    }

    #[test]
    fn rules() {
        let mut s = DEFAULT_SETTINGS;
        s.header_digest = DIGEST_CRC32C | DIGEST_NONE;
        s.initial_r2t = true;
        s.immediate_data = false;
        s.max_burst_length = 65536;
        s.first_burst_length = 65536;
        let mut n = Negotiation::new(s, false);
        let got = run(
            &mut n,
            &[
                ("HeaderDigest", "CRC32C,None"),
                ("DataDigest", "CRC32C"),
                ("InitialR2T", "No"),
                ("ImmediateData", "Yes"),
                ("DefaultTime2Wait", "1"),
                ("FirstBurstLength", "131072"),
                ("MaxBurstLength", "131072"),
                ("MaxConnections", "0"),
                ("DataPDUInOrder", "Maybe"),
            ],
        );
        assert_eq!(
            got,
            pairs(&[
                ("HeaderDigest", "CRC32C"),
                ("DataDigest", "Reject"),
                ("InitialR2T", "Yes"),
                ("ImmediateData", "No"),
                ("DefaultTime2Wait", "2"),
                // Capped by MaxBurstLength's default before that is offered.
                ("FirstBurstLength", "65536"),
                ("MaxBurstLength", "65536"),
                ("MaxConnections", "Reject"),
                ("DataPDUInOrder", "Reject"),
            ])
        );
        assert_eq!((n.result.header_digest, n.result.data_digest), (1, 0));
    }

    #[test]
    fn discovery_and_repeats() {
        let mut n = Negotiation::new(DEFAULT_SETTINGS, true);
        let got = run(
            &mut n,
            &[("MaxBurstLength", "512"), ("HeaderDigest", "None")],
        );
        assert_eq!(
            got,
            pairs(&[("MaxBurstLength", "Irrelevant"), ("HeaderDigest", "None")])
        );
        let mut buf = [0u8; 64];
        let mut w = Writer::new(&mut buf);
        assert_eq!(
            n.offer(b"HeaderDigest", b"None", &mut w),
            Err(NegotiationError::Repeated)
        );
        assert_eq!(
            n.offer(b"X-com.example.foo", b"1", &mut w),
            Ok(Answer::NotMine)
        );
        assert_eq!(
            n.offer(b"InitiatorName", b"iqn.x", &mut w),
            Ok(Answer::NotMine)
        );
        n.declare(&mut w).unwrap();
        n.declare(&mut w).unwrap();
        assert_eq!(w.as_bytes(), b"MaxRecvDataSegmentLength=262144\0");
    }

    #[test]
    fn declarations_cap_what_we_send() {
        let mut s = DEFAULT_SETTINGS;
        s.max_xmit_data_segment_length = 65536;
        let mut n = Negotiation::new(s, false);
        assert!(run(&mut n, &[("MaxRecvDataSegmentLength", "1048576")]).is_empty());
        assert_eq!(n.result.max_xmit_data_segment_length, 65536);
        let mut n = Negotiation::new(s, false);
        assert_eq!(
            run(&mut n, &[("MaxRecvDataSegmentLength", "100")]),
            pairs(&[("MaxRecvDataSegmentLength", "Reject")])
        );
        assert_eq!(
            Negotiation::new(s, false)
                .result
                .max_xmit_data_segment_length,
            8192
        );
    }

    #[test]
    fn settings() {
        let mut s = DEFAULT_SETTINGS;
        s.set("InitialR2T", "Yes").unwrap();
        s.set("MaxBurstLength", "65536").unwrap();
        s.set("HeaderDigest", "CRC32C,None").unwrap();
        s.set("QueuedCommands", "8").unwrap();
        assert!(
            s.initial_r2t
                && s.max_burst_length == 65536
                && s.header_digest == 3
                && s.queued_commands == 8
        );
        assert_eq!(s.set("InitialR2T", "yes"), Err(SettingError::BadValue));
        assert_eq!(
            s.set("MaxBurstLength", "100"),
            Err(SettingError::OutOfRange {
                lo: 512,
                hi: MAX_LEN
            })
        );
        assert_eq!(
            s.set("ErrorRecoveryLevel", "1"),
            Err(SettingError::OutOfRange { lo: 0, hi: 0 })
        );
        assert_eq!(
            s.set("QueuedCommands", "0"),
            Err(SettingError::OutOfRange {
                lo: 1,
                hi: MAX_QUEUED_COMMANDS
            })
        );
        assert_eq!(s.set("Frobnicate", "1"), Err(SettingError::UnknownKey));
        assert_eq!(s.set("HeaderDigest", "MD5"), Err(SettingError::BadValue));
        assert_eq!(
            s.check(),
            Err("FirstBurstLength is larger than MaxBurstLength")
        );
        let mut buf = [0u8; 1024];
        let mut w = Writer::new(&mut buf);
        DEFAULT_SETTINGS.write(&mut w).unwrap();
        assert_eq!(items(w.as_bytes()).count(), 16);
        assert_eq!(
            crate::text::find(w.as_bytes(), "InitialR2T"),
            Some(&b"No"[..])
        );
    }
}
