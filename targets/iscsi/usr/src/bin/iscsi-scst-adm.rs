//! iscsi-scst-adm: runtime administration of iscsi-scstd (IET's ietadm):
//! targets, CHAP accounts, parameters, sessions and connections.  See
//! `--help` and docs/iscsi.md.

use iscsi_scst_usr::adm::{parse_args, usage_line, Command, USAGE};
use iscsi_scst_usr::control::call;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match parse_args(&args) {
        Ok(Command::Help) => println!("{}", USAGE),
        Ok(Command::Version) => println!("iscsi-scst-adm {}", env!("CARGO_PKG_VERSION")),
        Ok(Command::Run { socket, request }) => match call(&socket, &request) {
            Ok(out) => print!("{}", out),
            Err(e) => {
                eprintln!("iscsi-scst-adm: {}", e);
                std::process::exit(1);
            }
        },
        Err(e) => {
            eprintln!(
                "iscsi-scst-adm: {}\n{}\n(--help lists the operations)",
                e,
                usage_line()
            );
            std::process::exit(2);
        }
    }
}
