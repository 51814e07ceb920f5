// SPDX-License-Identifier: GPL-2.0

//! scst_vdisk's `no_std` files as the host crate (tests/host) sees them:
//! siblings, as in the module.  Not part of the kernel build.

pub mod commands;
pub mod mmc;
pub mod scsi;
