// Types of the JSON the meshroute wasm module returns (hand-written; the functions themselves
// are declared by wasm-bindgen in meshroute_validator_web.d.ts and return JSON strings).
//
//   import init, { validate } from './meshroute_validator_web.js';
//   await init();
//   const v: ValidateResult = JSON.parse(validate(text));

/** Every function returns this instead of its result when an argument is malformed. */
export interface ErrorResult {
  error: string;
}

export type Severity = 'error' | 'warning' | 'info';

export interface Diagnostic {
  /** Istio's code where one exists (IST0101, IST0106 …), else meshroute's (MR0001 …). */
  code: string;
  severity: Severity;
  /** Resource kind (`VirtualService`); empty for file-level problems (YAML syntax). */
  kind: string;
  namespace: string;
  name: string;
  /** Field path, e.g. `spec.http[0].route[1].destination.subset`; empty for the whole resource. */
  path: string;
  file: string;
  /** 1-based line. */
  line: number;
  /** 1-based column in Unicode scalar values. */
  column: number;
  /** 1-based column in UTF-16 code units: what textarea selection offsets count. */
  columnUtf16: number;
  message: string;
}

/** validate(text) */
export interface ValidateResult {
  diagnostics: Diagnostic[];
  /** Number of resources loaded. */
  resources: number;
  /** Resources by kind (kinds with none are absent). */
  counts: Partial<Record<'Gateway' | 'VirtualService' | 'DestinationRule' | 'ServiceEntry' | 'WorkloadEntry' | 'Service' | 'Pod' | 'Node', number>>;
  errors: number;
  warnings: number;
  infos: number;
  /** The API server (Istio's webhook) would refuse something; the filter would refuse the config. */
  rejected: boolean;
  /** The text is a meshroute config file (`proxy:` + `resources:`), not plain resources. */
  config: boolean;
}

/** The `proxy` argument of tables() and simulate(), as a JSON string ("" = the default proxy). */
export interface ProxyIdentity {
  kind: 'gateway' | 'sidecar';
  namespace: string;
  labels: Record<string, string>;
}

/** proxies(text): one entry per implied proxy; never empty. Passing an entry back works. */
export interface ProxyEntry extends ProxyIdentity {
  /** `gateway istio-system {app=istio-ingressgateway,istio=ingressgateway}` */
  name: string;
  /** Why it is offered: `Gateway ns/name (pod ns/pod)`, `workloads in default: 5 pods`, … */
  source: string;
}
export type ProxiesResult = ProxyEntry[];

/** One filter chain of a listener (istioctl shows a row per chain). */
export interface ListenerRow {
  name: string;
  addresses: string;
  port: number;
  /** `ALL`, `Trans: raw_buffer` (plaintext beside TLS chains), `SNI: a.com,b.com; Trans: tls (SIMPLE)` */
  match: string;
  /** `Route: http.8080`, `Route: https.443.NAME.GATEWAY.NS` */
  destination: string;
  routeConfig: string;
  serverPorts: number[];
  gateways: string[];
  /** A TLS chain's name (its route configuration's); null for plaintext. */
  filterChain: string | null;
  /** SNI names; empty: any. */
  serverNames: string[];
  tlsMode: 'SIMPLE' | 'MUTUAL' | 'OPTIONAL_MUTUAL' | null;
  /** SDS names of the certificate and the CA (see SecretRow.resourceName). */
  certificate: string | null;
  ca: string | null;
  /** `ns/name` of the Gateway and the server's index, for a TLS chain. */
  gateway: string | null;
  server: number | null;
}

export interface RouteRow {
  name: string;
  vhostName: string;
  domains: string[];
  match: string;
  /** `name.namespace`, or the status of a direct response, or empty. */
  virtualService: string;
  route: string | null;
  action: string;
}

export interface ClusterRow {
  /** `outbound|PORT|SUBSET|FQDN` */
  name: string;
  serviceFqdn: string;
  port: number;
  /** `-` when none. */
  subset: string;
  direction: 'outbound';
  type: string;
  destinationRule: string;
  endpoints: number;
  lb: {
    lbPolicy: 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RANDOM' | 'RING_HASH' | 'MAGLEV' | 'CLUSTER_PROVIDED';
    ringHashLbConfig?: unknown;
    maglevLbConfig?: unknown;
    hashPolicy?: unknown;
    outlierDetection?: unknown;
    circuitBreakers?: unknown;
  };
}

