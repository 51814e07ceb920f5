// SPDX-License-Identifier: GPL-2.0

//! scst.ko: the SCSI target mid-level.
//!
//! Lifecycle: init reads the parameters, creates /proc/scsi_tgt, starts the
//! thread pool, builds the shared state with the "Default" group, creates
//! the core's /proc files and publishes the shared state to the exported
//! functions; exit undoes it in reverse.  See docs/core.md.

use kernel::{c_str, prelude::*, sync::Arc};

#[path = "../rust/mod.rs"]
mod scst_rs;

/// Logs (at info level) if the core's trace level has `$level`
/// (`trace::MGMT`, ...): `trace!(shared, level, fmt, args...)`.  Built
/// without CONFIG_SCST_TRACING (and CONFIG_SCST_DEBUG) it logs nothing:
/// the level is never even read.  The `pid`, `line` and `function` levels
/// prefix the message with where it comes from.
macro_rules! trace {
    ($shared:expr, $level:expr, $($arg:tt)*) => {
        if (cfg!(CONFIG_SCST_TRACING) || cfg!(CONFIG_SCST_DEBUG)) && $shared.traced($level) {
            fn here() {}
            let prefix = crate::trace::Prefix {
                mask: $shared.trace_mask(),
                pid: crate::scst_rs::sys::current_pid(),
                file: file!(),
                line: line!(),
                item: core::any::type_name_of_val(&here),
            };
            kernel::pr_info!("{}{}", prefix, format_args!($($arg)*));
        }
    };
}

/// `trace!` at level `debug` that exists only in CONFIG_SCST_DEBUG
/// builds: internals too costly to even test for otherwise.
macro_rules! trace_dbg {
    ($shared:expr, $($arg:tt)*) => {
        if cfg!(CONFIG_SCST_DEBUG) {
            trace!($shared, crate::trace::DEBUG, $($arg)*);
        }
    };
}

mod attach;
mod checks;
mod cmd;
mod devices;
mod exports;
mod exports_mgmt;
mod groups;
mod mgmt;
mod nexus;
mod params;
mod proc;
mod registry;
mod routes;
mod serial;
mod sessions;
mod sgv;
mod tgt_dev;
mod threads;
mod tm;
// Compiled always (its state is part of `Shared`); used with the option.
mod tm_dbg;
mod work;

// `no_std` files shared with the host crate, where their items are public.
// `cdb` and `lun` are vocabularies (tables and codecs) tested
// whole on the host, of which the core uses a part: unused items are fine.
#[allow(unreachable_pub)]
mod acl;
#[allow(unreachable_pub, dead_code)]
mod cdb;
#[allow(unreachable_pub)]
mod limits;
#[allow(unreachable_pub, dead_code)]
mod lun;
#[allow(unreachable_pub)]
mod names;
#[allow(unreachable_pub)]
mod proc_cmd;
#[allow(unreachable_pub, dead_code)]
mod taskset;
#[allow(unreachable_pub)]
mod trace;

use registry::{Shared, SharedRef};
use scst_rs::procfs::ProcDir;
use scst_rs::scsi_devices::ScsiDevInterface;

module! {
    type: Scst,
    name: "scst",
    author: "SCST-rs developers",
    description: "Generic SCSI target subsystem (SCST) core",
    license: "GPL",
}

struct Scst {
    /// CONFIG_SCST_DEBUG_TM's thread.
    tm_dbg: Option<scst_rs::kthread::KThread>,
    mgmt: Option<mgmt::MgmtThreads>,
    watcher: Option<ScsiDevInterface<devices::Watcher>>,
    published: Option<exports::Published>,
    files: Option<proc::CoreFiles>,
    shared: SharedRef,
}

/// The "Default" group and the core's files; on failure nothing remains.
fn populate(root: &ProcDir, shared: &SharedRef) -> Result<proc::CoreFiles> {
    let r =
        groups::add(shared, acl::DEFAULT_GROUP).and_then(|()| proc::CoreFiles::new(root, shared));
    if r.is_err() {
        groups::teardown(shared);
    }
    r
}

impl kernel::Module for Scst {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let params = params::read()?;
        let root = ProcDir::new(c_str!("scsi_tgt"), None)?;
        let groups_dir = ProcDir::new(c_str!("groups"), Some(&root))?;
        let work = Arc::pin_init(work::WorkQueue::new()?, GFP_KERNEL)?;
        let pool = threads::ThreadPool::start(params.threads, work.clone())?;
        let nthreads = pool.len();
        let tm_jobs = Arc::pin_init(mgmt::JobQueue::new(), GFP_KERNEL)?;
        let session_jobs = Arc::pin_init(mgmt::JobQueue::new(), GFP_KERNEL)?;
        let mgmt = mgmt::MgmtThreads::start(tm_jobs.clone(), session_jobs.clone())?;
        let mem = params.max_cmd_mem_mb.saturating_mul(1024 * 1024);
        let shared = Arc::pin_init(
            Shared::new(
                root.clone(),
                groups_dir,
                pool,
                work,
                (tm_jobs, session_jobs),
                mem,
            ),
            GFP_KERNEL,
        )?;
        let files = populate(&root, &shared)?;
        pr_info!(
            "SCST {} loaded: {} threads, scst_max_cmd_mem {} MiB\n",
            proc::SCST_VERSION,
            nthreads,
            params.max_cmd_mem_mb
        );
        let published = exports::Published::new(shared.clone());
        // Last: the midlayer's devices arrive from here on.
        let watcher = Arc::new(
            devices::Watcher {
                shared: shared.clone(),
            },
            GFP_KERNEL,
        )
        .map_err(Error::from)
        .and_then(ScsiDevInterface::register);
        let watcher = match watcher {
            Ok(w) => w,
            Err(e) => {
                groups::teardown(&shared);
                return Err(e);
            }
        };
        let tm_dbg = match cfg!(CONFIG_SCST_DEBUG_TM) {
            true => match scst_rs::kthread::KThread::run(c_str!("scst_tm_dbg"), tm_dbg::serve) {
                Ok(t) => Some(t),
                Err(e) => {
                    drop(watcher);
                    groups::teardown(&shared);
                    return Err(e);
                }
            },
            false => None,
        };
        Ok(Scst {
            tm_dbg,
            mgmt: Some(mgmt),
            watcher: Some(watcher),
            published: Some(published),
            files: Some(files),
            shared,
        })
    }
}

impl Drop for Scst {
    fn drop(&mut self) {
        // The midlayer's devices leave (removed from groups on the way).
        drop(self.watcher.take());
        // Nothing can call in any more (no module uses scst.ko), and
        // nothing is registered, so no management request is queued.
        drop(self.mgmt.take());
        drop(self.tm_dbg.take());
        drop(self.published.take());
        // No /proc write can create a group after this.
        drop(self.files.take());
        // Group files hold the shared state: remove them to free it.
        groups::teardown(&self.shared);
        if self.shared.threads.lock().resize(0).is_err() {
            pr_err!("could not stop all threads\n");
        }
        pr_info!("unloaded\n");
    }
}
