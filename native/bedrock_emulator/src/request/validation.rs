//! Conversation-level checks Bedrock applies to both Converse and Anthropic bodies: role
//! order, tool use / tool result pairing and the extended-thinking budget.

use std::collections::HashSet;

use super::conversation::{Block, Conversation, Role};
use crate::error::AwsError;

const START_WITH_USER: &str = "A conversation must start with a user message. Try again with a conversation that starts with a user message.";
const ALTERNATE: &str = "A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.";

/// Anthropic's text (see e.g. github.com/tailcallhq/forgecode/issues/1872).
pub const TRAILING_WHITESPACE: &str =
    "messages: final assistant content cannot end with trailing whitespace";

/// The role order of an InvokeModel Anthropic body, in the words Bedrock answers there:
/// Anthropic's, with no prefix (botocore: "An error occurred (ValidationException) when calling
/// the InvokeModel operation: messages: roles must alternate between \"user\" and \"assistant\",
/// but found multiple \"user\" roles in a row": Giskard-AI/giskard-oss#1933, 2024-05;
/// aws-samples/alexa-and-bedrock-integration#1, 2024-10; modelcontextprotocol/quickstart-resources#20,
/// 2025-03; anthropics/claude-code#1162, api:bedrock, 2025-05; "messages: first message must use
/// the \"user\" role", anthropics/anthropic-sdk-typescript#622, Bedrock, 2024-12). Bedrock did not
/// merge consecutive turns as Anthropic's API does (anthropic-sdk-typescript#565); whether it does
/// in 2026 is not reported. The `"assistant"` form is Anthropic's sentence with the other role
/// (not quoted from Bedrock). Converse keeps Bedrock's own texts ([`validate`]); the Messages and
/// mantle dialects too (their answers are not reported).
pub fn check_invoke_roles(conv: &Conversation) -> Result<(), AwsError> {
    if conv.messages.first().is_some_and(|m| m.role != Role::User) {
        return Err(AwsError::validation(
            "messages: first message must use the \"user\" role",
        ));
    }
    if let Some(pair) = conv.messages.windows(2).find(|p| p[0].role == p[1].role) {
        let role = if pair[0].role == Role::User {
            "user"
        } else {
            "assistant"
        };
        return Err(AwsError::validation(format!(
            "messages: roles must alternate between \"user\" and \"assistant\", but found multiple \"{role}\" roles in a row"
        )));
    }
    Ok(())
}

pub fn validate(conv: &Conversation) -> Result<(), AwsError> {
    let Some(first) = conv.messages.first() else {
        return Err(AwsError::validation(START_WITH_USER));
    };
    if first.role != Role::User {
        return Err(AwsError::validation(START_WITH_USER));
    }
    for pair in conv.messages.windows(2) {
        if pair[0].role == pair[1].role {
            return Err(AwsError::validation(ALTERNATE));
        }
    }
    check_tool_pairing(conv)?;
    // Anthropic's check of a prefill (Bedrock passes it through): the final assistant turn
    // may not end with whitespace.
    if conv
        .prefill()
        .is_some_and(|p| p.ends_with(char::is_whitespace))
    {
        return Err(AwsError::validation(format!(
            "The model returned the following errors: {TRAILING_WHITESPACE}"
        )));
    }
    if let Some(budget) = conv.thinking {
        if budget < 1024 {
            return Err(AwsError::validation(
                "The model returned the following errors: thinking.enabled.budget_tokens: Input should be greater than or equal to 1024",
            ));
        }
        if budget >= conv.max_tokens {
            return Err(AwsError::validation(
                "The model returned the following errors: `max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size",
            ));
        }
        // Anthropic's text (quarkiverse/quarkus-langchain4j#1812, danny-avila/LibreChat#6023),
        // which Bedrock passes on as it does the others here.
        if conv.top_k.is_some() {
            return Err(AwsError::validation(
                "The model returned the following errors: `top_k` must be unset when thinking is enabled. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#important-considerations-when-using-extended-thinking",
            ));
        }
        if conv.temperature.is_some_and(|t| t != 1.0) {
            return Err(AwsError::validation(
                "The model returned the following errors: `temperature` may only be set to 1 when thinking is enabled. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#feature-compatibility",
            ));
        }
    }
    Ok(())
}

fn tool_use_ids(blocks: &[Block]) -> Vec<&str> {
    blocks
        .iter()
        .filter_map(|b| match b {
            Block::ToolUse { id, .. } => Some(id.as_str()),
            _ => None,
        })
        .collect()
}

fn check_tool_pairing(conv: &Conversation) -> Result<(), AwsError> {
    for (i, m) in conv.messages.iter().enumerate() {
        let results: Vec<&str> = m
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::ToolResult { id, .. } => Some(id.as_str()),
                _ => None,
            })
            .collect();
        if m.role == Role::Assistant || results.is_empty() {
            continue;
        }
        let uses: HashSet<&str> = if i == 0 {
            HashSet::new()
        } else {
            tool_use_ids(&conv.messages[i - 1].blocks)
                .into_iter()
                .collect()
        };
        if results.len() > uses.len() {
            return Err(AwsError::validation(format!(
                "The number of toolResult blocks at messages.{i}.content exceeds the number of toolUse blocks of previous turn."
            )));
        }
        if let Some(bad) = results.iter().find(|id| !uses.contains(*id)) {
            return Err(AwsError::validation(format!(
                "The model returned the following errors: messages.{i}.content: unexpected `tool_use_id` found in `tool_result` blocks: {bad}. Each `tool_result` block must have a corresponding `tool_use` block in the previous message."
            )));
        }
    }
    // Every tool use must be answered in the next message, when there is one.
    for (i, pair) in conv.messages.windows(2).enumerate() {
        let uses = tool_use_ids(&pair[0].blocks);
        if pair[0].role != Role::Assistant || uses.is_empty() {
            continue;
        }
        let answered: HashSet<&str> = pair[1]
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::ToolResult { id, .. } => Some(id.as_str()),
                _ => None,
            })
            .collect();
        if let Some(missing) = uses.iter().find(|id| !answered.contains(*id)) {
            return Err(AwsError::validation(format!(
                "The model returned the following errors: messages.{i}: `tool_use` ids were found without `tool_result` blocks immediately after: {missing}. Each `tool_use` block must have a corresponding `tool_result` block in the next message."
            )));
        }
    }
    Ok(())
}
