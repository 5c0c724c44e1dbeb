//! Send-time stamps on text deltas, for delivery-latency benchmarks (`bin/bench`).
//!
//! With pacing `stamp` on (`"stamp": true`, spec `stamp=1`), every ConverseStream text delta
//! is sent with `T<wall-clock µs since the Unix epoch, 16 digits>Z ` in front of its text.
//! The stamp is taken right before the frame is handed to the connection, so a receiver that
//! subtracts it from its own clock (Elixir: `System.os_time(:microsecond)`) measures the
//! delivery latency: HTTP, SDK decoding, our engine and the message to the BEAM process.
//! The stamp starts with a capital letter, so a sentence end before it is still seen.
//!
//! Nova Sonic's audio (the same pacing `stamp`): every `audioOutput` chunk carries its send
//! time in its first [`AUDIO_STAMP_SAMPLES`] PCM samples, as sample values 0..=15 (at most
//! -66 dBFS: a client plays 1 ms of silence and notices nothing; the JSON is unchanged): 8
//! samples of [`AUDIO_STAMP_MAGIC`], then 16 samples holding the µs since the Unix epoch, 4
//! bits each, lowest first. `bench/sonic.exs` reads it from the `{:audio, pcm}` message to
//! measure what the library adds between the emulator's frame and the BEAM process.

use std::time::{SystemTime, UNIX_EPOCH};

#[cfg(test)]
use aws_smithy_eventstream::frame::{read_message_from, write_message_to};
#[cfg(test)]
use aws_smithy_types::event_stream::Message;
use bytes::Bytes;
use serde_json::Value;

/// The JSON that opens a text delta's text in a ConverseStream `contentBlockDelta` payload
/// and in a Messages API `text_delta` (serde_json writes object keys sorted, so `text` is
/// the first key of such a `delta`, and a quote inside a string value is always escaped:
/// the bytes can only be this structure, never text).
const TEXT_OPEN: &[u8] = br#""delta":{"text":""#;
/// What follows a Messages API text delta's text.
const SSE_TEXT_CLOSE: &[u8] = br#"","type":"text_delta"}"#;
/// `T<16 digits>Z `.
const STAMP_LEN: usize = 19;

fn now_micros() -> Option<u64> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?;
    u64::try_from(now.as_micros()).ok()
}

/// `T<micros, 16 digits>Z `; `None` past 16 digits (the year 2286).
fn stamp_text(micros: u64) -> Option<[u8; STAMP_LEN]> {
    if micros >= 10_000_000_000_000_000 {
        return None;
    }
    let mut out = *b"T0000000000000000Z ";
    let mut v = micros;
    for slot in out[1..17].iter_mut().rev() {
        *slot = b'0' + (v % 10) as u8;
        v /= 10;
    }
    Some(out)
}

/// `frame` with the current time stamped into its text delta; `None` for any other frame.
///
/// Called once per delta at the moment the frame is handed to the connection, so it
/// neither parses nor re-serializes: the stamp goes in front of the text (found by its
/// fixed JSON opening), the total length grows by the stamp's 19 bytes and both CRCs are
/// recomputed. The bytes are the ones a parse, edit and re-encode would give (tested).
pub fn stamp_frame(frame: &Bytes) -> Option<Bytes> {
    stamp_frame_at(frame, now_micros()?)
}

fn stamp_frame_at(frame: &[u8], micros: u64) -> Option<Bytes> {
    // Prelude: total length, headers length, prelude CRC; then headers, payload, CRC.
    if frame.len() < 16 {
        return None;
    }
    let word =
        |at: usize| u32::from_be_bytes([frame[at], frame[at + 1], frame[at + 2], frame[at + 3]]);
    let total = word(0) as usize;
    let payload_start = 12 + word(4) as usize;
    let payload_end = frame.len() - 4;
    if total != frame.len() || payload_start > payload_end {
        return None;
    }
    let at = payload_start + find(&frame[payload_start..payload_end], TEXT_OPEN)? + TEXT_OPEN.len();
    let stamp = stamp_text(micros)?;
    let new_total = u32::try_from(total + STAMP_LEN).ok()?;
    let mut out = Vec::with_capacity(total + STAMP_LEN);
    out.extend_from_slice(&new_total.to_be_bytes());
    out.extend_from_slice(&frame[4..8]);
    out.extend_from_slice(&crc32fast::hash(&out[..8]).to_be_bytes());
    out.extend_from_slice(&frame[12..at]);
    out.extend_from_slice(&stamp);
    out.extend_from_slice(&frame[at..payload_end]);
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_be_bytes());
    Some(Bytes::from(out))
}

