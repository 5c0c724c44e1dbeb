//! Per-call stream state shared by the ConverseStream and InvokeModelWithResponseStream
//! decoders: forwards deltas, cuts sentences, assembles tool input and the assistant's
//! content blocks, and tracks what the caller already received.
//!
//! Coalescing: consecutive text deltas of one content block that the call decodes from one
//! read (events already buffered when the next one is asked for, or handed over by the
//! connection task once it runs) go out as one `Event::Text` with their text concatenated.
//! Text is held only while the next event is ready at once or after one yield to the
//! runtime, so with the default window of zero text waits for no timer and no socket; any
//! other event (a sentence, a tool call, usage, the terminal) first delivers the held text,
//! so the order of text, sentences and everything else is the order the deltas arrived in.
//! A coalescing
//! window (`StreamState::with_coalesce_window`) lets held text wait at most that long for
//! more text of the same block.
//!
//! The stream's start (`Event::MessageStart`, `Event::FirstToken`) is held the same way
//! but never waits for the network: it goes out just before the first other event or before
//! the task waits for a read, so the read carrying the first text wakes the receiver once.
//!
//! Large deltas: a call's task shares its shard's thread with every other call placed there,
//! so it never cuts more than [`TEXT_SLICE_BYTES`] of text into sentences between two yields
//! to the runtime. A text delta larger than that (a peer may send up to [`MAX_EVENT_BYTES`]
//! in one) is cut a slice at a time: `text_delta` keeps it as a backlog, which the stream
//! loop's [`StreamState::pace`] cuts with a yield between slices (many small deltas of one
//! read likewise: `pace` yields after every slice's worth).
//! The caller gets the same messages as if the delta had been cut at once: any other event
//! first cuts the whole backlog (without yielding), and the segmenter gives the same
//! sentences however its input is split.

use crate::events::{Event, EventSink, ReceiverGone, SentenceSplitter, Summary, Usage};
use crate::trace::{mark, Point, Trace};
use aybiza_core::error::{Delivered, Error, ErrorKind};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

#[derive(Debug)]
enum Block {
    Text(TextBlock),
    Tool {
        id: String,
        name: String,
        input_json: String,
    },
    Reasoning {
        text: String,
        signature: Option<String>,
    },
}

/// A text block's text. The answer's text is kept once, in `summary.text`: a block whose
/// deltas follow each other there (every answer but a broken peer's) is only where it is.
#[derive(Debug)]
enum TextBlock {
    /// `summary.text[start..end]`.
    In { start: usize, end: usize },
    /// Another block's text came in between: a copy of its own.
    Own(String),
}

impl TextBlock {
    /// Adds `delta`, which goes at `at` of `text` (the summary's text, before the push).
    fn push(&mut self, text: &str, at: usize, delta: &str) {
        match self {
            TextBlock::In { end, .. } if *end == at => *end += delta.len(),
            TextBlock::In { start, end } => {
                let mut own = text.get(*start..*end).unwrap_or_default().to_string();
                own.push_str(delta);
                *self = TextBlock::Own(own);
            }
            TextBlock::Own(own) => own.push_str(delta),
        }
    }

    fn text<'a>(&'a self, summary_text: &'a str) -> &'a str {
        match self {
            TextBlock::In { start, end } => summary_text.get(*start..*end).unwrap_or_default(),
            TextBlock::Own(own) => own,
        }
    }
}

/// A finished content block: a text block stays where its text is until `take_summary`.
#[derive(Debug)]
enum Content {
    Text(TextBlock),
    Value(Value),
}

pub struct StreamState {
    sink: Box<dyn EventSink>,
    splitter: Option<Box<dyn SentenceSplitter>>,
    started: Instant,
    blocks: BTreeMap<i64, Block>,
    content: Vec<Content>,
    pub summary: Summary,
    thinking_started: bool,
    events_sent: u64,
    /// Bytes of `summary.text` that came as text deltas (what the caller was sent or is
    /// about to be): the delivered text of a failed stream, without a copy of its own.
    streamed: usize,
    /// The part of a large text delta not cut into sentences yet (see the module doc).
    backlog: Option<Backlog>,
    /// Bytes of deltas handled since the task last yielded in `pace`.
    work: usize,
    /// Text received but not yet sent (see the module doc on coalescing).
    held_text: String,
    /// The content block index of `held_text`.
    held_index: i64,
    /// When the oldest held text arrived (only tracked with a coalescing window).
    held_since: Option<Instant>,
    coalesce_window: Duration,
    /// Bytes of text, tool input and reasoning received so far (see [`MAX_ANSWER_BYTES`]).
    received: usize,
    /// Held texts since a poll-ahead last found the next chunk (see `next`).
    yield_misses: u32,
    /// Event streams are read by the SDK's receiver (`CallOptions::sdk_event_receiver`).
    sdk_event_receiver: bool,
    /// The first sentence's path, timed when the caller asked (`CallOptions::trace`).
    trace: Option<Arc<Trace>>,
    /// `Event::MessageStart` and `Event::FirstToken` decoded but not yet sent: they go out
    /// with the next event or before the task waits for the network, so the read that
    /// carries the first text wakes the receiver once, not once per event before the text.
    pending_start: bool,
    pending_first_token: Option<u64>,
}

/// Text of a large delta still to be cut: `summary.text[at..end]`, of content block `index`.
#[derive(Debug, Clone, Copy)]
struct Backlog {
    index: i64,
    at: usize,
    end: usize,
}

/// Bytes of text a call's task cuts into sentences (segmenter, speech normalization, the
/// sends) before it lets the other tasks of its shard run (see the module doc). Release
/// build, voice preset: ~0.1 ms for ordinary text, ~7-11 ms for the segmenter's slowest
/// input known (`U.S.` repeated); a yield costs microseconds (BENCHMARKS.md, "A large text
/// delta").
pub const TEXT_SLICE_BYTES: usize = 8 * 1024;

