//! iscsi-scstd: the iSCSI target daemon.  Reads /etc/iscsi-scstd.conf and
//! the access files, listens on port 3260, and serves logins and
//! discovery sessions (docs/iscsi.md).
//!
//! Usage: iscsi-scstd [-f] [-d LEVEL] [-c CONFIG] [-a ADDRESS] [-p PORT]
//!                    [--allow FILE] [--deny FILE] [--pid-file FILE]
//!                    [--socket PATH]
//!
//! SIGTERM or SIGINT stop it cleanly: logins are refused, the targets it
//! added are deleted from the kernel (their sessions asked to log out),
//! the pid file and iscsi-scst-adm's socket are removed.  SIGHUP reads the access files again and
//! ends the live sessions they no longer allow.

use iscsi_scst_usr::limit::{self, Limits};
use iscsi_scst_usr::portal::{canonical, Paths, Portal};
use iscsi_scst_usr::{adm, conn, control, err, log, notice};
use nix::sys::signal::{SigSet, Signal};
use nix::unistd::{fork, setsid, ForkResult};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

struct Options {
    foreground: bool,
    debug: u32,
    paths: Paths,
    address: Option<IpAddr>,
    port: u16,
    pid_file: Option<String>,
    socket: String,
}

const USAGE: &str = "usage: iscsi-scstd [-f|--foreground] [-d|--debug LEVEL] [-c|--config FILE] [-a|--address ADDRESS] [-p|--port PORT] [--allow FILE] [--deny FILE] [--pid-file FILE] [--socket PATH]";

fn options() -> Result<Options, String> {
    let mut o = Options {
        foreground: false,
        debug: 0,
        paths: Paths::default(),
        address: None,
        port: 3260,
        pid_file: None,
        socket: adm::DEFAULT_SOCKET.to_string(),
    };
    let mut p = lexopt::Parser::from_env();
    while let Some(arg) = p.next().map_err(|e| e.to_string())? {
        use lexopt::Arg::{Long, Short, Value};
        let name = match arg {
            Short('f') | Long("foreground") => {
                o.foreground = true;
                continue;
            }
            Short('h') | Long("help") => {
                println!("{}", USAGE);
                std::process::exit(0);
            }
            Short('d') | Long("debug") => "--debug",
            Short('c') | Long("config") => "--config",
            Long("allow") => "--allow",
            Long("deny") => "--deny",
            Short('a') | Long("address") => "--address",
            Short('p') | Long("port") => "--port",
            Long("pid-file") => "--pid-file",
            Long("socket") => "--socket",
            Short(c) => return Err(format!("unknown option -{}", c)),
            Long(l) => return Err(format!("unknown option --{}", l)),
            Value(v) => return Err(format!("unexpected argument {}", v.to_string_lossy())),
        };
        let value = p
            .value()
            .ok()
            .and_then(|v| v.into_string().ok())
            .ok_or_else(|| format!("{} needs a value", name))?;
        let bad = |what: &str| format!("{} {}: not {}", name, value, what);
        match name {
            "--debug" => o.debug = value.parse().map_err(|_| bad("a number"))?,
            "--config" => o.paths.config = value,
            "--allow" => o.paths.allow = value,
            "--deny" => o.paths.deny = value,
            "--address" => {
                o.address = Some(
                    value
                        .trim_matches(['[', ']'])
                        .parse()
                        .map_err(|_| bad("an IP address"))?,
                )
            }
            "--port" => o.port = value.parse().map_err(|_| bad("a port"))?,
            "--pid-file" => o.pid_file = Some(value),
            _ => o.socket = value,
        }
    }
    Ok(o)
}

/// The listening sockets: the given address, or every IPv6 and IPv4
/// address (one dual-stack socket where IPv6 works, else IPv4 only).
fn listen(o: &Options) -> std::io::Result<TcpListener> {
    match o.address {
        Some(a) => TcpListener::bind(SocketAddr::new(a, o.port)),
        None => TcpListener::bind(SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), o.port))
            .or_else(|_| {
                TcpListener::bind(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), o.port))
            }),
    }
}

