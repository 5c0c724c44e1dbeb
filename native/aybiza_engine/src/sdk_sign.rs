//! SigV4 for the SDK's calls (Converse, ConverseStream, InvokeModel...) with the signing key
//! cached: the SDK's `SigV4Signer` calls `aws_sigv4::sign`, which derives the key (four
//! HMAC-SHA256) and builds the canonical request from owned copies on every call. The
//! supported way to change that is an auth scheme of the same id (`sigv4`) pushed onto the
//! client's configuration (`config::Builder::push_auth_scheme`: "the current identity
//! resolver and signer for that scheme will be replaced"); its signer here writes the same
//! signature with [`crate::sigv4`] and its key cache, and hands every request it does not
//! write the same way to the SDK's own `SigV4Signer` (presigning, event-stream input, an
//! endpoint's own signing properties, payload overrides, other signing options, ...).
//!
//! Clock skew: the SDK signs at `now + skew`, the skew measured from the responses' `Date`
//! (`aws_runtime::service_clock_skew`), kept in a type of its own crate. [`SkewTracker`]
//! measures it the same way on the same client (an interceptor next to the SDK's) into an
//! atomic the client's signer reads, so the correction is kept. Two differences, both far
//! below the second a signature's time has: the measurements differ by the µs between the two
//! hooks, and the signer takes the client's latest skew where the SDK takes the operation's
//! (seeded from the client's at its start, so the same for calls one after another).

use crate::sigv4::{self, KeyCache, Secrets};
use aws_credential_types::Credentials;
use aws_runtime::auth::sigv4::{SigV4Signer, SCHEME_ID};
use aws_runtime::auth::{
    HttpSignatureType, PayloadSigningOverride, SigV4OperationSigningConfig,
    SigV4SessionTokenNameOverride,
};
use aws_runtime::service_clock_skew::DisableClockSkewCorrection;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::auth::{
    AuthScheme, AuthSchemeEndpointConfig, AuthSchemeId, Sign,
};
use aws_smithy_runtime_api::client::identity::{Identity, SharedIdentityResolver};
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::{GetIdentityResolver, RuntimeComponents};
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use aws_smithy_types::date_time::Format;
use aws_smithy_types::DateTime;
use aws_types::region::SigningRegion;
use aws_types::SigningName;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, SystemTime};

/// Signing keys of the SDK path, shared by every client (bounded like the client caches).
static SIGNING_KEYS: LazyLock<KeyCache> =
    LazyLock::new(|| KeyCache::new(crate::clients::MAX_CONFIGS));

/// Requests signed here (the rest went to the SDK's signer): for tests.
static SIGNED_HERE: AtomicU64 = AtomicU64::new(0);

/// How many SDK requests this module signed itself.
pub fn signed_here() -> u64 {
    SIGNED_HERE.load(Ordering::Relaxed)
}