/// A stream whose yields find nothing tries again once in this many held texts.
const YIELD_RETRY: u32 = 8;

/// Bytes of text, tool input and reasoning one answer may stream: far above any model's
/// output limit (128k tokens is well under 1 MiB of text), low enough that a broken or
/// hostile peer streaming without end cannot make one call hold gigabytes (the text is kept
/// in the summary).
pub const MAX_ANSWER_BYTES: usize = 16 << 20;

/// Bytes of one streamed event (a delta or a chunk); Bedrock's are tens of bytes. The same
/// cap as the Messages API's SSE events.
pub const MAX_EVENT_BYTES: usize = 1 << 20;

/// Content blocks an answer may have open at once. Bedrock's answers open a few (text, tool
/// uses, reasoning) and close each before the next; a peer that opens one per delta (a new
/// index each time, never closed) kept a block, its text and its bookkeeping per byte of
/// text, and the 16 MiB answer cap let that grow to gigabytes.
pub const MAX_OPEN_BLOCKS: usize = 4096;

impl StreamState {
    pub fn new(
        sink: Box<dyn EventSink>,
        splitter: Option<Box<dyn SentenceSplitter>>,
        started: Instant,
        summary: Summary,
    ) -> Self {
        StreamState {
            sink,
            splitter,
            started,
            blocks: BTreeMap::new(),
            content: Vec::new(),
            summary,
            thinking_started: false,
            events_sent: 0,
            streamed: 0,
            backlog: None,
            work: 0,
            held_text: String::new(),
            held_index: 0,
            held_since: None,
            coalesce_window: Duration::ZERO,
            received: 0,
            yield_misses: 0,
            sdk_event_receiver: false,
            trace: None,
            pending_start: false,
            pending_first_token: None,
        }
    }

    /// Times the path to the first sentence on `trace` (see [`crate::trace`]).
    pub fn with_trace(mut self, trace: Option<Arc<Trace>>) -> Self {
        self.trace = trace;
        self
    }

    /// The call's trace, if it is traced.
    pub fn trace(&self) -> Option<&Arc<Trace>> {
        self.trace.as_ref()
    }

    /// Marks `point` when the call is traced.
    pub fn mark(&self, point: Point) {
        mark(&self.trace, point);
    }

    /// Lets held text wait up to `window` for more text of the same block (zero: text waits
    /// only for events that are already decoded).
    pub fn with_coalesce_window(mut self, window: Duration) -> Self {
        self.coalesce_window = window;
        self
    }

    /// Reads event streams with the SDK's receiver (see `CallOptions::sdk_event_receiver`).
    pub fn with_sdk_event_receiver(mut self, on: bool) -> Self {
        self.sdk_event_receiver = on;
        self
    }

    pub fn sdk_event_receiver(&self) -> bool {
        self.sdk_event_receiver
    }

    /// An error once the answer streamed more than [`MAX_ANSWER_BYTES`] or holds more than
    /// [`MAX_OPEN_BLOCKS`] open content blocks.
    pub fn check_answer_size(&self) -> Result<(), Error> {
        if self.received > MAX_ANSWER_BYTES {
            return Err(Error::new(
                ErrorKind::Protocol,
                format!("the answer streamed more than {MAX_ANSWER_BYTES} bytes"),
            ));
        }
        if self.blocks.len() > MAX_OPEN_BLOCKS {
            return Err(Error::new(
                ErrorKind::Protocol,
                format!("the answer opened more than {MAX_OPEN_BLOCKS} content blocks at once"),
            ));
        }
        Ok(())
    }

    pub fn elapsed_us(&self) -> u64 {
        self.started.elapsed().as_micros() as u64
    }

    /// Sends `event` after any held text, so the caller sees events in arrival order.
    pub fn send(&mut self, event: Event) -> Result<(), ReceiverGone> {
        self.settle()?;
        self.send_now(event)
    }

    /// `send` without cutting the backlog first (for what the backlog's cutting sends).
    fn send_now(&mut self, event: Event) -> Result<(), ReceiverGone> {
        self.flush_held()?;
        self.events_sent += 1;
        self.sink.send(event)
    }

    /// Sends the held text, if any, as one `Event::Text` (after cutting any backlog).
    pub fn flush_text(&mut self) -> Result<(), ReceiverGone> {
        self.settle()?;
        self.flush_held()
    }

    /// Sends the held text, if any, as one `Event::Text`.
    fn flush_held(&mut self) -> Result<(), ReceiverGone> {
        self.flush_pending()?;
        if self.held_text.is_empty() {
            return Ok(());
        }
        let text = std::mem::take(&mut self.held_text);
        self.held_since = None;
        self.events_sent += 1;
        self.sink.send(Event::Text(text))
    }

    /// Sends the pending `MessageStart` / `FirstToken`, in that order.
    fn flush_pending(&mut self) -> Result<(), ReceiverGone> {
        if self.pending_start {
            self.pending_start = false;
            self.sink.send(Event::MessageStart)?;
        }
        if let Some(us) = self.pending_first_token.take() {
            self.sink.send(Event::FirstToken(us))?;
        }
        Ok(())
    }

