// SPDX-License-Identifier: GPL-2.0

//! /proc directories and files.
//!
//! A file is read through seq_file: the whole content is produced by one
//! `show` call, so a reader never sees half of an update as long as `show`
//! takes the same lock the writer does.  A write is one command line: the
//! user buffer is copied in, checked to be UTF-8, stripped of its trailing
//! newline and handed to `write`.
//!
//! Lifetime: `proc_remove` waits for every running callback and closes every
//! open file, so once a [`ProcEntry`] is dropped none of its callbacks run
//! again and the data it points to may be freed.  A child entry holds a
//! reference to its parent directory, so directories always outlive their
//! entries and removal goes leaf first.

use super::bindings;
use core::{fmt, marker::PhantomData, ptr};
use kernel::{
    error::code::*,
    ffi::{c_int, c_void},
    prelude::*,
    str::CStr,
    sync::Arc,
    uaccess::UserSlice,
};

/// The longest command line a /proc file accepts.
pub(crate) const MAX_COMMAND_LEN: usize = 4096;

/// The behaviour of one kind of /proc file.
pub(crate) trait ProcFile: 'static {
    /// What the file's callbacks see.
    type Data: Send + Sync;

    /// Produces the whole content of the file.
    fn show(data: &Self::Data, out: &mut SeqOut<'_>) -> Result;

    /// Executes one command line written to the file.  Must either apply
    /// the whole command or nothing.
    fn write(_data: &Self::Data, _cmd: &str) -> Result {
        Err(EPERM)
    }
}

/// The seq_file a `show` call writes into.
pub(crate) struct SeqOut<'a> {
    seq: *mut bindings::seq_file,
    _p: PhantomData<&'a mut bindings::seq_file>,
}

impl fmt::Write for SeqOut<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        // SAFETY: `seq` is the live seq_file of the running show callback
        // (type invariant of the `'a` borrow), `s` is valid for `s.len()`.
        // On overflow seq_file discards the output and calls show again with
        // a bigger buffer, so the result needs no handling here.
        unsafe { bindings::seq_write(self.seq, s.as_ptr().cast(), s.len()) };
        Ok(())
    }
}

struct DirInner {
    entry: *mut bindings::proc_dir_entry,
    parent: Option<ProcDir>,
    /// Created (and so removed) by this handle; false for a directory
    /// another module owns (`ProcDir::borrowed`).
    owned: bool,
}

// SAFETY: a proc_dir_entry may be used and removed from any thread.
unsafe impl Send for DirInner {}
// SAFETY: `DirInner` is never mutated after creation.
unsafe impl Sync for DirInner {}

impl Drop for DirInner {
    fn drop(&mut self) {
        if self.owned {
            // SAFETY: `entry` was created by `proc_mkdir` and no child
            // remains (every child holds a reference to this directory).
            unsafe { bindings::proc_remove(self.entry) };
        }
    }
}

/// A /proc directory.
///
/// # Invariants
///
/// The directory exists until the last clone of this handle and the last
/// entry created in it are dropped.
#[derive(Clone)]
pub(crate) struct ProcDir(Arc<DirInner>);

impl ProcDir {
    /// Creates `name` under `parent`, or under /proc if `parent` is `None`.
    pub(crate) fn new(name: &CStr, parent: Option<&ProcDir>) -> Result<Self> {
        let parent_ptr = parent.map_or(ptr::null_mut(), |p| p.0.entry);
        // SAFETY: `name` is NUL-terminated; `parent_ptr` is null or a live
        // directory (invariant of `ProcDir`).
        let entry = unsafe { bindings::proc_mkdir(name.as_char_ptr(), parent_ptr) };
        if entry.is_null() {
            pr_err!("cannot create /proc directory {}\n", name);
            return Err(ENOMEM);
        }
        let inner = DirInner {
            entry,
            parent: parent.cloned(),
            owned: true,
        };
        Ok(Self(Arc::new(inner, GFP_KERNEL)?))
    }

    /// A directory created by someone else (scst.ko's
    /// /proc/scsi_tgt/<handler>/), to add files to.
    ///
    /// # Safety
    ///
    /// `entry` is a live /proc directory that stays until the returned
    /// handle and every entry created in it are dropped.
    pub(crate) unsafe fn borrowed(entry: *mut c_void) -> Result<Self> {
        if entry.is_null() {
            return Err(ENOENT);
        }
        let inner = DirInner {
            entry: entry.cast(),
            parent: None,
            owned: false,
        };
        Ok(Self(Arc::new(inner, GFP_KERNEL)?))
    }

    /// The directory's `proc_dir_entry`, for `ProcDir::borrowed` in
    /// another module.
    pub(crate) fn as_raw(&self) -> *mut c_void {
        self.0.entry.cast()
    }

