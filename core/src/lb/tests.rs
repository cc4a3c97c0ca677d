use proptest::prelude::{
    any, prop_assert, prop_assert_eq, prop_oneof, proptest, Just, ProptestConfig,
};

use super::*;

fn ep(address: &str, weight: u32, healthy: bool) -> Endpoint {
    Endpoint {
        address: address.to_string(),
        weight,
        healthy,
        source: String::new(),
    }
}

fn eps(n: usize) -> Vec<Endpoint> {
    (0..n)
        .map(|i| ep(&format!("10.0.{}.{}:8080", i / 250, i % 250 + 1), 1, true))
        .collect()
}

fn weighted(weights: &[u32]) -> Vec<Endpoint> {
    weights
        .iter()
        .enumerate()
        .map(|(i, &w)| ep(&format!("10.0.0.{}:8080", i + 1), w, true))
        .collect()
}

/// Returns the given draws in order, then zeros.
struct SeqRng(Vec<u64>, usize);

impl Rng for SeqRng {
    fn next_u64(&mut self) -> u64 {
        let v = self.0.get(self.1).copied().unwrap_or(0);
        self.1 += 1;
        v
    }
}

fn counts(sel: &Selector, endpoints: &[Endpoint], picks: usize, seed: u64) -> Vec<usize> {
    let mut state = ClusterState::default();
    let mut rng = SplitMix64(seed);
    let mut counts = vec![0; endpoints.len()];
    for t in 0..picks {
        let i = pick(sel, endpoints, &mut state, None, t as u64, &mut rng).expect("an endpoint");
        counts[i] += 1;
    }
    counts
}

fn all_policies() -> Vec<LbPolicy> {
    vec![
        LbPolicy::RoundRobin,
        LbPolicy::LeastRequest,
        LbPolicy::Random,
        LbPolicy::RingHash {
            minimum_ring_size: 1024,
        },
        LbPolicy::Maglev { table_size: 65537 },
    ]
}

fn outlier(
    consecutive_5xx: u32,
    max_ejection_percent: u32,
    min_health_percent: u32,
) -> OutlierPolicy {
    OutlierPolicy {
        consecutive_5xx,
        consecutive_gateway_errors: 0,
        interval_ms: 10_000,
        base_ejection_ms: 30_000,
        max_ejection_percent,
        min_health_percent,
    }
}

// ---- round robin -------------------------------------------------------------------------

#[test]
fn weighted_round_robin_respects_weights() {
    let endpoints = weighted(&[1, 2, 3, 4]);
    let sel = Selector::build(LbPolicy::RoundRobin, &endpoints);
    // EDF is exact per cycle of Σw = 10 picks.
    assert_eq!(
        counts(&sel, &endpoints, 10_000, 1),
        vec![1000, 2000, 3000, 4000]
    );
}

#[test]
fn round_robin_with_equal_weights_cycles_through_endpoints() {
    let endpoints = eps(3);
    let sel = Selector::build(LbPolicy::RoundRobin, &endpoints);
    let mut state = ClusterState::default();
    let mut rng = SplitMix64(9);
    let seq: Vec<usize> = (0..6)
        .map(|t| pick(&sel, &endpoints, &mut state, None, t, &mut rng).unwrap())
        .collect();
    assert_eq!(seq[0..3], seq[3..6]);
    let mut first = seq[0..3].to_vec();
    first.sort();
    assert_eq!(first, vec![0, 1, 2]);
}

#[test]
fn weighted_round_robin_interleaves_like_envoy_edf() {
    // Weights 1 and 3: the heavy endpoint runs three times for each run of the light one, spread
    // out rather than in bursts.
    let mut edf = edf::Edf::default();
    let w = |m: u32| if m == 0 { 1.0 } else { 3.0 };
    edf.rebuild(&[0, 1], w, 0);
    let seq: Vec<u32> = (0..400).map(|_| edf.pick_and_add(w).unwrap()).collect();
    // A quarter of the picks go to the light endpoint, about every fourth pick (floating-point
    // deadlines can shift the phase by one, as in Envoy).
    let light: Vec<usize> = (0..seq.len()).filter(|&i| seq[i] == 0).collect();
    assert_eq!(light.len(), 100);
    assert!(
        light.windows(2).all(|w| (3..=5).contains(&(w[1] - w[0]))),
        "{seq:?}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn weighted_round_robin_split_within_two_percent(
        weights in proptest::collection::vec(1u32..=20, 2..6),
        seed in any::<u64>(),
    ) {
        let endpoints = weighted(&weights);
        let sel = Selector::build(LbPolicy::RoundRobin, &endpoints);
        let picks = 100_000;
        let got = counts(&sel, &endpoints, picks, seed);
        let total: u32 = weights.iter().sum();
        for (i, &w) in weights.iter().enumerate() {
            let want = f64::from(w) / f64::from(total);
            let share = got[i] as f64 / picks as f64;
            prop_assert!((share - want).abs() <= 0.02, "endpoint {i}: {share} vs {want}");
        }
    }
}

