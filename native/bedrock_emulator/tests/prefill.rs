//! The assistant prefill (a final assistant turn) as the real aws-sdk-bedrockruntime client
//! sees it: the model continues after it, a rule can make it restart instead, and the Claude
//! 4.6 family and later reject it, as Anthropic documents
//! (platform.claude.com/docs/en/about-claude/models/whats-new-claude-4-6#prefill-removal).

mod common;

use aws_sdk_bedrockruntime::error::ProvideErrorMetadata;
use aws_sdk_bedrockruntime::types::{
    ContentBlock, ContentBlockDelta, ConversationRole, ConverseOutput, ConverseStreamOutput,
    Message,
};
use aws_sdk_bedrockruntime::Client;
use bedrock_emulator::{Emulator, EmulatorConfig, PrefillMode, Rule};

const HAIKU_45: &str = "us.anthropic.claude-haiku-4-5-20251001-v1:0";
const SONNET_46: &str = "us.anthropic.claude-sonnet-4-6";
const REPLY: &str = "First we check the calendar. Then we book the slot. Finally we call you back.";

async fn start(rules: Vec<Rule>) -> (Emulator, Client) {
    let emu = Emulator::start(EmulatorConfig {
        rules,
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let client = common::sdk_client(&emu);
    (emu, client)
}

fn message(role: ConversationRole, text: &str) -> Message {
    Message::builder()
        .role(role)
        .content(ContentBlock::Text(text.into()))
        .build()
        .unwrap()
}

fn prefilled(prefill: &str) -> Vec<Message> {
    vec![
        message(ConversationRole::User, "Can you book me in?"),
        message(ConversationRole::Assistant, prefill),
    ]
}

fn rule(prefill: Option<PrefillMode>) -> Vec<Rule> {
    vec![Rule {
        reply: Some(REPLY.into()),
        prefill,
        ..Rule::default()
    }]
}

async fn converse_text(c: &Client, model: &str, messages: Vec<Message>) -> String {
    let out = c
        .converse()
        .model_id(model)
        .set_messages(Some(messages))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{:?}", e.into_service_error()));
    match out.output() {
        Some(ConverseOutput::Message(m)) => m
            .content()
            .iter()
            .filter_map(|b| b.as_text().ok().cloned())
            .collect(),
        other => panic!("{other:?}"),
    }
}

async fn stream_text(c: &Client, model: &str, messages: Vec<Message>) -> String {
    let out = c
        .converse_stream()
        .model_id(model)
        .set_messages(Some(messages))
        .send()
        .await
        .unwrap();
    let mut stream = out.stream;
    let mut text = String::new();
    while let Some(ev) = stream.recv().await.unwrap() {
        if let ConverseStreamOutput::ContentBlockDelta(d) = ev {
            if let Some(ContentBlockDelta::Text(t)) = d.delta() {
                text.push_str(t);
            }
        }
    }
    text
}

#[tokio::test]
async fn the_model_continues_after_the_prefill() {
    let (_emu, c) = start(rule(None)).await;
    // Sentences joined with single spaces still match the reply's own whitespace.
    let prefill = "First we check the calendar.";
    let expected = " Then we book the slot. Finally we call you back.";
    assert_eq!(
        converse_text(&c, HAIKU_45, prefilled(prefill)).await,
        expected
    );
    assert_eq!(
        stream_text(&c, HAIKU_45, prefilled(prefill)).await,
        expected
    );
    // A prefill the answer does not start with: the scripted text is the continuation.
    assert_eq!(converse_text(&c, HAIKU_45, prefilled("Sure.")).await, REPLY);
    // No prefill: the whole answer.
    assert_eq!(
        converse_text(&c, HAIKU_45, prefilled(prefill)[..1].to_vec()).await,
        REPLY
    );
}

#[tokio::test]
async fn an_unscripted_answer_continues_after_the_prefill_too() {
    let (_emu, c) = start(Vec::new()).await;
    let ask = prefilled("x")[..1].to_vec();
    let full = converse_text(&c, HAIKU_45, ask).await;
    let first = &full[..full.find(". ").expect("two sentences") + 1];
    assert_eq!(
        converse_text(&c, HAIKU_45, prefilled(first)).await,
        full[first.len()..]
    );
    assert_eq!(
        stream_text(&c, HAIKU_45, prefilled(first)).await,
        full[first.len()..]
    );
}

#[tokio::test]
async fn a_restart_rule_answers_from_the_beginning() {
    let (_emu, c) = start(rule(Some(PrefillMode::Restart))).await;
    let prefill = "First we check the calendar.";
    assert_eq!(converse_text(&c, HAIKU_45, prefilled(prefill)).await, REPLY);
    assert_eq!(stream_text(&c, HAIKU_45, prefilled(prefill)).await, REPLY);
}

#[tokio::test]
async fn bedrock_rejects_what_it_rejects() {
    let (_emu, c) = start(rule(None)).await;
    for (model, prefill, text) in [
        (
            SONNET_46,
            "First we check the calendar.",
            "This model does not support assistant message prefill. The conversation must end with a user message.",
        ),
        (
            HAIKU_45,
            "First we check the calendar. ",
            "messages: final assistant content cannot end with trailing whitespace",
        ),
    ] {
        let err = c
            .converse_stream()
            .model_id(model)
            .set_messages(Some(prefilled(prefill)))
            .send()
            .await
            .expect_err("rejected");
        assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(400));
        let svc = err.into_service_error();
        assert_eq!(svc.code(), Some("ValidationException"));
        assert_eq!(
            svc.message(),
            Some(format!("The model returned the following errors: {text}").as_str())
        );
    }
    // The same models take a conversation that ends with the user.
    assert_eq!(
        converse_text(&c, SONNET_46, prefilled("x")[..1].to_vec()).await,
        REPLY
    );
}
