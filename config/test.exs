import Config

# Every test runs against the embedded local Bedrock emulator: nothing needs AWS.
config :aybiza_bedrock, endpoint: :emulator, region: "us-east-1"

config :logger, level: :warning
