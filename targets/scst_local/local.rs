// SPDX-License-Identifier: GPL-2.0

//! scst_local: the local target driver.
//!
//! It registers the target driver "scst_local" with one target,
//! "scst_local_tgt", and `num_hosts` SCSI hosts (default 1), each with its
//! own session: the first host's initiator is "scst_local_host", the
//! others' "scst_local_host1", "scst_local_host2", ...  A host's commands
//! become SCST commands of its session, so the LUNs of the session's group
//! (listed by initiator name, else "Default_scst_local_tgt", else
//! "Default") appear as local SCSI devices: sd, sr, st, sg.
//!
//! A command is processed in the context that submits it (the SCSI host
//! may block; `SCST_CONTEXT_SUBMIT`) when its device's handler does its
//! I/O without waiting (vdisk BLOCKIO and NULLIO), through `exec` when that
//! only starts I/O (their READ and WRITE); otherwise by the SCST threads.
//!
//! A command's data stays in the midlayer's scatter-gather list, which
//! is offered to the core as the command's buffer: a handler that takes it
//! (vdisk's READ and WRITE) reads and writes those pages directly.  For
//! other commands the data is copied between the list and the core's
//! buffer.  The midlayer's error handling becomes SCST task
//! management: abort → ABORT TASK, device reset → LUN RESET, target and
//! host reset → TARGET RESET.  SCST returns from those only when the
//! affected commands are finished, and an aborted command is completed
//! with DID_RESET and no data (ignored by the midlayer if it timed out;
//! retried if a reset, this host's or another initiator's, aborted it).

use kernel::{c_str, fmt, prelude::*, str::CString, sync::Arc};

#[path = "../../rust/mod.rs"]
mod scst_rs;

// The SAM LUN codec, shared with the core.
#[allow(unreachable_pub, dead_code)]
#[path = "../../core/lun.rs"]
mod lun;

use kernel::{
    new_condvar, new_mutex,
    sync::{CondVar, Mutex},
};
use scst_rs::api::{
    abi::{
        SCST_ABORT_TASK, SCST_LUN_RESET, SCST_MAX_LUN_COMMANDS, SCST_MGMT_STATUS_SUCCESS,
        SCST_MGMT_STATUS_TASK_NOT_EXIST, SCST_TARGET_RESET,
    },
    cmd::{Cmd, Context, Direction},
    mgmt::MgmtRef,
    target::{CmdTag, Session, Target, TargetDriver, Template, Xfer},
};
use scst_rs::scsi::sense::{Sense, Status};
use scst_rs::scsi_host::{DataDir, EhRequest, HostOps, HostParams, ScsiCmd, ScsiCmdRef, ScsiHost};
use scst_rs::{sys, vec::copy_prefix};

module! {
    type: ScstLocal,
    name: "scst_local",
    author: "SCST-rs developers",
    description: "SCST local target driver: SCST devices as local SCSI devices",
    license: "GPL",
}

extern "C" {
    // This module's parameter, in local_glue.c.
    fn scst_local_max_luns() -> kernel::ffi::c_uint;
    fn scst_local_num_hosts() -> kernel::ffi::c_uint;
}

/// The driver: a command's data is the midlayer's command, a task
/// management request's the error handler waiting for it.
struct Local;

#[vtable]
impl TargetDriver for Local {
    type CmdData = ScsiCmd;
    type MgmtData = Arc<TmWait>;
    // Its sessions are its SCSI hosts, which the core cannot end.
    type SessData = ();

    const SG_TABLESIZE: u32 = 128;
    // Copying into the midlayer's list and completing it never sleep.
    const XMIT_RESPONSE_ATOMIC: bool = true;

    /// Copies a write's data from the midlayer's buffer into the command's.
    /// The core goes on in the context it called us in: a thread's, or the
    /// submitter's (`queue`).
    fn rdy_to_xfer(mut c: Cmd, scmd: ScsiCmdRef<'_>) -> Xfer {
        // In the midlayer's own pages already, or copied.
        let ok = c.uses_tgt_sg() || {
            let want = c.buffer().len();
            scmd.copy_to(c.buffer()) == want
        };
        Xfer::Now(c, ok)
    }

    /// Returns a command's data, status and sense to the midlayer.
    fn xmit_response(c: Cmd, scmd: ScsiCmd) {
        xmit_response(c, scmd)
    }

    fn task_mgmt_fn_done(m: &MgmtRef, w: Arc<TmWait>) {
        *w.status.lock() = Some(m.status());
        w.done.notify_all();
    }
}

