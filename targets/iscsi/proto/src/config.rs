// SPDX-License-Identifier: GPL-2.0

//! /etc/iscsi-scstd.conf, IET's format (ietd.conf(5)): a global part
//! (IncomingUser and OutgoingUser for discovery sessions, iSNSServer,
//! iSNSAccessControl) and `Target <name>` stanzas with their users, Alias
//! and operational settings.  Lines starting with `#` are comments, a
//! trailing backslash joins a line with the next, key names are
//! case-insensitive and Yes/No are not.  `Lun` lines are ignored with a
//! notice: LUNs come from SCST's groups (iSCSI-SCST README).
//! `no_std` with `alloc`.

use crate::params::{SettingError, Settings, DEFAULT_SETTINGS};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// A CHAP account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub secret: String,
    /// The one initiator name the account logs in as (an IncomingUser's
    /// optional third word); None: any name, as in IET and SCST 1.0.
    pub initiator: Option<String>,
}

impl User {
    /// An account usable by any initiator name.
    pub fn new(name: &str, secret: &str) -> User {
        User {
            name: name.to_string(),
            secret: secret.to_string(),
            initiator: None,
        }
    }

    /// Whether an initiator that calls itself `initiator` may log in
    /// with this account: the name the account is bound to, if any, is
    /// the one the login gave (iSCSI names compare without regard to
    /// case, RFC 3722).
    pub fn admits(&self, initiator: &[u8]) -> bool {
        self.initiator
            .as_ref()
            .is_none_or(|i| i.as_bytes().eq_ignore_ascii_case(initiator))
    }
}

/// One `Target` stanza.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The daemon's and the kernel's number for it: its place in the file
    /// (from 1), or the one iscsi-scst-adm gave.
    pub tid: u32,
    pub name: String,
    pub alias: Option<String>,
    /// Accounts initiators log in with; none: no CHAP.
    pub incoming: Vec<User>,
    /// The account the target answers mutual CHAP with.
    pub outgoing: Option<User>,
    pub settings: Settings,
}

/// The whole file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Config {
    /// Discovery sessions' accounts.
    pub incoming: Vec<User>,
    pub outgoing: Option<User>,
    pub isns_server: Option<String>,
    pub isns_access_control: bool,
    pub targets: Vec<Target>,
    /// Things to tell the administrator that are no errors.
    pub notices: Vec<String>,
}

/// A line the daemon refuses to start with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub line: usize,
    pub msg: String,
}

impl core::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "line {}: {}", self.line, self.msg)
    }
}

/// Whether `name` looks like an iSCSI name (see `ctl::valid_name`).
pub fn valid_name(name: &str) -> bool {
    crate::ctl::valid_name(name.as_bytes())
}

impl Config {
    pub fn target(&self, name: &[u8]) -> Option<&Target> {
        self.targets
            .iter()
            .find(|t| t.name.as_bytes().eq_ignore_ascii_case(name))
    }

    pub fn by_tid(&self, tid: u32) -> Option<&Target> {
        self.targets.iter().find(|t| t.tid == tid)
    }
}

impl Target {
    /// A target with the default settings, no users and no alias.
    pub fn new(tid: u32, name: &str) -> Target {
        Target {
            tid,
            name: name.to_string(),
            alias: None,
            incoming: Vec::new(),
            outgoing: None,
            settings: DEFAULT_SETTINGS,
        }
    }

    /// Sets an operational key or Alias from its text (iscsi-scst-adm's
    /// `--op update`); the message says what is wrong.  The settings are
    /// not checked against each other: see [`Settings::check`].
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        if key.eq_ignore_ascii_case("alias") {
            if value.is_empty() || value.len() > 255 {
                return Err("Alias takes a name of 1 to 255 bytes".into());
            }
            self.alias = Some(value.to_string());
            return Ok(());
        }
        let name = SETTING_NAMES
            .iter()
            .find(|n| n.eq_ignore_ascii_case(key))
            .ok_or_else(|| format!("unknown key {}", key))?;
        self.settings.set(name, value).map_err(|e| match e {
            SettingError::OutOfRange { lo, hi } => {
                format!("{} {}: not in {}..{}", name, value, lo, hi)
            }
            _ => format!("{} {}: bad value", name, value),
        })
    }
}

