//! One SDK client per (region, endpoint, credential source) and runtime shard, built once and
//! reused so calls share pooled keep-alive connections instead of paying a TCP + TLS handshake
//! each turn. The SDK client and the Messages-API transport of one configuration on one shard
//! share one HTTP connector (the SDK's own hyper + rustls connector), so they share one
//! connection pool: `warm` opens connections the Messages API then uses too.
//!
//! Pools are per shard (`runtime`): hyper runs a connection's task on the runtime that opened
//! it, so a pool of its own keeps each connection's task on the thread of the calls that use
//! it (no cross-thread wake-up per read). What is per configuration and shared by the shards:
//! the SDK configuration, the credentials provider and its identity cache (one STS session or
//! SSO token for all of them), built once.

use crate::config::{ClientConfig, CredentialSpec};
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_sdk_bedrockruntime::config::Token;
use aws_sdk_bedrockruntime::Client;
use aws_smithy_async::rt::sleep::{SharedAsyncSleep, TokioSleep};
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_http_client::Connector;
use aws_smithy_runtime_api::client::auth::http::HTTP_BEARER_AUTH_SCHEME_ID;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use tokio::sync::OnceCell;

type Key = (String, Option<String>, u64);
/// A configuration on a shard (`None`: off the shards' threads, e.g. the credential
/// providers' own requests).
type ShardKey = (Key, Option<usize>);

/// The SDK configuration of one client configuration and the credentials provider it was
/// built with (the SDK client's config no longer exposes it; the Messages-API transport
/// signs with it).
#[derive(Clone)]
struct Base {
    config: aws_sdk_bedrockruntime::Config,
    credentials: Option<SharedCredentialsProvider>,
}

/// Each cache keeps the configuration an entry was built for: a hit needs the same one
/// (`ClientConfig::same_client`), not only the same key, whose hash two may share.
type Kept = Arc<ClientConfig>;

type Bases = Lru<Key, Kept, Arc<OnceCell<Base>>>;
type Clients = Lru<(ShardKey, Attempts), Kept, Client>;

static BASES: Mutex<Option<Bases>> = Mutex::new(None);
static CLIENTS: Mutex<Option<Clients>> = Mutex::new(None);

/// How many attempts a cached client's operations make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Attempts {
    /// The SDK's standard retries (3 attempts): non-streaming calls.
    Standard,
    /// One attempt: streams (a retried stream could repeat what the caller already heard)
    /// and the connection warm-up. A client of its own rather than a per-call
    /// `config_override`: the override rebuilt the operation's configuration layers on every
    /// call, on the way to the request.
    Single,
}

/// Client configurations kept (their SDK configuration, and a client and a connection pool
/// per shard that used them). Configurations come and go (rotated session credentials,
/// per-tenant keys) and each cost ~235 KB (the pools' TLS roots, the SDK configuration):
/// 1,000 of them held 235 MB for the VM's life. The least recently used goes first; calls
/// that hold its client keep it until they end, the next call builds it again.
pub(crate) const MAX_CONFIGS: usize = 256;

/// Entries of a per-shard map: every configuration on every shard and off them.
fn max_shard_entries() -> usize {
    MAX_CONFIGS * (crate::runtime::shard_count() + 1)
}

/// A map of at most `cap` entries that drops its least recently used one to make room. Each
/// entry keeps what it was built for (`C`): a lookup hits only when `same` accepts it, and an
/// entry of the same key built for something else is replaced.
struct Lru<K, C, V> {
    map: HashMap<K, (C, V, u64)>,
    tick: u64,
}

impl<K: std::hash::Hash + Eq + Clone, C, V: Clone> Lru<K, C, V> {
    fn new() -> Self {
        Lru {
            map: HashMap::new(),
            tick: 0,
        }
    }

