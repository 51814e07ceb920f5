//! What every connection shares: the configuration, the access rules and
//! the session handles (TSIHs); and the view of it a login needs.
//!
//! iscsi-scst-adm changes the configuration while logins run: each login
//! and each discovery answer works on a snapshot (`Portal::config`), and
//! a change replaces the whole snapshot at once (`Portal::update`), so no
//! one sees half of one.

use iscsi_proto::acl::{self, Rules};
use iscsi_proto::config::{self, Config};
use iscsi_proto::login;
use iscsi_proto::params::Settings;
use std::io::Read;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

/// Where the files are (`-c`, `--allow`, `--deny`).
#[derive(Clone)]
pub struct Paths {
    pub config: String,
    pub allow: String,
    pub deny: String,
}

impl Default for Paths {
    fn default() -> Self {
        Paths {
            config: "/etc/iscsi-scstd.conf".into(),
            allow: "/etc/initiators.allow".into(),
            deny: "/etc/initiators.deny".into(),
        }
    }
}

pub struct Portal {
    config: Mutex<Arc<Config>>,
    /// Held through a change (`update`), so changes are serialized while
    /// `config` is only ever held for a moment.
    changes: Mutex<()>,
    /// The kernel targets this daemon added (others: a previous daemon's,
    /// or another daemon's); it deletes them when it stops.
    owned: Mutex<Vec<u32>>,
    /// initiators.allow and initiators.deny, replaced whole by
    /// `reload_access` (SIGHUP).
    access: Mutex<Arc<Access>>,
    paths: Paths,
    /// The kernel module's control device, if the module is loaded.
    pub kernel: Option<crate::kernel::Kernel>,
    next_tsih: AtomicU16,
    /// The daemon is shutting down: logins to normal sessions are refused.
    pub stopping: AtomicBool,
    /// The iSNS client, when iscsi-scstd.conf names an iSNSServer.
    pub isns: Option<Arc<crate::isns::Isns>>,
}

/// The access rules: initiators.allow, then initiators.deny.
pub struct Access {
    pub allow: Rules,
    pub deny: Rules,
}

impl Access {
    fn load(p: &Paths) -> Result<Access, String> {
        let allow =
            acl::parse(&read_optional(&p.allow)?).map_err(|e| format!("{}: {}", p.allow, e))?;
        let deny =
            acl::parse(&read_optional(&p.deny)?).map_err(|e| format!("{}: {}", p.deny, e))?;
        Ok(Access { allow, deny })
    }
}

/// A file's text; a missing file reads as empty (no targets, no rules).
fn read_optional(path: &str) -> Result<String, String> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(e) => Err(format!("{}: {}", path, e)),
    }
}

impl Portal {
    /// Reads and checks the three files.  Errors name the file and line.
    pub fn load(p: &Paths) -> Result<Portal, String> {
        let config = config::parse(&read_optional(&p.config)?)
            .map_err(|e| format!("{}: {}", p.config, e))?;
        let access = Access::load(p)?;
        Ok(Portal {
            config: Mutex::new(Arc::new(config)),
            changes: Mutex::new(()),
            owned: Mutex::new(Vec::new()),
            access: Mutex::new(Arc::new(access)),
            paths: p.clone(),
            kernel: None,
            next_tsih: AtomicU16::new(first_tsih()),
            stopping: AtomicBool::new(false),
            isns: None,
        })
    }

    /// The configuration as it is now.
    pub fn config(&self) -> Arc<Config> {
        self.config
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Changes the configuration: `f` works on a copy, which replaces it
    /// only if `f` succeeds.  Changes are serialized; `f` may ask the
    /// kernel to agree while logins go on with the current snapshot.
    pub fn update<R>(&self, f: impl FnOnce(&mut Config) -> Result<R, String>) -> Result<R, String> {
        let _serial = self.changes.lock().unwrap_or_else(|e| e.into_inner());
        let mut c = (*self.config()).clone();
        let r = f(&mut c)?;
        *self.config.lock().unwrap_or_else(|e| e.into_inner()) = Arc::new(c);
        if let Some(i) = &self.isns {
            i.changed();
        }
        Ok(r)
    }

    /// Records that this daemon added kernel target `tid`.
    pub fn own(&self, tid: u32) {
        self.owned
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(tid);
    }

    pub fn disown(&self, tid: u32) {
        self.owned
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|&t| t != tid);
    }

