//! How long the filter's per-request logic takes natively on the seed (ignored: run by hand,
//! `cargo test --release -p meshroute-filter --test plan_cost -- --ignored --nocapture`).
use meshroute_core::check::prepare;
use meshroute_core::lb::SplitMix64;
use meshroute_core::resources::LoadOptions;
use meshroute_core::route::LbState;
use meshroute_filter::plan::{plan, Incoming};

#[test]
#[ignore]
fn plan_cost_on_the_seed() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    // The plugin configuration the filter gets: the checked-in ECDS file's (resources inline).
    let ecds: serde_json::Value = serde_json::from_slice(
        &std::fs::read(root.join("envoy-configs/gateway/ecds/meshroute.yaml")).unwrap(),
    )
    .unwrap();
    let cfg = ecds
        .pointer("/resources/0/typed_config/config/configuration/value")
        .and_then(|v| v.as_str())
        .unwrap()
        .as_bytes()
        .to_vec();
    let p = prepare("seed", &cfg, &LoadOptions::default()).unwrap_or_else(|d| panic!("{d:#?}"));
    let headers: Vec<(String, Vec<u8>)> = [
        (":authority", "demoappv10.magedu.com"),
        (":path", "/"),
        (":method", "GET"),
        (":scheme", "http"),
        ("user-agent", "wrk"),
        ("x-forwarded-proto", "http"),
        ("x-request-id", "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
    .collect();
    let mut lb = LbState::for_table(&p.table);
    let mut rng = SplitMix64(1);
    let inc = Incoming {
        filter_chain: b"",
        headers: &headers,
        source: None,
        listener_port: 8080,
    };
    let n = 200_000;
    let t = std::time::Instant::now();
    for _ in 0..n {
        let pl = plan(&p.table, false, &inc, &mut lb, 0, &mut rng);
        meshroute_filter::plan::release(&mut lb, pl.in_flight);
        std::hint::black_box(pl);
    }
    {
        let pl = plan(&p.table, false, &inc, &mut lb, 0, &mut rng);
        println!(
            "request edits: {:?}; response edits: {:?}; in_flight {:?}",
            pl.request, pl.response.edits, pl.in_flight
        );
    }
    println!(
        "plan on the seed: {:.0} ns per request",
        t.elapsed().as_nanos() as f64 / n as f64
    );
}