export interface EndpointRow {
  /** `ip:port` */
  endpoint: string;
  status: 'HEALTHY' | 'UNHEALTHY';
  outlierCheck: string;
  cluster: string;
  weight: number;
  /** `Pod ns/name`, `WorkloadEntry ns/name`, `ServiceEntry ns/name` */
  source: string;
}

/** `istioctl proxy-config secret`: a certificate chain or CA bundle, never a key or a whole certificate. */
export interface SecretRow {
  /** `kubernetes://NAME`, `kubernetes://NAME-cacert`, `file-cert:CERT~KEY`, `file-root:CA` */
  resourceName: string;
  type: 'Cert Chain' | 'CA';
  /** WARMING: Envoy cannot use it (see notes); UNKNOWN: files the browser cannot read. */
  status: 'ACTIVE' | 'WARMING' | 'UNKNOWN';
  /** Whether tables()' nowMs lies in the leaf's validity. */
  validCert: boolean;
  /** Lower-case hex, as istioctl prints it. */
  serialNumber: string;
  /** RFC 3339 UTC, `2024-08-15T07:46:24Z` */
  notAfter: string;
  notBefore: string;
  /** SHA-256 of the leaf certificate (DER), lower-case hex. */
  sha256: string;
  subject: string;
  issuer: string;
  dnsNames: string[];
  certificates: number;
  /** `Secret ns/name`, `file /etc/certs/cert.pem` */
  source: string;
  files: string[];
  keyMatches: boolean | null;
  notes: string[];
}

export interface GraphRoute {
  /** Position in its virtual host (matches SimulateResult.routeIndex). */
  index: number;
  name: string;
  match: string;
  virtualService: string | null;
  kind: 'forward' | 'redirect' | 'direct' | 'passthrough';
  label: string;
  destinations: { cluster: string; weight: number; missing: boolean }[];
}

export interface Graph {
  listeners: {
    name: string;
    port: number;
    serverPorts: number[];
    routeConfig: string;
    /** A TLS filter chain: `TLS SIMPLE · SNI a.com`; null for plaintext. One entry per chain. */
    tls: string | null;
    virtualHosts: { name: string; domains: string[]; requireTls: boolean; routes: GraphRoute[] }[];
  }[];
  missingClusters: string[];
}

/** tables(text, proxy, nowMs) */
export interface TablesResult {
  proxy: ProxyIdentity;
  listeners: ListenerRow[];
  routes: RouteRow[];
  clusters: ClusterRow[];
  endpoints: EndpointRow[];
  secrets: SecretRow[];
  graph: Graph;
  /** What compiling for this proxy noticed (dropped routes, skipped TLS servers, …) and the certificate checks (MR05xx; expiry at nowMs). */
  diagnostics: Diagnostic[];
}

/** The `request` argument of simulate(), as a JSON string. */
export interface SimulateRequest {
  /** `http://host[:port]/path?query`; no scheme means http. */
  url: string;
  method?: string;
  /** `Name: value` lines, `{name: value}`, `[{name, value}]` or `[[name, value]]`. `Host` replaces the URL's authority. */
  headers?: string | Record<string, string> | { name: string; value: string }[] | [string, string][];
  sourceIp?: string;
  /** Gateway: the Envoy listener port; default: the listener serving the URL's port. */
  listenerPort?: number;
  /** Seed of the random draws (weights, fault and mirror percentages, LB). Default 0. */
  seed?: number;
}

export interface HeaderOps {
  set: { name: string; value: string }[];
  add: { name: string; value: string }[];
  remove: string[];
}

/** simulate(text, proxy, request) */
export interface SimulateResult {
  /** Local reply status; null when forwarded. */
  status: number | null;
  outcome: 'forward' | 'local_reply';
  listener: string | null;
  routeConfig: string | null;
  virtualHost: string | null;
  /** `ns/name` */
  virtualService: string | null;
  route: string | null;
  routeIndex: number | null;
  /** `outbound|PORT|SUBSET|FQDN` */
  cluster: string | null;
  /** `ip:port` */
  endpoint: string | null;
  endpointSource?: string | null;
  lbPolicy?: string | null;
  /** Upstream :path and :authority (rewritten or as sent). */
  path: string | null;
  authority: string | null;
  /** Redirect target. */
  location: string | null;
  reply: { kind: string; flag: string; body: string; headers: { name: string; value: string }[]; grpcStatus: number | null } | null;
  requestHeaders?: HeaderOps;
  responseHeaders?: HeaderOps;
  timeoutMs?: number;
  retry?: { numRetries: number; retryOn: string; retriableStatusCodes: number[]; perTryTimeoutMs: number | null; default: boolean } | null;
  delayMs?: number | null;
  mirrors?: { cluster: string | null; endpoint: string | null }[];
  corsHeaders?: { name: string; value: string }[];
  setCookie?: string | null;
  /** Step-by-step explanation. */
  trace: string[];
  request: {
    listenerPort: number;
    method: string;
    scheme: string;
    authority: string;
    path: string;
    headers: { name: string; value: string }[];
    sourceIp: string | null;
  };
  proxy: ProxyIdentity;
}