    /// The kernel targets this daemon added.
    pub fn owned(&self) -> Vec<u32> {
        self.owned.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// A TSIH for a new session of target `tid`: never 0, and none a live
    /// session of the target has (the kernel's listing; a restarted
    /// daemon's counter may meet its predecessor's sessions).  The kernel
    /// refuses a TSIH in use too, but only after the login has been
    /// answered.
    pub fn new_tsih(&self, tid: Option<u32>) -> u16 {
        let listing = match (&self.kernel, tid) {
            (Some(_), Some(_)) => crate::kernel::session_listing().unwrap_or_default(),
            _ => String::new(),
        };
        let used: Vec<u16> = live_sessions(&listing)
            .iter()
            .filter(|s| Some(s.tid) == tid)
            .map(|s| s.sid as u16)
            .collect();
        // Bounded: with every TSIH taken the kernel refuses the last one.
        let mut t = 0;
        for _ in 0..=u16::MAX {
            t = self.next_tsih.fetch_add(1, Ordering::Relaxed);
            if t != 0 && !used.contains(&t) {
                break;
            }
        }
        t.max(1)
    }

    /// The kernel's number for a target.
    pub fn tid(&self, name: &[u8]) -> Option<u32> {
        self.config().target(name).map(|t| t.tid)
    }

    /// Whether `initiator` at `peer` may see and log in to `target`: the
    /// access files, and with iSNSAccessControl a discovery domain the two
    /// share.
    pub fn allowed(&self, target: &str, initiator: &str, peer: IpAddr) -> bool {
        if !self.access().admits(target, initiator, peer) {
            return false;
        }
        match &self.isns {
            Some(i) if self.config().isns_access_control => i.visible(target, initiator),
            _ => true,
        }
    }
}

impl Access {
    /// Whether the files let `initiator` at `peer` reach `target`.
    pub fn admits(&self, target: &str, initiator: &str, peer: IpAddr) -> bool {
        acl::allowed(&self.allow, &self.deny, target, initiator, peer)
    }
}

impl Portal {
    /// The access rules as they are now.
    pub fn access(&self) -> Arc<Access> {
        self.access
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Reads initiators.allow and initiators.deny again (SIGHUP): both
    /// replace the rules in use, or, if either has an error, neither does
    /// (the error names the file and line).  Then every live session the
    /// new rules refuse is ended (DEL_SESSION, at once): a rule that
    /// shuts an initiator out also takes away the access it has.
    /// Returns how many sessions were ended.
    pub fn reload_access(&self) -> Result<usize, String> {
        let a = Arc::new(Access::load(&self.paths)?);
        // Read before the rules change, so that an error changes nothing.
        let listing = match &self.kernel {
            Some(_) => crate::kernel::session_listing()?,
            None => String::new(),
        };
        *self.access.lock().unwrap_or_else(|e| e.into_inner()) = a.clone();
        crate::notice!("{} and {} read again", self.paths.allow, self.paths.deny);
        let Some(k) = &self.kernel else { return Ok(0) };
        let mut ended = 0;
        for s in live_sessions(&listing) {
            let Ok(r) = k.get_session(s.tid, s.sid) else {
                continue;
            };
            let peer = text(iscsi_proto::ctl::field_text(&r.peer));
            let Ok(addr) = peer.parse::<std::net::SocketAddr>() else {
                crate::err!(
                    "session {} of {}: address {} not understood; access not checked",
                    s.sid,
                    s.initiator,
                    peer
                );
                continue;
            };
            if a.admits(&s.target, &s.initiator, canonical(addr.ip())) {
                continue;
            }
            crate::notice!(
                "{} ({}): no longer allowed to {} by the access files: session {} ended",
                s.initiator,
                peer,
                s.target,
                s.sid
            );
            match k.del_session(s.tid, s.sid, 0) {
                Ok(()) => ended += 1,
                Err(e) => crate::err!(
                    "session {} of {}: the kernel did not end it: {}",
                    s.sid,
                    s.initiator,
                    e
                ),
            }
        }
        Ok(ended)
    }
}

/// A session in the kernel's listing (/proc/scsi_tgt/iscsi/session).
#[derive(Debug, PartialEq, Eq)]
pub struct LiveSession {
    pub tid: u32,
    pub target: String,
    pub sid: u64,
    pub initiator: String,
}

/// The sessions of the kernel's listing: `tid:N name:T` lines, each
/// followed by its `\tsid:S initiator:I` lines (and their connections).
pub fn live_sessions(listing: &str) -> Vec<LiveSession> {
    let mut out = Vec::new();
    let mut target: Option<(u32, &str)> = None;
    for line in listing.lines() {
        let field = |key: &str| line.split_whitespace().find_map(|w| w.strip_prefix(key));
        if !line.starts_with('\t') {
            target = field("tid:")
                .and_then(|t| t.parse().ok())
                .zip(field("name:"));
        } else if let (Some((tid, name)), Some(sid), Some(i)) =
            (target, field("sid:"), field("initiator:"))
        {
            if let Ok(sid) = sid.parse() {
                out.push(LiveSession {
                    tid,
                    target: name.to_string(),
                    sid,
                    initiator: i.to_string(),
                });
            }
        }
    }
    out
}

/// The IPv4 form of an IPv4-mapped IPv6 address (dual-stack sockets).
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// A login's view of the portal, for one connection.
pub struct LoginEnv<'a> {
    pub portal: &'a Portal,
    /// The configuration when the login step began.
    pub config: Arc<Config>,
    pub peer: IpAddr,
}

fn text(b: &[u8]) -> &str {
    std::str::from_utf8(b).unwrap_or("")
}

impl login::Env for LoginEnv<'_> {
    fn target(&self, name: &[u8]) -> Option<(Settings, u16)> {
        self.config.target(name).map(|t| (t.settings, 1))
    }

