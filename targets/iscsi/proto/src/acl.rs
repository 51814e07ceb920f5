// SPDX-License-Identifier: GPL-2.0

//! /etc/initiators.allow and /etc/initiators.deny (IET's format): each
//! line is a target name or `ALL`, then a comma-separated list of
//! initiator names, IPv4/IPv6 addresses or networks (`10.0.0.0/8`,
//! `[fd00::]/64`), or `ALL`.  As with TCP wrappers, an initiator is let in
//! if an allow line matches, else kept out if a deny line matches, else
//! let in.  `no_std` with `alloc`.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::net::IpAddr;

/// One item of a line's list.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Pattern {
    All,
    Name(String),
    Net(IpAddr, u8),
}

/// One line.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    /// None: ALL targets.
    target: Option<String>,
    patterns: Vec<Pattern>,
}

/// The rules of one file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Rules {
    rules: Vec<Rule>,
}

fn pattern(s: &str) -> Result<Pattern, String> {
    if s == "ALL" {
        return Ok(Pattern::All);
    }
    let (addr, prefix) = match s.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (s, None),
    };
    let addr = addr
        .strip_prefix('[')
        .and_then(|a| a.strip_suffix(']'))
        .unwrap_or(addr);
    let Ok(ip) = addr.parse::<IpAddr>() else {
        if prefix.is_none() && crate::config::valid_name(s) {
            return Ok(Pattern::Name(s.to_string()));
        }
        return Err(format!(
            "\"{}\" is no initiator name, address or network",
            s
        ));
    };
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let bits = match prefix {
        None => max,
        Some(p) => p
            .parse::<u8>()
            .ok()
            .filter(|&b| b <= max)
            .ok_or_else(|| format!("bad prefix length in \"{}\"", s))?,
    };
    Ok(Pattern::Net(ip, bits))
}

/// Parses a file's text; an error names the line.
pub fn parse(text: &str) -> Result<Rules, String> {
    let mut rules = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (target, list) = line
            .split_once(char::is_whitespace)
            .ok_or_else(|| format!("line {}: no initiator list", i + 1))?;
        let patterns = list
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(pattern)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("line {}: {}", i + 1, e))?;
        if patterns.is_empty() {
            return Err(format!("line {}: no initiator list", i + 1));
        }
        let target = (target != "ALL").then(|| target.to_string());
        rules.push(Rule { target, patterns });
    }
    Ok(Rules { rules })
}

fn in_net(a: IpAddr, net: IpAddr, bits: u8) -> bool {
    let (a, n, width) = match (a, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => (u128::from(a.to_bits()), u128::from(n.to_bits()), 32),
        (IpAddr::V6(a), IpAddr::V6(n)) => (a.to_bits(), n.to_bits(), 128),
        (IpAddr::V6(a), IpAddr::V4(n)) => match a.to_ipv4_mapped() {
            Some(a4) => (u128::from(a4.to_bits()), u128::from(n.to_bits()), 32),
            None => return false,
        },
        _ => return false,
    };
    let shift = width - u32::from(bits);
    shift >= width || (a >> shift) == (n >> shift)
}

impl Rules {
    /// Whether a line for `target` lists the initiator (by name or
    /// address).
    pub fn matches(&self, target: &str, initiator: &str, addr: IpAddr) -> bool {
        self.rules
            .iter()
            .filter(|r| {
                r.target
                    .as_deref()
                    .is_none_or(|t| t.eq_ignore_ascii_case(target))
            })
            .flat_map(|r| r.patterns.iter())
            .any(|p| match p {
                Pattern::All => true,
                Pattern::Name(n) => n.eq_ignore_ascii_case(initiator),
                Pattern::Net(net, bits) => in_net(addr, *net, *bits),
            })
    }
}

/// The decision for a login: allow rules first, then deny rules.
pub fn allowed(allow: &Rules, deny: &Rules, target: &str, initiator: &str, addr: IpAddr) -> bool {
    allow.matches(target, initiator, addr) || !deny.matches(target, initiator, addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = "iqn.2026-11.org.scst:disk";

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn decisions() {
        let allow = parse("# allowed\niqn.2026-11.org.scst:disk 10.1.0.0/16, iqn.1993-08.org.debian:01:good\nALL [fd00::]/8\n").unwrap();
        let deny = parse("ALL ALL\n").unwrap();
        let ok = |i: &str, a: &str| allowed(&allow, &deny, T, i, ip(a));
        assert!(ok("iqn.x", "10.1.2.3"));
        assert!(!ok("iqn.x", "10.2.0.1"));
        assert!(ok("IQN.1993-08.ORG.DEBIAN:01:GOOD", "192.168.0.1"));
        assert!(ok("iqn.x", "fd12::1"));
        assert!(!ok("iqn.x", "fe80::1"));
        // An IPv4 client on an IPv6 socket.
        assert!(ok("iqn.x", "::ffff:10.1.9.9"));
        // Other targets: only the ALL line.
        assert!(!allowed(
            &allow,
            &deny,
            "iqn.other",
            "iqn.x",
            ip("10.1.2.3")
        ));
        // No files: everyone.
        assert!(allowed(
            &Rules::default(),
            &Rules::default(),
            T,
            "iqn.x",
            ip("1.2.3.4")
        ));
        // Deny one network only.
        let deny = parse("iqn.2026-11.org.scst:disk 127.0.0.1\n").unwrap();
        assert!(!allowed(
            &Rules::default(),
            &deny,
            T,
            "iqn.x",
            ip("127.0.0.1")
        ));
        assert!(allowed(
            &Rules::default(),
            &deny,
            T,
            "iqn.x",
            ip("127.0.0.2")
        ));
        assert!(allowed(
            &Rules::default(),
            &deny,
            "iqn.b",
            "iqn.x",
            ip("127.0.0.1")
        ));
    }

    #[test]
    fn refuses_bad_lines() {
        assert_eq!(parse("ALL\n").unwrap_err(), "line 1: no initiator list");
        assert_eq!(
            parse("ALL 10.0.0.0/33\n").unwrap_err(),
            "line 1: bad prefix length in \"10.0.0.0/33\""
        );
        assert_eq!(
            parse("\nALL host.example.com\n").unwrap_err(),
            "line 2: \"host.example.com\" is no initiator name, address or network"
        );
        assert_eq!(parse("ALL ,\n").unwrap_err(), "line 1: no initiator list");
        assert!(parse("ALL 0.0.0.0/0\n")
            .unwrap()
            .matches("t", "i", ip("8.8.8.8")));
    }
}