#[cfg(test)]
thread_local! {
    /// [`SIGNED_HERE`] of this thread (unit tests run in parallel).
    static SIGNED_HERE_LOCAL: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// The `sigv4` auth scheme with [`CachedKeySigner`] (the identity resolver is the client's,
/// as for the SDK's scheme).
#[derive(Debug, Default)]
pub struct CachedKeySigV4 {
    signer: CachedKeySigner,
}

/// The auth scheme and the skew interceptor for one client, sharing the client's skew.
pub fn for_client() -> (CachedKeySigV4, SkewTracker) {
    let scheme = CachedKeySigV4::default();
    let tracker = SkewTracker {
        client_skew_ms: scheme.signer.skew_ms.clone(),
    };
    (scheme, tracker)
}

impl AuthScheme for CachedKeySigV4 {
    fn scheme_id(&self) -> AuthSchemeId {
        SCHEME_ID
    }

    fn identity_resolver(
        &self,
        identity_resolvers: &dyn GetIdentityResolver,
    ) -> Option<SharedIdentityResolver> {
        identity_resolvers.identity_resolver(SCHEME_ID)
    }

    fn signer(&self) -> &dyn Sign {
        &self.signer
    }
}

/// Signs with [`sigv4::signature`] what it writes like the SDK, the rest with the SDK's
/// `SigV4Signer`.
#[derive(Debug, Default)]
pub struct CachedKeySigner {
    sdk: SigV4Signer,
    /// The client's clock skew (service minus ours, ms), kept by its [`SkewTracker`].
    skew_ms: Arc<AtomicI64>,
}

impl Sign for CachedKeySigner {
    fn sign_http_request(
        &self,
        request: &mut HttpRequest,
        identity: &Identity,
        auth_scheme_endpoint_config: AuthSchemeEndpointConfig<'_>,
        runtime_components: &RuntimeComponents,
        config_bag: &ConfigBag,
    ) -> Result<(), BoxError> {
        if auth_scheme_endpoint_config.as_document().is_none()
            && sign_here(
                request,
                identity,
                runtime_components,
                config_bag,
                self.skew_ms.load(Ordering::Relaxed),
            )
            .is_some()
        {
            SIGNED_HERE.fetch_add(1, Ordering::Relaxed);
            #[cfg(test)]
            SIGNED_HERE_LOCAL.with(|n| n.set(n.get() + 1));
            return Ok(());
        }
        self.sdk.sign_http_request(
            request,
            identity,
            auth_scheme_endpoint_config,
            runtime_components,
            config_bag,
        )
    }
}

/// The operation's signing settings when they are the ones [`sigv4::signature`] writes
/// (the SDK's defaults: double-encoded normalised path, no `x-amz-content-sha256`, session
/// token signed, headers, no expiry), with the signing region and name.
fn plain_settings(config_bag: &ConfigBag) -> Option<(&str, &str)> {
    let op = config_bag.load::<SigV4OperationSigningConfig>()?;
    let o = &op.signing_options;
    let plain = o.double_uri_encode
        && !o.content_sha256_header
        && o.normalize_uri_path
        && !o.omit_session_token
        && o.payload_override.is_none()
        && o.signature_type == HttpSignatureType::HttpRequestHeaders
        && o.expires_in.is_none()
        && config_bag.load::<SigV4SessionTokenNameOverride>().is_none()
        && config_bag.load::<PayloadSigningOverride>().is_none()
        && config_bag
            .load::<aws_runtime::content_encoding::DeferredSignerSender>()
            .is_none()
        && config_bag
            .load::<aws_smithy_types::event_stream::DeferredSignerSender>()
            .is_none();
    if !plain {
        return None;
    }
    // As the SDK's signer: the config bag's (the client's), else the operation's.
    let region = config_bag.load::<SigningRegion>().or(op.region.as_ref())?;
    let name = config_bag.load::<SigningName>().or(op.name.as_ref())?;
    Some((region.as_ref(), name.as_ref()))
}

/// Signs `request` here, or `None` (nothing changed) for the SDK's signer to do it.
fn sign_here(
    request: &mut HttpRequest,
    identity: &Identity,
    runtime_components: &RuntimeComponents,
    config_bag: &ConfigBag,
    skew_ms: i64,
) -> Option<()> {
    let credentials = identity.data::<Credentials>()?;
    let (region, service) = plain_settings(config_bag)?;
    // An in-memory body (a streaming one is the SDK signer's `UnsignedPayload`).
    let payload_hash = sigv4::payload_hash(request.body().bytes()?);
    let now = runtime_components.time_source().unwrap_or_default().now();
    // As the SDK: at `now` shifted by the skew its responses measured (the client's latest;
    // the SDK's own is per operation, seeded from the client's: the same between calls).
    let time = if skew_disabled(config_bag) {
        now
    } else {
        Skew(skew_ms).apply(now)
    };
    let uri: http::Uri = request.uri().parse().ok()?;
    // `HeaderValue::to_str`'s rule (visible ASCII, space, tab), as the SDK's signer needs.
    let headers = request.headers();
    if headers
        .iter()
        .any(|(_, v)| v.bytes().any(|b| b != b'\t' && !(0x20..0x7f).contains(&b)))
    {
        return None;
    }
    let secrets = Secrets {
        access_key_id: credentials.access_key_id(),
        secret_access_key: credentials.secret_access_key(),
        session_token: credentials.session_token(),
    };
    let signed = sigv4::signature(
        request.method(),
        &uri,
        headers.iter(),
        &payload_hash,
        &secrets,
        region,
        service,
        time,
        &SIGNING_KEYS,
    )
    .ok()?;
    let headers = request.headers_mut();
    headers.insert("x-amz-date", signed.date);
    headers.insert("authorization", signed.authorization);
    if let Some(token) = signed.token {
        headers.insert("x-amz-security-token", token);
    }
    Some(())
}

// The skew, as aws_runtime::service_clock_skew measures it (its types are private).

/// Above this round trip the `Date` says little about the skew (the SDK's bound).
const MAX_TRUSTED_REQUEST_DURATION: Duration = Duration::from_secs(15 * 60);

/// Service clock minus ours, in ms.
#[derive(Debug, Clone, Copy)]
struct Skew(i64);

impl Skew {
    fn apply(self, t: SystemTime) -> SystemTime {
        let ms = Duration::from_millis(self.0.unsigned_abs());
        if self.0 >= 0 {
            t.checked_add(ms)
        } else {
            t.checked_sub(ms)
        }
        .unwrap_or(t)
    }
}

#[derive(Debug, Clone, Copy)]
struct SentAt(SystemTime);

impl Storable for SentAt {
    type Storer = StoreReplace<Self>;
}

/// Keeps the client's clock skew for its [`CachedKeySigner`] ([`for_client`]), measured as
/// the SDK's `ServiceClockSkewInterceptor` does: from every response's `Date` (not a cached
/// one: `age`) against the midpoint of the exchange, off with `DisableClockSkewCorrection`.
#[derive(Debug)]
pub struct SkewTracker {
    client_skew_ms: Arc<AtomicI64>,
}

fn skew_disabled(cfg: &ConfigBag) -> bool {
    cfg.load::<DisableClockSkewCorrection>()
        .is_some_and(|d| d.is_disabled())
}

impl Intercept for SkewTracker {
    fn name(&self) -> &'static str {
        "AybizaSkewTracker"
    }

    fn read_before_transmit(
        &self,
        _ctx: &BeforeTransmitInterceptorContextRef<'_>,
        runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if !skew_disabled(cfg) {
            if let Some(time) = runtime_components.time_source() {
                cfg.interceptor_state().store_put(SentAt(time.now()));
            }
        }
        Ok(())
    }

    fn read_before_deserialization(
        &self,
        ctx: &BeforeDeserializationInterceptorContextRef<'_>,
        runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if skew_disabled(cfg) {
            return Ok(());
        }
        let (Some(time), Some(SentAt(sent))) = (
            runtime_components.time_source(),
            cfg.load::<SentAt>().copied(),
        ) else {
            return Ok(());
        };
        let received = time.now();
        let headers = ctx.response().headers();
        if headers.get("age").is_some() {
            return Ok(());
        }
        let Some(server) = headers
            .get("date")
            .and_then(|d| DateTime::from_str(d, Format::HttpDate).ok())
            .and_then(|d| SystemTime::try_from(d).ok())
        else {
            return Ok(());
        };
        let elapsed = received.duration_since(sent).unwrap_or_default();
        if elapsed > MAX_TRUSTED_REQUEST_DURATION {
            return Ok(());
        }
        let skew = skew_ms(server, sent + elapsed / 2);
        self.client_skew_ms.store(skew, Ordering::Relaxed);
        Ok(())
    }
}