/// An SSE `text_delta` event with the current time stamped into its text; `None` for any
/// other event. Like [`stamp_frame`], an insertion into the rendered bytes.
pub fn stamp_sse(frame: &Bytes) -> Option<Bytes> {
    stamp_sse_at(frame, now_micros()?)
}

fn stamp_sse_at(frame: &[u8], micros: u64) -> Option<Bytes> {
    let data = find(frame, b"data: ")? + 6;
    let at = data + find(&frame[data..], TEXT_OPEN)? + TEXT_OPEN.len();
    // Only a text_delta: the text's closing quote (the first unescaped one) is followed by
    // its type.
    let mut i = at;
    loop {
        match *frame.get(i)? {
            b'\\' => i += 2,
            b'"' => break,
            _ => i += 1,
        }
    }
    if !frame[i..].starts_with(SSE_TEXT_CLOSE) {
        return None;
    }
    let stamp = stamp_text(micros)?;
    let mut out = Vec::with_capacity(frame.len() + STAMP_LEN);
    out.extend_from_slice(&frame[..at]);
    out.extend_from_slice(&stamp);
    out.extend_from_slice(&frame[at..]);
    Some(Bytes::from(out))
}

/// The stamp the way it was written before (parse, edit, re-encode): the oracle the
/// insertion is checked against.
#[cfg(test)]
fn stamp_frame_reencoded(frame: &Bytes, micros: u64) -> Option<Bytes> {
    let message = read_message_from(frame.clone()).ok()?;
    let mut payload: Value = serde_json::from_slice(message.payload()).ok()?;
    let text = payload.pointer_mut("/delta/text")?;
    let delta = text.as_str()?;
    *text = Value::String(format!("T{micros:016}Z {delta}"));
    let stamped =
        Message::new_from_parts(message.headers().to_vec(), payload.to_string().into_bytes());
    let mut buf = Vec::new();
    write_message_to(&stamped, &mut buf).ok()?;
    Some(Bytes::from(buf))
}

#[cfg(test)]
fn stamp_sse_reencoded(frame: &Bytes, micros: u64) -> Option<Bytes> {
    let text = std::str::from_utf8(frame).ok()?;
    let (head, data) = text.split_once("data: ")?;
    let mut payload: Value = serde_json::from_str(data.trim_end()).ok()?;
    if payload.pointer("/delta/type")?.as_str()? != "text_delta" {
        return None;
    }
    let slot = payload.pointer_mut("/delta/text")?;
    let delta = slot.as_str()?;
    *slot = Value::String(format!("T{micros:016}Z {delta}"));
    Some(Bytes::from(format!("{head}data: {payload}\n\n")))
}

/// Sample values that open a stamped audio chunk.
pub const AUDIO_STAMP_MAGIC: [i16; 8] = [10, 5, 10, 5, 3, 12, 3, 12];
/// Samples a stamp takes (magic + 16 nibbles of the time).
pub const AUDIO_STAMP_SAMPLES: usize = 24;

/// Writes `micros` into the start of 16-bit little-endian PCM; false when too short.
pub fn stamp_pcm(pcm: &mut [u8], micros: u64) -> bool {
    if pcm.len() < AUDIO_STAMP_SAMPLES * 2 {
        return false;
    }
    let nibbles = (0..16).map(|i| ((micros >> (4 * i)) & 0xF) as i16);
    for (i, v) in AUDIO_STAMP_MAGIC.into_iter().chain(nibbles).enumerate() {
        pcm[2 * i..2 * i + 2].copy_from_slice(&v.to_le_bytes());
    }
    true
}

