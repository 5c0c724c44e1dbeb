defmodule Aybiza.HardeningCancelTest do
  # Cancel is final: once `Aybiza.Bedrock.cancel/1` has returned, the receiver gets nothing of
  # that call except the one terminal `{:error, %Aybiza.Error{reason: :cancelled}}` (or
  # nothing, when the call had already ended). Checked under load: workers churn many
  # concurrent streams on the machine's few cores and cancel each at a random moment.
  #
  # How "after cancel returned" is observed without timing: right after `cancel/1` returns,
  # the worker sends itself a marker. Messages enqueued before the marker were sent before
  # cancel returned; anything of that call behind the marker was sent after it.
  use ExUnit.Case, async: false

  alias Aybiza.Bedrock
  alias Aybiza.Bedrock.Emulator

  @model "anthropic.claude-haiku-4-5-20251001-v1:0"
  @reply String.duplicate("Sure. I can help with that today. ", 60)

  setup do
    emulator =
      start_supervised!(
        {Emulator,
         rules: [%{prompt_contains: "", reply: @reply, pacing: %{tps: 100_000, delta_chars: 1}}]}
      )

    creds = Emulator.credentials(emulator)

    opts = [
      endpoint: Emulator.url(emulator),
      region: "us-east-1",
      credentials: {:static, creds.access_key_id, creds.secret_access_key}
    ]

    %{opts: opts}
  end

  @workers 8
  @streams_per_worker 100

  test "no event of a call reaches the receiver after cancel/1 returns, at load", %{opts: opts} do
    parent = self()
    # Saturate the schedulers (and so the cores the engine's threads share with them).
    burners = for _ <- 1..(System.schedulers_online() * 2), do: spawn(fn -> burn() end)
    on_exit(fn -> Enum.each(burners, &Process.exit(&1, :kill)) end)

    workers =
      for w <- 1..@workers do
        spawn_link(fn -> send(parent, {:worker, w, churn(w, opts)}) end)
      end

    reports =
      for w <- 1..length(workers) do
        assert_receive {:worker, ^w, report}, 60_000
        report
      end

    violations = Enum.flat_map(reports, & &1.violations)
    started = Enum.sum(Enum.map(reports, & &1.started))
    cancelled_terminals = Enum.sum(Enum.map(reports, & &1.cancelled))

    assert violations == [], "events after cancel returned: #{inspect(Enum.take(violations, 5))}"
    assert started == @workers * @streams_per_worker
    # Most calls were still running when cancelled (the load is real, not a no-op).
    assert cancelled_terminals > div(started, 2)
    wait_until(fn -> Bedrock.live_streams() == 0 end)
  end

  # One worker: starts its streams, cancels them in random order at random moments while the
  # others do the same, then reads its mailbox in arrival order.
  defp churn(w, opts) do
    :rand.seed(:exsss, {w, 17, 29})

    request = %{
      model_id: @model,
      messages: [%{role: :user, content: "hello #{w}"}],
      inference_config: %{max_tokens: 512}
    }

    refs =
      for _ <- 1..@streams_per_worker do
        {:ok, ref} = Bedrock.stream(request, opts)
        ref
      end

    for ref <- Enum.shuffle(refs) do
      if :rand.uniform(4) == 1, do: Process.sleep(:rand.uniform(3))
      :ok = Bedrock.cancel(ref)
      send(self(), {:cancel_returned, ref})
    end

    states = Map.new(refs, &{&1, %{marker: false, terminals: 0, cancelled: false}})
    read(states, [], length(refs))
  end

  # Reads messages in arrival order until every call has its marker and its terminal.
  defp read(states, violations, 0) do
    %{
      started: map_size(states),
      cancelled: Enum.count(states, fn {_, s} -> s.cancelled end),
      violations: violations
    }
  end

  defp read(states, violations, pending) do
    receive do
      {:cancel_returned, ref} ->
        state = %{states[ref] | marker: true}
        pending = if state.terminals == 1, do: pending - 1, else: pending
        read(Map.put(states, ref, state), violations, pending)

      {:aybiza_bedrock, ref, event} ->
        state = states[ref]
        terminal? = match?({:done, _}, event) or match?({:error, _}, event)
        cancelled? = match?({:error, %Aybiza.Error{reason: :cancelled}}, event)

        violation =
          cond do
            state.terminals > 0 -> [{:after_terminal, event}]
            state.marker and not cancelled? -> [{:after_cancel, event}]
            true -> []
          end

        state =
          if terminal?,
            do: %{state | terminals: state.terminals + 1, cancelled: cancelled?},
            else: state

        pending = if terminal? and state.marker, do: pending - 1, else: pending
        read(Map.put(states, ref, state), violation ++ violations, pending)
    after
      20_000 -> %{started: map_size(states), cancelled: 0, violations: [:missing_terminal]}
    end
  end

  defp burn, do: burn()

  defp wait_until(fun, tries \\ 200) do
    cond do
      fun.() -> :ok
      tries == 0 -> flunk("condition not reached")
      true -> Process.sleep(10) && wait_until(fun, tries - 1)
    end
  end
end