    /// Awaits `next` (the stream's next read). Held text goes out first unless `next` is
    /// ready at once (it was decoded from the same read) or after one yield to the runtime
    /// (the connection task held the next chunk already: hyper hands the body over one HTTP
    /// chunk at a time, and Bedrock writes each event as a chunk of its own), or, with a
    /// coalescing window, completes before the oldest held text has waited for the window.
    pub async fn next<F: Future>(&mut self, next: F) -> Result<F::Output, ReceiverGone> {
        // A loop that did not `pace` its last event: its backlog goes first.
        self.settle()?;
        let mut next = std::pin::pin!(next);
        if self.held_text.is_empty() {
            if self.pending_start || self.pending_first_token.is_some() {
                // The start alone: it waits only for what this read already decoded. Not
                // over a yield as held text is: the start then waited for the first text,
                // and the receiver's one wake-up (the cost of `first_text` against the floor)
                // moved into the sentence's send instead of overlapping the first deltas
                // (BENCHMARKS.md, "First sentence: the first event's path").
                let polled = std::future::poll_fn(|cx| Poll::Ready(next.as_mut().poll(cx))).await;
                if let Poll::Ready(out) = polled {
                    return Ok(out);
                }
                self.flush_pending()?;
            }
        } else {
            // One poll with the task's own waker: a registered wake-up is kept if it is
            // not ready.
            let polled = std::future::poll_fn(|cx| Poll::Ready(next.as_mut().poll(cx))).await;
            if let Poll::Ready(out) = polled {
                self.yield_misses = 0;
                return Ok(out);
            }
            // Once more after the runtime ran what was ready: the connection task, woken by
            // the poll above, hands over a chunk it already read without waiting for the
            // socket. A yield with nothing else to run polls the IO driver (a syscall), so a
            // paced stream, whose next chunk is never there yet, tries it only every
            // YIELD_RETRY-th held text once it missed.
            if self.yield_misses.is_multiple_of(YIELD_RETRY) {
                tokio::task::yield_now().await;
                let polled = std::future::poll_fn(|cx| Poll::Ready(next.as_mut().poll(cx))).await;
                if let Poll::Ready(out) = polled {
                    self.yield_misses = 0;
                    return Ok(out);
                }
            }
            self.yield_misses = self.yield_misses.wrapping_add(1);
            if let Some(since) = self.held_since {
                let deadline = tokio::time::Instant::from_std(since + self.coalesce_window);
                tokio::select! {
                    biased;
                    out = next.as_mut() => return Ok(out),
                    _ = tokio::time::sleep_until(deadline) => {}
                }
            }
            self.flush_text()?;
        }
        Ok(next.await)
    }

    /// Whether anything reached the caller, or is about to (decides the error phase).
    pub fn anything_delivered(&self) -> bool {
        self.events_sent > 0 || !self.held_text.is_empty() || self.backlog.is_some()
    }

    /// The text and sentences the caller was sent or is about to be (before `take_summary`).
    pub fn delivered(&self) -> Delivered {
        let text = self.summary.text.get(..self.streamed).unwrap_or_default();
        Delivered {
            chars: text.chars().count() as u64,
            sentences: self.summary.sentences,
            text: text.to_string(),
        }
    }

    /// Cuts the backlog's next slice (at most [`TEXT_SLICE_BYTES`], ending on a character
    /// boundary) into sentences and holds it for delivery.
    fn step(&mut self) -> Result<(), ReceiverGone> {
        let Some(b) = self.backlog else {
            return Ok(());
        };
        // Borrowed out of the summary for the cut (nothing the cut does reads it), so the
        // backlog needs no copy of its own.
        let text = std::mem::take(&mut self.summary.text);
        let mut cut = (b.at + TEXT_SLICE_BYTES).min(b.end);
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        self.backlog = (cut < b.end).then_some(Backlog { at: cut, ..b });
        let cut_out = self.cut_text(b.index, &text[b.at..cut]);
        self.summary.text = text;
        cut_out
    }

    /// Cuts the whole backlog, without yielding: before any other event, so the caller gets
    /// the events in arrival order.
    fn settle(&mut self) -> Result<(), ReceiverGone> {
        while self.backlog.is_some() {
            self.step()?;
        }
        Ok(())
    }

    /// Called by the stream loops after each event: cuts the backlog of a large text delta a
    /// slice at a time with a yield to the runtime before each slice (unless nothing was
    /// done since the last), and yields whenever [`TEXT_SLICE_BYTES`] of deltas were handled
    /// since the last yield, so the other calls on the shard run in between.
    pub async fn pace(&mut self) -> Result<(), ReceiverGone> {
        loop {
            if self.work >= TEXT_SLICE_BYTES || (self.backlog.is_some() && self.work > 0) {
                self.work = 0;
                tokio::task::yield_now().await;
            }
            if self.backlog.is_none() {
                return Ok(());
            }
            self.step()?;
        }
    }

    pub fn first_byte(&mut self) {
        if self.summary.timings.first_byte_us.is_none() {
            self.summary.timings.first_byte_us = Some(self.elapsed_us());
            self.mark(Point::Response);
        }
    }

    fn first_token(&mut self) -> Result<(), ReceiverGone> {
        if self.summary.timings.first_token_us.is_none() {
            self.mark(Point::FirstText);
            let us = self.elapsed_us();
            self.summary.timings.first_token_us = Some(us);
            // Counted as sent (the error phase): it goes out with the next event.
            self.events_sent += 1;
            self.pending_first_token = Some(us);
        }
        Ok(())
    }

    pub fn message_start(&mut self) -> Result<(), ReceiverGone> {
        self.settle()?;
        self.first_byte();
        self.mark(Point::FirstEvent);
        // A second start (a broken peer) keeps both, in order.
        self.flush_pending()?;
        self.events_sent += 1;
        self.pending_start = true;
        Ok(())
    }

