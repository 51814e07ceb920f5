// SPDX-License-Identifier: GPL-2.0

//! TCP sockets a user-space daemon hands to the kernel (iscsi-scstd's
//! logged-in connections): looked up by file descriptor in the caller's
//! process, then read and written from kernel threads.

use super::bindings;
use kernel::{ffi::c_int, prelude::*};

/// A connected IPv4 or IPv6 stream socket.
///
/// # Invariants
///
/// `sock` was returned by `sockfd_lookup`; we hold its file reference
/// until drop.
pub(crate) struct Socket {
    sock: *mut bindings::socket,
}

// SAFETY: kernel sockets may be used and released from any thread;
// callers serialize senders among themselves (one receiver, the sends
// under a lock).
unsafe impl Send for Socket {}
// SAFETY: as above.
unsafe impl Sync for Socket {}

impl Socket {
    /// The socket behind the caller's file descriptor `fd` (process
    /// context of the process that owns `fd`).  EINVAL if it is no TCP
    /// socket.
    pub(crate) fn from_fd(fd: i32) -> Result<Self> {
        let mut err: c_int = 0;
        // SAFETY: looks `fd` up in the current process; on failure `err`
        // holds the errno.
        let sock = unsafe { bindings::scst_rh_sock_lookup(fd, &mut err) };
        if sock.is_null() {
            return Err(if err < 0 {
                Error::from_errno(err)
            } else {
                EBADF
            });
        }
        // SAFETY: a live socket we hold a reference on.
        unsafe { bindings::scst_rh_sock_nodelay(sock) };
        Ok(Self { sock })
    }

    /// Fills `buf`.  Ok(false) if the peer closed the stream before the
    /// first byte; an error if it closed it in the middle.
    pub(crate) fn recv_exact(&self, buf: &mut [u8]) -> Result<bool> {
        if buf.is_empty() {
            return Ok(true);
        }
        // SAFETY: live socket (invariant); `buf` is valid for writes of its
        // length.
        let rc =
            unsafe { bindings::scst_rh_sock_recv(self.sock, buf.as_mut_ptr().cast(), buf.len()) };
        match rc {
            0 => Ok(false),
            n if n < 0 => Err(Error::from_errno(n)),
            _ => Ok(true),
        }
    }

    /// Receives give up after `ms` milliseconds without data (0: never):
    /// `recv_exact` then fails with `EAGAIN` if nothing of `buf` came, with
    /// `ETIMEDOUT` if part of it did.
    pub(crate) fn set_recv_timeout(&self, ms: u32) {
        // SAFETY: live socket (invariant).
        unsafe { bindings::scst_rh_sock_set_rcvtimeo(self.sock, ms) };
    }

    /// A send gives up after `ms` milliseconds in which none of its bytes
    /// could be queued (0: never): `send` then fails with `EAGAIN`.
    pub(crate) fn set_send_timeout(&self, ms: u32) {
        // SAFETY: live socket (invariant).
        unsafe { bindings::scst_rh_sock_set_sndtimeo(self.sock, ms) };
    }

    /// Sends all of `buf`; `more`: the rest of the PDU follows at once.
    pub(crate) fn send(&self, buf: &[u8], more: bool) -> Result {
        if buf.is_empty() {
            return Ok(());
        }
        // SAFETY: live socket (invariant); `buf` is valid for reads of its
        // length.
        let rc =
            unsafe { bindings::scst_rh_sock_send(self.sock, buf.as_ptr().cast(), buf.len(), more) };
        if rc < 0 {
            return Err(Error::from_errno(rc));
        }
        Ok(())
    }

    /// Sends all of `buf` like [`Self::send`], but vmalloc memory by page
    /// reference instead of a copy: the socket may hold the pages after
    /// this returns (until the peer acknowledges the data).
    ///
    /// # Safety
    ///
    /// Nothing rewrites `buf`'s pages while the network holds them (a
    /// command buffer from `Cmd::lend_buffer`, which the core does not
    /// reuse before they are let go).
    pub(crate) unsafe fn send_pages(&self, buf: &[u8], more: bool) -> Result {
        if buf.is_empty() {
            return Ok(());
        }
        // SAFETY: live socket (invariant); `buf` is valid for reads of its
        // length now, and its pages stay unchanged while referenced
        // (function contract).
        let rc = unsafe {
            bindings::scst_rh_sock_send_pages(self.sock, buf.as_ptr().cast(), buf.len(), more)
        };
        if rc < 0 {
            return Err(Error::from_errno(rc));
        }
        Ok(())
    }

    /// Sends what sends with `more` left queued.
    pub(crate) fn push(&self) {
        // SAFETY: live socket (invariant).
        unsafe { bindings::scst_rh_sock_push(self.sock) };
    }

    /// Ends both directions: a blocked receive returns, later sends fail.
    pub(crate) fn shutdown(&self) {
        // SAFETY: live socket (invariant).
        unsafe { bindings::scst_rh_sock_shutdown(self.sock) };
    }

    /// Resets the connection: as `shutdown`, and what either side has
    /// queued is dropped at once, so a peer that stopped reading neither
    /// holds our memory nor stays blocked in its sends.
    pub(crate) fn abort(&self) {
        // SAFETY: live socket (invariant), TCP (checked in `from_fd`).
        unsafe { bindings::scst_rh_sock_abort(self.sock) };
    }

    /// The peer's address as text (`10.0.0.1:3260`, `[::1]:3260`) in
    /// `buf`.
    pub(crate) fn peer<'a>(&self, buf: &'a mut [u8; 64]) -> &'a str {
        // SAFETY: live socket (invariant); `buf` is valid for its length.
        let n =
            unsafe { bindings::scst_rh_sock_peer(self.sock, buf.as_mut_ptr().cast(), buf.len()) };
        let n = usize::try_from(n).unwrap_or(0).min(buf.len() - 1);
        core::str::from_utf8(buf.get(..n).unwrap_or(&[])).unwrap_or("?")
    }

    /// The local address as text, an IPv4-mapped IPv6 address as IPv4
    /// (`10.0.0.1:3260`, `[fd00::1]:3260`), in `buf`.
    pub(crate) fn local<'a>(&self, buf: &'a mut [u8; 64]) -> &'a str {
        // SAFETY: live socket (invariant); `buf` is valid for its length.
        let n =
            unsafe { bindings::scst_rh_sock_local(self.sock, buf.as_mut_ptr().cast(), buf.len()) };
        let n = usize::try_from(n).unwrap_or(0).min(buf.len() - 1);
        core::str::from_utf8(buf.get(..n).unwrap_or(&[])).unwrap_or("?")
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        // SAFETY: the reference `sockfd_lookup` took (invariant).
        unsafe { bindings::scst_rh_sock_put(self.sock) };
    }
}
