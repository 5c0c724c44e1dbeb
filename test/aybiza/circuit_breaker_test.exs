defmodule Aybiza.Bedrock.CircuitBreakerTest do
  use ExUnit.Case, async: true

  import Aybiza.Bedrock.TestHelpers, only: [unique_region: 0]

  alias Aybiza.Bedrock.{CircuitBreaker, Clock, Telemetry}

  @model "anthropic.claude-sonnet-4-6"

  setup do
    clock = Clock.manual(1_000_000)
    {:ok, clock: clock, region: unique_region(), opts: [clock: clock]}
  end

  test "closed -> open after failure_threshold consecutive failures", %{
    region: region,
    opts: opts
  } do
    for _ <- 1..4, do: CircuitBreaker.record_failure(@model, region, opts)
    assert CircuitBreaker.state(@model, region) == :closed
    assert :ok = CircuitBreaker.acquire(@model, region, opts)

    CircuitBreaker.record_failure(@model, region, opts)
    assert CircuitBreaker.state(@model, region) == :open
    assert {:error, :open} = CircuitBreaker.acquire(@model, region, opts)
    refute CircuitBreaker.allowed?(@model, region, opts)
  end

  test "a success resets the consecutive failure count", %{region: region, opts: opts} do
    for _ <- 1..4, do: CircuitBreaker.record_failure(@model, region, opts)
    CircuitBreaker.record_success(@model, region, 10, opts)
    for _ <- 1..4, do: CircuitBreaker.record_failure(@model, region, opts)
    assert CircuitBreaker.state(@model, region) == :closed
  end

  test "a slow success counts as a failure", %{region: region, opts: opts} do
    opts = Keyword.merge(opts, slow_call_ms: 1_000, failure_threshold: 2)
    CircuitBreaker.record_success(@model, region, 1_001, opts)
    CircuitBreaker.record_success(@model, region, 5_000, opts)
    assert CircuitBreaker.state(@model, region) == :open
  end

  test "open -> half-open after recovery_ms; a successful trial closes it", %{
    clock: clock,
    region: region,
    opts: opts
  } do
    open!(region, opts)
    Clock.advance(clock, 29_999)
    assert {:error, :open} = CircuitBreaker.acquire(@model, region, opts)

    Clock.advance(clock, 1)
    assert CircuitBreaker.allowed?(@model, region, opts)
    assert :ok = CircuitBreaker.acquire(@model, region, opts)
    assert CircuitBreaker.state(@model, region) == :half_open
    # only one trial at a time by default
    assert {:error, :open} = CircuitBreaker.acquire(@model, region, opts)

    CircuitBreaker.record_success(@model, region, 50, opts)
    assert CircuitBreaker.state(@model, region) == :closed
    assert :ok = CircuitBreaker.acquire(@model, region, opts)
  end

  test "a failed trial opens the breaker again for a new recovery period", %{
    clock: clock,
    region: region,
    opts: opts
  } do
    open!(region, opts)
    Clock.advance(clock, 30_000)
    assert :ok = CircuitBreaker.acquire(@model, region, opts)
    CircuitBreaker.record_failure(@model, region, opts)
    assert CircuitBreaker.state(@model, region) == :open
    Clock.advance(clock, 29_000)
    assert {:error, :open} = CircuitBreaker.acquire(@model, region, opts)
  end

  test "half_open_calls trials must all succeed; concurrent callers get exactly that many permits",
       %{clock: clock, region: region, opts: opts} do
    opts = Keyword.put(opts, :half_open_calls, 3)
    open!(region, opts)
    Clock.advance(clock, 30_000)

    results =
      1..50
      |> Enum.map(fn _ -> Task.async(fn -> CircuitBreaker.acquire(@model, region, opts) end) end)
      |> Enum.map(&Task.await/1)

    assert Enum.count(results, &(&1 == :ok)) == 3

    CircuitBreaker.record_success(@model, region, 1, opts)
    CircuitBreaker.record_success(@model, region, 1, opts)
    assert CircuitBreaker.state(@model, region) == :half_open
    CircuitBreaker.record_success(@model, region, 1, opts)
    assert CircuitBreaker.state(@model, region) == :closed
  end

  test "released trial permits can be taken again", %{clock: clock, region: region, opts: opts} do
    open!(region, opts)
    Clock.advance(clock, 30_000)
    assert :ok = CircuitBreaker.acquire(@model, region, opts)
    assert {:error, :open} = CircuitBreaker.acquire(@model, region, opts)
    CircuitBreaker.release(@model, region, opts)
    assert :ok = CircuitBreaker.acquire(@model, region, opts)
  end

  test "concurrent failures are all counted (compare-and-swap)", %{region: region, opts: opts} do
    opts = Keyword.put(opts, :failure_threshold, 1_000)

    1..200
    |> Enum.map(fn _ ->
      Task.async(fn -> CircuitBreaker.record_failure(@model, region, opts) end)
    end)
    |> Enum.each(&Task.await/1)

    assert CircuitBreaker.info(@model, region).failures == 200
  end

  test "breakers are per model and region", %{region: region, opts: opts} do
    open!(region, opts)
    assert CircuitBreaker.state(@model, region) == :open
    assert CircuitBreaker.state(@model, region <> "-other") == :closed
    assert CircuitBreaker.state("amazon.nova-lite-v1:0", region) == :closed
    assert {{@model, region}, :open} in CircuitBreaker.list()
    CircuitBreaker.reset(@model, region)
    assert CircuitBreaker.state(@model, region) == :closed
  end

  test "state changes emit telemetry", %{clock: clock, region: region, opts: opts} do
    parent = self()
    id = {:breaker_test, region}

    :ok =
      Telemetry.attach(id, [:aybiza_bedrock, :circuit_breaker, :state_change], fn _event,
                                                                                  _m,
                                                                                  meta,
                                                                                  _ ->
        if meta.region == region, do: send(parent, {:change, meta.from, meta.to})
      end)

    on_exit(fn -> Telemetry.detach(id) end)

    open!(region, opts)
    assert_receive {:change, :closed, :open}
    Clock.advance(clock, 30_000)
    CircuitBreaker.acquire(@model, region, opts)
    assert_receive {:change, :open, :half_open}
    CircuitBreaker.record_success(@model, region, 1, opts)
    assert_receive {:change, :half_open, :closed}
  end

  test "options are validated, naming the bad one" do
    assert_raise ArgumentError, ~r/:failure_threshold/, fn ->
      CircuitBreaker.acquire(@model, "us-east-1", failure_threshold: 0)
    end

    assert_raise ArgumentError, ~r/:clock/, fn ->
      CircuitBreaker.acquire(@model, "us-east-1", clock: :wall)
    end

    assert_raise ArgumentError, ~r/unknown keys/, fn ->
      CircuitBreaker.acquire(@model, "us-east-1", bogus: 1)
    end
  end

  defp open!(region, opts) do
    for _ <- 1..Keyword.get(opts, :failure_threshold, 5),
        do: CircuitBreaker.record_failure(@model, region, opts)

    assert CircuitBreaker.state(@model, region) == :open
  end

  describe "state machine property" do
    # PropEr comes from Debian's erlang-proper; without it the property is skipped.
    @describetag :proper
    @describetag skip:
                   not Code.ensure_loaded?(:proper) && "PropEr (erlang-proper) is not installed"

    # Random command sequences against an independent reference model of the breaker.
    test "the ETS breaker agrees with a reference model on every decision and state" do
      commands =
        :proper_types.list(
          :proper_types.oneof([
            :acquire,
            :success,
            :slow_success,
            :failure,
            :release,
            {:advance, :proper_types.integer(0, 20_000)}
          ])
        )

      property =
        :proper.forall(commands, fn cmds ->
          region = unique_region()
          clock = Clock.manual(0)

          opts = [
            clock: clock,
            failure_threshold: 3,
            recovery_ms: 30_000,
            half_open_calls: 2,
            slow_call_ms: 1_000
          ]

          run_commands(cmds, region, clock, opts, %{
            state: :closed,
            failures: 0,
            since: 0,
            in_flight: 0,
            ok: 0,
            now: 0
          })
        end)

      assert :proper.quickcheck(property, [{:numtests, 300}, :quiet]) == true
    end
  end

  defp run_commands([], _region, _clock, _opts, _model), do: true

  defp run_commands([cmd | rest], region, clock, opts, model) do
    {agrees?, model} = apply_command(cmd, region, clock, opts, model)
    state_ok = CircuitBreaker.state(@model, region) == model.state
    in_flight_ok = model.state != :half_open or CircuitBreaker.info(@model, region).in_flight <= 2

    if agrees? and state_ok and in_flight_ok,
      do: run_commands(rest, region, clock, opts, model),
      else: false
  end

  defp apply_command({:advance, ms}, _region, clock, _opts, model) do
    Clock.advance(clock, ms)
    {true, %{model | now: model.now + ms}}
  end

  defp apply_command(:acquire, region, _clock, opts, model) do
    actual = CircuitBreaker.acquire(@model, region, opts)
    {decision, model} = ref_acquire(model)
    {actual == decision, model}
  end

  defp apply_command(:success, region, _clock, opts, model) do
    CircuitBreaker.record_success(@model, region, 10, opts)
    {true, ref_success(model)}
  end

  defp apply_command(:slow_success, region, _clock, opts, model) do
    CircuitBreaker.record_success(@model, region, 5_000, opts)
    {true, ref_failure(model)}
  end

  defp apply_command(:failure, region, _clock, opts, model) do
    CircuitBreaker.record_failure(@model, region, opts)
    {true, ref_failure(model)}
  end

  defp apply_command(:release, region, _clock, opts, model) do
    CircuitBreaker.release(@model, region, opts)

    {true,
     if(model.state == :half_open,
       do: %{model | in_flight: max(model.in_flight - 1, 0)},
       else: model
     )}
  end

  # Reference model (written independently of CircuitBreaker.transition/4).
  defp ref_acquire(%{state: :closed} = m), do: {:ok, m}

  defp ref_acquire(%{state: :open} = m) do
    if m.now - m.since >= 30_000,
      do: {:ok, %{m | state: :half_open, since: m.now, in_flight: 1, ok: 0}},
      else: {{:error, :open}, m}
  end

  defp ref_acquire(%{state: :half_open} = m) do
    cond do
      m.in_flight < 2 -> {:ok, %{m | in_flight: m.in_flight + 1}}
      m.now - m.since >= 30_000 -> {:ok, %{m | since: m.now, in_flight: 1, ok: 0}}
      true -> {{:error, :open}, m}
    end
  end

  defp ref_success(%{state: :closed} = m), do: %{m | failures: 0}

  defp ref_success(%{state: :half_open} = m) do
    if m.ok + 1 >= 2,
      do: %{m | state: :closed, failures: 0, in_flight: 0, ok: 0},
      else: %{m | ok: m.ok + 1, in_flight: max(m.in_flight - 1, 0)}
  end

  defp ref_success(m), do: m

  defp ref_failure(%{state: :closed} = m) do
    if m.failures + 1 >= 3,
      do: %{m | state: :open, failures: m.failures + 1, since: m.now},
      else: %{m | failures: m.failures + 1}
  end

  defp ref_failure(%{state: :half_open} = m),
    do: %{m | state: :open, since: m.now, in_flight: 0, ok: 0}

  defp ref_failure(m), do: m
end
