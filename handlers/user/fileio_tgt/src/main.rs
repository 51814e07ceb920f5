//! fileio_tgt: serves a file as a SCSI disk from user space through the
//! scst_user module (docs/scst_user.md): `fileio_tgt [options] name path`.
//! The device `name` then appears in SCST like a vdisk device, to be
//! given LUNs in /proc/scsi_tgt/groups.

mod buf;
mod dev;
mod disk;
mod log;

use buf::{Buffers, ThreadBuf};
use dev::Dev;
use disk::{Disk, Flags};
use nix::errno::Errno;
use nix::sys::signal::{SigSet, Signal};
use scst_host::scsi::sense::Status;
use scst_host::user::abi::*;
use scst_host::user::wire::{self, Answer, DevDesc, ExecReply, Payload};
use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

const USAGE: &str = "Usage: fileio_tgt [options] name path

Serves file (or block device) PATH as SCSI disk NAME through scst_user.

  -b, --block=SIZE        block size, a power of 2 from 512 to 1048576 (512)
  -e, --threads=N         threads serving the device (7)
  -t, --write_through     write through: every write reaches the medium
  -r, --read_only         read only
  -o, --direct            O_DIRECT: no page cache
  -n, --nullio            NULLIO: no I/O (reads return zeros)
  -c, --nv_cache          NV_CACHE: the cache survives power loss (no flushes)
  -p, --parse=TYPE        parse type: std (only std is supported)
  -f, --on_free=TYPE      on_free_cmd type: call or ignore (call)
  -m, --mem_reuse=TYPE    memory reuse: all, read, write or none (all)
  -s, --sgv_shared        accepted for SCST compatibility (no effect)
  -l, --non_blocking      non-blocking mode: poll() for commands
  -d, --debug=LEVEL       debug level (0: errors and notices, 1: every command)
  -h, --help              this help
";

struct Options {
    name: String,
    path: String,
    block_size: u32,
    threads: usize,
    flags: Flags,
    parse: u8,
    on_free: u8,
    mem_reuse: u8,
    nonblocking: bool,
}

fn value(p: &mut lexopt::Parser) -> Result<String, String> {
    p.value()
        .map_err(|e| e.to_string())?
        .into_string()
        .map_err(|_| "an option value is not text".to_string())
}

fn number<T: std::str::FromStr>(s: &str, what: &str) -> Result<T, String> {
    s.parse().map_err(|_| format!("bad {} \"{}\"", what, s))
}

fn parse_args() -> Result<Option<Options>, String> {
    use lexopt::prelude::*;
    let mut p = lexopt::Parser::from_env();
    let mut o = Options {
        name: String::new(),
        path: String::new(),
        block_size: 512,
        threads: 7,
        flags: Flags {
            read_only: false,
            write_through: false,
            nv_cache: false,
            nullio: false,
            direct: false,
        },
        parse: SCST_USER_PARSE_STANDARD,
        on_free: SCST_USER_ON_FREE_CMD_CALL,
        mem_reuse: SCST_USER_MEM_REUSE_ALL,
        nonblocking: false,
    };
    let mut free = Vec::new();
    while let Some(arg) = p.next().map_err(|e| e.to_string())? {
        match arg {
            Short('b') | Long("block") => o.block_size = number(&value(&mut p)?, "block size")?,
            Short('e') | Long("threads") => o.threads = number(&value(&mut p)?, "thread count")?,
            Short('t') | Long("write_through") => o.flags.write_through = true,
            Short('r') | Long("read_only") => o.flags.read_only = true,
            Short('o') | Long("direct") => o.flags.direct = true,
            Short('n') | Long("nullio") => o.flags.nullio = true,
            Short('c') | Long("nv_cache") => o.flags.nv_cache = true,
            Short('p') | Long("parse") => {
                o.parse = match value(&mut p)?.as_str() {
                    "std" => SCST_USER_PARSE_STANDARD,
                    "call" => SCST_USER_PARSE_CALL,
                    "excpt" => SCST_USER_PARSE_EXCEPTION,
                    v => return Err(format!("bad parse type \"{}\" (std, call, excpt)", v)),
                }
            }
            Short('f') | Long("on_free") => {
                o.on_free = match value(&mut p)?.as_str() {
                    "call" => SCST_USER_ON_FREE_CMD_CALL,
                    "ignore" => SCST_USER_ON_FREE_CMD_IGNORE,
                    v => return Err(format!("bad on_free type \"{}\" (call, ignore)", v)),
                }
            }
            Short('m') | Long("mem_reuse") => {
                o.mem_reuse = match value(&mut p)?.as_str() {
                    "all" => SCST_USER_MEM_REUSE_ALL,
                    "read" => SCST_USER_MEM_REUSE_READ,
                    "write" => SCST_USER_MEM_REUSE_WRITE,
                    "none" => SCST_USER_MEM_NO_REUSE,
                    v => {
                        return Err(format!(
                            "bad mem_reuse type \"{}\" (all, read, write, none)",
                            v
                        ))
                    }
                }
            }
            Short('s') | Long("sgv_shared") => {}
            Short('l') | Long("non_blocking") => o.nonblocking = true,
            Short('d') | Long("debug") => {
                let level: u32 = number(&value(&mut p)?, "debug level")?;
                log::DEBUG.store(level, Ordering::Relaxed);
            }
            Short('h') | Long("help") => return Ok(None),
            Value(v) => free.push(
                v.into_string()
                    .map_err(|_| "an argument is not text".to_string())?,
            ),
            _ => return Err(arg.unexpected().to_string()),
        }
    }
    let [name, path] = <[String; 2]>::try_from(free)
        .map_err(|_| "exactly one device name and one file path are needed".to_string())?;
    if !o.block_size.is_power_of_two() || !(512..=1 << 20).contains(&o.block_size) {
        return Err(format!("bad block size {}", o.block_size));
    }
    if o.threads == 0 || o.threads > 256 {
        return Err(format!("bad thread count {} (1 to 256)", o.threads));
    }
    if name.is_empty() || name.len() >= SCST_MAX_NAME {
        return Err(format!(
            "the name must have 1 to {} bytes",
            SCST_MAX_NAME - 1
        ));
    }
    o.name = name;
    o.path = path;
    Ok(Some(o))
}

