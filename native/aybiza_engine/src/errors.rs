//! SDK failures mapped onto the one error type.

use aws_sdk_bedrockruntime::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aybiza_core::error::{Error, ErrorKind};
use std::error::Error as StdError;

/// Maps any SDK error (before or during a stream) to an [`Error`].
///
/// Messages are built from what is known to be safe: the service's error code and message,
/// the kind of a connection failure, the I/O error kind. Never from the `Display` or `Debug`
/// of a dispatch or construction failure's source chain, which can carry the request (the
/// caller's prompt), its headers or its signature.
pub fn from_sdk<E, R>(err: &SdkError<E, R>) -> Error
where
    E: ProvideErrorMetadata + StdError + 'static,
    R: std::fmt::Debug,
{
    match err {
        SdkError::ServiceError(ctx) => {
            let e = ctx.err();
            // Event-stream exceptions carry no code metadata; their typed variant names it.
            let code = match e.code() {
                Some(code) => code.to_string(),
                None => variant_name(e),
            };
            // A signature mismatch's message can carry the session token: withheld.
            let message = aybiza_core::error::service_message(e.message().unwrap_or(""), 1024);
            let mut kind = ErrorKind::from_aws_code(&code);
            if kind == ErrorKind::Validation && message.contains("expired") {
                kind = ErrorKind::ExpiredCredentials;
            }
            Error::new(kind, message).with_code(truncate(&code, 128))
        }
        SdkError::TimeoutError(_) => Error::new(ErrorKind::Timeout, "the request timed out"),
        SdkError::DispatchFailure(df) => match df.as_connector_error() {
            Some(c) => dispatch_error(c),
            None => Error::new(ErrorKind::Connect, "the connection to Bedrock failed"),
        },
        SdkError::ResponseError(_) => {
            Error::new(ErrorKind::Protocol, "unreadable response from Bedrock")
        }
        SdkError::ConstructionFailure(_) => match credential_failure(err) {
            Some(kind) => Error::new(kind, credential_message(kind)),
            None => Error::new(
                ErrorKind::InvalidRequest,
                "the SDK could not build the request (check the endpoint, region and request)",
            ),
        },
        _ => Error::new(ErrorKind::Internal, "the AWS SDK failed"),
    }
}

/// A connection failure before the response headers, the same on every transport (the
/// SDK's dispatch failures and the Messages API's connector): the kind of what failed, never
/// the connector's text (which can carry the request).
pub fn dispatch_error(df: &ConnectorError) -> Error {
    if df.is_timeout() {
        Error::new(ErrorKind::ConnectTimeout, "connecting to Bedrock timed out")
    } else if let Some(tls) = chain(df).find_map(|e| tls_error(e, 4)) {
        // The rustls error names the alert or certificate problem, never request data.
        Error::new(
            ErrorKind::Connect,
            format!(
                "could not reach Bedrock: the TLS handshake failed ({})",
                truncate(&tls.to_string(), 200)
            ),
        )
    } else if let Some(io) = io_kind(df) {
        Error::new(ErrorKind::Connect, format!("could not reach Bedrock: {io}"))
    } else if df.is_io() {
        Error::new(ErrorKind::Connect, "could not reach Bedrock (I/O error)")
    } else if df.is_user() {
        Error::new(
            ErrorKind::InvalidRequest,
            "the request could not be sent as built",
        )
    } else if let Some(kind) = credential_failure(df) {
        Error::new(kind, credential_message(kind))
    } else {
        Error::new(ErrorKind::Connect, "the connection to Bedrock failed")
    }
}