/// The lines of `text` with continuations joined, each with the number of
/// its first physical line.
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut cur: Option<(usize, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let (n, mut s) = cur.take().unwrap_or((i + 1, String::new()));
        let cont = raw.trim_end().strip_suffix('\\');
        s.push_str(cont.unwrap_or(raw));
        if cont.is_some() {
            s.push(' ');
            cur = Some((n, s));
        } else {
            out.push((n, s));
        }
    }
    out.extend(cur);
    out
}

/// An OutgoingUser: a name and a secret.
fn user(args: &[&str], line: usize) -> Result<User, ConfigError> {
    match args {
        [name, secret] => Ok(User::new(name, secret)),
        _ => Err(ConfigError {
            line,
            msg: "expected a user name and a secret".into(),
        }),
    }
}

/// An IncomingUser: a name, a secret and optionally the initiator name
/// the account is bound to.
fn incoming_user(args: &[&str], line: usize) -> Result<User, ConfigError> {
    match args {
        [name, secret, initiator] if valid_name(initiator) => Ok(User {
            initiator: Some(initiator.to_string()),
            ..User::new(name, secret)
        }),
        [_, _, initiator] => Err(ConfigError {
            line,
            msg: format!(
                "\"{}\" is not an iSCSI name (iqn., eui. or naa.)",
                initiator
            ),
        }),
        _ => user(args, line).map_err(|_| ConfigError {
            line,
            msg: "expected a user name, a secret and optionally an initiator name".into(),
        }),
    }
}

/// Parses the file's text.
pub fn parse(text: &str) -> Result<Config, ConfigError> {
    let mut c = Config::default();
    for (line, s) in logical_lines(text) {
        let err = |msg: String| ConfigError { line, msg };
        let s = s.trim();
        if s.is_empty() || s.starts_with('#') {
            continue;
        }
        let words: Vec<&str> = s.split_whitespace().collect();
        let Some((first, args)) = words.split_first() else {
            continue;
        };
        let key = first.to_ascii_lowercase();
        if key == "target" {
            finish(&mut c, line)?;
            let [name] = args else {
                return Err(err("Target takes one name".into()));
            };
            if !valid_name(name) {
                return Err(err(format!(
                    "\"{}\" is not an iSCSI name (iqn., eui. or naa.)",
                    name
                )));
            }
            if c.target(name.as_bytes()).is_some() {
                return Err(err(format!("target {} is defined twice", name)));
            }
            let tid = c.targets.len() as u32 + 1;
            c.targets.push(Target::new(tid, name));
            continue;
        }
        match c.targets.last_mut() {
            None => global(&mut c, &key, args, line)?,
            Some(t) => target_key(t, &mut c.notices, &key, args, line)?,
        }
    }
    finish(&mut c, usize::MAX)?;
    Ok(c)
}

fn global(c: &mut Config, key: &str, args: &[&str], line: usize) -> Result<(), ConfigError> {
    let err = |msg: String| ConfigError { line, msg };
    match key {
        "incominguser" => c.incoming.push(incoming_user(args, line)?),
        "outgoinguser" => set_outgoing(&mut c.outgoing, args, line)?,
        "isnsserver" => match args {
            [addr] => c.isns_server = Some(addr.to_string()),
            _ => return Err(err("iSNSServer takes one address".into())),
        },
        "isnsaccesscontrol" => match args {
            ["Yes"] => c.isns_access_control = true,
            ["No"] => c.isns_access_control = false,
            _ => return Err(err("iSNSAccessControl takes Yes or No".into())),
        },
        _ => {
            return Err(err(format!(
                "unknown global key {} (target keys go after a Target line)",
                key
            )))
        }
    }
    Ok(())
}

fn set_outgoing(slot: &mut Option<User>, args: &[&str], line: usize) -> Result<(), ConfigError> {
    if slot.is_some() {
        return Err(ConfigError {
            line,
            msg: "only one OutgoingUser is allowed".into(),
        });
    }
    *slot = Some(user(args, line)?);
    Ok(())
}

