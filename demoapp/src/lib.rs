//! `demoapp`: the demo backend for meshroute's end-to-end tests.
//!
//! It answers like the `ikubernetes/demoapp:v1.0` container used in Istio
//! tutorials (`iKubernetes demoapp v1.0 !! ClientIP: …, ServerName: …,
//! ServerIP: …!`), and adds what traffic-management tests need to observe a
//! mesh from the backend side: `x-demoapp-*` response headers naming the
//! instance, `/echo` (what arrived after Envoy rewrote it), `/status/<code>`,
//! `/delay/<ms>`, runtime fault and latency injection (`/admin/fail`,
//! `/admin/latency`) and request counters (`/admin/stats`, e.g. to count
//! mirrored copies).
//!
//! The runtime is std-only (HTTP/1.1 with keep-alive, one thread per
//! connection) so it links statically for `x86_64-unknown-linux-musl`.
//! Parsing never panics: malformed input is answered with 400/413/431/501/505
//! and the connection is closed.

pub mod app;
pub mod client;
pub mod config;
pub mod http;
pub mod json;
pub mod server;

pub use app::App;
pub use config::{parse_args, Command, Config};
pub use server::Server;
