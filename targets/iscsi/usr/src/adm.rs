//! iscsi-scst-adm (IET's ietadm): its command line, the request it sends
//! to iscsi-scstd, and the daemon's side that carries the request out.
//!
//! The two talk over a Unix socket (/run/iscsi-scstd.sock, or the path
//! given with `--socket`; root's only, `control.rs`), one request per
//! connection: the client writes the request's lines and shuts its side
//! down; the daemon answers `ok` or `error MESSAGE` on the first line,
//! then the output.  The daemon serves root only (`control.rs`).

use crate::portal::Portal;
use iscsi_proto::config::{Config, Target, User};
use iscsi_proto::ctl;
use iscsi_proto::params::{Negotiated, Settings, DEFAULT_SETTINGS};
use iscsi_proto::text::Writer;

/// The socket's default path.
pub const DEFAULT_SOCKET: &str = "/run/iscsi-scstd.sock";
/// Seconds a session gets to log out when iscsi-scst-adm deletes it.
pub const LOGOUT_TIMEOUT: u32 = 5;

pub const USAGE: &str = "\
usage: iscsi-scst-adm [--socket PATH] --op OP [--tid=ID] [--sid=SID] [--cid=CID] [--user] [--params=KEY=VALUE,...]
  --op new --tid=ID --params Name=NAME
        add target NAME as ID (not 0); its LUNs come from SCST group Default_NAME
  --op delete --tid=ID
        delete target ID; its sessions are asked to log out first
  --op delete
        delete every target
  --op delete --tid=ID --sid=SID
        ask session SID to log out (it is dropped if it has not within 5 s)
  --op delete --tid=ID --sid=SID --cid=CID
        drop connection CID of session SID at once
  --op update --tid=ID --params=KEY=VALUE,...
        change target ID's parameters (the keys of iscsi-scstd.conf, and
        Alias) for sessions that log in from now on
  --op new [--tid=ID] --user --params=(IncomingUser|OutgoingUser)=NAME,Password=SECRET[,InitiatorName=IQN]
        add a CHAP account to target ID, or without --tid (or with 0) for
        discovery sessions; an existing account gets the new secret; an
        IncomingUser with InitiatorName can be used by that initiator only
  --op delete [--tid=ID] --user --params=(IncomingUser|OutgoingUser)=NAME
        delete a CHAP account
  --op show [--tid=ID] --user [--params=(IncomingUser|OutgoingUser)=NAME]
        list the CHAP accounts (names), or show one (name and secret)
  --op show --tid=ID --sid=SID
        the parameters session SID runs with (SID 0: the target's settings)
  --op show --tid=ID
        target ID's settings (ID 0: the defaults)
  --op show
        the targets, their sessions and connections
  --version, --help
SIDs are shown in /proc/scsi_tgt/iscsi/session; they may be given in decimal or as 0x hex.";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    New,
    Delete,
    Update,
    Show,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::New => "new",
            Op::Delete => "delete",
            Op::Update => "update",
            Op::Show => "show",
        }
    }

    fn parse(s: &str) -> Option<Op> {
        [Op::New, Op::Delete, Op::Update, Op::Show]
            .into_iter()
            .find(|o| o.name() == s)
    }
}

/// One request, checked for a sensible combination of options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub op: Op,
    pub tid: Option<u32>,
    pub sid: Option<u64>,
    pub cid: Option<u32>,
    pub user: bool,
    pub params: Vec<(String, String)>,
}

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Run { socket: String, request: Request },
    Help,
    Version,
}

fn number<T: TryFrom<u64>>(what: &str, v: &str) -> Result<T, String> {
    let n = match v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => v.parse(),
    };
    n.ok()
        .and_then(|n| T::try_from(n).ok())
        .ok_or_else(|| format!("{} {}: not a number in range", what, v))
}

