import Config

# Settings of aybiza_bedrock for this project's own runs. A host app never sees this file
# (Mix does not read a dependency's config): every default lives in code, and the table in
# docs/CLIENT.md ("Configuration") lists them.
#
# Not set here on purpose, so that the environment variables apply at application start
# (Aybiza.Bedrock.RuntimeConfig; a key set in config wins over its variable):
#   region (AWS_REGION; default us-east-1), fallback_region (AWS_FALLBACK_REGION; us-west-2),
#   default_model (AWS_DEFAULT_BEDROCK_MODEL; anthropic.claude-sonnet-4-6),
#   models (AWS_BEDROCK_MODELS; [] = any model routing picks),
#   latency_threshold_ms (LATENCY_THRESHOLD_MS; 200),
#   extended_thinking_threshold (EXTENDED_THINKING_THRESHOLD; 0.9),
#   cost_optimization_enabled (COST_OPTIMIZATION_ENABLED; false),
#   timeouts (BEDROCK_CONNECTION_TIMEOUT -> :connect, BEDROCK_REQUEST_TIMEOUT -> :total;
#     [connect: 3_000, first_byte: 10_000, idle: 10_000, total: 120_000]).
config :aybiza_bedrock,
  endpoint: nil,
  credentials: :default,
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
