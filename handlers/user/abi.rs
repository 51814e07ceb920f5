// SPDX-License-Identifier: GPL-2.0

//! The interface of /dev/scst_user: the `#[repr(C)]` blocks its ioctls
//! exchange with a user-space device program, and their codes.  The C
//! side is `scst_user.h` beside this file (installed for programs to
//! build against); names and layouts are SCST 3.x's, and a host test
//! (tests/host/tests/user_abi.rs) compiles the header and compares every
//! size and offset with these.  `no_std`, free of the `kernel` crate.
//!
//! Every field here comes from, or goes to, user space: the kernel reads
//! them as plain integers and checks each before use.

// The interface's names are C's.
#![allow(non_camel_case_types)]

/// The device's node is /dev/<this>.
pub const DEV_USER_NAME: &str = "scst_user";
/// What `ScstUserDevDesc::version_str` must point to: programs built
/// against another header are refused with a message naming both.
pub const DEV_USER_VERSION: &str = "scst-rs user interface 1";

pub const SCST_MAX_CDB_SIZE: usize = 16;
pub const SCST_MAX_NAME: usize = 50;
pub const SCST_MAX_EXTERNAL_NAME: usize = 256;

pub const SCST_USER_PARSE_STANDARD: u8 = 0;
pub const SCST_USER_PARSE_CALL: u8 = 1;
pub const SCST_USER_PARSE_EXCEPTION: u8 = 2;
pub const SCST_USER_MAX_PARSE_OPT: u8 = SCST_USER_PARSE_EXCEPTION;

pub const SCST_USER_ON_FREE_CMD_CALL: u8 = 0;
pub const SCST_USER_ON_FREE_CMD_IGNORE: u8 = 1;
pub const SCST_USER_MAX_ON_FREE_CMD_OPT: u8 = SCST_USER_ON_FREE_CMD_IGNORE;

pub const SCST_USER_MEM_NO_REUSE: u8 = 0;
pub const SCST_USER_MEM_REUSE_READ: u8 = 1;
pub const SCST_USER_MEM_REUSE_WRITE: u8 = 2;
pub const SCST_USER_MEM_REUSE_ALL: u8 = 3;
pub const SCST_USER_MAX_MEM_REUSE_OPT: u8 = SCST_USER_MEM_REUSE_ALL;

pub const SCST_USER_PARTIAL_TRANSFERS_NOT_SUPPORTED: u8 = 0;
pub const SCST_USER_PARTIAL_TRANSFERS_SUPPORTED_ORDERED: u8 = 1;
pub const SCST_USER_PARTIAL_TRANSFERS_SUPPORTED: u8 = 2;
pub const SCST_USER_MAX_PARTIAL_TRANSFERS_OPT: u8 = SCST_USER_PARTIAL_TRANSFERS_SUPPORTED;

pub const SCST_EXEC_REPLY_BACKGROUND: u8 = 0;
pub const SCST_EXEC_REPLY_COMPLETED: u8 = 1;
pub const SCST_EXEC_REPLY_DO_WRITE_SAME: u8 = 2;

/// A command's stages, from which the subcodes are built.
pub const UCMD_STATE_PARSING: u8 = 1;
pub const UCMD_STATE_BUF_ALLOCING: u8 = 2;
pub const UCMD_STATE_EXECING: u8 = 3;
pub const UCMD_STATE_ON_FREEING: u8 = 4;
pub const UCMD_STATE_ON_CACHE_FREEING: u8 = 5;
pub const UCMD_STATE_EXT_COPY_REMAPPING: u8 = 6;
pub const UCMD_STATE_TM_RECEIVED_EXECING: u8 = 8;
pub const UCMD_STATE_TM_DONE_EXECING: u8 = 9;
pub const UCMD_STATE_ATTACH_SESS: u8 = 0x20;
pub const UCMD_STATE_DETACH_SESS: u8 = 0x21;

