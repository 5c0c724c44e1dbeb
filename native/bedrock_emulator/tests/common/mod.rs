//! Shared by the SDK-client tests.

use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
use aws_smithy_runtime_api::client::http::SharedHttpClient;

/// The HTTPS client the SDK clients of these tests use: the workspace builds the SDK without
/// its default client (see the root Cargo.toml), as the library's engine does.
pub fn https_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}
