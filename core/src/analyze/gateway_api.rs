//! `meshroute.GatewayAPIStatus`: the status conditions istiod writes on Gateway API resources,
//! reported as diagnostics at the field that causes them (Istio:
//! pilot/pkg/config/kube/gateway/conditions.go `createRouteStatus`, conversion.go
//! `referenceAllowed`, `buildDestination`, `buildListener`; istioctl analyze has no analyzer for
//! them — they live in the objects' `status`).
//!
//! - MR0801: a parentRef is not accepted (`Accepted: False` with NotAllowedByListeners,
//!   NoMatchingListenerHostname or NoMatchingParent), or names a Gateway that does not exist.
//! - MR0802: a reference does not resolve (`ResolvedRefs: False` with BackendNotFound,
//!   RefNotPermitted or InvalidKind: that backend's share of requests gets 500), or a rule istiod
//!   cannot translate (InvalidFilter, InvalidDestination: the whole route is not programmed).
//! - MR0803: a Gateway or listener condition (class not Istio's, conflicting listeners,
//!   unsupported protocol or route kinds, listeners meshroute does not serve).

use crate::analyze::{Analyzer, Ctx};
use crate::compile::gateway_api_codes as codes;
use crate::diag::Diagnostic;

pub const ANALYZER: Analyzer = Analyzer {
    name: "meshroute.GatewayAPIStatus",
    codes: &[
        codes::NOT_ACCEPTED,
        codes::UNRESOLVED_REF,
        codes::GATEWAY_CONDITION,
    ],
    run,
};

fn run(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    out.extend(crate::compile::gateway_api_status(ctx.res));
}
