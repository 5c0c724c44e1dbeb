import Config

# Every test runs against the embedded local Bedrock emulator: nothing needs AWS.
# The machine's AWS_* / BEDROCK_* variables must not change the tests' settings: the step that
# reads them (Aybiza.Bedrock.RuntimeConfig.apply_env/1) is tested directly and through the
# host-app fixture (test/aybiza/host_app_test.exs).
config :aybiza_bedrock, endpoint: :emulator, region: "us-east-1", read_env: false

config :logger, level: :warning

# The test VM drives the peer nodes of the cluster tests (test/support/cluster_case.ex) but
# is not a member of their cluster: its breakers and admission stay its own, so a peer's
# open breaker never reaches the other test modules. The peers turn the layer on.
config :aybiza_bedrock, :cluster, enabled: false
