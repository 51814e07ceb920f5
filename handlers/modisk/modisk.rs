// SPDX-License-Identifier: GPL-2.0

//! scst_modisk: the pass-through handler for SCSI optical memory (MO) disks (type 7), "dev_modisk",
//! and "dev_modisk_perf", whose READ and WRITE commands succeed without
//! reaching the device (link measurements; a read returns the buffer as
//! allocated: see the warning in docs/passthrough.md).
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
    ScstModisk,
    "scst_modisk",
    "SCST pass-through handler for SCSI optical memory (MO) disks (type 7)",
    OPTICAL,
    "dev_modisk",
    "dev_modisk_perf"
);
