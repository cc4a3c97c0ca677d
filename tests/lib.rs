//! Test helpers shared by the end-to-end and conformance tests, and the harness the demo runs on.
//!
//! [`harness`] starts the real things — `demoapp` pods on their own loopback IPs and stock Envoy
//! running the meshroute filter (through `meshroute bootstrap`) — picks free ports, talks
//! HTTP/1.1 through ureq and kills every process it started when dropped (also on panic).
//!
//! ```no_run
//! use meshroute_tests::harness::{http, seed::Seed, Bins, Demoapp, Envoy, EnvoyOptions, Net, TempDir};
//! let bins = Bins::locate().unwrap(); // or e2e_bins(name): None (one SKIP line) without Envoy
//! let net = Net::claim().unwrap(); // 127.0.N.0/24, N unique among running tests
//! let pods = Demoapp::seed_pods(&bins, &net, &["--quiet"]).unwrap();
//! let dir = TempDir::new("example").unwrap();
//! let config = Seed::new(&net).write_gateway_config(dir.path()).unwrap();
//! let envoy = Envoy::start(&bins, EnvoyOptions::new(&config)).unwrap();
//! let r = http::get(envoy.addr(), "demoappv10.magedu.com", "/", &[]).unwrap();
//! assert_eq!(r.status, 200);
//! # drop(pods);
//! ```
//!
//! Most tests use [`harness::Scenario`], which does all of the above in one call.

pub mod harness;
pub mod shared;

/// The shared folder beside the repository (`<repo>/../shared`), or `$MESHROUTE_SHARED` when
/// set (a git worktree has no `../shared` of its own): the conformance suites live there.
pub fn shared_dir() -> std::path::PathBuf {
    match std::env::var_os("MESHROUTE_SHARED") {
        Some(dir) => std::path::PathBuf::from(dir),
        None => std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join("..")
            .join("shared"),
    }
}
