// SPDX-License-Identifier: GPL-2.0

//! iscsi-scst: the kernel half of the iSCSI target (docs/iscsi.md).
//!
//! It registers the target driver "iscsi" and the control device
//! /dev/iscsi-scst-ctl, through which iscsi-scstd adds and deletes
//! targets.  Each target is an SCST target named by its IQN, so its
//! initiators see the LUNs of group "Default_<iqn>" (or of the group
//! their name is in).  /proc/scsi_tgt/iscsi/ has `version`, `trace_level`
//! and `session`, the listing of targets (and, with the full feature
//! phase, of their sessions and connections).
//!
//! Lock order: `Targets::list`, then the core's registry (taken inside
//! target registration).

// `Session`'s pin-initializer has more fields than the default limit of
// macro recursion allows.
#![recursion_limit = "512"]

use core::sync::atomic::Ordering;
use kernel::{
    c_str, fmt, new_mutex,
    prelude::*,
    str::CString,
    sync::{Arc, ArcBorrow, Mutex},
};

#[path = "../../../rust/mod.rs"]
mod scst_rs;

// The protocol files shared with iscsi-scstd.
#[allow(unreachable_pub, dead_code)]
#[path = "../proto/src/ctl.rs"]
mod ctl;
#[allow(unreachable_pub, dead_code)]
#[path = "../proto/src/params.rs"]
mod params;
#[allow(unreachable_pub, dead_code)]
#[path = "../proto/src/pdu.rs"]
mod pdu;
#[allow(unreachable_pub, dead_code)]
#[path = "../proto/src/text.rs"]
mod text;

mod session;

use scst_rs::api::target::{Target as ScstTarget, Template};
use scst_rs::kthread::KThread;
use scst_rs::miscdev::{Ioctl, MiscDevice, MiscFile};
use scst_rs::procfs::{ProcEntry, ProcFile, SeqOut};

module! {
    type: IscsiScst,
    name: "iscsi_scst",
    author: "SCST-rs developers",
    description: "SCST iSCSI target driver",
    license: "GPL",
}

/// A session and its receive thread.
struct SessionEntry {
    sess: Arc<session::Session>,
    thread: Option<KThread>,
}

impl SessionEntry {
    /// Ends the connection and waits for the thread.
    fn stop(&mut self) {
        self.sess.stop();
        drop(self.thread.take());
    }
}

/// Seconds a session has to log out when its target is deleted.
const LOGOUT_WAIT_S: u16 = 5;
/// The longest DEL_SESSION may give a session to log out.
const MAX_LOGOUT_WAIT_S: u32 = 600;

/// A target iscsi-scstd added.
struct Target {
    tid: u32,
    name: CString,
    /// Dropped after `reg`'s sessions are stopped (see `Drop`).
    sessions: KVec<SessionEntry>,
    reg: ScstTarget<session::Iscsi>,
}

impl Target {
    /// Asks every session to log out and waits up to `secs` seconds for
    /// them to; dropping the target ends the rest.
    fn log_out_sessions(&self, secs: u16) {
        let live = || {
            self.sessions
                .iter()
                .filter(|s| !s.sess.ended.load(Ordering::Acquire))
        };
        live().for_each(|s| s.sess.request_logout(secs));
        scst_rs::sys::wait_up_to(u32::from(secs) * 1000, || live().next().is_none());
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        for s in self.sessions.iter_mut() {
            s.stop();
        }
    }
}

#[pin_data]
struct Targets {
    #[pin]
    list: Mutex<KVec<Target>>,
    /// The driver's registration, dropped after the targets (emptied in
    /// `IscsiScst::drop`), with the last reference to this.
    tmpl: Template<session::Iscsi>,
}

impl Targets {
    fn add(&self, r: &ctl::TargetReq) -> Result {
        let name = r.name().ok_or_else(|| {
            pr_err!("control: add target: the name is no valid iSCSI name\n");
            EINVAL
        })?;
        let mut list = self.list.lock();
        let same = |t: &Target| t.tid == r.tid || t.name.as_bytes().eq_ignore_ascii_case(name);
        if let Some(t) = list.iter().find(|t| same(t)) {
            pr_err!(
                "control: add target {} (tid {}): target {} has tid {}\n",
                BStr(name),
                r.tid,
                &*t.name,
                t.tid
            );
            return Err(EEXIST);
        }
        let cname = CString::try_from_fmt(fmt!("{}", BStr(name)))?;
        let reg = self.tmpl.add_target(&cname)?;
        list.push(
            Target {
                tid: r.tid,
                name: cname,
                sessions: KVec::new(),
                reg,
            },
            GFP_KERNEL,
        )?;
        Ok(())
    }