fn xmit_response(mut c: Cmd, mut scmd: ScsiCmd) {
    // Atomic when a completion (a BLOCKIO bio's, a pass-through request's)
    // carries the command here (XMIT_RESPONSE_ATOMIC): nothing below
    // sleeps, and the core frees the command in the context it called us
    // in, which it knows (a guess from the CPU's state would miss an RCU
    // read-side section).
    let ctx = Context::Same;
    // Answered within our own `queue` (NULLIO): the block layer finishes
    // the request right here too.  From a thread or a completion, many
    // commands' answers batch instead.
    let inline = c.context() == Context::Submit;
    if c.aborted() {
        let len = scmd.bufflen();
        scmd.set_resid(len);
        scmd.set_aborted();
        c.tgt_done(ctx);
        complete(scmd, inline);
        return;
    }
    let dir = c.data_direction();
    let in_sg = c.uses_tgt_sg();
    let mut sent = 0;
    if dir.data_in() {
        let n = c.resp_len() as usize;
        sent = if in_sg {
            n
        } else {
            c.buffer().get(..n).map_or(0, |d| scmd.copy_from(d))
        };
    } else if dir == Direction::Write {
        // The core took all of the data from the list, or the bytes of
        // its buffer.
        sent = if in_sg {
            scmd.bufflen() as usize
        } else {
            c.buffer().len()
        };
    }
    let resid = scmd.bufflen().saturating_sub(sent as u32);
    scmd.set_resid(resid);
    scmd.set_status(c.status().0, c.sense());
    c.tgt_done(ctx);
    complete(scmd, inline);
}

fn complete(scmd: ScsiCmd, inline: bool) {
    if inline {
        scmd.done_inline();
    } else {
        scmd.done();
    }
}

/// An error-handler request waiting for its task management: the core
/// performs it in its own thread and calls `task_mgmt_fn_done`.
#[pin_data]
struct TmWait {
    #[pin]
    status: Mutex<Option<i32>>,
    #[pin]
    done: CondVar,
}

impl TmWait {
    /// Submits `func` and sleeps until it is done; its status, or `None`
    /// if the core refused it (and logged why).
    fn run(
        sess: &Session<Local>,
        func: i32,
        lun: Option<&[u8; 8]>,
        tag: Option<CmdTag>,
    ) -> Option<i32> {
        let w = Arc::pin_init(
            pin_init!(TmWait { status <- new_mutex!(None), done <- new_condvar!("scst_local_tm") }),
            GFP_KERNEL,
        )
        .ok()?;
        // The core's reference comes back in `task_mgmt_fn_done`.
        sess.task_mgmt(func, lun, tag, w.clone()).ok()?;
        let mut st = w.status.lock();
        loop {
            if let Some(s) = *st {
                return Some(s);
            }
            w.done.wait(&mut st);
        }
    }
}

/// The SCSI host's side: every command goes to the one session.
struct Host {
    /// Unregistered once the SCSI host is gone (with the last reference
    /// to this), so no command arrives for it then.
    sess: Session<Local>,
}

/// Completes a command the core never saw, with `status` and `sense`.
fn finish(mut scmd: ScsiCmd, status: Status, sense: Option<Sense>) {
    let fixed = sense.map(|s| s.to_fixed());
    let len = scmd.bufflen();
    scmd.set_resid(len);
    scmd.set_status(status.0, fixed.as_ref().map_or(&[][..], |f| &f[..]));
    scmd.done();
}

impl HostOps for Host {
    fn eh(&self, req: EhRequest, tag: CmdTag, lun: u64) -> bool {
        let func = match req {
            EhRequest::Abort => SCST_ABORT_TASK,
            EhRequest::DeviceReset => SCST_LUN_RESET,
            EhRequest::TargetReset | EhRequest::HostReset => SCST_TARGET_RESET,
        };
        let l = lun::encode(lun);
        let Some(st) = TmWait::run(&self.sess, func, l.as_ref(), Some(tag)) else {
            return false;
        };
        pr_info!("{:?} of LUN {}: task management status {}\n", req, lun, st);
        st == SCST_MGMT_STATUS_SUCCESS || st == SCST_MGMT_STATUS_TASK_NOT_EXIST
    }

    fn queue(&self, scmd: ScsiCmd) {
        // What the core allocates here must not wait for writeback through
        // this very queue, and the I/O it submits here (BLOCKIO, pass-
        // through) must not join the plug being flushed into this queue
        // (see `sys::unplugged`).
        sys::noio(|| sys::unplugged(|| self.submit(scmd)))
    }
}

