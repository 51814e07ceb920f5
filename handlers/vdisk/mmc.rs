// SPDX-License-Identifier: GPL-2.0

//! The MMC replies of a vcdrom: a single-session, single-track data CD of
//! 2048-byte blocks, or no medium.  What an OS installer and Linux's sr
//! driver ask.  `no_std`, host-tested.

use super::scsi::{be, byte, put, Sense};

/// The state the replies depend on.
#[derive(Clone, Copy)]
pub struct Disc {
    /// Blocks of the medium; `None`: no medium.
    pub blocks: Option<u64>,
    /// A new medium was loaded and GET EVENT STATUS NOTIFICATION has not
    /// reported it yet.
    pub new_medium: bool,
    /// PREVENT ALLOW MEDIUM REMOVAL prevents removal.
    pub prevented: bool,
}

/// MSF address of `lba` (with the 2-second lead-in offset).
fn msf(lba: u64) -> [u8; 4] {
    let a = lba + 150;
    [
        0,
        ((a / (75 * 60)).min(255)) as u8,
        ((a / 75) % 60) as u8,
        (a % 75) as u8,
    ]
}

fn address(lba: u64, use_msf: bool) -> [u8; 4] {
    if use_msf {
        msf(lba)
    } else {
        (lba.min(u64::from(u32::MAX)) as u32).to_be_bytes()
    }
}

/// READ TOC/PMA/ATIP, formats 0 (TOC) and 1 (session information).
pub fn read_toc(cdb: &[u8], blocks: u64, out: &mut [u8]) -> Result<usize, Sense> {
    out.fill(0);
    let use_msf = byte(cdb, 1) & 0x02 != 0;
    let format = byte(cdb, 2) & 0x0f;
    let track = byte(cdb, 6);
    // Data track, ADR 1.
    const CTL: u8 = 0x14;
    let len = match format {
        0 => {
            if track > 1 && track != 0xaa {
                return Err(Sense::INVALID_FIELD_IN_CDB);
            }
            let mut at = 4;
            if track <= 1 {
                put(out, at, &[0, CTL, 1, 0]);
                put(out, at + 4, &address(0, use_msf));
                at += 8;
            }
            put(out, at, &[0, CTL, 0xaa, 0]);
            put(out, at + 4, &address(blocks, use_msf));
            at + 8
        }
        1 => {
            put(out, 4, &[0, CTL, 1, 0]);
            put(out, 8, &address(0, use_msf));
            12
        }
        _ => return Err(Sense::INVALID_FIELD_IN_CDB),
    };
    put(out, 0, &((len - 2) as u16).to_be_bytes());
    put(out, 2, &[1, 1]);
    Ok(len)
}

/// Features GET CONFIGURATION reports: code, whether current only with a
/// medium, data.
const FEATURES: &[(u16, bool, &[u8])] = &[
    // Profile list: CD-ROM.
    (0x0000, false, &[0x00, 0x08, 0x00, 0x00]),
    // Core: SCSI interface.
    (0x0001, false, &[0, 0, 0, 1, 0, 0, 0, 0]),
    // Morphing.
    (0x0002, false, &[0, 0, 0, 0]),
    // Removable medium: tray, eject, lock.
    (0x0003, false, &[0x29, 0, 0, 0]),
    // Random readable: 2048-byte blocks, blocking 1.
    (0x0010, true, &[0, 0, 0x08, 0, 0, 1, 0, 0]),
    // CD read.
    (0x001e, true, &[0, 0, 0, 0]),
];

/// GET CONFIGURATION.
pub fn get_configuration(cdb: &[u8], d: &Disc, out: &mut [u8]) -> Result<usize, Sense> {
    out.fill(0);
    let rt = byte(cdb, 1) & 0x03;
    let start = be(cdb, 2, 2) as u16;
    let medium = d.blocks.is_some();
    let mut at = 8;
    for &(code, needs_medium, data) in FEATURES {
        let current = !needs_medium || medium;
        let wanted = match rt {
            0 => code >= start,
            1 => code >= start && current,
            2 => code == start,
            _ => return Err(Sense::INVALID_FIELD_IN_CDB),
        };
        if !wanted {
            continue;
        }
        // Persistent for the features that are always current; current.
        let flags = (if current { 0x01 } else { 0 }) | (if needs_medium { 0 } else { 0x02 });
        put(out, at, &code.to_be_bytes());
        put(out, at + 2, &[flags, data.len() as u8]);
        put(out, at + 4, data);
        if code == 0 && medium {
            put(out, at + 6, &[0x01]); // the CD-ROM profile is current
        }
        at += 4 + data.len();
    }
    put(out, 0, &((at - 4) as u32).to_be_bytes());
    let profile: u16 = if medium { 0x0008 } else { 0 };
    put(out, 6, &profile.to_be_bytes());
    Ok(at)
}

