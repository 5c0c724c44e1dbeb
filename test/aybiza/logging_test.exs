defmodule Aybiza.Bedrock.LoggingTest do
  # Issue 14 item 5: Logger lines for breaker transitions, retries, fallbacks, recovery and
  # failed calls, at the right levels, with metadata, without secrets. Changes logger
  # module levels: not async.
  use ExUnit.Case, async: false

  import Aybiza.Bedrock.TestHelpers

  alias Aybiza.AWS.BedrockClient
  alias Aybiza.Bedrock.{CircuitBreaker, Clock, FakeBackend}
  alias Aybiza.Bedrock.Turn.Relay

  @sonnet4 "anthropic.claude-sonnet-4-6"
  @secret "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY"

  # An Erlang :logger handler that forwards this test's events (level, text, metadata).
  def log(%{level: level, msg: msg, meta: meta}, %{config: %{pid: pid}}) do
    text =
      case msg do
        {:string, chardata} -> IO.chardata_to_string(chardata)
        {:report, report} -> inspect(report)
        {format, args} -> IO.chardata_to_string(:io_lib.format(format, args))
      end

    send(pid, {:log, level, text, meta})
  end

  setup do
    id = :"aybiza_logging_test_#{System.unique_integer([:positive])}"
    :ok = :logger.add_handler(id, __MODULE__, %{config: %{pid: self()}, level: :all})
    # config/test.exs logs warnings only; the :info lines are under test too.
    Logger.put_module_level([Relay, CircuitBreaker], :info)

    on_exit(fn ->
      :logger.remove_handler(id)
      Logger.delete_module_level([Relay, CircuitBreaker])
    end)
  end

  defp logs(acc \\ []) do
    receive do
      {:log, level, text, meta} -> logs([{level, text, meta} | acc])
    after
      100 -> Enum.reverse(acc)
    end
  end

  defp mine(logs, region),
    do:
      Enum.filter(logs, fn {_, _, meta} ->
        meta[:region] == region or meta[:to_region] == region
      end)

  defp run(script, region, extra \\ []) do
    opts =
      Keyword.merge(
        [
          backend: {FakeBackend, script: script},
          model_id: @sonnet4,
          region: region,
          policy: [random: fn _ -> 0 end, fallback_region: "us-west-2"],
          breaker: [failure_threshold: 1_000],
          fallback_line: false,
          call_id: "call-42",
          client_opts: [
            credentials: %{access_key_id: "AKIAEXAMPLEKEY123456", secret_access_key: @secret}
          ]
        ],
        extra
      )

    {:ok, ref} = BedrockClient.generate_response("When do you open?", %{}, opts)
    collect_events(ref)
  end

  test "a retry is :info, a fallback :warning, with ids, reason and attempt as metadata" do
    region = unique_region()
    script = FakeBackend.script([{:error, :throttled}, {:error, :service_unavailable}])
    events = run(script, region)
    assert {:done, _} = List.last(events)

    logs = mine(logs(), region)

    assert {:info, text, meta} = Enum.find(logs, fn {_, _, m} -> m[:aybiza_event] == :retry end)
    assert text =~ "throttled" and text =~ "retrying"
    assert meta[:model_id] == @sonnet4 and meta[:attempt] == 1 and meta[:reason] == :throttled
    assert meta[:call_id] == "call-42"

    assert {:warning, text, meta} =
             Enum.find(logs, fn {_, _, m} -> m[:aybiza_event] == :fallback end)

    assert text =~ "falling back (fallback_region)"
    assert meta[:reason] == :service_unavailable
    assert meta[:to_region] == "us-west-2"
    assert meta[:fallback_kind] == :fallback_region

    for {_, text, meta} <- logs, do: refute(inspect({text, meta}) =~ ~r/#{@secret}|AKIAEXAMPLE/)
  end

  test "a mid-answer recovery says so; a call that gives up is :error" do
    region = unique_region()

    script =
      FakeBackend.script(
        [{:fail_after, ["We open at nine."], :internal_server}] ++
          List.duplicate({:error, :internal_server}, 6),
        then: {:error, :internal_server}
      )

    events = run(script, region, policy: [random: fn _ -> 0 end, max_attempts: 2])
    assert {:error, _} = List.last(events)

    logs = logs()

    assert {:warning, text, meta} =
             Enum.find(mine(logs, region), fn {_, _, m} -> m[:aybiza_event] == :fallback end)

    assert text =~ "mid-answer recovery after 1 spoken sentence(s)"
    assert meta[:delivered_sentences] == 1

    assert {:error, text, meta} =
             Enum.find(logs, fn {_, _, m} ->
               m[:aybiza_event] == :call_failed and m[:call_id] == "call-42"
             end)

    assert text =~ "call failed after 2 attempt(s)"
    assert meta[:reason] == :internal_server
    for {_, text, meta} <- logs, do: refute(inspect({text, meta}) =~ @secret)
  end

  test "a first error that is not retried is a :warning" do
    region = unique_region()
    events = run(FakeBackend.script([{:error, :access_denied}]), region)
    assert {:error, _} = List.last(events)

    assert [{:warning, text, _}] =
             for({_, _, m} = l <- mine(logs(), region), m[:aybiza_event] == :call_failed, do: l)

    assert text =~ "access_denied"
  end

  test "breaker transitions: open is a :warning, half-open and closed are :info" do
    region = unique_region()
    clock = Clock.manual(1_000_000)
    opts = [clock: clock, failure_threshold: 2, recovery_ms: 1_000]

    CircuitBreaker.record_failure(@sonnet4, region, opts)
    CircuitBreaker.record_failure(@sonnet4, region, opts)
    Clock.advance(clock, 1_000)
    assert :ok = CircuitBreaker.acquire(@sonnet4, region, opts)
    CircuitBreaker.record_success(@sonnet4, region, 10, opts)

    transitions =
      for {level, text, meta} <- mine(logs(), region), meta[:aybiza_event] == :circuit_breaker do
        assert text =~ "circuit breaker of #{@sonnet4} in #{region}"
        {level, meta[:breaker_from], meta[:breaker_to]}
      end

    assert transitions == [
             {:warning, :closed, :open},
             {:info, :open, :half_open},
             {:info, :half_open, :closed}
           ]
  end
end
