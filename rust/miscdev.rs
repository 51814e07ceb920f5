// SPDX-License-Identifier: GPL-2.0

//! Character devices of the misc class: `/dev/<name>` with a dynamic
//! minor (devtmpfs and udev create the node), served by a [`MiscFile`]
//! implementation with per-open-file state.  The kernel crate has this
//! only from 6.13 on; this follows its shape.
//!
//! An open file holds the module that registered the device (the file
//! operations' owner), so the device, registered for the module's
//! lifetime, outlives every file.  Should a [`MiscDevice`] be dropped
//! with files still open anyway, its table is leaked (and logged), never
//! freed under them.

use super::bindings;
use super::waitq::WaitQueue;
use core::marker::PhantomData;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicUsize, Ordering};
use kernel::{
    build_error,
    error::{to_result, VTABLE_DEFAULT_ERROR},
    ffi::{c_int, c_long, c_uint, c_ulong},
    prelude::*,
    str::CStr,
    types::{ForeignOwnable, Opaque},
    uaccess::UserSlice,
    ThisModule,
};

/// An open file's state as lent to a callback.
pub(crate) type FileBorrow<'a, T> = <<T as MiscFile>::Data as ForeignOwnable>::Borrowed<'a>;

/// One ioctl call.
pub(crate) struct Ioctl {
    /// The request code (`_IOC` encoding).
    pub(crate) cmd: u32,
    /// The argument: a user address for requests that carry a block.
    pub(crate) arg: usize,
    /// The file was opened with `O_NONBLOCK`: do not wait.
    pub(crate) nonblock: bool,
}

impl Ioctl {
    /// The block size the request code states.
    pub(crate) fn size(&self) -> usize {
        ((self.cmd >> 16) & 0x3fff) as usize
    }

    /// The request carries a block from user space (`_IOC_WRITE`).
    pub(crate) fn dir_in(&self) -> bool {
        self.cmd & (1 << 30) != 0
    }

    /// The request returns a block to user space (`_IOC_READ`).
    pub(crate) fn dir_out(&self) -> bool {
        self.cmd & (2 << 30) != 0
    }

    /// The user memory at `arg + offset`, `len` bytes long.
    pub(crate) fn user(&self, offset: usize, len: usize) -> UserSlice {
        UserSlice::new(self.arg.wrapping_add(offset), len)
    }
}

/// The poll table of a running `poll` call.
pub(crate) struct PollTable<'a> {
    file: *mut bindings::file,
    pt: *mut bindings::poll_table_struct,
    _p: PhantomData<&'a ()>,
}

impl PollTable<'_> {
    /// Has the poller woken when `wq` is woken.  `WaitQueue`'s drop
    /// detaches pollers still registered, so any queue will do.
    pub(crate) fn wait_on(&self, wq: &WaitQueue) {
        // SAFETY: `file` and `pt` are the running call's (invariant of
        // the `'a` borrow); `wq` is initialised.
        unsafe { bindings::scst_rh_poll_wait(self.file, wq.as_raw(), self.pt) }
    }
}

/// `poll` results.
pub(crate) mod poll {
    /// Data to read (a command to fetch).
    pub(crate) const IN: u32 = 0x0001 | 0x0040;
    /// Room to write.
    pub(crate) const OUT: u32 = 0x0004 | 0x0100;
    /// The peer is gone.
    pub(crate) const HUP: u32 = 0x0010;
    /// An error.
    pub(crate) const ERR: u32 = 0x0008;
}

