//! The few Kubernetes objects that make up the service registry: Service, Pod, Node (for
//! topology labels), Endpoints/EndpointSlice-free. Decoded leniently: `kubectl get -o yaml`
//! output carries many fields meshroute never reads.

use crate::decode::IntOrString;
use crate::decode_struct;
use std::collections::BTreeMap;

decode_struct! { lenient
    pub struct ObjectMeta {
        name: Option<String> = "name",
        namespace: Option<String> = "namespace",
        labels: BTreeMap<String, String> = "labels",
        annotations: BTreeMap<String, String> = "annotations",
        creation_timestamp: Option<String> = "creationTimestamp",
    }
}

decode_struct! { lenient
    pub struct ServiceSpec {
        ports: Vec<KubeServicePort> = "ports",
        selector: BTreeMap<String, String> = "selector",
        cluster_ip: Option<String> = "clusterIP",
        cluster_ips: Vec<String> = "clusterIPs",
        service_type: Option<String> = "type",
        external_name: Option<String> = "externalName",
    }
}

decode_struct! { lenient
    pub struct KubeServicePort {
        name: Option<String> = "name",
        port: Option<i64> = "port",
        target_port: Option<IntOrString> = "targetPort",
        protocol: Option<String> = "protocol",
        app_protocol: Option<String> = "appProtocol",
        node_port: Option<i64> = "nodePort",
    }
}

decode_struct! { lenient
    /// A `v1` Secret: gateway certificates (`credentialName`). `data` values are base64 as
    /// Kubernetes stores them; `stringData` plain (the API server merges it into `data`).
    pub struct SecretSpec {
        secret_type: Option<String> = "type",
        data: BTreeMap<String, String> = "data",
        string_data: BTreeMap<String, String> = "stringData",
    }
}

decode_struct! { lenient
    pub struct PodSpec {
        node_name: Option<String> = "nodeName",
        containers: Vec<Container> = "containers",
    }
}

decode_struct! { lenient
    pub struct Container {
        name: Option<String> = "name",
        ports: Vec<ContainerPort> = "ports",
    }
}

decode_struct! { lenient
    pub struct ContainerPort {
        name: Option<String> = "name",
        container_port: Option<i64> = "containerPort",
        protocol: Option<String> = "protocol",
    }
}

decode_struct! { lenient
    pub struct PodStatus {
        pod_ip: Option<String> = "podIP",
        pod_ips: Vec<PodIp> = "podIPs",
        phase: Option<String> = "phase",
        conditions: Vec<PodCondition> = "conditions",
    }
}

decode_struct! { lenient
    pub struct PodIp { ip: Option<String> = "ip" }
}

decode_struct! { lenient
    pub struct PodCondition {
        condition_type: Option<String> = "type",
        status: Option<String> = "status",
    }
}

/// A Pod: spec and status together (status carries the IP the endpoints use).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Pod {
    pub spec: PodSpec,
    pub status: PodStatus,
}

impl Pod {
    /// The pod IP, from `status.podIP` (or the first of `status.podIPs`).
    pub fn ip(&self) -> Option<&str> {
        self.status
            .pod_ip
            .as_deref()
            .or_else(|| self.status.pod_ips.first().and_then(|p| p.ip.as_deref()))
            .filter(|s| !s.is_empty())
    }

    /// Istio marks endpoints of not-ready pods unhealthy
    /// (`endpointHealthStatus`, pilot/pkg/serviceregistry/kube/controller/endpointslice.go).
    /// Pods written by hand usually have no status conditions: count them ready.
    pub fn ready(&self) -> bool {
        match self
            .status
            .conditions
            .iter()
            .find(|c| c.condition_type.as_deref() == Some("Ready"))
        {
            Some(c) => c.status.as_deref() == Some("True"),
            None => !matches!(self.status.phase.as_deref(), Some("Failed" | "Succeeded")),
        }
    }

    /// Resolves a named container port (for a Service `targetPort: http`).
    pub fn named_port(&self, name: &str) -> Option<i64> {
        self.spec
            .containers
            .iter()
            .flat_map(|c| c.ports.iter())
            .find(|p| p.name.as_deref() == Some(name))
            .and_then(|p| p.container_port)
    }
}

/// A Kubernetes Node; only its labels matter (topology labels for subsets).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct KubeNode {}
