//! Per-call stream state shared by the ConverseStream and InvokeModelWithResponseStream
//! decoders: forwards deltas, cuts sentences, assembles tool input and the assistant's
//! content blocks, and tracks what the caller already received.

use crate::events::{Event, EventSink, ReceiverGone, SentenceSplitter, Summary, Usage};
use aybiza_core::error::{Delivered, Error, ErrorKind};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Instant;

#[derive(Debug)]
enum Block {
    Text(String),
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

pub struct StreamState {
    sink: Box<dyn EventSink>,
    splitter: Option<Box<dyn SentenceSplitter>>,
    started: Instant,
    blocks: BTreeMap<i64, Block>,
    content: Vec<Value>,
    pub summary: Summary,
    thinking_started: bool,
    events_sent: u64,
    delivered_text: String,
    /// Bytes of text, tool input and reasoning received so far (see [`MAX_ANSWER_BYTES`]).
    received: usize,
}

/// Bytes of text, tool input and reasoning one answer may stream: far above any model's
/// output limit (128k tokens is well under 1 MiB of text), low enough that a broken or
/// hostile peer streaming without end cannot make one call hold gigabytes (the text is kept
/// in the summary and the delivered record).
pub const MAX_ANSWER_BYTES: usize = 16 << 20;

/// Bytes of one streamed event (a delta or a chunk); Bedrock's are tens of bytes. The same
/// cap as the Messages API's SSE events.
pub const MAX_EVENT_BYTES: usize = 1 << 20;

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
            delivered_text: String::new(),
            received: 0,
        }
    }

    /// An error once the answer streamed more than [`MAX_ANSWER_BYTES`].
    pub fn check_answer_size(&self) -> Result<(), Error> {
        if self.received > MAX_ANSWER_BYTES {
            return Err(Error::new(
                ErrorKind::Protocol,
                format!("the answer streamed more than {MAX_ANSWER_BYTES} bytes"),
            ));
        }
        Ok(())
    }

    pub fn elapsed_us(&self) -> u64 {
        self.started.elapsed().as_micros() as u64
    }

    pub fn send(&mut self, event: Event) -> Result<(), ReceiverGone> {
        self.events_sent += 1;
        self.sink.send(event)
    }

    /// Whether anything reached the caller (decides the error phase).
    pub fn anything_delivered(&self) -> bool {
        self.events_sent > 0
    }

    pub fn delivered(&self) -> Delivered {
        Delivered {
            chars: self.delivered_text.chars().count() as u64,
            sentences: self.summary.sentences,
            text: self.delivered_text.clone(),
        }
    }

    pub fn first_byte(&mut self) {
        if self.summary.timings.first_byte_us.is_none() {
            self.summary.timings.first_byte_us = Some(self.elapsed_us());
        }
    }

    fn first_token(&mut self) -> Result<(), ReceiverGone> {
        if self.summary.timings.first_token_us.is_none() {
            let us = self.elapsed_us();
            self.summary.timings.first_token_us = Some(us);
            self.send(Event::FirstToken(us))?;
        }
        Ok(())
    }

    pub fn message_start(&mut self) -> Result<(), ReceiverGone> {
        self.first_byte();
        self.send(Event::MessageStart)
    }

    pub fn text_delta(&mut self, index: i64, delta: &str) -> Result<(), ReceiverGone> {
        if delta.is_empty() {
            return Ok(());
        }
        self.received += delta.len();
        self.first_token()?;
        match self
            .blocks
            .entry(index)
            .or_insert_with(|| Block::Text(String::new()))
        {
            Block::Text(t) => t.push_str(delta),
            // A text delta on a non-text index: keep it, do not lose text.
            _ => {
                self.blocks
                    .insert(index + 1_000_000, Block::Text(delta.to_string()));
            }
        }
        self.summary.text.push_str(delta);
        self.delivered_text.push_str(delta);
        self.send(Event::Text(delta.to_string()))?;
        let sentences = match self.splitter.as_mut() {
            Some(s) => s.push(delta),
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
                self.summary.timings.first_sentence_us = Some(self.elapsed_us());
            }
            let seq = self.summary.sentences;
            self.summary.sentences += 1;
            self.send(Event::Sentence(seq, s))?;
        }
        Ok(())
    }

    /// Releases the splitter's remainder as sentences (a text block or the message ended).
    pub fn flush_sentences(&mut self) -> Result<(), ReceiverGone> {
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
        self.first_token()?;
        if let Some(Block::Tool { input_json, .. }) = self.blocks.get_mut(&index) {
            input_json.push_str(partial);
        }
        Ok(())
    }

    pub fn reasoning_delta(&mut self, index: i64, delta: &str) -> Result<(), ReceiverGone> {
        self.received += delta.len();
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
        match self.blocks.remove(&index) {
            Some(Block::Text(text)) => {
                self.content.push(json!({"text": text}));
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
                self.content.push(json!({"tool_use": {
                    "tool_use_id": id, "name": name, "input": input.clone()}}));
                self.send(Event::ToolUse { id, name, input })
            }
            Some(Block::Reasoning { text, signature }) => {
                self.content
                    .push(json!({"reasoning_content": {"text": text, "signature": signature}}));
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
        self.content.push(block);
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
        let mut summary = std::mem::take(&mut self.summary);
        summary.content = std::mem::take(&mut self.content);
        summary.timings.total_us = self.elapsed_us();
        summary
    }
}
