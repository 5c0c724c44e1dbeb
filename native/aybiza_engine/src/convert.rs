//! Conversion between the core request model and the SDK's types, and back from the SDK's
//! output types into plain JSON for the caller.

use aws_sdk_bedrockruntime::primitives::Blob;
use aws_sdk_bedrockruntime::types as sdk;
use aws_smithy_types::{Document, Number};
use aybiza_core::error::Error;
use aybiza_core::request::{
    CachePoint, ContentBlock, ConverseRequest, Document as DocumentInput, DocumentFormat,
    GuardContent, Image, ImageFormat, Latency, Message, Role, SystemBlock, Tool, ToolChoice,
    ToolResultContent, ToolResultStatus,
};
use serde_json::{json, Map, Value};

/// The pieces of a Converse / ConverseStream call, already in SDK types.
pub struct SdkConverse {
    pub model_id: String,
    pub messages: Vec<sdk::Message>,
    pub system: Vec<sdk::SystemContentBlock>,
    pub inference_config: Option<sdk::InferenceConfiguration>,
    pub tool_config: Option<sdk::ToolConfiguration>,
    pub additional_model_request_fields: Option<Document>,
    pub additional_model_response_field_paths: Vec<String>,
    pub performance_config: Option<sdk::PerformanceConfiguration>,
    pub guardrail: Option<Guardrail>,
    pub request_metadata: std::collections::HashMap<String, String>,
}

pub struct Guardrail {
    pub identifier: String,
    pub version: String,
    pub trace: Option<String>,
    pub stream_processing_mode: Option<String>,
}

fn build_err(what: &str, e: impl std::fmt::Display) -> Error {
    Error::invalid_request(what, e.to_string())
}

