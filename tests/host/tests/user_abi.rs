//! scst_user's interface as C programs see it (handlers/user/scst_user.h,
//! compiled here with the host's C compiler) against the kernel's
//! definitions (handlers/user/abi.rs): every struct size, field offset,
//! ioctl code and option value must agree, or a program and the module
//! would misread each other's blocks.

use scst_host::user_abi::*;
use std::collections::BTreeMap;
use std::mem::{offset_of, size_of};
use std::process::Command;

/// (C expression, the value Rust has for it).
type Checks = Vec<(String, u64)>;

/// Fields named alike in C and Rust.
macro_rules! same {
    ($v:ident, $ty:ident: $($f:ident),* $(,)?) => {$(
        $v.push((
            format!("offsetof(struct {}, {})", stringify!($ty), stringify!($f)),
            offset_of!($ty, $f) as u64,
        ));
    )*};
}

/// A field whose Rust path differs (a keyword, an anonymous union).
macro_rules! renamed {
    ($v:ident, $kind:literal $ty:ident: $($($r:ident).+ => $c:literal),* $(,)?) => {$(
        $v.push((
            format!("offsetof({} {}, {})", $kind, stringify!($ty), $c),
            offset_of!($ty, $($r).+) as u64,
        ));
    )*};
}

macro_rules! sizes {
    ($v:ident: $($kind:literal $ty:ident),* $(,)?) => {$(
        $v.push((format!("sizeof({} {})", $kind, stringify!($ty)), size_of::<$ty>() as u64));
    )*};
}

macro_rules! values {
    ($v:ident: $($c:ident),* $(,)?) => {$(
        $v.push((stringify!($c).to_string(), $c as u64));
    )*};
}