    fn get(&mut self, key: &K, same: impl Fn(&C) -> bool) -> Option<V> {
        self.tick += 1;
        let tick = self.tick;
        self.map
            .get_mut(key)
            .filter(|(c, _, _)| same(c))
            .map(|(_, v, used)| {
                *used = tick;
                v.clone()
            })
    }

    fn get_or_insert_with(
        &mut self,
        key: K,
        same: impl Fn(&C) -> bool,
        cap: usize,
        make: impl FnOnce() -> (C, V),
    ) -> V {
        if let Some(v) = self.get(&key, &same) {
            return v;
        }
        // Another configuration with this key (its hash collided): this one replaces it.
        self.map.remove(&key);
        // A scan when full only: at most `cap` entries, once per new configuration.
        while self.map.len() >= cap.max(1) {
            let Some(oldest) = self
                .map
                .iter()
                .min_by_key(|(_, (_, _, used))| *used)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            self.map.remove(&oldest);
        }
        let (c, v) = make();
        self.map.insert(key, (c, v.clone(), self.tick));
        v
    }

    fn len(&self) -> usize {
        self.map.len()
    }
}

/// The cached client for `config` on the caller's shard, built on first use. Building may
/// read shared config files or call STS, so it runs on the runtime, never in a NIF call.
pub async fn client_for(config: &ClientConfig) -> Client {
    client_with(config, Attempts::Standard).await
}

/// [`client_for`] with the given attempts (both clients of a configuration share its SDK
/// configuration, credentials and the shard's connection pool).
pub async fn client_with(config: &ClientConfig, attempts: Attempts) -> Client {
    let key = (
        (config.cache_key(), crate::runtime::current_shard()),
        attempts,
    );
    let same = |kept: &Kept| kept.same_client(config);
    let cached = |key: &(ShardKey, Attempts)| {
        CLIENTS
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_mut()
            .and_then(|m| m.get(key, same))
    };
    if let Some(client) = cached(&key) {
        return client;
    }
    // Boxed: building a client (credential chain, endpoint) is a large future that only a
    // cache miss needs; inline, every call's spawned state carried (and copied) it.
    let base = Box::pin(base(config)).await;
    // Two clients (standard and single attempt) per configuration and shard.
    let cap = 2 * max_shard_entries();
    let mut guard = CLIENTS.lock().unwrap_or_else(|p| p.into_inner());
    guard
        .get_or_insert_with(Lru::new)
        .get_or_insert_with(key.clone(), same, cap, || {
            // The shared configuration (credentials, identity cache, retries, endpoint) with
            // this shard's connection pool.
            // SigV4 with the signing key cached (sdk_sign.rs: the same signatures; what it
            // does not write like the SDK goes to the SDK's signer).
            let (signing, skew) = crate::sdk_sign::for_client();
            let mut builder = base
                .config
                .to_builder()
                .http_client(SharedConnectorClient(connector(config, key.0 .1)))
                .push_auth_scheme(signing)
                .interceptor(skew)
                // A stream's body taker and trace points, per call without a config override.
                .interceptor(crate::hooks::CallHooks);
            if attempts == Attempts::Single {
                builder = builder.retry_config(RetryConfig::disabled());
            }
            (Arc::new(config.clone()), Client::from_conf(builder.build()))
        })
}

/// The SDK client as shipped for `config`, with one attempt, on the caller's shard's
/// connection pool: the SDK's own SigV4 signer (which derives the key per call) and skew
/// correction, none of the engine's interceptors. For the bench's raw-SDK floor. Not cached.
pub async fn sdk_as_shipped(config: &ClientConfig) -> Client {
    let base = base(config).await;
    Client::from_conf(
        base.config
            .to_builder()
            .http_client(SharedConnectorClient(connector_for(config)))
            .retry_config(RetryConfig::disabled())
            .build(),
    )
}

/// The credentials provider of the cached client for `config` (`None` for API keys).
pub async fn credentials_for(config: &ClientConfig) -> Option<SharedCredentialsProvider> {
    base(config).await.credentials
}

