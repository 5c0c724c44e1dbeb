defmodule Aybiza.ToolLoopRunTest do
  # Not async: telemetry handlers and the performance monitor are global.
  use ExUnit.Case, async: false

  alias Aybiza.Bedrock.{PerformanceMonitor, Telemetry, Tool, ToolLoop}
  alias Aybiza.Test.ConversationFakeBackend, as: Fake

  @sonnet "anthropic.claude-sonnet-4-6"
  @obj %{"type" => "object", "properties" => %{"q" => %{"type" => "string"}}, "required" => ["q"]}

  defp tool(execute) do
    Tool.new!(name: "lookup", description: "tool lookup", input_schema: @obj, execute: execute)
  end

  defp request,
    do: %{model_id: @sonnet, messages: [%{role: :user, content: [%{text: "Hi"}]}]}

  defp attach do
    test = self()
    id = "tool-loop-run-#{System.unique_integer([:positive])}"

    Telemetry.attach(id, Telemetry.events(), fn event, measurements, metadata, _ ->
      send(test, {:telemetry, event, measurements, metadata})
    end)

    on_exit(fn -> Telemetry.detach(id) end)
  end

  defp telemetry do
    receive do
      {:telemetry, event, measurements, metadata} ->
        [{event, measurements, metadata} | telemetry()]
    after
      100 -> []
    end
  end

  defp count(tele, event), do: Enum.count(tele, fn {e, _, _} -> e == event end)

  defp balanced?(tele, prefix) do
    count(tele, prefix ++ [:start]) ==
      count(tele, prefix ++ [:stop]) + count(tele, prefix ++ [:exception])
  end

  test "run/3 (non-streaming): a throttled round is retried, then falls back; spans balance" do
    throttled = {:error, Aybiza.Error.new(:throttled, "slow down")}

    fake =
      Fake.start!([
        %{tool_uses: [%{id: "t1", name: "lookup", input: %{"q" => "x"}}]},
        throttled,
        throttled,
        throttled,
        %{text: "Done."}
      ])

    PerformanceMonitor.reset()
    attach()
    parent = self()

    assert {:ok, result} =
             ToolLoop.run(request(), [tool(fn _ -> {:ok, "x"} end)],
               backend: Fake,
               backend_opts: [fake: fake, region: "us-east-1"],
               on_event: &send(parent, {:ev, &1})
             )

    # The public shape is kept.
    assert %{rounds: 2, final_text: "Done.", tool_calls: [%{status: :success}]} = result

    assert [%{role: :user}, %{role: :assistant}, %{role: :user}, %{role: :assistant}] =
             result.messages

    assert length(result.new_messages) == 3
    assert_received {:ev, {:round, 1}}
    assert_received {:ev, {:tool_call, %{id: "t1"}}}
    assert_received {:ev, {:round, 2}}
    # Only the loop's events reach :on_event.
    refute_received {:ev, {:retry, _}}

    # Round 2: three tries on Sonnet (first + two retries), then the fallback model.
    assert [@sonnet, @sonnet, @sonnet, @sonnet, fallback] =
             Enum.map(Fake.requests(fake), & &1.model_id)

    assert fallback != @sonnet
    assert [{^fallback, "us-east-1"}] = result.fallbacks
    # Every attempt is accounted (the throttled ones included).
    assert length(result.attempt_costs) == 5
    assert Enum.count(result.attempt_costs, &(&1.outcome == :throttled)) == 3

    tele = telemetry()
    assert balanced?(tele, [:aybiza_bedrock, :turn])
    assert balanced?(tele, [:aybiza_bedrock, :stream])
    assert balanced?(tele, [:aybiza_bedrock, :tool_round])
    assert count(tele, [:aybiza_bedrock, :turn, :stop]) == 1
    assert count(tele, [:aybiza_bedrock, :tool_round, :stop]) == 1

    assert [%{stream?: false, rounds: 2}] =
             for({[_, :turn, :stop], _, metadata} <- tele, do: metadata)

    models = PerformanceMonitor.summary().models
    assert %{calls: calls} = models[{@sonnet, "us-east-1"}]
    assert calls >= 2
    assert %{calls: 1} = models[{fallback, "us-east-1"}]
  end

  test "run/3: an :on_event that raises cancels the loop; nothing is left in the mailbox" do
    test = self()

    fake =
      Fake.start!([
        %{tool_uses: [%{id: "t1", name: "lookup", input: %{"q" => "x"}}]},
        %{text: "Never."}
      ])

    hold =
      tool(fn _ ->
        send(test, :tool_running)
        Process.sleep(:infinity)
      end)

    hold = %{hold | timeout: 10_000}

    assert_raise RuntimeError, "boom", fn ->
      ToolLoop.run(request(), [hold],
        backend: Fake,
        backend_opts: [fake: fake, region: "us-east-1"],
        on_event: fn
          {:tool_call, _} -> raise "boom"
          _ -> :ok
        end
      )
    end

    # The tool never ran or was stopped, and no second model call was made.
    refute_receive {:aybiza_bedrock, _, _}, 200
    assert length(Fake.requests(fake)) == 1
  end
end
