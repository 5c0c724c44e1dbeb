//! SigV4 for the Messages-API requests (messages.rs), with the derived signing key cached.
//!
//! `aws_sigv4::http_request::sign` derives the signing key (four HMAC-SHA256 over the secret,
//! the date, the region and the service) on every call and builds the canonical request from
//! owned copies of every header, URI and value: two thirds of the request path's
//! instructions (BENCHMARKS.md, "Signing: the SigV4 key cached"). The key only changes with
//! the UTC day, so [`KeyCache`] keeps it per (secret, region, service) and derives it again
//! when the day changes; the canonical request is written once into one buffer.
//!
//! The output is the same as `aws_sigv4`'s with its default settings (header signing,
//! double-encoded and normalised path, no `x-amz-content-sha256`, session token signed,
//! `authorization`/`user-agent`/`x-amzn-trace-id`/`transfer-encoding` not signed), for the
//! requests this crate builds: no query, a path of unreserved characters without dot
//! segments or empty segments. Anything else is [`Unsupported`] and the caller signs it with
//! `aws_sigv4` (the tests check both against each other and against AWS's test suite).

use hmac::digest::FixedOutput;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};
use zeroize::Zeroize;

const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Headers `aws_sigv4`'s default settings leave out of the signature.
const EXCLUDED: [&str; 4] = [
    "authorization",
    "user-agent",
    "x-amzn-trace-id",
    "transfer-encoding",
];

/// Headers the signer adds itself; a request that has them already is left to `aws_sigv4`.
const ADDED: [&str; 4] = [
    "host",
    "x-amz-date",
    "x-amz-security-token",
    "x-amz-content-sha256",
];

/// The request is not one this signer writes the same way as `aws_sigv4` (query, unusual
/// path or headers, a time before 1970): sign it with `aws_sigv4`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Unsupported;

/// The credentials a request is signed with. The secret is only read.
pub(crate) struct Secrets<'a> {
    pub access_key_id: &'a str,
    pub secret_access_key: &'a str,
    pub session_token: Option<&'a str>,
}

/// Lowercase hex SHA-256 of the payload (`HashedPayload` of the canonical request).
pub(crate) fn payload_hash(body: &[u8]) -> String {
    hex(&Sha256::digest(body))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}

/// A derived SigV4 signing key (kSigning). Never printed; zeroed when dropped.
struct SigningKey([u8; 32]);

impl Drop for SigningKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

struct Kept {
    day: u64,
    key: SigningKey,
}

/// Signing keys per (secret, region, service), for the current UTC day. Bounded: when full,
/// the other days' keys go, then any one (it is derived again on its next use).
pub(crate) struct KeyCache {
    /// Keyed by SHA-256 over the secret, region and service (length-prefixed), so that the
    /// map neither holds a copy of the secret nor allocates on a lookup.
    keys: Mutex<HashMap<[u8; 32], Kept>>,
    capacity: usize,
    derived: AtomicU64,
}

impl KeyCache {
    pub(crate) fn new(capacity: usize) -> Self {
        KeyCache {
            keys: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
            derived: AtomicU64::new(0),
        }
    }

