//! SDK failures mapped onto the one error type.

use aws_sdk_bedrockruntime::error::{ProvideErrorMetadata, SdkError};
use aybiza_core::error::{Error, ErrorKind};
use std::error::Error as StdError;

/// Maps any SDK error (before or during a stream) to an [`Error`].
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
            let message = e.message().unwrap_or("").to_string();
            let mut kind = ErrorKind::from_aws_code(&code);
            if kind == ErrorKind::Validation && message.contains("expired") {
                kind = ErrorKind::ExpiredCredentials;
            }
            Error::new(kind, message).with_code(code)
        }
        SdkError::TimeoutError(_) => Error::new(ErrorKind::Timeout, "the request timed out"),
        SdkError::DispatchFailure(df) => {
            if df.is_timeout() {
                Error::new(ErrorKind::ConnectTimeout, "connecting to Bedrock timed out")
            } else if df.is_io() {
                Error::new(ErrorKind::Connect, describe(err))
            } else if let Some(ce) = df.as_other() {
                Error::new(ErrorKind::Connect, format!("{ce:?}: {}", describe(err)))
            } else {
                // Credential resolution failures surface here too.
                let text = describe(err);
                let kind = if text.contains("credential") || text.contains("token") {
                    if text.contains("xpired") {
                        ErrorKind::ExpiredCredentials
                    } else {
                        ErrorKind::InvalidCredentials
                    }
                } else {
                    ErrorKind::Connect
                };
                Error::new(kind, text)
            }
        }
        SdkError::ResponseError(_) => Error::new(
            ErrorKind::Protocol,
            format!("unreadable response: {}", describe(err)),
        ),
        SdkError::ConstructionFailure(_) => {
            let text = describe(err);
            let kind = if text.contains("credential") || text.contains("token") {
                ErrorKind::InvalidCredentials
            } else {
                ErrorKind::InvalidRequest
            };
            Error::new(kind, text)
        }
        _ => Error::new(ErrorKind::Internal, describe(err)),
    }
}

/// `ModelStreamErrorException` from the Debug form `ModelStreamErrorException(..)`.
fn variant_name(e: &dyn std::fmt::Debug) -> String {
    let debug = format!("{e:?}");
    let name: String = debug
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    if name.is_empty() {
        "Unknown".to_string()
    } else {
        name
    }
}

/// The chain of causes, as one line (no request data, no credentials).
fn describe(err: &dyn StdError) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    let mut depth = 0;
    while let Some(s) = source {
        if depth > 6 {
            break;
        }
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
        depth += 1;
    }
    out
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