fn target_key(
    t: &mut Target,
    notices: &mut Vec<String>,
    key: &str,
    args: &[&str],
    line: usize,
) -> Result<(), ConfigError> {
    let err = |msg: String| ConfigError { line, msg };
    match key {
        "incominguser" => t.incoming.push(incoming_user(args, line)?),
        "outgoinguser" => set_outgoing(&mut t.outgoing, args, line)?,
        "alias" => {
            let alias = args.join(" ");
            if alias.is_empty() || alias.len() > 255 {
                return Err(err("Alias takes a name of 1 to 255 bytes".into()));
            }
            t.alias = Some(alias);
        }
        "lun" => notices.push(format!(
            "line {}: Lun ignored: LUNs of {} come from SCST's group Default_{} (/proc/scsi_tgt/groups)",
            line, t.name, t.name
        )),
        _ => {
            let name = SETTING_NAMES.iter().find(|n| n.eq_ignore_ascii_case(key)).ok_or_else(|| err(format!("unknown key {}", key)))?;
            let [value] = args else { return Err(err(format!("{} takes one value", name))) };
            t.set(name, value).map_err(err)?;
        }
    }
    Ok(())
}

/// The setting keys a Target stanza takes, as spelled in messages.
const SETTING_NAMES: [&str; 16] = [
    "HeaderDigest",
    "DataDigest",
    "MaxConnections",
    "InitialR2T",
    "ImmediateData",
    "MaxRecvDataSegmentLength",
    "MaxXmitDataSegmentLength",
    "MaxBurstLength",
    "FirstBurstLength",
    "DefaultTime2Wait",
    "DefaultTime2Retain",
    "MaxOutstandingR2T",
    "DataPDUInOrder",
    "DataSequenceInOrder",
    "ErrorRecoveryLevel",
    "QueuedCommands",
];