/// Goes to the background: the parent exits, the child leads a new
/// session.
fn daemonize() {
    // SAFETY: no other thread exists yet (called before any is started),
    // so the child may run anything; the parent only exits.
    match unsafe { fork() } {
        Err(e) => {
            err!("fork failed: {}", e);
            std::process::exit(1);
        }
        Ok(ForkResult::Child) => {
            // Fails only for a process group leader, which a fresh child
            // is not.
            let _ = setsid();
        }
        Ok(ForkResult::Parent { .. }) => std::process::exit(0),
    }
}

/// The signals one thread waits for: the ones the daemon stops on, and
/// SIGHUP (read the access files again).
fn stop_signals() -> SigSet {
    let mut set = SigSet::empty();
    for s in [Signal::SIGTERM, Signal::SIGINT, Signal::SIGHUP] {
        set.add(s);
    }
    set
}

/// Blocks the stop signals in this thread and the threads it starts; one
/// thread waits for them (`wait_for_stop`).
fn block_stop_signals() {
    if let Err(e) = stop_signals().thread_block() {
        err!("cannot block SIGTERM, SIGINT and SIGHUP: {}", e);
        std::process::exit(1);
    }
}

/// Reads the access files again on SIGHUP (`Portal::reload_access`).
/// Waits for SIGTERM or SIGINT, then stops: no more logins, the targets
/// this daemon added are deleted (the kernel asks their sessions to log
/// out), the pid file goes.
fn wait_for_stop(portal: Arc<Portal>, pid_file: Option<String>, socket: control::SocketFile) {
    let set = stop_signals();
    let sig = loop {
        // The set is blocked in every thread (`block_stop_signals`).
        match set.wait() {
            Ok(Signal::SIGHUP) => {}
            Ok(sig) => break sig,
            // Only for a set of invalid signals, which this is not:
            // stop rather than spin.
            Err(e) => {
                err!("sigwait: {}", e);
                break Signal::SIGTERM;
            }
        }
        match portal.reload_access() {
            Ok(n) => notice!(
                "SIGHUP: access rules in force; {} session(s) no longer allowed were ended",
                n
            ),
            Err(e) => err!("SIGHUP: {}; the access rules in force are unchanged", e),
        }
    };
    notice!("signal {}: stopping", sig);
    portal
        .stopping
        .store(true, std::sync::atomic::Ordering::Release);
    adm::delete_owned_targets(&portal);
    if let Some(i) = &portal.isns {
        i.stop();
    }
    if let Some(p) = pid_file {
        let _ = std::fs::remove_file(p);
    }
    socket.remove();
    notice!("stopped");
    std::process::exit(0);
}

/// Stops a daemon that cannot serve: nothing half-applied, the targets it
/// added to the kernel go again, and so does its socket.
fn give_up(
    mut portal: Portal,
    kernel: Option<iscsi_scst_usr::kernel::Kernel>,
    adm_socket: control::AdmSocket,
) -> ! {
    adm_socket.remove();
    portal.kernel = kernel;
    adm::delete_owned_targets(&portal);
    std::process::exit(1);
}

