//! SigV4 (AWS4-HMAC-SHA256) verification and Bedrock API-key (bearer) checks.
//!
//! The canonical request is rebuilt from the request as received. For non-S3 services the
//! SDK signs the already-encoded path encoded a second time (`%3A` -> `%253A`), so that is
//! the form checked first; the single-encoded form is accepted too for clients that sign it.

use std::time::{SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use http::HeaderMap;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};

use crate::error::AwsError;

/// Bytes kept as-is by the SigV4 URI encoding of paths (unreserved characters and `/`).
const PATH_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');
/// Query components: unreserved characters only.
const QUERY_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Allowed clock difference between the signer and the emulator.
pub const MAX_SKEW_SECS: i64 = 300;

const MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

pub use crate::config::{Auth, TemporaryCredentials};

/// SigV4 service names the emulator answers for: bedrock-runtime signs as `bedrock`, the
/// bedrock-mantle endpoint as `bedrock-mantle`.
pub const SERVICES: &[&str] = &["bedrock", "bedrock-mantle"];

/// How a request authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// SigV4 with this credential-scope service name.
    SigV4 { service: String },
    /// `Authorization: Bearer <Bedrock API key>`.
    Bearer,
    /// `x-api-key: <Bedrock API key>` (the Anthropic SDKs' header on bedrock-mantle).
    ApiKeyHeader,
    /// Signature checks are off (`verify_signatures: false`).
    Unchecked,
}

/// The parts of a request that take part in verification.
pub struct SignedRequest<'a> {
    pub method: &'a str,
    /// Path exactly as received (still percent-encoded).
    pub raw_path: &'a str,
    pub raw_query: &'a str,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

fn unrecognized(msg: &str) -> AwsError {
    AwsError::new(403, "UnrecognizedClientException", msg)
}

fn invalid_signature(msg: impl Into<String>) -> AwsError {
    AwsError::new(403, "InvalidSignatureException", msg)
}

fn incomplete(msg: impl Into<String>) -> AwsError {
    AwsError::new(400, "IncompleteSignatureException", msg)
}

const INVALID_TOKEN: &str = "The security token included in the request is invalid.";

fn api_key_ok(auth: &Auth, token: &str) -> Result<(), AwsError> {
    match &auth.api_key {
        Some(key) if constant_eq(key.as_bytes(), token.trim().as_bytes()) => Ok(()),
        _ => Err(unrecognized(INVALID_TOKEN)),
    }
}

/// Verifies the request's credentials at time `now`: SigV4 (services in [`SERVICES`]), a
/// bearer API key, or (when `allow_api_key_header`) an `x-api-key` API key.
pub fn verify(req: &SignedRequest, auth: &Auth, now: SystemTime) -> Result<Principal, AwsError> {
    verify_with(req, auth, now, false)
}

/// [`verify`], optionally accepting the `x-api-key` header (bedrock-mantle routes).
pub fn verify_with(
    req: &SignedRequest,
    auth: &Auth,
    now: SystemTime,
    allow_api_key_header: bool,
) -> Result<Principal, AwsError> {
    verify_inner(req, auth, now, allow_api_key_header, false)
}

/// The `x-amz-content-sha256` of a request whose body is a stream of signed event frames.
pub const STREAMING_EVENTS: &str = "STREAMING-AWS4-HMAC-SHA256-EVENTS";

/// [`verify`] for a request whose body is a stream of signed event frames (the
/// bidirectional route): the request itself is signed over an empty payload (what the AWS
/// SDKs do) or over [`STREAMING_EVENTS`]; each frame is then checked by [`ChunkVerifier`].
pub fn verify_event_stream(
    req: &SignedRequest,
    auth: &Auth,
    now: SystemTime,
) -> Result<Principal, AwsError> {
    verify_inner(req, auth, now, false, true)
}

