defmodule Aybiza.AWS.BedrockClientEmulatorTest do
  # Every row of the failure policy against the real engine and emulator faults.
  use ExUnit.Case, async: true

  import Aybiza.Bedrock.TestHelpers

  alias Aybiza.AWS.BedrockClient
  alias Aybiza.Bedrock.{Emulator, RegionalEmulatorBackend}
  alias Aybiza.Error

  @moduletag :emulator

  @sonnet4 "anthropic.claude-sonnet-4-6"
  @haiku35 "anthropic.claude-haiku-4-5-20251001-v1:0"
  @reply "We open at nine tomorrow. See you then."

  defp emulator(rules, extra \\ []) do
    emulator = start_supervised!({Emulator, [rules: rules] ++ extra}, id: make_ref())
    creds = Emulator.credentials(emulator)

    {emulator,
     [
       endpoint: Emulator.url(emulator),
       credentials: %{
         access_key_id: creds.access_key_id,
         secret_access_key: creds.secret_access_key
       }
     ]}
  end

  defp failing_sonnet(faults, haiku_reply \\ @reply) do
    emulator([
      %{model: "claude-sonnet-4-6", faults: faults, reply: @reply},
      %{model: "claude-haiku-4-5", reply: haiku_reply}
    ])
  end

  defp run(client_opts, extra) do
    opts =
      Keyword.merge(
        [
          client_opts: client_opts,
          model_id: @sonnet4,
          region: "us-east-1",
          policy: [random: fn _ -> 0 end, fallback_region: nil],
          breaker: [failure_threshold: 1_000],
          fallback_line: false
        ],
        extra
      )

    {:ok, ref} =
      BedrockClient.generate_response("When do you open tomorrow?", %{call_id: "emu"}, opts)

    collect_events(ref, 20_000)
  end

  defp stream_counts(emulator) do
    counters = Emulator.counters(emulator)
    Map.get(counters, "converse-stream", %{})
  end

  defp of(events, tag), do: for({^tag, info} <- events, do: info)

  test "a healthy call streams sentences and one terminal message" do
    {_emulator, client} = emulator([%{reply: @reply}])
    events = run(client, [])
    assert sentences(events) == [{0, "We open at nine tomorrow."}, {1, "See you then."}]
    assert {:done, %{attempts: 1, text: @reply}} = List.last(events)
  end

  test "ThrottlingException: backoff retries, then the next model of the throttling chain" do
    {emulator, client} = failing_sonnet("throttle")
    events = run(client, policy: [random: fn _ -> 0 end, throttle_retries: 2])

    assert [%{reason: :throttled}, %{reason: :throttled}] = of(events, :retry)
    assert [%{kind: :throttling_chain, model_id: @haiku35}] = of(events, :fallback)
    assert {:done, %{model_id: "us." <> @haiku35, attempts: 4}} = List.last(events)
    assert %{"throttled" => 3, "ok" => 1} = stream_counts(emulator)
  end

  test "ModelNotReadyException: an alternative model in the same region" do
    {_emulator, client} = failing_sonnet("error=ModelNotReadyException")
    events = run(client, [])

    assert [%{kind: :alternative_model, model_id: @haiku35, region: "us-east-1"}] =
             of(events, :fallback)

    assert {:done, %{model_id: "us." <> @haiku35}} = List.last(events)
  end

  test "ServiceUnavailable and InternalServer: the fallback region, same model" do
    for fault <- ["error=ServiceUnavailableException", "error=InternalServerException"] do
      {primary, client} = emulator([%{faults: fault}])
      {secondary, secondary_client} = emulator([%{reply: @reply}])

      backend =
        {RegionalEmulatorBackend, endpoints: %{"us-west-2" => secondary_client[:endpoint]}}

      events =
        run(client,
          backend: backend,
          policy: [random: fn _ -> 0 end, fallback_region: "us-west-2"]
        )

      # Same model, callable id in that region (Sonnet 4 is served through `us.` there).
      assert [%{kind: :fallback_region, model_id: "us." <> @sonnet4, region: "us-west-2"}] =
               of(events, :fallback)

      assert {:done, %{model_id: "us." <> @sonnet4, region: "us-west-2", text: @reply}} =
               List.last(events)

      assert stream_counts(primary)["ok"] in [nil, 0]
      assert stream_counts(secondary)["ok"] == 1
    end
  end

  test "ValidationException: no retry" do
    {emulator, client} = emulator([%{faults: "error=ValidationException"}])
    assert [{:error, %Error{reason: :validation}}] = run(client, [])
    assert Emulator.counters(emulator)["total_requests"] == 1
  end

  test "a rejected latency=optimized is retried once with standard latency" do
    {emulator, client} =
      emulator([
        %{
          faults:
            "error=ValidationException,message=Latency optimized inference is not supported for this model"
        }
      ])

    events = run(client, model_id: @haiku35, latency: :optimized)
    assert [%{reason: :validation, latency: :standard}] = of(events, :retry)
    assert {:error, %Error{reason: :validation}} = List.last(events)
    assert Emulator.counters(emulator)["total_requests"] == 2
  end

  test "ModelTimeoutException: a faster model" do
    {_emulator, client} = failing_sonnet("error=ModelTimeoutException")
    events = run(client, [])

    assert [%{kind: :faster_model, model_id: @haiku35, reason: :model_timeout}] =
             of(events, :fallback)

    assert {:done, %{model_id: "us." <> @haiku35}} = List.last(events)
  end

  test "a stalled stream (idle timeout) falls back to a faster model" do
    {_emulator, client} = failing_sonnet("stall@1")
    events = run(Keyword.put(client, :timeouts, idle: 300), recovery: false)
    assert [%{kind: :faster_model, model_id: @haiku35}] = of(events, :fallback)
    assert {:done, %{model_id: "us." <> @haiku35}} = List.last(events)
  end

  test "AccessDenied and ModelNotFound: no retry, a clear error" do
    for {fault, reason, hint} <- [
          {"error=AccessDeniedException", :access_denied, "IAM"},
          {"error=ResourceNotFoundException", :model_not_found, "does not exist"}
        ] do
      {emulator, client} = emulator([%{faults: fault}])

      assert [{:fallback_line, _}, {:error, %Error{reason: ^reason, message: message}}] =
               run(client, fallback_line: true)

      assert message =~ hint
      assert Emulator.counters(emulator)["total_requests"] == 1
    end
  end

  test "rejected credentials: no retry, a clear error" do
    {emulator, client} = emulator([%{reply: @reply}])

    client =
      Keyword.put(client, :credentials, %{
        access_key_id: "AKIAWRONGWRONGWRONG1",
        secret_access_key: "wrong-secret"
      })

    assert [{:error, %Error{reason: reason}}] = run(client, [])
    assert reason in [:invalid_credentials, :access_denied]
    assert Emulator.counters(emulator)["total_requests"] == 1
  end

  test "all tries spent: the spoken fallback line, then the terminal error" do
    {emulator, client} = emulator([], faults: "throttle")
    events = run(client, fallback_line: true, policy: [random: fn _ -> 0 end, max_attempts: 3])
    assert [{:fallback_line, line}, {:error, %Error{reason: :throttled}}] = Enum.take(events, -2)
    assert line =~ "I'm sorry, I'm having trouble right now"
    assert Emulator.counters(emulator)["total_requests"] == 3
  end

  test "repeated failures open the breaker; the next call skips the model" do
    region = "ap-southeast-3"
    on_exit(fn -> Aybiza.Bedrock.CircuitBreaker.reset(@sonnet4, region) end)
    {emulator, client} = failing_sonnet("error=ServiceUnavailableException")

    for _ <- 1..5 do
      assert {:error, %Error{reason: :service_unavailable}} =
               List.last(run(client, region: region, breaker: [], policy: [max_attempts: 1]))
    end

    assert Aybiza.Bedrock.CircuitBreaker.state(@sonnet4, region) == :open
    Emulator.reset_counters(emulator)

    events = run(client, region: region, breaker: [])

    assert [%{reason: :circuit_open, kind: :alternative_model, model_id: @haiku35}] =
             of(events, :fallback)

    assert {:done, %{model_id: "global." <> @haiku35}} = List.last(events)
    # the open breaker kept the request from reaching the failing model
    assert Emulator.counters(emulator)["total_requests"] == 1
  end

  test "mid-stream failure: the answer continues on the fallback model without repeating a sentence" do
    long =
      "First we check the calendar. Then we book the slot. After that we send a note. Finally we call you back."

    continuation = "And we confirm by text."

    {_emulator, client} =
      emulator([
        %{
          model: "claude-sonnet-4-6",
          reply: long,
          faults: "exception=throttlingException@12",
          pacing: "delta_chars=8"
        },
        %{model: "claude-haiku-4-5", reply: continuation}
      ])

    events = run(client, policy: [random: fn _ -> 0 end, throttle_retries: 0])
    delivered = sentences(events)

    assert [%{after_sentences: n, mode: :prefill, model_id: @haiku35}] = of(events, :recovered)
    assert n >= 1
    assert Enum.map(delivered, &elem(&1, 0)) == Enum.to_list(0..(length(delivered) - 1))
    texts = Enum.map(delivered, &elem(&1, 1))
    assert texts == Enum.uniq(texts)
    assert List.last(texts) == continuation
    assert {:done, %{recovered?: true, sentences: total, text: text}} = List.last(events)
    assert total == length(delivered)
    assert String.starts_with?(text, "First we check the calendar.")
    assert String.ends_with?(text, continuation)
  end

  test "mid-stream failure with recovery off: a terminal error that says what was delivered" do
    long = "First we check the calendar. Then we book the slot. After that we send a note."

    {_emulator, client} =
      emulator([
        %{reply: long, faults: "exception=modelStreamErrorException@12", pacing: "delta_chars=8"}
      ])

    events = run(client, recovery: false)
    assert {:error, %Error{phase: :mid_stream, delivered: %{sentences: n}}} = List.last(events)
    assert n == length(sentences(events)) and n >= 1
  end
end