/// `KEY=VALUE,KEY=VALUE`.
fn params(v: &str) -> Result<Vec<(String, String)>, String> {
    v.split(',')
        .map(|kv| match kv.split_once('=') {
            Some((k, val)) if !k.trim().is_empty() => Ok((k.trim().to_string(), val.to_string())),
            _ => Err(format!("--params: \"{}\" is not KEY=VALUE", kv)),
        })
        .collect()
}

/// Parses iscsi-scst-adm's arguments (without the program name).
pub fn parse_args(args: &[String]) -> Result<Command, String> {
    use lexopt::Arg::{Long, Short};
    let mut socket = DEFAULT_SOCKET.to_string();
    let (mut op, mut tid, mut sid, mut cid, mut user, mut ps) =
        (None, None, None, None, false, Vec::new());
    let mut p = lexopt::Parser::from_args(args);
    while let Some(arg) = p.next().map_err(|e| e.to_string())? {
        let name = match arg {
            Short('h') | Long("help") => return Ok(Command::Help),
            Short('V') | Long("version") => return Ok(Command::Version),
            Short('u') | Long("user") => {
                user = true;
                continue;
            }
            Short('o') | Long("op") => "--op",
            Short('t') | Long("tid") => "--tid",
            Short('s') | Long("sid") => "--sid",
            Short('c') | Long("cid") => "--cid",
            Short('p') | Long("params") => "--params",
            Long("socket") => "--socket",
            Short(c) => return Err(format!("unknown option -{}", c)),
            Long(l) => return Err(format!("unknown option --{}", l)),
            lexopt::Arg::Value(v) => {
                return Err(format!("unexpected argument {}", v.to_string_lossy()))
            }
        };
        let value = p
            .value()
            .ok()
            .and_then(|v| v.into_string().ok())
            .ok_or_else(|| format!("{} needs a value", name))?;
        if value.contains(['\n', '\0']) {
            return Err(format!("{}: the value has a line break or NUL", name));
        }
        match name {
            "--op" => {
                op =
                    Some(Op::parse(&value).ok_or_else(|| {
                        format!("--op {}: not new, delete, update or show", value)
                    })?)
            }
            "--tid" => tid = Some(number("--tid", &value)?),
            "--sid" => sid = Some(number("--sid", &value)?),
            "--cid" => cid = Some(number("--cid", &value)?),
            "--params" => ps.extend(params(&value)?),
            _ => socket = value,
        }
    }
    let op = op.ok_or("--op is missing")?;
    let request = Request {
        op,
        tid,
        sid,
        cid,
        user,
        params: ps,
    };
    request.check()?;
    Ok(Command::Run { socket, request })
}

