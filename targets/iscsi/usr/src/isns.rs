//! iscsi-scstd's iSNS client (RFC 4171; the messages are in
//! `iscsi_proto::isns`): registers the targets, with the portal the
//! server sees us on, at the `iSNSServer` of iscsi-scstd.conf; renews
//! the registration within the period the server grants; registers again
//! whenever the targets change (each registration replaces the last);
//! deregisters when the daemon stops. With `iSNSAccessControl Yes` it
//! also answers whether an initiator may see a target: only if the two
//! share a discovery domain.

use crate::{debug, err, notice};
use iscsi_proto::config::Config;
use iscsi_proto::isns::{self, func, Node};
use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// How long a request to the server may take.
const TIMEOUT: Duration = Duration::from_secs(5);
/// Retry interval after a failed registration.
const RETRY: Duration = Duration::from_secs(30);

pub struct Isns {
    server: String,
    /// Our iSCSI port, registered with the address.
    port: u16,
    entity: String,
    xid: AtomicU16,
    /// Set when the targets changed; the thread then registers at once.
    changed: Mutex<bool>,
    wake: Condvar,
    /// A node we registered (a DevDereg must name one as its source).
    registered: Mutex<Option<String>>,
    /// The daemon stops: no more registrations.
    stopped: AtomicBool,
    /// Held through a registration or the final deregistration.
    serial: Mutex<()>,
}

/// `host`, `host:port`, `ip` or `[ipv6]:port`; the port defaults to 3205.
fn server_address(s: &str) -> io::Result<SocketAddr> {
    if let Ok(a) = s.parse::<SocketAddr>() {
        return Ok(a);
    }
    if let Ok(ip) = s.trim_matches(['[', ']']).parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, isns::PORT));
    }
    let with_port = if s.contains(':') {
        s.to_string()
    } else {
        format!("{}:{}", s, isns::PORT)
    };
    with_port
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no address"))
}

fn invalid(what: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what)
}

impl Isns {
    pub fn new(server: &str, port: u16) -> Isns {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
        Isns {
            server: server.to_string(),
            port,
            entity: format!("iscsi-scstd:{}:{}", host.trim(), port),
            xid: AtomicU16::new(1),
            changed: Mutex::new(false),
            wake: Condvar::new(),
            registered: Mutex::new(None),
            stopped: AtomicBool::new(false),
            serial: Mutex::new(()),
        }
    }

    /// One request (built for its transaction id and the connection's
    /// local address) and its response, if that says success.
    fn exchange(
        &self,
        build: impl FnOnce(u16, SocketAddr) -> Vec<u8>,
        function: u16,
    ) -> io::Result<Vec<u8>> {
        let addr = server_address(&self.server)?;
        let mut s = TcpStream::connect_timeout(&addr, TIMEOUT)?;
        s.set_read_timeout(Some(TIMEOUT))?;
        let xid = self.xid.fetch_add(1, Ordering::Relaxed);
        s.write_all(&build(xid, s.local_addr()?))?;
        let mut msg = vec![0u8; 12];
        s.read_exact(&mut msg)?;
        let mut header = [0u8; 12];
        header.copy_from_slice(&msg);
        let mut body = vec![0u8; isns::payload_len(&header)];
        s.read_exact(&mut body)?;
        msg.extend_from_slice(&body);
        isns::response(&msg, function, xid).map_err(|e| invalid(format!("{:?}", e)))?;
        Ok(msg)
    }