    pub fn text_delta(&mut self, index: i64, delta: &str) -> Result<(), ReceiverGone> {
        if delta.is_empty() {
            return Ok(());
        }
        self.settle()?;
        self.received += delta.len();
        self.first_token()?;
        let at = self.summary.text.len();
        let new = || TextBlock::In { start: at, end: at };
        match self
            .blocks
            .entry(index)
            .or_insert_with(|| Block::Text(new()))
        {
            Block::Text(t) => t.push(&self.summary.text, at, delta),
            // A text delta on a non-text index: keep it, do not lose text. Wrapping: the
            // index is the peer's (any JSON integer), and overflow must not panic.
            _ => {
                let mut t = new();
                t.push(&self.summary.text, at, delta);
                self.blocks
                    .insert(index.wrapping_add(1_000_000), Block::Text(t));
            }
        }
        self.summary.text.push_str(delta);
        self.streamed += delta.len();
        if delta.len() <= TEXT_SLICE_BYTES {
            return self.cut_text(index, delta);
        }
        // A large delta: cut in `pace`, a slice at a time (see the module doc).
        self.backlog = Some(Backlog {
            index,
            at,
            end: self.summary.text.len(),
        });
        Ok(())
    }

    /// Holds `text` (of content block `index`) for delivery and cuts sentences from it.
    fn cut_text(&mut self, index: i64, text: &str) -> Result<(), ReceiverGone> {
        if self.held_index != index {
            self.flush_held()?;
        }
        if self.held_text.is_empty() {
            self.held_index = index;
            if !self.coalesce_window.is_zero() {
                self.held_since = Some(Instant::now());
            }
        }
        self.held_text.push_str(text);
        self.work += text.len();
        let sentences = match self.splitter.as_mut() {
            Some(s) => s.push(text),
            None => Vec::new(),
        };
        self.emit_sentences(sentences)
    }

    fn emit_sentences(&mut self, sentences: Vec<String>) -> Result<(), ReceiverGone> {
        for s in sentences {
            if s.trim().is_empty() {
                continue;
            }
            if self.summary.timings.first_sentence_us.is_none() {
                self.mark(Point::SentenceCut);
                self.summary.timings.first_sentence_us = Some(self.elapsed_us());
            }
            let seq = self.summary.sentences;
            self.summary.sentences += 1;
            self.send_now(Event::Sentence(seq, s))?;
            if seq == 0 {
                self.mark(Point::SentenceSent);
                // The first sentence is what a voice turn waits on. The send woke the
                // receiver's scheduler thread; when the kernel put it on this worker's
                // core, it may wait for the rest of this read's deltas. Giving the core
                // up once lets it take the sentence now (a syscall when nothing waits);
                // not when many calls keep the workers busy (see `few_calls_live`).
                if crate::call::few_calls_live(crate::runtime::threads()) {
                    std::thread::yield_now();
                }
            }
        }
        Ok(())
    }

    /// Releases the splitter's remainder as sentences (a text block or the message ended).
    pub fn flush_sentences(&mut self) -> Result<(), ReceiverGone> {
        self.settle()?;
        let rest = match self.splitter.as_mut() {
            Some(s) => s.finish(),
            None => Vec::new(),
        };
        self.emit_sentences(rest)
    }

    pub fn tool_start(&mut self, index: i64, id: &str, name: &str) -> Result<(), ReceiverGone> {
        self.first_byte();
        self.blocks.insert(
            index,
            Block::Tool {
                id: id.to_string(),
                name: name.to_string(),
                input_json: String::new(),
            },
        );
        Ok(())
    }

    pub fn tool_delta(&mut self, index: i64, partial: &str) -> Result<(), ReceiverGone> {
        self.received += partial.len();
        self.work += partial.len();
        self.first_token()?;
        if let Some(Block::Tool { input_json, .. }) = self.blocks.get_mut(&index) {
            input_json.push_str(partial);
        }
        Ok(())
    }

    pub fn reasoning_delta(&mut self, index: i64, delta: &str) -> Result<(), ReceiverGone> {
        self.received += delta.len();
        self.work += delta.len();
        if !self.thinking_started {
            self.thinking_started = true;
            self.send(Event::ThinkingStarted)?;
        }
        match self
            .blocks
            .entry(index)
            .or_insert_with(|| Block::Reasoning {
                text: String::new(),
                signature: None,
            }) {
            Block::Reasoning { text, .. } => text.push_str(delta),
            _ => return Ok(()),
        }
        self.send(Event::Thinking(delta.to_string()))
    }

    pub fn reasoning_signature(&mut self, index: i64, sig: &str) {
        if let Block::Reasoning { signature, .. } =
            self.blocks
                .entry(index)
                .or_insert_with(|| Block::Reasoning {
                    text: String::new(),
                    signature: None,
                })
        {
            signature.get_or_insert_with(String::new).push_str(sig);
        }
    }

    pub fn block_stop(&mut self, index: i64) -> Result<(), ReceiverGone> {
        self.settle()?;
        match self.blocks.remove(&index) {
            Some(Block::Text(text)) => {
                self.content.push(Content::Text(text));
                // The block ended: whatever is left is a finished sentence (e.g. the line
                // spoken before a tool call).
                self.flush_sentences()
            }
            Some(Block::Tool {
                id,
                name,
                input_json,
            }) => {
                let input = if input_json.trim().is_empty() {
                    json!({})
                } else {
                    serde_json::from_str(&input_json)
                        .unwrap_or_else(|_| json!({"_raw": input_json}))
                };
                self.content.push(Content::Value(json!({"tool_use": {
                    "tool_use_id": id, "name": name, "input": input.clone()}})));
                self.send(Event::ToolUse { id, name, input })
            }
            Some(Block::Reasoning { text, signature }) => {
                self.content.push(Content::Value(
                    json!({"reasoning_content": {"text": text, "signature": signature}}),
                ));
                Ok(())
            }
            None => Ok(()),
        }
    }

    pub fn stop_reason(&mut self, reason: &str) -> Result<(), ReceiverGone> {
        self.summary.stop_reason = Some(reason.to_string());
        self.send(Event::StopReason(reason.to_string()))
    }

