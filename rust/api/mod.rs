// SPDX-License-Identifier: GPL-2.0

//! The SCST interface: the shared ABI and the calls a target driver or a
//! device handler makes into scst.ko.

pub(crate) mod abi;
pub(crate) mod client;
