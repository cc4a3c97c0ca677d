//! Criterion benches for meshroute in CI (issue 16): `cargo bench -p meshroute-core --bench ci`.
//! - 1,000 route test cases against a 1,000-service config (target: under 1 s), parse + compile
//!   + run;
//! - `diff` of two 10,000-service configs differing in one weight (target: under 2 s), both
//!   sides compiled for every implied proxy and one probe per match block.
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use meshroute_core::diff::{diff, implied_proxies};
use meshroute_core::resources::{load, LoadOptions};
use meshroute_core::testcase::{parse_tests, run_cases, Defaults};
use std::time::Duration;

mod gen;
use gen::mesh;

/// `n` cases over the services of `gen::mesh`: the canary header rule, the POST rule, the split.
fn cases(n: usize, services: usize) -> String {
    let mut s = String::from(
        "proxy: {kind: gateway, namespace: istio-system, labels: {istio: ingressgateway}}\ntests:\n",
    );
    for i in 0..n {
        let svc = (i * 7) % services;
        let (path, headers, expect) = match i % 3 {
            0 => (
                "/",
                "{x-canary: \"true\"}",
                "destination: {host: svc, subset: v2}",
            ),
            1 => ("/api/x", "{}", "destination: {subset: v1}"),
            _ => ("/", "{}", "forwarded: true"),
        };
        let expect = expect.replace("host: svc", &format!("host: svc{svc}"));
        s.push_str(&format!(
            "- name: case {i}\n  request: {{url: \"http://svc{svc}.mesh.example.com{path}\", method: {}, headers: {headers}}}\n  expect: {{virtualService: default/svc{svc}, {expect}}}\n",
            if i % 3 == 1 { "POST" } else { "GET" }
        ));
    }
    s
}

fn benches(c: &mut Criterion) {
    let config = mesh(1000);
    let tests = cases(1000, 1000);
    let mut g = c.benchmark_group("ci");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function("test 1000 cases on 1000 services", |b| {
        b.iter(|| {
            let (res, _) = load(&[("mesh.yaml", config.as_str())], &LoadOptions::default());
            let (cases, d) = parse_tests("tests.yaml", &tests);
            assert!(d.is_empty(), "{d:?}");
            let r = run_cases(&res, &Defaults::default(), &cases);
            assert_eq!(r.passed, 1000, "{:?}", r.results.iter().find(|x| !x.passed));
            black_box(r.passed)
        })
    });
    let before = mesh(10_000);
    let after =
        before
            .replacen("weight: 90}", "weight: 80}", 1)
            .replacen("weight: 10}", "weight: 20}", 1);
    let (a, _) = load(&[("before.yaml", before.as_str())], &LoadOptions::default());
    let (b, _) = load(&[("after.yaml", after.as_str())], &LoadOptions::default());
    g.bench_function("diff two 10000-service configs", |bn| {
        bn.iter(|| {
            let d = diff(&a, &b, &implied_proxies(&[&a, &b]), &[]);
            assert_eq!(d.changed_requests(), 1);
            black_box(d.changed_requests())
        })
    });
    g.finish();
}

criterion_group!(ci, benches);
criterion_main!(ci);
