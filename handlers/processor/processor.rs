// SPDX-License-Identifier: GPL-2.0

//! scst_processor: the pass-through handler for SCSI processor devices (type 3), "dev_processor".
//! The shared code is in handlers/passthrough/.

#[path = "../../rust/mod.rs"]
mod scst_rs;

#[path = "../passthrough/fixups.rs"]
#[allow(dead_code, unreachable_pub)]
mod fixups;

#[macro_use]
#[path = "../passthrough/pt.rs"]
mod pt;

pt_module!(
    ScstProcessor,
    "scst_processor",
    "SCST pass-through handler for SCSI processor devices (type 3)",
    PROCESSOR,
    "dev_processor"
);
