// SPDX-License-Identifier: GPL-2.0

//! Watching the SCSI midlayer's devices come and go (a class interface of
//! the SCSI device class).  One watcher per module.

use super::bindings;
use core::cell::UnsafeCell;
use core::mem::MaybeUninit;
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::{error::to_result, ffi::c_void, prelude::*, sync::Arc};

/// A SCSI device of the midlayer, between its `added` and `removed`.
///
/// # Invariants
///
/// `ptr` is a live `scsi_device`: the midlayer keeps it alive until the
/// watcher's `removed` has returned.
pub(crate) struct ScsiDevice {
    ptr: *mut bindings::scsi_device,
}

impl ScsiDevice {
    /// An identity for the device, stable while it exists.
    pub(crate) fn key(&self) -> usize {
        self.ptr as usize
    }

    /// (host, channel, id, LUN).
    pub(crate) fn hctl(&self) -> (u32, u32, u32, u64) {
        // SAFETY: the device is live (invariant); `host` is set for every
        // scsi_device.
        unsafe {
            let d = &*self.ptr;
            ((*d.host).host_no, d.channel, d.id, d.lun)
        }
    }

    /// The SCSI peripheral device type.
    pub(crate) fn type_(&self) -> i32 {
        // SAFETY: the device is live (invariant).
        i32::from(unsafe { (*self.ptr).type_ })
    }
}

/// What a module does when devices come and go (process context).
pub(crate) trait ScsiDevWatcher: Send + Sync + 'static {
    /// A device appeared (or existed when the watcher registered).
    fn added(&self, dev: &ScsiDevice);
    /// A device is going (or the watcher unregisters).
    fn removed(&self, dev: &ScsiDevice);
}

struct Interface(UnsafeCell<MaybeUninit<bindings::class_interface>>);

// SAFETY: written by `register` before the interface is registered, and
// only by the driver core afterwards.
unsafe impl Sync for Interface {}

static INTF: Interface = Interface(UnsafeCell::new(MaybeUninit::zeroed()));
/// The watcher, an `Arc::into_raw` pointer, while registered.
static OPS: AtomicPtr<c_void> = AtomicPtr::new(core::ptr::null_mut());

/// A registered watcher.
///
/// # Invariants
///
/// `INTF` is registered with callbacks for `T`, and `OPS` holds an
/// `Arc<T>` pointer, until this is dropped.
pub(crate) struct ScsiDevInterface<T: ScsiDevWatcher> {
    _t: core::marker::PhantomData<Arc<T>>,
}

impl<T: ScsiDevWatcher> ScsiDevInterface<T> {
    /// Registers `ops`; `added` is called for every existing device first.
    pub(crate) fn register(ops: Arc<T>) -> Result<Self> {
        let p = Arc::into_raw(ops).cast_mut().cast::<c_void>();
        if OPS
            .compare_exchange(
                core::ptr::null_mut(),
                p,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_err()
        {
            // SAFETY: `p` came from `into_raw` just above.
            drop(unsafe { Arc::<T>::from_raw(p.cast()) });
            return Err(EBUSY);
        }
        let intf = INTF.0.get().cast::<bindings::class_interface>();
        // SAFETY: not registered (OPS was null), so nobody else uses INTF.
        let r = unsafe {
            (*intf).add_dev = Some(add_cb::<T>);
            (*intf).remove_dev = Some(remove_cb::<T>);
            bindings::scsi_register_interface(intf)
        };
        if let Err(e) = to_result(r) {
            let p = OPS.swap(core::ptr::null_mut(), Ordering::AcqRel);
            // SAFETY: the `Arc` pointer stored above, not used by anyone.
            drop(unsafe { Arc::<T>::from_raw(p.cast()) });
            return Err(e);
        }
        Ok(Self {
            _t: core::marker::PhantomData,
        })
    }
}

impl<T: ScsiDevWatcher> Drop for ScsiDevInterface<T> {
    fn drop(&mut self) {
        // SAFETY: registered (invariant); unregistering calls `removed` for
        // every device, after which no callback runs.
        unsafe { bindings::class_interface_unregister(INTF.0.get().cast()) };
        let p = OPS.swap(core::ptr::null_mut(), Ordering::AcqRel);
        // SAFETY: the `Arc<T>` pointer stored by `register`.
        drop(unsafe { Arc::<T>::from_raw(p.cast()) });
    }
}

/// The watcher and the device of a callback.
///
/// # Safety
///
/// Called from our interface's callbacks while registered.
unsafe fn ctx<'a, T: ScsiDevWatcher>(dev: *mut bindings::device) -> (&'a T, ScsiDevice) {
    // SAFETY: OPS holds an `Arc<T>` while the interface is registered; the
    // class device's parent is a live scsi_device.
    unsafe {
        (
            &*OPS.load(Ordering::Acquire).cast::<T>(),
            ScsiDevice {
                ptr: bindings::scst_rh_class_dev_to_sdev(dev),
            },
        )
    }
}

unsafe extern "C" fn add_cb<T: ScsiDevWatcher>(dev: *mut bindings::device) -> kernel::ffi::c_int {
    // SAFETY: called by the driver core for our registered interface.
    let (ops, d) = unsafe { ctx::<T>(dev) };
    ops.added(&d);
    0
}

unsafe extern "C" fn remove_cb<T: ScsiDevWatcher>(dev: *mut bindings::device) {
    // SAFETY: as above.
    let (ops, d) = unsafe { ctx::<T>(dev) };
    ops.removed(&d);
}