/// A response body that failed to read after the headers (a reset or a connection closed
/// inside a chunk), the same on every transport: `:connect`, as before the headers; the
/// error's phase says whether anything was delivered.
pub fn broke_off(err: &(dyn StdError + 'static)) -> Error {
    let io = std::iter::once(err)
        .chain(chain(err))
        .find_map(|e| e.downcast_ref::<std::io::Error>().map(|io| io.kind()));
    match io {
        Some(io) => Error::new(
            ErrorKind::Connect,
            format!("the connection to Bedrock broke off: {io}"),
        ),
        None => Error::new(ErrorKind::Connect, "the connection to Bedrock broke off"),
    }
}

/// A streamed event the SDK's unmarshaller refused (not JSON, not UTF-8, the wrong shape);
/// its text is not kept (it can quote the payload).
pub fn unreadable_event() -> Error {
    Error::new(
        ErrorKind::Protocol,
        "unreadable event stream from Bedrock: an event could not be decoded",
    )
}

/// Whether `err` is the SDK event-stream receiver's "body ended inside a frame" (its only
/// `ReceiverError`, in the source of a response error; the crate is not a dependency here).
pub fn ended_inside_frame<E, R>(err: &SdkError<E, R>) -> bool
where
    E: StdError + 'static,
    R: std::fmt::Debug,
{
    matches!(err, SdkError::ResponseError(_))
        && StdError::source(err).is_some_and(|s| s.to_string() == "unexpected end of stream")
}

/// The TLS stack's error (a handshake refused, a bad certificate, a peer that speaks no TLS)
/// in `err` or the I/O errors it wraps (`io::Error::source` skips the wrapped error itself).
fn tls_error<'a>(err: &'a (dyn StdError + 'static), depth: usize) -> Option<&'a rustls::Error> {
    if let Some(tls) = err.downcast_ref::<rustls::Error>() {
        return Some(tls);
    }
    let inner = err.downcast_ref::<std::io::Error>()?.get_ref()?;
    if depth == 0 {
        return None;
    }
    tls_error(inner, depth - 1)
}

/// The kind of the first I/O error in the source chain ("connection refused").
fn io_kind(err: &dyn StdError) -> Option<std::io::ErrorKind> {
    chain(err).find_map(|e| e.downcast_ref::<std::io::Error>().map(|io| io.kind()))
}

/// Whether resolving credentials failed (typed when the chain carries the credential
/// provider's error; the text is only looked at, never returned).
fn credential_failure(err: &dyn StdError) -> Option<ErrorKind> {
    use aws_credential_types::provider::error::CredentialsError;
    if chain(err).any(|e| e.downcast_ref::<CredentialsError>().is_some()) {
        return Some(ErrorKind::InvalidCredentials);
    }
    let text = chain(err)
        .map(|e| e.to_string().to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join(": ");
    if text.contains("credential") || text.contains("token") {
        Some(if text.contains("xpired") {
            ErrorKind::ExpiredCredentials
        } else {
            ErrorKind::InvalidCredentials
        })
    } else {
        None
    }
}

fn credential_message(kind: ErrorKind) -> &'static str {
    if kind == ErrorKind::ExpiredCredentials {
        "the AWS credentials have expired"
    } else {
        "the AWS credentials could not be loaded or used"
    }
}

/// The sources of an error, at most 16 deep.
fn chain<'a>(err: &'a dyn StdError) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    let mut next = err.source();
    std::iter::from_fn(move || {
        let current = next?;
        next = current.source();
        Some(current)
    })
    .take(16)
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// `ModelStreamErrorException` from the Debug form `ModelStreamErrorException(..)`.
fn variant_name(e: &dyn std::fmt::Debug) -> String {
    let debug = format!("{e:?}");
    let name: String = debug
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .take(128)
        .collect();
    if name.is_empty() {
        "Unknown".to_string()
    } else {
        name
    }
}

/// The HTTP status of a service error, when there is one.
pub fn status<E, R>(err: &SdkError<E, R>) -> Option<u16>
where
    R: HttpStatus,
{
    match err {
        SdkError::ServiceError(ctx) => ctx.raw().http_status(),
        _ => None,
    }
}

/// The request id of a service error, when the response carried one.
pub fn request_id<E, R>(err: &SdkError<E, R>) -> Option<String>
where
    R: HttpStatus,
{
    match err {
        SdkError::ServiceError(ctx) => ctx.raw().request_id(),
        _ => None,
    }
}

/// Reads the status and request id of the raw response types the SDK uses.
pub trait HttpStatus {
    fn http_status(&self) -> Option<u16>;
    fn request_id(&self) -> Option<String>;
}

impl HttpStatus for aws_smithy_runtime_api::http::Response {
    fn http_status(&self) -> Option<u16> {
        Some(self.status().as_u16())
    }

    fn request_id(&self) -> Option<String> {
        self.headers()
            .get("x-amzn-requestid")
            .or_else(|| self.headers().get("x-amz-request-id"))
            .map(str::to_string)
    }
}

impl HttpStatus for aws_smithy_types::event_stream::RawMessage {
    fn http_status(&self) -> Option<u16> {
        None
    }

    fn request_id(&self) -> Option<String> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_bedrockruntime::operation::converse::ConverseError;
    use aws_smithy_runtime_api::http::Response;

    type Sdk = SdkError<ConverseError, Response>;

    const MARKER: &str = "PROMPT-MARKER-4f1c authorization: AWS4-HMAC-SHA256 Signature=abc";

    /// An error whose text echoes a request, as a failing dispatch or build can.
    #[derive(Debug)]
    struct Echo;

    impl std::fmt::Display for Echo {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "Request {{ body: {MARKER:?} }}")
        }
    }

    impl StdError for Echo {}

    fn io_echo(kind: std::io::ErrorKind) -> std::io::Error {
        std::io::Error::new(kind, Echo)
    }

    #[test]
    fn sdk_errors_never_carry_the_request_or_signature() {
        let cases: Vec<(Sdk, ErrorKind)> = vec![
            (
                SdkError::construction_failure(Box::new(Echo)),
                ErrorKind::InvalidRequest,
            ),
            (
                SdkError::dispatch_failure(ConnectorError::other(Box::new(Echo), None)),
                ErrorKind::Connect,
            ),
            (
                SdkError::dispatch_failure(ConnectorError::user(Box::new(Echo))),
                ErrorKind::InvalidRequest,
            ),
            (
                SdkError::dispatch_failure(ConnectorError::io(Box::new(io_echo(
                    std::io::ErrorKind::ConnectionRefused,
                )))),
                ErrorKind::Connect,
            ),
            (
                SdkError::dispatch_failure(ConnectorError::timeout(Box::new(Echo))),
                ErrorKind::ConnectTimeout,
            ),
            (SdkError::timeout_error(Box::new(Echo)), ErrorKind::Timeout),
            (
                SdkError::response_error(
                    Box::new(Echo),
                    Response::new(
                        500u16.try_into().unwrap(),
                        aws_smithy_types::body::SdkBody::from(MARKER),
                    ),
                ),
                ErrorKind::Protocol,
            ),
        ];
        for (err, kind) in cases {
            let e = from_sdk(&err);
            assert_eq!(e.kind, kind, "{e:?}");
            let shown = format!("{e} {e:?}");
            for part in ["PROMPT-MARKER", "Signature", "Request {"] {
                assert!(!shown.contains(part), "{part} leaked: {shown}");
            }
        }
    }

    #[test]
    fn connection_failures_say_what_happened() {
        let err: Sdk = SdkError::dispatch_failure(ConnectorError::io(Box::new(io_echo(
            std::io::ErrorKind::ConnectionRefused,
        ))));
        let e = from_sdk(&err);
        assert!(e.message.contains("connection refused"), "{}", e.message);
    }

    #[test]
    fn a_signature_mismatch_never_shows_the_session_token() {
        use aws_sdk_bedrockruntime::types::error::AccessDeniedException;
        let token = "FwoGZXIvYXdzSESSIONTOKENMARKER";
        let message = format!(
            "The request signature we calculated does not match the signature you provided.\n\n\
             The Canonical String for this request should have been\n'POST\n/model/m/converse\n\n\
             x-amz-security-token:{token}\n'"
        );
        let err: Sdk = SdkError::service_error(
            ConverseError::AccessDeniedException(
                AccessDeniedException::builder()
                    .message(message.clone())
                    .meta(
                        aws_smithy_types::error::ErrorMetadata::builder()
                            .code("AccessDeniedException")
                            .message(message)
                            .build(),
                    )
                    .build(),
            ),
            Response::new(
                403u16.try_into().unwrap(),
                aws_smithy_types::body::SdkBody::empty(),
            ),
        );
        let e = from_sdk(&err);
        let shown = format!("{e} {e:?}");
        assert!(!shown.contains(token), "{shown}");
        assert!(e.message.starts_with("The request signature we calculated"));
    }
}