fn verify_inner(
    req: &SignedRequest,
    auth: &Auth,
    now: SystemTime,
    allow_api_key_header: bool,
    event_stream: bool,
) -> Result<Principal, AwsError> {
    let header = req
        .headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .unwrap_or("");
    if header.is_empty() {
        if allow_api_key_header {
            if let Some(key) = header_str(req.headers, "x-api-key") {
                return api_key_ok(auth, key).map(|()| Principal::ApiKeyHeader);
            }
        }
        return Err(unrecognized("Missing Authentication Token"));
    }
    if let Some(token) = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
    {
        return api_key_ok(auth, token).map(|()| Principal::Bearer);
    }
    let Some(params) = header.strip_prefix("AWS4-HMAC-SHA256 ") else {
        return Err(incomplete(format!(
            "Authorization header requires 'Credential' parameter. Authorization={header}"
        )));
    };
    let parsed = parse_authorization(params)?;
    let scope: Vec<&str> = parsed.credential.split('/').collect();
    if scope.len() != 5 || scope[4] != "aws4_request" {
        return Err(incomplete(format!(
            "Credential should be scoped to a valid region. Credential={}",
            parsed.credential
        )));
    }
    let (key_id, scope_date, region, service) = (scope[0], scope[1], scope[2], scope[3]);
    let token = header_str(req.headers, "x-amz-security-token");
    let secret = secret_for(auth, key_id, token)?;
    if !SERVICES.contains(&service) {
        return Err(invalid_signature(
            "Credential should be scoped to correct service: 'bedrock'. ",
        ));
    }
    let amz_date = header_str(req.headers, "x-amz-date").ok_or_else(|| {
        incomplete(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
        )
    })?;
    let signed_at = parse_amz_date(amz_date).ok_or_else(|| {
        incomplete(format!(
            "Date must be in ISO-8601 'basic format'. Got '{amz_date}'."
        ))
    })?;
    let now_secs = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    if signed_at < now_secs - MAX_SKEW_SECS {
        return Err(invalid_signature(format!(
            "Signature expired: {amz_date} is now earlier than {} ({} - 5 min.)",
            format_amz_date(now_secs - MAX_SKEW_SECS),
            format_amz_date(now_secs)
        )));
    }
    if signed_at > now_secs + MAX_SKEW_SECS {
        return Err(invalid_signature(format!(
            "Signature not yet current: {amz_date} is still later than {} ({} + 5 min.)",
            format_amz_date(now_secs + MAX_SKEW_SECS),
            format_amz_date(now_secs)
        )));
    }
    if !amz_date.starts_with(scope_date) {
        return Err(invalid_signature(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{scope_date}' != '{}'",
            &amz_date[..8.min(amz_date.len())]
        )));
    }
    let signed_headers: Vec<&str> = parsed.signed_headers.split(';').collect();
    if !signed_headers.contains(&"host") {
        return Err(invalid_signature(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
        ));
    }
    let body_hash = hex::encode(Sha256::digest(req.body));
    let payload_hash = match header_str(req.headers, "x-amz-content-sha256") {
        Some("UNSIGNED-PAYLOAD") => "UNSIGNED-PAYLOAD".to_string(),
        Some(STREAMING_EVENTS) if event_stream => STREAMING_EVENTS.to_string(),
        Some(declared) => {
            if !declared.eq_ignore_ascii_case(&body_hash) {
                // The body does not match the hash that was signed.
                return Err(invalid_signature(MISMATCH));
            }
            declared.to_ascii_lowercase()
        }
        None => body_hash,
    };
    // An event stream signed without the header: the Rust SDK signs the empty payload, other
    // SDKs the literal STREAMING-AWS4-HMAC-SHA256-EVENTS.
    let mut payload_hashes = vec![payload_hash];
    if event_stream && header_str(req.headers, "x-amz-content-sha256").is_none() {
        payload_hashes.push(STREAMING_EVENTS.to_string());
    }
    let canonical_headers = canonical_headers(req.headers, &signed_headers)?;
    let query = canonical_query(req.raw_query);
    let scope_str = format!("{scope_date}/{region}/{service}/aws4_request");
    let key = signing_key(secret, scope_date, region, service);
    let double = utf8_percent_encode(req.raw_path, PATH_SET).to_string();
    let paths = [double, req.raw_path.to_string()];
    let candidates = paths
        .iter()
        .flat_map(|p| payload_hashes.iter().map(move |h| (p, h)));
    for (path, payload_hash) in candidates {
        let canonical = format!(
            "{}\n{}\n{}\n{}\n{}\n{}",
            req.method, path, query, canonical_headers, parsed.signed_headers, payload_hash
        );
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256\n{amz_date}\n{scope_str}\n{}",
            hex::encode(Sha256::digest(canonical.as_bytes()))
        );
        let expected = hex::encode(hmac(&key, string_to_sign.as_bytes()));
        if constant_eq(expected.as_bytes(), parsed.signature.as_bytes()) {
            return Ok(Principal::SigV4 {
                service: service.to_string(),
            });
        }
    }
    Err(invalid_signature(MISMATCH))
}