async fn base(config: &ClientConfig) -> Base {
    let cell = {
        let mut guard = BASES.lock().unwrap_or_else(|p| p.into_inner());
        guard.get_or_insert_with(Lru::new).get_or_insert_with(
            config.cache_key(),
            |kept: &Kept| kept.same_client(config),
            MAX_CONFIGS,
            || (Arc::new(config.clone()), Arc::new(OnceCell::new())),
        )
    };
    cell.get_or_init(|| build_base(config)).await.clone()
}

static CONNECTORS: Mutex<Option<Lru<ShardKey, Kept, SharedHttpConnector>>> = Mutex::new(None);

/// The pooled HTTP connector of `config` on the caller's shard (hyper 1 + rustls with the
/// `ring` provider and the platform's root certificates, with the configuration's connect
/// timeout), built once per shard and shared by the shard's SDK client and the Messages-API
/// transport; the credential providers of the default chain (SSO, STS, IMDS, ECS) use one
/// more, off any shard's pool. The SDK's default client would build aws-lc-sys (C and CMake)
/// and a second, legacy hyper 0.14 stack: minutes of build time for a dependency, for no
/// difference on the wire (docs/ARCHITECTURE.md, "Build cost").
pub fn connector_for(config: &ClientConfig) -> SharedHttpConnector {
    connector(config, crate::runtime::current_shard())
}

fn connector(config: &ClientConfig, shard: Option<usize>) -> SharedHttpConnector {
    let cap = max_shard_entries();
    let mut guard = CONNECTORS.lock().unwrap_or_else(|p| p.into_inner());
    guard.get_or_insert_with(Lru::new).get_or_insert_with(
        (config.cache_key(), shard),
        |kept: &Kept| kept.same_client(config),
        cap,
        || {
            let settings = HttpConnectorSettings::builder()
                .connect_timeout(config.timeouts.connect)
                .build();
            // Platform roots, plus the configuration's own CA (e.g. the emulator's).
            let mut trust = tls::TrustStore::empty().with_native_roots(native_roots_usable());
            if let Some(pem) = config.tls_ca_pem.as_deref().filter(|p| pem_usable(p)) {
                trust = trust.with_pem_certificate(pem.as_bytes());
            }
            let connector = SharedHttpConnector::new(
                Connector::builder()
                    .connector_settings(settings)
                    .sleep_impl(SharedAsyncSleep::new(TokioSleep::new()))
                    .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
                    .tls_context(
                        tls::TlsContext::builder()
                            .with_trust_store(trust)
                            .build()
                            .unwrap_or_default(),
                    )
                    .build(),
            );
            (Arc::new(config.clone()), connector)
        },
    )
}

/// Whether the platform has a root certificate rustls can use (loaded once).
/// aws-smithy-http-client `debug_assert!`s that it has when native roots are on: a panic in
/// a debug build on a host without ca-certificates (a slim container). Without any, native
/// roots stay off and TLS to a public endpoint fails as an unknown issuer, an error.
fn native_roots_usable() -> bool {
    static USABLE: OnceLock<bool> = OnceLock::new();
    *USABLE.get_or_init(|| {
        let certs = rustls_native_certs::load_native_certs().certs;
        let mut roots = rustls::RootCertStore::empty();
        roots.add_parsable_certificates(certs).0 > 0
    })
}

/// Whether a CA bundle parses the way aws-smithy-http-client parses it (it `expect`s that it
/// does). `config::decode_config` already refuses any other; this keeps a panic out of the
/// connector even for a configuration built some other way.
fn pem_usable(pem: &str) -> bool {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;
    let mut roots = rustls::RootCertStore::empty();
    CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .is_ok_and(|ders| ders.into_iter().all(|der| roots.add(der).is_ok()))
}

