// SPDX-License-Identifier: GPL-2.0

//! scst_tape: the pass-through handler for SCSI tapes (type 1), "dev_tape",
//! and "dev_tape_perf", whose READ and WRITE commands succeed without
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
    ScstTape,
    "scst_tape",
    "SCST pass-through handler for SCSI tapes (type 1)",
    TAPE,
    "dev_tape",
    "dev_tape_perf"
);
