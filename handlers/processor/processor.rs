// SPDX-License-Identifier: GPL-2.0

//! scst_processor: the pass-through handler for SCSI processor devices (type 3), "dev_processor".
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
    type: ScstProcessor,
    name: "scst_processor",
    author: "SCST-rs developers",
    description: "SCST pass-through handler for SCSI processor devices (type 3)",
    license: "GPL",
}

static TRACE: AtomicU32 = AtomicU32::new(SCST_TRACE_DEFAULT);
static HANDLER: ScstDevType =
    pt::dev_type::<{ scst_rs::scsi::device_type::PROCESSOR }, false>(c"dev_processor", &TRACE);

struct ScstProcessor {
    _handlers: pt::Handlers,
}

impl kernel::Module for ScstProcessor {
    fn init(module: &'static ThisModule) -> Result<Self> {
        Ok(Self {
            _handlers: pt::Handlers::register(&[&HANDLER], module)?,
        })
    }
}