    /// `msg`, a response `exchange` checked, parsed again.
    fn parsed(msg: &[u8], function: u16) -> Option<isns::Response<'_>> {
        isns::response(
            msg,
            function,
            u16::from_be_bytes([*msg.get(8)?, *msg.get(9)?]),
        )
        .ok()
    }

    /// Registers the targets of `c` (or deregisters when there are none);
    /// returns the registration period the server granted.
    pub fn register(&self, c: &Config) -> io::Result<Option<u32>> {
        let _serial = self.serial.lock().unwrap_or_else(|e| e.into_inner());
        if c.targets.is_empty() || self.stopped.load(Ordering::Acquire) {
            self.deregister();
            return Ok(None);
        }
        let nodes: Vec<Node<'_>> = c
            .targets
            .iter()
            .map(|t| Node {
                name: &t.name,
                alias: t.alias.as_deref(),
            })
            .collect();
        // The portal: the address the server's connection came in on.
        let build = |xid, local: SocketAddr| {
            let ip = match local.ip() {
                IpAddr::V4(a) => a.to_ipv6_mapped().octets(),
                IpAddr::V6(a) => a.octets(),
            };
            isns::register(
                xid,
                &self.entity,
                isns::Portal {
                    ip,
                    port: self.port,
                },
                &nodes,
            )
            .unwrap_or_default()
        };
        let msg = self.exchange(build, func::DEV_ATTR_REG)?;
        *self.registered.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(nodes[0].name.to_string());
        Ok(Self::parsed(&msg, func::DEV_ATTR_REG).and_then(|r| r.registration_period()))
    }

    /// The daemon stops: deregisters, and registers no more.
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::Release);
        let _serial = self.serial.lock().unwrap_or_else(|e| e.into_inner());
        self.deregister();
    }

    /// Removes this daemon's entity from the server (if it registered).
    fn deregister(&self) {
        let Some(source) = self
            .registered
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        else {
            return;
        };
        match self.exchange(
            |xid, _| isns::deregister(xid, &self.entity, &source),
            func::DEV_DEREG,
        ) {
            Ok(_) => notice!("iSNS: deregistered from {}", self.server),
            Err(e) => err!("iSNS: deregistering from {}: {}", self.server, e),
        }
    }

    /// Whether `initiator` may see `target` (they share a discovery
    /// domain); false if the server cannot be asked.
    pub fn visible(&self, target: &str, initiator: &str) -> bool {
        match self.exchange(
            |xid, _| isns::query_visible(xid, target, initiator),
            func::DEV_ATTR_QRY,
        ) {
            Ok(msg) => {
                Self::parsed(&msg, func::DEV_ATTR_QRY).is_some_and(|r| r.lists_name(initiator))
            }
            Err(e) => {
                err!(
                    "iSNS: cannot ask {} whether {} may see {}: {} (refused)",
                    self.server,
                    initiator,
                    target,
                    e
                );
                false
            }
        }
    }

    /// The targets changed: register again now.
    pub fn changed(&self) {
        *self.changed.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.wake.notify_all();
    }

    /// The registration thread: registers, then again within half the
    /// granted period, or at once when the targets change.
    pub fn run(&self, config: impl Fn() -> std::sync::Arc<Config>) {
        while !self.stopped.load(Ordering::Acquire) {
            let c = config();
            let wait = match self.register(&c) {
                Ok(period) => {
                    notice!(
                        "iSNS: registered {} target(s) with {} (period {})",
                        c.targets.len(),
                        self.server,
                        period.map_or("none".into(), |p| format!("{} s", p))
                    );
                    Duration::from_secs(u64::from(period.unwrap_or(600) / 2).max(10))
                }
                Err(e) => {
                    err!(
                        "iSNS: registering with {}: {} (again in {} s)",
                        self.server,
                        e,
                        RETRY.as_secs()
                    );
                    RETRY
                }
            };
            let mut changed = self.changed.lock().unwrap_or_else(|e| e.into_inner());
            if self.stopped.load(Ordering::Acquire) {
                break;
            }
            if !*changed {
                changed = self
                    .wake
                    .wait_timeout(changed, wait)
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
            }
            debug!("iSNS: registering again (targets changed: {})", *changed);
            *changed = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_addresses() {
        assert_eq!(
            server_address("10.0.0.5").unwrap(),
            "10.0.0.5:3205".parse().unwrap()
        );
        assert_eq!(
            server_address("10.0.0.5:4000").unwrap(),
            "10.0.0.5:4000".parse().unwrap()
        );
        assert_eq!(
            server_address("[fd00::1]").unwrap(),
            "[fd00::1]:3205".parse().unwrap()
        );
        assert_eq!(
            server_address("[fd00::1]:4000").unwrap(),
            "[fd00::1]:4000".parse().unwrap()
        );
        assert_eq!(server_address("localhost").unwrap().port(), 3205);
    }
}
