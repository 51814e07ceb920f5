// SPDX-License-Identifier: GPL-2.0

//! Registration with scst.ko, for target drivers and device handlers.
//!
//! The functions below are exported by scst.ko (EXPORT_SYMBOL_GPL in
//! core/scst_glue.c); modpost resolves them because all modules of the suite
//! are built by one Kbuild, and depmod makes modprobe load scst.ko first.
//! A registration lasts as long as the returned handle: dropping it
//! unregisters, so a module's exit cannot forget to.

use super::abi::{ModulePtr, ScstDevType, ScstTgtTemplate, SCST_INTERFACE_VERSION};
use kernel::{error::to_result, ffi::c_int, prelude::*, ThisModule};

extern "C" {
    fn scst_register_target_template(
        tmpl: *const ScstTgtTemplate,
        owner: ModulePtr,
        version: u64,
    ) -> c_int;
    fn scst_unregister_target_template(tmpl: *const ScstTgtTemplate);
    fn scst_register_dev_driver(dev_type: *const ScstDevType, owner: ModulePtr, version: u64)
        -> c_int;
    fn scst_unregister_dev_driver(dev_type: *const ScstDevType);
}

fn module_ptr(m: &'static ThisModule) -> ModulePtr {
    m.as_ptr().cast()
}

/// A registered target template.
///
/// # Invariants
///
/// `tmpl` is registered with the core until this is dropped.
pub(crate) struct TargetTemplateRegistration {
    tmpl: &'static ScstTgtTemplate,
}

impl TargetTemplateRegistration {
    /// Registers `tmpl` on behalf of `owner`.
    pub(crate) fn new(tmpl: &'static ScstTgtTemplate, owner: &'static ThisModule) -> Result<Self> {
        Self::with_version(tmpl, owner, SCST_INTERFACE_VERSION)
    }

    /// Registers claiming interface `version`.  Only tests of the version
    /// check pass anything but [`SCST_INTERFACE_VERSION`].
    pub(crate) fn with_version(
        tmpl: &'static ScstTgtTemplate,
        owner: &'static ThisModule,
        version: u64,
    ) -> Result<Self> {
        // SAFETY: `tmpl` is `'static` and immutable, as the core requires.
        to_result(unsafe { scst_register_target_template(tmpl, module_ptr(owner), version) })?;
        Ok(Self { tmpl })
    }
}

impl Drop for TargetTemplateRegistration {
    fn drop(&mut self) {
        // SAFETY: `tmpl` is registered (invariant).
        unsafe { scst_unregister_target_template(self.tmpl) };
    }
}

/// A registered device handler.
///
/// # Invariants
///
/// `dev_type` is registered with the core until this is dropped.
pub(crate) struct DevDriverRegistration {
    dev_type: &'static ScstDevType,
}

impl DevDriverRegistration {
    /// Registers `dev_type` on behalf of `owner`.
    pub(crate) fn new(dev_type: &'static ScstDevType, owner: &'static ThisModule) -> Result<Self> {
        Self::with_version(dev_type, owner, SCST_INTERFACE_VERSION)
    }

    /// Registers claiming interface `version` (see
    /// [`TargetTemplateRegistration::with_version`]).
    pub(crate) fn with_version(
        dev_type: &'static ScstDevType,
        owner: &'static ThisModule,
        version: u64,
    ) -> Result<Self> {
        // SAFETY: `dev_type` is `'static` and immutable, as the core requires.
        to_result(unsafe { scst_register_dev_driver(dev_type, module_ptr(owner), version) })?;
        Ok(Self { dev_type })
    }
}

impl Drop for DevDriverRegistration {
    fn drop(&mut self) {
        // SAFETY: `dev_type` is registered (invariant).
        unsafe { scst_unregister_dev_driver(self.dev_type) };
    }
}