fn main() -> ExitCode {
    let o = match parse_args() {
        Ok(Some(o)) => o,
        Ok(None) => {
            print!("{}", USAGE);
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("fileio_tgt: {}\n\n{}", e, USAGE);
            return ExitCode::from(2);
        }
    };
    log::init();
    match run(o) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            err!("{}", e);
            ExitCode::FAILURE
        }
    }
}

fn run(o: Options) -> Result<(), String> {
    let mut flags = 0;
    if o.flags.direct {
        flags |= nix::libc::O_DIRECT;
    }
    if o.flags.write_through {
        flags |= nix::libc::O_DSYNC;
    }
    let file = OpenOptions::new()
        .read(true)
        .write(!o.flags.read_only)
        .custom_flags(flags)
        .open(&o.path)
        .map_err(|e| format!("{}: {}", o.path, e))?;
    let disk = Disk::new(file, &o.name, o.block_size, o.flags)
        .map_err(|e| format!("{}: {}", o.path, e))?;
    let mut name = [0u8; SCST_MAX_NAME];
    name[..o.name.len()].copy_from_slice(o.name.as_bytes());
    let desc = DevDesc {
        version_str: 0,
        license_str: 0,
        type_: 0,
        opt: scst_user_opt {
            parse_type: o.parse,
            on_free_cmd_type: o.on_free,
            memory_reuse_type: o.mem_reuse,
            tst: 1,
            queue_alg: 1,
            ..Default::default()
        },
        block_size: o.block_size,
        name,
    };
    // Signals go to the main thread only (sigwait below): the serving
    // threads are never interrupted in the module.
    let mut stop_signals = SigSet::empty();
    for s in [Signal::SIGTERM, Signal::SIGINT, Signal::SIGHUP] {
        stop_signals.add(s);
    }
    stop_signals.thread_block().map_err(|e| e.to_string())?;
    let dev = Arc::new(Dev::register(desc, o.nonblocking)?);
    notice!(
        "{}: {} ({} blocks of {} bytes) served with {} threads",
        o.name,
        o.path,
        disk.blocks(),
        o.block_size,
        o.threads
    );
    let disk = Arc::new(disk);
    let bufs = Arc::new(Buffers::default());
    let stop = Arc::new(AtomicBool::new(false));
    let mut threads = Vec::new();
    for i in 0..o.threads {
        let s = Server {
            dev: dev.clone(),
            disk: disk.clone(),
            bufs: bufs.clone(),
            stop: stop.clone(),
            ignore_free: o.on_free == SCST_USER_ON_FREE_CMD_IGNORE,
            nonblocking: o.nonblocking,
        };
        let t = std::thread::Builder::new()
            .name(format!("fileio_tgt{}", i))
            .spawn(move || s.serve())
            .map_err(|e| format!("starting a thread: {}", e))?;
        threads.push(t);
    }
    let sig = stop_signals.wait().map_err(|e| e.to_string())?;
    notice!("{}: signal {}: stopping", o.name, sig.as_str());
    stop.store(true, Ordering::Release);
    let _ = dev.unblock();
    for t in threads {
        let _ = t.join();
    }
    // Closing the file unregisters the device.
    drop(dev);
    notice!("{}: stopped", o.name);
    Ok(())
}

/// One serving thread.
struct Server {
    dev: Arc<Dev>,
    disk: Arc<Disk>,
    bufs: Arc<Buffers>,
    stop: Arc<AtomicBool>,
    /// on_free_cmd IGNORE: free a command's buffer once its EXEC reply
    /// is taken, as no ON_FREE_CMD will name it.
    ignore_free: bool,
    nonblocking: bool,
}

