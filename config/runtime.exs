import Config

# Environment variables of our design (see Aybiza.Bedrock.RuntimeConfig and docs/CLIENT.md).
# An invalid value stops boot with a message naming the variable. Tests keep the settings
# of config/test.exs (the emulator), so the environment of the machine cannot change them;
# the parser is tested directly.
#
# The parser lives in the application's code, which this file can use in every context it
# runs in: `mix run` / `mix test` evaluate it after compiling, with the project's ebin on the
# code path; a release evaluates it in its config provider after the boot script has set the
# code paths and (embedded mode) loaded every module of the release. So the module not
# loading is a broken build, and boot stops instead of silently skipping the variables.
if config_env() != :test do
  case Code.ensure_loaded(Aybiza.Bedrock.RuntimeConfig) do
    {:module, runtime_config} ->
      # Keyword values such as :timeouts are deep-merged with config/config.exs by Config.
      settings = runtime_config.parse!(System.get_env())
      if settings != [], do: config(:aybiza_bedrock, settings)

    {:error, reason} ->
      raise "config/runtime.exs: cannot load Aybiza.Bedrock.RuntimeConfig (#{inspect(reason)}); " <>
              "the AWS_* / BEDROCK_* variables cannot be validated. Is aybiza_bedrock compiled " <>
              "and in the release?"
  end
end
