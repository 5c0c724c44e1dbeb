defmodule Aybiza.Bedrock.RuntimeSettingsTest do
  # Restarts the client and changes its global settings: not async.
  use ExUnit.Case, async: false

  import ExUnit.CaptureLog
  require Logger
  import Aybiza.Bedrock.TestHelpers, only: [unique_region: 0]

  alias Aybiza.AWS.BedrockClient
  alias Aybiza.Bedrock.{PerformanceMonitor, RuntimeConfig}

  @haiku "anthropic.claude-haiku-4-5-20251001-v1:0"

  defp restore(old) do
    BedrockClient.update_settings(
      Map.to_list(Map.take(old, [:fallback_region, :latency_threshold_ms]))
    )
  end

  test "update_settings/2 survives a restart of the client process" do
    old = BedrockClient.settings()
    client = Process.whereis(BedrockClient)

    try do
      BedrockClient.update_settings(fallback_region: "eu-west-3", latency_threshold_ms: 777)
      Process.exit(client, :kill)
      wait_until(fn -> (pid = Process.whereis(BedrockClient)) && pid != client end)

      # The restarted client published its settings again: configuration plus the changes.
      assert %{fallback_region: "eu-west-3", latency_threshold_ms: 777} = BedrockClient.settings()
      assert :sys.get_state(BedrockClient).fallback_region == "eu-west-3"
      # Untouched settings still come from the configuration.
      assert BedrockClient.settings().region == old.region
    after
      restore(old)
    end
  end

  test "a fresh application start forgets runtime changes" do
    old = BedrockClient.settings()

    try do
      BedrockClient.update_settings(fallback_region: "eu-west-3")
      :ok = BedrockClient.forget_runtime_changes()
      client = Process.whereis(BedrockClient)
      Process.exit(client, :kill)
      wait_until(fn -> (pid = Process.whereis(BedrockClient)) && pid != client end)

      assert BedrockClient.settings().fallback_region == "us-west-2"
    after
      restore(old)
    end
  end

  test ":latency_threshold_ms (the client's setting) drives the monitor's latency rule" do
    old = BedrockClient.settings()
    region = unique_region()
    now = 20_000_000_000_000

    for _ <- 1..20 do
      PerformanceMonitor.record(%{model_id: @haiku, region: region, first_token_ms: 400},
        now_ms: now
      )
    end

    latency_flagged? = fn ->
      PerformanceMonitor.optimization_recommendations(now_ms: now)
      |> Enum.any?(&(&1.type == :latency and &1.region == region))
    end

    try do
      BedrockClient.update_settings(latency_threshold_ms: 1_000)
      refute latency_flagged?.()
      BedrockClient.update_settings(latency_threshold_ms: 300)
      assert latency_flagged?.()
      # The application environment alone does not change it.
      Application.put_env(:aybiza_bedrock, :latency_threshold_ms, 5_000)
      assert latency_flagged?.()
    after
      Application.delete_env(:aybiza_bedrock, :latency_threshold_ms)
      restore(old)
    end
  end

  test "read_env: false: the start step reads no variable, but still warns of deprecated keys" do
    assert Application.get_env(:aybiza_bedrock, :read_env) == false

    log =
      capture_log(fn ->
        assert {:ok, []} =
                 RuntimeConfig.apply_env(%{
                   "LATENCY_THRESHOLD_MS" => "5",
                   "AWS_FALLBACK_REGION" => "eu-west-1"
                 })
      end)

    refute Application.get_env(:aybiza_bedrock, :latency_threshold_ms)
    refute log =~ "deprecated"

    Application.put_env(:aybiza_bedrock, :pool_size, 10)

    try do
      log = capture_log(fn -> assert {:ok, []} = RuntimeConfig.apply_env(%{}) end)
      assert log =~ "[warning]"
      assert log =~ "config :aybiza_bedrock, :pool_size is deprecated and ignored"
    after
      Application.delete_env(:aybiza_bedrock, :pool_size)
    end
  end

  test "the start step applies variables under the app config and logs only names" do
    Application.put_env(:aybiza_bedrock, :read_env, true)
    # config/test.exs logs warnings only; the :info and :debug lines are under test here.
    Logger.put_module_level(RuntimeConfig, :debug)

    try do
      log =
        capture_log([level: :debug], fn ->
          assert {:ok, [:extended_thinking_threshold]} =
                   RuntimeConfig.apply_env(%{
                     # Four decimals: no log timestamp (HH:MM:SS.mmm) can contain it.
                     "EXTENDED_THINKING_THRESHOLD" => "0.4217",
                     # Set by config/test.exs: the config wins.
                     "AWS_REGION" => "eu-north-1"
                   })
        end)

      assert Application.get_env(:aybiza_bedrock, :extended_thinking_threshold) == 0.4217
      assert Application.get_env(:aybiza_bedrock, :region) == "us-east-1"
      assert log =~ "configuration from the environment: :extended_thinking_threshold"
      assert log =~ "AWS_REGION is set but config :aybiza_bedrock, :region takes precedence"
      refute log =~ "eu-north-1"
      refute log =~ "0.4217"

      assert {:error, message} = RuntimeConfig.apply_env(%{"AWS_FALLBACK_REGION" => "nowhere"})
      assert message =~ "AWS_FALLBACK_REGION"
    after
      Logger.delete_module_level(RuntimeConfig)
      Application.put_env(:aybiza_bedrock, :read_env, false)
      Application.delete_env(:aybiza_bedrock, :extended_thinking_threshold)
    end
  end

  defp wait_until(fun, tries \\ 200) do
    cond do
      fun.() -> :ok
      tries == 0 -> flunk("condition not met")
      true -> Process.sleep(10) && wait_until(fun, tries - 1)
    end
  end
end
