// SPDX-License-Identifier: GPL-2.0

//! A target driver's scatter-gather list as a command's data buffer
//! (`scst_cmd_set_tgt_sg`): the initiator-side pages themselves, which a
//! handler reads into and writes from with no copy in between.
//!
//! Only this binding layer looks inside the list; handlers get its
//! [`Segment`]s and hand them to [`crate::scst_rs::file::File::rw_sg`] or
//! [`crate::scst_rs::blockio::BlockDev::submit_sg`].

use super::api::abi::ScstSg;
use super::bindings;
use core::marker::PhantomData;
use core::ptr::NonNull;

/// A scatter-gather list holding a command's data.
///
/// # Invariants
///
/// `first` is the first of `nents` entries of a kernel `struct
/// scatterlist` (chained as `sg_next` follows them) whose lengths add up
/// to at least `len` bytes; the list and its pages stay valid, and are
/// used by no one else, for `'a`.
pub(crate) struct SgList<'a> {
    first: NonNull<bindings::scatterlist>,
    nents: u32,
    len: u32,
    _data: PhantomData<&'a mut [u8]>,
}

impl SgList<'_> {
    /// Wraps a list; `None` if `sg` is null.
    ///
    /// # Safety
    ///
    /// `sg` is null or satisfies the type invariants for the returned
    /// lifetime.
    pub(crate) unsafe fn from_raw(sg: *mut ScstSg, nents: u32, len: u32) -> Option<Self> {
        let first = NonNull::new(sg.cast::<bindings::scatterlist>())?;
        Some(Self {
            first,
            nents,
            len,
            _data: PhantomData,
        })
    }

    /// The bytes of data the list holds.
    pub(crate) fn len(&self) -> usize {
        self.len as usize
    }

    /// Its entries (an upper bound on its segments).
    pub(crate) fn entries(&self) -> usize {
        self.nents as usize
    }

    /// Its pieces, in order, up to `len()` bytes.
    pub(crate) fn segments(&self) -> Segments<'_> {
        Segments {
            sg: self.first.as_ptr(),
            entries: self.nents,
            bytes: self.len,
            _list: PhantomData,
        }
    }
}

/// A run of bytes within physically contiguous pages.
#[derive(Clone, Copy)]
pub(crate) struct Segment {
    pub(super) page: *mut bindings::page,
    pub(super) offset: u32,
    pub(super) len: u32,
}

impl Segment {
    pub(crate) fn len(&self) -> u32 {
        self.len
    }
}

/// The segments of an [`SgList`].
pub(crate) struct Segments<'a> {
    /// The next entry, valid while `entries > 0` (the list's invariant).
    sg: *mut bindings::scatterlist,
    entries: u32,
    bytes: u32,
    _list: PhantomData<&'a SgList<'a>>,
}

impl Iterator for Segments<'_> {
    type Item = Segment;

    fn next(&mut self) -> Option<Segment> {
        while self.entries > 0 && self.bytes > 0 && !self.sg.is_null() {
            let sg = self.sg;
            // SAFETY: `sg` is one of the list's `nents` entries (invariant
            // of `SgList`, counted by `entries`).
            let (page, offset, len) =
                unsafe { (bindings::scst_rh_sg_page(sg), (*sg).offset, (*sg).length) };
            let len = len.min(self.bytes);
            self.bytes -= len;
            self.entries -= 1;
            if self.entries > 0 {
                // SAFETY: as above; a chain entry is followed.
                self.sg = unsafe { bindings::sg_next(sg) };
            }
            if len > 0 {
                return Some(Segment { page, offset, len });
            }
        }
        None
    }
}
