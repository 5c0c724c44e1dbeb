defmodule Aybiza.Cluster.AdmissionTest do
  # Changes the :quotas / :admission application environment: not async.
  use ExUnit.Case, async: false

  alias Aybiza.Bedrock.Clock
  alias Aybiza.Bedrock.Cluster.{Admission, Quotas}
  alias Aybiza.Error

  import Aybiza.Bedrock.TestHelpers, only: [unique_region: 0]

  @model "anthropic.claude-sonnet-4-6"

  setup do
    region = unique_region()
    previous = Application.get_env(:aybiza_bedrock, :quotas)

    Application.put_env(:aybiza_bedrock, :quotas,
      use_defaults: false,
      limits: [{@model, region, requests_per_minute: 600, tokens_per_minute: 60_000}]
    )

    # The tests that call the emulator use us-east-1: start from full buckets.
    for model <- [@model, "anthropic.claude-opus-4-7"],
        do: Admission.reset(model, "us-east-1")

    on_exit(fn ->
      if previous,
        do: Application.put_env(:aybiza_bedrock, :quotas, previous),
        else: Application.delete_env(:aybiza_bedrock, :quotas)
    end)

    %{region: region, clock: Clock.manual(0)}
  end

  test "a model without a quota is not limited", %{clock: clock} do
    assert {:ok, nil} = Admission.admit(@model, "us-west-2", 1_000_000, clock: clock)
    assert Quotas.get("anthropic.claude-unknown", "us-east-1") == nil
  end

  test "requests: the burst, then a wait within the bound, then a refusal",
       %{region: region, clock: clock} do
    # 600/min = 10/s = 0.01/ms; burst_ms 1_000 -> 10 requests.
    opts = [clock: clock, burst_ms: 1_000, max_wait_ms: 0]

    for _ <- 1..10, do: assert({:ok, %{wait_ms: 0}} = Admission.admit(@model, region, 1, opts))

    assert {:error, %Error{reason: :quota_share_exceeded, retryable?: true} = error} =
             Admission.admit(@model, region, 1, opts)

    assert error.message =~ "would need 100 ms"
    assert {error.model_id, error.region} == {@model, region}

    # With a bound of 100 ms the next one waits for its request (the clock is manual, the
    # sleep is real: 100 ms).
    assert {:ok, %{wait_ms: 100}} =
             Admission.admit(@model, region, 1, Keyword.put(opts, :max_wait_ms, 100))

    # Time refills the bucket.
    Clock.advance(clock, 300)
    assert {:ok, %{wait_ms: 0}} = Admission.admit(@model, region, 1, opts)
  end

  test "tokens are reserved up front and settled with the usage", %{region: region, clock: clock} do
    # 60_000 tokens/min = 1/ms; burst_ms 1_000 -> 1_000 tokens.
    opts = [clock: clock, burst_ms: 1_000, max_wait_ms: 0]

    assert {:ok, res} = Admission.admit(@model, region, 900, opts)

    assert {:error, %Error{reason: :quota_share_exceeded}} =
             Admission.admit(@model, region, 900, opts)

    # The call used 100 of its 900: 800 come back.
    :ok = Admission.settle(res, 100, clock: clock)
    assert {:ok, _} = Admission.admit(@model, region, 850, opts)
  end

  test "a throttle halves the rate, which grows back additively", %{region: region, clock: clock} do
    opts = [clock: clock, increase_per_s: 0.1, decrease_interval_ms: 1_000]
    assert Admission.rate_factor(@model, region, opts) == 1.0

    :ok = Admission.throttled(@model, region, opts)
    assert Admission.rate_factor(@model, region, opts) == 0.5
    # A second throttle within the interval (calls that were already in flight) is ignored.
    :ok = Admission.throttled(@model, region, opts)
    assert Admission.rate_factor(@model, region, opts) == 0.5

    Clock.advance(clock, 2_000)
    assert_in_delta Admission.rate_factor(@model, region, opts), 0.7, 1.0e-9
    assert_in_delta Admission.share(@model, region, opts).requests_per_minute, 600 * 0.7, 1.0e-6
  end

  test "invalid quota configuration names the entry" do
    assert_raise ArgumentError, ~r/invalid :quotas limit/, fn ->
      Quotas.validate!(limits: [{"m", "r", requests_per_minute: -1}])
    end

    assert :ok = Quotas.validate!(limits: [{"m", :any, tokens_per_minute: 10}])
  end

  test "profiles: a base-id entry covers its profiles, defaults are marked unconfirmed" do
    assert Quotas.split("us.anthropic.claude-haiku-4-5-20251001-v1:0") ==
             {:cross_region, "anthropic.claude-haiku-4-5-20251001-v1:0"}

    assert Enum.all?(Quotas.defaults(), &(&1.confirmed == false and is_binary(&1.source)))
  end

  test "invalid admission options raise naming the option" do
    assert_raise ArgumentError, ~r/admission option :max_wait_ms/, fn ->
      Admission.options!(max_wait_ms: -1)
    end

    assert_raise ArgumentError, ~r/admission option :headroom/, fn ->
      Admission.options!(headroom: 2)
    end
  end

  test "the client's admission: false skips admission; a list is validated at the call" do
    backend = {Aybiza.Bedrock.Backend.Native, []}
    assert Admission.guard(backend, false) == backend

    assert {Admission.Backend, [admission_backend: ^backend, admission: [max_wait_ms: 5]]} =
             Admission.guard(backend, max_wait_ms: 5)

    assert_raise ArgumentError, fn -> Admission.guard(backend, max_wait_ms: :soon) end
  end

  test "a turn over its share goes to the next target of the fallback chain", %{region: _} do
    emulator = start_supervised!({Aybiza.Bedrock.Emulator, rules: [%{reply: "We open at nine."}]})
    creds = Aybiza.Bedrock.Emulator.credentials(emulator)

    client = [
      endpoint: Aybiza.Bedrock.Emulator.url(emulator),
      credentials: %{
        access_key_id: creds.access_key_id,
        secret_access_key: creds.secret_access_key
      }
    ]

    region = "us-east-1"

    Application.put_env(:aybiza_bedrock, :quotas,
      use_defaults: false,
      limits: [{@model, region, requests_per_minute: 1}]
    )

    admission_events = self()

    :ok =
      Aybiza.Bedrock.Telemetry.attach(
        {__MODULE__, :reject},
        [:aybiza_bedrock, :admission, :reject],
        fn _event, measurements, meta, pid -> send(pid, {:rejected, measurements, meta}) end,
        admission_events
      )

    on_exit(fn -> Aybiza.Bedrock.Telemetry.detach({__MODULE__, :reject}) end)

    run = fn ->
      {:ok, ref} =
        Aybiza.AWS.BedrockClient.generate_response("When do you open?", %{},
          client_opts: client,
          model_id: @model,
          region: region,
          fallback_line: false,
          policy: [fallback_region: nil],
          admission: [max_wait_ms: 0, burst_ms: 1]
        )

      Aybiza.Bedrock.TestHelpers.collect_events(ref, 20_000)
    end

    # The bucket holds one request: the first call takes it...
    assert {:done, %{attempts: 1}} = List.last(run.())
    # ... the second is refused before the network and answered by the next model.
    events = run.()

    assert [%{reason: :quota_share_exceeded, from: {@model, ^region}, model_id: next}] =
             for({:fallback, info} <- events, do: info)

    assert next != @model
    assert {:done, %{attempts: 2, text: "We open at nine."}} = List.last(events)
    assert_received {:rejected, %{wait_ms: wait}, %{model_id: @model, region: ^region}}
    assert wait > 0
    assert Aybiza.Bedrock.Emulator.counters(emulator)["total_requests"] == 2
  end

  test "count_tokens: true counts the input with CountTokens; a model it cannot count uses the estimate" do
    emulator = start_supervised!({Aybiza.Bedrock.Emulator, rules: [%{reply: "Nine."}]})
    creds = Aybiza.Bedrock.Emulator.credentials(emulator)

    client = [
      endpoint: Aybiza.Bedrock.Emulator.url(emulator),
      credentials: %{
        access_key_id: creds.access_key_id,
        secret_access_key: creds.secret_access_key
      }
    ]

    region = "us-east-1"
    # Opus 4.7 is counted with the Messages API's count_tokens (AWS: Claude models launched
    # cross-Region only have no runtime CountTokens); Sonnet 4.6 with runtime CountTokens on
    # its base id; Nova Lite (runtime, not countable: ValidationException) uses the estimate.
    countable = "anthropic.claude-opus-4-7"
    uncountable = "amazon.nova-lite-v1:0"
    Admission.reset(uncountable, region)

    Application.put_env(:aybiza_bedrock, :quotas,
      use_defaults: false,
      limits: [
        {countable, region, tokens_per_minute: 6_000_000},
        {@model, region, tokens_per_minute: 6_000_000},
        {uncountable, region, tokens_per_minute: 6_000_000}
      ]
    )

    run = fn model ->
      {:ok, ref} =
        Aybiza.AWS.BedrockClient.generate_response("When do you open?", %{},
          client_opts: client,
          model_id: model,
          region: region,
          fallback_line: false,
          admission: [count_tokens: true]
        )

      List.last(Aybiza.Bedrock.TestHelpers.collect_events(ref, 20_000))
    end

    assert {:done, %{attempts: 1}} = run.(countable)
    counters = Aybiza.Bedrock.Emulator.counters(emulator)
    assert %{"ok" => 1} = counters["count-tokens"]
    assert %{"ok" => 1} = counters["messages-stream"]

    assert {:done, %{attempts: 1}} = run.(@model)
    counters = Aybiza.Bedrock.Emulator.counters(emulator)
    assert %{"ok" => 2} = counters["count-tokens"]
    refute Map.has_key?(counters["count-tokens"], "validation_error")
    assert %{"ok" => 1} = counters["converse-stream"]

    assert {:done, %{attempts: 1}} = run.(uncountable)
    counters = Aybiza.Bedrock.Emulator.counters(emulator)
    assert %{"ok" => 2, "validation_error" => 1} = counters["count-tokens"]
    assert %{"ok" => 2} = counters["converse-stream"]
  end
end