/** One file `meshroute bootstrap` writes; `path` relative to its output directory. */
export interface EnvoyFile {
  path: string;
  text: string;
  /** SDS files: private keys replaced by a placeholder, certificates by fingerprint and subject. */
  redacted?: boolean;
}

/** envoyConfig(text, proxy): the Envoy configuration the bootstrap would give this proxy. */
export interface EnvoyConfigResult {
  proxy: ProxyIdentity;
  /** `IP:PORT` the listener binds in these files (the proxy's first listener port). */
  listen: string;
  /** A gateway: the IP its per-port listeners bind (`--bind`); null for one listener. */
  bind: string | null;
  /** The `meshroute bootstrap` command that writes the same files. */
  command: string;
  /** `envoy.yaml` (the bootstrap), `ecds/meshroute.yaml`, `cds/clusters.yaml`, `cds/eds-*.yaml`, `cds/listeners.yaml`, then `cds/sds-*.yaml`. */
  files: EnvoyFile[];
  /** Whether Secrets were redacted (in the SDS files and the ECDS file's resources). */
  redacted: boolean;
  /** The `--native` bootstrap (routes and STATIC clusters, no filter), or why there is none. */
  native: EnvoyFile | ErrorResult;
  diagnostics: Diagnostic[];
}

/** envoyConfig() when the filter would refuse the config (rejecting diagnostics) or bootstrap its certificates. */
export interface EnvoyConfigRefused extends ErrorResult {
  refused: true;
  diagnostics?: Diagnostic[];
}

/** runTests(text, tests): one route test case's result (as `meshroute test -o json`). */
export interface CaseResult {
  name: string;
  file: string;
  line: number;
  column: number;
  format: 'meshroute' | 'istio-config-validator';
  passed: boolean;
  /** The case could not run (no proxy, no listener …). */
  error?: string;
  requests: string[];
  failures: { assertion: string; expected: string; actual: string }[];
  happened: string;
  trace: string[];
}

/** One VirtualService rule, match block or destination, and whether a case reached it. */
export interface CoverageItem {
  kind: 'rule' | 'match' | 'destination';
  virtualService: string;
  /** `spec.http[1].match[0]` */
  path: string;
  ruleName?: string;
  file: string;
  line: number;
  column: number;
  covered: boolean;
}

export interface CoverageCount { covered: number; total: number }

export interface TestsResult {
  results: CaseResult[];
  passed: number;
  failed: number;
  errors: number;
  coverage: {
    rules: CoverageCount; matches: CoverageCount; destinations: CoverageCount; all: CoverageCount;
    percent: number;
    items: CoverageItem[];
  };
  /** Problems in the test text (line/column in it). */
  diagnostics: Diagnostic[];
  /** The CLI's text report. */
  text: string;
}

/** diff(old, new): per proxy, the rows that changed and the requests that route differently. */
export interface DiffResult {
  proxies: {
    proxy: ProxyIdentity;
    describe: string;
    rows: { table: string; change: 'added' | 'removed' | 'changed'; key: string; before?: unknown; after?: unknown; fields?: string[] }[];
    requests: { request: string; from: string; location?: { file: string; line: number; column: number }; before: string; after: string }[];
    probes: number;
    unprobed?: string[];
  }[];
  changedRequests: number;
  text: string;
  markdown: string;
}

export type Validate = (text: string) => string; // ValidateResult
export type Proxies = (text: string) => string; // ProxiesResult
/** nowMs: `Date.now()` (certificates are judged at it; NaN: not judged). */
export type Tables = (text: string, proxy: string, nowMs: number) => string; // TablesResult | ErrorResult
export type Simulate = (text: string, proxy: string, request: string) => string; // SimulateResult | ErrorResult
export type EnvoyConfig = (text: string, proxy: string) => string; // EnvoyConfigResult | EnvoyConfigRefused | ErrorResult
export type RunTests = (text: string, tests: string) => string; // TestsResult | ErrorResult
export type Diff = (old: string, new_: string) => string; // DiffResult | ErrorResult
