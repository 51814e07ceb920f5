// SPDX-License-Identifier: GPL-2.0

//! scst_min_target: the smallest target driver, written against rust/api's
//! `TargetDriver` trait (docs/api.md opens with it).  Driver "min_target"
//! has one target, "min_tgt", and one session, of initiator
//! "min_initiator", which sends an INQUIRY to LUN 0 when the module loads
//! and logs the answer.

use kernel::{c_str, prelude::*, str::BStr};

#[path = "../../rust/mod.rs"]
mod scst_rs;

use scst_rs::api::cmd::{Cmd, Context, Direction};
use scst_rs::api::target::{Session, Target, TargetDriver, Template};
use scst_rs::scsi::op;

module! {
    type: MinTarget,
    name: "scst_min_target",
    author: "SCST-rs developers",
    description: "Minimal SCST target driver: one session that sends an INQUIRY",
    license: "GPL",
}

struct Driver;

#[vtable]
impl TargetDriver for Driver {
    // Nothing to keep per command, request or session.
    type CmdData = ();
    type MgmtData = ();
    type SessData = ();

    /// The answer: a real driver sends it to its initiator here.
    fn xmit_response(mut cmd: Cmd, _data: ()) {
        let status = cmd.status().0;
        let n = (cmd.resp_len() as usize).min(cmd.buffer().len());
        let answer = cmd.buffer().get(..n).unwrap_or(&[]);
        let field = |at: core::ops::Range<usize>| BStr::from_bytes(answer.get(at).unwrap_or(&[]));
        pr_info!(
            "INQUIRY of LUN 0: status 0x{:02x}, {} bytes, vendor \"{}\", product \"{}\"\n",
            status,
            n,
            field(8..16),
            field(16..32)
        );
        cmd.tgt_done(Context::Same);
    }
}

struct MinTarget {
    // Dropped in this order: the session (waiting for its command), the
    // target, the driver.
    _sess: Session<Driver>,
    _target: Target<Driver>,
    _tmpl: Template<Driver>,
}

impl kernel::Module for MinTarget {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let tmpl = Template::new(c_str!("min_target"), module)?;
        let target = tmpl.add_target(c_str!("min_tgt"))?;
        let sess = target.add_session(c_str!("min_initiator"))?;
        let inquiry = [op::INQUIRY, 0, 0, 0, 36, 0];
        if let Ok(cmd) = sess.rx(&[0; 8], &inquiry, (), false) {
            cmd.set_expected(Direction::Read, 36);
            cmd.init_done(Context::Direct);
        }
        Ok(MinTarget {
            _sess: sess,
            _target: target,
            _tmpl: tmpl,
        })
    }
}
