//! One initiator connection: the login phase (`iscsi_proto::login` does
//! the deciding, this the I/O), then either a discovery session served
//! here (SendTargets, NOP-Out, Logout) or the hand-over of a normal
//! session to the kernel module.

use crate::discovery::send_targets;
use crate::portal::{canonical, LoginEnv, Portal};
use crate::wire::{read_pdu, write_pdu};
use crate::{debug, err, notice};
use iscsi_proto::login::{Login, Step};
use iscsi_proto::params::Negotiated;
use iscsi_proto::pdu::{
    self, login_status as st, reject, Bhs, LoginRsp, NopIn, Request, TextRsp, RESERVED_TAG,
};
use iscsi_proto::text::{self, Writer};
use std::io;
use std::net::{SocketAddr, TcpStream};

/// RFC 7143 12.12: during login, and by default, PDUs carry at most 8192
/// bytes of data.
const LOGIN_SEGMENT: usize = 8192;
/// Longest text an initiator may send in one login or text exchange,
/// over several PDUs.
const MAX_TEXT: usize = 64 * 1024;
/// Commands a discovery session may have outstanding.
const DISCOVERY_WINDOW: u32 = 8;

/// Why a login failed, in words for the log.
pub fn status_text(status: u16) -> &'static str {
    match status {
        st::AUTH_FAILED => "authentication failed",
        st::FORBIDDEN => "not allowed (initiators.allow/deny, or iSNS access control)",
        st::NOT_FOUND => "no such target",
        st::UNSUPPORTED_VERSION => "unsupported version",
        st::MISSING_PARAMETER => "a required key is missing",
        st::SESSION_TYPE_UNSUPPORTED => "unknown session type",
        st::INVALID_DURING_LOGIN => "a PDU other than Login during login",
        st::SERVICE_UNAVAILABLE => "the iscsi-scst module was not loaded when iscsi-scstd started",
        st::OUT_OF_RESOURCES => "out of resources",
        st::TARGET_ERROR => "target error",
        _ => "protocol error by the initiator",
    }
}

/// Text with NULs shown as `|`, for debug lines.
fn printable(t: &[u8]) -> String {
    String::from_utf8_lossy(t).replace('\0', "|")
}

/// A connection and its sequence numbers.
pub struct Conn<'a> {
    s: TcpStream,
    portal: &'a Portal,
    peer: SocketAddr,
    local: SocketAddr,
    stat_sn: u32,
    exp_cmd_sn: u32,
    window: u32,
    /// The most data we send in one PDU (the initiator's declaration).
    max_xmit: usize,
    /// The most data we accept in one PDU (ours).
    max_recv: usize,
    initiator: String,
    next_ttt: u32,
}

/// Serves one accepted connection to its end.
pub fn serve(s: TcpStream, portal: &Portal) {
    let (Ok(peer), Ok(local)) = (s.peer_addr(), s.local_addr()) else {
        return;
    };
    let _ = s.set_nodelay(true);
    let mut c = Conn {
        s,
        portal,
        peer,
        local,
        stat_sn: 0,
        exp_cmd_sn: 0,
        window: 1,
        max_xmit: LOGIN_SEGMENT,
        max_recv: LOGIN_SEGMENT,
        initiator: String::new(),
        next_ttt: 1,
    };
    let r = match c.login() {
        Ok(Some((l, n, _))) if l.discovery => c.discovery(n),
        Ok(Some((l, n, tsih))) => c.hand_over(&l, n, tsih),
        Ok(None) => Ok(()),
        Err(e) => Err(e),
    };
    if let Err(e) = r {
        debug!("{}: connection ends: {}", c.who(), e);
    }
}