// ---- least request -----------------------------------------------------------------------

proptest! {
    #[test]
    fn least_request_never_picks_the_busier_of_two_candidates(
        in_flight in proptest::collection::vec(0u32..5, 2..8),
        a in any::<u64>(),
        b in any::<u64>(),
    ) {
        let endpoints = eps(in_flight.len());
        let sel = Selector::build(LbPolicy::LeastRequest, &endpoints);
        let mut state = ClusterState::default();
        // Bind first (it draws the round-robin seed), then rig the two candidate draws.
        pick(&sel, &endpoints, &mut state, None, 0, &mut SplitMix64(0));
        state.in_flight = in_flight.clone();
        let n = in_flight.len() as u64;
        let (first, second) = ((a % n) as usize, (b % n) as usize);
        let chosen = pick(&sel, &endpoints, &mut state, None, 1, &mut SeqRng(vec![a, b], 0)).unwrap();
        prop_assert!(chosen == first || chosen == second);
        prop_assert_eq!(in_flight[chosen], in_flight[first].min(in_flight[second]));
    }
}

#[test]
fn least_request_ties_keep_the_first_candidate() {
    let endpoints = eps(4);
    let sel = Selector::build(LbPolicy::LeastRequest, &endpoints);
    let mut state = ClusterState::default();
    pick(&sel, &endpoints, &mut state, None, 0, &mut SplitMix64(0));
    state.in_flight = vec![1, 1, 1, 1];
    assert_eq!(
        pick(
            &sel,
            &endpoints,
            &mut state,
            None,
            1,
            &mut SeqRng(vec![2, 3], 0)
        ),
        Some(2)
    );
}

#[test]
fn weighted_least_request_steers_away_from_busy_endpoints() {
    let endpoints = weighted(&[1, 2, 2]);
    let sel = Selector::build(LbPolicy::LeastRequest, &endpoints);
    let mut state = ClusterState::default();
    let mut rng = SplitMix64(3);
    pick(&sel, &endpoints, &mut state, None, 0, &mut rng);
    state.in_flight = vec![0, 50, 0];
    let mut got = [0usize; 3];
    for t in 0..3000 {
        got[pick(&sel, &endpoints, &mut state, None, t, &mut rng).unwrap()] += 1;
    }
    assert!(got[1] < got[0] && got[1] < got[2], "{got:?}");
}

// ---- random ------------------------------------------------------------------------------

#[test]
fn random_covers_all_endpoints() {
    let endpoints = eps(7);
    let sel = Selector::build(LbPolicy::Random, &endpoints);
    let got = counts(&sel, &endpoints, 7000, 5);
    assert!(got.iter().all(|&c| c > 700), "{got:?}");
}

#[test]
fn random_ignores_weights_like_envoy() {
    let endpoints = weighted(&[1, 9]);
    let sel = Selector::build(LbPolicy::Random, &endpoints);
    let got = counts(&sel, &endpoints, 20_000, 5);
    assert!((got[0] as f64 / 20_000.0 - 0.5).abs() < 0.02, "{got:?}");
}

// ---- passthrough, empty and odd inputs ---------------------------------------------------

#[test]
fn passthrough_leaves_the_choice_to_the_caller() {
    let endpoints = eps(3);
    let sel = Selector::build(LbPolicy::Passthrough, &endpoints);
    let mut state = ClusterState::default();
    assert_eq!(
        pick(&sel, &endpoints, &mut state, None, 0, &mut SplitMix64(1)),
        None
    );
}

#[test]
fn no_endpoints_means_no_pick_for_every_policy() {
    for policy in all_policies() {
        let sel = Selector::build(policy.clone(), &[]);
        let mut state = ClusterState::default();
        assert_eq!(
            pick(&sel, &[], &mut state, Some(1), 0, &mut SplitMix64(1)),
            None,
            "{policy:?}"
        );
    }
}

#[test]
fn endpoints_other_than_the_selectors_are_refused() {
    let sel = Selector::build(LbPolicy::RoundRobin, &eps(3));
    let mut state = ClusterState::default();
    assert_eq!(
        pick(&sel, &eps(2), &mut state, None, 0, &mut SplitMix64(1)),
        None
    );
}

#[test]
fn zero_weight_counts_as_one() {
    let endpoints = weighted(&[0, 1]);
    let sel = Selector::build(LbPolicy::RoundRobin, &endpoints);
    assert_eq!(counts(&sel, &endpoints, 1000, 2), vec![500, 500]);
}

