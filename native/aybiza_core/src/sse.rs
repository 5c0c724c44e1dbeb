//! An incremental Server-Sent Events parser (the WHATWG HTML "event stream" format, section
//! 9.2.6 "Interpreting an event stream"), as the Anthropic Messages API on Bedrock streams it.
//!
//! Why not a crate: the SSE crates on crates.io (`eventsource-stream`, `sse-stream`,
//! `eventsource-client`) wrap an async `Stream` and grow their line buffer without a bound;
//! the engine needs a push parser it can feed raw HTTP body frames from its own loop, whose
//! memory is capped (a peer that never sends a newline must fail, not exhaust memory), and
//! that the fuzz target can drive without a runtime. The format is small; this follows it
//! line by line and is fuzzed (`native/fuzz/fuzz_targets/sse.rs`).
//!
//! Followed from the spec: lines end in CRLF, LF or CR (a CR at the end of one chunk and an
//! LF at the start of the next are one line end); one leading UTF-8 BOM is skipped; lines
//! starting with `:` are comments; `field: value` loses one space after the colon; `data`
//! lines join with `\n`; a blank line dispatches; an event with no data is not dispatched;
//! `id` containing NUL is ignored; unknown fields are ignored; text is decoded as UTF-8 with
//! replacement (or `data` that is not UTF-8 refused, with `strict_utf8`, as the Messages-API
//! transport does: its data is JSON); an unfinished event at the end of the stream is
//! discarded.

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event` field, or `"message"` when there was none.
    pub event: String,
    /// The `data` lines joined with `\n`.
    pub data: String,
    /// The last event id seen so far in the stream (`id` persists across events).
    pub id: Option<String>,
}

/// Caps on what one peer can make the parser hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SseLimits {
    /// Longest line in bytes (without its line end).
    pub max_line_bytes: usize,
    /// Largest `data` of one event in bytes.
    pub max_event_bytes: usize,
}

impl Default for SseLimits {
    fn default() -> Self {
        // Anthropic's events are small JSON objects (a delta is tens of bytes); 1 MiB leaves
        // room for any `message_start` or `error` body and still bounds a broken peer.
        SseLimits {
            max_line_bytes: 1 << 20,
            max_event_bytes: 1 << 20,
        }
    }
}

/// A limit was exceeded; the stream cannot be read further.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SseError {
    LineTooLong {
        limit: usize,
    },
    EventTooLarge {
        limit: usize,
    },
    /// A `data` line that is not UTF-8, with [`SseParser::strict_utf8`].
    NotUtf8,
}

impl std::fmt::Display for SseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SseError::LineTooLong { limit } => {
                write!(f, "a server-sent event line is longer than {limit} bytes")
            }
            SseError::EventTooLarge { limit } => {
                write!(f, "a server-sent event's data is larger than {limit} bytes")
            }
            SseError::NotUtf8 => write!(f, "a server-sent event's data is not UTF-8"),
        }
    }
}

impl std::error::Error for SseError {}

/// The push parser: feed body chunks in order with [`SseParser::push`].
#[derive(Debug, Default)]
pub struct SseParser {
    limits: SseLimits,
    /// Bytes of a line not yet ended.
    partial: Vec<u8>,
    /// The previous chunk ended in CR: an LF starting this chunk belongs to it.
    after_cr: bool,
    /// Still at the very start of the stream (the BOM check is pending).
    at_start: bool,
    event_type: String,
    data: String,
    has_data: bool,
    last_id: Option<String>,
    failed: Option<SseError>,
    /// `data` that is not UTF-8 is an error rather than replaced (see `strict_utf8`).
    strict_utf8: bool,
}

impl SseParser {
    pub fn new(limits: SseLimits) -> Self {
        SseParser {
            limits,
            at_start: true,
            ..SseParser::default()
        }
    }

    /// Refuses `data` that is not UTF-8 ([`SseError::NotUtf8`]) instead of replacing the
    /// bytes with U+FFFD as the spec does: a stream whose data is JSON (which must be UTF-8)
    /// is then refused as the event-stream transports refuse such a payload, rather than
    /// read with U+FFFD in its text.
    pub fn strict_utf8(mut self) -> Self {
        self.strict_utf8 = true;
        self
    }

    /// Parses `chunk`, appending every event it completes to `out`. After an error the
    /// parser stays failed and returns the same error.
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<SseEvent>) -> Result<(), SseError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        let result = self.push_inner(chunk, out);
        if let Err(e) = result {
            self.failed = Some(e);
        }
        result
    }

    fn push_inner(&mut self, mut chunk: &[u8], out: &mut Vec<SseEvent>) -> Result<(), SseError> {
        if self.after_cr && !chunk.is_empty() {
            self.after_cr = false;
            if chunk[0] == b'\n' {
                chunk = &chunk[1..];
            }
        }
        if self.at_start {
            // The BOM may itself arrive split across chunks.
            let bom = b"\xEF\xBB\xBF";
            let have = self.partial.len();
            let take = (bom.len() - have).min(chunk.len());
            if bom[have..have + take] == chunk[..take] {
                if have + take < bom.len() {
                    self.partial.extend_from_slice(&chunk[..take]);
                    return Ok(());
                }
                self.partial.clear();
                chunk = &chunk[take..];
                self.at_start = false;
            } else {
                // Not a BOM: what was held back is ordinary line content.
                self.at_start = false;
            }
        }
        while !chunk.is_empty() {
            match chunk.iter().position(|&b| b == b'\n' || b == b'\r') {
                None => {
                    self.check_line_len(self.partial.len() + chunk.len())?;
                    self.partial.extend_from_slice(chunk);
                    return Ok(());
                }
                Some(end) => {
                    let is_cr = chunk[end] == b'\r';
                    if self.partial.is_empty() {
                        self.check_line_len(end)?;
                        self.line(&chunk[..end], out)?;
                    } else {
                        self.check_line_len(self.partial.len() + end)?;
                        let mut line = std::mem::take(&mut self.partial);
                        line.extend_from_slice(&chunk[..end]);
                        self.line(&line, out)?;
                        line.clear();
                        self.partial = line;
                    }
                    chunk = &chunk[end + 1..];
                    if is_cr {
                        match chunk.first() {
                            Some(b'\n') => chunk = &chunk[1..],
                            Some(_) => {}
                            None => self.after_cr = true,
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn check_line_len(&self, len: usize) -> Result<(), SseError> {
        if len > self.limits.max_line_bytes {
            Err(SseError::LineTooLong {
                limit: self.limits.max_line_bytes,
            })
        } else {
            Ok(())
        }
    }

    fn line(&mut self, line: &[u8], out: &mut Vec<SseEvent>) -> Result<(), SseError> {
        if line.is_empty() {
            self.dispatch(out);
            return Ok(());
        }
        if line[0] == b':' {
            return Ok(());
        }
        let (name, value) = match line.iter().position(|&b| b == b':') {
            Some(i) => {
                let v = &line[i + 1..];
                (&line[..i], v.strip_prefix(b" ").unwrap_or(v))
            }
            None => (line, &b""[..]),
        };
        match name {
            b"event" => self.event_type = String::from_utf8_lossy(value).into_owned(),
            b"data" => {
                // The cap is on the decoded text: each invalid byte becomes U+FFFD (3 bytes),
                // so counting the raw bytes would let a hostile peer triple the event.
                if self.strict_utf8 && std::str::from_utf8(value).is_err() {
                    return Err(SseError::NotUtf8);
                }
                let text = String::from_utf8_lossy(value);
                let extra = text.len() + usize::from(self.has_data);
                if self.data.len() + extra > self.limits.max_event_bytes {
                    return Err(SseError::EventTooLarge {
                        limit: self.limits.max_event_bytes,
                    });
                }
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(&text);
                self.has_data = true;
            }
            b"id" if !value.contains(&0) => {
                self.last_id = Some(String::from_utf8_lossy(value).into_owned())
            }
            // `retry` only matters to a reconnecting client; a model stream is not resumed.
            _ => {}
        }
        Ok(())
    }

    fn dispatch(&mut self, out: &mut Vec<SseEvent>) {
        let event_type = std::mem::take(&mut self.event_type);
        if !self.has_data {
            return;
        }
        self.has_data = false;
        out.push(SseEvent {
            event: if event_type.is_empty() {
                "message".to_string()
            } else {
                event_type
            },
            data: std::mem::take(&mut self.data),
            id: self.last_id.clone(),
        });
    }

    /// Whether the stream ended inside an event (bytes or fields not yet dispatched): the
    /// spec discards such an event, and a caller reading a model stream treats it as cut off.
    pub fn has_pending(&self) -> bool {
        !self.partial.is_empty() || self.has_data || !self.event_type.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse_chunks(chunks: &[&[u8]]) -> Vec<SseEvent> {
        let mut p = SseParser::new(SseLimits::default());
        let mut out = Vec::new();
        for c in chunks {
            p.push(c, &mut out).unwrap();
        }
        out
    }

    fn ev(event: &str, data: &str) -> SseEvent {
        SseEvent {
            event: event.into(),
            data: data.into(),
            id: None,
        }
    }

    #[test]
    fn anthropic_stream() {
        let body = b"event: message_start\ndata: {\"type\":\"message_start\"}\n\n\
event: ping\ndata: {\"type\": \"ping\"}\n\n\
event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":{\"text\":\"Hi\"}}\n\n";
        let out = parse_chunks(&[body]);
        assert_eq!(out.len(), 3);
        assert_eq!(out[0], ev("message_start", "{\"type\":\"message_start\"}"));
        assert_eq!(out[1].event, "ping");
        assert_eq!(out[2].event, "content_block_delta");
    }

    #[test]
    fn line_ends_crlf_cr_lf_and_split_crlf() {
        let out = parse_chunks(&[
            b"data: a\r\n\r\ndata: b\r\rdata: c\n\ndata: d\r",
            b"\n\r",
            b"\n",
        ]);
        let data: Vec<_> = out.iter().map(|e| e.data.as_str()).collect();
        assert_eq!(data, ["a", "b", "c", "d"]);
    }

    #[test]
    fn multi_line_data_comments_defaults_and_unknown_fields() {
        let out = parse_chunks(&[b": keep-alive\ndata:x\ndata: y\nfoo: bar\nretry: 10\n\n"]);
        assert_eq!(out, vec![ev("message", "x\ny")]);
    }

    #[test]
    fn only_one_space_is_stripped_and_field_without_colon() {
        let out = parse_chunks(&[b"data:  two\n\ndata\n\n"]);
        assert_eq!(out, vec![ev("message", " two"), ev("message", "")]);
    }

    #[test]
    fn event_without_data_is_not_dispatched_and_resets_type() {
        let out = parse_chunks(&[b"event: ping\n\ndata: z\n\n"]);
        assert_eq!(out, vec![ev("message", "z")]);
    }

    #[test]
    fn ids_persist_and_nul_ids_are_ignored() {
        let out = parse_chunks(&[b"id: 7\ndata: a\n\ndata: b\n\nid: x\0y\ndata: c\n\n"]);
        assert!(out.iter().all(|e| e.id.as_deref() == Some("7")));
    }

    #[test]
    fn bom_is_skipped_once_even_split() {
        let out = parse_chunks(&[b"\xEF\xBB", b"\xBFdata: a\n\n\xEF\xBB\xBFdata: b\n\n"]);
        assert_eq!(out[0].data, "a");
        assert_eq!(out.len(), 1, "a second BOM is part of a field name");
        let out = parse_chunks(&[b"\xEF", b"data: q\n\n"]);
        assert!(out.is_empty(), "a lone 0xEF starts an unknown field");
    }

    #[test]
    fn invalid_utf8_is_replaced() {
        let out = parse_chunks(&[b"data: a\xFFb\n\n"]);
        assert_eq!(out[0].data, "a\u{FFFD}b");
    }

    #[test]
    fn strict_utf8_refuses_data_that_is_not_utf8_and_stays_failed() {
        let mut p = SseParser::new(SseLimits::default()).strict_utf8();
        let mut out = Vec::new();
        // The event before the bad line is still delivered.
        let r = p.push(b"data: ok\n\ndata: a\xFFb\n\n", &mut out);
        assert_eq!(r, Err(SseError::NotUtf8));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].data, "ok");
        assert_eq!(p.push(b"data: c\n\n", &mut out), Err(SseError::NotUtf8));
        // Valid multi-byte text split across chunks is not refused (lines are whole).
        let mut p = SseParser::new(SseLimits::default()).strict_utf8();
        let mut out = Vec::new();
        p.push(b"data: caf\xC3", &mut out).unwrap();
        p.push(b"\xA9\n\n", &mut out).unwrap();
        assert_eq!(out[0].data, "caf\u{e9}");
    }

    #[test]
    fn truncated_stream_is_pending() {
        let mut p = SseParser::new(SseLimits::default());
        let mut out = Vec::new();
        p.push(
            b"data: complete\n\nevent: message_delta\ndata: {\"x\"",
            &mut out,
        )
        .unwrap();
        assert_eq!(out.len(), 1);
        assert!(p.has_pending());
        p.push(b"}\n\n", &mut out).unwrap();
        assert!(!p.has_pending());
    }

    #[test]
    fn limits_are_enforced_and_sticky() {
        let limits = SseLimits {
            max_line_bytes: 16,
            max_event_bytes: 8,
        };
        let mut p = SseParser::new(limits);
        let mut out = Vec::new();
        p.push(b"data: 0123456789", &mut out).unwrap();
        let e = p.push(b"abcdef", &mut out).unwrap_err();
        assert_eq!(e, SseError::LineTooLong { limit: 16 });
        assert_eq!(p.push(b"\n\n", &mut out), Err(e));

        let mut p = SseParser::new(limits);
        p.push(b"data: 1234\n", &mut out).unwrap();
        let e = p.push(b"data: 5678\n", &mut out).unwrap_err();
        assert_eq!(e, SseError::EventTooLarge { limit: 8 });
    }

    #[test]
    fn event_cap_counts_replacement_characters() {
        // Found by the `sse` fuzz target: 4 raw bytes of invalid UTF-8 decode to 12 bytes.
        let limits = SseLimits {
            max_line_bytes: 64,
            max_event_bytes: 8,
        };
        let mut p = SseParser::new(limits);
        let mut out = Vec::new();
        let e = p.push(b"data:\xB8\x08\xFB\xFF\n\n", &mut out).unwrap_err();
        assert_eq!(e, SseError::EventTooLarge { limit: 8 });
        assert!(out.is_empty());
        let mut p = SseParser::new(limits);
        p.push(b"data:\xFF\xFE\n\n", &mut out).unwrap();
        assert_eq!(out[0].data, "\u{FFFD}\u{FFFD}");
    }

    fn reference(bytes: &[u8]) -> Vec<SseEvent> {
        parse_chunks(&[bytes])
    }

    proptest! {
        /// However the body is cut into chunks, the events are the same.
        #[test]
        fn chunking_never_changes_the_events(
            lines in proptest::collection::vec(
                prop_oneof![
                    Just("data: {\"a\":1}".to_string()),
                    Just("event: content_block_delta".to_string()),
                    Just(": comment".to_string()),
                    Just("id: 3".to_string()),
                    Just(String::new()),
                    "[a-z: ]{0,12}",
                ], 0..20),
            ends in proptest::collection::vec(0usize..3, 20),
            cuts in proptest::collection::vec(0usize..200, 0..8),
            bom in any::<bool>(),
        ) {
            let mut body: Vec<u8> = if bom { b"\xEF\xBB\xBF".to_vec() } else { Vec::new() };
            for (i, l) in lines.iter().enumerate() {
                body.extend_from_slice(l.as_bytes());
                body.extend_from_slice([&b"\n"[..], b"\r\n", b"\r"][ends[i % ends.len()]]);
            }
            let whole = reference(&body);
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(body.len())).collect();
            cuts.sort_unstable();
            let mut chunks = Vec::new();
            let mut last = 0;
            for c in cuts {
                chunks.push(&body[last..c]);
                last = c;
            }
            chunks.push(&body[last..]);
            prop_assert_eq!(parse_chunks(&chunks), whole);
        }
    }
}