/// `server - midpoint` in ms, signed.
fn skew_ms(server: SystemTime, midpoint: SystemTime) -> i64 {
    match server.duration_since(midpoint) {
        Ok(d) => d.as_millis() as i64,
        Err(e) => -(e.duration().as_millis() as i64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_runtime::auth::{SigV4OperationSigningConfig, SigningOptions};
    use aws_smithy_async::time::{SharedTimeSource, StaticTimeSource};
    use aws_smithy_runtime_api::client::runtime_components::RuntimeComponentsBuilder;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::config_bag::Layer;
    use std::time::UNIX_EPOCH;

    fn request(uri: &str, headers: &[(&str, &str)], body: &'static [u8]) -> HttpRequest {
        let mut b = http::Request::builder().method("POST").uri(uri);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        HttpRequest::try_from(b.body(SdkBody::from(body)).unwrap()).unwrap()
    }

    fn bag(region: &'static str, name: &'static str, signing_options: SigningOptions) -> ConfigBag {
        let mut layer = Layer::new("test");
        layer.store_put(SigV4OperationSigningConfig {
            region: Some(SigningRegion::from_static(region)),
            name: Some(SigningName::from_static(name)),
            signing_options,
            ..Default::default()
        });
        ConfigBag::of_layers(vec![layer])
    }

    fn components(secs: u64) -> RuntimeComponents {
        RuntimeComponentsBuilder::for_tests()
            .with_time_source(Some(SharedTimeSource::new(StaticTimeSource::new(
                UNIX_EPOCH + Duration::from_secs(secs),
            ))))
            .build()
            .unwrap()
    }

    fn signed_headers(req: &HttpRequest) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> =
            ["x-amz-date", "authorization", "x-amz-security-token"]
                .iter()
                .filter_map(|h| Some((h.to_string(), req.headers().get(*h)?.to_string())))
                .collect();
        out.sort();
        out
    }

    /// Both signers over the SDK's own request shapes (Converse paths with a model id's `.`
    /// and encoded `:`, user agents, session tokens, times, skews): the same headers, and
    /// the cached-key signer did sign them itself.
    #[test]
    fn same_signatures_as_the_sdk_signer() {
        let uris = [
            "https://bedrock-runtime.us-east-1.amazonaws.com/model/us.anthropic.claude-3-5-haiku-20241022-v1%3A0/converse-stream",
            "https://bedrock-runtime.eu-west-3.amazonaws.com/model/amazon.nova-lite-v1%3A0/converse",
            "http://127.0.0.1:4010/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.x.y-v1%3A0/invoke-with-response-stream",
            "https://example.com/a.b/",
        ];
        let header_sets: [&[(&str, &str)]; 2] = [
            &[
                ("content-type", "application/json"),
                ("user-agent", "aws-sdk-rust/1.3 os/linux"),
                (
                    "x-amz-user-agent",
                    "aws-sdk-rust/1.3 api/bedrockruntime/1.153.0  m/E",
                ),
                (
                    "amz-sdk-invocation-id",
                    "6a6a0f4c-0000-4000-8000-000000000000",
                ),
                ("amz-sdk-request", "attempt=1; max=1"),
            ],
            &[
                ("content-type", "application/json"),
                ("x-custom", "  a   b "),
            ],
        ];
        let mut cases = 0;
        for uri in uris {
            for headers in header_sets {
                for token in [None, Some("session/token+=")] {
                    for (secs, skew) in [
                        (1_440_938_160, None),
                        (1_798_761_599, Some(1_500)),
                        (1_798_761_599, Some(-999)),
                    ] {
                        let identity: Identity = Credentials::new(
                            "AKIDEXAMPLE",
                            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                            token.map(str::to_string),
                            None,
                            "test",
                        )
                        .into();
                        let cfg = bag("us-east-1", "bedrock", SigningOptions::default());
                        let rc = components(secs);
                        let mut ours = request(uri, headers, b"{\"messages\":[]}");
                        let before = SIGNED_HERE_LOCAL.with(|n| n.get());
                        let (scheme, _tracker) = for_client();
                        scheme
                            .signer
                            .skew_ms
                            .store(skew.unwrap_or(0), Ordering::Relaxed);
                        scheme
                            .signer
                            .sign_http_request(
                                &mut ours,
                                &identity,
                                AuthSchemeEndpointConfig::empty(),
                                &rc,
                                &cfg,
                            )
                            .unwrap();
                        assert_eq!(
                            SIGNED_HERE_LOCAL.with(|n| n.get()),
                            before + 1,
                            "{uri}: signed by the fallback"
                        );
                        let mut sdk = request(uri, headers, b"{\"messages\":[]}");
                        // The SDK's signer reads its own (private) skew type: give it the
                        // skewed time directly.
                        let at = UNIX_EPOCH + Duration::from_secs(secs);
                        let skewed = RuntimeComponentsBuilder::for_tests()
                            .with_time_source(Some(SharedTimeSource::new(StaticTimeSource::new(
                                skew.map_or(at, |ms| Skew(ms).apply(at)),
                            ))))
                            .build()
                            .unwrap();
                        SigV4Signer::new()
                            .sign_http_request(
                                &mut sdk,
                                &identity,
                                AuthSchemeEndpointConfig::empty(),
                                &skewed,
                                &bag("us-east-1", "bedrock", SigningOptions::default()),
                            )
                            .unwrap();
                        assert_eq!(
                            signed_headers(&ours),
                            signed_headers(&sdk),
                            "{uri} {headers:?} {token:?} {secs} {skew:?}"
                        );
                        assert_eq!(
                            signed_headers(&ours).len(),
                            2 + usize::from(token.is_some())
                        );
                        cases += 1;
                    }
                }
            }
        }
        assert_eq!(cases, 4 * 2 * 2 * 3);
    }

    /// Settings or requests it does not write like the SDK go to the SDK's signer (and
    /// come out signed as the SDK signs them).
    #[test]
    fn other_settings_and_requests_go_to_the_sdk_signer() {
        let identity: Identity = Credentials::new("AKID", "secret", None, None, "test").into();
        let rc = components(1_440_938_160);
        // `SigningOptions` is non-exhaustive: set from its default.
        let mut single = SigningOptions::default();
        single.double_uri_encode = false;
        let mut sha_header = SigningOptions::default();
        sha_header.content_sha256_header = true;
        let mut no_token = SigningOptions::default();
        no_token.omit_session_token = true;
        for (uri, options) in [
            ("https://example.com/model/a%3A0/converse", single),
            ("https://example.com/model/a/converse", sha_header),
            ("https://example.com/model/a/converse", no_token),
            (
                "https://example.com/model/a/converse?x=1",
                SigningOptions::default(),
            ),
            (
                "https://example.com/model/a/../converse",
                SigningOptions::default(),
            ),
            (
                "https://example.com/model/a+b/converse",
                SigningOptions::default(),
            ),
        ] {
            let before = SIGNED_HERE_LOCAL.with(|n| n.get());
            let mut ours = request(uri, &[], b"{}");
            CachedKeySigner::default()
                .sign_http_request(
                    &mut ours,
                    &identity,
                    AuthSchemeEndpointConfig::empty(),
                    &rc,
                    &bag("us-east-1", "bedrock", options.clone()),
                )
                .unwrap();
            let mut sdk = request(uri, &[], b"{}");
            SigV4Signer::new()
                .sign_http_request(
                    &mut sdk,
                    &identity,
                    AuthSchemeEndpointConfig::empty(),
                    &rc,
                    &bag("us-east-1", "bedrock", options),
                )
                .unwrap();
            assert_eq!(signed_headers(&ours), signed_headers(&sdk), "{uri}");
            assert!(signed_headers(&ours)
                .iter()
                .any(|(k, _)| k == "authorization"));
            assert_eq!(
                SIGNED_HERE_LOCAL.with(|n| n.get()),
                before,
                "{uri}: signed here"
            );
        }
        // No credentials (a bearer identity): the SDK signer's error, not a signature.
        let token: Identity =
            aws_smithy_runtime_api::client::identity::http::Token::new("t", None).into();
        let mut req = request("https://example.com/model/a/converse", &[], b"{}");
        assert!(CachedKeySigner::default()
            .sign_http_request(
                &mut req,
                &token,
                AuthSchemeEndpointConfig::empty(),
                &rc,
                &bag("us-east-1", "bedrock", SigningOptions::default())
            )
            .is_err());
        assert!(req.headers().get("authorization").is_none());
    }

    #[test]
    fn skew_is_signed_server_minus_midpoint() {
        let t = UNIX_EPOCH + Duration::from_secs(1_000);
        assert_eq!(skew_ms(t + Duration::from_millis(1_500), t), 1_500);
        assert_eq!(skew_ms(t, t + Duration::from_millis(250)), -250);
        assert_eq!(Skew(-250).apply(t), t - Duration::from_millis(250));
        assert_eq!(Skew(2_000).apply(t), t + Duration::from_secs(2));
    }
}

#[cfg(test)]
mod probe4 {
    use super::*;
    use aws_runtime::auth::{SigV4OperationSigningConfig, SigningOptions};
    use aws_smithy_async::time::{SharedTimeSource, StaticTimeSource};
    use aws_smithy_runtime_api::client::runtime_components::RuntimeComponentsBuilder;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::config_bag::Layer;
    use std::time::UNIX_EPOCH;

    /// A hostile server's `Date` sets the client's skew to anything an HTTP date spans
    /// (years 0001-9999; the atomic's extremes too): every request is still signed, by the
    /// cached-key signer or, before 1970, by the SDK's, never a panic.
    #[test]
    fn hostile_skews_still_sign() {
        let now = 1_798_761_599; // 2026-12-31T23:59:59Z
        for skew in [
            i64::MIN,
            -62_000_000_000_000, // year 0062
            -(now as i64) * 1_000 - 1,
            -(now as i64) * 1_000,
            0,
            250_000_000_000_000, // year ~9948
            i64::MAX,
        ] {
            let identity: Identity =
                Credentials::new("AKID", "secret", Some("tok".into()), None, "t").into();
            let mut layer = Layer::new("test");
            layer.store_put(SigV4OperationSigningConfig {
                region: Some(SigningRegion::from_static("us-east-1")),
                name: Some(SigningName::from_static("bedrock")),
                signing_options: SigningOptions::default(),
                ..Default::default()
            });
            let cfg = ConfigBag::of_layers(vec![layer]);
            let rc = RuntimeComponentsBuilder::for_tests()
                .with_time_source(Some(SharedTimeSource::new(StaticTimeSource::new(
                    UNIX_EPOCH + Duration::from_secs(now),
                ))))
                .build()
                .unwrap();
            let mut req = HttpRequest::try_from(
                http::Request::builder()
                    .method("POST")
                    .uri("https://example.com/model/a/converse")
                    .body(SdkBody::from(&b"{}"[..]))
                    .unwrap(),
            )
            .unwrap();
            let (scheme, _tracker) = for_client();
            scheme.signer.skew_ms.store(skew, Ordering::Relaxed);
            scheme
                .signer
                .sign_http_request(
                    &mut req,
                    &identity,
                    AuthSchemeEndpointConfig::empty(),
                    &rc,
                    &cfg,
                )
                .unwrap();
            let auth = req.headers().get("authorization").unwrap();
            assert!(
                auth.starts_with("AWS4-HMAC-SHA256 Credential=AKID/"),
                "{skew}"
            );
            assert!(!auth.contains("secret"), "{skew}");
            assert_eq!(req.headers().get("x-amz-security-token"), Some("tok"));
            let date = req.headers().get("x-amz-date").unwrap();
            if (-(now as i64) * 1_000..=250_000_000_000_000).contains(&skew) {
                assert_eq!(date.len(), 16, "{skew}: {date}");
            }
        }
    }
}
