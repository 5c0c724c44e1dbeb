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

/// ListAsyncInvokes: its query checked against the service model (statusEquals, sortBy,
/// sortOrder enums; maxResults 1 to 1000; submitTimeAfter / submitTimeBefore ISO 8601), then
/// an empty page: no invocation exists, so every filter selects none, and no page token was
/// ever issued (one given is refused; that message is the emulator's own).
pub fn list(query: &str) -> Result<Value, Rejection> {
    use super::control_plane::{max_results, param, parse_query, Violations};
    let params = parse_query(query);
    let mut v = Violations::default();
    v.enumeration(
        param(&params, "statusEquals"),
        "statusEquals",
        &["InProgress", "Completed", "Failed"],
    );
    v.enumeration(param(&params, "sortBy"), "sortBy", &["SubmissionTime"]);
    v.enumeration(
        param(&params, "sortOrder"),
        "sortOrder",
        &["Ascending", "Descending"],
    );
    max_results(param(&params, "maxResults"), &mut v)?;
    v.finish()?;
    for member in ["submitTimeAfter", "submitTimeBefore"] {
        if let Some(t) = param(&params, member) {
            if !iso8601(t) {
                return Err(invalid(AwsError::validation(format!(
                    "Value '{t}' at '{member}' could not be parsed as a timestamp."
                ))));
            }
        }
    }
    if let Some(t) = param(&params, "nextToken") {
        return Err(invalid(AwsError::validation(format!(
            "The pagination token {t} is invalid."
        ))));
    }
    Ok(json!({ "asyncInvokeSummaries": [] }))
}

/// `YYYY-MM-DDThh:mm:ss[.fff](Z|±hh:mm)`, the form botocore sends an iso8601 timestamp in.
fn iso8601(t: &str) -> bool {
    let b = t.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    if b.len() < 20
        || !(digits(0..4)
            && digits(5..7)
            && digits(8..10)
            && digits(11..13)
            && digits(14..16)
            && digits(17..19))
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't')
        || b[13] != b':'
        || b[16] != b':'
    {
        return false;
    }
    let mut rest = &t[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return false;
        }
        rest = &frac[n..];
    }
    match rest.as_bytes() {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_checks_its_query() {
        assert_eq!(list("").unwrap(), json!({ "asyncInvokeSummaries": [] }));
        let q = "statusEquals=Completed&sortBy=SubmissionTime&sortOrder=Descending&maxResults=10\
                 &submitTimeAfter=2026-12-01T00%3A00%3A00Z&submitTimeBefore=2026-12-05T06%3A00%3A00.5%2B01%3A00";
        assert!(list(q).is_ok());
        let e = list("statusEquals=Done&maxResults=0").unwrap_err().0;
        assert_eq!(e.message, "2 validation errors detected: Value 'Done' at 'statusEquals' failed to satisfy constraint: Member must satisfy enum value set: [InProgress, Completed, Failed]; Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1");
        assert!(list("sortOrder=Up").is_err());
        assert!(list("submitTimeAfter=yesterday").is_err());
        assert!(list("nextToken=abc").is_err());
    }
}
