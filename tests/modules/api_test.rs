// SPDX-License-Identifier: GPL-2.0

//! scst_api_test: uses every call of the SCST registration API, so VM tests
//! can watch the core's side of each.
//!
//! It registers the target driver `scst_api_test_tgt` with one target,
//! `scst_api_test_tgt0`, the virtual-device handler `scst_api_test_dev`
//! with one device, `apitest0`, the pass-through handler `scst_api_test_pt`
//! (type 0, which takes the midlayer's disks), and one session on the
//! target for each name in the `initiators` parameter (comma-separated).
//! Both handlers log `attach` and `detach` of each device and check that
//! the private pointer set in `attach` comes back in `detach`.
//!
//! `iface_version_delta` is added to the layout half and
//! `iface_revision_delta` to the revision half of the interface version the
//! module claims: either non-zero makes the core refuse the registration,
//! and loading fails with EINVAL.  All parameters are in api_test_glue.c.

use kernel::{c_str, ffi::c_int, fmt, prelude::*, str::CStr, str::CString};

#[path = "../../rust/mod.rs"]
mod scst_rs;

use scst_rs::api::{
    abi::{ScstCmd, ScstDevType, ScstDevice, ScstTgt, ScstTgtTemplate, SCST_DEV_VIRTUAL, SCST_INTERFACE_VERSION},
    dev::DevRef,
    client::{
        DevDriverRegistration, SessionRegistration, TargetRegistration, TargetTemplateRegistration,
        VirtualDeviceRegistration,
    },
};

/// This module's trace level (/proc/scsi_tgt/<name>/trace_level).
static TRACE: core::sync::atomic::AtomicU32 =
    core::sync::atomic::AtomicU32::new(scst_rs::api::abi::SCST_TRACE_DEFAULT);

module! {
    type: ApiTest,
    name: "scst_api_test",
    author: "SCST-rs developers",
    description: "Test-only user of the SCST registration API",
    license: "GPL",
}

extern "C" {
    // This module's own parameters, in api_test_glue.c.
    fn scst_api_test_version_delta() -> c_int;
    fn scst_api_test_revision_delta() -> c_int;
    fn scst_api_test_initiators() -> *const kernel::ffi::c_char;
}

unsafe extern "C" fn detect(_t: *const ScstTgtTemplate) -> c_int {
    0
}

unsafe extern "C" fn release(_t: *mut ScstTgt) -> c_int {
    0
}

/// What `attach` stores as the device's private pointer.
static MARK: u8 = 0;

fn mark() -> *mut core::ffi::c_void {
    core::ptr::addr_of!(MARK).cast_mut().cast()
}

unsafe extern "C" fn attach(dev: *mut ScstDevice) -> c_int {
    // SAFETY: the core passes the handle of the running `attach`.
    let d = unsafe { DevRef::from_raw(dev) };
    let kind = if d.scsi_device().is_null() { "virtual" } else { "real" };
    pr_info!("attach {}: id {}, {}\n", d.name(), d.id(), kind);
    d.set_priv(mark());
    0
}

unsafe extern "C" fn detach(dev: *mut ScstDevice) {
    // SAFETY: the core passes the handle of the running `detach`.
    let d = unsafe { DevRef::from_raw(dev) };
    let kept = if d.priv_() == mark() { "kept" } else { "lost" };
    pr_info!("detach {}: id {}, private data {}\n", d.name(), d.id(), kept);
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
    trace_flags: &TRACE,
};

static DEV_TYPE: ScstDevType = ScstDevType {
    name: c"scst_api_test_dev".as_ptr(),
    type_: 0,
    threads_num: 0,
    flags: SCST_DEV_VIRTUAL,
    parse: Some(cmd_noop),
    alloc_data_buf: None,
    exec: Some(cmd_noop),
    dev_done: None,
    attach: Some(attach),
    detach: Some(detach),
    attach_tgt: None,
    detach_tgt: None,
    task_mgmt_fn: None,
    trace_flags: &TRACE,
};

static PT_TYPE: ScstDevType = ScstDevType {
    name: c"scst_api_test_pt".as_ptr(),
    type_: 0,
    threads_num: 0,
    flags: 0,
    parse: Some(cmd_noop),
    alloc_data_buf: None,
    exec: Some(cmd_noop),
    dev_done: None,
    attach: Some(attach),
    detach: Some(detach),
    attach_tgt: None,
    detach_tgt: None,
    task_mgmt_fn: None,
    trace_flags: &TRACE,
};

struct ApiTest {
    // Dropped (unregistered) in this order: the reverse of registration.
    _sessions: KVec<SessionRegistration>,
    _target: TargetRegistration,
    _vdev: VirtualDeviceRegistration,
    _pt: DevDriverRegistration,
    _dev: DevDriverRegistration,
    _tgt: TargetTemplateRegistration,
}

/// One session per comma-separated name in `list`.
fn sessions(target: &TargetRegistration, list: &CStr) -> Result<KVec<SessionRegistration>> {
    let mut v = KVec::new();
    let text = list.to_str().map_err(|_| EINVAL)?;
    for name in text.split(',').filter(|n| !n.is_empty()) {
        let name = CString::try_from_fmt(fmt!("{}", name))?;
        v.push(SessionRegistration::new(target, &name)?, GFP_KERNEL)?;
    }
    Ok(v)
}

impl kernel::Module for ApiTest {
    fn init(module: &'static ThisModule) -> Result<Self> {
        // SAFETY: reads this module's parameters, set before init; the
        // string parameter lives as long as the module.
        let (delta, rev_delta, initiators) = unsafe {
            (
                scst_api_test_version_delta(),
                scst_api_test_revision_delta(),
                CStr::from_char_ptr(scst_api_test_initiators()),
            )
        };
        let version = SCST_INTERFACE_VERSION
            .wrapping_add(delta as u64)
            .wrapping_add((rev_delta as u64) << 32);
        let tgt = TargetTemplateRegistration::with_version(&TEMPLATE, module, version)?;
        let dev = DevDriverRegistration::with_version(&DEV_TYPE, module, version)?;
        let pt = DevDriverRegistration::with_version(&PT_TYPE, module, version)?;
        let vdev = VirtualDeviceRegistration::new(&DEV_TYPE, c_str!("apitest0"))?;
        let target = TargetRegistration::new(&TEMPLATE, c_str!("scst_api_test_tgt0"))?;
        let sessions = sessions(&target, initiators)?;
        pr_info!("registered device id {} and {} sessions\n", vdev.id(), sessions.len());
        Ok(ApiTest { _sessions: sessions, _target: target, _vdev: vdev, _pt: pt, _dev: dev, _tgt: tgt })
    }
}
