defmodule Aybiza.Bedrock.RuntimeConfigTest do
  use ExUnit.Case, async: true

  alias Aybiza.Bedrock.RuntimeConfig

  test "the design's variables" do
    env = %{
      "AWS_REGION" => "us-east-1",
      "AWS_FALLBACK_REGION" => "us-west-2",
      "AWS_BEDROCK_MODELS" =>
        "anthropic.claude-4-sonnet-20250120, anthropic.claude-3-5-haiku-20241022-v1:0,us.anthropic.claude-3-haiku-20240307-v1:0",
      "AWS_DEFAULT_BEDROCK_MODEL" => "anthropic.claude-4-opus-20250120",
      "LATENCY_THRESHOLD_MS" => "200",
      "EXTENDED_THINKING_THRESHOLD" => "0.9",
      "COST_OPTIMIZATION_ENABLED" => "true",
      "BEDROCK_CONNECTION_TIMEOUT" => "30000",
      "BEDROCK_REQUEST_TIMEOUT" => "15000",
      "UNRELATED" => "x"
    }

    assert {:ok, config} = RuntimeConfig.parse(env)
    assert config[:region] == "us-east-1"
    assert config[:fallback_region] == "us-west-2"

    assert config[:models] == [
             "anthropic.claude-sonnet-4-20250514-v1:0",
             "anthropic.claude-3-5-haiku-20241022-v1:0",
             "us.anthropic.claude-3-haiku-20240307-v1:0"
           ]

    assert config[:default_model] == "anthropic.claude-opus-4-20250514-v1:0"
    assert config[:latency_threshold_ms] == 200
    assert config[:extended_thinking_threshold] == 0.9
    assert config[:cost_optimization_enabled] == true
    refute Keyword.has_key?(config, :pool_size)
    assert Enum.sort(config[:timeouts]) == [connect: 30_000, total: 15_000]
  end

  test "unset and empty variables are not applied" do
    assert {:ok, []} = RuntimeConfig.parse(%{"AWS_REGION" => ""})
  end

  test "an invalid value names the variable" do
    cases = [
      {"AWS_REGION", "us east 1"},
      {"AWS_FALLBACK_REGION", "http://evil"},
      {"AWS_BEDROCK_MODELS", "a.b,,c.d"},
      {"AWS_DEFAULT_BEDROCK_MODEL", "bad model"},
      {"LATENCY_THRESHOLD_MS", "-5"},
      {"EXTENDED_THINKING_THRESHOLD", "1.5"},
      {"COST_OPTIMIZATION_ENABLED", "maybe"},
      {"BEDROCK_CONNECTION_TIMEOUT", "0"},
      {"BEDROCK_REQUEST_TIMEOUT", "15s"}
    ]

    for {name, value} <- cases do
      assert {:error, message} = RuntimeConfig.parse(%{name => value})
      assert message =~ name
      assert_raise ArgumentError, ~r/#{name}/, fn -> RuntimeConfig.parse!(%{name => value}) end
    end
  end

  describe "resolve/2: the host's config wins over a variable" do
    test "a key the host sets is not taken from the environment, and is reported" do
      env = %{
        "AWS_FALLBACK_REGION" => "eu-west-1",
        "LATENCY_THRESHOLD_MS" => "450",
        "AWS_REGION" => "eu-central-1"
      }

      assert {:ok, settings, ignored} =
               RuntimeConfig.resolve(env, fallback_region: "ap-south-1", endpoint: nil)

      assert Enum.sort(settings) == [latency_threshold_ms: 450, region: "eu-central-1"]
      assert ignored == [{"AWS_FALLBACK_REGION", :fallback_region}]
    end

    test "a key set to nil by the host still counts as set" do
      assert {:ok, [], [{"AWS_REGION", :region}]} =
               RuntimeConfig.resolve(%{"AWS_REGION" => "eu-west-1"}, region: nil)
    end

    test ":timeouts merge key by key, the host's keys winning" do
      env = %{"BEDROCK_CONNECTION_TIMEOUT" => "700", "BEDROCK_REQUEST_TIMEOUT" => "9000"}

      assert {:ok, [timeouts: timeouts], [{"BEDROCK_CONNECTION_TIMEOUT", {:timeouts, :connect}}]} =
               RuntimeConfig.resolve(env, timeouts: [connect: 1_000, idle: 5_000])

      assert Enum.sort(timeouts) == [connect: 1_000, idle: 5_000, total: 9_000]

      assert {:ok, [timeouts: timeouts], []} = RuntimeConfig.resolve(env, [])
      assert Enum.sort(timeouts) == [connect: 700, total: 9_000]
    end

    test "a variable whose key the host sets is not parsed, so it cannot stop boot" do
      env = %{"AWS_REGION" => "not a region", "LATENCY_THRESHOLD_MS" => "fast"}

      assert {:ok, [], ignored} =
               RuntimeConfig.resolve(env, region: "us-east-1", latency_threshold_ms: 5)

      assert Enum.sort(ignored) == [
               {"AWS_REGION", :region},
               {"LATENCY_THRESHOLD_MS", :latency_threshold_ms}
             ]

      # Without the host's key, the same value is an error naming the variable.
      assert {:error, message} = RuntimeConfig.resolve(env, region: "us-east-1")
      assert message =~ "LATENCY_THRESHOLD_MS"
    end
  end

  test "BEDROCK_POOL_SIZE and :pool_size are deprecated: a warning, never a setting" do
    assert [warning] = RuntimeConfig.deprecation_warnings(%{"BEDROCK_POOL_SIZE" => "10"}, [])
    assert warning =~ "BEDROCK_POOL_SIZE is deprecated and ignored"

    assert [warning] = RuntimeConfig.deprecation_warnings(%{}, pool_size: 10)
    assert warning =~ "config :aybiza_bedrock, :pool_size is deprecated"

    assert [] = RuntimeConfig.deprecation_warnings(%{"BEDROCK_POOL_SIZE" => ""}, [])
    assert {:ok, [], []} = RuntimeConfig.resolve(%{"BEDROCK_POOL_SIZE" => "10"}, [])
  end

  test "this project's config leaves the variables' keys to the environment" do
    # A key set in config/config.exs would silently win over its variable.
    config = Config.Reader.read!(Path.expand("../../../config/config.exs", __DIR__), env: :prod)
    keys = Keyword.keys(config[:aybiza_bedrock])

    for key <-
          [:region, :fallback_region, :default_model, :models, :latency_threshold_ms] ++
            [:extended_thinking_threshold, :cost_optimization_enabled, :timeouts, :pool_size] do
      refute key in keys, "config/config.exs sets #{inspect(key)}"
    end

    refute File.exists?(Path.expand("../../../config/runtime.exs", __DIR__))
  end
end
