defmodule Aybiza.Conversation.ToolLoopFakeTest do
  use ExUnit.Case, async: true

  alias Aybiza.Bedrock.{Tool, ToolLoop}
  alias Aybiza.Test.ConversationFakeBackend, as: Fake

  @obj %{"type" => "object", "properties" => %{"q" => %{"type" => "string"}}, "required" => ["q"]}

  defp tool(name, execute, fields \\ []) do
    Tool.new!(
      [name: name, description: "tool #{name}", input_schema: @obj, execute: execute] ++ fields
    )
  end

  defp tu(id, name, input \\ %{"q" => "x"}), do: %{id: id, name: name, input: input}

  defp request,
    do: %{model_id: "fake-model", messages: [%{role: :user, content: [%{text: "Hi"}]}]}

  defp start(script, tools, opts \\ []) do
    fake = Fake.start!(script)

    {:ok, ref} =
      ToolLoop.stream(request(), tools, [backend: Fake, backend_opts: [fake: fake]] ++ opts)

    {fake, ref}
  end

  # All events up to and including the terminal one.
  defp events(ref, acc \\ []) do
    receive do
      {:aybiza_bedrock, ^ref, {:done, _} = e} -> Enum.reverse([e | acc])
      {:aybiza_bedrock, ^ref, {:error, _} = e} -> Enum.reverse([e | acc])
      {:aybiza_bedrock, ^ref, e} -> events(ref, [e | acc])
    after
      5_000 -> flunk("no terminal event; got #{inspect(Enum.reverse(acc))}")
    end
  end

  test "usage summed over rounds merges cache_details per TTL, dropped when they stop adding up" do
    lookup = tool("lookup_customer", fn _ -> {:ok, "ok"} end)
    write = fn w, details -> %{cache_write_input_tokens: w, cache_details: details} end
    five = &%{input_tokens: &1, ttl: "5m"}
    hour = &%{input_tokens: &1, ttl: "1h"}

    summed = fn replies ->
      {_fake, ref} = start(replies, [lookup])
      assert {:done, result} = List.last(events(ref))
      result.usage
    end

    usage =
      summed.([
        %{
          text: "One moment.",
          tool_uses: [tu("t1", "lookup_customer")],
          usage: write.(100, [hour.(100)])
        },
        %{
          text: "And again.",
          tool_uses: [tu("t2", "lookup_customer")],
          usage: write.(30, [five.(10), hour.(20)])
        },
        %{text: "Done.", usage: write.(0, [])}
      ])

    assert usage.cache_write_input_tokens == 130
    assert usage.cache_details == [five.(10), hour.(120)]

    # A round that wrote without details (a model that sends none): the split is unknown.
    usage =
      summed.([
        %{
          text: "One moment.",
          tool_uses: [tu("t1", "lookup_customer")],
          usage: write.(100, [hour.(100)])
        },
        %{text: "Done.", usage: %{cache_write_input_tokens: 7}}
      ])

    assert usage.cache_write_input_tokens == 107
    refute Map.has_key?(usage, :cache_details)
  end

  test "multi-round loop: events in order, results sent back, sentence seq keeps increasing" do
    lookup =
      tool("lookup_customer", fn %{"q" => q} -> {:ok, %{"name" => "Ana", "q" => q}} end,
        kind: :records
      )

    book = tool("book_appointment", fn _ -> {:ok, "booked for 3pm"} end)

    {fake, ref} =
      start(
        [
          %{text: "Sure. One moment.", tool_uses: [tu("t1", "lookup_customer")]},
          %{text: "Found you, Ana.", tool_uses: [tu("t2", "book_appointment")]},
          %{text: "You're booked for 3pm. Anything else?"}
        ],
        [lookup, book],
        # Always, although the model speaks first (the default :when_silent would not).
        acknowledge: true
      )

    events = events(ref)
    assert {:done, result} = List.last(events)
    assert Enum.count(events, &match?({:done, _}, &1)) == 1

    assert [{:round, 1}, {:round, 2}, {:round, 3}] = Enum.filter(events, &match?({:round, _}, &1))
    sentences = for {:sentence, seq, text} <- events, do: {seq, text}

    assert sentences == [
             {0, "Sure."},
             {1, "One moment."},
             {2, "Found you, Ana."},
             {3, "You're booked for 3pm."},
             {4, "Anything else?"}
           ]

    assert {:tool_acknowledgment, "Let me check our records..."} in events
    assert {:tool_acknowledgment, "Let me check the schedule for you..."} in events

    # The acknowledgment comes before the tool call, the call before its result.
    idx = fn pred -> Enum.find_index(events, pred) end
    ack = idx.(&match?({:tool_acknowledgment, _}, &1))
    call = idx.(&match?({:tool_call, %{id: "t1"}}, &1))
    res = idx.(&match?({:tool_result, %{id: "t1"}}, &1))
    assert ack < call and call < res

    assert result.rounds == 3
    assert result.sentences == 5
    assert result.final_text == "You're booked for 3pm. Anything else?"

    assert result.text ==
             "Sure. One moment. Found you, Ana. You're booked for 3pm. Anything else?"

    assert result.usage.input_tokens == 30
    assert result.cost.nanodollars == 300
    assert [%{id: "t1", status: :success}, %{id: "t2", status: :success}] = result.tool_calls

    [_, second, third] = Fake.requests(fake)
    assert [_, %{role: :assistant, content: a1}, %{role: :user, content: [r1]}] = second.messages
    assert [%{text: "Sure. One moment."}, %{tool_use: %{tool_use_id: "t1"}}] = a1

    assert r1 == %{
             tool_result: %{
               tool_use_id: "t1",
               content: [%{json: %{"name" => "Ana", "q" => "x"}}],
               status: :success
             }
           }

    assert length(third.messages) == 5

    assert [%{tool_result: %{content: [%{text: "booked for 3pm"}]}}] =
             List.last(third.messages).content

    assert length(result.messages) == 6
    assert length(result.new_messages) == 5

    assert %{role: :assistant, content: [%{text: "You're booked for 3pm. Anything else?"}]} =
             List.last(result.messages)
  end

  test "parallel tools finish out of order; results go back in tool-use order" do
    parent = self()

    slow =
      tool("slow_lookup", fn _ ->
        send(parent, {:slow_started, self()})

        receive do
          :go -> {:ok, "slow done"}
        end
      end)

    fast = tool("fast_lookup", fn _ -> {:ok, "fast done"} end)

    {fake, ref} =
      start(
        [%{tool_uses: [tu("s", "slow_lookup"), tu("f", "fast_lookup")]}, %{text: "Both done."}],
        [slow, fast]
      )

    assert_receive {:aybiza_bedrock, ^ref,
                    {:tool_acknowledgment, "Let me look up a couple of things for you..."}}

    assert_receive {:slow_started, slow_pid}
    # The fast tool's result arrives while the slow one is still blocked.
    assert_receive {:aybiza_bedrock, ^ref, {:tool_result, %{id: "f", status: :success}}}
    refute_received {:aybiza_bedrock, ^ref, {:tool_result, %{id: "s"}}}
    send(slow_pid, :go)

    assert_receive {:aybiza_bedrock, ^ref,
                    {:tool_result, %{id: "s", content: [%{text: "slow done"}]}}}

    assert {:done, result} = List.last(events(ref))
    assert Enum.map(result.tool_calls, & &1.id) == ["s", "f"]

    [_, second] = Fake.requests(fake)

    assert [%{tool_result: %{tool_use_id: "s"}}, %{tool_result: %{tool_use_id: "f"}}] =
             List.last(second.messages).content
  end

  test "failing, slow, unknown, invalid and denied tools become error results" do
    tools = [
      tool("crash", fn _ -> raise "database down" end),
      tool("refuse", fn _ -> {:error, "no such customer"} end),
      tool("sleepy", fn _ -> Process.sleep(:infinity) end, timeout: 50),
      tool("transfer_call", fn _ -> {:ok, "transferred"} end,
        approval: fn _, _ -> {:error, "after hours"} end
      )
    ]

    {fake, ref} =
      start(
        [
          %{
            tool_uses: [
              tu("a", "crash"),
              tu("b", "refuse"),
              tu("c", "sleepy"),
              tu("d", "nope"),
              tu("e", "refuse", %{"q" => 1}),
              tu("f", "transfer_call")
            ]
          },
          %{text: "Sorry, I couldn't do that."}
        ],
        tools
      )

    events = events(ref)

    assert {:tool_acknowledgment,
            "I'll need to check several things for you. Give me just a moment..."} in events

    assert {:done, %{tool_calls: calls}} = List.last(events)
    errors = Map.new(calls, &{&1.id, &1.error})
    assert Enum.all?(calls, &(&1.status == :error))
    assert errors["a"] == "tool raised: database down"
    assert errors["b"] == "no such customer"
    assert errors["c"] == "timed out after 50 ms"
    assert errors["d"] == "unknown tool: nope"
    assert errors["e"] =~ "invalid input: q must be a string"
    assert errors["f"] == "denied: after hours"

    [_, second] = Fake.requests(fake)
    results = List.last(second.messages).content
    assert length(results) == 6

    assert Enum.all?(results, fn %{tool_result: r} ->
             r.status == :error and match?([%{text: _}], r.content)
           end)
  end

  for opts <- [[acknowledge: :when_silent], []] do
    @tag opts: opts
    test "acknowledge: :when_silent skips the filler when the model already spoke (#{inspect(opts)}; the default)",
         %{opts: opts} do
      when_silent(opts)
    end
  end

  defp when_silent(opts) do
    t = tool("lookup_customer", fn _ -> {:ok, "x"} end)

    script = [
      %{text: "One moment.", tool_uses: [tu("a", "lookup_customer")]},
      %{tool_uses: [tu("b", "lookup_customer")]},
      %{text: "Done."}
    ]

    {_fake, ref} = start(script, [t], opts)
    events = events(ref)

    assert [{:tool_acknowledgment, "Let me check our records..."}] =
             Enum.filter(events, &match?({:tool_acknowledgment, _}, &1))

    ack = Enum.find_index(events, &match?({:tool_acknowledgment, _}, &1))
    assert ack > Enum.find_index(events, &(&1 == {:round, 2}))
  end

  test "the loop stops with :max_rounds when the model keeps asking for tools" do
    t = tool("lookup", fn _ -> {:ok, "x"} end)
    reply = %{tool_uses: [tu("t", "lookup")]}
    {_fake, ref} = start([reply, reply, reply], [t], max_rounds: 2)
    events = events(ref)
    assert {:error, %Aybiza.Error{reason: :max_rounds}} = List.last(events)
    assert [{:round, 1}, {:round, 2}] = Enum.filter(events, &match?({:round, _}, &1))
  end

  test "a model error that is never retried ends the loop with exactly one error" do
    t = tool("lookup", fn _ -> {:ok, "x"} end)

    {_fake, ref} =
      start(
        [
          %{tool_uses: [tu("t", "lookup")]},
          {:error, Aybiza.Error.new(:access_denied, "no model access")}
        ],
        [t]
      )

    events = events(ref)
    assert {:error, %Aybiza.Error{reason: :access_denied}} = List.last(events)
    assert Enum.count(events, &match?({:error, _}, &1)) == 1
  end

  test "a throttled round is retried by the failure policy (the loop runs under the relay)" do
    t = tool("lookup", fn _ -> {:ok, "x"} end)

    {_fake, ref} =
      start(
        [
          %{tool_uses: [tu("t", "lookup")]},
          {:error, Aybiza.Error.new(:throttled, "slow down")},
          %{text: "Done."}
        ],
        [t]
      )

    events = events(ref)
    assert [%{reason: :throttled, attempt: 1}] = for({:retry, info} <- events, do: info)
    assert {:done, %{rounds: 2, final_text: "Done."}} = List.last(events)
  end

  test "after a round fell back, the next round starts on the fallback target" do
    t = tool("lookup", fn _ -> {:ok, "x"} end)
    throttled = {:error, Aybiza.Error.new(:throttled, "slow down")}
    sonnet = "anthropic.claude-sonnet-4-6"

    fake =
      Fake.start!([
        %{tool_uses: [tu("t1", "lookup")]},
        throttled,
        throttled,
        throttled,
        %{tool_uses: [tu("t2", "lookup")]},
        %{text: "Done."}
      ])

    {:ok, ref} =
      ToolLoop.stream(%{request() | model_id: sonnet}, [t],
        backend: Fake,
        backend_opts: [fake: fake, region: "us-east-1"]
      )

    events = events(ref)
    assert {:done, %{rounds: 3, final_text: "Done."}} = List.last(events)

    assert [%{from: {^sonnet, "us-east-1"}, model_id: fallback}] =
             for({:fallback, f} <- events, do: f)

    # Round 1 and round 2's three tries on Sonnet, round 2's fallback, then round 3 stays there.
    assert [^sonnet, ^sonnet, ^sonnet, ^sonnet, ^fallback, ^fallback] =
             Enum.map(Fake.requests(fake), & &1.model_id)
  end

  test "forced tool choice applies to the first round only" do
    t = tool("lookup", fn _ -> {:ok, "x"} end)

    {fake, ref} =
      start([%{tool_uses: [tu("t", "lookup")]}, %{text: "Done."}], [t], tool_choice: :any)

    assert {:done, _} = List.last(events(ref))
    [first, second] = Fake.requests(fake)
    assert first.tool_config.tool_choice == %{any: %{}}
    assert second.tool_config.tool_choice == %{auto: %{}}
  end

  test "thinking: deltas are not sentences and the signature goes back unchanged" do
    t = tool("lookup", fn _ -> {:ok, "x"} end)

    fake =
      Fake.start!([
        %{
          thinking: "The caller wants their order.",
          signature: "SIG-1",
          tool_uses: [tu("t", "lookup")]
        },
        %{text: "It ships today."}
      ])

    req = put_in(request()[:inference_config], %{max_tokens: 4000})

    {:ok, ref} =
      ToolLoop.stream(req, [t], backend: Fake, backend_opts: [fake: fake], thinking: 2048)

    events = events(ref)
    assert :thinking_started in events
    assert {:thinking, "The caller wants their order."} in events
    refute Enum.any?(events, &match?({:sentence, _, "The caller" <> _}, &1))

    [first, second] = Fake.requests(fake)

    assert first.additional_model_request_fields == %{
             "thinking" => %{"type" => "enabled", "budget_tokens" => 2048}
           }

    assert %{role: :assistant, content: [%{reasoning_content: %{signature: "SIG-1"}} | _]} =
             Enum.at(second.messages, 1)
  end

  test "bad thinking setups are refused before any call" do
    t = tool("lookup", fn _ -> {:ok, "x"} end)
    fake = Fake.start!([])
    req = put_in(request()[:inference_config], %{max_tokens: 2000})
    opts = [backend: Fake, backend_opts: [fake: fake]]

    assert {:error, %Aybiza.Error{reason: :invalid_request, message: m}} =
             ToolLoop.stream(req, [t], opts ++ [thinking: 512])

    assert m =~ "budget_tokens"
    assert {:error, %{message: m}} = ToolLoop.stream(req, [t], opts ++ [thinking: 2000])
    assert m =~ "below inference_config.max_tokens"

    assert {:error, %{message: m}} =
             ToolLoop.stream(req, [t], opts ++ [thinking: 1024, tool_choice: :any])

    assert m =~ "tool_choice"
    assert Fake.requests(fake) == []
  end

  test "run/3 works non-streaming with on_event" do
    parent = self()
    t = tool("lookup_customer", fn _ -> {:ok, %{"vip" => true}} end)
    fake = Fake.start!([%{tool_uses: [tu("t", "lookup_customer")]}, %{text: "You're a VIP."}])

    assert {:ok, result} =
             ToolLoop.run(request(), [t],
               backend: Fake,
               backend_opts: [fake: fake],
               on_event: &send(parent, {:ev, &1})
             )

    assert result.final_text == "You're a VIP."
    assert result.rounds == 2
    assert_received {:ev, {:round, 1}}
    assert_received {:ev, {:tool_acknowledgment, "Let me check our records..."}}
    assert_received {:ev, {:tool_call, %{id: "t", round: 1}}}
    assert_received {:ev, {:tool_result, %{id: "t", status: :success}}}
    assert_received {:ev, {:round, 2}}
  end

  test "run/3 with stream: true collects the streaming loop" do
    t = tool("lookup", fn _ -> {:ok, "x"} end)
    fake = Fake.start!([%{tool_uses: [tu("t", "lookup")]}, %{text: "Done here."}])

    assert {:ok, %{final_text: "Done here.", rounds: 2}} =
             ToolLoop.run(request(), [t], backend: Fake, backend_opts: [fake: fake], stream: true)
  end

  test "cancel/1 stops the loop and nothing more arrives" do
    t = holding_tool()

    {fake, ref} = start([%{tool_uses: [tu("t", "hold")]}, %{text: "never"}], [t])
    assert_receive {:holding, holder}
    loop = Process.get({ToolLoop, ref})
    # Cancel waits for the running tool: release it once the cancel is in the loop's mailbox.
    spawn(fn ->
      wait_for_cancel(loop)
      send(holder, :go)
    end)

    assert :ok = ToolLoop.cancel(ref)
    assert :ok = ToolLoop.cancel(ref)
    Aybiza.Bedrock.flush(ref)
    refute_receive {:aybiza_bedrock, ^ref, _}, 100
    assert length(Fake.requests(fake)) == 1
  end

  test "the loop stops when its receiver exits" do
    t = holding_tool()

    receiver = spawn(fn -> receive do: (:never -> :ok) end)
    fake = Fake.start!([%{tool_uses: [tu("t", "hold")]}, %{text: "never"}])

    {:ok, ref} =
      ToolLoop.stream(request(), [t], backend: Fake, backend_opts: [fake: fake], to: receiver)

    loop = Process.get({ToolLoop, ref})
    mon = Process.monitor(loop)
    assert_receive {:holding, holder}
    receiver_mon = Process.monitor(receiver)
    Process.exit(receiver, :kill)
    assert_receive {:DOWN, ^receiver_mon, :process, ^receiver, :killed}
    send(holder, :go)
    assert_receive {:DOWN, ^mon, :process, ^loop, :normal}
    # No second model call was made for a receiver that is gone.
    assert length(Fake.requests(fake)) == 1
  end

  # A tool that reports `{:holding, pid}` to the test and returns once it receives `:go`.
  defp holding_tool do
    parent = self()

    tool("hold", fn _ ->
      send(parent, {:holding, self()})
      receive do: (:go -> {:ok, "x"})
    end)
  end

  defp wait_for_cancel(pid) do
    {:messages, messages} = Process.info(pid, :messages)

    unless Enum.any?(messages, &match?({:cancel, _, _}, &1)) do
      Process.sleep(5)
      wait_for_cancel(pid)
    end
  end

  test "option mistakes raise ArgumentError naming the option" do
    assert_raise ArgumentError, ~r/:max_rounds/, fn ->
      ToolLoop.stream(request(), [], max_rounds: 0)
    end

    assert_raise ArgumentError, ~r/unknown ToolLoop option :colour/, fn ->
      ToolLoop.stream(request(), [], colour: 1)
    end

    assert {:error, %{reason: :invalid_request}} = ToolLoop.stream(request(), [:not_a_tool])
  end
end
