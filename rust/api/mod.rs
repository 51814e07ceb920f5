// SPDX-License-Identifier: GPL-2.0

//! The SCST interface: the shared ABI and the calls a target driver or a
//! device handler makes into scst.ko.

// Shared with the host crate, where its items are public.
#[allow(unreachable_pub)]
pub(crate) mod abi;
pub(crate) mod client;
pub(crate) mod cmd;
pub(crate) mod dev;
pub(crate) mod handler;
pub(crate) mod mgmt;
pub(crate) mod target;

/// The flags word of a registration table: the bits whose trait
/// constant is on.
fn flag_bits(flags: &[(bool, u32)]) -> u32 {
    flags
        .iter()
        .filter(|(on, _)| *on)
        .fold(0, |f, (_, bit)| f | bit)
}