impl Request {
    /// The value of parameter `key` (case-insensitive).
    fn param(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    /// The account a `--user` request names: which list, and the name.
    fn account(&self) -> Result<(bool, &str), String> {
        match (self.param("IncomingUser"), self.param("OutgoingUser")) {
            (Some(n), None) => Ok((true, n)),
            (None, Some(n)) => Ok((false, n)),
            _ => Err("--user needs --params IncomingUser=NAME or OutgoingUser=NAME".into()),
        }
    }

    /// Refuses combinations that mean nothing (the daemon checks again).
    pub fn check(&self) -> Result<(), String> {
        if self.cid.is_some() && (self.sid.is_none() || self.op != Op::Delete) {
            return Err("--cid goes with --op delete --tid --sid".into());
        }
        if self.sid.is_some()
            && (self.tid.is_none() || self.user || !matches!(self.op, Op::Delete | Op::Show))
        {
            return Err("--sid goes with --op delete or show, and --tid".into());
        }
        if self.user && self.op == Op::Show && self.params.is_empty() {
            return Ok(());
        }
        if self.user {
            let (_, name) = self.account()?;
            if name.is_empty() || name.contains(char::is_whitespace) {
                return Err("a CHAP account name is one word".into());
            }
            let password = self.param("Password");
            let bound = self.param("InitiatorName");
            return match self.op {
                Op::New
                    if password.is_none_or(|p| p.is_empty() || p.contains(char::is_whitespace)) =>
                {
                    Err("--op new --user needs Password=SECRET (one word)".into())
                }
                Op::New if bound.is_some() && self.param("OutgoingUser").is_some() => {
                    Err("InitiatorName binds an IncomingUser, not the OutgoingUser".into())
                }
                Op::New if bound.is_some_and(|n| !ctl::valid_name(n.as_bytes())) => {
                    Err("InitiatorName is no iSCSI name (iqn., eui. or naa.)".into())
                }
                Op::Update => Err(
                    "--op update takes no --user: add the account again to change its secret"
                        .into(),
                ),
                _ => Ok(()),
            };
        }
        match self.op {
            Op::New => match (self.tid, self.param("Name"), self.params.len()) {
                (Some(t), Some(n), 1) if t != 0 && ctl::valid_name(n.as_bytes()) => Ok(()),
                (Some(t), Some(_), 1) if t != 0 => {
                    Err("Name is no iSCSI name (iqn., eui. or naa.)".into())
                }
                _ => Err("--op new needs --tid=ID (not 0) and --params Name=NAME only".into()),
            },
            Op::Update if self.tid.is_none_or(|t| t == 0) || self.params.is_empty() => {
                Err("--op update needs --tid=ID (not 0) and --params".into())
            }
            Op::Delete | Op::Show if !self.params.is_empty() => {
                Err(format!("--op {} takes no --params here", self.op.name()))
            }
            _ => Ok(()),
        }
    }

    /// The request's lines, as sent to the daemon.
    pub fn encode(&self) -> String {
        let mut s = format!("op={}\n", self.op.name());
        let opt = |s: &mut String, k: &str, v: Option<u64>| {
            if let Some(v) = v {
                s.push_str(&format!("{}={}\n", k, v));
            }
        };
        opt(&mut s, "tid", self.tid.map(u64::from));
        opt(&mut s, "sid", self.sid);
        opt(&mut s, "cid", self.cid.map(u64::from));
        if self.user {
            s.push_str("user\n");
        }
        for (k, v) in &self.params {
            s.push_str(&format!("param={}={}\n", k, v));
        }
        s
    }

    /// A request from its lines (the daemon's side: untrusted).
    pub fn decode(text: &str) -> Result<Request, String> {
        let mut r = Request {
            op: Op::Show,
            tid: None,
            sid: None,
            cid: None,
            user: false,
            params: Vec::new(),
        };
        let mut op = None;
        for line in text.lines() {
            match line.split_once('=') {
                Some(("op", v)) => {
                    op = Some(Op::parse(v).ok_or_else(|| format!("unknown op {}", v))?)
                }
                Some(("tid", v)) => r.tid = Some(number("tid", v)?),
                Some(("sid", v)) => r.sid = Some(number("sid", v)?),
                Some(("cid", v)) => r.cid = Some(number("cid", v)?),
                Some(("param", kv)) => r.params.extend(params(kv)?),
                None if line == "user" => r.user = true,
                _ => return Err(format!("bad request line \"{}\"", line)),
            }
        }
        r.op = op.ok_or("the request has no op")?;
        r.check()?;
        Ok(r)
    }
}

/// `key=value` lines of a target's settings.
pub fn settings_text(s: &Settings) -> String {
    let mut buf = [0u8; 1024];
    let mut w = Writer::new(&mut buf);
    // 16 short keys fit in 1 KiB.
    let _ = s.write(&mut w);
    String::from_utf8_lossy(w.as_bytes()).replace('\0', "\n")
}

/// `key=value` lines of what a session runs with.
pub fn negotiated_text(n: &Negotiated) -> String {
    let digest = |d: u32| if d != 0 { "CRC32C" } else { "None" };
    let yes = |b: u32| if b != 0 { "Yes" } else { "No" };
    let items: [(&str, String); 16] = [
        ("HeaderDigest", digest(n.header_digest).into()),
        ("DataDigest", digest(n.data_digest).into()),
        ("MaxConnections", n.max_connections.to_string()),
        ("InitialR2T", yes(n.initial_r2t).into()),
        ("ImmediateData", yes(n.immediate_data).into()),
        (
            "MaxRecvDataSegmentLength",
            n.max_recv_data_segment_length.to_string(),
        ),
        (
            "MaxXmitDataSegmentLength",
            n.max_xmit_data_segment_length.to_string(),
        ),
        ("MaxBurstLength", n.max_burst_length.to_string()),
        ("FirstBurstLength", n.first_burst_length.to_string()),
        ("DefaultTime2Wait", n.default_time2wait.to_string()),
        ("DefaultTime2Retain", n.default_time2retain.to_string()),
        ("MaxOutstandingR2T", n.max_outstanding_r2t.to_string()),
        ("DataPDUInOrder", yes(n.data_pdu_in_order).into()),
        ("DataSequenceInOrder", yes(n.data_sequence_in_order).into()),
        ("ErrorRecoveryLevel", n.error_recovery_level.to_string()),
        ("QueuedCommands", n.queued_commands.to_string()),
    ];
    items
        .iter()
        .map(|(k, v)| format!("{}={}\n", k, v))
        .collect()
}

/// The accounts of target `tid`, or of discovery sessions (None or 0).
fn accounts(
    c: &mut Config,
    tid: Option<u32>,
) -> Result<(&mut Vec<User>, &mut Option<User>), String> {
    match tid.filter(|&t| t != 0) {
        None => Ok((&mut c.incoming, &mut c.outgoing)),
        Some(t) => {
            let t = c
                .targets
                .iter_mut()
                .find(|x| x.tid == t)
                .ok_or_else(|| no_target(t))?;
            Ok((&mut t.incoming, &mut t.outgoing))
        }
    }
}

fn no_target(tid: u32) -> String {
    format!("no target with tid {}", tid)
}

fn whose(tid: Option<u32>) -> String {
    match tid.filter(|&t| t != 0) {
        None => "discovery".into(),
        Some(t) => format!("target {}", t),
    }
}

/// Carries out a request in the daemon; Ok(output) or Err(message).
pub fn execute(p: &Portal, r: &Request) -> Result<String, String> {
    r.check()?;
    match (r.op, r.user) {
        (Op::Show, true) => show_users(p, r),
        (Op::New, true) => new_user(p, r),
        (Op::Delete, true) => delete_user(p, r),
        (Op::Show, false) => show(p, r),
        (Op::New, false) => new_target(p, r),
        (Op::Update, _) => update(p, r),
        (Op::Delete, false) => delete(p, r),
    }
}

fn show_users(p: &Portal, r: &Request) -> Result<String, String> {
    let mut c = (*p.config()).clone();
    let (incoming, outgoing) = accounts(&mut c, r.tid)?;
    if r.params.is_empty() {
        let bound = |u: &User| {
            u.initiator
                .as_ref()
                .map(|i| format!(" (initiator {})", i))
                .unwrap_or_default()
        };
        let mut out: String = incoming
            .iter()
            .map(|u| format!("IncomingUser {}{}\n", u.name, bound(u)))
            .collect();
        if let Some(u) = outgoing {
            out.push_str(&format!("OutgoingUser {}\n", u.name));
        }
        return Ok(out);
    }
    let (inc, name) = r.account()?;
    let found = if inc {
        incoming.iter().find(|u| u.name == name)
    } else {
        outgoing.as_ref().filter(|u| u.name == name)
    };
    let kind = if inc { "IncomingUser" } else { "OutgoingUser" };
    let line = |u: &User| {
        format!(
            "{} {} {}{}\n",
            kind,
            u.name,
            u.secret,
            u.initiator
                .as_ref()
                .map(|i| format!(" {}", i))
                .unwrap_or_default()
        )
    };
    found
        .map(line)
        .ok_or_else(|| format!("{} has no {} {}", whose(r.tid), kind, name))
}

fn new_user(p: &Portal, r: &Request) -> Result<String, String> {
    let (inc, name) = r.account()?;
    let secret = r.param("Password").unwrap_or_default().to_string();
    let user = User {
        initiator: r.param("InitiatorName").map(str::to_string),
        ..User::new(name, &secret)
    };
    p.update(|c| {
        let (incoming, outgoing) = accounts(c, r.tid)?;
        if inc {
            incoming.retain(|u| u.name != user.name);
            incoming.push(user.clone());
        } else {
            *outgoing = Some(user.clone());
        }
        Ok(())
    })?;
    crate::notice!(
        "iscsi-scst-adm: {} account {} of {} set",
        if inc { "IncomingUser" } else { "OutgoingUser" },
        name,
        whose(r.tid)
    );
    Ok(if user.secret.len() < 12 {
        "note: the secret is shorter than 12 characters (many initiators refuse it)\n".into()
    } else {
        String::new()
    })
}

fn delete_user(p: &Portal, r: &Request) -> Result<String, String> {
    let (inc, name) = r.account()?;
    let kind = if inc { "IncomingUser" } else { "OutgoingUser" };
    p.update(|c| {
        let (incoming, outgoing) = accounts(c, r.tid)?;
        let before = incoming.len();
        if inc {
            incoming.retain(|u| u.name != name);
        }
        let found = if inc {
            incoming.len() != before
        } else {
            outgoing.take_if(|u| u.name == name).is_some()
        };
        found
            .then_some(())
            .ok_or_else(|| format!("{} has no {} {}", whose(r.tid), kind, name))
    })?;
    crate::notice!(
        "iscsi-scst-adm: {} account {} of {} deleted",
        kind,
        name,
        whose(r.tid)
    );
    Ok(String::new())
}

fn show(p: &Portal, r: &Request) -> Result<String, String> {
    let c = p.config();
    match (r.tid, r.sid) {
        (None, _) => Ok(listing(p, &c)),
        (Some(0), _) => Ok(settings_text(&DEFAULT_SETTINGS)),
        (Some(t), None | Some(0)) => c
            .by_tid(t)
            .map(|t| settings_text(&t.settings))
            .ok_or_else(|| no_target(t)),
        (Some(t), Some(sid)) => {
            let k = p
                .kernel
                .as_ref()
                .ok_or("the iscsi-scst module was not loaded when iscsi-scstd started")?;
            let s = k
                .get_session(t, sid)
                .map_err(|e| format!("no session {} in target {}: {}", sid, t, e))?;
            let text = |f: &[u8]| String::from_utf8_lossy(ctl::field_text(f)).into_owned();
            Ok(format!(
                "InitiatorName={}\nInitiatorAddress={}\n{}",
                text(&s.initiator),
                text(&s.peer),
                negotiated_text(&s.params)
            ))
        }
    }
}

/// The kernel's listing of targets, sessions and connections; the
/// configured targets if the module is not there.
fn listing(p: &Portal, c: &Config) -> String {
    if p.kernel.is_some() {
        if let Ok(t) = crate::kernel::session_listing() {
            return t;
        }
    }
    c.targets
        .iter()
        .map(|t| format!("tid:{} name:{}\n", t.tid, t.name))
        .collect()
}

fn new_target(p: &Portal, r: &Request) -> Result<String, String> {
    let (tid, name) = (r.tid.unwrap_or(0), r.param("Name").unwrap_or_default());
    p.update(|c| {
        if let Some(t) = c.by_tid(tid) {
            return Err(format!("tid {} is target {}", tid, t.name));
        }
        if c.target(name.as_bytes()).is_some() {
            return Err(format!("target {} exists", name));
        }
        if let Some(k) = &p.kernel {
            match k.add_target(tid, name) {
                Ok(true) => p.own(tid),
                Ok(false) => {
                    return Err(format!(
                        "the kernel has a target with tid {} or name {} (see the kernel log)",
                        tid, name
                    ))
                }
                Err(e) => return Err(format!("the kernel refused target {}: {}", name, e)),
            }
        }
        c.targets.push(Target::new(tid, name));
        Ok(())
    })?;
    crate::notice!("iscsi-scst-adm: target {} added as tid {}", name, tid);
    Ok(String::new())
}

fn update(p: &Portal, r: &Request) -> Result<String, String> {
    let tid = r.tid.unwrap_or(0);
    p.update(|c| {
        let t = c
            .targets
            .iter_mut()
            .find(|t| t.tid == tid)
            .ok_or_else(|| no_target(tid))?;
        let mut new = t.clone();
        for (k, v) in &r.params {
            new.set(k, v)?;
        }
        new.settings
            .check()
            .map_err(|e| format!("target {}: {}", tid, e))?;
        *t = new;
        Ok(())
    })?;
    let what: Vec<String> = r
        .params
        .iter()
        .map(|(k, v)| format!("{}={}", k, v))
        .collect();
    crate::notice!(
        "iscsi-scst-adm: target {} updated: {} (for new sessions)",
        tid,
        what.join(",")
    );
    Ok(String::new())
}

fn delete(p: &Portal, r: &Request) -> Result<String, String> {
    let k = p.kernel.as_ref();
    match (r.tid, r.sid, r.cid) {
        (Some(t), Some(sid), Some(cid)) => {
            let k = k.ok_or("the iscsi-scst module was not loaded when iscsi-scstd started")?;
            k.del_conn(t, sid, cid).map_err(|e| {
                format!(
                    "connection {} of session {} in target {}: {}",
                    cid, sid, t, e
                )
            })?;
        }
        (Some(t), Some(sid), None) => {
            let k = k.ok_or("the iscsi-scst module was not loaded when iscsi-scstd started")?;
            k.del_session(t, sid, LOGOUT_TIMEOUT)
                .map_err(|e| format!("session {} in target {}: {}", sid, t, e))?;
        }
        (Some(t), _, _) => delete_target(p, t)?,
        (None, _, _) => {
            for t in p.config().targets.iter() {
                delete_target(p, t.tid)?;
            }
        }
    }
    Ok(String::new())
}

/// Deletes a target from the configuration (no new logins), then from
/// the kernel (its sessions are asked to log out).
pub fn delete_target(p: &Portal, tid: u32) -> Result<(), String> {
    let t = p.update(|c| {
        let i = c
            .targets
            .iter()
            .position(|t| t.tid == tid)
            .ok_or_else(|| no_target(tid))?;
        Ok(c.targets.remove(i))
    })?;
    if let Some(k) = &p.kernel {
        k.del_target(tid, &t.name)
            .map_err(|e| format!("the kernel refused to delete target {}: {}", t.name, e))?;
        p.disown(tid);
    }
    crate::notice!("iscsi-scst-adm: target {} (tid {}) deleted", t.name, tid);
    Ok(())
}

/// Deletes the kernel targets this daemon added (it is stopping);
/// errors are logged.
pub fn delete_owned_targets(p: &Portal) {
    for tid in p.owned() {
        if let Err(e) = delete_target(p, tid) {
            crate::err!("{}", e);
        }
    }
}

/// The usage text's first line, for error messages.
pub fn usage_line() -> &'static str {
    USAGE.lines().next().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Result<Command, String> {
        parse_args(&s.split_whitespace().map(String::from).collect::<Vec<_>>())
    }