fn checks() -> Checks {
    let mut v = Checks::new();
    sizes!(v:
        "struct" scst_user_opt, "struct" scst_user_dev_desc, "struct" scst_user_sess,
        "struct" scst_user_scsi_cmd_parse, "struct" scst_user_scsi_cmd_alloc_mem,
        "struct" scst_user_scsi_cmd_exec, "struct" scst_user_scsi_on_free_cmd,
        "struct" scst_user_on_cached_mem_free, "struct" scst_user_tm,
        "struct" scst_user_ext_copy_data_descr, "struct" scst_user_ext_copy_remap,
        "struct" scst_user_get_cmd, "struct" scst_user_scsi_cmd_reply_parse,
        "struct" scst_user_scsi_cmd_reply_alloc_mem, "struct" scst_user_data_descriptor,
        "struct" scst_user_scsi_cmd_reply_exec, "struct" scst_user_ext_copy_reply_remap,
        "struct" scst_user_reply_cmd, "struct" scst_user_get_ext_cdb,
        "struct" scst_user_prealloc_buffer_in, "struct" scst_user_prealloc_buffer_out,
        "union" scst_user_prealloc_buffer, "struct" scst_user_get_multi,
    );
    same!(v, scst_user_opt: parse_type, on_free_cmd_type, memory_reuse_type,
        partial_transfers_type, partial_len, tst, tmf_only, queue_alg, qerr, tas, swp,
        d_sense, has_own_order_mgmt, ext_copy_remap_supported);
    same!(v, scst_user_dev_desc: version_str, license_str, sgv_shared,
        sgv_disable_clustered_pool, sgv_single_alloc_pages, sgv_purge_interval, opt,
        block_size, enable_pr_cmds_notifications, name, sgv_name);
    renamed!(v, "struct" scst_user_dev_desc: type_ => "type");
    same!(v, scst_user_sess: sess_h, lun, threads_num, rd_only, scsi_transport_version,
        phys_transport_version, initiator_name, target_name);
    same!(v, scst_user_scsi_cmd_parse: sess_h, cdb, cdb_len, lba, data_len, bufflen,
        out_bufflen, timeout, op_flags, queue_type, data_direction, expected_values_set,
        expected_data_direction, expected_transfer_len, expected_out_transfer_len, sn);
    same!(v, scst_user_scsi_cmd_alloc_mem: sess_h, cdb, cdb_len, alloc_len, queue_type,
        data_direction, sn);
    same!(v, scst_user_scsi_cmd_exec: sess_h, cdb, cdb_len, lba, data_len, bufflen,
        alloc_len, pbuf, queue_type, data_direction, partial, timeout, p_out_buf,
        out_bufflen, sn, parent_cmd_h, parent_cmd_data_len, partial_offset);
    same!(v, scst_user_scsi_on_free_cmd: pbuf, resp_data_len, buffer_cached, aborted,
        status, delivery_status);
    same!(v, scst_user_on_cached_mem_free: pbuf);
    same!(v, scst_user_tm: sess_h, cmd_h_to_abort, cmd_sn, cmd_sn_set);
    renamed!(v, "struct" scst_user_tm: fn_ => "fn");
    same!(v, scst_user_ext_copy_data_descr: src_lba, dst_lba, data_len);
    same!(v, scst_user_ext_copy_remap: sess_h, src_sess_h, dst_sess_h, data_descr);
    same!(v, scst_user_get_cmd: cmd_h, subcode);
    renamed!(v, "struct" scst_user_get_cmd:
        u.preply => "preply", u.sess => "sess", u.parse_cmd => "parse_cmd",
        u.alloc_cmd => "alloc_cmd", u.exec_cmd => "exec_cmd", u.on_free_cmd => "on_free_cmd",
        u.on_cached_mem_free => "on_cached_mem_free", u.tm_cmd => "tm_cmd",
        u.remap_cmd => "remap_cmd");
    same!(v, scst_user_scsi_cmd_reply_parse: status);
    renamed!(v, "struct" scst_user_scsi_cmd_reply_parse:
        u.args.queue_type => "queue_type", u.args.data_direction => "data_direction",
        u.args.cdb_len => "cdb_len", u.args.lba => "lba", u.args.data_len => "data_len",
        u.args.bufflen => "bufflen", u.args.op_flags => "op_flags",
        u.args.out_bufflen => "out_bufflen", u.sense.sense_len => "sense_len",
        u.sense.psense_buffer => "psense_buffer");
    same!(v, scst_user_scsi_cmd_reply_alloc_mem: pbuf);
    same!(v, scst_user_data_descriptor: usdd_lba, usdd_blocks);
    same!(v, scst_user_scsi_cmd_reply_exec: resp_data_len, pbuf, reply_type, status);
    renamed!(v, "struct" scst_user_scsi_cmd_reply_exec:
        u.sense.sense_len => "sense_len", u.sense.psense_buffer => "psense_buffer",
        u.ws.ws_descriptors_len => "ws_descriptors_len",
        u.ws.ws_descriptors => "ws_descriptors");
    same!(v, scst_user_ext_copy_reply_remap: remap_descriptors, remap_descriptors_len,
        status, sense_len, psense_buffer);
    same!(v, scst_user_reply_cmd: cmd_h, subcode);
    renamed!(v, "struct" scst_user_reply_cmd:
        u.result => "result", u.parse_reply => "parse_reply", u.alloc_reply => "alloc_reply",
        u.exec_reply => "exec_reply", u.remap_reply => "remap_reply");
    same!(v, scst_user_get_ext_cdb: cmd_h, ext_cdb_buffer);
    same!(v, scst_user_prealloc_buffer_in: pbuf, bufflen, for_clust_pool);
    same!(v, scst_user_prealloc_buffer_out: cmd_h);
    renamed!(v, "union" scst_user_prealloc_buffer: in_ => "in", out => "out");
    same!(v, scst_user_get_multi: preplies, replies_cnt, replies_done, cmds_cnt, pad, cmds);
    values!(v: SCST_MAX_CDB_SIZE, SCST_MAX_NAME, SCST_MAX_EXTERNAL_NAME,
        SCST_USER_PARSE_STANDARD, SCST_USER_PARSE_CALL, SCST_USER_PARSE_EXCEPTION,
        SCST_USER_MAX_PARSE_OPT, SCST_USER_ON_FREE_CMD_CALL, SCST_USER_ON_FREE_CMD_IGNORE,
        SCST_USER_MAX_ON_FREE_CMD_OPT, SCST_USER_MEM_NO_REUSE, SCST_USER_MEM_REUSE_READ,
        SCST_USER_MEM_REUSE_WRITE, SCST_USER_MEM_REUSE_ALL, SCST_USER_MAX_MEM_REUSE_OPT,
        SCST_USER_PARTIAL_TRANSFERS_NOT_SUPPORTED,
        SCST_USER_PARTIAL_TRANSFERS_SUPPORTED_ORDERED, SCST_USER_PARTIAL_TRANSFERS_SUPPORTED,
        SCST_USER_MAX_PARTIAL_TRANSFERS_OPT, SCST_EXEC_REPLY_BACKGROUND,
        SCST_EXEC_REPLY_COMPLETED, SCST_EXEC_REPLY_DO_WRITE_SAME,
        SCST_USER_REGISTER_DEVICE, SCST_USER_UNREGISTER_DEVICE, SCST_USER_SET_OPTIONS,
        SCST_USER_GET_OPTIONS, SCST_USER_REPLY_AND_GET_CMD, SCST_USER_REPLY_CMD,
        SCST_USER_FLUSH_CACHE, SCST_USER_DEVICE_CAPACITY_CHANGED, SCST_USER_GET_EXTENDED_CDB,
        SCST_USER_PREALLOC_BUFFER, SCST_USER_REPLY_AND_GET_MULTI, SCST_USER_ATTACH_SESS,
        SCST_USER_DETACH_SESS, SCST_USER_PARSE, SCST_USER_ALLOC_MEM, SCST_USER_EXEC,
        SCST_USER_ON_FREE_CMD, SCST_USER_ON_CACHED_MEM_FREE, SCST_USER_TASK_MGMT_RECEIVED,
        SCST_USER_TASK_MGMT_DONE, SCST_USER_EXT_COPY_REMAP);
    v
}