    /// A logged-in connection of a new session (ADD_CONN).
    fn add_conn(&self, r: &ctl::ConnReq) -> Result {
        let initiator = r.initiator().ok_or_else(|| {
            pr_err!("control: add connection: the initiator name is not NUL-terminated printable text\n");
            EINVAL
        })?;
        if r.params.header_digest > 1 || r.params.data_digest > 1 {
            pr_err!("control: add connection: digests other than None (0) and CRC32C (1)\n");
            return Err(EINVAL);
        }
        if r.params.max_recv_data_segment_length < 512
            || r.params.max_xmit_data_segment_length < 512
        {
            pr_err!("control: add connection: data segment lengths below 512\n");
            return Err(EINVAL);
        }
        let sock = scst_rs::socket::Socket::from_fd(r.fd).inspect_err(|_| {
            pr_err!(
                "control: add connection: fd {} is no TCP socket of the caller\n",
                r.fd
            );
        })?;
        let mut list = self.list.lock();
        let Some(t) = list.iter_mut().find(|t| t.tid == r.tid) else {
            pr_err!("control: add connection: no target with tid {}\n", r.tid);
            return Err(ENOENT);
        };
        // Finished sessions go; a session of the same initiator and ISID
        // is replaced (session reinstatement, RFC 7143 6.3.5).
        scst_rs::vec::retain(&mut t.sessions, |s| !s.sess.ended.load(Ordering::Acquire));
        let same = |s: &session::Session| {
            s.isid == r.isid && s.initiator.as_bytes().eq_ignore_ascii_case(initiator)
        };
        // A TSIH names one live session of the target (RFC 7143 11.12.6):
        // a connection that brings another's (a daemon restarted with its
        // counter from the start, or a forged login) is refused, never
        // mixed with that session.
        if let Some(s) = t
            .sessions
            .iter()
            .find(|s| s.sess.tsih == r.tsih && !same(&s.sess))
        {
            pr_err!(
                "control: add connection: TSIH {} of {} is in use by session {} of {}\n",
                r.tsih,
                BStr(initiator),
                ctl::sid(&s.sess.isid, s.sess.tsih),
                &*s.sess.initiator
            );
            return Err(EEXIST);
        }
        for s in t.sessions.iter_mut() {
            if same(&s.sess) {
                pr_info!(
                    "session {} of {} reinstated\n",
                    s.sess.tsih,
                    &*s.sess.initiator
                );
                s.stop();
            }
        }
        scst_rs::vec::retain(&mut t.sessions, |s| s.thread.is_some());
        let sess = session::Session::new(&t.reg, &t.name, r, initiator, sock)?;
        let name = CString::try_from_fmt(fmt!("iscsi_rx{}_{}", r.tid, r.tsih))?;
        let s2 = sess.clone();
        let thread = KThread::run(&name, move || s2.run())?;
        t.sessions.push(
            SessionEntry {
                sess,
                thread: Some(thread),
            },
            GFP_KERNEL,
        )?;
        Ok(())
    }

    /// Deletes a target: out of the list first (no new sessions), then its
    /// sessions are asked to log out, and the rest are ended.
    fn delete(&self, r: &ctl::TargetReq) -> Result {
        let mut list = self.list.lock();
        let Some(i) = list.iter().position(|t| t.tid == r.tid) else {
            pr_err!("control: delete target: no target with tid {}\n", r.tid);
            return Err(ENOENT);
        };
        let t = scst_rs::vec::remove(&mut list, i);
        drop(list);
        if let Some(t) = t {
            t.log_out_sessions(LOGOUT_WAIT_S);
            pr_info!("target {} (tid {}) deleted\n", &*t.name, t.tid);
        }
        Ok(())
    }

    /// The live session `sid` of target `tid`.
    fn session(&self, tid: u32, sid: u64) -> Result<Arc<session::Session>> {
        let list = self.list.lock();
        let t = list.iter().find(|t| t.tid == tid).ok_or(ENOENT)?;
        let s = t
            .sessions
            .iter()
            .map(|s| &s.sess)
            .find(|s| !s.ended.load(Ordering::Acquire) && ctl::sid(&s.isid, s.tsih) == sid);
        s.cloned().ok_or(ENOENT)
    }