    fn allowed(&self, target: &[u8], initiator: &[u8]) -> bool {
        self.portal
            .allowed(text(target), text(initiator), self.peer)
    }

    fn needs_chap(&self, target: Option<&[u8]>) -> bool {
        match target {
            None => !self.config.incoming.is_empty(),
            Some(t) => self
                .config
                .target(t)
                .is_some_and(|t| !t.incoming.is_empty()),
        }
    }

    fn incoming_secret(
        &self,
        target: Option<&[u8]>,
        initiator: &[u8],
        user: &[u8],
    ) -> Option<&[u8]> {
        let users = match target {
            None => &self.config.incoming,
            Some(t) => &self.config.target(t)?.incoming,
        };
        // Accounts may share a name when bound to different initiators.
        let mut named = users
            .iter()
            .filter(|u| u.name.as_bytes() == user)
            .peekable();
        let first = *named.peek()?;
        if let Some(u) = named.find(|u| u.admits(initiator)) {
            return Some(u.secret.as_bytes());
        }
        crate::notice!(
            "CHAP account {} is bound to initiator {}, not to {}",
            first.name,
            first.initiator.as_deref().unwrap_or(""),
            text(initiator)
        );
        None
    }

    fn outgoing(&self, target: Option<&[u8]>) -> Option<(&[u8], &[u8])> {
        let u = match target {
            None => self.config.outgoing.as_ref(),
            Some(t) => self.config.target(t)?.outgoing.as_ref(),
        }?;
        Some((u.name.as_bytes(), u.secret.as_bytes()))
    }

    fn random(&mut self, buf: &mut [u8]) -> bool {
        let ok = std::fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(buf))
            .is_ok();
        if !ok {
            crate::err!("cannot read /dev/urandom for a CHAP challenge");
        }
        ok
    }

    fn md5(&self, parts: &[&[u8]]) -> [u8; 16] {
        use md5::{Digest, Md5};
        let mut h = Md5::new();
        parts.iter().for_each(|p| h.update(p));
        h.finalize().into()
    }
}

/// Where a daemon's TSIHs start: from the clock, so that a restarted
/// daemon does not begin with the TSIHs its predecessor gave to sessions
/// that still run in the kernel.
fn first_tsih() -> u16 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    (now.as_secs() as u16).wrapping_mul(251)
        ^ (now.subsec_micros() as u16)
        ^ (std::process::id() as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_kernel_listing() {
        let listing = "tid:1 name:iqn.2026-12.org.scst:a\n\tsid:281475899523073 initiator:iqn.1994-05.com.redhat:x\n\t\tcid:0 ip:127.0.0.1:51234 state:active hd:none dd:none\ntid:2 name:iqn.2026-12.org.scst:b\n\tsid:5 initiator:iqn.b\n";
        assert_eq!(
            live_sessions(listing),
            vec![
                LiveSession {
                    tid: 1,
                    target: "iqn.2026-12.org.scst:a".into(),
                    sid: 281475899523073,
                    initiator: "iqn.1994-05.com.redhat:x".into()
                },
                LiveSession {
                    tid: 2,
                    target: "iqn.2026-12.org.scst:b".into(),
                    sid: 5,
                    initiator: "iqn.b".into()
                },
            ]
        );
        assert_eq!(
            live_sessions("\tsid:1 initiator:orphan\ntid:x name:y\n\tsid:2 initiator:z\n"),
            vec![]
        );
    }
}
