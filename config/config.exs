import Config

# Defaults for aybiza_bedrock, all in one place (docs/CLIENT.md, "Configuration"). Override in
# the host app's config; config/runtime.exs applies the AWS_* / BEDROCK_* variables on top.
config :aybiza_bedrock,
  # Aybiza.Bedrock (the engine): region nil = AWS_REGION, else us-east-1.
  region: nil,
  endpoint: nil,
  credentials: :default,
  timeouts: [connect: 3_000, first_byte: 10_000, idle: 10_000, total: 120_000],
  # Aybiza.AWS.BedrockClient settings.
  fallback_region: "us-west-2",
  default_model: "anthropic.claude-sonnet-4-6",
  # Allowed models (AWS_BEDROCK_MODELS); [] = any model routing picks.
  models: [],
  latency_threshold_ms: 200,
  extended_thinking_threshold: 0.9,
  cost_optimization_enabled: false,
  # true (the default line), a string, or false: spoken before a terminal error.
  fallback_line: true,
  # Mid-stream recovery: true, false, :prefill or :instruction.
  recovery: true,
  circuit_breaker: [
    failure_threshold: 5,
    recovery_ms: 30_000,
    half_open_calls: 1,
    slow_call_ms: 15_000
  ],
  performance_monitor: [slot_ms: 60_000, window_ms: 900_000],
  conversation_memory: [
    store: Aybiza.Bedrock.ConversationMemory.EtsStore,
    ttl: 3_600_000,
    max_messages: 50
  ]

# Not set here on purpose: :backend (unset = the native engine; tool loops read it with that
# default) and :catalog_overrides (unset = the embedded catalog).

import_config "#{config_env()}.exs"