#[test]
fn sizes_are_clamped_and_maglev_sizes_made_prime() {
    assert_eq!(effective_min_ring_size(0), 1024);
    assert_eq!(effective_min_ring_size(u64::MAX), MAX_RING_SIZE);
    assert_eq!(effective_maglev_table_size(0), 65537);
    assert_eq!(effective_maglev_table_size(8), 11);
    assert_eq!(effective_maglev_table_size(1), 2);
    assert_eq!(effective_maglev_table_size(u64::MAX), MAX_MAGLEV_TABLE_SIZE);
    let sel = Selector::build(LbPolicy::Maglev { table_size: 8 }, &eps(3));
    assert_eq!(sel.table_len(), 11);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn pick_never_panics_and_stays_in_range(
        weights in proptest::collection::vec(0u32..4, 0..6),
        healthy in proptest::collection::vec(any::<bool>(), 6),
        policy in 0usize..6,
        ring in 0u64..64,
        hash in proptest::option::of(any::<u64>()),
        threshold in 0u32..120,
        statuses in proptest::collection::vec((0usize..6, prop_oneof![Just(0u16), Just(200), Just(503), Just(502)]), 0..30),
    ) {
        let endpoints: Vec<Endpoint> = weights.iter().enumerate()
            .map(|(i, &w)| ep(&format!("10.1.0.{i}:80"), w, healthy[i])).collect();
        let policy = match policy {
            0 => LbPolicy::RoundRobin,
            1 => LbPolicy::LeastRequest,
            2 => LbPolicy::Random,
            3 => LbPolicy::RingHash { minimum_ring_size: ring },
            4 => LbPolicy::Maglev { table_size: ring },
            _ => LbPolicy::Passthrough,
        };
        let od = OutlierPolicy { consecutive_5xx: 2, consecutive_gateway_errors: 1, interval_ms: 3,
            base_ejection_ms: 5, max_ejection_percent: 100, min_health_percent: threshold };
        let sel = Selector::build_with(policy, &endpoints, Some(&od), threshold);
        let mut state = ClusterState::default();
        let mut rng = SplitMix64(11);
        for (t, (i, status)) in statuses.into_iter().enumerate() {
            if let Some(p) = pick(&sel, &endpoints, &mut state, hash, t as u64, &mut rng) {
                prop_assert!(p < endpoints.len());
            }
            record_response(&od, &mut state, i, status, t as u64);
        }
    }
}

// ---- health and panic --------------------------------------------------------------------

#[test]
fn unhealthy_endpoints_are_skipped() {
    let endpoints = vec![
        ep("10.0.0.1:80", 1, true),
        ep("10.0.0.2:80", 1, false),
        ep("10.0.0.3:80", 1, true),
    ];
    for policy in all_policies() {
        let sel = Selector::build(policy.clone(), &endpoints);
        let got = counts(&sel, &endpoints, 3000, 4);
        assert_eq!(got[1], 0, "{policy:?}: {got:?}");
        assert!(got[0] > 0 && got[2] > 0, "{policy:?}: {got:?}");
    }
}

#[test]
fn all_unhealthy_with_min_health_percent_zero_gives_no_endpoint() {
    // Istio's default with outlier detection: healthy_panic_threshold 0, panic disabled → 503.
    let endpoints = vec![ep("10.0.0.1:80", 1, false), ep("10.0.0.2:80", 1, false)];
    let od = OutlierPolicy::default();
    for policy in all_policies() {
        let sel = Selector::build_with(
            policy.clone(),
            &endpoints,
            Some(&od),
            istio_panic_threshold(Some(&od)),
        );
        let mut state = ClusterState::default();
        assert_eq!(
            pick(&sel, &endpoints, &mut state, Some(7), 0, &mut SplitMix64(1)),
            None,
            "{policy:?}"
        );
    }
}

#[test]
fn all_unhealthy_without_outlier_detection_panics_to_all_endpoints() {
    // No outlierDetection: Envoy's default 50% threshold, and 0% healthy is total panic.
    let endpoints = vec![ep("10.0.0.1:80", 1, false), ep("10.0.0.2:80", 1, false)];
    for policy in all_policies() {
        let sel = Selector::build(policy.clone(), &endpoints);
        assert!(sel.in_panic());
        let got = counts(&sel, &endpoints, 2000, 8);
        assert!(got.iter().all(|&c| c > 0), "{policy:?}: {got:?}");
    }
}

#[test]
fn panic_threshold_counts_overprovisioning_like_envoy() {
    // 3 of 4 healthy: 140 × 3/4 = 105 → capped at 100 → never panic, whatever the threshold.
    assert!(!in_panic(80, 3, 4));
    // 2 of 4: availability 70, 50% healthy < 80 → panic; ≥ 50 → not.
    assert!(in_panic(80, 2, 4));
    assert!(!in_panic(50, 2, 4));
    // Nothing healthy: panic unless the threshold is 0.
    assert!(in_panic(1, 0, 4));
    assert!(!in_panic(0, 0, 4));
}

// ---- ring hash ---------------------------------------------------------------------------