    pub fn guardrail_trace(&mut self, trace: Value) -> Result<(), ReceiverGone> {
        self.summary.guardrail_trace = Some(trace.clone());
        self.send(Event::GuardrailTrace(trace))
    }

    pub fn usage(&mut self, usage: Usage) -> Result<(), ReceiverGone> {
        self.summary.usage = Some(usage.clone());
        self.send(Event::Usage(usage))
    }

    /// Adds a finished content block (non-streaming calls get whole blocks).
    pub fn push_content(&mut self, block: Value) {
        self.content.push(Content::Value(block));
    }

    /// Ends the message: closes open blocks in index order and flushes sentences.
    pub fn finish_message(&mut self) -> Result<(), ReceiverGone> {
        let open: Vec<i64> = self.blocks.keys().copied().collect();
        for index in open {
            self.block_stop(index)?;
        }
        self.flush_sentences()
    }

    /// The final summary (content blocks in order of arrival).
    pub fn take_summary(&mut self) -> Summary {
        // Normally cut already (the loops pace, a stop flushes); the summary counts it all.
        let _ = self.settle();
        let mut summary = std::mem::take(&mut self.summary);
        let text = &summary.text;
        summary.content = std::mem::take(&mut self.content)
            .into_iter()
            .map(|c| match c {
                Content::Text(t) => json!({"text": t.text(text)}),
                Content::Value(v) => v,
            })
            .collect();
        summary.timings.total_us = self.elapsed_us();
        if let Some(t) = &self.trace {
            summary.timings.trace = t.marks();
        }
        summary
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aybiza_core::text::{Segmenter, SegmenterOptions};
    use std::pin::Pin;
    use std::sync::{Arc, Mutex};
    use std::task::Context;

    struct Collect(Arc<Mutex<Vec<Event>>>);

    impl EventSink for Collect {
        fn send(&mut self, event: Event) -> Result<(), ReceiverGone> {
            self.0.lock().unwrap().push(event);
            Ok(())
        }
    }

    struct Split(Segmenter);

    impl SentenceSplitter for Split {
        fn push(&mut self, delta: &str) -> Vec<String> {
            self.0.push(delta)
        }
        fn finish(&mut self) -> Vec<String> {
            self.0.finish()
        }
    }

    /// A stream read: ready at once, or pending for this many polls (1: a chunk the
    /// connection task already holds, there at the poll after a yield; 2: a new read from
    /// the socket, not there after the yield either), or (a slow read) ready after a delay.
    enum Read {
        Now,
        Pending(u8),
        After(Pin<Box<tokio::time::Sleep>>),
    }

    impl Future for Read {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            match &mut *self {
                Read::Now => Poll::Ready(()),
                Read::Pending(n) if *n > 0 => {
                    *n -= 1;
                    cx.waker().wake_by_ref();
                    Poll::Pending
                }
                Read::Pending(_) => Poll::Ready(()),
                Read::After(sleep) => sleep.as_mut().poll(cx),
            }
        }
    }

