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
    /// PEM certificates trusted besides the platform's roots (e.g. the emulator's CA).
    pub tls_ca_pem: Option<String>,
}

impl ClientConfig {
    /// The client-cache key: same region, endpoint and credential source share one client
    /// (and its pooled connections). Secrets enter only as a hash, which two configurations
    /// may share: a cache hit also needs [`Self::same_client`] (else one call would be signed
    /// with another configuration's credentials).
    pub fn cache_key(&self) -> (String, Option<String>, u64) {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.credentials.hash(&mut h);
        self.timeouts.connect.hash(&mut h);
        self.tls_ca_pem.hash(&mut h);
        #[cfg(test)]
        let h = test_seam::hash(h.finish());
        #[cfg(not(test))]
        let h = h.finish();
        (self.region.clone(), self.endpoint.clone(), h)
    }

    /// Whether `other` may use this configuration's client: every field of
    /// [`Self::cache_key`] equal (the per-call read timeouts may differ).
    pub fn same_client(&self, other: &ClientConfig) -> bool {
        self.region == other.region
            && self.endpoint == other.endpoint
            && self.timeouts.connect == other.timeouts.connect
            && self.credentials == other.credentials
            && self.tls_ca_pem == other.tls_ca_pem
    }
}

/// Tests: makes every configuration's key hash collide on this thread, to show that a cache
/// hit needs the whole configuration.
#[cfg(test)]
pub(crate) mod test_seam {
    use std::cell::Cell;

    thread_local! {
        static COLLIDE: Cell<bool> = const { Cell::new(false) };
    }

    pub(crate) fn collide(on: bool) {
        COLLIDE.with(|c| c.set(on));
    }

    /// Two configurations with static credentials `a` and `b` (same region and endpoint) and,
    /// on this thread from now on, the same cache key.
    pub(crate) fn colliding_pair(a: &str, b: &str) -> (super::ClientConfig, super::ClientConfig) {
        let config = |key_id: &str| {
            super::decode_config(&serde_json::json!({
                "region": "us-east-1", "endpoint": "http://127.0.0.1:9",
                "credentials": {"type": "static", "access_key_id": key_id,
                                "secret_access_key": format!("secret-of-{key_id}")}}))
            .unwrap()
        };
        let (a, b) = (config(a), config(b));
        collide(true);
        assert_eq!(
            a.cache_key(),
            b.cache_key(),
            "the seam makes the keys collide"
        );
        (a, b)
    }

    pub(super) fn hash(h: u64) -> u64 {
        if COLLIDE.with(Cell::get) {
            0
        } else {
            h
        }
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
    tls_ca_pem: Option<String>,
}

/// Largest CA bundle accepted (a few certificates are a few KB).
const MAX_TLS_CA_BYTES: usize = 64 * 1024;

/// A CA bundle must parse the way the TLS stack will parse it when the connector is built
/// (aws-smithy-http-client panics on a bad one there), so it is checked here, up front.
fn validate_tls_ca(pem: &str) -> Result<(), Error> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;
    let bad = |why: &str| {
        Err(Error::new(
            ErrorKind::InvalidConfig,
            format!("tls_ca: {why} (PEM CERTIFICATE blocks, at most {MAX_TLS_CA_BYTES} bytes)"),
        ))
    };
    if pem.len() > MAX_TLS_CA_BYTES {
        return bad("too large");
    }
    let Ok(ders) = CertificateDer::pem_slice_iter(pem.as_bytes()).collect::<Result<Vec<_>, _>>()
    else {
        return bad("not valid PEM");
    };
    if ders.is_empty() {
        return bad("no certificate");
    }
    let mut roots = rustls::RootCertStore::empty();
    for der in ders {
        if roots.add(der).is_err() {
            return bad("a certificate that does not parse");
        }
    }
    Ok(())
}