#[test]
fn ring_hash_matches_envoy_golden_ring() {
    // Envoy test/extensions/load_balancing_policies/ring_hash/ring_hash_lb_test.cc, `Basic`.
    let endpoints: Vec<Endpoint> = (90..=95)
        .map(|p| ep(&format!("127.0.0.1:{p}"), 1, true))
        .collect();
    let sel = Selector::build(
        LbPolicy::RingHash {
            minimum_ring_size: 12,
        },
        &endpoints,
    );
    assert_eq!(sel.table_len(), 12);
    assert_eq!(sel.hash_owner(0), Some(4));
    assert_eq!(sel.hash_owner(u64::MAX), Some(4));
    assert_eq!(sel.hash_owner(3551244743356806947), Some(5));
    assert_eq!(sel.hash_owner(3551244743356806948), Some(3));
    assert_eq!(sel.hash_owner(16117243373044804880), Some(0));
    // With no hash, the random draw is the hash.
    let mut state = ClusterState::default();
    pick(&sel, &endpoints, &mut state, None, 0, &mut SplitMix64(0));
    let mut rng = SeqRng(vec![16117243373044804880], 0);
    assert_eq!(
        pick(&sel, &endpoints, &mut state, None, 0, &mut rng),
        Some(0)
    );
    // All unhealthy, default threshold: panic ring over all hosts, same answer.
    let sick: Vec<Endpoint> = endpoints
        .iter()
        .map(|e| Endpoint {
            healthy: false,
            ..e.clone()
        })
        .collect();
    let sel = Selector::build(
        LbPolicy::RingHash {
            minimum_ring_size: 12,
        },
        &sick,
    );
    assert_eq!(sel.hash_owner(0), Some(4));
}

proptest! {
    #[test]
    fn ring_hash_same_key_same_endpoint(key in any::<Vec<u8>>(), seed in any::<u64>()) {
        let endpoints = eps(5);
        let h = hash_key(&key);
        let a = Selector::build(LbPolicy::RingHash { minimum_ring_size: 1024 }, &endpoints);
        let b = Selector::build(LbPolicy::RingHash { minimum_ring_size: 1024 }, &endpoints);
        let mut state = ClusterState::default();
        let mut rng = SplitMix64(seed);
        let first = pick(&a, &endpoints, &mut state, Some(h), 0, &mut rng);
        prop_assert!(first.is_some());
        prop_assert_eq!(pick(&a, &endpoints, &mut state, Some(h), 1, &mut rng), first);
        prop_assert_eq!(pick(&b, &endpoints, &mut ClusterState::default(), Some(h), 2, &mut rng), first);
    }
}

/// Shares of `keys` whose owner changes when endpoint `gone` turns unhealthy: all moves, and
/// moves between endpoints that stayed.
fn movement(policy: LbPolicy, n: usize, gone: usize, keys: u64) -> (f64, f64) {
    let endpoints = eps(n);
    let before = Selector::build(policy.clone(), &endpoints);
    let mut less = endpoints.clone();
    less[gone].healthy = false;
    let after = Selector::build(policy, &less);
    assert!(!after.in_panic());
    let (mut moved, mut between_survivors) = (0, 0);
    for k in 0..keys {
        let h = hash_key(format!("user-{k}").as_bytes());
        let (a, b) = (before.hash_owner(h), after.hash_owner(h));
        assert_ne!(b, Some(gone));
        if a != b {
            moved += 1;
            if a != Some(gone) {
                between_survivors += 1;
            }
        }
    }
    (
        moved as f64 / keys as f64,
        between_survivors as f64 / keys as f64,
    )
}

#[test]
fn ring_hash_moves_about_one_nth_of_keys_when_an_endpoint_leaves() {
    // 100 endpoints on the default 1024 ring: 11 points each before and after (ceil(1024/100) =
    // ceil(1024/99)), so essentially only the leaver's keys move (Envoy's floating-point running
    // sums can shift a point or two between survivors).
    let (moved, between) = movement(
        LbPolicy::RingHash {
            minimum_ring_size: 1024,
        },
        100,
        37,
        20_000,
    );
    assert!(moved <= 1.0 / 100.0 + 0.01, "moved {moved}");
    assert!(between <= 0.002, "moved between survivors {between}");
}

#[test]
fn ring_hash_rescaling_moves_more_keys_like_envoy() {
    // 10 → 9 endpoints: each survivor goes from 103 to 114 points (Envoy scales the ring so the
    // lightest endpoint gets ceil(min_weight × 1024) points), and the new points take keys from
    // other survivors too. Documented, not a bug of ours.
    let (moved, between) = movement(
        LbPolicy::RingHash {
            minimum_ring_size: 1024,
        },
        10,
        3,
        20_000,
    );
    assert!(between > 0.03, "moved {moved}, between survivors {between}");
}

#[test]
fn ring_hash_weights_shift_share() {
    let endpoints = weighted(&[1, 3]);
    let sel = Selector::build(
        LbPolicy::RingHash {
            minimum_ring_size: 1024,
        },
        &endpoints,
    );
    // The light endpoint gets ceil(0.25 × 1024) = 256 points, the ring 256 / 0.25 = 1024.
    assert_eq!(sel.table_len(), 1024);
    let mut heavy = 0;
    for k in 0..20_000u64 {
        if sel.hash_owner(hash_key(&k.to_le_bytes())) == Some(1) {
            heavy += 1;
        }
    }
    let share = heavy as f64 / 20_000.0;
    assert!((share - 0.75).abs() < 0.05, "{share}");
}

