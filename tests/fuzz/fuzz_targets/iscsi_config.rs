//! iscsi-scstd's configuration files: /etc/iscsi-scstd.conf
//! (`config::parse`) and /etc/initiators.allow and .deny (`acl::parse`),
//! both fed the same text.  A parsed config, written out again, parses
//! to the same config; parsed rules survive their comments and blank
//! lines being dropped.
#![no_main]
use iscsi_proto::text::{self, Writer};
use iscsi_proto::{acl, config, ctl};
use libfuzzer_sys::fuzz_target;
use std::fmt::Write as _;

/// An IncomingUser line's words.
fn incoming(u: &config::User) -> String {
    format!(
        "{} {} {}",
        u.name,
        u.secret,
        u.initiator.as_deref().unwrap_or("")
    )
}

/// `c` as a config file.
fn render(c: &config::Config) -> String {
    let mut s = String::new();
    for u in &c.incoming {
        writeln!(s, "IncomingUser {}", incoming(u)).unwrap();
    }
    if let Some(u) = &c.outgoing {
        writeln!(s, "OutgoingUser {} {}", u.name, u.secret).unwrap();
    }
    if let Some(a) = &c.isns_server {
        writeln!(s, "iSNSServer {}", a).unwrap();
    }
    writeln!(
        s,
        "iSNSAccessControl {}",
        if c.isns_access_control { "Yes" } else { "No" }
    )
    .unwrap();
    for t in &c.targets {
        writeln!(s, "Target {}", t.name).unwrap();
        for u in &t.incoming {
            writeln!(s, "  IncomingUser {}", incoming(u)).unwrap();
        }
        if let Some(u) = &t.outgoing {
            writeln!(s, "  OutgoingUser {} {}", u.name, u.secret).unwrap();
        }
        if let Some(a) = &t.alias {
            writeln!(s, "  Alias {}", a).unwrap();
        }
        let mut buf = [0u8; 1024];
        let mut w = Writer::new(&mut buf);
        t.settings.write(&mut w).unwrap();
        for (k, v) in text::items(w.as_bytes()).map(Result::unwrap) {
            writeln!(
                s,
                "  {} {}",
                std::str::from_utf8(k).unwrap(),
                std::str::from_utf8(v).unwrap()
            )
            .unwrap();
        }
    }
    s
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);

    if let Ok(c) = config::parse(&text) {
        for (i, t) in c.targets.iter().enumerate() {
            assert!(
                t.settings.check().is_ok()
                    && config::valid_name(&t.name)
                    && ctl::valid_name(t.name.as_bytes())
            );
            assert_eq!(t.tid as usize, i + 1);
            assert_eq!(c.by_tid(t.tid).map(|x| &x.name), Some(&t.name));
            assert_eq!(
                c.target(t.name.to_ascii_uppercase().as_bytes())
                    .map(|x| x.tid),
                Some(t.tid)
            );
            assert!(t
                .alias
                .as_ref()
                .is_none_or(|a| !a.is_empty() && a.len() <= 255));
        }
        // A word ending in a backslash would join lines when written out.
        if !render(&c).split_whitespace().any(|w| w.ends_with('\\')) {
            let again =
                config::parse(&render(&c)).unwrap_or_else(|e| panic!("{}: {:?}", e, render(&c)));
            assert_eq!(
                (&again.incoming, &again.outgoing, &again.isns_server),
                (&c.incoming, &c.outgoing, &c.isns_server)
            );
            assert_eq!(
                (again.isns_access_control, &again.targets),
                (c.isns_access_control, &c.targets)
            );
        }
    }

    if let Ok(rules) = acl::parse(&text) {
        let bare: String = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .flat_map(|l| [l, "\n"])
            .collect();
        assert_eq!(acl::parse(&bare).as_ref(), Ok(&rules));
        let none = acl::Rules::default();
        for addr in ["10.1.2.3", "::ffff:10.1.2.3", "fd00::1", "0.0.0.0"] {
            let a = addr.parse().unwrap();
            for (t, i) in [("iqn.2026-11.org.scst:disk", "iqn.x"), ("ALL", "ALL")] {
                // An allow file alone lets everyone in; a deny file
                // alone keeps out exactly whom it matches.
                assert!(acl::allowed(&rules, &none, t, i, a));
                assert_eq!(
                    acl::allowed(&none, &rules, t, i, a),
                    !rules.matches(t, i, a)
                );
            }
        }
    }
});
