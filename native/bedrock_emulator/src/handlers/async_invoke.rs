//! StartAsyncInvoke, GetAsyncInvoke and ListAsyncInvokes (`/async-invoke`,
//! docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_StartAsyncInvoke.html).
//!
//! Bedrock runs asynchronous invocations for video generation (Amazon Nova Reel); the models
//! the emulator serves are text and speech models, for which Bedrock answers StartAsyncInvoke
//! with "The provided model doesn't support async inference." (a 400 ValidationException, as
//! users report it for Nova Lite and Pro: repost.aws/questions/QUoOV2Eru5TX6S8ovKD0ZyOg). So no
//! invocation ever exists here: ListAsyncInvokes lists none, and GetAsyncInvoke of any ARN is
//! a ValidationException (its modeled errors have no ResourceNotFoundException; the message
//! is the emulator's own, Bedrock's text is not documented).

use serde_json::{json, Value};

use super::prepare::{Rejection, RequestHeaders};
use crate::catalog as models;
use crate::counters::outcome;
use crate::error::AwsError;
use crate::request::shape::{check_operation, HttpParts};
use crate::state::State;

fn invalid(e: AwsError) -> Rejection {
    (e, outcome::VALIDATION_ERROR)
}

fn check(
    operation: &str,
    labels: &[(&str, &str)],
    headers: &http::HeaderMap,
    body: Option<&Value>,
) -> Result<(), Rejection> {
    let h = RequestHeaders(headers);
    let header = |name: &str| h.get(name);
    let http = HttpParts {
        labels,
        header: &header,
    };
    check_operation(operation, &http, body).map_err(invalid)
}

/// StartAsyncInvoke: always rejected (see the module doc).
pub fn start(state: &State, headers: &http::HeaderMap, body: &[u8]) -> Rejection {
    // Malformed JSON first, in the words of Converse's body parser.
    let root = match crate::request::parse_body(body, false) {
        Ok(map) => Value::Object(map),
        Err(e) => return invalid(e),
    };
    if let Err(rejection) = check("StartAsyncInvoke", &[], headers, Some(&root)) {
        return rejection;
    }
    let model_id = root["modelId"].as_str().unwrap_or_default();
    if models::target(model_id, &state.extra_models).is_none() {
        return invalid(AwsError::invalid_model());
    }
    invalid(AwsError::validation(
        "The provided model doesn't support async inference.",
    ))
}

/// GetAsyncInvoke: no invocation exists (see the module doc).
pub fn get(invocation_arn: &str, headers: &http::HeaderMap) -> Rejection {
    if let Err(rejection) = check(
        "GetAsyncInvoke",
        &[("invocationArn", invocation_arn)],
        headers,
        None,
    ) {
        return rejection;
    }
    (
        AwsError::validation(format!(
            "The emulator has no asynchronous invocation {invocation_arn}."
        )),
        outcome::NOT_FOUND,
    )
}

/// ListAsyncInvokes: an empty page.
pub fn list() -> Value {
    json!({ "asyncInvokeSummaries": [] })
}
