//! ConverseStream and InvokeModelWithResponseStream bodies decoded without the SDK's
//! event-stream receiver on the hot path.
//!
//! Why: per text delta the SDK's receiver (`EventReceiver` / `aws_smithy_http`'s `Receiver`:
//! a `SegmentedBuf` of the body chunks, the frame decoder, the generated unmarshaller that
//! builds a typed event with owned `String`s for every delta) cost about 9,800 instructions
//! over decoding the same bytes with `aws-smithy-eventstream` and serde on borrowed slices
//! (18,310 against 8,480 per delta, BENCHMARKS.md "Instructions per delta"), and it has
//! nothing to configure. The Converse path was at 5.23 µs of whole-VM CPU per delta against
//! 4.18 µs for the Messages API's SSE, which we decode ourselves. With this module the
//! engine's instructions per delta went from ~20,200 to ~14,700 (below the raw SDK loop's
//! 17,100), and Converse's user CPU per delta in the VM from 3.9 to 2.8 µs, level with the
//! SSE path (BENCHMARKS.md, "Converse and InvokeModel streams without the SDK's
//! event-stream receiver").
//!
//! What stays the SDK's: building, validating and signing the request, the endpoint, the
//! credentials, retries, the HTTP connector and its pool, and every non-2xx response (its
//! errors map exactly as before). The client's interceptor ([`crate::hooks`], with the
//! call's [`take_body`] in its scope) takes the body of a successful response before the
//! SDK deserializes it and gives the SDK's receiver a [`Feed`] in its place. The call then
//! reads the real body itself ([`Frames`]): each HTTP
//! chunk is appended to one buffer, whole frames are cut from it (bounded by
//! [`MAX_FRAME_BYTES`] before anything is buffered for them), and each frame is checked
//! (both CRCs, the header block walked exactly, UTF-8 names and strings) and read in place
//! by `parse_frame`; a frame it does not take goes to
//! `aws_smithy_eventstream::frame::read_message_from` (what the SDK's `MessageFrameDecoder`
//! calls once a frame is whole), whose error the call then reports.
//!
//! The per-delta events (Converse `contentBlockDelta` with text, tool input or reasoning
//! text/signature; InvokeModel `chunk`) are parsed with serde into borrowed slices, after a
//! byte-for-byte check for Bedrock's plain text delta (`plain_text_delta`), which needs no
//! parser. Every
//! other frame (messageStart, contentBlockStart/Stop, messageStop, metadata with usage,
//! metrics and the guardrail trace, every exception, unknown events, and any delta whose
//! JSON is not exactly the shape the fast path knows) is handed, as its original bytes, to
//! the SDK's own receiver through the [`Feed`] and comes back as the SDK's typed event or
//! error. So the few events per call that carry structure keep the SDK's deserializers
//! (and the guardrail trace its typed conversion), and an exception or a malformed event
//! maps to exactly the error the SDK path gave; only the shape of a delta is ours.

use crate::call::sdk_error;
use aws_sdk_bedrockruntime::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_bedrockruntime::primitives::event_stream::EventReceiver;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::event_stream::{HeaderValue, Message};
use aybiza_core::error::{Error, ErrorKind};
use bytes::{Bytes, BytesMut};
use futures_util::FutureExt;
use http_body_util::BodyExt;
use serde::de::IgnoredAny;
use serde::Deserialize;
use std::borrow::Cow;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

/// The largest event-stream frame accepted: the protocol's maximum message size, 16 MiB
/// (`AWS_EVENT_STREAM_MAX_MESSAGE_SIZE` in awslabs/aws-c-event-stream,
/// include/aws/event-stream/event_stream.h). A larger length in a prelude is corrupt
/// framing, refused before anything is buffered for it (the SDK's receiver buffers
/// whatever the prelude announces).
pub(crate) const MAX_FRAME_BYTES: usize = 16 << 20;

/// Prelude (total length, headers length, prelude CRC) and message CRC.
const MIN_FRAME_BYTES: usize = 16;

/// The largest header block accepted: the protocol's 128 KiB
/// (`AWS_EVENT_STREAM_MAX_HEADERS_SIZE`, the same header file). Bedrock's frames carry three
/// short string headers; a 16 MiB block of 3-byte headers decodes to ~5.6 M header structs
/// and name allocations (hundreds of MB and seconds of the shard's only thread, which every
/// other call on the shard waits for).
pub(crate) const MAX_HEADERS_BYTES: usize = 128 << 10;

/// Where [`TakeBody`] puts the body of a successful response.
#[derive(Clone, Default, Debug)]
pub(crate) struct BodySlot(Arc<Mutex<Option<SdkBody>>>);