impl Host {
    fn submit(&self, scmd: ScsiCmd) {
        let Some(lun) = lun::encode(scmd.lun()) else {
            // A LUN beyond what SCST can address.
            return finish(
                scmd,
                Status::CHECK_CONDITION,
                Some(Sense::LUN_NOT_SUPPORTED),
            );
        };
        let mut cdb = [0u8; 16];
        let n = copy_prefix(&mut cdb, scmd.cdb());
        let (dir, len) = (scmd.dir(), scmd.bufflen());
        let exp_dir = match dir {
            DataDir::None => Direction::None,
            DataDir::ToDevice => Direction::Write,
            DataDir::FromDevice => Direction::Read,
            DataDir::Bidi => Direction::Bidi,
        };
        let sg = scmd.sg();
        // This is process context (the host may block).
        match self.sess.rx(&lun, cdb.get(..n).unwrap_or(&[]), scmd, false) {
            Ok(c) => {
                c.set_expected(exp_dir, len);
                if matches!(exp_dir, Direction::Read | Direction::Write) {
                    // SAFETY: the midlayer's list for the command, valid
                    // until `xmit_response` completes it.
                    unsafe { c.set_tgt_sg(sg.0, sg.1, len) };
                }
                // The submitter (fio, a file system, blk-mq's kworker)
                // runs the command when its device's handler does not
                // wait for I/O (BLOCKIO, NULLIO), through `exec` when that
                // only starts I/O; others (FILEIO) go to the SCST threads.
                c.init_done(Context::Submit);
            }
            // The core refused the command (and logged why).
            Err(scmd) => finish(scmd, Status::BUSY, None),
        }
    }
}

struct ScstLocal {
    // Dropped in this order: the hosts (and their sessions) first, the
    // template last.
    _hosts: KVec<ScsiHost<Host>>,
    _target: Target<Local>,
    _tmpl: Template<Local>,
}

/// The initiator name of host `i`.
fn initiator(i: u32) -> Result<CString> {
    if i == 0 {
        CString::try_from_fmt(fmt!("scst_local_host"))
    } else {
        CString::try_from_fmt(fmt!("scst_local_host{}", i))
    }
}

fn add_host(
    module: &'static ThisModule,
    target: &Target<Local>,
    i: u32,
    max_luns: u32,
) -> Result<ScsiHost<Host>> {
    let sess = target.add_session(&initiator(i)?)?;
    let params = HostParams {
        name: c_str!("scst_local"),
        can_queue: 256,
        // One queue per CPU, as the SCST threads' lanes: a submitter
        // dispatches its own requests (with one queue, one submitter ends up
        // running another CPU's requests while that CPU idles, through an
        // I/O scheduler), and an answer given on the submitting CPU
        // completes the request right there, without the block softirq.
        hw_queues: sys::online_cpus(),
        // The core's limit per LUN, as SCST's scst_local: a deeper queue
        // gets TASK SET FULL, a shallower one idles the target.
        cmd_per_lun: SCST_MAX_LUN_COMMANDS,
        sg_tablesize: 128,
        max_sectors: 2048,
        max_lun: u64::from(max_luns),
        // Commands arrive in process context (`queue`), where the
        // core may sleep briefly: mutexes, allocations (NOIO).
        may_block: true,
        // The data pages go to handlers as they are (BLOCKIO puts them in
        // bios): whole 512-byte sectors, as block devices take them.
        dma_alignment: 511,
    };
    let host = ScsiHost::register(module, &params, Arc::new(Host { sess }, GFP_KERNEL)?)?;
    pr_info!(
        "host{} added for initiator {}, scanning {} LUNs\n",
        host.host_no(),
        &*initiator(i)?,
        max_luns
    );
    Ok(host)
}

impl kernel::Module for ScstLocal {
    fn init(module: &'static ThisModule) -> Result<Self> {
        // SAFETY: reads this module's parameter, set before init.
        let max_luns = unsafe { scst_local_max_luns() };
        if !(1..=16384).contains(&max_luns) {
            pr_err!("max_luns={} out of range 1..=16384\n", max_luns);
            return Err(EINVAL);
        }
        // SAFETY: as above.
        let num_hosts = unsafe { scst_local_num_hosts() };
        if !(1..=64).contains(&num_hosts) {
            pr_err!("num_hosts={} out of range 1..=64\n", num_hosts);
            return Err(EINVAL);
        }
        let tmpl = Template::<Local>::new(c_str!("scst_local"), module)?;
        let target = tmpl.add_target(c_str!("scst_local_tgt"))?;
        let mut hosts = KVec::with_capacity(num_hosts as usize, GFP_KERNEL)?;
        for i in 0..num_hosts {
            // On error, the hosts added so far are removed as `hosts` drops.
            hosts.push(add_host(module, &target, i, max_luns)?, GFP_KERNEL)?;
        }
        Ok(ScstLocal {
            _hosts: hosts,
            _target: target,
            _tmpl: tmpl,
        })
    }
}
