//! Guardrails on Converse / ConverseStream as the real aws-sdk-bedrockruntime client sees
//! them: unknown guardrails rejected, a rule that makes the guardrail intervene on the
//! prompt or on the answer, the blocked message, `guardrail_intervened` and the trace.

mod common;

use common::user;

use aws_sdk_bedrockruntime::error::ProvideErrorMetadata;
use aws_sdk_bedrockruntime::types::{
    ContentBlock, ContentBlockDelta, ConversationRole, ConverseOutput, ConverseStreamOutput,
    GuardrailConfiguration, GuardrailConverseContentBlock, GuardrailConverseTextBlock,
    GuardrailStreamConfiguration, GuardrailTrace, Message, StopReason,
};
use aws_sdk_bedrockruntime::Client;
use bedrock_emulator::{
    Emulator, EmulatorConfig, GuardrailRule, GuardrailSource, GuardrailSpec, Rule,
};

const HAIKU_45: &str = "us.anthropic.claude-haiku-4-5-20251001-v1:0";
const BLOCKED_IN: &str = "I can't discuss that topic on this line.";
const BLOCKED_OUT: &str = "Sorry, I can't share that answer.";
const ANSWER: &str = "Our account numbers start with 44.";

async fn start() -> (Emulator, Client) {
    let emu = Emulator::start(EmulatorConfig {
        guardrails: vec![GuardrailSpec {
            id: "gr7abc".into(),
            versions: vec!["1".into(), "2".into()],
            blocked_input_messaging: BLOCKED_IN.into(),
            blocked_outputs_messaging: BLOCKED_OUT.into(),
        }],
        rules: vec![
            Rule {
                prompt_contains: Some("investment".into()),
                guardrail: Some(GuardrailRule {
                    on: GuardrailSource::Input,
                    id: None,
                    topic: Some("Investment advice".into()),
                }),
                ..Rule::default()
            },
            Rule {
                prompt_contains: Some("account".into()),
                reply: Some(ANSWER.into()),
                guardrail: Some(GuardrailRule {
                    on: GuardrailSource::Output,
                    id: Some("gr7abc".into()),
                    topic: None,
                }),
                ..Rule::default()
            },
            Rule {
                reply: Some("Happy to help.".into()),
                ..Rule::default()
            },
        ],
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let client = common::sdk_client(&emu);
    (emu, client)
}

fn guardrail(id: &str, version: &str, trace: bool) -> GuardrailConfiguration {
    GuardrailConfiguration::builder()
        .guardrail_identifier(id)
        .guardrail_version(version)
        .trace(if trace {
            GuardrailTrace::Enabled
        } else {
            GuardrailTrace::Disabled
        })
        .build()
}

fn text_of(out: &aws_sdk_bedrockruntime::operation::converse::ConverseOutput) -> String {
    match out.output() {
        Some(ConverseOutput::Message(m)) => m
            .content()
            .iter()
            .filter_map(|b| b.as_text().ok().cloned())
            .collect(),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn unknown_guardrails_are_rejected() {
    let (_emu, c) = start().await;
    let arn = "arn:aws:bedrock:us-east-1:123456789012:guardrail/gr7abc";
    for (id, version, text) in [
        ("nope", "1", "The guardrail identifier or version provided in the request does not exist."),
        ("gr7abc", "3", "The guardrail identifier or version provided in the request does not exist."),
        ("Bad_Id", "1", "1 validation error detected: Value 'Bad_Id' at 'guardrailConfig.guardrailIdentifier' failed to satisfy constraint: Member must satisfy regular expression pattern: (|([a-z0-9]+)|(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail/[a-z0-9]+))"),
        ("gr7abc", "v1", "1 validation error detected: Value 'v1' at 'guardrailConfig.guardrailVersion' failed to satisfy constraint: Member must satisfy regular expression pattern: (|([1-9][0-9]{0,7})|(DRAFT))"),
    ] {
        let err = c
            .converse()
            .model_id(HAIKU_45)
            .messages(user("Hello"))
            .guardrail_config(guardrail(id, version, false))
            .send()
            .await
            .expect_err("rejected");
        assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(400));
        let svc = err.into_service_error();
        assert_eq!(svc.code(), Some("ValidationException"), "{id} {version}");
        assert_eq!(svc.message(), Some(text));
    }
    // Known ids, by id or ARN, DRAFT or a published version, pass.
    for (id, version) in [("gr7abc", "DRAFT"), ("gr7abc", "2"), (arn, "1")] {
        let out = c
            .converse()
            .model_id(HAIKU_45)
            .messages(user("Hello"))
            .guardrail_config(guardrail(id, version, true))
            .send()
            .await
            .unwrap();
        assert_eq!(text_of(&out), "Happy to help.");
        assert_eq!(out.stop_reason(), &StopReason::EndTurn);
        // Asked for a trace, a guardrail that lets the exchange through still reports its
        // assessments (a recorded Bedrock answer: agentjido/req_llm
        // guardrail_converse_allowed.json).
        let trace = out.trace().unwrap().guardrail().unwrap();
        assert_eq!(trace.action_reason(), Some("No action."));
        let input = &trace.input_assessment().unwrap()["gr7abc"];
        let details = input.applied_guardrail_details().unwrap();
        assert_eq!(details.guardrail_id(), Some("gr7abc"));
        assert_eq!(details.guardrail_version(), Some(version));
        let chars = input
            .invocation_metrics()
            .unwrap()
            .guardrail_coverage()
            .unwrap()
            .text_characters()
            .unwrap();
        assert_eq!((chars.guarded(), chars.total()), (Some(5), Some(5)));
        let output = &trace.output_assessments().unwrap()["gr7abc"][0];
        let chars = output
            .invocation_metrics()
            .unwrap()
            .guardrail_coverage()
            .unwrap()
            .text_characters()
            .unwrap();
        assert_eq!(chars.total(), Some("Happy to help.".len() as i32));
        assert!(trace.model_output().is_empty());
    }
    // Without a trace asked for, none.
    let out = c
        .converse()
        .model_id(HAIKU_45)
        .messages(user("Hello"))
        .guardrail_config(guardrail("gr7abc", "1", false))
        .send()
        .await
        .unwrap();
    assert!(out.trace().is_none());
}

#[tokio::test]
async fn a_blocked_prompt_answers_with_the_blocked_message_and_the_trace() {
    let (_emu, c) = start().await;
    let guarded = Message::builder()
        .role(ConversationRole::User)
        .content(ContentBlock::Text("Context: none.".into()))
        .content(ContentBlock::GuardContent(
            GuardrailConverseContentBlock::Text(
                GuardrailConverseTextBlock::builder()
                    .text("Any investment tips?")
                    .build()
                    .unwrap(),
            ),
        ))
        .build()
        .unwrap();
    let out = c
        .converse()
        .model_id(HAIKU_45)
        .messages(guarded)
        .guardrail_config(guardrail("gr7abc", "1", true))
        .send()
        .await
        .unwrap();
    assert_eq!(text_of(&out), BLOCKED_IN);
    assert_eq!(out.stop_reason(), &StopReason::GuardrailIntervened);
    // The model never ran.
    assert_eq!(out.usage().map(|u| u.output_tokens()), Some(0));
    let trace = out.trace().and_then(|t| t.guardrail()).expect("trace");
    let topic = &trace.input_assessment().unwrap()["gr7abc"]
        .topic_policy()
        .unwrap()
        .topics()[0];
    assert_eq!(topic.name(), "Investment advice");
    assert_eq!(topic.action().as_str(), "BLOCKED");
    // Without trace: the same answer, no trace.
    let out = c
        .converse()
        .model_id(HAIKU_45)
        .messages(user("Any investment tips?"))
        .guardrail_config(guardrail("gr7abc", "1", false))
        .send()
        .await
        .unwrap();
    assert_eq!(text_of(&out), BLOCKED_IN);
    assert!(out.trace().is_none());
    // Without a guardrail in the request nothing intervenes.
    let out = c
        .converse()
        .model_id(HAIKU_45)
        .messages(user("Any investment tips?"))
        .send()
        .await
        .unwrap();
    assert_eq!(out.stop_reason(), &StopReason::EndTurn);
}

#[tokio::test]
async fn a_blocked_answer_streams_the_blocked_message_then_the_trace() {
    let (_emu, c) = start().await;
    let out = c
        .converse_stream()
        .model_id(HAIKU_45)
        .messages(user("What is my account number?"))
        .guardrail_config(
            GuardrailStreamConfiguration::builder()
                .guardrail_identifier("gr7abc")
                .guardrail_version("DRAFT")
                .trace(GuardrailTrace::EnabledFull)
                .stream_processing_mode("async".into())
                .build(),
        )
        .send()
        .await
        .unwrap();
    let mut stream = out.stream;
    let (mut text, mut stop, mut trace) = (String::new(), None, None);
    while let Some(ev) = stream.recv().await.unwrap() {
        match ev {
            ConverseStreamOutput::ContentBlockDelta(d) => {
                if let Some(ContentBlockDelta::Text(t)) = d.delta() {
                    text.push_str(t);
                }
            }
            ConverseStreamOutput::MessageStop(m) => stop = Some(m.stop_reason().clone()),
            ConverseStreamOutput::Metadata(m) => {
                trace = m.trace().and_then(|t| t.guardrail()).cloned()
            }
            _ => {}
        }
    }
    assert_eq!(text, BLOCKED_OUT);
    assert_eq!(stop, Some(StopReason::GuardrailIntervened));
    let trace = trace.expect("trace");
    assert_eq!(trace.model_output(), [ANSWER.to_string()]);
    assert!(trace.output_assessments().unwrap().contains_key("gr7abc"));
    assert_eq!(trace.action_reason(), Some("Guardrail blocked."));
}

fn apply_text(text: &str) -> aws_sdk_bedrockruntime::types::GuardrailContentBlock {
    use aws_sdk_bedrockruntime::types::{GuardrailContentBlock, GuardrailTextBlock};
    GuardrailContentBlock::Text(GuardrailTextBlock::builder().text(text).build().unwrap())
}

#[tokio::test]
async fn apply_guardrail_checks_text_without_a_model() {
    use aws_sdk_bedrockruntime::types::{GuardrailAction, GuardrailContentSource};
    let (emu, c) = start().await;
    let apply = |id: &str, version: &str, source: GuardrailContentSource, text: &str| {
        c.apply_guardrail()
            .guardrail_identifier(id)
            .guardrail_version(version)
            .source(source)
            .content(apply_text(text))
            .send()
    };
    // An input rule blocks INPUT: the blocked input message and the denied topic.
    let out = apply(
        "gr7abc",
        "DRAFT",
        GuardrailContentSource::Input,
        "Any investment tips?",
    )
    .await
    .unwrap();
    assert_eq!(out.action(), &GuardrailAction::GuardrailIntervened);
    assert_eq!(out.outputs()[0].text(), Some(BLOCKED_IN));
    let topics = out.assessments()[0].topic_policy().unwrap().topics();
    assert_eq!(topics[0].name(), "Investment advice");
    assert_eq!(out.usage().unwrap().topic_policy_units(), 1);
    // ...and not OUTPUT; the output rule (for gr7abc, by ARN too) blocks OUTPUT.
    let out = apply(
        "gr7abc",
        "1",
        GuardrailContentSource::Output,
        "Any investment tips?",
    )
    .await
    .unwrap();
    assert_eq!(out.action(), &GuardrailAction::None);
    assert!(out.outputs().is_empty() && out.assessments().is_empty());
    let arn = "arn:aws:bedrock:us-east-1:123456789012:guardrail/gr7abc";
    let out = apply(
        arn,
        "2",
        GuardrailContentSource::Output,
        "Your account is 44-1",
    )
    .await
    .unwrap();
    assert_eq!(out.action(), &GuardrailAction::GuardrailIntervened);
    assert_eq!(out.outputs()[0].text(), Some(BLOCKED_OUT));
    // A text unit is up to 1,000 characters.
    let long = "x".repeat(2001);
    let out = apply("gr7abc", "DRAFT", GuardrailContentSource::Input, &long)
        .await
        .unwrap();
    assert_eq!(out.usage().unwrap().topic_policy_units(), 3);
    let covered = out.guardrail_coverage().unwrap().text_characters().unwrap();
    assert_eq!(
        (covered.guarded(), covered.total()),
        (Some(2001), Some(2001))
    );
    // Unknown guardrail or version: as on Converse.
    for (id, version) in [("nope", "DRAFT"), ("gr7abc", "3")] {
        let err = apply(id, version, GuardrailContentSource::Input, "hi")
            .await
            .expect_err("unknown guardrail");
        let svc = err.into_service_error();
        assert_eq!(svc.code(), Some("ValidationException"));
        assert_eq!(
            svc.message(),
            Some("The guardrail identifier or version provided in the request does not exist.")
        );
    }
    assert_eq!(emu.counters().get("apply-guardrail", "ok"), 4);
}

#[tokio::test]
async fn async_invocations_are_rejected_for_the_served_models() {
    use aws_sdk_bedrockruntime::types::{
        AsyncInvokeOutputDataConfig, AsyncInvokeS3OutputDataConfig,
    };
    let (_emu, c) = start().await;
    let s3 = AsyncInvokeOutputDataConfig::S3OutputDataConfig(
        AsyncInvokeS3OutputDataConfig::builder()
            .s3_uri("s3://my-video-bucket/out")
            .build()
            .unwrap(),
    );
    let err = c
        .start_async_invoke()
        .model_id("amazon.nova-lite-v1:0")
        .model_input(aws_smithy_types::Document::Object(Default::default()))
        .output_data_config(s3)
        .send()
        .await
        .expect_err("not an async model");
    let svc = err.into_service_error();
    assert_eq!(svc.code(), Some("ValidationException"));
    assert_eq!(
        svc.message(),
        Some("The provided model doesn't support async inference.")
    );
    let out = c.list_async_invokes().max_results(5).send().await.unwrap();
    assert!(out.async_invoke_summaries().is_empty());
    let err = c
        .get_async_invoke()
        .invocation_arn("arn:aws:bedrock:us-east-1:123456789012:async-invoke/abcdef123456")
        .send()
        .await
        .expect_err("no such invocation");
    assert_eq!(err.into_service_error().code(), Some("ValidationException"));
}