/// Reads a stamp written by [`stamp_pcm`] (the bench reads it in Elixir).
#[cfg(test)]
pub fn read_pcm_stamp(pcm: &[u8]) -> Option<u64> {
    if pcm.len() < AUDIO_STAMP_SAMPLES * 2 {
        return None;
    }
    let sample = |i: usize| i16::from_le_bytes([pcm[2 * i], pcm[2 * i + 1]]);
    if (0..8).any(|i| sample(i) != AUDIO_STAMP_MAGIC[i]) {
        return None;
    }
    let mut micros = 0u64;
    for i in 0..16 {
        let v = sample(8 + i);
        if !(0..16).contains(&v) {
            return None;
        }
        micros |= (v as u64) << (4 * i);
    }
    Some(micros)
}

/// Where the audio stamp sits in an encoded Nova Sonic `chunk` frame, so the writer can
/// stamp the frame at the moment hyper takes it for the connection ([`AudioStampSlot::stamp`])
/// rather than when the chunk was synthesised: queueing inside the emulator (100 sessions
/// producing a chunk in the same millisecond) must not count as the client's latency.
///
/// The frame is `{"bytes": base64(event JSON)}` and the event JSON holds the PCM as base64,
/// so the 48 stamp bytes are 64 characters of the inner base64, which are in turn a few
/// 3-byte groups of the outer base64: those groups are re-encoded in place and the message
/// CRC recomputed (the lengths never change).
#[derive(Debug, Clone)]
pub struct AudioStampSlot {
    /// The inner JSON bytes of the affected outer base64 groups (a multiple of 3).
    inner: Vec<u8>,
    /// Offset in `inner` of the PCM's base64 (64 characters).
    at: usize,
    /// Offset in the frame of the outer base64 characters of `inner`.
    frame_at: usize,
}

impl AudioStampSlot {
    /// Writes `micros` into the frame built by [`audio_chunk_frame`] and fixes its CRC.
    pub fn stamp(&self, frame: &mut [u8], micros: u64) {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD;
        let mut pcm = [0u8; AUDIO_STAMP_SAMPLES * 2];
        stamp_pcm(&mut pcm, micros);
        let mut inner = self.inner.clone();
        // 48 bytes are 64 base64 characters without padding.
        let _ = b64.encode_slice(pcm, &mut inner[self.at..self.at + 64]);
        let end = self.frame_at + inner.len() / 3 * 4;
        if end + 4 > frame.len() {
            return;
        }
        let _ = b64.encode_slice(&inner, &mut frame[self.frame_at..end]);
        let body = frame.len() - 4;
        let crc = crc32fast::hash(&frame[..body]);
        frame[body..].copy_from_slice(&crc.to_be_bytes());
    }

    /// Stamps with the current wall-clock time (µs since the Unix epoch).
    pub fn stamp_now(&self, frame: &mut [u8]) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_micros() as u64);
        self.stamp(frame, now);
    }
}

/// The `chunk` frame of a Nova Sonic `audioOutput` event with room for a send-time stamp
/// (written by [`AudioStampSlot::stamp`]); `None` for any other event or a chunk too short
/// to carry a stamp.
pub fn audio_chunk_frame(event: &Value) -> Option<(Vec<u8>, AudioStampSlot)> {
    const KEY: &[u8] = b"\"content\":\"";
    const BYTES: &[u8] = b"{\"bytes\":\"";
    // The stamp replaces the chunk's first 24 samples (64 base64 characters) when written.
    let content = event.pointer("/event/audioOutput/content")?.as_str()?;
    if content.len() < 64
        || !content
            .bytes()
            .take(64)
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
    {
        return None;
    }
    let json = event.to_string().into_bytes();
    let at = find(&json, KEY)? + KEY.len();
    if json.get(at..at + 64)? != &content.as_bytes()[..64] {
        return None;
    }
    let (first, last) = (at / 3, (at + 64).div_ceil(3));
    if last * 3 > json.len() {
        return None;
    }
    let frame = crate::render::eventstream::chunk(&json).to_vec();
    let outer = find(&frame, BYTES)? + BYTES.len();
    let slot = AudioStampSlot {
        inner: json[first * 3..last * 3].to_vec(),
        at: at - first * 3,
        frame_at: outer + first * 4,
    };
    Some((frame, slot))
}

