// SPDX-License-Identifier: GPL-2.0

//! A spinlock that disables local interrupts while held
//! (`spin_lock_irqsave`), for state that target drivers reach from any
//! context, interrupt handlers included.  The 6.12 kernel crate has only
//! the plain `SpinLock`; this is its backend with the irqsave calls, so
//! guards and `CondVar` work with it unchanged.

use super::bindings;
use kernel::sync::lock::{Backend, Lock};

/// A spinlock taken with interrupts disabled.
pub(crate) type IrqSpinLock<T> = Lock<T, IrqSpinLockBackend>;

/// Creates an [`IrqSpinLock`] initialiser with a lock class of its own.
#[allow(unused_macros)]
macro_rules! new_irq_spinlock {
    ($inner:expr $(,)?) => {
        kernel::sync::lock::Lock::<_, $crate::scst_rs::irqlock::IrqSpinLockBackend>::new(
            $inner,
            kernel::optional_name!(),
            kernel::static_lock_class!(),
        )
    };
}
#[allow(unused_imports)]
pub(crate) use new_irq_spinlock;

/// The backend of [`IrqSpinLock`].
pub(crate) struct IrqSpinLockBackend;

// SAFETY: `spinlock_t` gives mutual exclusion; the saved interrupt state
// travels in the guard and is restored by the matching unlock, and
// `relock` (the default) locks the same way again.
unsafe impl Backend for IrqSpinLockBackend {
    type State = kernel::bindings::spinlock_t;
    type GuardState = kernel::ffi::c_ulong;

    unsafe fn init(
        ptr: *mut Self::State,
        name: *const kernel::ffi::c_char,
        key: *mut kernel::bindings::lock_class_key,
    ) {
        // SAFETY: the caller guarantees `ptr` is valid for writes and
        // `name`/`key` live forever (trait contract).
        unsafe { kernel::bindings::__spin_lock_init(ptr, name, key) }
    }

    unsafe fn lock(ptr: *mut Self::State) -> Self::GuardState {
        // SAFETY: `ptr` is an initialised spinlock (trait contract); the
        // two `spinlock_t` declarations are the same C type.
        unsafe { bindings::scst_rh_spin_lock_irqsave(ptr.cast()) }
    }

    unsafe fn unlock(ptr: *mut Self::State, flags: &Self::GuardState) {
        // SAFETY: the caller owns the lock (trait contract), and `flags`
        // is what its `lock` saved.
        unsafe { bindings::scst_rh_spin_unlock_irqrestore(ptr.cast(), *flags) }
    }
}