/// GET EVENT STATUS NOTIFICATION (polled only), media class.  Returns
/// the reply length and whether the new-medium event was reported.
pub fn event_status(cdb: &[u8], d: &Disc, out: &mut [u8]) -> Result<(usize, bool), Sense> {
    out.fill(0);
    if byte(cdb, 1) & 0x01 == 0 {
        // Asynchronous notification is not supported.
        return Err(Sense::INVALID_FIELD_IN_CDB);
    }
    const MEDIA: u8 = 0x10;
    if byte(cdb, 4) & MEDIA == 0 {
        // No supported class asked for: NEA.
        put(out, 0, &[0, 2, 0x80, MEDIA]);
        return Ok((4, false));
    }
    let (code, reported) = match (d.blocks.is_some(), d.new_medium) {
        (true, true) => (2, true), // NewMedia
        _ => (0, false),
    };
    let status = if d.blocks.is_some() { 0x02 } else { 0 };
    put(out, 0, &[0, 6, 4, MEDIA, code, status, 0, 0]);
    Ok((8, reported))
}

/// READ DISC INFORMATION, standard disc information.
pub fn disc_information(cdb: &[u8], out: &mut [u8]) -> Result<usize, Sense> {
    out.fill(0);
    if byte(cdb, 1) & 0x07 != 0 {
        return Err(Sense::INVALID_FIELD_IN_CDB);
    }
    // Complete disc, complete last session, not erasable; one session,
    // one track; unrestricted use; CD-ROM disc type; lead-in/out unknown.
    put(out, 0, &[0, 32, 0x0e, 1, 1, 1, 1, 0x20, 0x00]);
    put(out, 16, &[0xff; 8]);
    Ok(34)
}

/// MODE SENSE(6/10) of a CD-ROM: the read error recovery page and the
/// capabilities page (0x2A), no block descriptor.
pub fn mode_sense(cdb: &[u8], d: &Disc, ten: bool, out: &mut [u8]) -> Result<usize, Sense> {
    out.fill(0);
    let pc = byte(cdb, 2) >> 6;
    if pc == 3 {
        return Err(Sense::SAVING_PARAMETERS_NOT_SUPPORTED);
    }
    let code = byte(cdb, 2) & 0x3f;
    let changeable = pc == 1;
    let recovery: [u8; 12] = [
        0x01,
        0x0a,
        0,
        if changeable { 0 } else { 5 },
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
    ];
    let mut caps = [0u8; 22];
    caps[0] = 0x2a;
    caps[1] = 20;
    if !changeable {
        caps[2] = 0x03; // reads CD-R, CD-RW
        caps[4] = 0x71; // multi-session, mode 2 forms, audio play
        caps[5] = 0x03; // CD-DA commands, accurate
                        // Tray loader, eject, lock, and the current lock state.
        caps[6] = 0x29 | if d.prevented { 0x02 } else { 0 };
        caps[8..10].copy_from_slice(&(176u16 * 8).to_be_bytes()); // max read speed
        caps[12..14].copy_from_slice(&2048u16.to_be_bytes()); // buffer (KB)
        caps[14..16].copy_from_slice(&(176u16 * 8).to_be_bytes()); // current read speed
    }
    let hdr = if ten { 8 } else { 4 };
    let mut at = hdr;
    let pages: [(u8, &[u8]); 2] = [(0x01, &recovery), (0x2a, &caps)];
    let mut found = false;
    for (c, p) in pages {
        if code == 0x3f || code == c {
            put(out, at, p);
            at += p.len();
            found = true;
        }
    }
    if !found {
        return Err(Sense::INVALID_FIELD_IN_CDB);
    }
    // Medium type: 120 mm CD-ROM data only, or door closed, no disc.
    let medium_type = if d.blocks.is_some() { 0x01 } else { 0x70 };
    if ten {
        put(out, 0, &((at - 2) as u16).to_be_bytes());
        put(out, 2, &[medium_type]);
    } else {
        put(out, 0, &[(at - 1) as u8, medium_type]);
    }
    Ok(at)
}

/// What START STOP UNIT asks of the tray.
#[derive(Debug, PartialEq, Eq)]
pub enum Tray {
    Nothing,
    Eject,
    Load,
}