/// What the C compiler says of each expression.
fn c_values(exprs: &[&str]) -> BTreeMap<String, u64> {
    let header = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../handlers/user/scst_user.h"
    );
    let dir = std::env::temp_dir().join(format!("scst-user-abi-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut src = format!(
        "#include <stddef.h>\n#include <stdio.h>\n#include \"{}\"\nint main(void)\n{{\n",
        header
    );
    for e in exprs {
        src += &format!(
            "\tprintf(\"%s=%llu\\n\", \"{}\", (unsigned long long)({}));\n",
            e, e
        );
    }
    src += "\treturn 0;\n}\n";
    let (c, exe) = (dir.join("abi.c"), dir.join("abi"));
    std::fs::write(&c, src).unwrap();
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let built = Command::new(&cc)
        .args(["-std=gnu11", "-Wall", "-Werror", "-o"])
        .arg(&exe)
        .arg(&c)
        .output()
        .expect("a C compiler (cc) on the host");
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let out = Command::new(&exe).output().unwrap();
    std::fs::remove_dir_all(&dir).ok();
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.parse().unwrap()))
        .collect()
}

#[test]
fn c_header_and_rust_agree() {
    let checks = checks();
    let exprs: Vec<&str> = checks.iter().map(|(e, _)| e.as_str()).collect();
    let c = c_values(&exprs);
    let wrong: Vec<String> = checks
        .iter()
        .filter(|(e, r)| c.get(e) != Some(r))
        .map(|(e, r)| format!("{}: C {:?}, Rust {}", e, c.get(e), r))
        .collect();
    assert!(
        wrong.is_empty(),
        "scst_user.h and abi.rs differ:\n{}",
        wrong.join("\n")
    );
    // The payload union is what decides the command block's size: the
    // session block, with its two 256-byte names.
    assert_eq!(
        size_of::<scst_user_get_cmd>(),
        8 + size_of::<scst_user_sess>()
    );
}

#[test]
fn version_string_is_the_headers() {
    let h = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../handlers/user/scst_user.h"
    ))
    .unwrap();
    assert!(
        h.contains(&format!(
            "#define DEV_USER_VERSION\t\t\"{}\"",
            DEV_USER_VERSION
        )),
        "DEV_USER_VERSION differs between scst_user.h and abi.rs"
    );
    assert!(h.contains(&format!("#define DEV_USER_NAME\t\t\t\"{}\"", DEV_USER_NAME)));
}