    /// GET_SESSION, DEL_SESSION and DEL_CONN.
    fn session_request(&self, cmd: u32, r: &mut ctl::SessionReq) -> Result {
        // GET_SESSION of a session that does not exist is a question
        // (iscsi-scstd asks it for every login that names a TSIH), not
        // an error.
        let s = self.session(r.tid, r.sid).inspect_err(|_| {
            if cmd != ctl::GET_SESSION {
                pr_err!("control: no session {} in target tid {}\n", r.sid, r.tid);
            }
        })?;
        match cmd {
            ctl::GET_SESSION => {
                r.params = s.params;
                ctl::set_field(&mut r.initiator, s.initiator.as_bytes());
                ctl::set_field(&mut r.peer, s.peer.as_bytes());
            }
            ctl::DEL_SESSION => {
                if r.timeout > MAX_LOGOUT_WAIT_S {
                    pr_err!(
                        "control: delete session: a logout timeout of {} s, more than {}\n",
                        r.timeout,
                        MAX_LOGOUT_WAIT_S
                    );
                    return Err(EINVAL);
                }
                pr_info!(
                    "session {} ({}): the target asks for a logout within {} s\n",
                    &*s.initiator,
                    &*s.peer,
                    r.timeout
                );
                s.request_logout(r.timeout as u16);
                if !s.wait_ended(r.timeout * 1000) {
                    s.stop();
                }
            }
            _ => {
                if u32::from(s.cid) != r.cid {
                    pr_err!(
                        "control: delete connection: session {} has no connection {}\n",
                        r.sid,
                        r.cid
                    );
                    return Err(ENOENT);
                }
                pr_info!(
                    "session {} ({}): connection {} dropped by the administrator\n",
                    &*s.initiator,
                    &*s.peer,
                    r.cid
                );
                s.stop();
            }
        }
        Ok(())
    }
}

/// Bytes shown as text (names were checked to be printable ASCII).
pub(crate) struct BStr<'a>(pub(crate) &'a [u8]);

impl core::fmt::Display for BStr<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.0.iter().try_for_each(|&c| f.write_char(char::from(c)))
    }
}

use core::fmt::Write;

/// /dev/iscsi-scst-ctl, through which iscsi-scstd adds targets and hands
/// over connections.
struct CtlFile;

/// Largest block a control request carries.
const CTL_MAX_BLOCK: usize = 4096;

#[vtable]
impl MiscFile for CtlFile {
    type Ctx = Arc<Targets>;
    type Data = Arc<Targets>;
    const ADMIN_ONLY: bool = true;

    fn open(targets: &Arc<Targets>) -> Result<Arc<Targets>> {
        Ok(targets.clone())
    }

    fn ioctl(targets: ArcBorrow<'_, Targets>, req: &Ioctl) -> Result<i32> {
        let len = req.size();
        if len == 0 || len > CTL_MAX_BLOCK {
            return Err(ENOTTY);
        }
        let mut block = KVec::from_elem(0u8, len, GFP_KERNEL)?;
        if req.dir_in() {
            req.user(0, len).reader().read_slice(&mut block)?;
        }
        let r = match req.cmd {
            ctl::ADD_TARGET | ctl::DEL_TARGET => target_request(&targets, req.cmd, &block),
            ctl::ADD_CONN => conn_request(&targets, &block),
            ctl::GET_SESSION | ctl::DEL_SESSION | ctl::DEL_CONN => {
                session_request(&targets, req.cmd, &mut block)
            }
            _ => {
                pr_err!("control: unknown request {:#x}\n", req.cmd);
                Err(ENOTTY)
            }
        };
        r?;
        if req.dir_out() {
            req.user(0, len).writer().write_slice(&block)?;
        }
        Ok(0)
    }
}

fn target_request(targets: &Targets, cmd: u32, block: &[u8]) -> Result {
    let r = ctl::TargetReq::from_bytes(block).ok_or(EINVAL)?;
    if r.version != ctl::VERSION {
        pr_err!("control: request version {}, this module speaks {}: iscsi-scstd and iscsi-scst do not match\n", r.version, ctl::VERSION);
        return Err(EINVAL);
    }
    if cmd == ctl::ADD_TARGET {
        targets.add(&r)
    } else {
        targets.delete(&r)
    }
}

fn conn_request(targets: &Targets, block: &[u8]) -> Result {
    let r = ctl::ConnReq::from_bytes(block).ok_or(EINVAL)?;
    if r.version != ctl::VERSION {
        pr_err!("control: request version {}, this module speaks {}: iscsi-scstd and iscsi-scst do not match\n", r.version, ctl::VERSION);
        return Err(EINVAL);
    }
    targets.add_conn(&r)
}

