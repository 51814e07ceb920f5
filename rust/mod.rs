// SPDX-License-Identifier: GPL-2.0

//! The project's binding layer, compiled into every module of the suite.
//!
//! Each module crate includes this file with `#[path = ".../rust/mod.rs"]`.
//! Only code in this directory touches [`bindings`]; modules in `core/`,
//! `handlers/` and `targets/` use the safe wrappers.  Not every module uses
//! every wrapper, hence `dead_code` is allowed here.
#![allow(dead_code)]

pub(crate) mod api;
mod bindings;
pub(crate) mod blockio;
pub(crate) mod crc;
pub(crate) mod file;
pub(crate) mod irqlock;
pub(crate) mod kthread;
pub(crate) mod miscdev;
pub(crate) mod procfs;
pub(crate) mod ratelimit;
// `no_std` and shared with the host crate, where its items are public.
#[allow(unreachable_pub)]
pub(crate) mod scsi;
pub(crate) mod scsi_devices;
pub(crate) mod scsi_exec;
pub(crate) mod scsi_host;
pub(crate) mod sg;
pub(crate) mod socket;
pub(crate) mod sys;
pub(crate) mod vec;
pub(crate) mod waitq;