fn main() {
    let o = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("iscsi-scstd: {}\n{}", e, USAGE);
            std::process::exit(2);
        }
    };
    log::DEBUG.store(o.debug, std::sync::atomic::Ordering::Relaxed);
    let mut portal = match Portal::load(&o.paths) {
        Ok(p) => p,
        Err(e) => {
            err!("{}", e);
            std::process::exit(1);
        }
    };
    let config = portal.config();
    for n in &config.notices {
        notice!("{}", n);
    }
    // Before anything reaches the kernel, so that a daemon that cannot
    // have its socket leaves nothing behind.
    let adm_socket = match control::bind(&o.socket) {
        Ok(s) => s,
        Err(e) => {
            err!("{}", e);
            std::process::exit(1);
        }
    };
    // The kernel module gets the targets (it may be loaded later: then
    // normal sessions are refused until the daemon is restarted).
    let kernel = match iscsi_scst_usr::kernel::Kernel::open() {
        Ok(k) => k,
        Err(e) => {
            err!("{}: {}", iscsi_scst_usr::kernel::device_path(), e);
            adm_socket.remove();
            std::process::exit(1);
        }
    };
    let mut refused = false;
    match &kernel {
        None => notice!(
            "{} not found: the iscsi-scst module is not loaded; only discovery is served",
            iscsi_scst_usr::kernel::device_path()
        ),
        Some(k) => {
            for t in &config.targets {
                match k.add_target(t.tid, &t.name) {
                    Ok(true) => portal.own(t.tid),
                    Ok(false) => notice!("target {} was registered already", t.name),
                    Err(e) => {
                        err!(
                            "the kernel refused target {}: {} (see the kernel log)",
                            t.name,
                            e
                        );
                        refused = true;
                        break;
                    }
                }
            }
        }
    }
    if refused {
        give_up(portal, kernel, adm_socket);
    }
    let listener = match listen(&o) {
        Ok(l) => l,
        Err(e) => {
            err!("cannot listen on port {}: {}", o.port, e);
            give_up(portal, kernel, adm_socket);
        }
    };
    if !o.foreground {
        daemonize();
        log::use_syslog();
    }
    block_stop_signals();
    let pid_file = o
        .pid_file
        .clone()
        .or_else(|| (!o.foreground).then(|| "/run/iscsi-scstd.pid".to_string()));
    if let Some(p) = &pid_file {
        if let Err(e) = std::fs::write(p, format!("{}\n", std::process::id())) {
            err!("cannot write the pid file {}: {}", p, e);
        }
    }
    notice!(
        "listening on {} with {} target(s)",
        listener.local_addr().map_or("?".into(), |a| a.to_string()),
        config.targets.len()
    );
    // Kept open for the daemon's life.
    portal.kernel = kernel;
    if let Some(server) = &config.isns_server {
        portal.isns = Some(Arc::new(iscsi_scst_usr::isns::Isns::new(server, o.port)));
    }
    let portal = Arc::new(portal);
    if let Some(i) = portal.isns.clone() {
        let p = portal.clone();
        std::thread::spawn(move || i.run(|| p.config()));
    }
    let socket = adm_socket.serve(portal.clone());
    let p = portal.clone();
    std::thread::spawn(move || wait_for_stop(p, pid_file, socket));
    let limits = Arc::new(Limits::default());
    for s in listener.incoming() {
        match s {
            Ok(s) => serve_in_thread(s, &portal, &limits),
            Err(e) => {
                // Out of descriptors or memory: the pending connection
                // stays queued; accepting again at once would spin.
                if should_log(&ACCEPT_ERRORS) {
                    err!("accept: {} (logged the 1st, 2nd, 4th, ... time)", e);
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
        }
    }
}

static ACCEPT_ERRORS: AtomicU64 = AtomicU64::new(0);
static REFUSED: AtomicU64 = AtomicU64::new(0);

/// Counts an event; whether it is the 1st, 2nd, 4th, ... (an initiator
/// cannot flood the log).
fn should_log(counter: &AtomicU64) -> bool {
    (counter.fetch_add(1, Ordering::Relaxed) + 1).is_power_of_two()
}

/// Serves a new connection in a thread of its own, if the limits allow
/// one more (limit.rs) and a thread can be had; else closes it.
fn serve_in_thread(s: TcpStream, portal: &Arc<Portal>, limits: &Arc<Limits>) {
    let Ok(peer) = s.peer_addr() else { return };
    let address = canonical(peer.ip());
    let peer = SocketAddr::new(address, peer.port());
    let slot = match limits.take(address) {
        Ok(slot) => slot,
        Err(why) => {
            if should_log(&REFUSED) {
                let (what, n) = match why {
                    limit::Refused::Address => ("from this address", limit::PER_ADDRESS),
                    limit::Refused::Total => ("in all", limit::TOTAL),
                };
                notice!("{}: connection closed: {} connections {} in login or discovery already (logged the 1st, 2nd, 4th, ... time)", peer, n, what);
            }
            return;
        }
    };
    if s.set_read_timeout(Some(limit::IDLE))
        .and_then(|()| s.set_write_timeout(Some(limit::IDLE)))
        .is_err()
    {
        return;
    }
    let p = portal.clone();
    let spawned = std::thread::Builder::new()
        .name("iscsi-conn".into())
        .spawn(move || {
            let _slot = slot;
            conn::serve(s, &p);
        });
    if let Err(e) = spawned {
        err!("{}: connection closed: no thread for it: {}", peer, e);
    }
}