/// Decodes and validates a client configuration.
pub fn decode_config(value: &serde_json::Value) -> Result<ClientConfig, Error> {
    // Borrowing deserialize: no copy of the configuration (and its secrets) per call.
    let raw = RawConfig::deserialize(value).map_err(|e| {
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
    if let Some(pem) = &raw.tls_ca_pem {
        validate_tls_ca(pem)?;
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
    let credentials = raw
        .credentials
        .unwrap_or(CredentialSpec::Default { profile: None });
    validate_credentials(&credentials)?;
    Ok(ClientConfig {
        region: raw.region,
        endpoint: raw.endpoint,
        credentials,
        timeouts,
        tls_ca_pem: raw.tls_ca_pem,
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
///
/// Parsed by the `url` crate (WHATWG rules), then held to an allow-list: scheme `http` or
/// `https`; host a DNS name (letters, digits, `-` in dot-separated labels of 1 to 63), a
/// dotted-quad IPv4 address or a bracketed IPv6 address, written exactly as the parser
/// reads it (so `127.1`, `0x7f.0.0.1`, `[127.0.0.1]` or percent-escapes are refused rather
/// than silently rewritten); port 1 to 65535 in plain digits; path empty or `/`.
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
    if endpoint.len() > 2048 {
        return invalid("it is longer than 2048 bytes");
    }
    // The URL parser drops tabs and newlines and rewrites backslashes: refuse them first.
    if endpoint
        .bytes()
        .any(|b| b <= b' ' || b >= 0x7f || b == b'\\')
    {
        return invalid("it contains spaces, control characters, backslashes or non-ASCII");
    }
    let lower = endpoint.to_ascii_lowercase();
    let rest = match lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
    {
        Some(rest) => rest,
        None => return invalid("it must start with http:// or https://"),
    };
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.is_empty() {
        return invalid("it has no host");
    }
    if authority.contains(['/', '?', '#', '@']) {
        return invalid("only scheme, host and port are allowed");
    }
    let url = match url::Url::parse(endpoint) {
        Ok(url) => url,
        Err(e) => return invalid(&e.to_string()),
    };
    if !url.username().is_empty() || url.password().is_some() {
        return invalid("user info is not allowed");
    }
    if url.query().is_some() || url.fragment().is_some() || url.path() != "/" {
        return invalid("only scheme, host and port are allowed");
    }
    let host = match url.host() {
        Some(url::Host::Domain(d)) if is_dns_name(d) => d.to_string(),
        Some(url::Host::Ipv4(ip)) => ip.to_string(),
        Some(url::Host::Ipv6(ip)) => format!("[{ip}]"),
        _ => return invalid("the host is not a DNS name or an IP address"),
    };
    // The authority as written must be the host as parsed, plus an optional plain port.
    let port_text = match authority.strip_prefix(host.as_str()) {
        Some("") => None,
        Some(p) => match p.strip_prefix(':') {
            Some(p) => Some(p),
            None => return invalid("the host is not a DNS name or an IP address"),
        },
        None => return invalid("the host must be a DNS name, dotted IPv4 or [IPv6] address"),
    };
    if let Some(p) = port_text {
        let plain = !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit());
        let ok = plain && !p.starts_with('0') && p.parse::<u32>().is_ok_and(|n| n <= 65535);
        if !ok {
            return invalid("the port must be a number from 1 to 65535");
        }
    }
    Ok(())
}

/// Dot-separated labels of 1 to 63 letters, digits and inner hyphens; 253 bytes at most.
fn is_dns_name(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// Credentials go into HTTP headers (and the signature): only visible ASCII (`!` to `~`),
/// checked before the SDK sees them. The error names the field, never its value.
fn validate_credentials(spec: &CredentialSpec) -> Result<(), Error> {
    let check = |name: &str, value: &str| -> Result<(), Error> {
        let problem = if value.is_empty() {
            Some("is empty")
        } else if value.len() > 8192 {
            Some("is longer than 8192 bytes")
        } else if !value.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
            Some("contains characters not allowed in an HTTP header (spaces, control characters or non-ASCII)")
        } else {
            None
        };
        match problem {
            Some(p) => Err(Error::new(
                ErrorKind::InvalidCredentials,
                format!("the credential field {name} {p}"),
            )),
            None => Ok(()),
        }
    };
    match spec {
        CredentialSpec::Default { profile } => {
            if let Some(p) = profile {
                check("profile", p)?;
            }
        }
        CredentialSpec::Static {
            access_key_id,
            secret_access_key,
            session_token,
        } => {
            check("access_key_id", access_key_id)?;
            check("secret_access_key", secret_access_key)?;
            if let Some(t) = session_token {
                check("session_token", t)?;
            }
        }
        CredentialSpec::AssumeRole {
            role_arn,
            session_name,
            external_id,
            profile,
            ..
        } => {
            check("role_arn", role_arn)?;
            for (name, v) in [
                ("session_name", session_name),
                ("external_id", external_id),
                ("profile", profile),
            ] {
                if let Some(v) = v {
                    check(name, v)?;
                }
            }
        }
        CredentialSpec::ApiKey { api_key } => check("api_key", api_key)?,
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
    fn tls_ca_must_parse_as_the_tls_stack_parses_it() {
        let cfg = |pem: &str| decode_config(&json!({"region": "us-east-1", "tls_ca_pem": pem}));
        let garbage = "-----BEGIN CERTIFICATE-----\nnot base64 !!\n-----END CERTIFICATE-----\n";
        let not_a_cert = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        for bad in ["", "hello", garbage, not_a_cert, &"A".repeat(70_000)] {
            let e = cfg(bad).expect_err("refused");
            assert_eq!(e.kind, ErrorKind::InvalidConfig, "{bad:.40}");
            assert!(e.message.starts_with("tls_ca: "), "{}", e.message);
        }
        assert!(decode_config(&json!({"region": "us-east-1"}))
            .unwrap()
            .tls_ca_pem
            .is_none());
    }

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
            "HTTPS://Bedrock-Runtime.us-east-1.amazonaws.com:443",
            "http://10.0.0.1:65535",
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
            "http://host:+80",
            "http://[127.0.0.1]",
            "http://host:80:80",
            "http://127.1",
            "http://0x7f.0.0.1",
            "http://host:080",
            "http://ho%73t",
            "http://host\\@evil",
            "http://host\n:80",
            "http://-host",
            "http://h_st",
            "http://host:",
            "http://[::1",
            "http://caf\u{e9}.example",
            "http://host/?",
        ] {
            let e = validate_endpoint(bad).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidEndpoint, "{bad}");
        }
    }

    #[test]
    fn header_unsafe_credentials_are_refused_without_echoing_them() {
        for (field, bad) in [
            ("access_key_id", "AKID\nX-Injected: 1"),
            ("secret_access_key", "SEC RET-MARKER"),
            ("session_token", "TOKEN\r\nMARKER"),
            ("access_key_id", "AKID\0MARKER"),
            ("access_key_id", ""),
            ("secret_access_key", "s\u{e9}cret-MARKER"),
        ] {
            let mut creds = json!({"type": "static", "access_key_id": "AKID",
                                   "secret_access_key": "SECRET", "session_token": "TOKEN"});
            creds[field] = json!(bad);
            let e =
                decode_config(&json!({"region": "eu-west-1", "credentials": creds})).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidCredentials, "{field} {bad:?}");
            assert!(e.message.contains(field), "{}", e.message);
            assert!(!e.message.contains("MARKER"), "{}", e.message);
        }
        let e = decode_config(&json!({"region": "eu-west-1",
            "credentials": {"type": "api_key", "api_key": "key\nMARKER"}}))
        .unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidCredentials);
        assert!(!e.message.contains("MARKER"));
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
