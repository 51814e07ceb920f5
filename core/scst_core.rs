// SPDX-License-Identifier: GPL-2.0

//! scst.ko: the SCSI target mid-level.
//!
//! Lifecycle: init reads the parameters, creates /proc/scsi_tgt, starts the
//! thread pool and then publishes the shared state to the exported
//! functions; exit undoes it in reverse.  See docs/core.md.

use kernel::{prelude::*, sync::Arc};

#[path = "../rust/mod.rs"]
mod scst_rs;

mod exports;
// `no_std` files shared with the host crate, where their items are public.
#[allow(unreachable_pub)]
mod limits;
#[allow(unreachable_pub)]
mod names;
mod params;
mod proc;
mod registry;
mod threads;

use registry::Shared;
use scst_rs::procfs::ProcDir;

module! {
    type: Scst,
    name: "scst",
    author: "SCST-rs developers",
    description: "Generic SCSI target subsystem (SCST) core",
    license: "GPL",
}

struct Scst {
    // Dropped in this order: withdraw the exported state first, then stop
    // the threads, then remove /proc entries.
    _published: exports::Published,
    _threads: threads::ThreadPool,
    _files: proc::CoreFiles,
}

impl kernel::Module for Scst {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let params = params::read()?;
        let root = ProcDir::new(kernel::c_str!("scsi_tgt"), None)?;
        let shared = Arc::pin_init(Shared::new(root.clone()), GFP_KERNEL)?;
        let files = proc::CoreFiles::new(&root, &shared)?;
        let threads = threads::ThreadPool::start(params.threads)?;
        pr_info!(
            "SCST {} loaded: {} threads, scst_max_cmd_mem {} MiB\n",
            proc::SCST_VERSION,
            threads.len(),
            params.max_cmd_mem_mb
        );
        Ok(Scst { _published: exports::Published::new(shared), _threads: threads, _files: files })
    }
}

impl Drop for Scst {
    fn drop(&mut self) {
        pr_info!("unloaded\n");
    }
}