    #[derive(Clone, Copy)]
    enum Step {
        /// A new read (the socket had nothing yet), then a text delta of block `index`.
        Read(i64, &'static str),
        /// A chunk the connection task hands over when run (pending first, ready at the next
        /// poll), then a text delta.
        Handed(i64, &'static str),
        /// A text delta decoded from the same read as the step before.
        Same(i64, &'static str),
        /// A text delta after a read that takes this many ms.
        Slow(u64, i64, &'static str),
        Tool(i64),
        BlockStop(i64),
        Usage,
    }

    fn new_state(events: &Arc<Mutex<Vec<Event>>>, window: Duration) -> StreamState {
        let splitter = Split(Segmenter::new(SegmenterOptions::default()));
        StreamState::new(
            Box::new(Collect(events.clone())),
            Some(Box::new(splitter)),
            Instant::now(),
            Summary::default(),
        )
        .with_coalesce_window(window)
    }

    /// Runs `steps` the way a stream loop does (every event after `StreamState::next`).
    fn run(steps: &[Step], window: Duration) -> Vec<Event> {
        let events = Arc::new(Mutex::new(Vec::new()));
        let mut state = new_state(&events, window);
        crate::runtime::runtime().block_on(async {
            state.message_start().unwrap();
            for step in steps {
                let read = match *step {
                    Step::Read(..) => Read::Pending(2),
                    Step::Handed(..) => Read::Pending(1),
                    Step::Slow(ms, ..) => {
                        Read::After(Box::pin(tokio::time::sleep(Duration::from_millis(ms))))
                    }
                    _ => Read::Now,
                };
                state.next(read).await.unwrap();
                match *step {
                    Step::Read(i, t)
                    | Step::Same(i, t)
                    | Step::Handed(i, t)
                    | Step::Slow(_, i, t) => state.text_delta(i, t).unwrap(),
                    Step::Tool(i) => {
                        state.tool_start(i, "t1", "track").unwrap();
                        state.tool_delta(i, "{}").unwrap();
                        state.block_stop(i).unwrap();
                    }
                    Step::BlockStop(i) => state.block_stop(i).unwrap(),
                    Step::Usage => state.usage(Usage::default()).unwrap(),
                }
            }
            state.next(Read::Pending(2)).await.unwrap();
            state.finish_message().unwrap();
            state.stop_reason("end_turn").unwrap();
            let summary = state.take_summary();
            state.send(Event::Done(Box::new(summary))).unwrap();
        });
        let out = events.lock().unwrap().clone();
        out
    }

    /// The same steps with every delta in a read of its own: the uncoalesced sequence.
    fn one_per_read(steps: &[Step]) -> Vec<Step> {
        steps
            .iter()
            .map(|s| match *s {
                Step::Same(i, t) | Step::Handed(i, t) | Step::Slow(_, i, t) => Step::Read(i, t),
                other => other,
            })
            .collect()
    }

    /// Consecutive texts joined, timings dropped: what must not change.
    fn normal(events: &[Event]) -> Vec<Event> {
        let mut out: Vec<Event> = Vec::new();
        for e in events {
            match (out.last_mut(), e) {
                (Some(Event::Text(held)), Event::Text(t)) => held.push_str(t),
                (_, Event::FirstToken(_)) => out.push(Event::FirstToken(0)),
                (_, Event::Done(s)) => {
                    let mut s = s.clone();
                    s.timings = Default::default();
                    out.push(Event::Done(s));
                }
                _ => out.push(e.clone()),
            }
        }
        out
    }

    fn texts(events: &[Event]) -> Vec<&str> {
        events
            .iter()
            .filter_map(|e| match e {
                Event::Text(t) => Some(t.as_str()),
                _ => None,
            })
            .collect()
    }

    const ANSWER: [Step; 13] = [
        Step::Read(0, "Sure"),
        Step::Same(0, ", your "),
        Step::Same(0, "order shipped. "),
        Step::Same(0, "It "),
        Step::Read(0, "arrives "),
        Step::Same(0, "on Monday. I"),
        Step::Same(0, " will check"),
        Step::BlockStop(0),
        Step::Tool(1),
        Step::Same(2, "Done. "),
        Step::Same(3, "Bye"),
        Step::Usage,
        Step::Same(3, " now."),
    ];

    #[test]
    fn deltas_of_one_read_go_out_as_one_text_in_the_same_order() {
        let coalesced = run(&ANSWER, Duration::ZERO);
        let reference = run(&one_per_read(&ANSWER), Duration::ZERO);
        assert_eq!(texts(&reference).len(), 10);
        assert_eq!(normal(&coalesced), normal(&reference));
        // Joined within a read and a block; the text a sentence was cut from goes out before
        // that sentence; a read that must wait, a tool call, a new block and usage split.
        assert_eq!(
            texts(&coalesced),
            [
                "Sure, your order shipped. It ",
                "arrives on Monday. I",
                " will check",
                "Done. ",
                "Bye",
                " now."
            ]
        );
        // Each sentence follows the text it was cut from.
        let (mut seen, mut cut) = (String::new(), 0);
        for e in &coalesced {
            match e {
                Event::Text(t) => seen.push_str(t),
                Event::Sentence(_, s) => {
                    let at = seen[cut..].find(s.trim()).expect("sentence after its text");
                    cut += at + s.trim().len();
                }
                _ => {}
            }
        }
        assert_eq!(cut, seen.len(), "every text ends up in a sentence");
        assert!(matches!(coalesced.last(), Some(Event::Done(_))));
        assert_eq!(coalesced.iter().filter(|e| e.is_terminal()).count(), 1);
    }

    #[test]
    fn the_start_goes_out_with_the_first_text_or_before_a_wait() {
        let kinds = |events: &Arc<Mutex<Vec<Event>>>| -> Vec<&'static str> {
            let got = events.lock().unwrap();
            got.iter()
                .map(|e| match e {
                    Event::MessageStart => "start",
                    Event::FirstToken(_) => "first_token",
                    Event::Text(_) => "text",
                    _ => "other",
                })
                .collect()
        };
        // The first text in the same read as the start: nothing is sent until the read is
        // done, then start, first token and text in order (one wake-up of the receiver).
        let events = Arc::new(Mutex::new(Vec::new()));
        let mut state = new_state(&events, Duration::ZERO);
        crate::runtime::runtime().block_on(async {
            state.message_start().unwrap();
            state.next(Read::Now).await.unwrap();
            state.text_delta(0, "Hello").unwrap();
            assert!(kinds(&events).is_empty());
            assert!(state.anything_delivered());
            state.next(Read::Pending(2)).await.unwrap();
        });
        assert_eq!(kinds(&events), ["start", "first_token", "text"]);

        // The first text a read later: the start is sent before the task waits.
        let events = Arc::new(Mutex::new(Vec::new()));
        let mut state = new_state(&events, Duration::ZERO);
        crate::runtime::runtime().block_on(async {
            state.message_start().unwrap();
            state.next(Read::Pending(2)).await.unwrap();
            assert_eq!(kinds(&events), ["start"]);
            state.text_delta(0, "Hello").unwrap();
            state.send(Event::StopReason("end_turn".into())).unwrap();
        });
        assert_eq!(kinds(&events), ["start", "first_token", "text", "other"]);
    }

    #[test]
    fn a_chunk_handed_over_after_one_yield_joins_without_a_window() {
        let steps = [
            Step::Read(0, "One"),
            Step::Handed(0, " two"),
            Step::Handed(0, " three"),
            Step::Read(0, " four"),
            Step::Handed(0, " five."),
        ];
        let reference = run(&one_per_read(&steps), Duration::ZERO);
        let joined = run(&steps, Duration::ZERO);
        assert_eq!(texts(&reference).len(), 5);
        assert_eq!(normal(&joined), normal(&reference));
        // " four" waited one yield in vain: the stream stops yielding for a while, so
        // " five." (which one yield would have brought) goes out alone.
        assert_eq!(texts(&joined), ["One two three", " four", " five."]);
    }

    #[test]
    fn a_stream_whose_yields_miss_retries_one_in_yield_retry() {
        // Every read from the socket (a miss), then a handed-over chunk at the retry.
        let mut steps = vec![Step::Read(0, "a")];
        for _ in 0..YIELD_RETRY {
            steps.push(Step::Read(0, " b"));
        }
        steps.push(Step::Handed(0, " c"));
        let joined = run(&steps, Duration::ZERO);
        assert_eq!(
            normal(&joined),
            normal(&run(&one_per_read(&steps), Duration::ZERO))
        );
        let texts = texts(&joined);
        // Misses 1..=8 flushed every text alone; the 8th miss tries a yield again, which
        // joins " c" to the last " b".
        assert_eq!(texts.len(), YIELD_RETRY as usize + 1);
        assert_eq!(texts.last(), Some(&" b c"));
    }

    #[test]
    fn a_window_holds_text_across_reads_but_not_past_its_bound() {
        let steps = [
            Step::Read(0, "One"),
            Step::Read(0, " two"),
            Step::Slow(1, 0, " three"),
            Step::Slow(60, 0, " four"),
            Step::Read(0, " five"),
        ];
        let reference = run(&one_per_read(&steps), Duration::ZERO);
        let windowed = run(&steps, Duration::from_millis(30));
        assert_eq!(normal(&windowed), normal(&reference));
        // The 60 ms read is past the 30 ms window: the text before it went out alone.
        assert_eq!(texts(&windowed), ["One two three", " four five"]);
    }

    #[test]
    fn held_text_goes_out_before_a_terminal_and_counts_as_delivered() {
        let events = Arc::new(Mutex::new(Vec::new()));
        let mut state = new_state(&events, Duration::ZERO);
        state.text_delta(0, "Hello").unwrap();
        state.text_delta(0, " there").unwrap();
        assert!(state.anything_delivered());
        let error =
            aybiza_core::error::Error::new(aybiza_core::error::ErrorKind::Cancelled, "cancelled");
        state.send(Event::Error(Box::new(error), None)).unwrap();
        let got = events.lock().unwrap().clone();
        assert!(matches!(&got[0], Event::FirstToken(_)));
        assert_eq!(got[1], Event::Text("Hello there".into()));
        assert!(got[2].is_terminal());
        assert_eq!(got.len(), 3);
        assert_eq!(state.delivered().text, "Hello there");
    }

    /// Text with sentences, markdown and multi-byte characters, `bytes` long at most.
    fn long_text(bytes: usize) -> String {
        let mut s = String::new();
        for i in 0.. {
            let piece = format!(
                "Order **A-{i}** ships on Monday at 10:{:02} a.m., caf\u{e9} \u{2603}. - Item {i}: size M.\n",
                i % 60
            );
            if s.len() + piece.len() > bytes {
                break;
            }
            s.push_str(&piece);
        }
        s
    }

    /// Counts the polls of a future that returned `Pending` (the task's yields).
    struct Yields<F> {
        inner: Pin<Box<F>>,
        count: Arc<std::sync::atomic::AtomicUsize>,
    }

    impl<F: Future> Future for Yields<F> {
        type Output = F::Output;
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
            let out = self.inner.as_mut().poll(cx);
            if out.is_pending() {
                self.count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
            out
        }
    }

    /// A splitter that logs the bytes of each push with the task's yield count at the time.
    struct Logged {
        inner: Split,
        yields: Arc<std::sync::atomic::AtomicUsize>,
        log: Arc<Mutex<Vec<(usize, usize)>>>,
    }

    impl SentenceSplitter for Logged {
        fn push(&mut self, delta: &str) -> Vec<String> {
            let y = self.yields.load(std::sync::atomic::Ordering::SeqCst);
            self.log.lock().unwrap().push((y, delta.len()));
            self.inner.push(delta)
        }
        fn finish(&mut self) -> Vec<String> {
            self.inner.finish()
        }
    }

    #[test]
    fn a_large_delta_is_cut_a_slice_at_a_time_with_a_yield_between_slices() {
        let text = long_text(MAX_EVENT_BYTES);
        let yields = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let log = Arc::new(Mutex::new(Vec::new()));
        let events = Arc::new(Mutex::new(Vec::new()));
        let splitter = Logged {
            inner: Split(Segmenter::new(SegmenterOptions::voice())),
            yields: yields.clone(),
            log: log.clone(),
        };
        let mut state = StreamState::new(
            Box::new(Collect(events.clone())),
            Some(Box::new(splitter)),
            Instant::now(),
            Summary::default(),
        );
        let work = async {
            state.message_start().unwrap();
            state.text_delta(0, &text).unwrap();
            // Nothing cut yet: it waits for `pace`.
            assert!(log.lock().unwrap().is_empty());
            state.pace().await.unwrap();
            state.block_stop(0).unwrap();
        };
        crate::runtime::runtime().block_on(Yields {
            inner: Box::pin(work),
            count: yields.clone(),
        });
        // Bytes cut between two yields: never more than a slice.
        let mut per_yield: BTreeMap<usize, usize> = BTreeMap::new();
        for (y, n) in log.lock().unwrap().iter() {
            *per_yield.entry(*y).or_default() += n;
        }
        assert_eq!(per_yield.values().sum::<usize>(), text.len());
        assert!(per_yield.values().all(|&n| n <= TEXT_SLICE_BYTES));
        assert!(per_yield.len() >= text.len() / TEXT_SLICE_BYTES);
        let yielded = yields.load(std::sync::atomic::Ordering::SeqCst);
        assert!((per_yield.len() - 1..=per_yield.len()).contains(&yielded));
    }

    /// Sentences, text, the other events and the summary of `deltas` (each delta of one read
    /// after the first, paced as the stream loops do, then a tool call, the stop and usage).
    fn answer_of(deltas: &[&str], options: SegmenterOptions) -> Vec<Event> {
        let events = Arc::new(Mutex::new(Vec::new()));
        let mut state = StreamState::new(
            Box::new(Collect(events.clone())),
            Some(Box::new(Split(Segmenter::new(options)))),
            Instant::now(),
            Summary::default(),
        );
        crate::runtime::runtime().block_on(async {
            state.message_start().unwrap();
            for d in deltas {
                state.text_delta(0, d).unwrap();
                state.pace().await.unwrap();
            }
            state.text_delta(0, "Last words").unwrap();
            state.tool_start(1, "t1", "track").unwrap();
            state.tool_delta(1, r#"{"order":"A-1"}"#).unwrap();
            state.pace().await.unwrap();
            state.finish_message().unwrap();
            state.stop_reason("tool_use").unwrap();
            state.usage(Usage::default()).unwrap();
            let summary = state.take_summary();
            state.send(Event::Done(Box::new(summary))).unwrap();
        });
        let out = events.lock().unwrap().clone();
        out
    }

    /// `s` in pieces of at most `n` bytes, on character boundaries.
    fn pieces(s: &str, n: usize) -> Vec<&str> {
        let mut out = Vec::new();
        let mut at = 0;
        while at < s.len() {
            let mut end = (at + n).min(s.len());
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            out.push(&s[at..end]);
            at = end;
        }
        out
    }

    #[test]
    fn a_large_delta_gives_the_messages_of_the_same_text_in_small_deltas() {
        let text = long_text(300 * 1024);
        for options in [SegmenterOptions::voice(), SegmenterOptions::default()] {
            let big = answer_of(&[text.as_str()], options.clone());
            let small = answer_of(&pieces(&text, 7), options.clone());
            // Texts join differently (a text goes out before each sentence cut from it);
            // everything else is the same, in the same order.
            let rest = |events: &[Event]| -> Vec<Event> {
                normal(events)
                    .into_iter()
                    .filter(|e| !matches!(e, Event::Text(_)))
                    .collect()
            };
            assert_eq!(rest(&big), rest(&small));
            assert_eq!(texts(&big).concat(), texts(&small).concat());
            assert_eq!(texts(&big).concat(), format!("{text}Last words"));
            assert!(rest(&big).len() > 1000, "sentences were cut");
            // Each sentence follows the text it was cut from.
            let (mut seen, mut cut) = (String::new(), 0);
            for e in &big {
                match e {
                    Event::Text(t) => seen.push_str(t),
                    Event::Sentence(_, s) if options.speech.is_none() => {
                        let at = seen[cut..].find(s.trim()).expect("sentence after its text");
                        cut += at + s.trim().len();
                    }
                    _ => {}
                }
            }
            if options.speech.is_none() {
                assert_eq!(cut, seen.len(), "every text ends up in a sentence");
            }
            let Some(Event::Done(summary)) = big.last() else {
                panic!("done last")
            };
            assert_eq!(summary.text, format!("{text}Last words"));
            assert_eq!(summary.content[0], json!({"text": summary.text}));
        }
    }

    #[test]
    fn an_event_after_an_unpaced_large_delta_cuts_the_backlog_first() {
        // A loop that did not pace: the next event still comes after all of the delta's
        // text and sentences, and a failed stream's delivered text has all of it.
        let text = long_text(100 * 1024);
        let events = Arc::new(Mutex::new(Vec::new()));
        let mut state = new_state(&events, Duration::ZERO);
        state.text_delta(0, &text).unwrap();
        assert!(state.backlog.is_some());
        assert_eq!(state.delivered().text, text);
        state.usage(Usage::default()).unwrap();
        assert!(state.backlog.is_none());
        let got = events.lock().unwrap().clone();
        assert!(matches!(got.last(), Some(Event::Usage(_))));
        assert_eq!(texts(&got).concat(), text);
        let reference = run_text(&pieces(&text, 64));
        let sentences = |e: &[Event]| -> Vec<Event> {
            e.iter()
                .filter(|e| matches!(e, Event::Sentence(..)))
                .cloned()
                .collect()
        };
        assert_eq!(sentences(&got), sentences(&reference));
    }

    /// The events of `deltas` fed without pacing, then usage.
    fn run_text(deltas: &[&str]) -> Vec<Event> {
        let events = Arc::new(Mutex::new(Vec::new()));
        let mut state = new_state(&events, Duration::ZERO);
        for d in deltas {
            state.text_delta(0, d).unwrap();
        }
        state.usage(Usage::default()).unwrap();
        let out = events.lock().unwrap().clone();
        out
    }

    #[test]
    fn text_blocks_keep_their_text_whether_their_deltas_follow_each_other_or_interleave() {
        let events = Arc::new(Mutex::new(Vec::new()));
        let mut state = new_state(&events, Duration::ZERO);
        for (i, t) in [
            (0, "One. "),
            (0, "Two. "),
            (1, "a"),
            (2, "x"),
            (1, "b"),
            (2, "y"),
        ] {
            state.text_delta(i, t).unwrap();
        }
        state.block_stop(1).unwrap();
        state.text_delta(3, "Tail").unwrap();
        state.tool_start(4, "t1", "track").unwrap();
        // A text delta on the tool's index is kept, in a block of its own.
        state.text_delta(4, "!").unwrap();
        state.finish_message().unwrap();
        let summary = state.take_summary();
        assert_eq!(summary.text, "One. Two. axbyTail!");
        assert_eq!(
            summary.content,
            vec![
                json!({"text": "ab"}),
                json!({"text": "One. Two. "}),
                json!({"text": "xy"}),
                json!({"text": "Tail"}),
                json!({"tool_use": {"tool_use_id": "t1", "name": "track", "input": {}}}),
                json!({"text": "!"}),
            ]
        );
    }

    #[test]
    fn a_text_delta_on_a_tool_block_at_the_largest_index_keeps_its_text_without_panicking() {
        // The index comes from the peer (Anthropic events carry any JSON integer).
        let events = Arc::new(Mutex::new(Vec::new()));
        let mut state = new_state(&events, Duration::ZERO);
        state.tool_start(i64::MAX, "t1", "lookup").unwrap();
        state.text_delta(i64::MAX, "Hi").unwrap();
        state.flush_text().unwrap();
        assert_eq!(state.delivered().text, "Hi");
    }
}
