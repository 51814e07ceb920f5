// SPDX-License-Identifier: GPL-2.0

//! scst_raid: the pass-through handler for SCSI storage array controllers (RAID, type 0x0c), "dev_raid".
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
    ScstRaid,
    "scst_raid",
    "SCST pass-through handler for SCSI storage array controllers (RAID, type 0x0c)",
    RAID,
    "dev_raid"
);