impl BodySlot {
    pub(crate) fn take(&self) -> Option<SdkBody> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

/// Takes a 2xx response's body before the SDK deserializes it (the SDK's event-stream
/// deserializer then wraps the [`Feed`] instead). Non-2xx responses are left alone: the SDK
/// reads and maps their errors as before. Run by the client's [`crate::hooks::CallHooks`]
/// interceptor for the call whose scope holds it.
#[derive(Debug)]
pub(crate) struct TakeBody {
    slot: BodySlot,
    feed: Feed,
}

/// The taker for one call, the slot its body lands in and the feed the SDK's receiver
/// reads instead.
pub(crate) fn take_body() -> (TakeBody, BodySlot, Feed) {
    let slot = BodySlot::default();
    let feed = Feed::default();
    let taker = TakeBody {
        slot: slot.clone(),
        feed: feed.clone(),
    };
    (taker, slot, feed)
}

impl TakeBody {
    pub(crate) fn take(&self, response: &mut HttpResponse) {
        // The SDK's streaming deserializer takes every 2xx as the event stream.
        if response.status().is_success() {
            let feed = SdkBody::from_body_1_x(self.feed.clone());
            let body = std::mem::replace(response.body_mut(), feed);
            *self.slot.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(body);
        }
    }
}

/// The body the SDK's receiver reads once the real one is taken: one frame at a time, put
/// there by [`Frames::through_sdk`] right before it asks the receiver for an event.
#[derive(Clone, Default, Debug)]
pub(crate) struct Feed(Arc<Mutex<Option<Bytes>>>);

impl http_body::Body for Feed {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        // Never pending in use: the receiver is only polled (once, without a waker) right
        // after a whole frame was put here.
        match self.0.lock().unwrap_or_else(|p| p.into_inner()).take() {
            Some(bytes) => Poll::Ready(Some(Ok(http_body::Frame::data(bytes)))),
            None => Poll::Pending,
        }
    }
}

/// One decoded frame and its bytes as they came (for the SDK's receiver).
pub(crate) struct Frame {
    parts: Parts,
    raw: Bytes,
}

/// Where a frame's headers and payload are.
enum Parts {
    /// Offsets into `raw` ([`parse_frame`]): every frame Bedrock sends.
    Fast(FrameParts),
    /// The SDK's decoding, for a frame the slice parser left to it.
    Sdk(Message),
}

/// A checked frame's payload and the two headers the fast path reads, as byte ranges of the
/// frame. `None` for a header that is absent; `Some(None)` when its first occurrence is not a
/// string (as `Message::headers().find` on the SDK's decoding).
#[derive(Debug, Clone, PartialEq, Eq)]
struct FrameParts {
    payload: (usize, usize),
    message_type: Option<Option<(usize, usize)>>,
    event_type: Option<Option<(usize, usize)>>,
}

/// The checks of `aws_smithy_eventstream::frame::read_message_from` on one whole frame,
/// without its per-byte CRC buffer or a `Bytes` and a `Vec` per header: per lone text delta
/// that decoder was ~4,000 instructions of the ~17,700 the shard spends in user space
/// (callgrind, BENCHMARKS.md "One lone paced delta on the shard"). Both checksums are
/// verified, the header block must be walked exactly, names and string values must be UTF-8.
/// `None` for anything else (the caller then asks the SDK's decoder, for its error text):
/// a frame taken here is one the SDK decodes to the same headers and payload (tests).
fn parse_frame(raw: &[u8]) -> Option<FrameParts> {
    let be32 = |at: usize| -> Option<u32> {
        Some(u32::from_be_bytes(raw.get(at..at + 4)?.try_into().ok()?))
    };
    let total = be32(0)? as usize;
    let headers_len = be32(4)? as usize;
    if total != raw.len() || total < MIN_FRAME_BYTES {
        return None;
    }
    if crc32fast::hash(&raw[..8]) != be32(8)? {
        return None;
    }
    if crc32fast::hash(&raw[..total - 4]) != be32(total - 4)? {
        return None;
    }
    let headers_end = 12usize.checked_add(headers_len)?;
    if headers_end > total - 4 {
        return None;
    }
    let mut parts = FrameParts {
        payload: (headers_end, total - 4),
        message_type: None,
        event_type: None,
    };
    let mut at = 12;
    while at < headers_end {
        let name_len = *raw.get(at)? as usize;
        let name = raw.get(at + 1..at + 1 + name_len)?;
        std::str::from_utf8(name).ok()?;
        at += 1 + name_len;
        let kind = *raw.get(at)?;
        at += 1;
        let mut string = None;
        let size = match kind {
            0 | 1 => 0,
            2 => 1,
            3 => 2,
            4 => 4,
            5 | 8 => 8,
            9 => 16,
            6 | 7 => {
                let len = u16::from_be_bytes(raw.get(at..at + 2)?.try_into().ok()?) as usize;
                at += 2;
                if kind == 7 {
                    std::str::from_utf8(raw.get(at..at + len)?).ok()?;
                    string = Some((at, at + len));
                }
                len
            }
            _ => return None,
        };
        at += size;
        if at > headers_end {
            return None;
        }
        let slot = match name {
            b":message-type" => &mut parts.message_type,
            b":event-type" => &mut parts.event_type,
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(string);
        }
    }
    Some(parts)
}

impl Frame {
    fn header(&self, name: &str) -> Option<&str> {
        let range = match &self.parts {
            Parts::Fast(p) => match name {
                ":message-type" => p.message_type.flatten(),
                ":event-type" => p.event_type.flatten(),
                _ => None,
            },
            Parts::Sdk(message) => {
                return message
                    .headers()
                    .iter()
                    .find(|h| h.name().as_str() == name)
                    .and_then(|h| match h.value() {
                        HeaderValue::String(s) => Some(s.as_str()),
                        _ => None,
                    })
            }
        }?;
        // Checked UTF-8 in `parse_frame`.
        std::str::from_utf8(&self.raw[range.0..range.1]).ok()
    }

