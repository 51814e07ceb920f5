//! Reading and writing whole PDUs on a socket during login and discovery
//! (no digests: they start with the full feature phase of a normal
//! session, which the kernel module serves).

use iscsi_proto::pdu::{pad4, Bhs, BHS_LEN};
use std::io::{self, Read, Write};

/// A PDU read from the initiator.
pub struct Pdu {
    pub bhs: Bhs,
    /// The data segment without its padding.
    pub data: Vec<u8>,
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

/// Reads one PDU; a data segment longer than `max_data` is an error (the
/// connection is then dropped).  Additional header segments are read and
/// ignored: no login or text PDU has any.
pub fn read_pdu(s: &mut impl Read, max_data: usize) -> io::Result<Pdu> {
    let mut bhs = Bhs::default();
    s.read_exact(&mut bhs.0)?;
    let len = bhs.data_len() as usize;
    if len > max_data {
        return Err(invalid(format!(
            "data segment of {} bytes, more than {}",
            len, max_data
        )));
    }
    let mut ahs = vec![0u8; bhs.ahs_len()];
    s.read_exact(&mut ahs)?;
    let mut data = vec![0u8; pad4(len)];
    s.read_exact(&mut data)?;
    data.truncate(len);
    Ok(Pdu { bhs, data })
}

/// Writes one PDU in one write: header, data, padding.
pub fn write_pdu(s: &mut impl Write, bhs: &Bhs, data: &[u8]) -> io::Result<()> {
    let mut buf = Vec::with_capacity(BHS_LEN + pad4(data.len()));
    buf.extend_from_slice(&bhs.0);
    buf.extend_from_slice(data);
    buf.resize(BHS_LEN + pad4(data.len()), 0);
    s.write_all(&buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use iscsi_proto::pdu::op;

    #[test]
    fn round_trip_with_padding() {
        let mut b = Bhs::new(op::TEXT);
        b.set_data_len(5);
        let mut out = Vec::new();
        write_pdu(&mut out, &b, b"a=b\0\0").unwrap();
        assert_eq!(out.len(), 56);
        let p = read_pdu(&mut out.as_slice(), 8192).unwrap();
        assert_eq!((p.bhs, p.data.as_slice()), (b, &b"a=b\0\0"[..]));
        assert!(read_pdu(&mut out.as_slice(), 4).is_err());
        assert!(read_pdu(&mut &out[..50], 8192).is_err());
    }
}
