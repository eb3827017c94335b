//! `evrule sandbox`: the sandbox page on loopback, and nothing else to set
//! up. The page (`/_evrule/sandbox`) is `evrule-serve`'s; this command
//! starts a server on 127.0.0.1 with `sample`'s catalogue, prints the
//! page's URL and runs until SIGINT or SIGTERM.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use evrule_serve::{Samples, ServeConfig, Server};

use crate::bus;
use crate::flags::SandboxFlags;
use crate::output::{self, Exit};

/// Run `sandbox`.
pub fn run(flags: SandboxFlags, samples: Samples) -> Exit {
    let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), flags.port);
    let server = match Server::start(ServeConfig::new().bind(addr).samples(samples)) {
        Ok(s) => s,
        Err(e) => return output::refuse(&[e.to_string()]),
    };
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "evrule sandbox: http://{}/_evrule/sandbox",
            server.local_addr()
        );
        let _ = out.flush();
    }
    bus::catch_interrupts();
    while bus::interrupts() == 0 {
        std::thread::sleep(Duration::from_millis(50));
    }
    server.shutdown();
    Exit::Success
}