    fn payload(&self) -> &[u8] {
        match &self.parts {
            Parts::Fast(p) => &self.raw[p.payload.0..p.payload.1],
            Parts::Sdk(message) => message.payload(),
        }
    }

    /// The `:event-type` of an `event` message (`None` for exceptions and errors).
    pub(crate) fn event_type(&self) -> Option<&str> {
        match self.header(":message-type") {
            Some("event") => self.header(":event-type"),
            _ => None,
        }
    }
}

/// The frames of a taken event-stream body.
pub(crate) struct Frames {
    body: SdkBody,
    buf: BytesMut,
    feed: Feed,
}

impl Frames {
    pub(crate) fn new(body: SdkBody, feed: Feed) -> Self {
        Frames {
            body,
            buf: BytesMut::new(),
            feed,
        }
    }

    /// Reads the body's next HTTP frame into the buffer; `false` once the body ended. The
    /// error is the transport's, mapped as the SDK's receiver mapped it (a dispatch failure
    /// with the I/O error).
    pub(crate) async fn fill(&mut self) -> Result<bool, Error> {
        match self.body.frame().await {
            None => Ok(false),
            Some(Err(e)) => Err(crate::errors::broke_off(&*e)),
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    self.buf.extend_from_slice(&data);
                }
                Ok(true)
            }
        }
    }

    /// The next whole frame in the buffer, decoded and CRC-checked; `None` until one is
    /// whole. A frame whose prelude announces more than [`MAX_FRAME_BYTES`] (or less than a
    /// frame's fixed part) is an error as soon as its length is read.
    pub(crate) fn next_frame(&mut self) -> Result<Option<Frame>, Error> {
        if self.buf.len() < 4 {
            return Ok(None);
        }
        let total = u32::from_be_bytes([self.buf[0], self.buf[1], self.buf[2], self.buf[3]]);
        let total = total as usize;
        if !(MIN_FRAME_BYTES..=MAX_FRAME_BYTES).contains(&total) {
            return Err(Error::new(
                ErrorKind::Protocol,
                format!(
                    "unreadable event stream from Bedrock: a frame of {total} bytes \
                     (the protocol allows {MIN_FRAME_BYTES} to {MAX_FRAME_BYTES})"
                ),
            ));
        }
        if self.buf.len() < 8 {
            return Ok(None);
        }
        let headers = u32::from_be_bytes([self.buf[4], self.buf[5], self.buf[6], self.buf[7]]);
        let headers = headers as usize;
        if headers > MAX_HEADERS_BYTES {
            return Err(Error::new(
                ErrorKind::Protocol,
                format!(
                    "unreadable event stream from Bedrock: a frame with {headers} bytes of \
                     headers (the protocol allows {MAX_HEADERS_BYTES})"
                ),
            ));
        }
        if self.buf.len() < total {
            return Ok(None);
        }
        let raw = self.buf.split_to(total).freeze();
        if let Some(parts) = parse_frame(&raw) {
            return Ok(Some(Frame {
                parts: Parts::Fast(parts),
                raw,
            }));
        }
        // Anything the slice parser does not take whole (bad checksums or lengths, an
        // unknown header type, invalid UTF-8) gets exactly the SDK's decoder and its error.
        let message = aws_smithy_eventstream::frame::read_message_from(&raw[..]).map_err(|e| {
            // Checksums and lengths only: nothing of the payload is in the text.
            Error::new(
                ErrorKind::Protocol,
                format!("unreadable event stream from Bedrock: {e}"),
            )
        })?;
        Ok(Some(Frame {
            parts: Parts::Sdk(message),
            raw,
        }))
    }

    /// Whether bytes of an unfinished frame are buffered (a body that ends here was cut
    /// inside an event).
    pub(crate) fn has_partial(&self) -> bool {
        !self.buf.is_empty()
    }

    /// Decodes `frame` with the SDK's own receiver (its typed event, or its error mapped as
    /// the SDK path maps it).
    pub(crate) fn through_sdk<T, E>(
        &self,
        receiver: &mut EventReceiver<T, E>,
        frame: Frame,
    ) -> Result<Option<T>, Error>
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        *self.feed.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(frame.raw);
        match receiver.recv().now_or_never() {
            Some(Ok(event)) => Ok(event),
            Some(Err(SdkError::ResponseError(_))) => Err(crate::errors::unreadable_event()),
            Some(Err(e)) => Err(sdk_error(e)),
            None => Err(Error::new(
                ErrorKind::Internal,
                "the SDK's event-stream receiver did not decode a whole frame",
            )),
        }
    }
}

/// A ConverseStream `contentBlockDelta` payload in the shapes the fast path handles.
#[derive(Deserialize)]
struct DeltaEvent<'a> {
    #[serde(rename = "contentBlockIndex")]
    index: i32,
    #[serde(borrow)]
    delta: DeltaUnion<'a>,
}

