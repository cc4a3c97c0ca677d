//! Arbitrary bytes → load + validate + analyze (`check::check`), and the same bytes as a
//! meshroute config file (`config::parse_config`, then `check::prepare`, which also compiles).
//! A config that prepares is routed for every virtual-host domain it serves. Nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use meshroute_core::analyze::AnalyzeOptions;
use meshroute_core::check::{check, prepare};
use meshroute_core::config::parse_config;
use meshroute_core::lb::SplitMix64;
use meshroute_core::resources::LoadOptions;
use meshroute_core::route::{decide, LbState, Request};
use meshroute_fuzz::{assert_decision_invariants, assert_table_invariants};

fuzz_target!(|data: &[u8]| {
    let load = LoadOptions::default();
    let _ = check(&[("fuzz.yaml", data)], &load, &AnalyzeOptions::default());
    let _ = parse_config("fuzz.yaml", data, &load);
    let Ok(p) = prepare("fuzz.yaml", data, &load) else {
        return;
    };
    let t = &p.table;
    assert_table_invariants(t);
    let mut lb = LbState::for_table(t);
    let mut rng = SplitMix64(data.len() as u64);
    for l in &t.listeners {
        let rc = &t.route_configs[l.route_config];
        for vh in &rc.virtual_hosts {
            for domain in vh.domains.iter().take(4) {
                let authority = domain.replace('*', "x");
                for path in [&b"/"[..], b"/v1/x?q=1"] {
                    let req = Request {
                        filter_chain: b"",
                        listener_port: l.port,
                        authority: authority.as_bytes(),
                        path,
                        method: b"GET",
                        scheme: b"http",
                        headers: &[],
                        source_ip: None,
                    };
                    let d = decide(t, &req, &mut lb, 0, &mut rng, true);
                    assert_decision_invariants(t, &d);
                }
            }
        }
    }
});