/// What a reply leaves to do once the module took it.
#[derive(Default)]
struct After {
    free: Option<u64>,
}

impl Server {
    fn serve(self) {
        let mut cmd = [0u8; wire::GET_CMD_SIZE];
        let mut reply: Option<[u8; wire::REPLY_SIZE]> = None;
        let mut after = After::default();
        let mut tbuf = ThreadBuf::new();
        let mut sense = [0u8; 18];
        loop {
            if self.stop.load(Ordering::Acquire) {
                if let Some(r) = reply.take() {
                    let _ = self.dev.reply(&r);
                }
                return;
            }
            let r = self.dev.reply_and_get(&mut cmd, reply.as_ref());
            // Taken or refused: resending would not help (an EFAULT may
            // come after the reply was taken, and the reply buffer is
            // ours, so it is never the cause).
            reply = None;
            if let Some(p) = after.free.take() {
                self.bufs.free(p);
            }
            match r {
                Ok(()) => {}
                Err(Errno::EINTR) => continue,
                Err(Errno::EAGAIN) => {
                    if self.nonblocking && !self.stop.load(Ordering::Acquire) {
                        self.dev.wait_ready();
                    }
                    continue;
                }
                Err(Errno::ENODEV) => return,
                Err(e) => {
                    err!("fetching a command: {}", e);
                    continue;
                }
            }
            let Some((h, p)) = Payload::decode(&cmd) else {
                err!(
                    "unknown subcommand {:#x}",
                    u32::from_ne_bytes([cmd[4], cmd[5], cmd[6], cmd[7]])
                );
                continue;
            };
            let answer = self.handle(p, &mut tbuf, &mut sense, &mut after);
            reply = Some(answer.encode(h, p.subcode()));
        }
    }

    fn handle(
        &self,
        p: Payload<'_>,
        tbuf: &mut ThreadBuf,
        sense: &mut [u8; 18],
        after: &mut After,
    ) -> Answer {
        match p {
            Payload::AttachSess {
                sess_h, initiator, ..
            } => {
                debug!(
                    "session {:#x}: {}",
                    sess_h,
                    String::from_utf8_lossy(initiator)
                );
                Answer::Result(0)
            }
            Payload::DetachSess { .. } | Payload::TaskMgmt { .. } => Answer::Result(0),
            Payload::AllocMem { alloc_len, .. } => {
                let len = usize::try_from(alloc_len).unwrap_or(0);
                // 0: the module answers BUSY, and the initiator retries.
                Answer::Buffer(self.bufs.alloc(len).unwrap_or(0))
            }
            Payload::Exec(e) => Answer::Exec(self.exec(&e, tbuf, sense, after)),
            Payload::OnFree {
                pbuf,
                buffer_cached,
                ..
            } => {
                if !buffer_cached && pbuf != 0 {
                    self.bufs.free(pbuf);
                }
                Answer::Result(0)
            }
            Payload::OnCachedMemFree { pbuf } => {
                self.bufs.free(pbuf);
                Answer::Result(0)
            }
        }
    }

    fn exec(
        &self,
        e: &wire::Exec<'_>,
        tbuf: &mut ThreadBuf,
        sense: &mut [u8; 18],
        after: &mut After,
    ) -> ExecReply {
        let len = usize::try_from(e.bufflen).unwrap_or(0);
        let mut reply = ExecReply {
            resp_data_len: 0,
            pbuf: 0,
            reply_type: SCST_EXEC_REPLY_COMPLETED,
            status: Status::GOOD.0,
            sense_len: 0,
            psense_buffer: 0,
        };
        if e.pbuf != 0 && self.ignore_free {
            after.free = Some(e.pbuf);
        }
        // The data: the buffer ALLOC_MEM gave (written data), else this
        // thread's (data to return).
        let data = if e.pbuf != 0 {
            // SAFETY: the buffer belongs to this command, which only this
            // thread handles until it answers.
            unsafe { self.bufs.slice(e.pbuf, len) }
        } else {
            tbuf.get(len)
        };
        let r = match data {
            Some(d) => self.disk.exec(e.cdb, d),
            None if len == 0 => self.disk.exec(e.cdb, &mut []),
            None => Err(scst_host::scsi::Sense::INSUFFICIENT_RESOURCES),
        };
        debug!("{:02x?}: {:?}", e.cdb, r);
        match r {
            Ok(n) if e.data_direction == 2 && n != 0 => {
                reply.resp_data_len = n.min(len) as i32;
                reply.pbuf = if e.pbuf != 0 { e.pbuf } else { tbuf.addr() };
            }
            Ok(_) => {}
            Err(s) => {
                *sense = s.to_fixed();
                reply.status = Status::CHECK_CONDITION.0;
                reply.sense_len = sense.len() as u8;
                reply.psense_buffer = sense.as_ptr() as u64;
            }
        }
        reply
    }
}
