// SPDX-License-Identifier: GPL-2.0

//! Why a connection ends.

use core::fmt;

/// Why a connection ends: what ends the receive loop, and what the log
/// line "session ... ends: <why>" says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum End {
    /// The initiator closed the connection between PDUs.
    Closed,
    /// The initiator closed the connection inside a PDU.
    ClosedInPdu,
    /// The socket failed.
    ReceiveError,
    /// A Logout Request was answered.
    Logout,
    /// The initiator broke a rule of RFC 7143 or a negotiated limit
    /// (what it did); at ErrorRecoveryLevel 0 that ends the connection.
    Protocol(&'static str),
    /// A header or data digest did not match.
    Digest,
    /// No memory for what a PDU needs.
    OutOfMemory,
    /// The session was unregistered under the connection.
    SessionGone,
    /// The initiator sends without reading the answers.
    NotReading,
    /// A write's data did not come within data_out_timeout.
    NoDataOut,
    /// A NOP-In ping went unanswered.
    NoPingAnswer,
    /// The transmit thread could not be started.
    NoTransmitThread,
    /// The target ended the session (iscsi-scst-adm, target deletion).
    ByTarget,
    /// The initiator logged out after the target asked it to.
    LogoutAsked,
    /// A check that holds by construction did not (what): a bug, which
    /// ends the connection rather than the kernel.
    Bug(&'static str),
}

impl fmt::Display for End {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let why = match self {
            End::Closed => "the initiator closed the connection",
            End::ClosedInPdu => "connection closed inside a PDU",
            End::ReceiveError => "receive error",
            End::Logout => "logout",
            End::Protocol(what) | End::Bug(what) => what,
            End::Digest => "digest error",
            End::OutOfMemory => "out of memory",
            End::SessionGone => "session gone",
            End::NotReading => "the initiator does not read its answers",
            End::NoDataOut => "a write's data did not come (data_out_timeout)",
            End::NoPingAnswer => "no answer to a NOP-In ping: the initiator is gone",
            End::NoTransmitThread => "cannot start the transmit thread",
            End::ByTarget => "ended by the target",
            End::LogoutAsked => "logged out at the target's request",
        };
        f.write_str(why)
    }
}