    /// Creates the file `name` in this directory, served by `F` over `data`.
    pub(crate) fn file<F: ProcFile>(
        &self,
        name: &CStr,
        mode: u16,
        data: Arc<F::Data>,
    ) -> Result<ProcEntry> {
        let data_ptr = &*data as *const F::Data as *mut c_void;
        // SAFETY: `name` is NUL-terminated, the directory is live, the ops
        // table is `'static`, and `data` outlives the entry because the
        // returned `ProcEntry` keeps it until after `proc_remove`.
        let entry = unsafe {
            bindings::proc_create_data(
                name.as_char_ptr(),
                mode,
                self.0.entry,
                &Ops::<F>::TABLE,
                data_ptr,
            )
        };
        if entry.is_null() {
            pr_err!("cannot create /proc file {}\n", name);
            return Err(ENOMEM);
        }
        Ok(ProcEntry {
            entry,
            _dir: self.clone(),
            _data: Some(ArcAny::new(data)),
        })
    }
}

/// Keeps the data of a file alive without naming its type.
struct ArcAny(*const c_void, unsafe fn(*const c_void));

impl ArcAny {
    fn new<T: Send + Sync>(a: Arc<T>) -> Self {
        unsafe fn release<T>(p: *const c_void) {
            // SAFETY: `p` came from `Arc::into_raw` in `ArcAny::new::<T>`.
            drop(unsafe { Arc::<T>::from_raw(p.cast()) });
        }
        Self(Arc::into_raw(a).cast(), release::<T>)
    }
}

impl Drop for ArcAny {
    fn drop(&mut self) {
        // SAFETY: `self.1` is the release function matching `self.0`.
        unsafe { (self.1)(self.0) };
    }
}

/// A /proc file.
///
/// # Invariants
///
/// `entry` is a live file whose callbacks may run until this is dropped.
pub(crate) struct ProcEntry {
    entry: *mut bindings::proc_dir_entry,
    // Field order matters: the entry is removed in `drop` before these go.
    _dir: ProcDir,
    _data: Option<ArcAny>,
}

// SAFETY: see `DirInner`; the data is `Send + Sync` (bound of `ProcFile`).
unsafe impl Send for ProcEntry {}
// SAFETY: see `DirInner`.
unsafe impl Sync for ProcEntry {}

impl Drop for ProcEntry {
    fn drop(&mut self) {
        // SAFETY: `entry` is live (invariant); after this returns no callback
        // runs, so dropping the data and the directory next is safe.
        unsafe { bindings::proc_remove(self.entry) };
    }
}

struct Ops<F>(PhantomData<F>);

impl<F: ProcFile> Ops<F> {
    const TABLE: bindings::proc_ops = bindings::proc_ops {
        proc_open: Some(Self::open),
        proc_read: Some(bindings::seq_read),
        proc_write: Some(Self::write),
        proc_lseek: Some(bindings::seq_lseek),
        proc_release: Some(bindings::single_release),
        // SAFETY: all-zero is a valid `proc_ops` (no callbacks, no flags).
        ..unsafe { core::mem::zeroed() }
    };

    /// # Safety
    ///
    /// Called by procfs with a live inode of one of our entries.
    unsafe extern "C" fn open(inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
        // SAFETY: `inode` belongs to an entry created by `ProcDir::file`,
        // whose data pointer is an `F::Data` kept alive by its `ProcEntry`.
        unsafe { bindings::single_open(file, Some(Self::show), bindings::scst_rh_pde_data(inode)) }
    }

    /// # Safety
    ///
    /// Called by seq_file with the seq_file `open` created.
    unsafe extern "C" fn show(seq: *mut bindings::seq_file, _v: *mut c_void) -> c_int {
        // SAFETY: `private` is the data pointer `open` passed to single_open.
        let data = unsafe { &*((*seq).private as *const F::Data) };
        let mut out = SeqOut {
            seq,
            _p: PhantomData,
        };
        match F::show(data, &mut out) {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        }
    }

    /// # Safety
    ///
    /// Called by procfs for a file opened by `open`.
    unsafe extern "C" fn write(
        file: *mut bindings::file,
        buf: *const kernel::ffi::c_char,
        count: usize,
        _pos: *mut bindings::loff_t,
    ) -> isize {
        // SAFETY: `open` made `private_data` a seq_file whose `private` is
        // our `F::Data`.
        let data = unsafe {
            let seq = (*file).private_data as *const bindings::seq_file;
            &*((*seq).private as *const F::Data)
        };
        match write_command::<F>(data, buf as usize, count) {
            Ok(()) => count as isize,
            Err(e) => e.to_errno() as isize,
        }
    }
}

fn write_command<F: ProcFile>(data: &F::Data, buf: usize, count: usize) -> Result {
    if count == 0 || count > MAX_COMMAND_LEN {
        pr_err!(
            "/proc command of {} bytes refused (1..={} allowed)\n",
            count,
            MAX_COMMAND_LEN
        );
        return Err(EINVAL);
    }
    let mut bytes = KVec::with_capacity(count, GFP_KERNEL)?;
    UserSlice::new(buf, count).read_all(&mut bytes, GFP_KERNEL)?;
    let Ok(line) = core::str::from_utf8(&bytes) else {
        pr_err!("/proc command is not valid UTF-8\n");
        return Err(EINVAL);
    };
    F::write(data, line.strip_suffix('\n').unwrap_or(line))
}
