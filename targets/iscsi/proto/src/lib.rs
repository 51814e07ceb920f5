//! The iSCSI protocol logic shared by the kernel module (which includes
//! the files it needs with `#[path]`) and by iscsi-scstd and
//! iscsi-scst-adm.  `no_std`; the files the kernel includes use no
//! allocation, the daemon-only ones (`config`, `acl`, `login`, `isns`) use
//! `alloc`.
#![cfg_attr(not(test), no_std)]

extern crate alloc;

pub mod acl;

pub mod chap;
pub mod config;
pub mod ctl;
pub mod isns;
pub mod login;
pub mod params;
pub mod pdu;
pub mod text;

/// MD5 for the tests (the daemon gives the same crate's through
/// `login::Env::md5`).
#[cfg(test)]
pub(crate) fn test_md5(parts: &[&[u8]]) -> [u8; 16] {
    use md5::{Digest, Md5};
    let mut h = Md5::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}