// ---- maglev ------------------------------------------------------------------------------

#[test]
fn maglev_matches_envoy_golden_table() {
    // Envoy test/extensions/load_balancing_policies/maglev/maglev_lb_test.cc, `Basic` and
    // `BasicWithHostName` (keys "90".."95").
    let by_address: Vec<Endpoint> = (90..=95)
        .map(|p| ep(&format!("127.0.0.1:{p}"), 1, true))
        .collect();
    let sel = Selector::build(LbPolicy::Maglev { table_size: 7 }, &by_address);
    let table: Vec<usize> = (0..7).map(|h| sel.hash_owner(h).unwrap()).collect();
    assert_eq!(table, vec![2, 4, 0, 1, 5, 0, 3]);
    let by_name: Vec<Endpoint> = (90..=95).map(|p| ep(&p.to_string(), 1, true)).collect();
    let sel = Selector::build(LbPolicy::Maglev { table_size: 7 }, &by_name);
    let table: Vec<usize> = (0..7).map(|h| sel.hash_owner(h).unwrap()).collect();
    assert_eq!(table, vec![2, 5, 0, 3, 4, 1, 0]);
}

proptest! {
    #[test]
    fn maglev_same_key_same_endpoint(key in any::<Vec<u8>>()) {
        let endpoints = eps(5);
        let h = hash_key(&key);
        let a = Selector::build(LbPolicy::Maglev { table_size: 65537 }, &endpoints);
        let mut state = ClusterState::default();
        let mut rng = SplitMix64(1);
        let first = pick(&a, &endpoints, &mut state, Some(h), 0, &mut rng);
        prop_assert!(first.is_some());
        prop_assert_eq!(pick(&a, &endpoints, &mut state, Some(h), 1, &mut rng), first);
    }
}

#[test]
fn maglev_moves_about_one_nth_of_keys_when_an_endpoint_leaves() {
    let (moved, between) = movement(LbPolicy::Maglev { table_size: 65537 }, 10, 3, 20_000);
    eprintln!("maglev moved {moved}, between survivors {between}");
    assert!(moved <= 1.0 / 10.0 + 0.02, "moved {moved}");
}

#[test]
fn maglev_weights_shift_share() {
    let endpoints = weighted(&[1, 3]);
    let sel = Selector::build(LbPolicy::Maglev { table_size: 65537 }, &endpoints);
    let heavy = (0..65537u64)
        .filter(|&h| sel.hash_owner(h) == Some(1))
        .count();
    assert!((heavy as f64 / 65537.0 - 0.75).abs() < 0.01, "{heavy}");
}

#[test]
fn hashing_without_a_hash_picks_randomly() {
    let endpoints = eps(4);
    for policy in [
        LbPolicy::RingHash {
            minimum_ring_size: 1024,
        },
        LbPolicy::Maglev { table_size: 65537 },
    ] {
        let sel = Selector::build(policy.clone(), &endpoints);
        let got = counts(&sel, &endpoints, 4000, 6);
        assert!(got.iter().all(|&c| c > 500), "{policy:?}: {got:?}");
    }
}

// ---- outlier detection -------------------------------------------------------------------

fn od_cluster(
    n: usize,
    od: &OutlierPolicy,
    policy: LbPolicy,
) -> (Vec<Endpoint>, Selector, ClusterState) {
    let endpoints = eps(n);
    let sel = Selector::build_with(
        policy,
        &endpoints,
        Some(od),
        istio_panic_threshold(Some(od)),
    );
    (endpoints, sel, ClusterState::with_endpoints(n))
}

#[test]
fn ejected_after_consecutive_5xx() {
    let od = outlier(5, 100, 0);
    for policy in all_policies() {
        let (endpoints, sel, mut state) = od_cluster(3, &od, policy.clone());
        for t in 0..4 {
            record_response(&od, &mut state, 1, 500, t);
        }
        assert!(!state.is_ejected(1));
        record_response(&od, &mut state, 1, 500, 4);
        assert!(state.is_ejected(1), "{policy:?}");
        let mut rng = SplitMix64(2);
        for t in 0..600 {
            assert_ne!(
                pick(
                    &sel,
                    &endpoints,
                    &mut state,
                    Some(t * 7919),
                    5 + t,
                    &mut rng
                ),
                Some(1),
                "{policy:?}"
            );
        }
    }
}

#[test]
fn connect_failures_count_as_5xx_and_gateway_errors() {
    let od = OutlierPolicy {
        consecutive_5xx: 0,
        consecutive_gateway_errors: 3,
        ..outlier(0, 100, 0)
    };
    let (_, _, mut state) = od_cluster(3, &od, LbPolicy::RoundRobin);
    record_response(&od, &mut state, 0, 0, 0);
    record_response(&od, &mut state, 0, 502, 1);
    record_response(&od, &mut state, 0, 500, 2); // a non-gateway 5xx resets the gateway count
    record_response(&od, &mut state, 0, 504, 3);
    record_response(&od, &mut state, 0, 0, 4);
    assert!(!state.is_ejected(0));
    record_response(&od, &mut state, 0, 503, 5);
    assert!(state.is_ejected(0));
}