/// The first position of `needle` in `haystack`. Runs once per stamped delta: it scans for
/// the needle's first byte and compares the rest only there, rather than comparing a whole
/// window (a `memcmp` call) at every position.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let (&first, rest) = needle.split_first()?;
    let last = haystack.len().checked_sub(needle.len())?;
    let mut from = 0;
    while from <= last {
        let at = from + haystack[from..=last].iter().position(|&b| b == first)?;
        if &haystack[at + 1..at + needle.len()] == rest {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// A Nova Sonic output event with the current time stamped into its audio (`audioOutput`
/// only; `None` for any other event or a chunk too short to carry a stamp).
#[cfg(test)]
pub fn stamp_audio_event(event: &Value) -> Option<Value> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .ok()?
        .as_micros();
    stamp_audio_event_at(event, u64::try_from(now).ok()?)
}

#[cfg(test)]
fn stamp_audio_event_at(event: &Value, micros: u64) -> Option<Value> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let content = event.pointer("/event/audioOutput/content")?.as_str()?;
    let mut pcm = b64.decode(content).ok()?;
    if !stamp_pcm(&mut pcm, micros) {
        return None;
    }
    let mut stamped = event.clone();
    *stamped.pointer_mut("/event/audioOutput/content")? = Value::String(b64.encode(&pcm));
    Some(stamped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::eventstream;
    use serde_json::json;

    #[test]
    fn find_is_the_first_window_that_matches() {
        let naive = |h: &[u8], n: &[u8]| h.windows(n.len()).position(|w| w == n);
        let hays: [&[u8]; 7] = [
            b"",
            b"\"",
            br#"{"contentBlockIndex":0,"delta":{"text":"a\"b"},"p":"xy"}"#,
            br#""delta":{"text":"x""delta":{"text":"y"#,
            br#""delta":{"text"#,
            br#"""""delta":{"text":""#,
            b"event: x\ndata: data: {}",
        ];
        let needles: [&[u8]; 4] = [TEXT_OPEN, b"data: ", b"\"", b"xy"];
        for h in hays {
            for n in needles {
                assert_eq!(find(h, n), naive(h, n), "{:?} in {:?}", n, h);
            }
        }
        assert_eq!(find(b"abc", b""), None);
    }

    #[test]
    fn stamps_audio_chunks_quietly_and_nothing_else() {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD;
        let pcm = vec![0x10u8; 1920];
        let event = json!({"event": {"audioOutput": {"content": b64.encode(&pcm),
                                                      "contentId": "c1", "role": "ASSISTANT"}}});
        let stamped = stamp_audio_event(&event).expect("an audio chunk is stamped");
        let out = b64
            .decode(stamped["event"]["audioOutput"]["content"].as_str().unwrap())
            .unwrap();
        assert_eq!(out.len(), pcm.len());
        assert_eq!(out[48..], pcm[48..], "only the first 24 samples change");
        let micros = read_pcm_stamp(&out).unwrap();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_micros() as u64;
        assert!(micros <= now && now - micros < 60_000_000);
        // Quiet: every stamp sample is 0..=15 (at most -66 dBFS).
        for i in 0..AUDIO_STAMP_SAMPLES {
            let v = i16::from_le_bytes([out[2 * i], out[2 * i + 1]]);
            assert!((0..16).contains(&v), "{v}");
        }
        assert_eq!(stamped["event"]["audioOutput"]["contentId"], "c1");
        // Not audio, or too short: untouched.
        assert!(stamp_audio_event(&json!({"event": {"textOutput": {"content": "hi"}}})).is_none());
        let short = json!({"event": {"audioOutput": {"content": b64.encode([0u8; 10])}}});
        assert!(stamp_audio_event(&short).is_none());
        // Ordinary audio carries no stamp.
        assert_eq!(read_pcm_stamp(&pcm), None);
        let mut round = vec![0u8; 48];
        assert!(stamp_pcm(&mut round, u64::MAX) && read_pcm_stamp(&round) == Some(u64::MAX));
    }

    #[test]
    fn audio_chunk_frames_are_stamped_in_place_when_written() {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD;
        let pcm: Vec<u8> = (0..1920u32).map(|i| (i % 251) as u8).collect();
        // A key before "content" moves the PCM's base64 through the three alignments of
        // the outer base64.
        for pad in ["", "x", "xy", "xyz"] {
            let event = json!({"event": {"audioOutput": {"a": pad, "content": b64.encode(&pcm),
                                                          "contentId": "c1", "role": "ASSISTANT"}}});
            stamps_in_place(&event, &pcm);
        }
        // Not audio, or too short to carry a stamp: no slot.
        assert!(audio_chunk_frame(&json!({"event": {"textOutput": {"content": "hi"}}})).is_none());
        let short = json!({"event": {"audioOutput": {"content": b64.encode([0u8; 10])}}});
        assert!(audio_chunk_frame(&short).is_none());
    }

    fn stamps_in_place(event: &Value, pcm: &[u8]) {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD;
        let (mut frame, slot) = audio_chunk_frame(event).expect("an audio chunk has a slot");
        let len = frame.len();
        for micros in [0u64, 1, 1_764_000_000_123_456, u64::MAX] {
            slot.stamp(&mut frame, micros);
            assert_eq!(frame.len(), len);
            // read_message_from checks both CRCs.
            let msg = read_message_from(Bytes::from(frame.clone())).expect("a valid frame");
            let part: Value = serde_json::from_slice(msg.payload()).unwrap();
            let inner = b64.decode(part["bytes"].as_str().unwrap()).unwrap();
            let inner: Value = serde_json::from_slice(&inner).unwrap();
            let out = b64
                .decode(inner["event"]["audioOutput"]["content"].as_str().unwrap())
                .unwrap();
            assert_eq!(read_pcm_stamp(&out), Some(micros));
            assert_eq!(out[48..], pcm[48..], "only the stamp samples change");
            assert_eq!(inner["event"]["audioOutput"]["contentId"], "c1");
        }
    }

    #[test]
    fn stamps_text_deltas_only() {
        let delta = eventstream::event(
            "contentBlockDelta",
            &json!({"contentBlockIndex": 0, "delta": {"text": "Hello. "}, "p": "ab"}),
        );
        let stamped = stamp_frame(&delta).expect("a text delta is stamped");
        let msg = read_message_from(stamped).unwrap();
        let v: Value = serde_json::from_slice(msg.payload()).unwrap();
        let text = v["delta"]["text"].as_str().unwrap();
        assert!(
            text.starts_with('T') && text.ends_with("Z Hello. "),
            "{text}"
        );
        let micros: u128 = text[1..17].parse().unwrap();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_micros();
        assert!(micros <= now && now - micros < 60_000_000);
        assert_eq!(msg.headers().len(), 3);

        let start = eventstream::event("messageStart", &json!({"role": "assistant"}));
        assert!(stamp_frame(&start).is_none());
    }

    /// Texts that exercise the JSON escapes and multi-byte UTF-8.
    const TEXTS: &[&str] = &[
        "Hello. ",
        "",
        "a \"quoted\" \\ back\\slash\n",
        "\"delta\":{\"text\":\"x",
        "caf\u{e9} \u{1F600} \u{7}",
    ];

    #[test]
    fn inserted_stamps_equal_the_reencoded_ones() {
        for (i, text) in TEXTS.iter().enumerate() {
            let micros = 1_764_000_000_123_456 + i as u64;
            let frame = eventstream::event(
                "contentBlockDelta",
                &json!({"contentBlockIndex": i, "delta": {"text": text}, "p": "abcdef"}),
            );
            let fast = stamp_frame_at(&frame, micros).expect("stamped");
            assert_eq!(
                fast,
                stamp_frame_reencoded(&frame, micros).unwrap(),
                "{text:?}"
            );
            // read_message_from checks the prelude and message CRCs.
            let msg = read_message_from(fast).unwrap();
            let v: Value = serde_json::from_slice(msg.payload()).unwrap();
            assert_eq!(v["delta"]["text"], format!("T{micros:016}Z {text}"));
            let sse = crate::render::sse::event(
                "content_block_delta",
                &json!({"type": "content_block_delta", "index": i,
                        "delta": {"type": "text_delta", "text": text}}),
            );
            let fast = stamp_sse_at(&sse, micros).expect("stamped");
            assert_eq!(fast, stamp_sse_reencoded(&sse, micros).unwrap(), "{text:?}");
        }
        // Frames that carry no text delta are left alone by both.
        let others = [
            eventstream::event("messageStart", &json!({"role": "assistant"})),
            eventstream::event(
                "contentBlockDelta",
                &json!({"contentBlockIndex": 0, "delta": {"reasoningContent": {"text": "hm"}}}),
            ),
            eventstream::event(
                "contentBlockDelta",
                &json!({"contentBlockIndex": 1, "delta": {"toolUse": {"input": "{\"text\":\"x\"}"}}}),
            ),
            eventstream::chunk(br#"{"delta":{"text":"hi"}}"#),
            eventstream::exception("throttlingException", "\"delta\":{\"text\":\""),
        ];
        for frame in others {
            assert!(stamp_frame_at(&frame, 1).is_none());
            assert!(stamp_frame_reencoded(&frame, 1).is_none());
        }
        let sse_others = [
            crate::render::sse::event(
                "content_block_delta",
                &json!({"type": "content_block_delta", "delta": {"type": "thinking_delta", "thinking": "x"}}),
            ),
            crate::render::sse::event(
                "content_block_delta",
                &json!({"type": "content_block_delta", "delta": {"type": "citations_delta", "text": "x"}}),
            ),
            crate::render::sse::event("ping", &json!({"type": "ping"})),
        ];
        for frame in sse_others {
            assert!(stamp_sse_at(&frame, 1).is_none());
            assert!(stamp_sse_reencoded(&frame, 1).is_none());
        }
        // Truncated or foreign bytes: no stamp, no panic.
        let frame = eventstream::event("contentBlockDelta", &json!({"delta": {"text": "x"}}));
        for cut in 0..frame.len() {
            assert!(stamp_frame_at(&frame[..cut], 1).is_none());
        }
        assert!(stamp_frame_at(b"data: {\"delta\":{\"text\":\"x\"}}", 1).is_none());
        assert!(stamp_sse_at(b"data: {\"delta\":{\"text\":\"unterminated", 1).is_none());
        assert_eq!(stamp_text(10_000_000_000_000_000), None);
        assert_eq!(&stamp_text(42).unwrap(), b"T0000000000000042Z ");
    }

    #[test]
    fn stamp_is_a_pacing_field() {
        let spec = crate::parse_pacing("tps=30,stamp=1").unwrap();
        assert_eq!(spec.stamp, Some(true));
        let json = crate::pacing_from_json(json!({"stamp": true})).unwrap();
        assert_eq!(json.stamp, Some(true));
        // Later layers win field by field; unset keeps the earlier layer's value.
        assert_eq!(json.merged(&crate::Pacing::default()).stamp, Some(true));
        let off = crate::parse_pacing("stamp=0").unwrap();
        assert_eq!(json.merged(&off).stamp, Some(false));
    }
}

#[cfg(test)]
mod sse_tests {
    use super::*;
    use crate::render::sse;
    use serde_json::json;

    #[test]
    fn stamps_sse_text_deltas_only() {
        let delta = sse::event(
            "content_block_delta",
            &json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi. "}}),
        );
        let stamped = String::from_utf8(stamp_sse(&delta).unwrap().to_vec()).unwrap();
        assert!(stamped.starts_with("event: content_block_delta\ndata: "));
        assert!(stamped.ends_with("\n\n"));
        let v: Value =
            serde_json::from_str(stamped.split("data: ").nth(1).unwrap().trim()).unwrap();
        let text = v["delta"]["text"].as_str().unwrap();
        assert!(text.starts_with('T') && text.ends_with("Z Hi. "), "{text}");
        let thinking = sse::event(
            "content_block_delta",
            &json!({"type": "content_block_delta", "delta": {"type": "thinking_delta", "thinking": "x"}}),
        );
        assert!(stamp_sse(&thinking).is_none());
    }
}
