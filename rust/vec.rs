// SPDX-License-Identifier: GPL-2.0

//! What the 6.12 `KVec` lacks, and whether a `VVec`'s pages are shared.

use kernel::prelude::*;

/// Removes and returns element `i`, shifting the rest down (order kept).
/// Returns `None` if `i` is out of bounds.
pub(crate) fn remove<T>(v: &mut KVec<T>, i: usize) -> Option<T> {
    let len = v.len();
    if i >= len {
        return None;
    }
    let base = v.as_mut_ptr();
    // SAFETY: `i < len`, so element `i` is initialized and read once; the
    // tail `i+1..len` is moved down by one within the allocation, and the
    // length is reduced so the moved-out slot `len-1` is never read again.
    unsafe {
        let item = core::ptr::read(base.add(i));
        core::ptr::copy(base.add(i + 1), base.add(i), len - i - 1);
        v.set_len(len - 1);
        Some(item)
    }
}

/// Keeps only the elements for which `keep` is true (order kept) and
/// returns how many were removed.
pub(crate) fn retain<T>(v: &mut KVec<T>, mut keep: impl FnMut(&T) -> bool) -> usize {
    let mut removed = 0;
    let mut i = 0;
    while let Some(item) = v.as_slice().get(i) {
        if keep(item) {
            i += 1;
        } else {
            drop(remove(v, i));
            removed += 1;
        }
    }
    removed
}

/// Hands each element to `f`, in order, leaving `v` empty with its
/// allocation kept for reuse.
pub(crate) fn drain<T>(v: &mut KVec<T>, mut f: impl FnMut(T)) {
    let len = v.len();
    let base = v.as_mut_ptr();
    // SAFETY: the length goes to 0 first, so the vector never touches the
    // `len` initialized elements again; each is moved out exactly once
    // below (a panic in `f` leaks the rest, never double-drops).
    unsafe { v.set_len(0) };
    for i in 0..len {
        // SAFETY: `i < len`: element `i` is initialized and not yet read.
        f(unsafe { core::ptr::read(base.add(i)) });
    }
}

/// Copies as much of `src` as fits into the start of `dst`; returns the
/// bytes copied.  Never panics: `copy_from_slice`'s length-mismatch panic
/// path is a function 6.12's objtool does not know to be noreturn under
/// newer rustc, so code that may reach it fails the build with a warning.
pub(crate) fn copy_prefix(dst: &mut [u8], src: &[u8]) -> usize {
    let n = dst.len().min(src.len());
    for (d, s) in dst.iter_mut().zip(src) {
        *d = *s;
    }
    n
}

/// Whether a page of `v` has a reference besides the vector's own: the
/// network still holds it after sending it without a copy
/// ([`super::socket::Socket::send_pages`]).
pub(crate) fn pages_shared(v: &kernel::alloc::VVec<u8>) -> bool {
    // SAFETY: `v` is a live vmalloc allocation of at least its length.
    unsafe { super::bindings::scst_rh_vmalloc_pages_shared(v.as_ptr().cast(), v.len()) }
}