#[test]
fn non_5xx_resets_the_counter() {
    let od = outlier(5, 100, 0);
    let (_, _, mut state) = od_cluster(3, &od, LbPolicy::RoundRobin);
    for t in 0..4 {
        record_response(&od, &mut state, 0, 503, t);
    }
    record_response(&od, &mut state, 0, 404, 4);
    assert_eq!(state.outlier[0].consecutive_5xx, 0);
    for t in 5..9 {
        record_response(&od, &mut state, 0, 503, t);
    }
    assert!(!state.is_ejected(0));
}

#[test]
fn ejection_time_grows_with_times_ejected() {
    let od = outlier(1, 100, 0); // interval 10 s, base 30 s
    let (endpoints, sel, mut state) = od_cluster(3, &od, LbPolicy::RoundRobin);
    let mut rng = SplitMix64(1);
    pick(&sel, &endpoints, &mut state, None, 0, &mut rng); // arms the sweep: 10 s, 20 s, …
    record_response(&od, &mut state, 2, 500, 1_000);
    assert_eq!(state.ejection_end_ms(&od, 2), Some(40_000)); // first sweep ≥ 31 s
    pick(&sel, &endpoints, &mut state, None, 39_999, &mut rng);
    assert!(state.is_ejected(2));
    pick(&sel, &endpoints, &mut state, None, 40_000, &mut rng);
    assert!(!state.is_ejected(2));
    // Ejected again before the backoff decays: 2 × 30 s.
    record_response(&od, &mut state, 2, 500, 41_000);
    assert_eq!(state.outlier[2].times_ejected, 2);
    assert_eq!(state.ejection_end_ms(&od, 2), Some(110_000)); // first sweep ≥ 101 s
    pick(&sel, &endpoints, &mut state, None, 100_000, &mut rng);
    assert!(state.is_ejected(2));
    pick(&sel, &endpoints, &mut state, None, 110_000, &mut rng);
    assert!(!state.is_ejected(2));
    // Healthy for a while: the backoff decays by one per interval, back to the base time.
    pick(&sel, &endpoints, &mut state, None, 130_000, &mut rng);
    assert_eq!(state.outlier[2].backoff, 0);
    record_response(&od, &mut state, 2, 500, 131_000);
    assert_eq!(state.ejection_end_ms(&od, 2), Some(170_000));
}

#[test]
fn ejection_time_is_capped_at_the_max_ejection_time() {
    let od = OutlierPolicy {
        base_ejection_ms: 200_000,
        ..outlier(1, 100, 0)
    };
    let (_, _, mut state) = od_cluster(2, &od, LbPolicy::RoundRobin);
    state.outlier[0].backoff = 5;
    record_response(&od, &mut state, 0, 500, 0);
    // min(200 s × 6, max(300 s, 200 s)) = 300 s.
    assert_eq!(state.ejection_end_ms(&od, 0), Some(300_000));
}

#[test]
fn never_more_than_max_ejection_percent() {
    let od = outlier(1, 30, 0);
    let (endpoints, sel, mut state) = od_cluster(10, &od, LbPolicy::Random);
    for i in 0..10 {
        record_response(&od, &mut state, i, 500, 1);
    }
    assert_eq!(state.ejected, 3);
    assert_eq!((0..10).filter(|&i| state.is_ejected(i)).count(), 3);
    // Envoy's default 10% never ejects from a cluster of fewer than 10 endpoints.
    let od = outlier(1, 10, 0);
    let (_, _, mut small) = od_cluster(9, &od, LbPolicy::Random);
    record_response(&od, &mut small, 0, 500, 1);
    assert_eq!(small.ejected, 0);
    let got = counts(&sel, &endpoints, 10, 1);
    assert_eq!(got.len(), 10);
}

#[test]
fn panic_mode_below_min_health_percent_ignores_ejections() {
    let od = outlier(1, 100, 50);
    let (endpoints, sel, mut state) = od_cluster(4, &od, LbPolicy::RoundRobin);
    let mut rng = SplitMix64(1);
    // One of four ejected: 75% healthy, availability 100 → ejection honoured.
    record_response(&od, &mut state, 0, 500, 1);
    let picks: Vec<usize> = (0..8)
        .map(|t| pick(&sel, &endpoints, &mut state, None, 2 + t, &mut rng).unwrap())
        .collect();
    assert!(!picks.contains(&0));
    // Three of four ejected: 25% healthy < 50% → panic, all four endpoints again.
    record_response(&od, &mut state, 1, 500, 20);
    record_response(&od, &mut state, 2, 500, 21);
    assert_eq!(state.ejected, 3);
    let mut seen = [false; 4];
    for t in 0..8 {
        seen[pick(&sel, &endpoints, &mut state, None, 22 + t, &mut rng).unwrap()] = true;
    }
    assert_eq!(seen, [true; 4]);
}