/// The `ContentBlockDelta` union as JSON: one member. Anything else (another member such as
/// citation or image, two members, none) goes to the SDK's unmarshaller.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeltaUnion<'a> {
    #[serde(borrow, default)]
    text: Option<Cow<'a, str>>,
    #[serde(rename = "toolUse", borrow, default)]
    tool_use: Option<ToolUseDelta<'a>>,
    #[serde(rename = "reasoningContent", borrow, default)]
    reasoning: Option<ReasoningUnion<'a>>,
    #[serde(rename = "__type", default)]
    _type: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct ToolUseDelta<'a> {
    #[serde(borrow)]
    input: Cow<'a, str>,
}

/// `ReasoningContentBlockDelta`: text or signature (redactedContent goes to the SDK).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReasoningUnion<'a> {
    #[serde(borrow, default)]
    text: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    signature: Option<Cow<'a, str>>,
    #[serde(rename = "__type", default)]
    _type: Option<IgnoredAny>,
}

/// What a Converse delta carries.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Delta<'a> {
    Text(Cow<'a, str>),
    ToolInput(Cow<'a, str>),
    ReasoningText(Cow<'a, str>),
    ReasoningSignature(Cow<'a, str>),
}

impl Delta<'_> {
    pub(crate) fn len(&self) -> usize {
        match self {
            Delta::Text(s)
            | Delta::ToolInput(s)
            | Delta::ReasoningText(s)
            | Delta::ReasoningSignature(s) => s.len(),
        }
    }
}

/// The content block index and delta of a `contentBlockDelta` event, when its payload has
/// exactly a shape the fast path knows; `None` sends the frame to the SDK's unmarshaller.
pub(crate) fn converse_delta(frame: &Frame) -> Option<(i64, Delta<'_>)> {
    if frame.event_type() != Some("contentBlockDelta") {
        return None;
    }
    if let Some((index, text)) = plain_text_delta(frame.payload()) {
        return Some((i64::from(index), Delta::Text(Cow::Borrowed(text))));
    }
    serde_delta(frame.payload())
}

/// A delta payload through serde (the path `plain_text_delta` short-cuts).
fn serde_delta(payload: &[u8]) -> Option<(i64, Delta<'_>)> {
    let ev: DeltaEvent<'_> = serde_json::from_str(json_text(payload)?).ok()?;
    let DeltaUnion {
        text,
        tool_use,
        reasoning,
        ..
    } = ev.delta;
    let delta = match (text, tool_use, reasoning) {
        (Some(t), None, None) => Delta::Text(t),
        (None, Some(tu), None) => Delta::ToolInput(tu.input),
        (None, None, Some(r)) => match (r.text, r.signature) {
            (Some(t), None) => Delta::ReasoningText(t),
            (None, Some(s)) => Delta::ReasoningSignature(s),
            _ => return None,
        },
        _ => return None,
    };
    Some((i64::from(ev.index), delta))
}

/// The text delta as Bedrock writes it, byte for byte:
/// `{"contentBlockIndex":N,"delta":{"text":"..."}}` with an optional `,"p":"..."` (the
/// padding member) before the last brace, strings without escapes or control characters.
/// About a tenth of serde's instructions for the most common payload of a call; `None`
/// for anything else (whitespace, another order, an escape, a negative or out-of-range
/// index), which serde then decodes. What it takes, serde decodes to the same index and
/// text (tests).
fn plain_text_delta(payload: &[u8]) -> Option<(i32, &str)> {
    let rest = payload.strip_prefix(br#"{"contentBlockIndex":"#)?;
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || digits > 10 || (digits > 1 && rest[0] == b'0') {
        return None;
    }
    let index: i32 = std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()?;
    let rest = rest[digits..].strip_prefix(br#","delta":{"text":""#)?;
    let (text, rest) = plain_string(rest)?;
    let rest = rest.strip_prefix(b"}")?;
    let rest = match rest.strip_prefix(br#","p":""#) {
        Some(p) => plain_string(p)?.1,
        None => rest,
    };
    if rest != b"}" {
        return None;
    }
    Some((index, text))
}

/// The string before the next `"` and what follows that quote, if the string has no
/// escape or control character and is UTF-8.
fn plain_string(bytes: &[u8]) -> Option<(&str, &[u8])> {
    let end = bytes
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
    if bytes[end] != b'"' {
        return None;
    }
    Some((std::str::from_utf8(&bytes[..end]).ok()?, &bytes[end + 1..]))
}

/// The payload as text, for serde: `from_slice` checks UTF-8 only in the strings it keeps,
/// not in those it skips (an unknown member, `__type`, the padding), where the SDK's
/// unmarshaller refuses the event. `None` sends the frame to the SDK.
fn json_text(payload: &[u8]) -> Option<&str> {
    std::str::from_utf8(payload).ok()
}

/// An InvokeModelWithResponseStream `chunk` payload.
#[derive(Deserialize)]
struct ChunkEvent<'a> {
    #[serde(borrow, default)]
    bytes: Option<Cow<'a, str>>,
}

/// The decoded `bytes` of a `chunk` event (`Some(None)`: a chunk without bytes); `None`
/// sends the frame to the SDK's unmarshaller. The base64 decoder is the SDK's own.
pub(crate) fn invoke_chunk(frame: &Frame) -> Option<Option<Vec<u8>>> {
    if frame.event_type() != Some("chunk") {
        return None;
    }
    let ev: ChunkEvent<'_> = serde_json::from_str(json_text(frame.payload())?).ok()?;
    match ev.bytes {
        None => Some(None),
        Some(b64) => aws_smithy_types::base64::decode(b64.as_ref())
            .ok()
            .map(Some),
    }
}

/// The slice parser, the delta fast path and the frame cutter for the cargo-fuzz target
/// `eventstream` (native/fuzz), which checks them against the SDK's decoder and serde. Not an
/// API: nothing else may use it.
#[doc(hidden)]
pub mod fuzz {
    use super::*;

    /// A frame as [`parse_frame`] reads it: payload, first `:message-type`, first
    /// `:event-type` (`Some(None)`: present, not a string).
    pub type View<'a> = (&'a [u8], Option<Option<&'a str>>, Option<Option<&'a str>>);

    pub fn parse_frame(raw: &[u8]) -> Option<View<'_>> {
        let p = super::parse_frame(raw)?;
        let s = |r: Option<Option<(usize, usize)>>| {
            r.map(|r| r.map(|(a, b)| std::str::from_utf8(&raw[a..b]).expect("checked UTF-8")))
        };
        Some((
            &raw[p.payload.0..p.payload.1],
            s(p.message_type),
            s(p.event_type),
        ))
    }

    pub fn plain_text_delta(payload: &[u8]) -> Option<(i32, &str)> {
        super::plain_text_delta(payload)
    }

    /// The delta as the call reads it (fast path, then serde) and as serde alone reads it.
    pub fn deltas(payload: &[u8]) -> (Option<String>, Option<String>) {
        let fast = super::plain_text_delta(payload)
            .map(|(i, t)| (i64::from(i), Delta::Text(Cow::Borrowed(t))))
            .or_else(|| serde_delta(payload));
        let serde = serde_delta(payload);
        (
            fast.map(|d| format!("{d:?}")),
            serde.map(|d| format!("{d:?}")),
        )
    }

    /// One outcome of [`Frames::next_frame`]: the frame's bytes, payload and event type, or
    /// the error's text.
    pub type Cut = Result<(Vec<u8>, Vec<u8>, Option<String>), String>;

    /// Feeds `chunks` to a [`Frames`] as the call does (each chunk appended, then every whole
    /// frame taken), up to the first error; whether bytes of a frame were left, and the
    /// largest the buffer grew.
    pub fn cut<'a>(chunks: impl IntoIterator<Item = &'a [u8]>) -> (Vec<Cut>, bool, usize) {
        let mut frames = Frames::new(SdkBody::empty(), Feed::default());
        let mut out = Vec::new();
        let mut high = 0;
        for chunk in chunks {
            frames.buf.extend_from_slice(chunk);
            high = high.max(frames.buf.len());
            loop {
                match frames.next_frame() {
                    Ok(Some(f)) => out.push(Ok((
                        f.raw.to_vec(),
                        f.payload().to_vec(),
                        f.event_type().map(str::to_string),
                    ))),
                    Ok(None) => break,
                    Err(e) => {
                        out.push(Err(e.message));
                        return (out, frames.has_partial(), high);
                    }
                }
            }
        }
        (out, frames.has_partial(), high)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_eventstream::frame::write_message_to;
    use aws_smithy_types::event_stream::Header;

    /// A seeded xorshift64 generator: the mutation tests draw the same cases on every run.
    fn xorshift(seed: u64) -> impl FnMut() -> u64 {
        let mut x = seed;
        move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        }
    }

    fn frame_bytes(message_type: &str, kind: &str, payload: &str) -> Vec<u8> {
        let type_header = if message_type == "event" {
            ":event-type"
        } else {
            ":exception-type"
        };
        let message = Message::new(Bytes::copy_from_slice(payload.as_bytes()))
            .add_header(Header::new(
                ":message-type",
                HeaderValue::String(message_type.to_string().into()),
            ))
            .add_header(Header::new(
                type_header,
                HeaderValue::String(kind.to_string().into()),
            ))
            .add_header(Header::new(
                ":content-type",
                HeaderValue::String("application/json".into()),
            ));
        let mut out = Vec::new();
        write_message_to(&message, &mut out).unwrap();
        out
    }

    fn frames_of(chunks: Vec<Vec<u8>>) -> Frames {
        let mut frames = Frames::new(SdkBody::empty(), Feed::default());
        for c in chunks {
            frames.buf.extend_from_slice(&c);
        }
        frames
    }

    fn delta_of(payload: &str) -> Option<(i64, String)> {
        let mut frames = frames_of(vec![frame_bytes("event", "contentBlockDelta", payload)]);
        let frame = frames.next_frame().unwrap().unwrap();
        converse_delta(&frame).map(|(i, d)| (i, format!("{d:?}")))
    }

    #[test]
    fn the_fast_path_takes_the_delta_shapes_it_knows_and_nothing_else() {
        let text = delta_of(r#"{"contentBlockIndex":2,"delta":{"text":"Hi \"there\""},"p":"x"}"#);
        assert_eq!(text, Some((2, r#"Text("Hi \"there\"")"#.to_string())));
        assert_eq!(
            delta_of(r#"{"contentBlockIndex":1,"delta":{"toolUse":{"input":"{\"a\":"}}}"#),
            Some((1, r#"ToolInput("{\"a\":")"#.to_string()))
        );
        assert_eq!(
            delta_of(r#"{"contentBlockIndex":0,"delta":{"reasoningContent":{"text":"hm"}}}"#),
            Some((0, r#"ReasoningText("hm")"#.to_string()))
        );
        assert_eq!(
            delta_of(r#"{"contentBlockIndex":0,"delta":{"reasoningContent":{"signature":"s"}}}"#),
            Some((0, r#"ReasoningSignature("s")"#.to_string()))
        );
        // A null member is absent (as in the SDK's union deserializer); __type is ignored.
        assert_eq!(
            delta_of(r#"{"contentBlockIndex":0,"delta":{"__type":"x","toolUse":null,"text":"a"}}"#),
            Some((0, r#"Text("a")"#.to_string()))
        );
        // Everything else is the SDK's to decide (unknown members, two members, none, a
        // missing or fractional index, redacted reasoning, broken JSON).
        for payload in [
            r#"{"contentBlockIndex":0,"delta":{"citation":{"title":"t"}}}"#,
            r#"{"contentBlockIndex":0,"delta":{"text":"a","toolUse":{"input":"{}"}}}"#,
            r#"{"contentBlockIndex":0,"delta":{}}"#,
            r#"{"delta":{"text":"a"}}"#,
            r#"{"contentBlockIndex":1.5,"delta":{"text":"a"}}"#,
            r#"{"contentBlockIndex":0,"delta":{"reasoningContent":{"redactedContent":"AA=="}}}"#,
            r#"{"contentBlockIndex":0,"delta":{"text":"a"}"#,
        ] {
            assert_eq!(delta_of(payload), None, "{payload}");
        }
    }

    /// serde's decoding of a text delta (the path `plain_text_delta` short-cuts).
    fn serde_text(payload: &[u8]) -> Option<(i32, String)> {
        let ev: DeltaEvent<'_> = serde_json::from_slice(payload).ok()?;
        match ev.delta {
            DeltaUnion {
                text: Some(t),
                tool_use: None,
                reasoning: None,
                ..
            } => Some((ev.index, t.into_owned())),
            _ => None,
        }
    }

    #[test]
    fn plain_text_deltas_decode_as_serde_decodes_them() {
        let taken = [
            r#"{"contentBlockIndex":0,"delta":{"text":"Hello. "}}"#,
            r#"{"contentBlockIndex":7,"delta":{"text":"é ü 日本"},"p":"abcdefgh"}"#,
            r#"{"contentBlockIndex":2147483647,"delta":{"text":""},"p":""}"#,
        ];
        for payload in taken {
            let ours = plain_text_delta(payload.as_bytes()).map(|(i, t)| (i, t.to_string()));
            assert!(ours.is_some(), "{payload}");
            assert_eq!(ours, serde_text(payload.as_bytes()), "{payload}");
        }
        // Left to serde: escapes, whitespace, other orders and members, bad numbers.
        let left = [
            r#"{"contentBlockIndex":0,"delta":{"text":"a\"b"}}"#,
            r#"{"contentBlockIndex":0,"delta":{"text":"a\nb"}}"#,
            r#"{"contentBlockIndex":0, "delta":{"text":"a"}}"#,
            r#"{"delta":{"text":"a"},"contentBlockIndex":0}"#,
            r#"{"contentBlockIndex":0,"delta":{"text":"a"},"p":"x","q":1}"#,
            r#"{"contentBlockIndex":0,"delta":{"text":"a","toolUse":null}}"#,
            r#"{"contentBlockIndex":01,"delta":{"text":"a"}}"#,
            r#"{"contentBlockIndex":-1,"delta":{"text":"a"}}"#,
            r#"{"contentBlockIndex":2147483648,"delta":{"text":"a"}}"#,
            r#"{"contentBlockIndex":0,"delta":{"text":"a"}} "#,
            r#"{"contentBlockIndex":0,"delta":{"text":"a"}"#,
        ];
        for payload in left {
            assert_eq!(plain_text_delta(payload.as_bytes()), None, "{payload}");
        }
        // Mutations of a padded delta: whatever the scanner takes, serde reads the same.
        let seed = br#"{"contentBlockIndex":3,"delta":{"text":"Hi there."},"p":"abcd"}"#;
        let mut next = xorshift(0x2545_F491_4F6C_DD1D);
        let mut taken = 0;
        for _ in 0..50_000 {
            let mut p = seed.to_vec();
            for _ in 0..(1 + next() % 3) {
                let at = (next() as usize) % p.len();
                match next() % 4 {
                    0 => p[at] = next() as u8,
                    1 => p[at] = b"\"\\{}:,0123456789 \x01\xc3\xa9"[(next() % 18) as usize],
                    2 => {
                        p.remove(at);
                    }
                    _ => p.insert(at, b"\"\\}0 "[(next() % 5) as usize]),
                }
            }
            if let Some((i, t)) = plain_text_delta(&p) {
                taken += 1;
                assert_eq!(
                    Some((i, t.to_string())),
                    serde_text(&p),
                    "{}",
                    String::from_utf8_lossy(&p)
                );
            }
        }
        assert!(taken > 2_000, "{taken}");
    }

    #[test]
    fn frames_split_across_chunks_and_several_per_chunk_decode_in_order() {
        let a = frame_bytes(
            "event",
            "contentBlockDelta",
            r#"{"contentBlockIndex":0,"delta":{"text":"a"}}"#,
        );
        let b = frame_bytes(
            "event",
            "contentBlockDelta",
            r#"{"contentBlockIndex":0,"delta":{"text":"b"}}"#,
        );
        let mut all = a.clone();
        all.extend_from_slice(&b);
        let mut frames = frames_of(vec![all[..3].to_vec()]);
        assert!(frames.next_frame().unwrap().is_none());
        frames.buf.extend_from_slice(&all[3..a.len() + 5]);
        let first = frames.next_frame().unwrap().unwrap();
        assert_eq!(converse_delta(&first).unwrap().1, Delta::Text("a".into()));
        assert!(frames.next_frame().unwrap().is_none());
        assert!(frames.has_partial());
        frames.buf.extend_from_slice(&all[a.len() + 5..]);
        let second = frames.next_frame().unwrap().unwrap();
        assert_eq!(converse_delta(&second).unwrap().1, Delta::Text("b".into()));
        assert!(!frames.has_partial());
    }

    #[test]
    fn an_oversized_or_undersized_prelude_and_a_bad_crc_are_protocol_errors() {
        // 2 GiB announced: refused at once, nothing more is read or buffered for it.
        let mut frames = frames_of(vec![vec![0x80, 0, 0, 0, 0, 0]]);
        let e = frames.next_frame().err().unwrap();
        assert_eq!(e.kind, ErrorKind::Protocol);
        assert!(e.message.contains("2147483648 bytes"), "{}", e.message);
        let mut frames = frames_of(vec![vec![0, 0, 0, 8]]);
        assert_eq!(frames.next_frame().err().unwrap().kind, ErrorKind::Protocol);
        let mut bad = frame_bytes(
            "event",
            "contentBlockDelta",
            r#"{"contentBlockIndex":0,"delta":{"text":"a"}}"#,
        );
        let n = bad.len();
        bad[n - 6] ^= 0x20; // a payload byte: the message CRC no longer matches
        let e = frames_of(vec![bad]).next_frame().err().unwrap();
        assert_eq!(e.kind, ErrorKind::Protocol);
        assert!(e.message.contains("checksum"), "{}", e.message);
    }

    #[test]
    fn a_header_block_over_128_kib_is_refused_at_its_prelude() {
        // 1 MiB frame, 1 MiB - 16 bytes of headers announced: refused with 8 bytes read.
        let mut frames = frames_of(vec![vec![0, 0x10, 0, 0, 0, 0x0f, 0xff, 0xf0]]);
        let e = frames.next_frame().err().unwrap();
        assert_eq!(e.kind, ErrorKind::Protocol);
        assert!(
            e.message.contains("1048560 bytes of headers"),
            "{}",
            e.message
        );
        // 128 KiB exactly is allowed (and waits for the rest of the frame).
        let mut frames = frames_of(vec![vec![0, 0x10, 0, 0, 0, 0x02, 0, 0]]);
        assert!(frames.next_frame().unwrap().is_none());
    }

    /// CRC-32 (IEEE), the event stream's checksum.
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    0xEDB8_8320 ^ (crc >> 1)
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn mutated_frames_with_valid_checksums_never_panic() {
        // Random byte changes, cuts and growths of real frames, with both checksums made
        // right again so the decoder reads past them: every outcome is a frame, an error or
        // "wait for more", never a panic (a panic on a shard ends the call as :internal; in
        // a NIF it would be worse).
        let seeds = [
            frame_bytes(
                "event",
                "contentBlockDelta",
                r#"{"contentBlockIndex":0,"delta":{"text":"Hi"}}"#,
            ),
            frame_bytes("event", "chunk", r#"{"bytes":"eyJhIjoxfQ=="}"#),
            frame_bytes("exception", "throttlingException", r#"{"message":"x"}"#),
        ];
        let mut next = xorshift(0x9E37_79B9_7F4A_7C15);
        let mut decoded = 0;
        let mut fast = 0;
        for _ in 0..30_000 {
            let mut f = seeds[(next() % 3) as usize].clone();
            for _ in 0..(1 + next() % 4) {
                let at = (next() as usize) % f.len();
                match next() % 4 {
                    0 => f[at] = next() as u8,
                    1 => f.truncate(at.max(16)),
                    2 => f.insert(at.max(12), next() as u8),
                    _ => f[at] ^= 1 << (next() % 8),
                }
            }
            // Lengths as they are now (sometimes), checksums always right.
            if next().is_multiple_of(2) {
                let total = f.len() as u32;
                f[..4].copy_from_slice(&total.to_be_bytes());
            }
            let crc = crc32(&f[..8]);
            f[8..12].copy_from_slice(&crc.to_be_bytes());
            let n = f.len();
            let crc = crc32(&f[..n - 4]);
            f[n - 4..].copy_from_slice(&crc.to_be_bytes());
            // A frame the slice parser takes is one the SDK's decoder takes, with the same
            // payload and the same two headers.
            if let Some(parts) = parse_frame(&f) {
                fast += 1;
                let message = aws_smithy_eventstream::frame::read_message_from(&f[..])
                    .unwrap_or_else(|e| panic!("the SDK refused a frame taken here: {e}"));
                let ours = Frame {
                    parts: Parts::Fast(parts),
                    raw: Bytes::from(f.clone()),
                };
                let sdk = Frame {
                    parts: Parts::Sdk(message),
                    raw: Bytes::from(f.clone()),
                };
                assert_eq!(ours.payload(), sdk.payload());
                for name in [":message-type", ":event-type"] {
                    assert_eq!(ours.header(name), sdk.header(name), "{name}");
                }
            }
            let mut frames = frames_of(vec![f]);
            if let Ok(Some(frame)) = frames.next_frame() {
                decoded += 1;
                let _ = frame.event_type();
                let _ = converse_delta(&frame);
                let _ = invoke_chunk(&frame);
            }
        }
        // The mutations reach the header and payload decoders, not just the checksums.
        assert!(decoded > 3_000, "{decoded}");
        assert!(fast > 3_000, "{fast}");
    }

    #[test]
    fn every_header_type_is_walked_by_the_slice_parser() {
        // Headers of every type before the two the fast path reads, a repeated name (the
        // first one counts, as on the SDK's decoding) and a non-string :message-type.
        let all = |message_type: HeaderValue| {
            let message = Message::new(Bytes::from_static(b"{}"))
                .add_header(Header::new("t", HeaderValue::Bool(true)))
                .add_header(Header::new("f", HeaderValue::Bool(false)))
                .add_header(Header::new("b", HeaderValue::Byte(-1)))
                .add_header(Header::new("s", HeaderValue::Int16(-2)))
                .add_header(Header::new("i", HeaderValue::Int32(-3)))
                .add_header(Header::new("l", HeaderValue::Int64(-4)))
                .add_header(Header::new(
                    "a",
                    HeaderValue::ByteArray(Bytes::from_static(&[0xff, 0])),
                ))
                .add_header(Header::new(
                    "d",
                    HeaderValue::Timestamp(aws_smithy_types::DateTime::from_secs(5)),
                ))
                .add_header(Header::new("u", HeaderValue::Uuid(7)))
                .add_header(Header::new(":message-type", message_type))
                .add_header(Header::new(
                    ":event-type",
                    HeaderValue::String("chunk".into()),
                ))
                .add_header(Header::new(
                    ":event-type",
                    HeaderValue::String("other".into()),
                ));
            let mut out = Vec::new();
            write_message_to(&message, &mut out).unwrap();
            out
        };
        let f = all(HeaderValue::String("event".into()));
        let mut frames = frames_of(vec![f]);
        let frame = frames.next_frame().unwrap().unwrap();
        assert!(matches!(frame.parts, Parts::Fast(_)));
        assert_eq!(frame.event_type(), Some("chunk"));
        assert_eq!(frame.payload(), b"{}");
        let mut frames = frames_of(vec![all(HeaderValue::Int32(1))]);
        let frame = frames.next_frame().unwrap().unwrap();
        assert!(matches!(frame.parts, Parts::Fast(_)));
        assert_eq!(frame.event_type(), None);
    }

    #[test]
    fn bad_checksums_get_the_sdk_decoders_error() {
        let mut f = frame_bytes("event", "chunk", "{}");
        let n = f.len();
        f[n - 1] ^= 1;
        assert_eq!(parse_frame(&f), None);
        let e = match frames_of(vec![f]).next_frame() {
            Err(e) => e,
            Ok(_) => panic!("a bad message checksum was taken"),
        };
        assert!(e.message.contains("checksum"), "{}", e.message);
    }

    #[test]
    fn chunks_decode_their_base64_bytes() {
        let b64 = aws_smithy_types::base64::encode(br#"{"type":"message_stop"}"#);
        let payload = format!(r#"{{"bytes":"{b64}"}}"#);
        let mut frames = frames_of(vec![frame_bytes("event", "chunk", &payload)]);
        let frame = frames.next_frame().unwrap().unwrap();
        assert_eq!(
            invoke_chunk(&frame),
            Some(Some(br#"{"type":"message_stop"}"#.to_vec()))
        );
        let mut frames = frames_of(vec![frame_bytes("event", "chunk", r#"{"bytes":"!!"}"#)]);
        assert_eq!(invoke_chunk(&frames.next_frame().unwrap().unwrap()), None);
        let mut frames = frames_of(vec![frame_bytes("exception", "chunk", "{}")]);
        assert_eq!(invoke_chunk(&frames.next_frame().unwrap().unwrap()), None);
    }
}