/// A device's options.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct scst_user_opt {
    pub parse_type: u8,
    pub on_free_cmd_type: u8,
    pub memory_reuse_type: u8,
    pub partial_transfers_type: u8,
    pub partial_len: i32,
    pub tst: u8,
    pub tmf_only: u8,
    pub queue_alg: u8,
    pub qerr: u8,
    pub tas: u8,
    pub swp: u8,
    pub d_sense: u8,
    pub has_own_order_mgmt: u8,
    pub ext_copy_remap_supported: u8,
}

/// `SCST_USER_REGISTER_DEVICE`'s argument.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct scst_user_dev_desc {
    /// User address of a NUL-terminated [`DEV_USER_VERSION`].
    pub version_str: u64,
    /// User address of a NUL-terminated license name.
    pub license_str: u64,
    pub type_: u8,
    pub sgv_shared: u8,
    pub sgv_disable_clustered_pool: u8,
    pub sgv_single_alloc_pages: i32,
    pub sgv_purge_interval: i32,
    pub opt: scst_user_opt,
    pub block_size: u32,
    pub enable_pr_cmds_notifications: u8,
    pub name: [u8; SCST_MAX_NAME],
    pub sgv_name: [u8; SCST_MAX_NAME],
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct scst_user_sess {
    pub sess_h: u64,
    pub lun: u64,
    pub threads_num: u16,
    pub rd_only: u8,
    pub scsi_transport_version: u16,
    pub phys_transport_version: u16,
    pub initiator_name: [u8; SCST_MAX_EXTERNAL_NAME],
    pub target_name: [u8; SCST_MAX_EXTERNAL_NAME],
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct scst_user_scsi_cmd_parse {
    pub sess_h: u64,
    pub cdb: [u8; SCST_MAX_CDB_SIZE],
    pub cdb_len: u16,
    pub lba: i64,
    pub data_len: i64,
    pub bufflen: i32,
    pub out_bufflen: i32,
    pub timeout: i32,
    pub op_flags: u32,
    pub queue_type: u8,
    pub data_direction: u8,
    pub expected_values_set: u8,
    pub expected_data_direction: u8,
    pub expected_transfer_len: i32,
    pub expected_out_transfer_len: i32,
    pub sn: u32,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct scst_user_scsi_cmd_alloc_mem {
    pub sess_h: u64,
    pub cdb: [u8; SCST_MAX_CDB_SIZE],
    pub cdb_len: u16,
    pub alloc_len: i32,
    pub queue_type: u8,
    pub data_direction: u8,
    pub sn: u32,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct scst_user_scsi_cmd_exec {
    pub sess_h: u64,
    pub cdb: [u8; SCST_MAX_CDB_SIZE],
    pub cdb_len: u16,
    pub lba: i64,
    pub data_len: i64,
    pub bufflen: i32,
    pub alloc_len: i32,
    pub pbuf: u64,
    pub queue_type: u8,
    pub data_direction: u8,
    pub partial: u8,
    pub timeout: i32,
    pub p_out_buf: u64,
    pub out_bufflen: i32,
    pub sn: u32,
    pub parent_cmd_h: u32,
    pub parent_cmd_data_len: i32,
    pub partial_offset: u32,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct scst_user_scsi_on_free_cmd {
    pub pbuf: u64,
    pub resp_data_len: i32,
    pub buffer_cached: u8,
    pub aborted: u8,
    pub status: u8,
    pub delivery_status: u8,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct scst_user_on_cached_mem_free {
    pub pbuf: u64,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct scst_user_tm {
    pub sess_h: u64,
    pub fn_: u32,
    pub cmd_h_to_abort: u32,
    pub cmd_sn: u32,
    pub cmd_sn_set: u8,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct scst_user_ext_copy_data_descr {
    pub src_lba: u64,
    pub dst_lba: u64,
    pub data_len: i32,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct scst_user_ext_copy_remap {
    pub sess_h: u64,
    pub src_sess_h: u64,
    pub dst_sess_h: u64,
    pub data_descr: scst_user_ext_copy_data_descr,
}

/// What `scst_user_get_cmd` carries, by its subcode.
#[repr(C)]
#[derive(Clone, Copy)]
pub union scst_user_get_cmd_u {
    pub preply: u64,
    pub sess: scst_user_sess,
    pub parse_cmd: scst_user_scsi_cmd_parse,
    pub alloc_cmd: scst_user_scsi_cmd_alloc_mem,
    pub exec_cmd: scst_user_scsi_cmd_exec,
    pub on_free_cmd: scst_user_scsi_on_free_cmd,
    pub on_cached_mem_free: scst_user_on_cached_mem_free,
    pub tm_cmd: scst_user_tm,
    pub remap_cmd: scst_user_ext_copy_remap,
}

/// `SCST_USER_REPLY_AND_GET_CMD`'s argument: in, `u.preply`; out, the
/// next command.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct scst_user_get_cmd {
    pub cmd_h: u32,
    pub subcode: u32,
    pub u: scst_user_get_cmd_u,
}

/// A failed PARSE or EXEC's sense data.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct scst_user_sense {
    pub sense_len: u8,
    pub psense_buffer: u64,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct scst_user_parse_args {
    pub queue_type: u8,
    pub data_direction: u8,
    pub cdb_len: u16,
    pub lba: i64,
    pub data_len: i64,
    pub bufflen: i32,
    pub op_flags: u32,
    pub out_bufflen: i32,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub union scst_user_reply_parse_u {
    pub args: scst_user_parse_args,
    pub sense: scst_user_sense,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct scst_user_scsi_cmd_reply_parse {
    /// 0: `u.args`; else the command ends with this status and `u.sense`.
    pub status: u8,
    pub u: scst_user_reply_parse_u,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct scst_user_scsi_cmd_reply_alloc_mem {
    pub pbuf: u64,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct scst_user_data_descriptor {
    pub usdd_lba: u64,
    pub usdd_blocks: u64,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct scst_user_write_same {
    pub ws_descriptors_len: u16,
    pub ws_descriptors: u64,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub union scst_user_reply_exec_u {
    pub sense: scst_user_sense,
    pub ws: scst_user_write_same,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct scst_user_scsi_cmd_reply_exec {
    pub resp_data_len: i32,
    pub pbuf: u64,
    pub reply_type: u8,
    pub status: u8,
    pub u: scst_user_reply_exec_u,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct scst_user_ext_copy_reply_remap {
    pub remap_descriptors: u64,
    pub remap_descriptors_len: u16,
    pub status: u8,
    pub sense_len: u8,
    pub psense_buffer: u64,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub union scst_user_reply_cmd_u {
    pub result: i32,
    pub parse_reply: scst_user_scsi_cmd_reply_parse,
    pub alloc_reply: scst_user_scsi_cmd_reply_alloc_mem,
    pub exec_reply: scst_user_scsi_cmd_reply_exec,
    pub remap_reply: scst_user_ext_copy_reply_remap,
}

/// The answer to command `cmd_h` of kind `subcode`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct scst_user_reply_cmd {
    pub cmd_h: u32,
    pub subcode: u32,
    pub u: scst_user_reply_cmd_u,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct scst_user_get_ext_cdb {
    pub cmd_h: u32,
    pub ext_cdb_buffer: u64,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct scst_user_prealloc_buffer_in {
    pub pbuf: u64,
    pub bufflen: u32,
    pub for_clust_pool: u8,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct scst_user_prealloc_buffer_out {
    pub cmd_h: u32,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub union scst_user_prealloc_buffer {
    pub in_: scst_user_prealloc_buffer_in,
    pub out: scst_user_prealloc_buffer_out,
}

/// `SCST_USER_REPLY_AND_GET_MULTI`'s header; `cmds_cnt` commands follow.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct scst_user_get_multi {
    pub preplies: u64,
    pub replies_cnt: i16,
    pub replies_done: i16,
    pub cmds_cnt: i16,
    pub pad: i16,
    pub cmds: [scst_user_get_cmd; 0],
}

/// `_IOC` of the generic ioctl encoding (x86, arm, riscv: 2 direction
/// bits above 14 size bits above type and number).
const fn ioc(dir: u32, ty: u8, nr: u8, size: usize) -> u32 {
    (dir << 30) | ((size as u32) << 16) | ((ty as u32) << 8) | nr as u32
}
const fn io(ty: u8, nr: u8) -> u32 {
    ioc(0, ty, nr, 0)
}
const fn iow<T>(ty: u8, nr: u8) -> u32 {
    ioc(1, ty, nr, core::mem::size_of::<T>())
}
const fn ior<T>(ty: u8, nr: u8) -> u32 {
    ioc(2, ty, nr, core::mem::size_of::<T>())
}
const fn iowr<T>(ty: u8, nr: u8) -> u32 {
    ioc(3, ty, nr, core::mem::size_of::<T>())
}

pub const SCST_USER_REGISTER_DEVICE: u32 = iow::<scst_user_dev_desc>(b'u', 1);
pub const SCST_USER_UNREGISTER_DEVICE: u32 = io(b'u', 2);
pub const SCST_USER_SET_OPTIONS: u32 = iow::<scst_user_opt>(b'u', 3);
pub const SCST_USER_GET_OPTIONS: u32 = ior::<scst_user_opt>(b'u', 4);
pub const SCST_USER_REPLY_AND_GET_CMD: u32 = iowr::<scst_user_get_cmd>(b'u', 5);
pub const SCST_USER_REPLY_CMD: u32 = iow::<scst_user_reply_cmd>(b'u', 6);
pub const SCST_USER_FLUSH_CACHE: u32 = io(b'u', 7);
pub const SCST_USER_DEVICE_CAPACITY_CHANGED: u32 = io(b'u', 8);
pub const SCST_USER_GET_EXTENDED_CDB: u32 = iowr::<scst_user_get_ext_cdb>(b'u', 9);
pub const SCST_USER_PREALLOC_BUFFER: u32 = iowr::<scst_user_prealloc_buffer>(b'u', 10);
pub const SCST_USER_REPLY_AND_GET_MULTI: u32 = iowr::<scst_user_get_multi>(b'u', 11);

pub const SCST_USER_ATTACH_SESS: u32 = ior::<scst_user_sess>(b's', UCMD_STATE_ATTACH_SESS);
pub const SCST_USER_DETACH_SESS: u32 = ior::<scst_user_sess>(b's', UCMD_STATE_DETACH_SESS);
pub const SCST_USER_PARSE: u32 = iowr::<scst_user_scsi_cmd_parse>(b's', UCMD_STATE_PARSING);
pub const SCST_USER_ALLOC_MEM: u32 =
    iowr::<scst_user_scsi_cmd_alloc_mem>(b's', UCMD_STATE_BUF_ALLOCING);
pub const SCST_USER_EXEC: u32 = iowr::<scst_user_scsi_cmd_exec>(b's', UCMD_STATE_EXECING);
pub const SCST_USER_ON_FREE_CMD: u32 =
    ior::<scst_user_scsi_on_free_cmd>(b's', UCMD_STATE_ON_FREEING);
pub const SCST_USER_ON_CACHED_MEM_FREE: u32 =
    ior::<scst_user_on_cached_mem_free>(b's', UCMD_STATE_ON_CACHE_FREEING);
pub const SCST_USER_TASK_MGMT_RECEIVED: u32 =
    iowr::<scst_user_tm>(b's', UCMD_STATE_TM_RECEIVED_EXECING);
pub const SCST_USER_TASK_MGMT_DONE: u32 = iowr::<scst_user_tm>(b's', UCMD_STATE_TM_DONE_EXECING);
pub const SCST_USER_EXT_COPY_REMAP: u32 =
    iowr::<scst_user_ext_copy_remap>(b's', UCMD_STATE_EXT_COPY_REMAPPING);