/// Verifies the `:chunk-signature` of each signed event-stream frame of a request body
/// (aws-sigv4's event_stream signing): the first frame chains from the request's signature,
/// each next one from the frame before.
pub struct ChunkVerifier {
    secret: String,
    region: String,
    service: String,
    last_signature: String,
}

impl ChunkVerifier {
    /// Checks one frame: `date_secs` and `encoded_date_header` from its `:date` header,
    /// `payload` the frame's payload (the inner message; empty for the end-of-stream frame),
    /// `signature` the raw bytes of `:chunk-signature`.
    pub fn verify(
        &mut self,
        date_secs: i64,
        encoded_date_header: &[u8],
        payload: &[u8],
        signature: &[u8],
    ) -> bool {
        let amz_date = format_amz_date(date_secs);
        let date = &amz_date[..8];
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256-PAYLOAD\n{amz_date}\n{date}/{}/{}/aws4_request\n{}\n{}\n{}",
            self.region,
            self.service,
            self.last_signature,
            hex::encode(Sha256::digest(encoded_date_header)),
            hex::encode(Sha256::digest(payload)),
        );
        let key = signing_key(&self.secret, date, &self.region, &self.service);
        let expected = hmac(&key, string_to_sign.as_bytes());
        if constant_eq(&expected, signature) {
            self.last_signature = hex::encode(expected);
            true
        } else {
            false
        }
    }
}

/// The chunk verifier of a request that [`verify`] accepted as SigV4; `None` for any other
/// authorization (bearer keys sign no frames).
pub fn chunk_verifier(req: &SignedRequest, auth: &Auth) -> Option<ChunkVerifier> {
    let header = header_str(req.headers, "authorization")?;
    let params = header.strip_prefix("AWS4-HMAC-SHA256 ")?;
    let parsed = parse_authorization(params).ok()?;
    let scope: Vec<&str> = parsed.credential.split('/').collect();
    if scope.len() != 5 {
        return None;
    }
    let token = header_str(req.headers, "x-amz-security-token");
    let secret = secret_for(auth, scope[0], token).ok()?;
    Some(ChunkVerifier {
        secret: secret.to_string(),
        region: scope[2].to_string(),
        service: scope[3].to_string(),
        last_signature: parsed.signature.to_ascii_lowercase(),
    })
}

/// The region of a SigV4 request's credential scope.
pub fn signed_region(headers: &HeaderMap) -> Option<String> {
    let header = header_str(headers, "authorization")?;
    let params = header.strip_prefix("AWS4-HMAC-SHA256 ")?;
    let parsed = parse_authorization(params).ok()?;
    parsed.credential.split('/').nth(2).map(str::to_string)
}

/// The secret for `key_id`: long-term keys take no session token; the issued temporary key
/// takes exactly its own token. Anything else is an invalid security token, as on AWS.
fn secret_for<'a>(auth: &'a Auth, key_id: &str, token: Option<&str>) -> Result<&'a str, AwsError> {
    if let Some(temp) = &auth.temporary {
        if constant_eq(key_id.as_bytes(), temp.access_key_id.as_bytes()) {
            return match token {
                Some(t) if constant_eq(t.as_bytes(), temp.session_token.as_bytes()) => {
                    Ok(&temp.secret_access_key)
                }
                _ => Err(unrecognized(INVALID_TOKEN)),
            };
        }
    }
    if !constant_eq(key_id.as_bytes(), auth.access_key_id.as_bytes()) || token.is_some() {
        return Err(unrecognized(INVALID_TOKEN));
    }
    Ok(&auth.secret_access_key)
}

struct AuthParams<'a> {
    credential: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
}

fn parse_authorization(params: &str) -> Result<AuthParams<'_>, AwsError> {
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in params.split(',') {
        let part = part.trim();
        if let Some(v) = part.strip_prefix("Credential=") {
            credential = Some(v.trim());
        } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
            signed = Some(v.trim());
        } else if let Some(v) = part.strip_prefix("Signature=") {
            signature = Some(v.trim());
        }
    }
    match (credential, signed, signature) {
        (Some(credential), Some(signed_headers), Some(signature)) => Ok(AuthParams {
            credential,
            signed_headers,
            signature,
        }),
        _ => Err(incomplete(
            "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters.",
        )),
    }
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

