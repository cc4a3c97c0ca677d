//! Loopback address ranges and free ports.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};

/// A loopback range `127.0.N.0/24` owned by this test while the value lives. Ownership is a
/// listening socket on `127.0.N.254:47800`: exclusive across threads and processes (nextest runs
/// tests in parallel processes), released by the kernel even if the process is killed.
pub struct Net {
    n: u8,
    _lock: Option<TcpListener>,
}

const LOCK_PORT: u16 = 47800;
/// Hosts the tests run pods on (port 8080): the seed's five and an extra one.
const POD_HOSTS: [u8; 6] = [31, 32, 33, 41, 42, 51];

impl Net {
    /// Claims a free range among 127.0.20.0 … 127.0.250.0 (127.0.10.0 is the demo's).
    pub fn claim() -> Result<Net, String> {
        // Start at a spot that depends on the process, so parallel processes rarely collide
        // on their first try.
        let start = std::process::id() % 231;
        for i in 0..231u32 {
            let n = 20 + ((start + i) % 231) as u8;
            let addr = SocketAddr::from((Ipv4Addr::new(127, 0, n, 254), LOCK_PORT));
            let Ok(l) = TcpListener::bind(addr) else {
                continue;
            };
            // Another program may use the range without our lock (e.g. a benchmark's pods):
            // the seed's pod addresses must be free too.
            let free = POD_HOSTS.iter().all(|h| {
                TcpListener::bind(SocketAddr::from((Ipv4Addr::new(127, 0, n, *h), 8080))).is_ok()
            });
            if free {
                return Ok(Net { n, _lock: Some(l) });
            }
        }
        Err("no free 127.0.N.0/24 range (all 231 claimed?)".into())
    }

    /// The seed's own range, 127.0.10.0/24, unclaimed (for the demo).
    pub fn seed() -> Net {
        Net { n: 10, _lock: None }
    }

    /// The third octet.
    pub fn n(&self) -> u8 {
        self.n
    }

    /// `127.0.N.host`.
    pub fn ip(&self, host: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(127, 0, self.n, host))
    }

    /// `127.0.N.host:port`.
    pub fn addr(&self, host: u8, port: u16) -> SocketAddr {
        SocketAddr::new(self.ip(host), port)
    }

    /// `127.0.N.` — what replaces `127.0.10.` in the seed files.
    pub fn prefix(&self) -> String {
        format!("127.0.{}.", self.n)
    }
}

/// A port that was free on `ip` a moment ago (bind port 0, read it, close).
pub fn free_port(ip: IpAddr) -> std::io::Result<u16> {
    Ok(TcpListener::bind(SocketAddr::new(ip, 0))?
        .local_addr()?
        .port())
}
