//! The end-to-end harness: real Envoy, real `demoapp` pods, HTTP/1.1 through ureq.
//!
//! - [`Bins`] finds the binaries (`MESHROUTE_BIN`, `DEMOAPP_BIN`, `MESHROUTE_WASM`, `ENVOY_BIN`
//!   override the defaults under `<repo>/target` and `envoy` on `PATH`).
//! - [`Net`] claims a private loopback range `127.0.N.0/24` so tests running in parallel (threads
//!   or nextest processes) never share pod addresses; [`seed`] writes the seed scenario's
//!   resources for that range.
//! - [`Demoapp`] and [`Envoy`] run the processes; both kill their process group on drop.
//! - [`http`] talks HTTP/1.1 through ureq (fresh connections, one keep-alive connection, a
//!   source address, parallel load); [`raw`] sends the few requests ureq cannot (absolute-form
//!   targets, requests cut off halfway).

pub mod bins;
pub mod demoapp;
pub mod envoy;
pub mod http;
pub mod net;
pub mod process;
pub mod raw;
pub mod scenario;
pub mod seed;
pub mod tls;

pub use bins::{e2e_bins, Bins};
pub use demoapp::Demoapp;
pub use envoy::{Envoy, EnvoyOptions, Reload};
pub use net::{free_port, Net};
pub use process::{Proc, TempDir};
pub use scenario::{Role, Scenario};

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The repository root (the parent of this crate).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// Polls `f` every 50 ms until it returns `Some` or `timeout` passes.
pub fn eventually<T>(timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let end = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() >= end {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The last `n` lines of `text`, for failure messages.
pub fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
