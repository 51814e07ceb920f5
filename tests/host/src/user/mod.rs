//! scst_user's `no_std` files.

/// The interface (the Rust twin of `handlers/user/scst_user.h`).
#[path = "../../../../handlers/user/abi.rs"]
pub mod abi;

/// Its blocks as bytes.
#[path = "../../../../handlers/user/wire.rs"]
pub mod wire;
