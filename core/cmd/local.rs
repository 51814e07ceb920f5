// SPDX-License-Identifier: GPL-2.0

//! Commands the core answers itself: REPORT LUNS, REQUEST SENSE and
//! INQUIRY for absent LUNs, and SPC-2 reservations.

use super::*;

pub(super) fn is_reservation(op: u8) -> bool {
    matches!(
        op,
        op::RESERVE_6 | op::RESERVE_10 | op::RELEASE_6 | op::RELEASE_10
    )
}

/// SPC-2 RESERVE and RELEASE of the whole logical unit.  Third-party
/// reservations are not supported.
pub(super) fn reservation(shared: &Shared, c: &mut Command, r: Route) {
    let op = c.opcode();
    let b1 = c.cdb[1];
    // 3RDPTY (both sizes) and LONGID (10-byte): third-party reservations.
    let third = b1 & 0x10 != 0 || (matches!(op, op::RESERVE_10 | op::RELEASE_10) && b1 & 0x02 != 0);
    if third {
        return c.set_sense(Sense::invalid_field_in_cdb(1, Some(4)));
    }
    let mut reg = shared.registry.lock();
    let Some(d) = reg.devices.iter_mut().find(|d| d.id == r.dev_id) else {
        return c.set_sense(Sense::LUN_NOT_SUPPORTED);
    };
    let mine = d.reserved_by.as_ref().map(|h| Arc::ptr_eq(h, &c.sess));
    match (op, mine) {
        // Reserved by someone else: RESERVE was stopped at arrival.
        (op::RESERVE_6 | op::RESERVE_10, Some(false)) => c.set_status(Status::RESERVATION_CONFLICT),
        (op::RESERVE_6 | op::RESERVE_10, _) => d.reserved_by = Some(c.sess.clone()),
        // RELEASE by a non-holder succeeds and changes nothing.
        (_, Some(true)) => d.reserved_by = None,
        _ => {}
    }
}

/// REQUEST SENSE answered with sense `s` as its data.
pub(super) fn sense_data(c: &mut Command, s: Sense) -> core::result::Result<(), Stop> {
    let alloc = u32::from(c.cdb.get(4).copied().unwrap_or(0));
    send(c, &s.to_fixed(), alloc)
}

/// Commands the core answers itself: REPORT LUNS, and everything for a
/// LUN the session's group does not have.
pub(super) fn local(shared: &Shared, c: &mut Command) {
    let r = match c.opcode() {
        op::REPORT_LUNS => report_luns(shared, c),
        op::INQUIRY if c.route.is_none() => inquiry_no_lun(c),
        // REQUEST SENSE for a LUN the session does not have.
        op::REQUEST_SENSE if c.route.is_none() => sense_data(c, Sense::LUN_NOT_SUPPORTED),
        _ => {
            c.set_sense(Sense::LUN_NOT_SUPPORTED);
            return;
        }
    };
    if let Err(s) = r {
        c.set_status_or_sense(s);
    }
}

pub(super) fn report_luns(shared: &Shared, c: &mut Command) -> core::result::Result<(), Stop> {
    if c.cdb_len < 12 {
        return Err(Stop::Sense(Sense::invalid_field_in_cdb(0, None)));
    }
    // SELECT REPORT 0, 1 and 2 all mean our (flat) list here.
    if c.cdb[2] > 2 {
        return Err(Stop::Sense(Sense::invalid_field_in_cdb(2, None)));
    }
    let alloc = bytes::be(&c.cdb, 6, 4) as u32;
    if alloc < 16 {
        return Err(Stop::Sense(Sense::invalid_field_in_cdb(6, None)));
    }
    let mut luns = KVec::new();
    {
        let reg = shared.registry.lock();
        if let Some(g) = reg.group(c.sess.bound_group()) {
            luns.reserve(g.luns.len(), GFP_KERNEL)
                .map_err(|_| Stop::Status(Status::BUSY))?;
            for l in g.luns.iter() {
                luns.push(l.lun, GFP_KERNEL)
                    .map_err(|_| Stop::Status(Status::BUSY))?;
            }
        }
    }
    let full = lun::report_luns_len(luns.len());
    let n = alloc.min(u32::try_from(full).unwrap_or(u32::MAX));
    c.alloc(n)?;
    lun::report_luns(luns.iter().copied(), c.buf());
    c.set_resp(n);
    c.decoded = Some((SCST_DATA_READ, n, 0));
    Ok(())
}

/// INQUIRY for a LUN the session does not have: peripheral qualifier 3
/// ("not capable of supporting a device here"), type 0x1f.
pub(super) fn inquiry_no_lun(c: &mut Command) -> core::result::Result<(), Stop> {
    if c.cdb_len < 6 {
        return Err(Stop::Sense(Sense::invalid_field_in_cdb(0, None)));
    }
    let alloc = u32::from(u16::from_be_bytes([c.cdb[3], c.cdb[4]]));
    let mut data = [0u8; 36];
    data[0] = 0x7f;
    if c.cdb[1] & 1 != 0 {
        // A VPD page header with no page data.
        data[1] = c.cdb[2];
        return send(c, &data[..4], alloc);
    }
    data[2] = 0x05; // SPC-3
    data[3] = 0x02; // response data format
    data[4] = 31; // additional length
    copy_prefix(&mut data[8..], b"SCST_RS ");
    send(c, &data, alloc)
}

/// Returns `data`, cut to the allocation length.
pub(super) fn send(c: &mut Command, data: &[u8], alloc: u32) -> core::result::Result<(), Stop> {
    let n = (data.len() as u32).min(alloc);
    c.alloc(n)?;
    copy_prefix(c.buf(), data);
    c.set_resp(n);
    c.decoded = Some((SCST_DATA_READ, n, 0));
    Ok(())
}