#[test]
fn all_ejected_without_panic_gives_no_endpoint() {
    let od = outlier(1, 100, 0);
    let (endpoints, sel, mut state) = od_cluster(2, &od, LbPolicy::LeastRequest);
    record_response(&od, &mut state, 0, 500, 1);
    record_response(&od, &mut state, 1, 500, 1);
    assert_eq!(
        pick(&sel, &endpoints, &mut state, None, 2, &mut SplitMix64(1)),
        None
    );
}

#[test]
fn hashing_rebuilds_around_ejected_endpoints() {
    let od = outlier(1, 100, 0);
    for policy in [
        LbPolicy::RingHash {
            minimum_ring_size: 1024,
        },
        LbPolicy::Maglev { table_size: 65537 },
    ] {
        let (endpoints, sel, mut state) = od_cluster(5, &od, policy.clone());
        let mut rng = SplitMix64(1);
        let keys: Vec<u64> = (0..2000u64).map(|k| hash_key(&k.to_le_bytes())).collect();
        let before: Vec<usize> = keys
            .iter()
            .map(|&h| pick(&sel, &endpoints, &mut state, Some(h), 0, &mut rng).unwrap())
            .collect();
        record_response(&od, &mut state, 2, 500, 1);
        let after: Vec<usize> = keys
            .iter()
            .map(|&h| pick(&sel, &endpoints, &mut state, Some(h), 2, &mut rng).unwrap())
            .collect();
        assert!(!after.contains(&2), "{policy:?}");
        let stayed = before
            .iter()
            .zip(&after)
            .filter(|(b, a)| **b != 2 && a == b)
            .count();
        let kept = before.iter().filter(|b| **b != 2).count();
        assert!(
            stayed as f64 >= 0.8 * kept as f64,
            "{policy:?}: {stayed}/{kept}"
        );
    }
}

#[test]
fn without_outlier_detection_ejections_are_ignored() {
    let od = outlier(1, 100, 0);
    let endpoints = eps(2);
    let sel = Selector::build(LbPolicy::RoundRobin, &endpoints);
    let mut state = ClusterState::with_endpoints(2);
    record_response(&od, &mut state, 0, 500, 0);
    assert!(state.is_ejected(0));
    let got = counts_with_state(&sel, &endpoints, &mut state, 10);
    assert_eq!(got, vec![5, 5]);
}

fn counts_with_state(
    sel: &Selector,
    endpoints: &[Endpoint],
    state: &mut ClusterState,
    picks: u64,
) -> Vec<usize> {
    let mut rng = SplitMix64(3);
    let mut counts = vec![0; endpoints.len()];
    for t in 0..picks {
        counts[pick(sel, endpoints, state, None, t, &mut rng).unwrap()] += 1;
    }
    counts
}

#[test]
fn a_new_selector_resets_outlier_state() {
    let od = outlier(1, 100, 0);
    let (endpoints, sel, mut state) = od_cluster(3, &od, LbPolicy::RoundRobin);
    let mut rng = SplitMix64(1);
    record_response(&od, &mut state, 0, 500, 0);
    pick(&sel, &endpoints, &mut state, None, 1, &mut rng);
    assert!(state.is_ejected(0));
    let other = eps(4);
    let sel2 = Selector::build_with(LbPolicy::RoundRobin, &other, Some(&od), 0);
    pick(&sel2, &other, &mut state, None, 2, &mut rng);
    assert_eq!(state.ejected, 0);
    assert_eq!(state.outlier.len(), 4);
}

// ---- retries (previous_hosts) ------------------------------------------------------------

/// The first pick and `retries` retry picks, as the filter lists them.
fn attempts(
    sel: &Selector,
    endpoints: &[Endpoint],
    state: &mut ClusterState,
    hash: Option<u64>,
    previous_hosts: bool,
    retries: usize,
    rng: &mut dyn Rng,
) -> Vec<usize> {
    let first = pick(sel, endpoints, state, hash, 0, rng).expect("an endpoint");
    let mut out = vec![first];
    retry_picks(
        sel,
        state,
        hash,
        sel.outlier.as_ref(),
        previous_hosts,
        retries,
        rng,
        &mut out,
    );
    out
}

#[test]
fn round_robin_retries_go_to_the_endpoints_not_tried_yet() {
    let endpoints = eps(3);
    let sel = Selector::build(LbPolicy::RoundRobin, &endpoints);
    let mut state = ClusterState::default();
    let mut rng = SplitMix64(5);
    for _ in 0..50 {
        let mut a = attempts(&sel, &endpoints, &mut state, None, true, 2, &mut rng);
        a.sort_unstable();
        assert_eq!(a, vec![0, 1, 2]);
    }
}

