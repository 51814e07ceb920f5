// SPDX-License-Identifier: GPL-2.0

//! scst_changer: the pass-through handler for SCSI medium changers (type 8), "dev_changer".
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
    type: ScstChanger,
    name: "scst_changer",
    author: "SCST-rs developers",
    description: "SCST pass-through handler for SCSI medium changers (type 8)",
    license: "GPL",
}

static TRACE: AtomicU32 = AtomicU32::new(SCST_TRACE_DEFAULT);
static HANDLER: ScstDevType =
    pt::dev_type::<{ scst_rs::scsi::device_type::CHANGER }, false>(c"dev_changer", &TRACE);

struct ScstChanger {
    _handlers: pt::Handlers,
}

impl kernel::Module for ScstChanger {
    fn init(module: &'static ThisModule) -> Result<Self> {
        Ok(Self {
            _handlers: pt::Handlers::register(&[&HANDLER], module)?,
        })
    }
}
