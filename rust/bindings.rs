// SPDX-License-Identifier: GPL-2.0

//! Raw bindings from our own bindgen run (see `gen-bindings`), generated at
//! build time against the kernel the modules are built for.  Private to
//! `rust/`.
#![allow(
    non_camel_case_types,
    non_upper_case_globals,
    non_snake_case,
    improper_ctypes,
    unreachable_pub,
    unsafe_op_in_unsafe_fn,
    clippy::all,
    missing_docs
)]

use kernel::ffi;

// Blocklisted by the kernel's bindgen parameters, defined by hand exactly as
// the kernel's own `bindings` crate does.
type __kernel_size_t = usize;
type __kernel_ssize_t = isize;
type __kernel_ptrdiff_t = isize;

include!("generated/bindings.rs");
