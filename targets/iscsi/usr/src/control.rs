//! The Unix socket between iscsi-scst-adm and iscsi-scstd (the requests
//! are in `adm.rs`): the daemon's listener and the tool's call.

use crate::adm::{self, Request};
use crate::portal::Portal;
use crate::{err, notice};
use nix::sys::socket::{getsockopt, sockopt::PeerCredentials};
use nix::sys::stat::{umask, Mode};
use std::io::{self, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::sync::Arc;

/// Longest request accepted: a few lines.
const MAX_REQUEST: u64 = 16 * 1024;
/// How long a client may take to send its request.
const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The user id of the process at the other end.
fn peer_uid(s: &UnixStream) -> io::Result<u32> {
    let cred = getsockopt(s, PeerCredentials)?;
    Ok(cred.uid())
}

/// The daemon's end of the socket: a filesystem socket that only root
/// can connect to, removed again when the daemon stops.
pub struct AdmSocket {
    listener: UnixListener,
    path: String,
}

/// Binds `path` for iscsi-scstd: mode 0600 from the start (the umask is
/// set around the bind).  A socket file nobody listens on (a daemon that
/// was killed) is replaced; one that answers means another iscsi-scstd
/// runs, and so does anything that is not a socket: both are errors, so
/// that two daemons never share one tool.  Call it before any thread
/// starts (the umask is the process's).
pub fn bind(path: &str) -> Result<AdmSocket, String> {
    use std::os::unix::fs::FileTypeExt;
    let what = |e: io::Error| format!("iscsi-scst-adm socket {}: {}", path, e);
    match std::fs::symlink_metadata(path) {
        Ok(m) if !m.file_type().is_socket() => {
            return Err(format!(
                "iscsi-scst-adm socket {}: exists and is not a socket",
                path
            ))
        }
        Ok(_) => match UnixStream::connect(path) {
            Ok(_) => {
                return Err(format!(
                    "iscsi-scst-adm socket {}: another iscsi-scstd serves it",
                    path
                ))
            }
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
                notice!(
                    "iscsi-scst-adm socket {}: left by a daemon that is gone; replaced",
                    path
                );
                std::fs::remove_file(path).map_err(what)?;
            }
            Err(e) => return Err(what(e)),
        },
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(what(e)),
    }
    let old = umask(Mode::from_bits_truncate(0o177));
    let bound = UnixListener::bind(path);
    umask(old);
    Ok(AdmSocket {
        listener: bound.map_err(what)?,
        path: path.to_string(),
    })
}

impl AdmSocket {
    /// Removes the socket: the daemon gives up before serving.
    pub fn remove(self) {
        SocketFile(self.path).remove();
    }

    /// Serves requests in a thread, each request in a thread of its own:
    /// a client that does not finish its request holds up no other
    /// (changes are serialized by `Portal::update`).  Returns the socket
    /// file, to remove when the daemon stops.
    pub fn serve(self, portal: Arc<Portal>) -> SocketFile {
        let file = SocketFile(self.path);
        std::thread::spawn(move || {
            for s in self.listener.incoming().flatten() {
                let p = portal.clone();
                std::thread::spawn(move || {
                    if let Err(e) = serve(&p, s) {
                        err!("iscsi-scst-adm request: {}", e);
                    }
                });
            }
        });
        file
    }
}

/// The path of a socket being served.
pub struct SocketFile(String);

impl SocketFile {
    /// Removes it (clients then get "no such file", not a dead socket).
    pub fn remove(self) {
        let _ = std::fs::remove_file(self.0);
    }
}

/// One request: root only, bounded, answered `ok` or `error MESSAGE`.
fn serve(p: &Portal, mut s: UnixStream) -> io::Result<()> {
    // The whole request is read first, so that the tool is not cut off
    // while still writing.
    s.set_read_timeout(Some(REQUEST_TIMEOUT))?;
    let mut text = String::new();
    (&mut s)
        .take(MAX_REQUEST)
        .read_to_string(&mut text)
        .map_err(|e| match e.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => io::Error::new(
                e.kind(),
                format!("no whole request within {} s", REQUEST_TIMEOUT.as_secs()),
            ),
            _ => e,
        })?;
    let uid = peer_uid(&s)?;
    let answer = if uid != 0 {
        notice!("iscsi-scst-adm request from uid {} refused: root only", uid);
        Err("permission denied: root only".to_string())
    } else {
        Request::decode(&text).and_then(|r| adm::execute(p, &r))
    };
    let out = match answer {
        Ok(out) => format!("ok\n{}", out),
        Err(e) => format!("error {}\n", e),
    };
    s.write_all(out.as_bytes())
}

/// The tool's side: sends `r` to the daemon at `path`; Ok(output) or
/// Err(message).  The tool talks only to a root process, wherever the
/// socket is: a request may carry CHAP secrets.
pub fn call(path: &str, r: &Request) -> Result<String, String> {
    let mut s = UnixStream::connect(path).map_err(|e| match e.kind() {
        io::ErrorKind::PermissionDenied => format!(
            "cannot reach iscsi-scstd at {}: permission denied: root only",
            path
        ),
        _ => format!(
            "cannot reach iscsi-scstd at {}: {} (is it running?)",
            path, e
        ),
    })?;
    let io = |e: io::Error| format!("talking to iscsi-scstd: {}", e);
    match peer_uid(&s).map_err(io)? {
        0 => {}
        uid => {
            return Err(format!(
                "{} belongs to uid {}, not to root's iscsi-scstd: nothing sent",
                path, uid
            ))
        }
    }
    s.write_all(r.encode().as_bytes()).map_err(io)?;
    s.shutdown(std::net::Shutdown::Write).map_err(io)?;
    let mut answer = String::new();
    s.read_to_string(&mut answer).map_err(io)?;
    match answer.split_once('\n') {
        Some(("ok", out)) => Ok(out.to_string()),
        Some((e, _)) if e.starts_with("error ") => Err(e["error ".len()..].to_string()),
        _ => Err(format!("iscsi-scstd answered {:?}", answer)),
    }
}