#[test]
fn retries_avoid_the_first_endpoint_for_every_non_hashing_policy() {
    // Random and least request draw again up to five times (host_selection_retry_max_attempts)
    // when they meet a host already tried: with three equal endpoints the first retry lands on
    // the first endpoint again only if six draws all do, (1/3)^6 ≈ 0.14 %.
    let endpoints = eps(3);
    for policy in [
        LbPolicy::RoundRobin,
        LbPolicy::LeastRequest,
        LbPolicy::Random,
    ] {
        for weights in [vec![1, 1, 1], vec![1, 2, 5]] {
            let endpoints: Vec<Endpoint> = endpoints
                .iter()
                .zip(&weights)
                .map(|(e, &w)| ep(&e.address, w, true))
                .collect();
            let sel = Selector::build(policy.clone(), &endpoints);
            let mut state = ClusterState::default();
            let mut rng = SplitMix64(17);
            let same = (0..2000)
                .filter(|_| {
                    let a = attempts(&sel, &endpoints, &mut state, None, true, 1, &mut rng);
                    a[0] == a[1]
                })
                .count();
            // Weighted: a draw lands on the heaviest endpoint (5 of 8) six times running in
            // (5/8)^6 ≈ 6 % of its retries.
            let bound = if weights == [1, 1, 1] { 20 } else { 120 };
            assert!(
                same <= bound,
                "{policy:?} {weights:?}: {same} of 2000 retried the same"
            );
            // Without the predicate a retry is a plain pick: random ones repeat a third of the
            // time.
            if policy == LbPolicy::Random && weights == [1, 1, 1] {
                let same = (0..2000)
                    .filter(|_| {
                        let a = attempts(&sel, &endpoints, &mut state, None, false, 1, &mut rng);
                        a[0] == a[1]
                    })
                    .count();
                assert!(
                    (500..=850).contains(&same),
                    "{same} of 2000 without previous_hosts"
                );
            }
        }
    }
}

#[test]
fn a_single_endpoint_is_listed_for_every_attempt() {
    let endpoints = eps(1);
    for policy in all_policies() {
        let sel = Selector::build(policy.clone(), &endpoints);
        let mut state = ClusterState::default();
        let mut rng = SplitMix64(3);
        let a = attempts(&sel, &endpoints, &mut state, Some(42), true, 4, &mut rng);
        assert_eq!(a, vec![0; 5], "{policy:?}");
    }
}

#[test]
fn consistent_hash_retries_stay_on_the_hashed_endpoint() {
    // istiod drops previous_hosts for consistent-hash destinations: the same hash finds the
    // same endpoint on every attempt.
    let endpoints = eps(5);
    for policy in [
        LbPolicy::RingHash {
            minimum_ring_size: 1024,
        },
        LbPolicy::Maglev { table_size: 65537 },
    ] {
        let sel = Selector::build(policy.clone(), &endpoints);
        let mut state = ClusterState::default();
        let mut rng = SplitMix64(9);
        for key in 0..200u64 {
            let h = hash_key(&key.to_le_bytes());
            let a = attempts(&sel, &endpoints, &mut state, Some(h), true, 3, &mut rng);
            assert!(a.iter().all(|&i| i == a[0]), "{policy:?}: {a:?}");
            assert_eq!(Some(a[0]), sel.hash_owner(h));
        }
    }
}

#[test]
fn retry_picks_leave_the_balancer_alone() {
    // The retries are drawn up front and most never happen: the next requests' picks must be
    // what they would have been.
    let endpoints = weighted(&[1, 3, 2, 1]);
    for policy in [LbPolicy::RoundRobin, LbPolicy::LeastRequest] {
        for endpoints in [eps(4), endpoints.clone()] {
            let sel = Selector::build(policy.clone(), &endpoints);
            let (mut plain, mut with) = (ClusterState::default(), ClusterState::default());
            let (mut r1, mut r2) = (SplitMix64(1), SplitMix64(1));
            for t in 0..200 {
                let a = pick(&sel, &endpoints, &mut plain, None, t, &mut r1);
                let b = pick(&sel, &endpoints, &mut with, None, t, &mut r2);
                assert_eq!(a, b, "{policy:?} pick {t}");
                let mut out = vec![b.expect("an endpoint")];
                // Its own random source, as the draws of the retries must not matter here.
                retry_picks(
                    &sel,
                    &with,
                    None,
                    None,
                    true,
                    3,
                    &mut SplitMix64(t),
                    &mut out,
                );
                assert_eq!(out.len(), 4);
            }
        }
    }
}

#[test]
fn ejected_endpoints_are_never_listed_for_a_retry() {
    let od = outlier(1, 100, 0);
    for policy in [
        LbPolicy::RoundRobin,
        LbPolicy::LeastRequest,
        LbPolicy::Random,
    ] {
        let (endpoints, sel, mut state) = od_cluster(3, &od, policy.clone());
        record_response(&od, &mut state, 1, 503, 0);
        assert!(state.is_ejected(1));
        let mut rng = SplitMix64(23);
        for _ in 0..300 {
            let a = attempts(&sel, &endpoints, &mut state, None, true, 3, &mut rng);
            assert!(!a.contains(&1), "{policy:?}: {a:?}");
        }
    }
}