fn session_request(targets: &Targets, cmd: u32, block: &mut [u8]) -> Result {
    let mut r = ctl::SessionReq::from_bytes(block).ok_or(EINVAL)?;
    if r.version != ctl::VERSION {
        pr_err!("control: request version {}, this module speaks {}: iscsi-scstd and iscsi-scst do not match\n", r.version, ctl::VERSION);
        return Err(EINVAL);
    }
    targets.session_request(cmd, &mut r)?;
    r.to_bytes(block).ok_or(EINVAL)
}

/// /proc/scsi_tgt/iscsi/session: IET's format.
struct SessionFile;

impl ProcFile for SessionFile {
    type Data = Arc<Targets>;

    fn show(t: &Arc<Targets>, out: &mut SeqOut<'_>) -> Result {
        let e = |_| ENOMEM;
        for t in t.list.lock().iter() {
            writeln!(out, "tid:{} name:{}", t.tid, &*t.name).map_err(e)?;
            for s in t
                .sessions
                .iter()
                .map(|s| &s.sess)
                .filter(|s| !s.ended.load(Ordering::Acquire))
            {
                let digest = |d: u32| if d != 0 { "crc32c" } else { "none" };
                writeln!(
                    out,
                    "\tsid:{} initiator:{}",
                    ctl::sid(&s.isid, s.tsih),
                    &*s.initiator
                )
                .map_err(e)?;
                writeln!(
                    out,
                    "\t\tcid:{} ip:{} state:active hd:{} dd:{}",
                    s.cid,
                    &*s.peer,
                    digest(s.params.header_digest),
                    digest(s.params.data_digest)
                )
                .map_err(e)?;
            }
        }
        Ok(())
    }
}

/// /proc/scsi_tgt/iscsi/version: the version and the build options.
struct VersionFile;

impl ProcFile for VersionFile {
    type Data = ();

    fn show(_: &(), out: &mut SeqOut<'_>) -> Result {
        let e = |_| ENOMEM;
        writeln!(out, "1.0.2-rs").map_err(e)?;
        let options = [
            (cfg!(CONFIG_SCST_DEBUG), "DEBUG"),
            (cfg!(CONFIG_SCST_TRACING), "TRACING"),
            (cfg!(CONFIG_SCST_EXTRACHECKS), "EXTRACHECKS"),
            (
                cfg!(CONFIG_SCST_ISCSI_DEBUG_DIGEST_FAILURES),
                "DEBUG_DIGEST_FAILURES",
            ),
        ];
        for (on, name) in options {
            if on {
                writeln!(out, "{}", name).map_err(e)?;
            }
        }
        Ok(())
    }
}

struct IscsiScst {
    // Dropped in this order (after `drop` unregistered the device): the
    // files, the targets, the driver.
    ctl: Option<MiscDevice<CtlFile>>,
    files: KVec<ProcEntry>,
    targets: Arc<Targets>,
}

impl kernel::Module for IscsiScst {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let tmpl = Template::new(c_str!("iscsi"), module)?;
        let targets = Arc::pin_init(
            pin_init!(Targets { list <- new_mutex!(KVec::new()), tmpl }),
            GFP_KERNEL,
        )?;
        let dir = targets.tmpl.proc_dir()?;
        let mut files = KVec::new();
        files.push(
            dir.file::<VersionFile>(c_str!("version"), 0o444, Arc::new((), GFP_KERNEL)?)?,
            GFP_KERNEL,
        )?;
        files.push(
            dir.file::<SessionFile>(
                c_str!("session"),
                0o444,
                Arc::new(targets.clone(), GFP_KERNEL)?,
            )?,
            GFP_KERNEL,
        )?;
        let ctl = MiscDevice::register(c_str!("iscsi-scst-ctl"), 0o600, targets.clone(), module)
            .inspect_err(|e| pr_err!("cannot register /dev/{} ({:?})\n", ctl::DEVICE_NAME, e))?;
        Ok(IscsiScst {
            ctl: Some(ctl),
            files,
            targets,
        })
    }
}

impl Drop for IscsiScst {
    fn drop(&mut self) {
        // No file is open (it would hold the module), so no request runs.
        drop(self.ctl.take());
        drop(core::mem::take(&mut self.files));
        drop(core::mem::take(&mut *self.targets.list.lock()));
    }
}
