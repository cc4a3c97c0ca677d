#!/usr/bin/env python3
"""Where the filter's extra CPU goes, on the seed: four Envoys side by side (one worker each), the
same open-loop load on each in rotating order, Envoy's own CPU per request (utime+stime from
/proc), medians over rounds:

  floor             Envoy + the no-op wasm filter + ORIGINAL_DST, endpoint set by the route
  floor + stub      the same bootstrap, the stub filter (bench/stub-filter): the meshroute
                    filter's host calls on the seed without an access log (read the header map,
                    write the endpoint), no decision
  bootstrap + stub  `meshroute bootstrap` (its routes, header_to_metadata, fault, ECDS) with the stub
  meshroute         `meshroute bootstrap` with the real filter

Differences between neighbours: the host calls, the bootstrap's own filters and routes, and the
routing work in wasm. Writes docs/bench/attribution.md (bench/report.py includes it).

  python3 bench/attribution.py [--rounds 6] [--rate 2000] [--duration 8] [--no-build]
"""
import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as br  # noqa: E402  (bench/run.py: paths, Envoy, helpers, the floor bootstrap)

STUB = br.TARGET / "wasm32-wasip1/wasm-release/meshroute_bench_stub.wasm"
SETUPS = ["floor", "floor + stub", "bootstrap + stub", "meshroute"]
HOST = "demoappv10.magedu.com"


def with_configuration(floor_yaml, value):
    """The floor bootstrap with a plugin configuration for its wasm filter."""
    return floor_yaml.replace(
        "                root_id: noop\n",
        "                root_id: noop\n                configuration:\n"
        "                  \"@type\": type.googleapis.com/google.protobuf.StringValue\n"
        f"                  value: \"{value}\"\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--rate", type=int, default=2000)
    ap.add_argument("--duration", type=int, default=8)
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--out", default=str(br.ROOT / "docs/bench/attribution.md"))
    ap.add_argument("--variant", action="append", default=[], metavar="NAME=WASM",
                    help="also measure `meshroute bootstrap` with this filter build (an experiment)")
    args = ap.parse_args()
    variants = dict(v.split("=", 1) for v in args.variant)
    setups = SETUPS + list(variants)
    if not args.no_build:
        br.build(extra_wasm=["meshroute-bench-stub"])
    work = Path(br.tempfile.mkdtemp(prefix="meshroute-attribution-"))
    endpoints = [f"{ip}:{br.POD_PORT}" for ip in br.V1_PODS]
    try:
        for i, ip in enumerate(br.V1_PODS):
            br.spawn([str(br.BIN / "demoapp"), "--listen", f"{ip}:{br.POD_PORT}", "--version", "v1.0",
                      "--name", f"demoappv10-{i + 1}", "--quiet"])
        cfg = work / "seed.json"
        cfg.write_text(br.meshroute_config(br.seed_resources()))
        envoys = {}
        for setup in setups:
            port, admin = br.free_port(), br.free_port()
            d = work / setup.replace(" + ", "-")
            d.mkdir()
            conf = d / "envoy.yaml"
            if setup.startswith("floor"):
                text = br.FLOOR.format(admin=admin, port=port, endpoint=endpoints[0],
                                       wasm=br.NOOP if setup == "floor" else STUB, runtime="v8",
                                       access_log="")
                if setup != "floor":
                    text = with_configuration(text, ",".join(endpoints))
                conf.write_text(text)
            else:
                br.sh([str(br.BIN / "meshroute"), "bootstrap", "-c", str(cfg), "-o", str(d),
                       "--listen", f"127.0.0.1:{port}", "--listener-port", "8080",
                       "--admin", f"127.0.0.1:{admin}",
                       "--wasm", str(variants.get(setup) or (STUB if "stub" in setup else br.WASM))])
                if "stub" in setup and setup not in variants:
                    ecds = d / "ecds/meshroute.yaml"
                    e = json.loads(ecds.read_text())
                    e["resources"][0]["typed_config"]["config"]["configuration"]["value"] = ",".join(endpoints)
                    ecds.write_text(json.dumps(e))
            envoys[setup] = br.Envoy(setup, conf, d, port, admin, d / "envoy.log")
        for setup, e in envoys.items():
            br.wait_200(e.addr, HOST, deadline_s=60, proc=e.proc)
        hosts = work / "hosts.txt"
        hosts.write_text(HOST + "\n")
        cpu = {s: [] for s in setups}
        for rnd in range(args.rounds):
            order = setups[rnd % len(setups):] + setups[:rnd % len(setups)]
            for setup in order:
                e = envoys[setup]
                c0 = br.cpu_ticks(e.proc.pid)
                out = br.sh([str(br.BIN / "meshroute-loadgen"), "--addr", e.addr, "--rate", str(args.rate),
                             "--connections", "8", "--duration", str(args.duration), "--warmup", "0.5",
                             "--hosts", str(hosts), "--paths", "/"])
                c1 = br.cpu_ticks(e.proc.pid)
                res = json.loads(out.stdout.strip().splitlines()[-1])
                if res.get("errors"):
                    raise RuntimeError(f"{setup}: {res['errors']} errors")
                us = (c1 - c0) / br.CLK_TCK / (args.rate * (args.duration + 0.5)) * 1e6
                cpu[setup].append(us)
                br.log(f"  round {rnd + 1}/{args.rounds} {setup:<17} {us:6.1f} µs CPU per request")
    finally:
        br.cleanup()
    med = {s: statistics.median(v) for s, v in cpu.items()}
    rows = [
        ("floor", med["floor"], "—"),
        ("floor + stub", med["floor + stub"], f"+{med['floor + stub'] - med['floor']:.1f} (the host calls)"),
        ("bootstrap + stub", med["bootstrap + stub"],
         f"+{med['bootstrap + stub'] - med['floor + stub']:.1f} (meshroute's bootstrap: routes, header_to_metadata, fault)"),
        ("meshroute", med["meshroute"],
         f"+{med['meshroute'] - med['bootstrap + stub']:.1f} (the routing work in wasm)"),
    ]
    mi = br.machine()
    m = f"{mi['cpu']}, {mi['cores']} cores, load average {mi['load_average'][0]:.1f}, Envoy {mi['envoy']}"
    lines = [
        f"Measured by `python3 bench/attribution.py` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
        f" ({args.rounds} rounds × {args.duration} s at {args.rate} rps per setup, one worker, the seed; {m}):",
        "",
        "| setup | Envoy CPU per request (µs, median) | step |",
        "|---|---:|---|",
    ] + [f"| {n} | {v:.1f} | {d} |" for n, v, d in rows] + [
        f"| {n} (variant) | {med[n]:.1f} | {med[n] - med['meshroute']:+.1f} against meshroute |" for n in variants
    ] + [
        "",
        f"meshroute ÷ floor CPU capacity in this run: {med['floor'] / med['meshroute']:.3f}. "
        "Per round: " + "; ".join(f"{s} " + ", ".join(f"{x:.0f}" for x in cpu[s]) for s in setups) + ".",
        "",
    ]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