/// Checks the last target once its stanza ends, and adds notices about
/// short secrets.
fn finish(c: &mut Config, line: usize) -> Result<(), ConfigError> {
    let Some(t) = c.targets.last() else {
        return Ok(());
    };
    if let Err(msg) = t.settings.check() {
        return Err(ConfigError {
            line,
            msg: format!("target {}: {}", t.name, msg),
        });
    }
    let short: Vec<String> = t
        .incoming
        .iter()
        .chain(&t.outgoing)
        .filter(|u| u.secret.len() < 12)
        .map(|u| u.name.clone())
        .collect();
    for u in short {
        c.notices.push(format!(
            "target {}: the secret of {} is shorter than 12 characters (many initiators refuse it)",
            t.name, u
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = "\
# discovery
IncomingUser joe secretsecret1
OutgoingUser jack secretsecret2
iSNSServer 192.168.1.16
iSNSAccessControl No

Target iqn.2001-04.com.example:storage.disk2.sys1.xyz
    IncomingUser jim othersecret12
    OutgoingUser james yetanothersecret
    Lun 0 Path=/dev/sdc,Type=fileio
    Alias Test \\
      Disk
    headerdigest CRC32C,None
    MaxConnections 1
    InitialR2T Yes
    ImmediateData No
    MaxRecvDataSegmentLength 8192
    MaxXmitDataSegmentLength 8192
    MaxBurstLength 262144
    FirstBurstLength 65536
    DefaultTime2Wait 2
    DefaultTime2Retain 20
    MaxOutstandingR2T 8
    DataPDUInOrder Yes
    DataSequenceInOrder Yes
    ErrorRecoveryLevel 0
    QueuedCommands 8
Target iqn.2001-04.com.example:second
";

    #[test]
    fn parses_the_example() {
        let c = parse(EXAMPLE).unwrap();
        assert_eq!(c.incoming, vec![User::new("joe", "secretsecret1")]);
        assert_eq!(c.outgoing.as_ref().unwrap().name, "jack");
        assert_eq!(c.isns_server.as_deref(), Some("192.168.1.16"));
        assert_eq!(c.targets.len(), 2);
        let t = &c.targets[0];
        assert_eq!(t.alias.as_deref(), Some("Test Disk"));
        assert_eq!(t.incoming[0].secret, "othersecret12");
        assert!(t.settings.initial_r2t && !t.settings.immediate_data);
        assert_eq!(
            (
                t.settings.max_outstanding_r2t,
                t.settings.queued_commands,
                t.settings.header_digest
            ),
            (8, 8, 3)
        );
        assert_eq!(c.targets[1].settings, DEFAULT_SETTINGS);
        assert_eq!((c.targets[0].tid, c.targets[1].tid), (1, 2));
        assert_eq!(
            c.by_tid(2).map(|t| t.name.as_str()),
            Some("iqn.2001-04.com.example:second")
        );
        assert!(c.target(b"IQN.2001-04.COM.EXAMPLE:SECOND").is_some());
        assert_eq!(c.notices.len(), 1);
        assert!(
            c.notices[0].starts_with("line 10: Lun ignored"),
            "{:?}",
            c.notices
        );
    }

    fn error(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    #[test]
    fn refuses_bad_files() {
        assert_eq!(
            error("MaxBurstLength 512\n"),
            "line 1: unknown global key maxburstlength (target keys go after a Target line)"
        );
        assert_eq!(
            error("Target foo\n"),
            "line 1: \"foo\" is not an iSCSI name (iqn., eui. or naa.)"
        );
        assert_eq!(
            error("Target iqn.a\nTarget IQN.A\n"),
            "line 2: target IQN.A is defined twice"
        );
        assert_eq!(
            error("Target iqn.a\n  InitialR2T yes\n"),
            "line 2: InitialR2T yes: bad value"
        );
        assert_eq!(
            error("Target iqn.a\n  MaxBurstLength 100\n"),
            "line 2: MaxBurstLength 100: not in 512..16777215"
        );
        assert_eq!(
            error("Target iqn.a\n  Frob 1\n"),
            "line 2: unknown key frob"
        );
        assert_eq!(
            error("Target iqn.a\n  IncomingUser joe\n"),
            "line 2: expected a user name, a secret and optionally an initiator name"
        );
        assert_eq!(
            error("IncomingUser joe secretsecret1 joe\n"),
            "line 1: \"joe\" is not an iSCSI name (iqn., eui. or naa.)"
        );
        assert_eq!(
            error("OutgoingUser jack secretsecret1 iqn.a\n"),
            "line 1: expected a user name and a secret"
        );
        assert_eq!(
            error("OutgoingUser a secretsecret\nOutgoingUser b secretsecret\n"),
            "line 2: only one OutgoingUser is allowed"
        );
        assert_eq!(
            error(
                "Target iqn.a\n  FirstBurstLength 1048576\n  MaxBurstLength 65536\nTarget iqn.b\n"
            ),
            "line 4: target iqn.a: FirstBurstLength is larger than MaxBurstLength"
        );
        assert_eq!(
            error("Target iqn.a\n  ErrorRecoveryLevel 1\n"),
            "line 2: ErrorRecoveryLevel 1: not in 0..0"
        );
        assert!(parse("Target iqn.a\n  IncomingUser a short\n")
            .unwrap()
            .notices[0]
            .contains("shorter than 12"));
    }

    #[test]
    fn binds_accounts_to_initiators() {
        let c = parse("Target iqn.t\n  IncomingUser joe secretsecret1 iqn.1994-05.com.redhat:joe\n  IncomingUser any secretsecret2\n").unwrap();
        let (joe, any) = (&c.targets[0].incoming[0], &c.targets[0].incoming[1]);
        assert_eq!(joe.initiator.as_deref(), Some("iqn.1994-05.com.redhat:joe"));
        assert!(joe.admits(b"IQN.1994-05.com.redhat:JOE"));
        assert!(!joe.admits(b"iqn.1994-05.com.redhat:mallory"));
        assert!(any.admits(b"iqn.1994-05.com.redhat:mallory"));
    }

    #[test]
    fn sets_keys_at_run_time() {
        let mut t = Target::new(7, "iqn.a");
        t.set("initialr2t", "Yes").unwrap();
        t.set("Alias", "Disk one").unwrap();
        assert!(t.settings.initial_r2t && t.alias.as_deref() == Some("Disk one"));
        assert_eq!(
            t.set("MaxBurstLength", "1").unwrap_err(),
            "MaxBurstLength 1: not in 512..16777215"
        );
        assert_eq!(t.set("Frob", "1").unwrap_err(), "unknown key Frob");
        assert_eq!(
            t.set("ImmediateData", "maybe").unwrap_err(),
            "ImmediateData maybe: bad value"
        );
    }
}
