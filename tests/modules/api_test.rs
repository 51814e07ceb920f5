// SPDX-License-Identifier: GPL-2.0

//! scst_api_test: registers a target driver and a device handler with
//! scst.ko through the exported API, so VM tests can watch the core list
//! them and refuse a mismatched interface version.
//!
//! Parameters (in api_test_glue.c): `iface_version_delta` is added to the
//! layout half and `iface_revision_delta` to the revision half of the
//! interface version the module claims.  Either non-zero makes the core
//! refuse the registration, and loading fails with EINVAL.

use kernel::{ffi::c_int, prelude::*};

#[path = "../../rust/mod.rs"]
mod scst_rs;

use scst_rs::api::{
    abi::{ScstCmd, ScstDevType, ScstTgt, ScstTgtTemplate, SCST_INTERFACE_VERSION},
    client::{DevDriverRegistration, TargetTemplateRegistration},
};

module! {
    type: ApiTest,
    name: "scst_api_test",
    author: "SCST-rs developers",
    description: "Test-only user of the SCST registration API",
    license: "GPL",
}

extern "C" {
    // This module's own parameter, in api_test_glue.c.
    fn scst_api_test_version_delta() -> c_int;
    fn scst_api_test_revision_delta() -> c_int;
}

unsafe extern "C" fn detect(_t: *const ScstTgtTemplate) -> c_int {
    0
}

unsafe extern "C" fn release(_t: *mut ScstTgt) -> c_int {
    0
}

unsafe extern "C" fn cmd_noop(_c: *mut ScstCmd) -> c_int {
    0
}

static TEMPLATE: ScstTgtTemplate = ScstTgtTemplate {
    name: c"scst_api_test_tgt".as_ptr(),
    sg_tablesize: 128,
    threads_num: 0,
    flags: 0,
    detect: Some(detect),
    release: Some(release),
    xmit_response: Some(cmd_noop),
    rdy_to_xfer: None,
    on_free_cmd: None,
    task_mgmt_fn_done: None,
    preprocessing_done: None,
};

static DEV_TYPE: ScstDevType = ScstDevType {
    name: c"scst_api_test_dev".as_ptr(),
    type_: 0,
    threads_num: 0,
    flags: 0,
    parse: Some(cmd_noop),
    alloc_data_buf: None,
    exec: Some(cmd_noop),
    dev_done: None,
    attach: None,
    detach: None,
    attach_tgt: None,
    detach_tgt: None,
    task_mgmt_fn: None,
};

struct ApiTest {
    // Unregistered in reverse order of registration.
    _dev: DevDriverRegistration,
    _tgt: TargetTemplateRegistration,
}

impl kernel::Module for ApiTest {
    fn init(module: &'static ThisModule) -> Result<Self> {
        // SAFETY: reads this module's parameters, set before init.
        let (delta, rev_delta) =
            unsafe { (scst_api_test_version_delta(), scst_api_test_revision_delta()) };
        let version = SCST_INTERFACE_VERSION
            .wrapping_add(delta as u64)
            .wrapping_add((rev_delta as u64) << 32);
        let tgt = TargetTemplateRegistration::with_version(&TEMPLATE, module, version)?;
        let dev = DevDriverRegistration::with_version(&DEV_TYPE, module, version)?;
        Ok(ApiTest { _dev: dev, _tgt: tgt })
    }
}