fn canonical_headers(headers: &HeaderMap, signed: &[&str]) -> Result<String, AwsError> {
    let mut out = String::new();
    for name in signed {
        let values: Vec<String> = headers
            .get_all(*name)
            .iter()
            .map(|v| collapse_ws(&String::from_utf8_lossy(v.as_bytes())))
            .collect();
        if values.is_empty() {
            return Err(invalid_signature(MISMATCH));
        }
        out.push_str(name);
        out.push(':');
        out.push_str(&values.join(","));
        out.push('\n');
    }
    Ok(out)
}

fn collapse_ws(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn canonical_query(raw: &str) -> String {
    let mut pairs: Vec<(String, String)> = raw
        .split('&')
        .filter(|s| !s.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let dec = |s: &str| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .to_string()
            };
            (
                utf8_percent_encode(&dec(k), QUERY_SET).to_string(),
                utf8_percent_encode(&dec(v), QUERY_SET).to_string(),
            )
        })
        .collect();
    pairs.sort();
    pairs
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("hmac key");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
    let k = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k = hmac(&k, region.as_bytes());
    let k = hmac(&k, service.as_bytes());
    hmac(&k, b"aws4_request")
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Parses `YYYYMMDDTHHMMSSZ` into Unix seconds.
pub fn parse_amz_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        if !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let (y, mo, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (h, mi, se) = (num(9..11)?, num(11..13)?, num(13..15)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    Some(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se)
}

/// Formats Unix seconds as `YYYYMMDDTHHMMSSZ`.
pub fn format_amz_date(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

// Howard Hinnant's civil-date algorithms.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Signs a request the way the AWS SDK does (double-encoded path, body hash in the
/// canonical request, no `x-amz-content-sha256`). Returns the headers to add:
/// `x-amz-date`, optional `x-amz-security-token` and `authorization`. For tests and tools
/// that speak raw HTTP to the emulator.
#[allow(clippy::too_many_arguments)]
pub fn sign(
    method: &str,
    host: &str,
    raw_path: &str,
    body: &[u8],
    access_key_id: &str,
    secret_access_key: &str,
    region: &str,
    unix_secs: i64,
    extra_headers: &[(&str, &str)],
) -> Vec<(String, String)> {
    sign_for_service(
        "bedrock",
        method,
        host,
        raw_path,
        body,
        access_key_id,
        secret_access_key,
        region,
        unix_secs,
        extra_headers,
    )
}

/// [`sign`] for another SigV4 service name (`bedrock-mantle`). Pass
/// `("x-amz-security-token", token)` in `extra_headers` to sign with temporary credentials.
#[allow(clippy::too_many_arguments)]
pub fn sign_for_service(
    service: &str,
    method: &str,
    host: &str,
    raw_path: &str,
    body: &[u8],
    access_key_id: &str,
    secret_access_key: &str,
    region: &str,
    unix_secs: i64,
    extra_headers: &[(&str, &str)],
) -> Vec<(String, String)> {
    let amz_date = format_amz_date(unix_secs);
    let date = &amz_date[..8];
    let mut headers: Vec<(String, String)> = vec![
        ("host".into(), host.into()),
        ("x-amz-date".into(), amz_date.clone()),
    ];
    for (k, v) in extra_headers {
        headers.push((k.to_ascii_lowercase(), collapse_ws(v)));
    }
    headers.sort();
    let signed: Vec<&str> = headers.iter().map(|(k, _)| k.as_str()).collect();
    let signed_headers = signed.join(";");
    let canonical_headers: String = headers.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let canonical = format!(
        "{method}\n{}\n\n{canonical_headers}\n{signed_headers}\n{}",
        utf8_percent_encode(raw_path, PATH_SET),
        hex::encode(Sha256::digest(body))
    );
    let scope = format!("{date}/{region}/{service}/aws4_request");
    let sts = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    );
    let signature = hex::encode(hmac(
        &signing_key(secret_access_key, date, region, service),
        sts.as_bytes(),
    ));
    vec![
        ("x-amz-date".into(), amz_date),
        (
            "authorization".into(),
            format!(
                "AWS4-HMAC-SHA256 Credential={access_key_id}/{scope}, SignedHeaders={signed_headers}, Signature={signature}"
            ),
        ),
    ]
}

#[cfg(test)]
mod tests {

    /// Frames signed by aws-sigv4's own event-stream signer (what the SDK sends) verify, in
    /// chain; a changed payload, a wrong seed or a replayed frame does not.
    #[test]
    fn chunk_signatures_match_the_sdk_signer() {
        use aws_smithy_eventstream::frame::write_headers_to;
        use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
        let creds = aws_credential_types::Credentials::new("AKID", "SECRET", None, None, "t");
        let identity = creds.into();
        let time = UNIX_EPOCH + std::time::Duration::from_secs(1_764_800_000);
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region("us-east-1")
            .name("bedrock")
            .time(time)
            .settings(())
            .build()
            .unwrap();
        let seed = "a".repeat(64);
        let sign = |payload: &'static [u8], last: &str| {
            let msg = Message::new(payload).add_header(Header::new(
                ":event-type",
                HeaderValue::String("chunk".into()),
            ));
            aws_sigv4::event_stream::sign_message(&msg, last, &params)
                .unwrap()
                .into_parts()
        };
        let check = |v: &mut ChunkVerifier, signed: &Message| {
            let date = signed
                .headers()
                .iter()
                .find(|h| h.name().as_str() == ":date")
                .unwrap();
            let sig = signed
                .headers()
                .iter()
                .find(|h| h.name().as_str() == ":chunk-signature")
                .unwrap();
            let mut encoded = Vec::new();
            write_headers_to(std::slice::from_ref(date), &mut encoded).unwrap();
            let secs = date.value().as_timestamp().unwrap().secs();
            let bytes = sig.value().as_byte_array().unwrap().clone();
            v.verify(secs, &encoded, signed.payload(), &bytes)
        };
        let verifier = || ChunkVerifier {
            secret: "SECRET".into(),
            region: "us-east-1".into(),
            service: "bedrock".into(),
            last_signature: seed.clone(),
        };
        let (first, sig1) = sign(b"one", &seed);
        let (second, _) = sign(b"two", &sig1);
        let mut v = verifier();
        assert!(check(&mut v, &first));
        assert!(check(&mut v, &second), "chained from the first frame");
        assert!(!check(&mut v, &second), "a replayed frame fails");
        let mut v = verifier();
        let tampered = Message::new_from_parts(first.headers().to_vec(), &b"ONE"[..]);
        assert!(!check(&mut v, &tampered));
        let mut v = ChunkVerifier {
            last_signature: "b".repeat(64),
            ..verifier()
        };
        assert!(!check(&mut v, &first), "another request's chain");
    }

    use super::*;

    #[test]
    fn dates_round_trip() {
        let s = "20240229T235959Z";
        assert_eq!(format_amz_date(parse_amz_date(s).unwrap()), s);
        assert_eq!(parse_amz_date("19700101T000000Z"), Some(0));
        assert!(parse_amz_date("2024-02-29").is_none());
    }

    #[test]
    fn sign_then_verify() {
        let auth = Auth {
            access_key_id: "AKID".into(),
            secret_access_key: "secret".into(),
            api_key: None,
            temporary: None,
        };
        let now = 1_700_000_000i64;
        let path = "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse";
        let body = br#"{"messages":[]}"#;
        let added = sign(
            "POST",
            "127.0.0.1:1",
            path,
            body,
            "AKID",
            "secret",
            "us-east-1",
            now,
            &[("content-type", "application/json")],
        );
        let mut headers = HeaderMap::new();
        headers.insert("host", "127.0.0.1:1".parse().unwrap());
        headers.insert("content-type", "application/json".parse().unwrap());
        for (k, v) in &added {
            headers.insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        let at = UNIX_EPOCH + std::time::Duration::from_secs(now as u64);
        let req = SignedRequest {
            method: "POST",
            raw_path: path,
            raw_query: "",
            headers: &headers,
            body,
        };
        assert!(verify(&req, &auth, at).is_ok());
        let tampered = SignedRequest { body: b"{}", ..req };
        assert_eq!(
            verify(&tampered, &auth, at).unwrap_err().error_type,
            "InvalidSignatureException"
        );
        let late = at + std::time::Duration::from_secs(600);
        let req = SignedRequest {
            method: "POST",
            raw_path: path,
            raw_query: "",
            headers: &headers,
            body,
        };
        assert!(verify(&req, &auth, late)
            .unwrap_err()
            .message
            .starts_with("Signature expired"));
    }
}
