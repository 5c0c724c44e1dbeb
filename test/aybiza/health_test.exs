defmodule Aybiza.HealthTest do
  # Aybiza.Bedrock.health/1 and `mix aybiza.check` against the emulator (issue 14 item 5).
  use ExUnit.Case, async: false

  import ExUnit.CaptureIO

  alias Aybiza.Bedrock.{CircuitBreaker, Emulator}

  @moduletag :emulator
  @haiku "anthropic.claude-haiku-4-5-20251001-v1:0"
  # CountTokens on bedrock-runtime counts a bare Claude 4.5 / 4.6 base id such as Haiku 4.5's
  # and refuses a profile id (the emulator's data/models.json `count_tokens`, with sources);
  # Sonnet 4 is past end of life.
  @sonnet4 "anthropic.claude-sonnet-4-20250514-v1:0"

  defp emulator(extra \\ []) do
    emulator = start_supervised!({Emulator, extra}, id: make_ref())
    creds = Emulator.credentials(emulator)

    [
      endpoint: Emulator.url(emulator),
      region: "us-east-1",
      credentials: {:static, creds.access_key_id, creds.secret_access_key}
    ]
  end

  test "a healthy endpoint: credentials accepted, CountTokens answered, breakers listed" do
    client = emulator()
    CircuitBreaker.reset(@haiku, "eu-west-9")
    report = Aybiza.Bedrock.health(client ++ [model_id: "us." <> @haiku])

    assert %{credentials: :ok, credentials_type: :static, region: "us-east-1"} = report
    # Other tests of this VM may have left a breaker open: then the node is degraded.
    degraded? = Enum.any?(report.breakers, &(&1.state != :closed))
    assert report.status == if(degraded?, do: :degraded, else: :ok)

    # The profile id is counted as its base id (CountTokens takes no profile), which Bedrock
    # counts.
    assert %{status: :ok, model_id: @haiku, reason: nil, latency_ms: ms} = report.endpoint

    assert is_integer(ms)
    assert is_integer(report.live_streams)

    # A model past end of life (Sonnet 4, 2026-10-14) is refused before the network: the
    # endpoint was not reached, so the credentials are not known to be good.
    report = Aybiza.Bedrock.health(client ++ [model_id: @sonnet4])
    assert report.status == :down
    assert %{status: :error, reason: :model_end_of_life, model_id: @sonnet4} = report.endpoint
  end

  test "an open breaker makes the node degraded and is listed" do
    client = emulator()
    region = "ap-test-#{System.unique_integer([:positive])}"

    for _ <- 1..10,
        do: CircuitBreaker.record_failure(@haiku, region, failure_threshold: 1)

    report = Aybiza.Bedrock.health(client ++ [model_id: @haiku])
    assert report.status == :degraded
    assert %{state: :open} = Enum.find(report.breakers, &(&1.region == region))
    CircuitBreaker.reset(@haiku, region)
  end

  test "rejected credentials and an unreachable endpoint are :down, no secret printed" do
    client = emulator()

    bad = Keyword.put(client, :credentials, {:static, "AKIDEXAMPLE", "sekrit-never-printed"})

    report = Aybiza.Bedrock.health(bad ++ [model_id: @haiku])
    assert report.status == :down
    assert {:error, reason} = report.credentials
    assert reason in [:invalid_credentials, :access_denied, :expired_credentials]
    refute Aybiza.Bedrock.Health.format(report) =~ "sekrit"
    refute inspect(report) =~ "sekrit"

    # A closed port: nothing listens.
    {:ok, socket} = :gen_tcp.listen(0, ip: {127, 0, 0, 1})
    {:ok, port} = :inet.port(socket)
    :gen_tcp.close(socket)
    unreachable = Keyword.put(client, :endpoint, "http://127.0.0.1:#{port}")
    report = Aybiza.Bedrock.health(unreachable ++ [model_id: @haiku])
    assert %{status: :down, endpoint: %{status: :error, reason: reason}} = report
    assert reason in [:connect, :connect_timeout, :timeout]
  end

  test "mix aybiza.check prints the report (the configured emulator)" do
    out = capture_io(fn -> Mix.Tasks.Aybiza.Check.run(["--model", @haiku]) end)
    assert out =~ "aybiza_bedrock health: "
    assert out =~ "credentials: ok ("

    assert out =~
             ~r/endpoint: reachable http:\/\/127\.0\.0\.1:\d+ \(CountTokens on #{Regex.escape(@haiku)} in \d+ ms/

    assert out =~ "live streams: "

    out = capture_io(fn -> Mix.Tasks.Aybiza.Check.run(["--no-count-tokens"]) end)
    assert out =~ "endpoint: not checked"

    assert_raise Mix.Error, ~r/usage: mix aybiza.check/, fn ->
      Mix.Tasks.Aybiza.Check.run(["--bogus"])
    end
  end
end
