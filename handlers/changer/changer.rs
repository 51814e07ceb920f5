// SPDX-License-Identifier: GPL-2.0

//! scst_changer: the pass-through handler for SCSI medium changers (type 8), "dev_changer".
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
    ScstChanger,
    "scst_changer",
    "SCST pass-through handler for SCSI medium changers (type 8)",
    CHANGER,
    "dev_changer"
);
