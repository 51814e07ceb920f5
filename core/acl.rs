// SPDX-License-Identifier: GPL-2.0

//! Which security group a new session is bound to (LUN masking).
//! `no_std`, host-tested.
//!
//! The rule, from the SCST README: the group that lists the session's
//! initiator name; else the group "Default_<target name>" if it exists;
//! else "Default".

/// The group every configuration has.
pub const DEFAULT_GROUP: &str = "Default";

/// What the selection needs to know about a group.
pub trait GroupView {
    /// The group's name.
    fn name(&self) -> &[u8];
    /// Whether the group lists `initiator` in its names.
    fn lists(&self, initiator: &[u8]) -> bool;
}

/// Whether `name` is "Default_" followed by `target`.
fn is_target_default(name: &[u8], target: &[u8]) -> bool {
    name.strip_prefix(DEFAULT_GROUP.as_bytes())
        .and_then(|rest| rest.strip_prefix(b"_"))
        .is_some_and(|t| t == target)
}

/// The index in `groups` of the group a session of `initiator` on
/// `target` binds to, or `None` if not even "Default" exists.
pub fn select_group<G: GroupView>(groups: &[G], initiator: &[u8], target: &[u8]) -> Option<usize> {
    groups
        .iter()
        .position(|g| g.lists(initiator))
        .or_else(|| {
            groups
                .iter()
                .position(|g| is_target_default(g.name(), target))
        })
        .or_else(|| {
            groups
                .iter()
                .position(|g| g.name() == DEFAULT_GROUP.as_bytes())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    struct G(&'static str, &'static [&'static str]);

    impl GroupView for G {
        fn name(&self) -> &[u8] {
            self.0.as_bytes()
        }
        fn lists(&self, initiator: &[u8]) -> bool {
            self.1.iter().any(|n| n.as_bytes() == initiator)
        }
    }

    const IQN: &[u8] = b"iqn.2026-11.test:host1";
    const TGT: &[u8] = b"iqn.2026-11.test:tgt";

    #[test]
    fn listed_name_wins() {
        let groups = [
            G("Default", &[]),
            G("Default_iqn.2026-11.test:tgt", &[]),
            G("g1", &["other"]),
            G("g2", &["iqn.2026-11.test:host1"]),
        ];
        assert_eq!(select_group(&groups, IQN, TGT), Some(3));
    }

    #[test]
    fn target_default_before_default() {
        let groups = [
            G("Default", &[]),
            G("Default_iqn.2026-11.test:tgt", &[]),
            G("g1", &["x"]),
        ];
        assert_eq!(select_group(&groups, IQN, TGT), Some(1));
        assert_eq!(
            select_group(&groups, IQN, b"iqn.2026-11.test:other"),
            Some(0)
        );
    }

    #[test]
    fn default_and_nothing() {
        assert_eq!(select_group(&[G("Default", &[])], IQN, TGT), Some(0));
        assert_eq!(select_group(&[G("g1", &[])], IQN, TGT), None);
        let none: [G; 0] = [];
        assert_eq!(select_group(&none, IQN, TGT), None);
    }

    #[test]
    fn near_misses_do_not_match() {
        // "Default_" + a prefix of the target, "Default" + target without
        // the underscore, and case differences are other groups.
        let groups = [
            G("Default_iqn.2026-11.test:tg", &[]),
            G("Defaultiqn.2026-11.test:tgt", &[]),
            G("default", &[]),
            G("g", &["IQN.2026-11.TEST:HOST1"]),
        ];
        assert_eq!(select_group(&groups, IQN, TGT), None);
        assert!(!is_target_default(b"Default", b""));
        assert!(is_target_default(b"Default_x", b"x"));
    }
}