    fn request(s: &str) -> Request {
        match args(s) {
            Ok(Command::Run { request, .. }) => request,
            other => panic!("{}: {:?}", s, other),
        }
    }

    #[test]
    fn parses_ietadm_command_lines() {
        let r = request("--op new --tid=3 --params Name=iqn.2026-12.org.scst:x");
        assert_eq!(
            (r.op, r.tid, r.params[0].1.as_str()),
            (Op::New, Some(3), "iqn.2026-12.org.scst:x")
        );
        let r = request("--op=delete --tid 1 --sid=0x4000013700000005 --cid=0");
        assert_eq!((r.sid, r.cid), (Some(0x4000_0137_0000_0005), Some(0)));
        let r = request("--op update --tid=1 --params=InitialR2T=Yes,MaxBurstLength=65536");
        assert_eq!(
            r.params,
            vec![
                ("InitialR2T".into(), "Yes".into()),
                ("MaxBurstLength".into(), "65536".into())
            ]
        );
        let r = request("--op new --user --params=IncomingUser=joe,Password=secretsecret1");
        assert!(r.user && r.tid.is_none());
        assert!(request("--op show --tid=2 --user").params.is_empty());
        assert_eq!(args("--help"), Ok(Command::Help));
        match args("--socket other --op show") {
            Ok(Command::Run { socket, .. }) => assert_eq!(socket, "other"),
            other => panic!("{:?}", other),
        }
    }

