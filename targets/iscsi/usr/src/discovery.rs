//! SendTargets (RFC 7143 appendix C): the targets an initiator may see,
//! each with the portal it reached us on.

use crate::portal::{canonical, Portal};
use std::net::SocketAddr;

/// `TargetAddress` for a portal: `ip:port,tpgt`, IPv6 in brackets.
pub fn target_address(local: SocketAddr) -> String {
    match canonical(local.ip()) {
        std::net::IpAddr::V4(a) => format!("{}:{},1", a, local.port()),
        std::net::IpAddr::V6(a) => format!("[{}]:{},1", a, local.port()),
    }
}

/// The answer to `SendTargets=value` from `initiator`: `All` lists every
/// target the access rules let it see, a name lists that target if it
/// may; anything else (an empty value belongs to normal sessions) lists
/// nothing.  Items are NUL-terminated text.
pub fn send_targets(
    p: &Portal,
    value: &[u8],
    initiator: &str,
    peer: SocketAddr,
    local: SocketAddr,
) -> Vec<u8> {
    let addr = target_address(local);
    let peer_ip = canonical(peer.ip());
    let mut out = Vec::new();
    for t in &p.config().targets {
        let wanted = value == b"All" || t.name.as_bytes().eq_ignore_ascii_case(value);
        if wanted && p.allowed(&t.name, initiator, peer_ip) {
            for item in [
                format!("TargetName={}", t.name),
                format!("TargetAddress={}", addr),
            ] {
                out.extend_from_slice(item.as_bytes());
                out.push(0);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::portal::Paths;

    fn portal(conf: &str, deny: &str) -> Portal {
        let dir = std::env::temp_dir().join(format!(
            "iscsi-scstd-test-{}-{}",
            std::process::id(),
            conf.len() + deny.len()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let (c, d) = (dir.join("conf"), dir.join("deny"));
        std::fs::write(&c, conf).unwrap();
        std::fs::write(&d, deny).unwrap();
        let paths = Paths {
            config: c.to_string_lossy().into(),
            allow: dir.join("none").to_string_lossy().into(),
            deny: d.to_string_lossy().into(),
        };
        let p = Portal::load(&paths).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        p
    }

    #[test]
    fn lists_allowed_targets() {
        let p = portal(
            "Target iqn.2026-11.org.scst:a\nTarget iqn.2026-11.org.scst:b\n",
            "iqn.2026-11.org.scst:b 10.0.0.9\n",
        );
        let local: SocketAddr = "[::ffff:10.0.0.1]:3260".parse().unwrap();
        let me: SocketAddr = "10.0.0.9:5000".parse().unwrap();
        let other: SocketAddr = "10.0.0.8:5000".parse().unwrap();
        let all = send_targets(&p, b"All", "iqn.i", other, local);
        assert_eq!(
            all,
            b"TargetName=iqn.2026-11.org.scst:a\0TargetAddress=10.0.0.1:3260,1\0TargetName=iqn.2026-11.org.scst:b\0TargetAddress=10.0.0.1:3260,1\0"
        );
        let mine = send_targets(&p, b"All", "iqn.i", me, local);
        assert_eq!(
            mine,
            b"TargetName=iqn.2026-11.org.scst:a\0TargetAddress=10.0.0.1:3260,1\0"
        );
        assert_eq!(
            send_targets(&p, b"IQN.2026-11.ORG.SCST:B", "iqn.i", other, local).len(),
            all.len() - mine.len()
        );
        assert!(send_targets(&p, b"", "iqn.i", other, local).is_empty());
        assert_eq!(
            target_address("[fd00::1]:3261".parse().unwrap()),
            "[fd00::1]:3261,1"
        );
    }
}