    /// How many keys were derived (a cache miss each).
    #[cfg(test)]
    fn derived(&self) -> u64 {
        self.derived.load(Ordering::Relaxed)
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.keys.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// The HMAC of `string_to_sign` under the signing key of `day` (`date` is its
    /// `YYYYMMDD`), deriving and keeping the key on a miss.
    fn sign(
        &self,
        secret: &str,
        day: u64,
        date: &str,
        region: &str,
        service: &str,
        string_to_sign: &[u8],
    ) -> [u8; 32] {
        let mut id = Sha256::new();
        for part in [secret, region, service] {
            id.update((part.len() as u64).to_le_bytes());
            id.update(part.as_bytes());
        }
        let id: [u8; 32] = id.finalize_fixed().into();
        // The HMACs run outside the lock (a copy of the key, zeroed when dropped): calls of
        // all shards share the cache.
        let kept = {
            let keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
            keys.get(&id)
                .filter(|k| k.day == day)
                .map(|k| SigningKey(k.key.0))
        };
        if let Some(key) = kept {
            return hmac(&key.0, string_to_sign);
        }
        let key = derive(secret, date, region, service);
        self.derived.fetch_add(1, Ordering::Relaxed);
        let signature = hmac(&key.0, string_to_sign);
        let mut keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        if keys.len() >= self.capacity && !keys.contains_key(&id) {
            keys.retain(|_, k| k.day == day);
            if keys.len() >= self.capacity {
                if let Some(other) = keys.keys().next().copied() {
                    keys.remove(&other);
                }
            }
        }
        keys.insert(id, Kept { day, key });
        signature
    }
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any size");
    mac.update(data);
    mac.finalize_fixed().into()
}

/// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request").
fn derive(secret: &str, date: &str, region: &str, service: &str) -> SigningKey {
    let mut first = Vec::with_capacity(4 + secret.len());
    first.extend_from_slice(b"AWS4");
    first.extend_from_slice(secret.as_bytes());
    let mut key = hmac(&first, date.as_bytes());
    first.zeroize();
    for part in [region, service, "aws4_request"] {
        let next = hmac(&key, part.as_bytes());
        key.zeroize();
        key = next;
    }
    SigningKey(key)
}

/// `YYYYMMDD` and `YYYYMMDDTHHMMSSZ` (UTC) of `time`, and its day since 1970.
fn date_time(time: SystemTime) -> Result<(u64, String), Unsupported> {
    let secs = time
        .duration_since(UNIX_EPOCH)
        .map_err(|_| Unsupported)?
        .as_secs();
    let (day, rest) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(day);
    let text = format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    );
    Ok((day, text))
}

/// The proleptic Gregorian date of `days` since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`, for non-negative days).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

/// Whether `aws_sigv4`'s defaults leave `path` as it is but for `%` (normalisation changes
/// nothing; the greedy percent-encoding only turns `%` into `%25`, see [`push_path`]):
/// `/`-rooted, unreserved characters and `%` only, no empty, `.` or `..` segment. The SDK's
/// Converse paths carry the model id with `.` and an encoded `:` (`%3A`).
fn plain_path(path: &str) -> bool {
    path.starts_with('/')
        && path.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'~' | b'.' | b'%')
        })
        && path[1..]
            .split('/')
            .enumerate()
            .all(|(i, segment)| match segment {
                "." | ".." => false,
                // Only the last segment may be empty (a trailing `/`, kept by the
                // normalisation); `/` alone is the root.
                "" => i == path[1..].split('/').count() - 1,
                _ => true,
            })
}

/// The canonical URI of a [`plain_path`]: `%` double-encoded as `%25`.
fn push_path(out: &mut String, path: &str) {
    for (i, part) in path.split('%').enumerate() {
        if i > 0 {
            out.push_str("%25");
        }
        out.push_str(part);
    }
}

/// Spaces trimmed at both ends and runs of spaces made one (`aws_sigv4`'s `trim_all`; other
/// whitespace is kept).
fn push_trimmed(out: &mut String, value: &str) {
    let mut space = false;
    for c in value.trim_matches(' ').chars() {
        if c == ' ' {
            if space {
                continue;
            }
            space = true;
        } else {
            space = false;
        }
        out.push(c);
    }
}

/// The headers a signature adds: `x-amz-date`, `authorization` and, with a session token,
/// `x-amz-security-token` (the last two marked sensitive).
pub(crate) struct Signed {
    pub date: http::HeaderValue,
    pub authorization: http::HeaderValue,
    pub token: Option<http::HeaderValue>,
}

/// Signs `request` (method, URI and headers as they are; the body's hash given): adds
/// `x-amz-date`, `authorization` and, with a session token, `x-amz-security-token`.
pub(crate) fn sign<B>(
    request: &mut http::Request<B>,
    payload_hash: &str,
    secrets: &Secrets<'_>,
    region: &str,
    service: &str,
    time: SystemTime,
    keys: &KeyCache,
) -> Result<(), Unsupported> {
    if request.headers().values().any(|v| v.to_str().is_err()) {
        return Err(Unsupported);
    }
    let headers = request
        .headers()
        .iter()
        .map(|(name, value)| (name.as_str(), value.to_str().unwrap_or_default()));
    let signed = signature(
        request.method().as_str(),
        request.uri(),
        headers,
        payload_hash,
        secrets,
        region,
        service,
        time,
        keys,
    )?;
    let headers = request.headers_mut();
    headers.insert("x-amz-date", signed.date);
    headers.insert(http::header::AUTHORIZATION, signed.authorization);
    if let Some(token) = signed.token {
        headers.insert("x-amz-security-token", token);
    }
    Ok(())
}