    #[test]
    fn refuses_bad_command_lines() {
        for (line, msg) in [
            ("--tid=1", "--op is missing"),
            ("--op frob", "--op frob: not new, delete, update or show"),
            ("--op new --tid=0 --params Name=iqn.a", "--op new needs --tid=ID (not 0) and --params Name=NAME only"),
            ("--op new --tid=1 --params Name=foo", "Name is no iSCSI name (iqn., eui. or naa.)"),
            ("--op new --tid=1", "--op new needs --tid=ID (not 0) and --params Name=NAME only"),
            ("--op delete --cid=1 --tid=1", "--cid goes with --op delete --tid --sid"),
            ("--op delete --sid=1", "--sid goes with --op delete or show, and --tid"),
            ("--op update --tid=1", "--op update needs --tid=ID (not 0) and --params"),
            ("--op new --user --params=IncomingUser=joe", "--op new --user needs Password=SECRET (one word)"),
            (
                "--op new --user --params=IncomingUser=joe,Password=secretsecret1,InitiatorName=joe",
                "InitiatorName is no iSCSI name (iqn., eui. or naa.)",
            ),
            (
                "--op new --user --params=OutgoingUser=jack,Password=secretsecret1,InitiatorName=iqn.a",
                "InitiatorName binds an IncomingUser, not the OutgoingUser",
            ),
            ("--op delete --user --params=Password=x", "--user needs --params IncomingUser=NAME or OutgoingUser=NAME"),
            ("--op show --tid=x", "--tid x: not a number in range"),
            ("--op show --tid=4294967296", "--tid 4294967296: not a number in range"),
            ("--op update --tid=1 --params=InitialR2T", "--params: \"InitialR2T\" is not KEY=VALUE"),
            ("--op show --frob=1", "unknown option --frob"),
            ("--op show --tid", "--tid needs a value"),
            ("--op delete --tid=1 --params=a=b", "--op delete takes no --params here"),
        ] {
            assert_eq!(args(line).unwrap_err(), msg, "{}", line);
        }
    }