/// The behaviour of a misc device's files.
#[vtable]
pub(crate) trait MiscFile: Sized + 'static {
    /// What the device gives every `open` (set at registration).
    type Ctx: Send + Sync;
    /// An open file's state, from `open` to `release`.
    type Data: ForeignOwnable + Send + Sync;

    /// Only a caller with CAP_SYS_ADMIN may issue requests (others get
    /// EPERM).
    const ADMIN_ONLY: bool = false;

    /// A file is being opened.  Process context.
    fn open(ctx: &Self::Ctx) -> Result<Self::Data>;

    /// The file's last reference is gone.  Process context.
    fn release(_data: Self::Data) {}

    /// An ioctl request: its non-negative result, or the error.
    fn ioctl(data: FileBorrow<'_, Self>, req: &Ioctl) -> Result<i32>;

    /// Which `poll` events are ready; registers with the queues that
    /// signal a change (`PollTable::wait_on`).
    fn poll(_data: FileBorrow<'_, Self>, _table: &PollTable<'_>) -> u32 {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// The table the kernel holds: the file operations (first, so a file's
/// `f_op` leads back here), the misc device (whose list links the kernel
/// rewrites under its own lock: both are `Opaque`), the context.
#[repr(C)]
struct Inner<T: MiscFile> {
    fops: Opaque<bindings::file_operations>,
    misc: Opaque<bindings::miscdevice>,
    ctx: T::Ctx,
    open_files: AtomicUsize,
}

/// A registered misc device, meant to live as long as its module: a
/// file open keeps the module loaded, so the module's exit, where this
/// is dropped, comes after every file is gone.
///
/// # Invariants
///
/// `inner` comes from `KBox::into_raw`; its `misc` is registered with
/// `misc_register` until dropped (the kernel links it into its list, and
/// open files point at its `fops`: the pointers given to the kernel are
/// derived from `inner`, so they cover the whole table).
pub(crate) struct MiscDevice<T: MiscFile> {
    inner: NonNull<Inner<T>>,
}

// SAFETY: the device is a handle: registering and deregistering work
// from any thread, and the context is `Send + Sync`.
unsafe impl<T: MiscFile> Send for MiscDevice<T> {}
// SAFETY: shared access changes nothing.
unsafe impl<T: MiscFile> Sync for MiscDevice<T> {}

impl<T: MiscFile> MiscDevice<T> {
    /// Registers `/dev/<name>` with node permissions `mode` on behalf of
    /// `module`.
    pub(crate) fn register(
        name: &'static CStr,
        mode: u16,
        ctx: T::Ctx,
        module: &'static ThisModule,
    ) -> Result<Self> {
        // SAFETY: all-zero is a valid `file_operations` and `miscdevice`
        // (null pointers, no callbacks), as C's static initialisers.
        let (mut fops, mut misc): (bindings::file_operations, bindings::miscdevice) =
            unsafe { (core::mem::zeroed(), core::mem::zeroed()) };
        fops.owner = module.as_ptr().cast();
        fops.open = Some(open_cb::<T>);
        fops.release = Some(release_cb::<T>);
        fops.unlocked_ioctl = Some(ioctl_cb::<T>);
        fops.compat_ioctl = Some(bindings::compat_ptr_ioctl);
        fops.llseek = Some(bindings::noop_llseek);
        if T::HAS_POLL {
            fops.poll = Some(poll_cb::<T>);
        }
        misc.minor = 255; // MISC_DYNAMIC_MINOR
        misc.name = name.as_char_ptr().cast();
        misc.mode = mode;
        let inner = KBox::new(
            Inner {
                fops: Opaque::new(fops),
                misc: Opaque::new(misc),
                ctx,
                open_files: AtomicUsize::new(0),
            },
            GFP_KERNEL,
        )?;
        let p = KBox::into_raw(inner);
        // SAFETY: `p` is the live table just made; nothing else uses it
        // yet.  The field pointers derive from `p`.
        let rc = unsafe {
            let misc = (*p).misc.get();
            (*misc).fops = (*p).fops.get();
            bindings::misc_register(misc)
        };
        if let Err(e) = to_result(rc) {
            // SAFETY: from `into_raw` above; the kernel did not keep it.
            drop(unsafe { KBox::from_raw(p) });
            return Err(e);
        }
        // SAFETY: `into_raw` never returns null.
        let inner = unsafe { NonNull::new_unchecked(p) };
        Ok(Self { inner })
    }
}

impl<T: MiscFile> Drop for MiscDevice<T> {
    fn drop(&mut self) {
        let p = self.inner.as_ptr();
        // SAFETY: registered in `register` (invariant).  Afterwards no
        // `open` runs (misc_open calls it under the lock this takes).
        unsafe { bindings::misc_deregister((*p).misc.get()) };
        // SAFETY: the table lives until freed below.
        if unsafe { (*p).open_files.load(Ordering::Acquire) } != 0 {
            // Not expected (see the type's description): leaked rather
            // than freed under its files.
            pr_err!("misc device dropped with open files: its table is leaked\n");
            return;
        }
        // SAFETY: from `into_raw` (invariant); deregistered, and no file
        // refers to it.
        drop(unsafe { KBox::from_raw(p) });
    }
}

/// The device table of a file of a `T` device.
///
/// # Safety
///
/// `file` is an open file of a device registered by `MiscDevice<T>`.
unsafe fn inner_of<'a, T: MiscFile>(file: *mut bindings::file) -> &'a Inner<T> {
    // SAFETY: misc_open set `f_op` to the table's `fops`, its first
    // field (`repr(C)`), a pointer derived from the whole table's (the
    // type's invariant); the table lives while the file is open.  Its
    // kernel-written fields are `Opaque`.
    unsafe { &*(*file).f_op.cast::<Inner<T>>() }
}

/// # Safety
///
/// Called by the VFS as `file_operations::open` of a `T` device, from
/// misc_open.
unsafe extern "C" fn open_cb<T: MiscFile>(
    _inode: *mut bindings::inode,
    file: *mut bindings::file,
) -> c_int {
    // SAFETY: contract.
    let inner = unsafe { inner_of::<T>(file) };
    match T::open(&inner.ctx) {
        Ok(data) => {
            inner.open_files.fetch_add(1, Ordering::AcqRel);
            // SAFETY: the file is ours until `release`; the pointer is
            // taken back there.
            unsafe { (*file).private_data = data.into_foreign().cast_mut() };
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// # Safety
///
/// Called by the VFS as `file_operations::release` of a file `open_cb`
/// opened.
unsafe extern "C" fn release_cb<T: MiscFile>(
    _inode: *mut bindings::inode,
    file: *mut bindings::file,
) -> c_int {
    // SAFETY: `open_cb` set the pointer from `into_foreign`; this is the
    // file's last use.
    let data = unsafe { T::Data::from_foreign((*file).private_data) };
    T::release(data);
    // SAFETY: contract.
    unsafe { inner_of::<T>(file) }
        .open_files
        .fetch_sub(1, Ordering::AcqRel);
    0
}

/// # Safety
///
/// Called by the VFS as `file_operations::unlocked_ioctl` of an open
/// file of a `T` device.
unsafe extern "C" fn ioctl_cb<T: MiscFile>(
    file: *mut bindings::file,
    cmd: c_uint,
    arg: c_ulong,
) -> c_long {
    if T::ADMIN_ONLY {
        // SAFETY: no precondition.
        if !unsafe { bindings::scst_rh_capable_admin() } {
            return EPERM.to_errno() as c_long;
        }
    }
    let req = Ioctl {
        cmd,
        arg: arg as usize,
        // SAFETY: the file is open (contract).
        nonblock: unsafe { bindings::scst_rh_file_nonblock(file) },
    };
    // SAFETY: set by `open_cb`; `release` cannot run during the call.
    let data = unsafe { T::Data::borrow((*file).private_data) };
    match T::ioctl(data, &req) {
        Ok(v) => v as c_long,
        Err(e) => e.to_errno() as c_long,
    }
}

/// # Safety
///
/// Called by the VFS as `file_operations::poll` of an open file of a `T`
/// device.
unsafe extern "C" fn poll_cb<T: MiscFile>(
    file: *mut bindings::file,
    pt: *mut bindings::poll_table_struct,
) -> bindings::__poll_t {
    let table = PollTable {
        file,
        pt,
        _p: PhantomData,
    };
    // SAFETY: set by `open_cb`; `release` cannot run during the call.
    let data = unsafe { T::Data::borrow((*file).private_data) };
    T::poll(data, &table)
}