impl Conn<'_> {
    fn who(&self) -> String {
        let peer = SocketAddr::new(canonical(self.peer.ip()), self.peer.port());
        if self.initiator.is_empty() {
            format!("{}", peer)
        } else {
            format!("{} ({})", self.initiator, peer)
        }
    }

    /// Sends a target PDU with the sequence numbers; `advance` says
    /// whether it consumes a StatSN.
    fn send(&mut self, mut bhs: Bhs, data: &[u8], advance: bool) -> io::Result<()> {
        bhs.set_data_len(data.len() as u32);
        let max_cmd_sn = self.exp_cmd_sn.wrapping_add(self.window).wrapping_sub(1);
        bhs.set_sn(self.stat_sn, self.exp_cmd_sn, max_cmd_sn);
        if advance {
            self.stat_sn = self.stat_sn.wrapping_add(1);
        }
        write_pdu(&mut self.s, &bhs, data)
    }

    /// The login phase: Some(login, negotiated values, TSIH) when it
    /// succeeded.
    fn login(&mut self) -> io::Result<Option<(Login, Negotiated, u16)>> {
        let mut l = Login::new();
        let mut text = Vec::new();
        let mut first = true;
        loop {
            let pdu = read_pdu(&mut self.s, LOGIN_SEGMENT)?;
            let Ok(Request::Login(req)) = Request::decode(&pdu.bhs) else {
                notice!(
                    "{}: {}; connection closed",
                    self.who(),
                    status_text(st::INVALID_DURING_LOGIN)
                );
                return Ok(None);
            };
            if first {
                first = false;
                self.stat_sn = req.exp_stat_sn;
                self.exp_cmd_sn = req.cmd_sn;
            }
            text.extend_from_slice(&pdu.data);
            if text.len() > MAX_TEXT {
                return self
                    .login_failed(&req, st::OUT_OF_RESOURCES, &l)
                    .map(|()| None);
            }
            if req.continue_ {
                // More text follows: an empty response asks for it.
                let rsp = LoginRsp {
                    csg: req.csg,
                    isid: req.isid,
                    tsih: req.tsih,
                    itt: req.itt,
                    ..Default::default()
                };
                self.send(rsp.encode(), &[], true)?;
                continue;
            }
            let mut buf = vec![0u8; LOGIN_SEGMENT];
            let mut w = Writer::new(&mut buf);
            let mut env = LoginEnv {
                portal: self.portal,
                config: self.portal.config(),
                peer: canonical(self.peer.ip()),
            };
            let step = l.step(&req, &text, &mut env, &mut w);
            debug!(
                "{}: login csg {} nsg {} T {}: {:?} -> {:?} {:?}",
                self.who(),
                req.csg,
                req.nsg,
                req.transit,
                printable(&text),
                step,
                printable(w.as_bytes())
            );
            text.clear();
            if !l.initiator.is_empty() && self.initiator.is_empty() {
                self.initiator = String::from_utf8_lossy(l.initiator.as_bytes()).into_owned();
            }
            match step {
                Step::Continue(rsp) => self.send(rsp.encode(), w.as_bytes(), true)?,
                Step::Fail(rsp) => return self.login_failed(&req, rsp.status, &l).map(|()| None),
                Step::Done(mut rsp) => {
                    if !l.discovery
                        && self
                            .portal
                            .stopping
                            .load(std::sync::atomic::Ordering::Acquire)
                    {
                        let why = "iscsi-scstd is stopping";
                        return self
                            .refuse(&req, st::SERVICE_UNAVAILABLE, &l, why)
                            .map(|()| None);
                    }
                    if !l.discovery && self.portal.kernel.is_none() {
                        return self
                            .login_failed(&req, st::SERVICE_UNAVAILABLE, &l)
                            .map(|()| None);
                    }
                    if rsp.tsih != 0 && !self.session_exists(&l, rsp.tsih) {
                        // A TSIH names a session the target gave out
                        // (RFC 7143 11.12.6), of this initiator and ISID:
                        // anything else could reinstate or join another's.
                        return self
                            .refuse(&req, st::NO_SESSION, &l, "no session with that TSIH")
                            .map(|()| None);
                    }
                    if rsp.tsih == 0 {
                        rsp.tsih = self.portal.new_tsih(
                            self.portal
                                .tid(l.target.as_bytes())
                                .filter(|_| !l.discovery),
                        );
                    }
                    let Some(n) = l.negotiated() else {
                        return Ok(None);
                    };
                    // The last Login Response opens the session's whole
                    // CmdSN window; iscsi-scst starts from the same one.
                    // (open-iscsi keeps the MaxCmdSN of a session it
                    // reinstates if ours is lower, so a smaller first
                    // window would make it overrun.)
                    self.window = if l.discovery {
                        DISCOVERY_WINDOW
                    } else {
                        iscsi_proto::ctl::initial_window(&n)
                    };
                    let data = w.as_bytes().to_vec();
                    self.send(rsp.encode(), &data, true)?;
                    notice!(
                        "{}: logged in to {} (TSIH {})",
                        self.who(),
                        if l.discovery {
                            "discovery".into()
                        } else {
                            String::from_utf8_lossy(l.target.as_bytes()).into_owned()
                        },
                        rsp.tsih
                    );
                    return Ok(Some((l, n, rsp.tsih)));
                }
            }
        }
    }

    /// Whether the live session `tsih` of the login's target has the
    /// login's initiator and ISID (a login with a TSIH adds a connection
    /// to it or reinstates one of its connections).
    fn session_exists(&self, l: &Login, tsih: u16) -> bool {
        if l.discovery {
            // Discovery sessions end with their one connection.
            return false;
        }
        let (Some(k), Some(tid)) = (&self.portal.kernel, self.portal.tid(l.target.as_bytes()))
        else {
            return false;
        };
        match k.get_session(tid, iscsi_proto::ctl::sid(&l.isid, tsih)) {
            Ok(s) => iscsi_proto::ctl::field_text(&s.initiator)
                .eq_ignore_ascii_case(l.initiator.as_bytes()),
            Err(_) => false,
        }
    }

    /// Gives a logged-in normal session's connection to the kernel.
    fn hand_over(&mut self, l: &Login, n: Negotiated, tsih: u16) -> io::Result<()> {
        use std::os::fd::AsRawFd;
        let (Some(k), Some(tid)) = (&self.portal.kernel, self.portal.tid(l.target.as_bytes()))
        else {
            return Ok(());
        };
        let mut r = iscsi_proto::ctl::ConnReq {
            version: iscsi_proto::ctl::VERSION,
            tid,
            fd: self.s.as_raw_fd(),
            cid: l.cid,
            tsih,
            isid: l.isid,
            _pad: [0; 2],
            exp_cmd_sn: self.exp_cmd_sn,
            stat_sn: self.stat_sn,
            params: n,
            initiator: [0; iscsi_proto::ctl::NAME_LEN],
        };
        let name = l.initiator.as_bytes();
        r.initiator[..name.len()].copy_from_slice(name);
        match k.add_conn(&mut r) {
            // The kernel holds the socket now; our descriptor closes.
            Ok(()) => Ok(()),
            Err(e) => {
                err!(
                    "{}: the kernel refused the session: {} (see the kernel log)",
                    self.who(),
                    e
                );
                Ok(())
            }
        }
    }

    /// Sends a failed login's response (no text, no transit) and logs why.
    fn login_failed(&mut self, req: &pdu::LoginReq, status: u16, l: &Login) -> io::Result<()> {
        self.refuse(req, status, l, status_text(status))
    }

    /// `login_failed` with the reason in words.
    fn refuse(&mut self, req: &pdu::LoginReq, status: u16, l: &Login, why: &str) -> io::Result<()> {
        let target = String::from_utf8_lossy(l.target.as_bytes()).into_owned();
        notice!(
            "{}: login to {} refused: {} ({:04x})",
            self.who(),
            if l.discovery { "discovery" } else { &target },
            why,
            status
        );
        let rsp = LoginRsp {
            csg: req.csg,
            isid: req.isid,
            tsih: req.tsih,
            itt: req.itt,
            status,
            ..Default::default()
        };
        self.send(rsp.encode(), &[], true)
    }

    /// A discovery session's full feature phase.
    fn discovery(&mut self, n: Negotiated) -> io::Result<()> {
        self.max_xmit = n.max_xmit_data_segment_length as usize;
        self.max_recv = n.max_recv_data_segment_length as usize;
        // Text being received (C bit) and the answer being sent in pieces.
        let mut incoming = Vec::new();
        let mut answer: Option<(Vec<u8>, usize, u32)> = None;
        loop {
            let pdu = read_pdu(&mut self.s, self.max_recv)?;
            let req = match Request::decode(&pdu.bhs) {
                Ok(r) => r,
                Err(pdu::Refused(reason)) => {
                    self.reject(reason, &pdu.bhs)?;
                    continue;
                }
            };
            if let Some(sn) = req.cmd_sn() {
                if !req.immediate() && sn == self.exp_cmd_sn {
                    self.exp_cmd_sn = sn.wrapping_add(1);
                }
            }
            match req {
                Request::Text(t) => {
                    if t.ttt != RESERVED_TAG {
                        // The initiator asks for the rest of our answer.
                        match answer.take() {
                            Some((a, at, ttt)) if ttt == t.ttt => {
                                answer = self.text_piece(&t, a, at)?
                            }
                            _ => self.reject(reject::INVALID_FIELD, &pdu.bhs)?,
                        }
                        continue;
                    }
                    incoming.extend_from_slice(&pdu.data);
                    if incoming.len() > MAX_TEXT {
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidData,
                            "text request too long",
                        ));
                    }
                    if t.continue_ {
                        let rsp = TextRsp {
                            lun: t.lun,
                            itt: t.itt,
                            ttt: RESERVED_TAG,
                            ..Default::default()
                        };
                        self.send(rsp.encode(), &[], true)?;
                        continue;
                    }
                    let a = self.text_answer(&incoming);
                    incoming.clear();
                    answer = self.text_piece(&t, a, 0)?;
                }
                Request::NopOut(nop) => {
                    if nop.itt != RESERVED_TAG {
                        let rsp = NopIn {
                            lun: nop.lun,
                            itt: nop.itt,
                            ttt: RESERVED_TAG,
                            data_len: 0,
                        };
                        self.send(rsp.encode(), &pdu.data, true)?;
                    }
                }
                Request::Logout(lo) => {
                    self.send(pdu::logout_rsp(lo.itt, 0, 0, 0), &[], true)?;
                    notice!("{}: discovery session logged out", self.who());
                    return Ok(());
                }
                // Discovery sessions carry only Text, NOP and Logout.
                _ => self.reject(reject::PROTOCOL_ERROR, &pdu.bhs)?,
            }
        }
    }

    /// The answer to a whole text request of a discovery session.
    fn text_answer(&self, req: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for (k, v) in text::items(req).filter_map(Result::ok) {
            if k == b"SendTargets" {
                out.extend(send_targets(
                    self.portal,
                    v,
                    &self.initiator,
                    self.peer,
                    self.local,
                ));
            } else {
                out.extend_from_slice(k);
                out.extend_from_slice(b"=NotUnderstood\0");
            }
        }
        out
    }

    /// Sends the piece of `answer` from `at`; returns what is left to send
    /// (with the TTT that asks for it).
    fn text_piece(
        &mut self,
        t: &pdu::TextReq,
        answer: Vec<u8>,
        at: usize,
    ) -> io::Result<Option<(Vec<u8>, usize, u32)>> {
        let end = (at + self.max_xmit).min(answer.len());
        let last = end == answer.len();
        let ttt = if last {
            RESERVED_TAG
        } else {
            self.next_ttt = self.next_ttt.wrapping_add(1).max(1);
            self.next_ttt
        };
        let rsp = TextRsp {
            final_: last,
            continue_: !last,
            lun: t.lun,
            itt: t.itt,
            ttt,
            data_len: 0,
        };
        self.send(rsp.encode(), &answer[at..end], true)?;
        Ok((!last).then_some((answer, end, ttt)))
    }

    fn reject(&mut self, reason: u8, bad: &Bhs) -> io::Result<()> {
        debug!(
            "{}: PDU rejected (reason {:#x}): {:?}",
            self.who(),
            reason,
            bad
        );
        self.send(pdu::reject(reason), &bad.0, true)
    }
}
