//! What every connection shares: the configuration, the access rules and
//! the session handles (TSIHs); and the view of it a login needs.

use iscsi_proto::acl::{self, Rules};
use iscsi_proto::config::{self, Config};
use iscsi_proto::login;
use iscsi_proto::params::Settings;
use std::io::Read;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU16, Ordering};

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
    pub config: Config,
    pub allow: Rules,
    pub deny: Rules,
    /// The kernel module's control device, if the module is loaded.
    pub kernel: Option<crate::kernel::Kernel>,
    next_tsih: AtomicU16,
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
        Ok(Portal { config, allow, deny, kernel: None, next_tsih: AtomicU16::new(1) })
    }

    /// A TSIH for a new session (never 0).
    pub fn new_tsih(&self) -> u16 {
        loop {
            let t = self.next_tsih.fetch_add(1, Ordering::Relaxed);
            if t != 0 {
                return t;
            }
        }
    }

    /// The kernel's number for a target: its place in the file, from 1.
    pub fn tid(&self, name: &[u8]) -> Option<u32> {
        let i = self.config.targets.iter().position(|t| t.name.as_bytes().eq_ignore_ascii_case(name))?;
        u32::try_from(i + 1).ok()
    }

    pub fn allowed(&self, target: &str, initiator: &str, peer: IpAddr) -> bool {
        acl::allowed(&self.allow, &self.deny, target, initiator, peer)
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
    pub peer: IpAddr,
}

fn text(b: &[u8]) -> &str {
    std::str::from_utf8(b).unwrap_or("")
}

impl login::Env for LoginEnv<'_> {
    fn target(&self, name: &[u8]) -> Option<(Settings, u16)> {
        self.portal.config.target(name).map(|t| (t.settings, 1))
    }

    fn allowed(&self, target: &[u8], initiator: &[u8]) -> bool {
        self.portal.allowed(text(target), text(initiator), self.peer)
    }

    fn needs_chap(&self, target: Option<&[u8]>) -> bool {
        match target {
            None => !self.portal.config.incoming.is_empty(),
            Some(t) => self.portal.config.target(t).is_some_and(|t| !t.incoming.is_empty()),
        }
    }

    fn incoming_secret(&self, target: Option<&[u8]>, user: &[u8]) -> Option<&[u8]> {
        let users = match target {
            None => &self.portal.config.incoming,
            Some(t) => &self.portal.config.target(t)?.incoming,
        };
        users.iter().find(|u| u.name.as_bytes() == user).map(|u| u.secret.as_bytes())
    }

    fn outgoing(&self, target: Option<&[u8]>) -> Option<(&[u8], &[u8])> {
        let u = match target {
            None => self.portal.config.outgoing.as_ref(),
            Some(t) => self.portal.config.target(t)?.outgoing.as_ref(),
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
