//! Client configuration decoded from the caller's map and validated before any network:
//! the region becomes part of a hostname, so it must be a well-formed AWS region name, and a
//! custom endpoint must be an http(s) URL with a host and nothing else.

use aybiza_core::error::{Error, ErrorKind};
use serde::Deserialize;
use std::hash::{Hash, Hasher};
use std::time::Duration;

#[derive(Clone, Deserialize, PartialEq, Eq, Hash)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CredentialSpec {
    Default {
        profile: Option<String>,
    },
    Static {
        access_key_id: String,
        secret_access_key: String,
        session_token: Option<String>,
    },
    AssumeRole {
        role_arn: String,
        session_name: Option<String>,
        external_id: Option<String>,
        duration_seconds: Option<u32>,
        profile: Option<String>,
    },
    ApiKey {
        api_key: String,
    },
}

impl std::fmt::Debug for CredentialSpec {
    // Never print secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CredentialSpec::Default { profile } => write!(f, "Default({profile:?})"),
            CredentialSpec::Static { .. } => write!(f, "Static(<redacted>)"),
            CredentialSpec::AssumeRole { role_arn, .. } => write!(f, "AssumeRole({role_arn})"),
            CredentialSpec::ApiKey { .. } => write!(f, "ApiKey(<redacted>)"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Timeouts {
    pub connect: Duration,
    pub first_byte: Duration,
    pub idle: Duration,
    pub total: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_millis(3_000),
            first_byte: Duration::from_millis(10_000),
            idle: Duration::from_millis(10_000),
            total: Duration::from_millis(120_000),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientConfig {
    pub region: String,
    pub endpoint: Option<String>,
    pub credentials: CredentialSpec,
    pub timeouts: Timeouts,
}

impl ClientConfig {
    /// The client-cache key: same region, endpoint and credential source share one client
    /// (and its pooled connections). Secrets enter only as a hash.
    pub fn cache_key(&self) -> (String, Option<String>, u64) {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.credentials.hash(&mut h);
        self.timeouts.connect.hash(&mut h);
        (self.region.clone(), self.endpoint.clone(), h.finish())
    }
}

#[derive(Deserialize)]
struct RawTimeouts {
    connect: Option<u64>,
    first_byte: Option<u64>,
    idle: Option<u64>,
    total: Option<u64>,
}

#[derive(Deserialize)]
struct RawConfig {
    region: String,
    endpoint: Option<String>,
    credentials: Option<CredentialSpec>,
    timeouts: Option<RawTimeouts>,
}

/// Decodes and validates a client configuration.
pub fn decode_config(value: &serde_json::Value) -> Result<ClientConfig, Error> {
    let raw: RawConfig = serde_json::from_value(value.clone()).map_err(|e| {
        // serde's message can quote values; keep it generic so no secret is echoed.
        let msg = e.to_string();
        let msg = if msg.contains("unknown variant") || msg.contains("missing field") {
            msg
        } else {
            "invalid client configuration".to_string()
        };
        Error::new(ErrorKind::InvalidConfig, msg)
    })?;
    validate_region(&raw.region)?;
    if let Some(endpoint) = &raw.endpoint {
        validate_endpoint(endpoint)?;
    }
    let mut timeouts = Timeouts::default();
    if let Some(t) = raw.timeouts {
        let set = |slot: &mut Duration, v: Option<u64>, name: &str| -> Result<(), Error> {
            match v {
                None => Ok(()),
                Some(0) => Err(Error::new(
                    ErrorKind::InvalidConfig,
                    format!("timeout {name} must be positive"),
                )),
                Some(ms) => {
                    *slot = Duration::from_millis(ms);
                    Ok(())
                }
            }
        };
        set(&mut timeouts.connect, t.connect, "connect")?;
        set(&mut timeouts.first_byte, t.first_byte, "first_byte")?;
        set(&mut timeouts.idle, t.idle, "idle")?;
        set(&mut timeouts.total, t.total, "total")?;
    }
    Ok(ClientConfig {
        region: raw.region,
        endpoint: raw.endpoint,
        credentials: raw
            .credentials
            .unwrap_or(CredentialSpec::Default { profile: None }),
        timeouts,
    })
}

/// `us-east-1`, `eu-central-2`, `us-gov-west-1`, `ap-southeast-4`, `cn-north-1`,
/// `us-isob-east-1`: lowercase letters and digits in dash-separated parts ending in a number.
pub fn validate_region(region: &str) -> Result<(), Error> {
    let parts: Vec<&str> = region.split('-').collect();
    let ok = region.len() <= 32
        && (3..=4).contains(&parts.len())
        && parts[0].len() == 2
        && parts[0].bytes().all(|b| b.is_ascii_lowercase())
        && parts[1..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 12 && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts
            .last()
            .map(|p| (1..=2).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
            .unwrap_or(false);
    if ok {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::InvalidRegion,
            format!("{:?} is not a valid AWS region name", truncate(region, 40)),
        ))
    }
}

/// An http(s) URL with a host and optional port; no user info, path, query or fragment.
pub fn validate_endpoint(endpoint: &str) -> Result<(), Error> {
    let invalid = |why: &str| {
        Err(Error::new(
            ErrorKind::InvalidEndpoint,
            format!(
                "{:?} is not a valid endpoint: {why}",
                truncate(endpoint, 80)
            ),
        ))
    };
    let rest = if let Some(r) = endpoint.strip_prefix("https://") {
        r
    } else if let Some(r) = endpoint.strip_prefix("http://") {
        r
    } else {
        return invalid("it must start with http:// or https://");
    };
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.is_empty() {
        return invalid("it has no host");
    }
    if authority
        .bytes()
        .any(|b| matches!(b, b'/' | b'?' | b'#' | b'@' | b'\\') || b <= b' ' || b >= 0x7f)
    {
        return invalid("only scheme, host and port are allowed");
    }
    let (host, port) = if let Some(stripped) = authority.strip_prefix('[') {
        // IPv6 literal.
        match stripped.split_once(']') {
            Some((h, rest)) => (h, rest.strip_prefix(':')),
            None => return invalid("unterminated IPv6 address"),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty()
        || !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b':')
    {
        return invalid("the host is not a valid hostname or IP address");
    }
    if let Some(port) = port {
        if port.parse::<u16>().map(|p| p == 0).unwrap_or(true) {
            return invalid("the port must be a number from 1 to 65535");
        }
    }
    Ok(())
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn regions() {
        for ok in [
            "us-east-1",
            "eu-central-2",
            "us-gov-west-1",
            "ap-southeast-4",
            "cn-north-1",
            "us-isob-east-1",
        ] {
            assert!(validate_region(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "us-east",
            "US-EAST-1",
            "us-east-1.evil.com",
            "evil.com/x",
            "us-east-1#",
            "a-b-c-d-1",
            "us--1",
            "us-east-100",
        ] {
            let e = validate_region(bad).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidRegion, "{bad}");
        }
    }

    #[test]
    fn endpoints() {
        for ok in [
            "http://127.0.0.1:8080",
            "https://bedrock-runtime.us-east-1.amazonaws.com",
            "https://vpce-1.bedrock-runtime.us-east-1.vpce.amazonaws.com/",
            "http://[::1]:9000",
            "http://localhost",
        ] {
            assert!(validate_endpoint(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ftp://x",
            "http://",
            "http://user:pw@host",
            "http://host/path",
            "http://host?q=1",
            "http://host:0",
            "http://host:99999",
            "http://ho st",
            "127.0.0.1:80",
        ] {
            let e = validate_endpoint(bad).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidEndpoint, "{bad}");
        }
    }

    #[test]
    fn decodes_config_and_hides_secrets() {
        let c = decode_config(&json!({
            "region": "eu-west-1", "endpoint": "http://127.0.0.1:1",
            "credentials": {"type": "static", "access_key_id": "AKID", "secret_access_key": "SECRET"},
            "timeouts": {"idle": 50}
        }))
        .unwrap();
        assert_eq!(c.timeouts.idle, Duration::from_millis(50));
        assert!(!format!("{c:?}").contains("SECRET"));
        let e = decode_config(&json!({"region": "eu-west-1", "credentials": {"type": "static", "access_key_id": 1, "secret_access_key": "SECRET"}})).unwrap_err();
        assert!(!e.message.contains("SECRET"));
        assert_eq!(e.kind, ErrorKind::InvalidConfig);
    }
}