/// The signature of a request given by its method, URI and headers (lowercase names, values
/// as `HeaderValue::to_str` gives them).
#[allow(clippy::too_many_arguments)]
pub(crate) fn signature<'h>(
    method: &str,
    uri: &http::Uri,
    request_headers: impl Iterator<Item = (&'h str, &'h str)>,
    payload_hash: &str,
    secrets: &Secrets<'_>,
    region: &str,
    service: &str,
    time: SystemTime,
    keys: &KeyCache,
) -> Result<Signed, Unsupported> {
    let path = uri.path();
    if uri.query().is_some() || !plain_path(path) {
        return Err(Unsupported);
    }
    let authority = uri.authority().ok_or(Unsupported)?;
    // Default ports are left out of `host` (hyper drops them from the wire too); any
    // other port, or none, gives the authority as written.
    let default_port = matches!(
        (uri.scheme_str(), uri.port_u16()),
        (Some("http"), Some(80)) | (Some("https"), Some(443))
    );
    let host = if default_port {
        authority.host()
    } else {
        authority.as_str()
    };
    let (day, date_time) = date_time(time)?;
    let date = &date_time[..8];

    let mut headers: Vec<(&str, &str)> = Vec::with_capacity(request_headers.size_hint().0 + 3);
    for (name, value) in request_headers {
        if ADDED.contains(&name) {
            return Err(Unsupported);
        }
        if !EXCLUDED.contains(&name) {
            headers.push((name, value));
        }
    }
    headers.push(("host", host));
    headers.push(("x-amz-date", &date_time));
    if let Some(token) = secrets.session_token {
        headers.push(("x-amz-security-token", token));
    }
    // Stable: the values of a repeated header keep their order, joined by commas below.
    headers.sort_by(|a, b| a.0.cmp(b.0));

    let mut creq =
        String::with_capacity(256 + headers.iter().map(|h| h.1.len() + 32).sum::<usize>());
    let mut signed = String::with_capacity(128);
    creq.push_str(method);
    creq.push('\n');
    push_path(&mut creq, path);
    creq.push_str("\n\n");
    let mut previous: Option<&str> = None;
    for (name, value) in &headers {
        if previous == Some(*name) {
            creq.push(',');
        } else {
            if previous.is_some() {
                creq.push('\n');
                signed.push(';');
            }
            creq.push_str(name);
            creq.push(':');
            signed.push_str(name);
        }
        // The session token is signed as given; the other values are trimmed.
        if *name == "x-amz-security-token" {
            creq.push_str(value);
        } else {
            push_trimmed(&mut creq, value);
        }
        previous = Some(name);
    }
    creq.push_str("\n\n");
    creq.push_str(&signed);
    creq.push('\n');
    creq.push_str(payload_hash);

    let scope = format!("{date}/{region}/{service}/aws4_request");
    let string_to_sign = format!(
        "{ALGORITHM}\n{date_time}\n{scope}\n{}",
        hex(&Sha256::digest(creq.as_bytes()))
    );
    let signature = keys.sign(
        secrets.secret_access_key,
        day,
        date,
        region,
        service,
        string_to_sign.as_bytes(),
    );
    let authorization = format!(
        "{ALGORITHM} Credential={}/{scope}, SignedHeaders={signed}, Signature={}",
        secrets.access_key_id,
        hex(&signature)
    );

    let value = |text: &str| http::HeaderValue::from_str(text).map_err(|_| Unsupported);
    let date = value(&date_time)?;
    let mut authorization = value(&authorization)?;
    authorization.set_sensitive(true);
    let token = match secrets.session_token {
        Some(t) => {
            let mut v = value(t)?;
            v.set_sensitive(true);
            Some(v)
        }
        None => None,
    };
    Ok(Signed {
        date,
        authorization,
        token,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_credential_types::Credentials;
    use aws_sigv4::http_request::{self as reference, SignableBody, SignableRequest};
    use aws_sigv4::sign::v4;
    use aws_smithy_runtime_api::client::identity::Identity;
    use std::time::Duration;

    const AKID: &str = "AKIDEXAMPLE";
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    /// 2015-08-30T12:36:00Z, the test suite's time.
    const SUITE_TIME: u64 = 1_440_938_160;

    fn request(url: &str, headers: &[(&str, &str)]) -> http::Request<()> {
        let mut b = http::Request::builder().method("POST").uri(url);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(()).unwrap()
    }

    fn secrets(token: Option<&'static str>) -> Secrets<'static> {
        Secrets {
            access_key_id: AKID,
            secret_access_key: SECRET,
            session_token: token,
        }
    }

    /// The headers `aws_sigv4::sign` (default settings) adds to the same request.
    fn reference_headers(
        req: &http::Request<()>,
        body: &[u8],
        token: Option<&str>,
        region: &str,
        service: &str,
        time: SystemTime,
    ) -> Vec<(String, String)> {
        let identity: Identity =
            Credentials::new(AKID, SECRET, token.map(str::to_string), None, "test").into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(region)
            .name(service)
            .time(time)
            .settings(reference::SigningSettings::default())
            .build()
            .unwrap()
            .into();
        let headers: Vec<(String, String)> = req
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap().to_string()))
            .collect();
        let uri = req.uri().to_string();
        let signable = SignableRequest::new(
            "POST",
            &uri,
            headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            SignableBody::Bytes(body),
        )
        .unwrap();
        let (instructions, _) = reference::sign(signable, &params).unwrap().into_parts();
        let mut out: Vec<(String, String)> = instructions
            .headers()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        out.sort();
        out
    }

    fn our_headers(
        req: &http::Request<()>,
        body: &[u8],
        token: Option<&'static str>,
        region: &str,
        service: &str,
        time: SystemTime,
        keys: &KeyCache,
    ) -> Vec<(String, String)> {
        let mut signed = req.clone();
        sign(
            &mut signed,
            &payload_hash(body),
            &secrets(token),
            region,
            service,
            time,
            keys,
        )
        .expect("a supported request");
        let mut out: Vec<(String, String)> =
            ["x-amz-date", "authorization", "x-amz-security-token"]
                .iter()
                .filter_map(|h| {
                    let v = signed.headers().get(*h)?;
                    Some((h.to_string(), v.to_str().unwrap().to_string()))
                })
                .collect();
        out.sort();
        out
    }

    /// AWS's SigV4 test suite, `post-vanilla` (POST / to example.amazonaws.com, empty body,
    /// service `service`): expected signature from the suite's `post-vanilla.authz`, as
    /// mirrored in botocore's tests/unit/auth/aws4_testsuite/post-vanilla/post-vanilla.authz.
    #[test]
    fn aws_test_suite_post_vanilla() {
        let keys = KeyCache::new(4);
        let req = request("https://example.amazonaws.com/", &[]);
        let headers = our_headers(
            &req,
            b"",
            None,
            "us-east-1",
            "service",
            at(SUITE_TIME),
            &keys,
        );
        assert_eq!(
            headers,
            vec![
                (
                    "authorization".to_string(),
                    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/\
                     aws4_request, SignedHeaders=host;x-amz-date, \
                     Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"
                        .to_string()
                ),
                ("x-amz-date".to_string(), "20150830T123600Z".to_string()),
            ]
        );
        assert_eq!(
            headers,
            reference_headers(&req, b"", None, "us-east-1", "service", at(SUITE_TIME))
        );
    }

    /// The requests messages.rs sends (both endpoints, with and without a session token,
    /// beta header, ports, bodies), signed by both signers at fixed times: same headers.
    #[test]
    fn same_signature_as_aws_sigv4() {
        let keys = KeyCache::new(8);
        let urls = [
            "https://bedrock-runtime.us-east-1.amazonaws.com/anthropic/v1/messages",
            "https://bedrock-mantle.us-west-2.api.aws/anthropic/v1/messages/count_tokens",
            "http://127.0.0.1:4010/anthropic/v1/messages",
            "https://example.com:443/anthropic/v1/messages",
            "http://example.com:80/anthropic/v1/messages",
            "http://[::1]:8080/prefix-1/anthropic/v1/messages",
            "https://example.com/",
            // Converse-style paths (sdk_sign.rs): a `.` inside segments, `%` double-encoded.
            "https://bedrock-runtime.us-east-1.amazonaws.com/model/us.anthropic.claude-3-5-haiku-20241022-v1%3A0/converse-stream",
            "https://example.com/v1.0/messages",
            "https://example.com/a%20b/c.d/",
        ];
        let header_sets: [&[(&str, &str)]; 3] = [
            &[
                ("content-type", "application/json"),
                ("accept", "text/event-stream"),
            ],
            &[
                ("content-type", "application/json"),
                ("accept", "text/event-stream"),
                ("anthropic-version", "bedrock-2023-05-31"),
                ("anthropic-beta", "a-2025-01-01,  b-2025-02-02  "),
            ],
            &[
                ("X-Custom", "  two  spaces   inside "),
                ("x-custom", "second"),
                ("user-agent", "not signed"),
                ("x-amzn-trace-id", "Root=1-abc"),
            ],
        ];
        let bodies: [&[u8]; 3] = [b"", b"{\"messages\":[]}", &[b'x'; 5_000]];
        let times = [SUITE_TIME, 951_782_400, 1_798_761_599, 4_102_444_800];
        let mut cases = 0;
        for url in urls {
            for headers in header_sets {
                for body in bodies {
                    for token in [None, Some("session/token+=")] {
                        for time in times {
                            for (region, service) in
                                [("us-east-1", "bedrock"), ("eu-west-3", "bedrock-mantle")]
                            {
                                let req = request(url, headers);
                                let t = at(time);
                                assert_eq!(
                                    our_headers(&req, body, token, region, service, t, &keys),
                                    reference_headers(&req, body, token, region, service, t),
                                    "{url} {headers:?} token={token:?} t={time} {service}"
                                );
                                cases += 1;
                            }
                        }
                    }
                }
            }
        }
        assert_eq!(cases, 10 * 3 * 3 * 2 * 4 * 2);
    }

    /// One key per day: kept for every call of the day, derived again when the date changes
    /// (and the signature then is the new day's, as `aws_sigv4` computes it).
    #[test]
    fn key_is_derived_once_per_day() {
        let keys = KeyCache::new(8);
        let req = request("https://example.com/anthropic/v1/messages", &[]);
        let day = SUITE_TIME - SUITE_TIME % 86_400;
        for secs in [0, 1, 3600, 86_399] {
            let t = at(day + secs);
            assert_eq!(
                our_headers(&req, b"{}", None, "us-east-1", "bedrock", t, &keys),
                reference_headers(&req, b"{}", None, "us-east-1", "bedrock", t)
            );
        }
        assert_eq!(keys.derived(), 1);
        let next = at(day + 86_400);
        assert_eq!(
            our_headers(&req, b"{}", None, "us-east-1", "bedrock", next, &keys),
            reference_headers(&req, b"{}", None, "us-east-1", "bedrock", next)
        );
        assert_eq!(keys.derived(), 2);
        // Another region, service or secret is another key.
        our_headers(&req, b"{}", None, "us-west-2", "bedrock", next, &keys);
        our_headers(
            &req,
            b"{}",
            None,
            "us-west-2",
            "bedrock-mantle",
            next,
            &keys,
        );
        assert_eq!(keys.derived(), 4);
        let mut other = req.clone();
        let other_secret = Secrets {
            access_key_id: AKID,
            secret_access_key: "another-secret",
            session_token: None,
        };
        sign(
            &mut other,
            &payload_hash(b"{}"),
            &other_secret,
            "us-west-2",
            "bedrock",
            next,
            &keys,
        )
        .unwrap();
        assert_eq!(keys.derived(), 5);
        assert_eq!(keys.len(), 4, "the previous day's key was replaced");
    }

    #[test]
    fn cache_is_bounded() {
        let keys = KeyCache::new(3);
        let req = request("https://example.com/anthropic/v1/messages", &[]);
        for i in 0..10 {
            let secret = format!("secret-{i}");
            let s = Secrets {
                access_key_id: AKID,
                secret_access_key: &secret,
                session_token: None,
            };
            sign(
                &mut req.clone(),
                &payload_hash(b""),
                &s,
                "us-east-1",
                "bedrock",
                at(SUITE_TIME),
                &keys,
            )
            .unwrap();
            assert!(keys.len() <= 3);
        }
        assert_eq!(keys.derived(), 10);
    }

    /// Probe (red team): threads signing at once with rotating secrets, regions and two
    /// UTC days through a cache smaller than what they use (every call may evict another's
    /// key): every signature is the one a freshly derived key gives.
    #[test]
    fn concurrent_rotation_across_days_signs_right() {
        let keys = KeyCache::new(2);
        std::thread::scope(|scope| {
            for t in 0..8u64 {
                let keys = &keys;
                scope.spawn(move || {
                    for i in 0..300u64 {
                        let secret = format!("secret-{}", (t + i) % 5);
                        let region = ["us-east-1", "eu-west-3"][(i % 2) as usize];
                        let (day, date) = [(20_423, "20251215"), (20_424, "20251216")]
                            [((t * 7 + i) % 2) as usize];
                        let sts = format!("string to sign {t} {i}");
                        let got = keys.sign(&secret, day, date, region, "bedrock", sts.as_bytes());
                        let want =
                            hmac(&derive(&secret, date, region, "bedrock").0, sts.as_bytes());
                        assert_eq!(got, want, "thread {t} call {i}");
                    }
                });
            }
        });
        assert!(keys.len() <= 2);
    }

    /// What the fast signer does not write like `aws_sigv4` is refused, not signed wrongly.
    #[test]
    fn unusual_requests_are_left_to_aws_sigv4() {
        let keys = KeyCache::new(2);
        let sign_at_suite_time = |req: &mut http::Request<()>| {
            sign(req, "", &secrets(None), "r", "s", at(SUITE_TIME), &keys)
        };
        for url in [
            "https://example.com/a?b=c",
            "https://example.com/a/./b",
            "https://example.com/a//b",
            "https://example.com/a/../b",
            "https://example.com/./a",
            "https://example.com/a/..",
            "https://example.com/a+b",
            "https://example.com/a:b",
        ] {
            let mut req = request(url, &[]);
            assert_eq!(sign_at_suite_time(&mut req), Err(Unsupported), "{url}");
        }
        for header in [
            "host",
            "x-amz-date",
            "x-amz-security-token",
            "x-amz-content-sha256",
        ] {
            let mut req = request("https://example.com/", &[(header, "x")]);
            assert_eq!(sign_at_suite_time(&mut req), Err(Unsupported));
        }
        let mut before_1970 = request("https://example.com/", &[]);
        let t = UNIX_EPOCH - Duration::from_secs(1);
        assert_eq!(
            sign(&mut before_1970, "", &secrets(None), "r", "s", t, &keys),
            Err(Unsupported)
        );
        assert_eq!(keys.derived(), 0);
    }

    /// The date seam against the SDK's own formatter, over four centuries of days.
    #[test]
    fn dates_match_the_sdk_formatter() {
        use aws_smithy_types::date_time::{DateTime, Format};
        let mut secs = 0u64;
        while secs < 13_000_000_000 {
            let t = at(secs);
            let (day, text) = date_time(t).unwrap();
            let sdk = DateTime::from(t)
                .fmt(Format::DateTime)
                .unwrap()
                .replace(['-', ':'], "");
            assert_eq!(text, sdk, "{secs}");
            assert_eq!(day, secs / 86_400);
            secs += 86_400 * 7 + 3_661;
        }
    }

    #[test]
    fn derived_key_matches_aws_sigv4() {
        let key = derive(SECRET, "20150830", "us-east-1", "iam");
        let reference = v4::generate_signing_key(SECRET, at(SUITE_TIME), "us-east-1", "iam");
        assert_eq!(&key.0[..], reference.as_ref());
    }
}
