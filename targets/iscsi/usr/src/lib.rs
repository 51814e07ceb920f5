//! iscsi-scstd and iscsi-scst-adm: the user-space half of the iSCSI
//! target (docs/iscsi.md).  The protocol logic is in `iscsi-proto`; this
//! crate does the I/O, the processes and the logging.

pub mod adm;
pub mod conn;
pub mod control;
pub mod discovery;
pub mod isns;
pub mod kernel;
pub mod limit;
pub mod log;
pub mod portal;
pub mod wire;
