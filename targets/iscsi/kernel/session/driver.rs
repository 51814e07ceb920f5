// SPDX-License-Identifier: GPL-2.0

//! The SCST target driver callbacks (`TargetDriver`).

use super::*;

/// The driver: a command's data is its `IscsiCmd`, a task management
/// request's its `TmCtx`, a session's the `Session`.
pub(crate) struct Iscsi;

#[vtable]
impl TargetDriver for Iscsi {
    type CmdData = Arc<IscsiCmd>;
    type MgmtData = KBox<TmCtx>;
    type SessData = Arc<Session>;

    fn xmit_response(c: Cmd, ic: Arc<IscsiCmd>) {
        xmit_response(c, ic)
    }

    /// The command goes on when its data has come: maybe right here
    /// (`rx_data` in this call is fine: the `IscsiCmd` is an `Arc` we
    /// hold a reference to).
    fn rdy_to_xfer(c: Cmd, ic: ArcBorrow<'_, IscsiCmd>) -> Xfer {
        rdy_to_xfer(c, ic.into());
        Xfer::Later
    }

    fn task_mgmt_fn_done(m: &MgmtRef, ctx: KBox<TmCtx>) {
        task_mgmt_fn_done(m, ctx)
    }

    /// The core revoked the session's access (its initiator left the
    /// group): the connection is shut, and the receive thread ends the
    /// session as for any other end (the initiator logs in again and is
    /// bound anew).
    fn close_session(s: ArcBorrow<'_, Session>) {
        close_revoked(&s);
    }
}

/// Ends a session whose access the core revoked.
pub(super) fn close_revoked(s: &Session) {
    pr_info!(
        "session {} ({}): access revoked by the target's configuration: connection closed\n",
        &*s.initiator,
        &*s.peer
    );
    s.stop();
}

/// The core has the command's data and status: its response is queued
/// for the transmit thread (`tx.rs`), which finishes the command once it
/// is sent; an aborted command is finished here, unanswered.
pub(super) fn xmit_response(c: Cmd, ic: Arc<IscsiCmd>) {
    // Data still coming for it is dropped from now on.
    ic.w.lock().done = true;
    ic.sess.forget_cmd(&ic);
    if c.aborted() {
        ic.sess.command_answered(&ic);
        c.tgt_done(Context::Direct);
        return;
    }
    let sess = ic.sess.clone();
    sess.respond_later(ic, c);
}
