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
      "BEDROCK_POOL_SIZE" => "10",
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
    assert config[:pool_size] == 10
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
      {"BEDROCK_POOL_SIZE", "ten"},
      {"BEDROCK_CONNECTION_TIMEOUT", "0"},
      {"BEDROCK_REQUEST_TIMEOUT", "15s"}
    ]

    for {name, value} <- cases do
      assert {:error, message} = RuntimeConfig.parse(%{name => value})
      assert message =~ name
      assert_raise ArgumentError, ~r/#{name}/, fn -> RuntimeConfig.parse!(%{name => value}) end
    end
  end

  test "config/runtime.exs applies the variables outside :test" do
    path = Path.expand("../../../config/runtime.exs", __DIR__)
    System.put_env("LATENCY_THRESHOLD_MS", "321")

    try do
      config = Config.Reader.read!(path, env: :prod)
      assert config[:aybiza_bedrock][:latency_threshold_ms] == 321
      assert Config.Reader.read!(path, env: :test) == []

      System.put_env("LATENCY_THRESHOLD_MS", "fast")

      assert_raise ArgumentError, ~r/LATENCY_THRESHOLD_MS/, fn ->
        Config.Reader.read!(path, env: :prod)
      end
    after
      System.delete_env("LATENCY_THRESHOLD_MS")
    end
  end
end
