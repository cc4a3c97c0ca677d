//! Criterion benches: `cargo bench -p meshroute-core`.
//! - check (load + validate + analyze) of 1,000 resources (issue: under 1 s natively);
//! - one decision (route + pick) on the seed config and on 10,000 services (≤ 1 µs / ≤ 2 µs);
//! - compile of the 10,000-service config (under 1 s).
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use meshroute_core::analyze::AnalyzeOptions;
use meshroute_core::check::check;
use meshroute_core::compile::compile;
use meshroute_core::config::ProxyIdentity;
use meshroute_core::lb::SplitMix64;
use meshroute_core::resources::{load, LoadOptions};
use meshroute_core::route::{decide, LbState, Request};

mod gen;
use gen::mesh;

const SEED: &str = include_str!("../tests/fixtures/seed.yaml");

fn benches(c: &mut Criterion) {
    let thousand = mesh(200); // 200 services × 5 resources = 1,000 resources (+2)
    c.bench_function("check 1000 resources", |b| {
        b.iter(|| {
            let (_, d) = check(
                &[("mesh.yaml", thousand.as_bytes())],
                &LoadOptions::default(),
                &AnalyzeOptions::default(),
            );
            black_box(d.len())
        })
    });

    let proxy = ProxyIdentity::gateway("istio-system", &[("istio", "ingressgateway")]);
    let (res, _) = load(&[("seed.yaml", SEED)], &LoadOptions::default());
    let (seed_table, _) = compile(&res, &proxy);
    let mut st = LbState::for_table(&seed_table);
    let mut rng = SplitMix64(1);
    c.bench_function("decide seed", |b| {
        b.iter(|| {
            let req = Request {
                filter_chain: b"",
                listener_port: 8080,
                authority: b"demoappv10.magedu.com",
                path: b"/",
                method: b"GET",
                scheme: b"http",
                headers: &[(b"user-agent", b"curl/8")],
                source_ip: None,
            };
            black_box(decide(&seed_table, &req, &mut st, 0, &mut rng, false).status())
        })
    });

    let big = mesh(10_000);
    let (res, _) = load(&[("mesh.yaml", big.as_str())], &LoadOptions::default());
    c.bench_function("compile 10000 services", |b| {
        b.iter(|| black_box(compile(&res, &proxy).0.clusters.len()))
    });
    let (table, _) = compile(&res, &proxy);
    let mut st = LbState::for_table(&table);
    let hosts: Vec<String> = (0..10_000)
        .step_by(97)
        .map(|i| format!("svc{i}.mesh.example.com"))
        .collect();
    let mut k = 0usize;
    c.bench_function("decide 10000 services", |b| {
        b.iter(|| {
            k = (k + 1) % hosts.len();
            let req = Request {
                filter_chain: b"",
                listener_port: 8080,
                authority: hosts[k].as_bytes(),
                path: b"/items/42",
                method: b"GET",
                scheme: b"http",
                headers: &[(b"user-agent", b"curl/8")],
                source_ip: None,
            };
            black_box(decide(&table, &req, &mut st, 0, &mut rng, false).status())
        })
    });
}

criterion_group! {
    name = core;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(3));
    targets = benches
}
criterion_main!(core);
