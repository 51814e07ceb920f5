// SPDX-License-Identifier: GPL-2.0

//! Task Management Function Requests and their answers.

use super::*;

/// A task management request on its way through SCST.
pub(crate) struct TmCtx {
    pub(super) sess: Arc<Session>,
    pub(super) itt: u32,
    /// TARGET COLD RESET: the connection ends after the answer.
    pub(super) cold: bool,
    /// ABORT TASK's command, whose address is the tag the core matches.
    pub(super) target: Option<Arc<IscsiCmd>>,
}

/// SCST finished a task management request: the TM Response.
pub(super) fn task_mgmt_fn_done(m: &MgmtRef, ctx: KBox<TmCtx>) {
    use pdu::tmf_rsp;
    // The command of an ABORT TASK may have been answered between our
    // finding it and the core marking it: the initiator has its status,
    // so the task was not aborted and is gone (RFC 7143 11.5.1: "Function
    // complete" only for a task the abort ended; libiscsi's
    // AbortTaskSimpleAsync fails on both answers).  The transmit thread
    // set `responded` before the core saw the command finish, which the
    // core waited for before this answer.
    let answered = |c: &Arc<IscsiCmd>| c.responded.load(Ordering::Acquire);
    let r = match m.status() {
        SCST_MGMT_STATUS_SUCCESS if ctx.target.as_ref().is_some_and(answered) => tmf_rsp::NO_TASK,
        SCST_MGMT_STATUS_SUCCESS => tmf_rsp::COMPLETE,
        SCST_MGMT_STATUS_TASK_NOT_EXIST => tmf_rsp::NO_TASK,
        SCST_MGMT_STATUS_LUN_NOT_EXIST => tmf_rsp::NO_LUN,
        SCST_MGMT_STATUS_FN_NOT_SUPPORTED => tmf_rsp::NOT_SUPPORTED,
        _ => tmf_rsp::REJECTED,
    };
    if ctx
        .sess
        .send(pdu::task_mgmt_rsp(ctx.itt, r), &[], true)
        .is_err()
        || ctx.cold
    {
        ctx.sess.stop_after_sending();
    }
}

impl Session {
    /// A Task Management Function Request: handed to SCST, answered in
    /// `task_mgmt_fn_done` (after the affected commands are gone, none of
    /// which is answered).
    pub(super) fn task_mgmt(self: &Arc<Self>, t: &pdu::TaskMgmt) -> Result<(), End> {
        use pdu::{tmf, tmf_rsp};
        let answer = |s: &Self, r: u8| s.send(pdu::task_mgmt_rsp(t.itt, r), &[], true);
        let (func, lun) = match t.function {
            tmf::ABORT_TASK => (SCST_ABORT_TASK, Some(&t.lun)),
            tmf::ABORT_TASK_SET => (SCST_ABORT_TASK_SET, Some(&t.lun)),
            tmf::CLEAR_ACA => (SCST_CLEAR_ACA, Some(&t.lun)),
            tmf::CLEAR_TASK_SET => (SCST_CLEAR_TASK_SET, Some(&t.lun)),
            tmf::LOGICAL_UNIT_RESET => (SCST_LUN_RESET, Some(&t.lun)),
            tmf::TARGET_WARM_RESET | tmf::TARGET_COLD_RESET => (SCST_TARGET_RESET, None),
            // ErrorRecoveryLevel 0: no task reassignment.
            tmf::TASK_REASSIGN => return answer(self, tmf_rsp::NO_REASSIGN),
            _ => return answer(self, tmf_rsp::NOT_SUPPORTED),
        };
        let mut tag: Option<CmdTag> = None;
        let mut target = None;
        if func == SCST_ABORT_TASK {
            // The core knows a command by its tag: our `IscsiCmd`, kept
            // alive in the request's context so that its address names no
            // later command while the core looks for it.
            match self.find_cmd(t.ref_itt) {
                Some(ic) => {
                    tag = Some(cmd_tag(&ic));
                    target = Some(ic);
                }
                None if self.abort_held(t.ref_itt) => return answer(self, tmf_rsp::COMPLETE),
                None => return answer(self, tmf_rsp::NO_TASK),
            }
        }
        let aborted_write = target.clone().filter(|ic| ic.write);
        let ctx = KBox::new(
            TmCtx {
                sess: self.clone(),
                itt: t.itt,
                cold: t.function == tmf::TARGET_COLD_RESET,
                target,
            },
            GFP_KERNEL,
        )
        .map_err(|_| End::OutOfMemory)?;
        // `ctx` comes back in `task_mgmt_fn_done`.
        let submitted = match self.reg.lock().as_ref() {
            Some(r) => r.task_mgmt(func, lun, tag, ctx).is_ok(),
            None => return Err(End::SessionGone),
        };
        if !submitted {
            return answer(self, tmf_rsp::REJECTED);
        }
        if let Some(ic) = aborted_write {
            ic.fail_once_aborted();
        }
        Ok(())
    }
}
