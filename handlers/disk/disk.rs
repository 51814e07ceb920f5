// SPDX-License-Identifier: GPL-2.0

//! scst_disk: the pass-through handler for SCSI disks (type 0), "dev_disk",
//! and "dev_disk_perf", whose READ and WRITE commands succeed without
//! reaching the device (link measurements; a read returns the buffer as
//! allocated: see the warning in docs/passthrough.md).
//! The shared code is in handlers/passthrough/.

use core::sync::atomic::AtomicU32;
use kernel::prelude::*;

#[path = "../../rust/mod.rs"]
mod scst_rs;

#[path = "../passthrough/fixups.rs"]
#[allow(dead_code, unreachable_pub)]
mod fixups;

#[path = "../passthrough/pt.rs"]
mod pt;

use scst_rs::api::abi::{ScstDevType, SCST_TRACE_DEFAULT};

module! {
    type: ScstDisk,
    name: "scst_disk",
    author: "SCST-rs developers",
    description: "SCST pass-through handler for SCSI disks (type 0)",
    license: "GPL",
}

static TRACE: AtomicU32 = AtomicU32::new(SCST_TRACE_DEFAULT);
static HANDLER: ScstDevType =
    pt::dev_type::<{ scst_rs::scsi::device_type::DISK }, false>(c"dev_disk", &TRACE);
static PERF_TRACE: AtomicU32 = AtomicU32::new(SCST_TRACE_DEFAULT);
static PERF: ScstDevType =
    pt::dev_type::<{ scst_rs::scsi::device_type::DISK }, true>(c"dev_disk_perf", &PERF_TRACE);

struct ScstDisk {
    _handlers: pt::Handlers,
}

impl kernel::Module for ScstDisk {
    fn init(module: &'static ThisModule) -> Result<Self> {
        Ok(Self {
            _handlers: pt::Handlers::register(&[&HANDLER, &PERF], module)?,
        })
    }
}
