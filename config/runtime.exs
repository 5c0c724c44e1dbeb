import Config

# Environment variables of our design (see Aybiza.Bedrock.RuntimeConfig and docs/CLIENT.md).
# An invalid value stops boot with a message naming the variable. Tests keep the settings
# of config/test.exs (the emulator), so the environment of the machine cannot change them;
# the parser is tested directly.
if config_env() != :test do
  if Code.ensure_loaded?(Aybiza.Bedrock.RuntimeConfig) do
    # Keyword values such as :timeouts are deep-merged with config/config.exs by Config.
    settings = Aybiza.Bedrock.RuntimeConfig.parse!(System.get_env())
    if settings != [], do: config(:aybiza_bedrock, settings)
  else
    IO.warn(
      "config/runtime.exs: Aybiza.Bedrock.RuntimeConfig is not loaded; AWS_* / BEDROCK_* variables were not applied"
    )
  end
end