/// Work of the iterative conversions: visit a node, or assemble a container from the last
/// `n` converted children.
enum Walk<'v, N, K> {
    Visit(&'v N),
    List(usize),
    Object(Vec<&'v K>),
}

/// JSON to the SDK's document type, with an explicit stack (caller-owned JSON has already
/// been held to the depth limit, but no conversion here recurses per level anyway).
pub fn json_to_document(value: &Value) -> Document {
    let mut work: Vec<Walk<Value, String>> = vec![Walk::Visit(value)];
    let mut done: Vec<Document> = Vec::new();
    while let Some(step) = work.pop() {
        match step {
            Walk::Visit(v) => match v {
                Value::Null => done.push(Document::Null),
                Value::Bool(b) => done.push(Document::Bool(*b)),
                Value::Number(n) => done.push(Document::Number(if let Some(u) = n.as_u64() {
                    Number::PosInt(u)
                } else if let Some(i) = n.as_i64() {
                    Number::NegInt(i)
                } else {
                    Number::Float(n.as_f64().unwrap_or(0.0))
                })),
                Value::String(s) => done.push(Document::String(s.clone())),
                Value::Array(items) => {
                    work.push(Walk::List(items.len()));
                    work.extend(items.iter().rev().map(Walk::Visit));
                }
                Value::Object(map) => {
                    work.push(Walk::Object(map.keys().collect()));
                    work.extend(map.values().rev().map(Walk::Visit));
                }
            },
            Walk::List(n) => {
                let items = done.split_off(done.len().saturating_sub(n));
                done.push(Document::Array(items));
            }
            Walk::Object(keys) => {
                let values = done.split_off(done.len().saturating_sub(keys.len()));
                let map = keys.into_iter().cloned().zip(values).collect();
                done.push(Document::Object(map));
            }
        }
    }
    done.pop().unwrap_or(Document::Null)
}

/// The SDK's document type (model output: tool input) to JSON, with an explicit stack.
pub fn document_to_json(doc: &Document) -> Value {
    let mut work: Vec<Walk<Document, String>> = vec![Walk::Visit(doc)];
    let mut done: Vec<Value> = Vec::new();
    while let Some(step) = work.pop() {
        match step {
            Walk::Visit(d) => match d {
                Document::Null => done.push(Value::Null),
                Document::Bool(b) => done.push(Value::Bool(*b)),
                Document::Number(Number::PosInt(u)) => done.push(json!(u)),
                Document::Number(Number::NegInt(i)) => done.push(json!(i)),
                Document::Number(Number::Float(f)) => done.push(json!(f)),
                Document::String(s) => done.push(Value::String(s.clone())),
                Document::Array(items) => {
                    work.push(Walk::List(items.len()));
                    work.extend(items.iter().rev().map(Walk::Visit));
                }
                Document::Object(map) => {
                    // Sorted keys: a HashMap's order is random, the JSON's should not be.
                    let mut entries: Vec<(&String, &Document)> = map.iter().collect();
                    entries.sort_by(|a, b| a.0.cmp(b.0));
                    work.push(Walk::Object(entries.iter().map(|(k, _)| *k).collect()));
                    work.extend(entries.iter().rev().map(|(_, v)| Walk::Visit(*v)));
                }
            },
            Walk::List(n) => {
                let items = done.split_off(done.len().saturating_sub(n));
                done.push(Value::Array(items));
            }
            Walk::Object(keys) => {
                let values = done.split_off(done.len().saturating_sub(keys.len()));
                let map: Map<String, Value> = keys.into_iter().cloned().zip(values).collect();
                done.push(Value::Object(map));
            }
        }
    }
    done.pop().unwrap_or(Value::Null)
}

fn cache_point(cp: &CachePoint) -> Result<sdk::CachePointBlock, Error> {
    let mut b = sdk::CachePointBlock::builder().r#type(sdk::CachePointType::Default);
    if let Some(ttl) = &cp.ttl {
        b = b.ttl(sdk::CacheTtl::from(ttl.as_str()));
    }
    b.build().map_err(|e| build_err("cache_point", e))
}

fn image_format(f: ImageFormat) -> sdk::ImageFormat {
    match f {
        ImageFormat::Png => sdk::ImageFormat::Png,
        ImageFormat::Jpeg => sdk::ImageFormat::Jpeg,
        ImageFormat::Gif => sdk::ImageFormat::Gif,
        ImageFormat::Webp => sdk::ImageFormat::Webp,
    }
}

fn document_format(f: DocumentFormat) -> sdk::DocumentFormat {
    match f {
        DocumentFormat::Pdf => sdk::DocumentFormat::Pdf,
        DocumentFormat::Csv => sdk::DocumentFormat::Csv,
        DocumentFormat::Doc => sdk::DocumentFormat::Doc,
        DocumentFormat::Docx => sdk::DocumentFormat::Docx,
        DocumentFormat::Xls => sdk::DocumentFormat::Xls,
        DocumentFormat::Xlsx => sdk::DocumentFormat::Xlsx,
        DocumentFormat::Html => sdk::DocumentFormat::Html,
        DocumentFormat::Txt => sdk::DocumentFormat::Txt,
        DocumentFormat::Md => sdk::DocumentFormat::Md,
    }
}

fn image_block(image: &Image) -> Result<sdk::ImageBlock, Error> {
    sdk::ImageBlock::builder()
        .format(image_format(image.format))
        .source(sdk::ImageSource::Bytes(Blob::new(image.bytes.clone())))
        .build()
        .map_err(|e| build_err("image", e))
}

fn document_block(doc: &DocumentInput) -> Result<sdk::DocumentBlock, Error> {
    sdk::DocumentBlock::builder()
        .format(document_format(doc.format))
        .name(&doc.name)
        .source(sdk::DocumentSource::Bytes(Blob::new(doc.bytes.clone())))
        .build()
        .map_err(|e| build_err("document", e))
}

fn content_block(block: &ContentBlock) -> Result<sdk::ContentBlock, Error> {
    Ok(match block {
        ContentBlock::Text(t) => sdk::ContentBlock::Text(t.clone()),
        ContentBlock::Image(image) => sdk::ContentBlock::Image(image_block(image)?),
        ContentBlock::Document(doc) => sdk::ContentBlock::Document(document_block(doc)?),
        ContentBlock::ToolUse {
            tool_use_id,
            name,
            input,
        } => sdk::ContentBlock::ToolUse(
            sdk::ToolUseBlock::builder()
                .tool_use_id(tool_use_id)
                .name(name)
                .input(json_to_document(input))
                .build()
                .map_err(|e| build_err("tool_use", e))?,
        ),
        ContentBlock::ToolResult {
            tool_use_id,
            content,
            status,
        } => {
            let mut b = sdk::ToolResultBlock::builder().tool_use_id(tool_use_id);
            for c in content {
                b = b.content(match c {
                    ToolResultContent::Text(t) => sdk::ToolResultContentBlock::Text(t.clone()),
                    ToolResultContent::Json(v) => {
                        sdk::ToolResultContentBlock::Json(json_to_document(v))
                    }
                    ToolResultContent::Image(image) => {
                        sdk::ToolResultContentBlock::Image(image_block(image)?)
                    }
                    ToolResultContent::Document(doc) => {
                        sdk::ToolResultContentBlock::Document(document_block(doc)?)
                    }
                });
            }
            if let Some(status) = status {
                b = b.status(match status {
                    ToolResultStatus::Success => sdk::ToolResultStatus::Success,
                    ToolResultStatus::Error => sdk::ToolResultStatus::Error,
                });
            }
            sdk::ContentBlock::ToolResult(b.build().map_err(|e| build_err("tool_result", e))?)
        }
        ContentBlock::Reasoning { text, signature } => {
            let mut rt = sdk::ReasoningTextBlock::builder().text(text);
            if let Some(sig) = signature {
                rt = rt.signature(sig);
            }
            sdk::ContentBlock::ReasoningContent(sdk::ReasoningContentBlock::ReasoningText(
                rt.build().map_err(|e| build_err("reasoning_content", e))?,
            ))
        }
        ContentBlock::RedactedReasoning(bytes) => sdk::ContentBlock::ReasoningContent(
            sdk::ReasoningContentBlock::RedactedContent(Blob::new(bytes.clone())),
        ),
        ContentBlock::CachePoint(cp) => sdk::ContentBlock::CachePoint(cache_point(cp)?),
        ContentBlock::GuardContent(g) => sdk::ContentBlock::GuardContent(guard_content(g)?),
    })
}

fn guard_content(g: &GuardContent) -> Result<sdk::GuardrailConverseContentBlock, Error> {
    let qualifiers = g
        .qualifiers
        .iter()
        .map(|q| sdk::GuardrailConverseContentQualifier::from(q.as_str()))
        .collect();
    let text = sdk::GuardrailConverseTextBlock::builder()
        .text(&g.text)
        .set_qualifiers(Some(qualifiers))
        .build()
        .map_err(|e| build_err("guard_content", e))?;
    Ok(sdk::GuardrailConverseContentBlock::Text(text))
}

fn message(m: &Message) -> Result<sdk::Message, Error> {
    let role = match m.role {
        Role::User => sdk::ConversationRole::User,
        Role::Assistant => sdk::ConversationRole::Assistant,
    };
    let content = m
        .content
        .iter()
        .map(content_block)
        .collect::<Result<Vec<_>, _>>()?;
    sdk::Message::builder()
        .role(role)
        .set_content(Some(content))
        .build()
        .map_err(|e| build_err("messages", e))
}

/// Converts a decoded request into SDK types.
pub fn to_sdk(req: &ConverseRequest) -> Result<SdkConverse, Error> {
    let messages = req
        .messages
        .iter()
        .map(message)
        .collect::<Result<Vec<_>, _>>()?;
    let system = req
        .system
        .iter()
        .map(|b| {
            Ok(match b {
                SystemBlock::Text(t) => sdk::SystemContentBlock::Text(t.clone()),
                SystemBlock::CachePoint(cp) => {
                    sdk::SystemContentBlock::CachePoint(cache_point(cp)?)
                }
                SystemBlock::GuardContent(g) => {
                    sdk::SystemContentBlock::GuardContent(guard_content(g)?)
                }
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let inference_config = req.inference_config.as_ref().map(|c| {
        sdk::InferenceConfiguration::builder()
            .set_max_tokens(c.max_tokens)
            .set_temperature(c.temperature)
            .set_top_p(c.top_p)
            .set_stop_sequences(if c.stop_sequences.is_empty() {
                None
            } else {
                Some(c.stop_sequences.clone())
            })
            .build()
    });
    let tool_config = match &req.tool_config {
        None => None,
        Some(tc) => {
            let mut b = sdk::ToolConfiguration::builder();
            for t in &tc.tools {
                b = b.tools(match t {
                    Tool::Spec {
                        name,
                        description,
                        input_schema,
                    } => sdk::Tool::ToolSpec(
                        sdk::ToolSpecification::builder()
                            .name(name)
                            .set_description(description.clone())
                            .input_schema(sdk::ToolInputSchema::Json(json_to_document(
                                input_schema,
                            )))
                            .build()
                            .map_err(|e| build_err("tool_config.tools", e))?,
                    ),
                    Tool::CachePoint(cp) => sdk::Tool::CachePoint(cache_point(cp)?),
                });
            }
            if let Some(choice) = &tc.tool_choice {
                b = b.tool_choice(match choice {
                    ToolChoice::Auto => {
                        sdk::ToolChoice::Auto(sdk::AutoToolChoice::builder().build())
                    }
                    ToolChoice::Any => sdk::ToolChoice::Any(sdk::AnyToolChoice::builder().build()),
                    ToolChoice::Tool(name) => sdk::ToolChoice::Tool(
                        sdk::SpecificToolChoice::builder()
                            .name(name)
                            .build()
                            .map_err(|e| build_err("tool_config.tool_choice", e))?,
                    ),
                });
            }
            Some(b.build().map_err(|e| build_err("tool_config", e))?)
        }
    };
    let performance_config = req.performance_latency.map(|l| {
        sdk::PerformanceConfiguration::builder()
            .latency(match l {
                Latency::Standard => sdk::PerformanceConfigLatency::Standard,
                Latency::Optimized => sdk::PerformanceConfigLatency::Optimized,
            })
            .build()
    });
    Ok(SdkConverse {
        model_id: req.model_id.clone(),
        messages,
        system,
        inference_config,
        tool_config,
        additional_model_request_fields: req
            .additional_model_request_fields
            .as_ref()
            .map(json_to_document),
        additional_model_response_field_paths: req.additional_model_response_field_paths.clone(),
        performance_config,
        guardrail: req.guardrail_config.as_ref().map(|g| Guardrail {
            identifier: g.identifier.clone(),
            version: g.version.clone(),
            trace: g.trace.clone(),
            stream_processing_mode: g.stream_processing_mode.clone(),
        }),
        request_metadata: req
            .request_metadata
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    })
}

/// The assistant's content blocks as JSON in the request shape (snake_case keys), so the
/// caller can send them back unchanged on the next turn.
pub fn output_block_to_json(block: &sdk::ContentBlock) -> Option<Value> {
    Some(match block {
        sdk::ContentBlock::Text(t) => json!({"text": t}),
        sdk::ContentBlock::ToolUse(tu) => json!({"tool_use": {
            "tool_use_id": tu.tool_use_id(), "name": tu.name(),
            "input": document_to_json(tu.input())}}),
        sdk::ContentBlock::ReasoningContent(sdk::ReasoningContentBlock::ReasoningText(rt)) => {
            json!({"reasoning_content": {"text": rt.text(), "signature": rt.signature()}})
        }
        _ => return None,
    })
}

/// A guardrail trace (Converse `trace.guardrail`, ConverseStream `metadata.trace.guardrail`)
/// as plain JSON with snake_case keys: `model_output`, `input_assessment` (guardrail id ->
/// assessment), `output_assessments` (guardrail id -> assessments), `action_reason`. Each
/// assessment carries the policies that reported something (`topic_policy`,
/// `content_policy`, `word_policy`, `sensitive_information_policy`,
/// `contextual_grounding_policy`) and `invocation_metrics`; the automated-reasoning
/// findings are summarized as `automated_reasoning_policy: {findings: N}`.
pub fn guardrail_trace_to_json(t: &sdk::GuardrailTraceAssessment) -> Value {
    let mut out = Map::new();
    if !t.model_output().is_empty() {
        out.insert("model_output".into(), json!(t.model_output()));
    }
    if let Some(input) = t.input_assessment() {
        let m: Map<String, Value> = input
            .iter()
            .map(|(id, a)| (id.clone(), guardrail_assessment_to_json(a)))
            .collect();
        out.insert("input_assessment".into(), Value::Object(m));
    }
    if let Some(outputs) = t.output_assessments() {
        let m: Map<String, Value> = outputs
            .iter()
            .map(|(id, list)| {
                let list: Vec<Value> = list.iter().map(guardrail_assessment_to_json).collect();
                (id.clone(), Value::Array(list))
            })
            .collect();
        out.insert("output_assessments".into(), Value::Object(m));
    }
    if let Some(reason) = t.action_reason() {
        out.insert("action_reason".into(), json!(reason));
    }
    Value::Object(out)
}

fn guardrail_assessment_to_json(a: &sdk::GuardrailAssessment) -> Value {
    let mut out = Map::new();
    if let Some(p) = a.topic_policy() {
        let topics: Vec<Value> = p
            .topics()
            .iter()
            .map(|t| {
                json!({"name": t.name(), "type": t.r#type().as_str(),
                       "action": t.action().as_str(), "detected": t.detected()})
            })
            .collect();
        out.insert("topic_policy".into(), json!({ "topics": topics }));
    }
    if let Some(p) = a.content_policy() {
        let filters: Vec<Value> = p
            .filters()
            .iter()
            .map(|f| {
                json!({"type": f.r#type().as_str(), "confidence": f.confidence().as_str(),
                       "filter_strength": f.filter_strength().map(|s| s.as_str()),
                       "action": f.action().as_str(), "detected": f.detected()})
            })
            .collect();
        out.insert("content_policy".into(), json!({ "filters": filters }));
    }
    if let Some(p) = a.word_policy() {
        let custom: Vec<Value> = p
            .custom_words()
            .iter()
            .map(|w| json!({"match": w.r#match(), "action": w.action().as_str(), "detected": w.detected()}))
            .collect();
        let managed: Vec<Value> = p
            .managed_word_lists()
            .iter()
            .map(|w| {
                json!({"match": w.r#match(), "type": w.r#type().as_str(),
                       "action": w.action().as_str(), "detected": w.detected()})
            })
            .collect();
        out.insert(
            "word_policy".into(),
            json!({"custom_words": custom, "managed_word_lists": managed}),
        );
    }
    if let Some(p) = a.sensitive_information_policy() {
        let pii: Vec<Value> = p
            .pii_entities()
            .iter()
            .map(|e| {
                json!({"match": e.r#match(), "type": e.r#type().as_str(),
                       "action": e.action().as_str(), "detected": e.detected()})
            })
            .collect();
        let regexes: Vec<Value> = p
            .regexes()
            .iter()
            .map(|r| {
                json!({"name": r.name(), "match": r.r#match(), "regex": r.regex(),
                       "action": r.action().as_str(), "detected": r.detected()})
            })
            .collect();
        out.insert(
            "sensitive_information_policy".into(),
            json!({"pii_entities": pii, "regexes": regexes}),
        );
    }
    if let Some(p) = a.contextual_grounding_policy() {
        let filters: Vec<Value> = p
            .filters()
            .iter()
            .map(|f| {
                json!({"type": f.r#type().as_str(), "threshold": f.threshold(), "score": f.score(),
                       "action": f.action().as_str(), "detected": f.detected()})
            })
            .collect();
        out.insert(
            "contextual_grounding_policy".into(),
            json!({ "filters": filters }),
        );
    }
    if let Some(p) = a.automated_reasoning_policy() {
        out.insert(
            "automated_reasoning_policy".into(),
            json!({"findings": p.findings().len()}),
        );
    }
    if let Some(m) = a.invocation_metrics() {
        out.insert(
            "invocation_metrics".into(),
            json!({"guardrail_processing_latency": m.guardrail_processing_latency()}),
        );
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guardrail_trace_keeps_what_each_policy_reported() {
        let topic = sdk::GuardrailTopic::builder()
            .name("Investment advice")
            .r#type(sdk::GuardrailTopicType::Deny)
            .action(sdk::GuardrailTopicPolicyAction::Blocked)
            .detected(true)
            .build()
            .unwrap();
        let filter = sdk::GuardrailContentFilter::builder()
            .r#type(sdk::GuardrailContentFilterType::Insults)
            .confidence(sdk::GuardrailContentFilterConfidence::Medium)
            .action(sdk::GuardrailContentPolicyAction::Blocked)
            .build()
            .unwrap();
        let pii = sdk::GuardrailPiiEntityFilter::builder()
            .r#match("4411")
            .r#type(sdk::GuardrailPiiEntityType::CreditDebitCardNumber)
            .action(sdk::GuardrailSensitiveInformationPolicyAction::Anonymized)
            .build()
            .unwrap();
        let assessment = sdk::GuardrailAssessment::builder()
            .topic_policy(
                sdk::GuardrailTopicPolicyAssessment::builder()
                    .topics(topic)
                    .build()
                    .unwrap(),
            )
            .content_policy(
                sdk::GuardrailContentPolicyAssessment::builder()
                    .filters(filter)
                    .build()
                    .unwrap(),
            )
            .sensitive_information_policy(
                sdk::GuardrailSensitiveInformationPolicyAssessment::builder()
                    .pii_entities(pii)
                    .set_regexes(Some(vec![]))
                    .build()
                    .unwrap(),
            )
            .build();
        let trace = sdk::GuardrailTraceAssessment::builder()
            .model_output("It is 4411.")
            .input_assessment("gr1", assessment.clone())
            .output_assessments("gr1", vec![assessment])
            .action_reason("Guardrail blocked.")
            .build();
        let v = guardrail_trace_to_json(&trace);
        assert_eq!(v["model_output"], json!(["It is 4411."]));
        assert_eq!(v["action_reason"], "Guardrail blocked.");
        let a = &v["input_assessment"]["gr1"];
        assert_eq!(
            a["topic_policy"]["topics"][0],
            json!({"name": "Investment advice", "type": "DENY", "action": "BLOCKED", "detected": true})
        );
        assert_eq!(a["content_policy"]["filters"][0]["type"], "INSULTS");
        assert_eq!(a["content_policy"]["filters"][0]["detected"], Value::Null);
        assert_eq!(
            a["sensitive_information_policy"]["pii_entities"][0]["type"],
            "CREDIT_DEBIT_CARD_NUMBER"
        );
        assert!(a.get("word_policy").is_none());
        assert_eq!(v["output_assessments"]["gr1"][0], *a);
    }

    #[test]
    fn documents_round_trip_without_recursion() {
        let v = json!({"a": [1, -2, 2.5, null, true, "s", {"b": []}], "c": {}});
        assert_eq!(document_to_json(&json_to_document(&v)), v);
        // Far deeper than any stack would allow by recursion in a debug build.
        let mut deep = Document::Null;
        for _ in 0..100_000 {
            deep = Document::Array(vec![deep]);
        }
        let j = document_to_json(&deep);
        let back = json_to_document(&j);
        assert!(matches!(back, Document::Array(_)));
        // Dropping a deep value recurses: take it apart iteratively.
        std::mem::forget(j);
        std::mem::forget(back);
        std::mem::forget(deep);
    }
}