/// START STOP UNIT: LoEj with Start 0 ejects (refused while removal is
/// prevented), with Start 1 loads.
pub fn start_stop(cdb: &[u8], d: &Disc) -> Result<Tray, Sense> {
    let b4 = byte(cdb, 4);
    if b4 & 0xf0 != 0 {
        // Power conditions are not supported.
        return Err(Sense::INVALID_FIELD_IN_CDB);
    }
    match (b4 & 0x02 != 0, b4 & 0x01 != 0) {
        (false, _) => Ok(Tray::Nothing),
        (true, false) if d.prevented => Err(Sense::MEDIUM_REMOVAL_PREVENTED),
        (true, false) => Ok(Tray::Eject),
        (true, true) => Ok(Tray::Load),
    }
}

/// Opcodes of a vcdrom, for REPORT SUPPORTED OPERATION CODES.
pub const CDROM_OPCODES: &[(u8, Option<u16>, &[u8])] = &[
    (0x00, None, &[0x00, 0, 0, 0, 0, 0x07]),
    (0x03, None, &[0x03, 0x01, 0, 0, 0xff, 0x07]),
    (0x12, None, &[0x12, 0x01, 0xff, 0xff, 0xff, 0x07]),
    (0x1a, None, &[0x1a, 0x08, 0xff, 0xff, 0xff, 0x07]),
    (0x1b, None, &[0x1b, 0x01, 0, 0, 0x03, 0x07]),
    (0x1e, None, &[0x1e, 0, 0, 0, 0x03, 0x07]),
    (
        0x25,
        None,
        &[0x25, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0x01, 0x07],
    ),
    (
        0x28,
        None,
        &[0x28, 0x18, 0xff, 0xff, 0xff, 0xff, 0x1f, 0xff, 0xff, 0x07],
    ),
    (
        0x43,
        None,
        &[0x43, 0x02, 0x0f, 0, 0, 0, 0xff, 0xff, 0xff, 0x07],
    ),
    (
        0x46,
        None,
        &[0x46, 0x03, 0xff, 0xff, 0, 0, 0, 0xff, 0xff, 0x07],
    ),
    (
        0x4a,
        None,
        &[0x4a, 0x01, 0, 0, 0xff, 0, 0, 0xff, 0xff, 0x07],
    ),
    (0x51, None, &[0x51, 0x07, 0, 0, 0, 0, 0, 0xff, 0xff, 0x07]),
    (
        0x5a,
        None,
        &[0x5a, 0x08, 0xff, 0xff, 0, 0, 0, 0xff, 0xff, 0x07],
    ),
    (
        0xa0,
        None,
        &[0xa0, 0, 0xff, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0x07],
    ),
    (
        0xa8,
        None,
        &[
            0xa8, 0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0x07,
        ],
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    const DISC: Disc = Disc {
        blocks: Some(1000),
        new_medium: false,
        prevented: false,
    };
    const EMPTY: Disc = Disc {
        blocks: None,
        new_medium: false,
        prevented: false,
    };

    #[test]
    fn toc() {
        let mut b = [0u8; 64];
        let n = read_toc(&[0x43, 0, 0, 0, 0, 0, 0, 0, 64, 0], 1000, &mut b).unwrap();
        assert_eq!(n, 20);
        assert_eq!(&b[..4], &[0, 18, 1, 1]);
        assert_eq!(&b[4..12], &[0, 0x14, 1, 0, 0, 0, 0, 0]);
        assert_eq!(&b[12..20], &[0, 0x14, 0xaa, 0, 0, 0, 0x03, 0xe8]);
        // MSF: 1000 + 150 = 1150 frames = 0:15:25.
        read_toc(&[0x43, 2, 0, 0, 0, 0, 0, 0, 64, 0], 1000, &mut b).unwrap();
        assert_eq!(&b[16..20], &[0, 0, 15, 25]);
        assert_eq!(&b[8..12], &[0, 0, 2, 0]);
        let n = read_toc(&[0x43, 0, 1, 0, 0, 0, 0, 0, 64, 0], 1000, &mut b).unwrap();
        assert_eq!((n, b[1]), (12, 10));
        assert_eq!(
            read_toc(&[0x43, 0, 2, 0, 0, 0, 0, 0, 64, 0], 1000, &mut b),
            Err(Sense::INVALID_FIELD_IN_CDB)
        );
        assert_eq!(
            read_toc(&[0x43, 0, 0, 0, 0, 0, 5, 0, 64, 0], 1000, &mut b),
            Err(Sense::INVALID_FIELD_IN_CDB)
        );
        let n = read_toc(&[0x43, 0, 0, 0, 0, 0, 0xaa, 0, 64, 0], 1000, &mut b).unwrap();
        assert_eq!((n, b[6]), (12, 0xaa));
    }

    #[test]
    fn configuration() {
        let mut b = [0u8; 128];
        let n = get_configuration(&[0x46, 0, 0, 0, 0, 0, 0, 0, 128, 0], &DISC, &mut b).unwrap();
        assert_eq!(be(&b, 0, 4) as usize, n - 4);
        assert_eq!(be(&b, 6, 2), 0x0008);
        assert_eq!(&b[8..16], &[0, 0, 0x03, 4, 0, 0x08, 0x01, 0]);
        let n_empty =
            get_configuration(&[0x46, 1, 0, 0, 0, 0, 0, 0, 128, 0], &EMPTY, &mut b).unwrap();
        assert_eq!(be(&b, 6, 2), 0);
        assert!(n_empty < n);
        let n = get_configuration(&[0x46, 2, 0, 0x10, 0, 0, 0, 0, 128, 0], &DISC, &mut b).unwrap();
        assert_eq!(n, 8 + 12);
        assert_eq!(be(&b, 8, 2), 0x10);
        assert_eq!(
            get_configuration(&[0x46, 3, 0, 0, 0, 0, 0, 0, 128, 0], &DISC, &mut b),
            Err(Sense::INVALID_FIELD_IN_CDB)
        );
    }

    #[test]
    fn events() {
        let mut b = [0u8; 16];
        assert_eq!(
            event_status(&[0x4a, 0, 0, 0, 0x10, 0, 0, 0, 16, 0], &DISC, &mut b),
            Err(Sense::INVALID_FIELD_IN_CDB)
        );
        assert_eq!(
            event_status(&[0x4a, 1, 0, 0, 0x02, 0, 0, 0, 16, 0], &DISC, &mut b),
            Ok((4, false))
        );
        assert_eq!(b[2], 0x80);
        let new = Disc {
            new_medium: true,
            ..DISC
        };
        assert_eq!(
            event_status(&[0x4a, 1, 0, 0, 0x10, 0, 0, 0, 16, 0], &new, &mut b),
            Ok((8, true))
        );
        assert_eq!(&b[..8], &[0, 6, 4, 0x10, 2, 2, 0, 0]);
        assert_eq!(
            event_status(&[0x4a, 1, 0, 0, 0x10, 0, 0, 0, 16, 0], &EMPTY, &mut b),
            Ok((8, false))
        );
        assert_eq!(b[5], 0);
    }

    #[test]
    fn disc_info_and_modes() {
        let mut b = [0u8; 64];
        assert_eq!(
            disc_information(&[0x51, 0, 0, 0, 0, 0, 0, 0, 34, 0], &mut b),
            Ok(34)
        );
        assert_eq!(b[2], 0x0e);
        assert_eq!(
            disc_information(&[0x51, 1, 0, 0, 0, 0, 0, 0, 34, 0], &mut b),
            Err(Sense::INVALID_FIELD_IN_CDB)
        );
        let n = mode_sense(&[0x5a, 0, 0x2a, 0, 0, 0, 0, 0, 64, 0], &DISC, true, &mut b).unwrap();
        assert_eq!(n, 8 + 22);
        assert_eq!(be(&b, 0, 2) as usize, n - 2);
        assert_eq!(b[8], 0x2a);
        assert_eq!(b[14], 0x29);
        let locked = Disc {
            prevented: true,
            ..DISC
        };
        mode_sense(&[0x1a, 0, 0x3f, 0, 64, 0], &locked, false, &mut b).unwrap();
        assert_eq!(b[4 + 12 + 6], 0x2b);
        assert_eq!(
            mode_sense(&[0x1a, 0, 0x08, 0, 64, 0], &DISC, false, &mut b),
            Err(Sense::INVALID_FIELD_IN_CDB)
        );
    }

    #[test]
    fn tray() {
        assert_eq!(
            start_stop(&[0x1b, 0, 0, 0, 0x02, 0], &DISC),
            Ok(Tray::Eject)
        );
        assert_eq!(start_stop(&[0x1b, 0, 0, 0, 0x03, 0], &DISC), Ok(Tray::Load));
        assert_eq!(
            start_stop(&[0x1b, 0, 0, 0, 0x01, 0], &DISC),
            Ok(Tray::Nothing)
        );
        let locked = Disc {
            prevented: true,
            ..DISC
        };
        assert_eq!(
            start_stop(&[0x1b, 0, 0, 0, 0x02, 0], &locked),
            Err(Sense::MEDIUM_REMOVAL_PREVENTED)
        );
        assert_eq!(
            start_stop(&[0x1b, 0, 0, 0, 0x10, 0], &DISC),
            Err(Sense::INVALID_FIELD_IN_CDB)
        );
    }
}
