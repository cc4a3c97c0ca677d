//! # meshroute-core
//!
//! All of meshroute's Istio semantics, as pure Rust with no I/O, no clock and no global
//! randomness, so the same code runs natively (CLI), inside Envoy (proxy-wasm filter) and in
//! the browser (wasm-bindgen).
//!
//! The pipeline, one direction:
//! `text ──load──▶ Resources ──validate──▶ Diagnostics`, then
//! `Resources + proxy ──compile──▶ RouteTable`, and per request
//! `Request ──route──▶ RouteDecision ──pick──▶ endpoint`.
//!
//! ```
//! use meshroute_core::resources::{load, LoadOptions};
//! let (res, diags) = load(&[("svc.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n")],
//!                         &LoadOptions::default());
//! assert!(diags.is_empty());
//! assert_eq!(res.services[0].meta.name, "web");
//! ```
#![forbid(unsafe_code)]

pub mod analyze;
#[cfg(feature = "certs")]
pub mod certs;
pub mod check;
pub mod compile;
pub mod config;
pub mod coverage;
pub mod decode;
pub mod diag;
pub mod diff;
pub mod host;
pub mod lb;
pub mod model;
pub mod node;
pub mod probe;
pub mod registry;
pub mod resources;
pub mod route;
pub mod suppress;
pub mod table;
pub mod testcase;
#[cfg(test)]
mod testing;
pub mod validate;
pub mod views;
pub mod wire;
pub mod yaml;
