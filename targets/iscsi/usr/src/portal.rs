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
    pub allow: Rules,
    pub deny: Rules,
    /// The kernel module's control device, if the module is loaded.
    pub kernel: Option<crate::kernel::Kernel>,
    next_tsih: AtomicU16,
    /// The daemon is shutting down: logins to normal sessions are refused.
    pub stopping: AtomicBool,
    /// The iSNS client, when iscsi-scstd.conf names an iSNSServer.
    pub isns: Option<Arc<crate::isns::Isns>>,
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
        let config = config::parse(&read_optional(&p.config)?).map_err(|e| format!("{}: {}", p.config, e))?;
        let allow = acl::parse(&read_optional(&p.allow)?).map_err(|e| format!("{}: {}", p.allow, e))?;
        let deny = acl::parse(&read_optional(&p.deny)?).map_err(|e| format!("{}: {}", p.deny, e))?;
        Ok(Portal {
            config: Mutex::new(Arc::new(config)),
            changes: Mutex::new(()),
            owned: Mutex::new(Vec::new()),
            allow,
            deny,
            kernel: None,
            next_tsih: AtomicU16::new(first_tsih()),
            stopping: AtomicBool::new(false),
            isns: None,
        })
    }

    /// The configuration as it is now.
    pub fn config(&self) -> Arc<Config> {
        self.config.lock().unwrap_or_else(|e| e.into_inner()).clone()
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
        self.owned.lock().unwrap_or_else(|e| e.into_inner()).push(tid);
    }

    pub fn disown(&self, tid: u32) {
        self.owned.lock().unwrap_or_else(|e| e.into_inner()).retain(|&t| t != tid);
    }

    /// The kernel targets this daemon added.
    pub fn owned(&self) -> Vec<u32> {
        self.owned.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// A TSIH for a new session (never 0).  The kernel refuses one a
    /// live session still has (after a restart of the daemon).
    pub fn new_tsih(&self) -> u16 {
        loop {
            let t = self.next_tsih.fetch_add(1, Ordering::Relaxed);
            if t != 0 {
                return t;
            }
        }
    }

    /// The kernel's number for a target.
    pub fn tid(&self, name: &[u8]) -> Option<u32> {
        self.config().target(name).map(|t| t.tid)
    }

    /// Whether `initiator` at `peer` may see and log in to `target`: the
    /// access files, and with iSNSAccessControl a discovery domain the two
    /// share.
    pub fn allowed(&self, target: &str, initiator: &str, peer: IpAddr) -> bool {
        if !acl::allowed(&self.allow, &self.deny, target, initiator, peer) {
            return false;
        }
        match &self.isns {
            Some(i) if self.config().isns_access_control => i.visible(target, initiator),
            _ => true,
        }
    }
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
        self.portal.allowed(text(target), text(initiator), self.peer)
    }

    fn needs_chap(&self, target: Option<&[u8]>) -> bool {
        match target {
            None => !self.config.incoming.is_empty(),
            Some(t) => self.config.target(t).is_some_and(|t| !t.incoming.is_empty()),
        }
    }

    fn incoming_secret(&self, target: Option<&[u8]>, initiator: &[u8], user: &[u8]) -> Option<&[u8]> {
        let users = match target {
            None => &self.config.incoming,
            Some(t) => &self.config.target(t)?.incoming,
        };
        let u = users.iter().find(|u| u.name.as_bytes() == user)?;
        if !u.admits(initiator) {
            crate::notice!(
                "CHAP account {} is bound to initiator {}, not to {}",
                u.name,
                u.initiator.as_deref().unwrap_or(""),
                text(initiator)
            );
            return None;
        }
        Some(u.secret.as_bytes())
    }

    fn outgoing(&self, target: Option<&[u8]>) -> Option<(&[u8], &[u8])> {
        let u = match target {
            None => self.config.outgoing.as_ref(),
            Some(t) => self.config.target(t)?.outgoing.as_ref(),
        }?;
        Some((u.name.as_bytes(), u.secret.as_bytes()))
    }

    fn random(&mut self, buf: &mut [u8]) -> bool {
        let ok = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(buf)).is_ok();
        if !ok {
            crate::err!("cannot read /dev/urandom for a CHAP challenge");
        }
        ok
    }
}

/// Where a daemon's TSIHs start: from the clock, so that a restarted
/// daemon does not begin with the TSIHs its predecessor gave to sessions
/// that still run in the kernel.
fn first_tsih() -> u16 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    (now.as_secs() as u16).wrapping_mul(251) ^ (now.subsec_micros() as u16) ^ (std::process::id() as u16)
}