/// An HTTP client on the engine's TLS stack for SDK clients built outside the engine (the
/// bench's raw-SDK floor, tests), since the SDK is compiled without a default client.
pub fn https_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// Hands the SDK the shared connector whatever settings it asks with (the connect timeout
/// is already the configuration's; read timeouts are enforced per call by the engine).
#[derive(Debug)]
struct SharedConnectorClient(SharedHttpConnector);

impl HttpClient for SharedConnectorClient {
    fn http_connector(
        &self,
        _settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        self.0.clone()
    }
}

/// Number of cached client configurations (for tests and diagnostics; each has a client per
/// shard that used it).
pub fn cached_clients() -> usize {
    BASES
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .as_ref()
        .map(|m| m.len())
        .unwrap_or(0)
}

async fn build_base(config: &ClientConfig) -> Base {
    let region = Region::new(config.region.clone());
    // Connect timeout is enforced by the HTTP client; first-byte, idle and total timeouts
    // are enforced per call by the engine, because an SDK operation timeout would cut off a
    // long but healthy stream.
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(config.timeouts.connect)
        .build();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(region.clone())
        .timeout_config(timeouts)
        .http_client(SharedHttpClient::new(SharedConnectorClient(connector(
            config, None,
        ))))
        .retry_config(RetryConfig::standard().with_max_attempts(3));

    let mut api_key = None;
    match &config.credentials {
        CredentialSpec::Default { profile } => {
            if let Some(p) = profile {
                loader = loader.profile_name(p);
            }
        }
        CredentialSpec::Static {
            access_key_id,
            secret_access_key,
            session_token,
        } => {
            let creds = Credentials::new(
                access_key_id,
                secret_access_key,
                session_token.clone(),
                None,
                "aybiza-static",
            );
            loader = loader.credentials_provider(SharedCredentialsProvider::new(creds));
        }
        CredentialSpec::AssumeRole { profile, .. } => {
            if let Some(p) = profile {
                loader = loader.profile_name(p);
            }
        }
        CredentialSpec::ApiKey { api_key: key } => {
            api_key = Some(key.clone());
            // Bearer auth needs no SigV4 credentials; avoid probing the default chain.
            loader = loader.credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                "unused",
                "unused",
                None,
                None,
                "aybiza-api-key",
            )));
        }
    }
    if let Some(endpoint) = &config.endpoint {
        loader = loader.endpoint_url(endpoint.trim_end_matches('/'));
    }
    let sdk_config = loader.load().await;

    let mut builder = aws_sdk_bedrockruntime::config::Builder::from(&sdk_config);
    let mut credentials = sdk_config.credentials_provider();
    if let CredentialSpec::AssumeRole {
        role_arn,
        session_name,
        external_id,
        duration_seconds,
        ..
    } = &config.credentials
    {
        let mut b = aws_config::sts::AssumeRoleProvider::builder(role_arn.clone())
            .session_name(
                session_name
                    .clone()
                    .unwrap_or_else(|| "aybiza-bedrock".into()),
            )
            .region(region);
        if let Some(id) = external_id {
            b = b.external_id(id.clone());
        }
        if let Some(secs) = duration_seconds {
            b = b.session_length(std::time::Duration::from_secs(u64::from(*secs)));
        }
        let provider = b.configure(&sdk_config).build().await;
        let provider = SharedCredentialsProvider::new(provider);
        credentials = Some(provider.clone());
        builder = builder.credentials_provider(provider);
    }
    if let Some(key) = api_key {
        credentials = None;
        builder = builder
            .bearer_token(Token::new(key, None))
            .auth_scheme_preference([HTTP_BEARER_AUTH_SCHEME_ID]);
    }
    Base {
        config: builder.build(),
        credentials,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_keeps_at_most_its_cap_and_drops_the_least_recently_used() {
        let mut lru = Lru::new();
        let any = |_: &()| true;
        for k in 0..4 {
            assert_eq!(lru.get_or_insert_with(k, any, 4, || ((), k * 10)), k * 10);
        }
        // 0 used again: 1 is now the oldest and goes for 4.
        assert_eq!(lru.get(&0, any), Some(0));
        assert_eq!(lru.get_or_insert_with(4, any, 4, || ((), 40)), 40);
        assert_eq!(lru.len(), 4);
        assert_eq!(lru.get(&1, any), None);
        for k in [0, 2, 3, 4] {
            assert_eq!(lru.get(&k, any), Some(k * 10), "{k}");
        }
        // A hit never builds; a thousand new keys never pass the cap.
        assert_eq!(lru.get_or_insert_with(4, any, 4, || unreachable!()), 40);
        for k in 5..1_005 {
            lru.get_or_insert_with(k, any, 4, || ((), k));
        }
        assert_eq!(lru.len(), 4);
        assert_eq!(lru.get(&1_004, any), Some(1_004));
    }

    #[test]
    fn an_entry_built_for_something_else_is_no_hit() {
        let mut lru = Lru::new();
        assert_eq!(
            lru.get_or_insert_with(1, |c: &&str| *c == "a", 4, || ("a", 10)),
            10
        );
        // Same key, another owner: no hit, its own value, which replaces the first.
        assert_eq!(lru.get(&1, |c: &&str| *c == "b"), None);
        assert_eq!(
            lru.get_or_insert_with(1, |c: &&str| *c == "b", 4, || ("b", 20)),
            20
        );
        assert_eq!(lru.get(&1, |c: &&str| *c == "b"), Some(20));
        assert_eq!(lru.get(&1, |c: &&str| *c == "a"), None);
        assert_eq!(lru.len(), 1);
    }

    /// Two configurations whose keys collide (the test seam makes every hash equal) each get
    /// their own SDK client and credentials, not the first one's.
    #[test]
    fn colliding_configurations_get_their_own_clients() {
        let rt = crate::runtime::runtime();
        let (a, b) = crate::config::test_seam::colliding_pair("AKIDCOLLIDEA", "AKIDCOLLIDEB");
        let key_id = |c: &ClientConfig| {
            rt.block_on(async {
                let provider = credentials_for(c).await.expect("static credentials");
                use aws_credential_types::provider::ProvideCredentials;
                let creds = provider.provide_credentials().await.unwrap();
                creds.access_key_id().to_string()
            })
        };
        // The SDK client of each: built anew for the other configuration (its entry under
        // the shared key is the other's until then), never returned for it.
        let cached_for = |c: &ClientConfig| {
            let key = (
                (c.cache_key(), crate::runtime::current_shard()),
                Attempts::Standard,
            );
            CLIENTS
                .lock()
                .unwrap()
                .as_mut()
                .and_then(|m| m.get(&key, |kept: &Kept| kept.same_client(c)))
                .is_some()
        };
        // Alternately, so that each lookup finds the other's entry under its key first.
        for _ in 0..2 {
            assert_eq!(key_id(&a), "AKIDCOLLIDEA");
            rt.block_on(async { drop(client_for(&a).await) });
            assert!(cached_for(&a) && !cached_for(&b));
            assert_eq!(key_id(&b), "AKIDCOLLIDEB");
            rt.block_on(async { drop(client_for(&b).await) });
            assert!(cached_for(&b) && !cached_for(&a));
        }
        crate::config::test_seam::collide(false);
    }

    #[test]
    fn client_configurations_are_bounded() {
        // More distinct configurations than the cap (rotated secrets): the cache stays at it.
        let rt = crate::runtime::runtime();
        for i in 0..MAX_CONFIGS + 20 {
            let config = crate::config::decode_config(&serde_json::json!({
                "region": "us-east-1", "endpoint": "http://127.0.0.1:9",
                "credentials": {"type": "static", "access_key_id": "AKIDEXAMPLE",
                                "secret_access_key": format!("secret-{i}")}}))
            .unwrap();
            rt.block_on(async { drop(credentials_for(&config).await) });
        }
        assert!(cached_clients() <= MAX_CONFIGS, "{}", cached_clients());
    }
}