    #[test]
    fn requests_survive_the_socket() {
        for line in [
            "--op new --tid=3 --params Name=iqn.2026-12.org.scst:x",
            "--op delete --tid=1 --sid=77 --cid=2",
            "--op new --tid=2 --user --params=OutgoingUser=jim,Password=a=b",
            "--op show",
        ] {
            let r = request(line);
            assert_eq!(Request::decode(&r.encode()), Ok(r), "{}", line);
        }
        assert!(Request::decode("op=new\ntid=1\n").is_err());
        assert!(Request::decode("op=show\nrm -rf\n")
            .unwrap_err()
            .starts_with("bad request line"));
        assert_eq!(Request::decode(""), Err("the request has no op".into()));
    }

    #[test]
    fn lists_parameters() {
        let s = settings_text(&DEFAULT_SETTINGS);
        assert!(
            s.starts_with("HeaderDigest=None\nDataDigest=None\n"),
            "{}",
            s
        );
        assert!(
            s.contains("\nInitialR2T=No\n") && s.ends_with("QueuedCommands=32\n"),
            "{}",
            s
        );
        let n = negotiated_text(&Negotiated::defaults(&DEFAULT_SETTINGS));
        assert_eq!(n.lines().count(), 16);
        assert!(
            n.contains("MaxXmitDataSegmentLength=8192\n") && n.contains("InitialR2T=Yes\n"),
            "{}",
            n
        );
    }
}
